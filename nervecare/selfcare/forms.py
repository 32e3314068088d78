"""Forms of the self-care pages: assigning and changing a programme (staff), ticking an item and the
reminder time (the client, in the portal). Validation of meaning stays in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from nervecare.selfcare.library import library


def _item_choices() -> list[tuple[str, str]]:
    return [(code, item.title) for code, item in library().items.items()]


class DateInput(forms.DateInput):
    input_type = "date"


class AssignForm(forms.Form):
    items = forms.MultipleChoiceField(
        label=_("Self-care items"), choices=_item_choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    starts_on = forms.DateField(label=_("Start date"), widget=DateInput)
    ends_on = forms.DateField(label=_("End date"), widget=DateInput, required=False)
    programme_title = forms.CharField(label=_("Programme name"), max_length=120, required=False)
    reason = forms.CharField(label=_("Why (kept with the change)"), max_length=1000)


class ChangeForm(forms.Form):
    add_items = forms.MultipleChoiceField(
        label=_("Items to add"), choices=_item_choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    remove_items = forms.MultipleChoiceField(
        label=_("Items to remove"), choices=_item_choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    ends_on = forms.DateField(label=_("End date"), widget=DateInput, required=False)
    reason = forms.CharField(label=_("Why (kept with the change)"), max_length=1000)


class EndForm(forms.Form):
    reason = forms.CharField(label=_("Why end it?"), max_length=1000)


class CheckOffForm(forms.Form):
    item_id = forms.IntegerField(min_value=1, max_value=2**53, widget=forms.HiddenInput)
    rating = forms.IntegerField(label=_("How it went (0-10)"), min_value=0, max_value=10, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class UndoForm(forms.Form):
    item_id = forms.IntegerField(min_value=1, max_value=2**53, widget=forms.HiddenInput)


class ReminderForm(forms.Form):
    reminder_enabled = forms.BooleanField(label=_("Send me a reminder e-mail"), required=False)
    remind_at = forms.TimeField(
        label=_("Reminder time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
