"""Forms of the screening pages, and the questionnaire helper the client portal shares."""

from django import forms
from django.utils.translation import gettext_lazy as _

from nervecare.core.bounds import HistoryDateField
from nervecare.core.pages import DateInput
from nervecare.screening.instruments import InstrumentDefinition


def instrument_form_fields(definition: InstrumentDefinition) -> list[dict]:
    """The items of an instrument as the template renders them."""
    return [
        {
            "id": item.id,
            "name": f"item_{item.id}",
            "text": item.text,
            "note": item.note,
            "type": item.answer_type,
            "min": item.min,
            "max": item.max,
            "options": [{"value": o.value, "label": o.label} for o in item.options],
        }
        for item in definition.items
    ]


class ClearanceForm(forms.Form):
    clinician = forms.CharField(max_length=200, label=_("Clinician who gave clearance"))
    clearance_date = HistoryDateField(widget=DateInput(), label=_("Date of clearance"))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
