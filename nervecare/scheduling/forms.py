"""Forms for the scheduling pages."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from nervecare.core.bounds import ScheduleDateField


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class SeriesForm(forms.Form):
    therapist_id = forms.TypedChoiceField(coerce=int, label=_("Therapist"))
    service_id = forms.TypedChoiceField(coerce=int, label=_("Service"))
    first_date = ScheduleDateField(widget=DateInput(), label=_("First session (its weekday repeats)"))
    local_time = forms.TimeField(widget=TimeInput(), label=_("Time"))
    count = forms.IntegerField(min_value=1, max_value=104, label=_("Number of weekly sessions"))

    def __init__(self, *args, therapists=(), services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist_id"].choices = [(t.id, t.display_name) for t in therapists]
        self.fields["service_id"].choices = [(s.id, f"{s.name} ({s.minutes} min)") for s in services]


class RescheduleForm(forms.Form):
    day = ScheduleDateField(widget=DateInput(), label=_("New date"))
    at = forms.TimeField(widget=TimeInput(), label=_("New time"))


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300, label=_("Why cancel?"))


def week_start(value: date) -> date:
    return value.fromordinal(value.toordinal() - value.weekday())


class BookOneForm(forms.Form):
    client_id = forms.TypedChoiceField(coerce=int, label=_("Client"))
    service_id = forms.TypedChoiceField(coerce=int, label=_("Service"))
    therapist_id = forms.TypedChoiceField(coerce=int, label=_("Therapist"))
    day = ScheduleDateField(widget=DateInput(), label=_("Date"))
    at = forms.TimeField(widget=TimeInput(), label=_("Time"))

    def __init__(self, *args, clients=(), services=(), therapists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_id"].choices = [
            (c["id"], f"{c['last_name']}, {c['first_name']}") for c in clients
        ]
        self.fields["service_id"].choices = [(s.id, f"{s.name} ({s.minutes} min)") for s in services]
        self.fields["therapist_id"].choices = [(t.id, t.display_name) for t in therapists]
