"""Forms for the scheduling pages."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from nervecare.core.bounds import ScheduleDateField


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class SeriesForm(forms.Form):
    therapist_id = forms.TypedChoiceField(coerce=int, label=_("Therapist"))
    service_id = forms.TypedChoiceField(coerce=int, label=_("Service"))
    first_date = ScheduleDateField(widget=DateInput(), label=_("Course starts on"))
    local_time = forms.TimeField(widget=TimeInput(), label=_("Time"))
    count = forms.IntegerField(min_value=1, max_value=104, label=_("Number of sessions"))
    weekdays = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        label=_("Weekdays"),
        required=False,  # none ticked: the plan's sessions a week spread from the start date's weekday
    )

    def __init__(self, *args, therapists=(), services=(), per_week: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist_id"].choices = [(t.id, t.display_name) for t in therapists]
        self.fields["service_id"].choices = [(s.id, f"{s.name} ({s.minutes} min)") for s in services]
        self.fields["weekdays"].help_text = (
            _("Choose %d days: the plan has %d sessions a week.") % (per_week, per_week)
            if per_week > 1
            else _("Choose 1 day: the plan has 1 session a week.")
        )


class RescheduleForm(forms.Form):
    day = ScheduleDateField(widget=DateInput(), label=_("New date"))
    at = forms.TimeField(widget=TimeInput(), label=_("New time"))
    therapist_id = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Therapist"))

    def __init__(self, *args, therapists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist_id"].choices = [(t.id, t.display_name) for t in therapists]


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
    room_id = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Room"))

    def __init__(self, *args, clients=(), services=(), therapists=(), rooms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_id"].choices = [
            (c["id"], f"{c['last_name']}, {c['first_name']}") for c in clients
        ]
        self.fields["service_id"].choices = [(s.id, f"{s.name} ({s.minutes} min)") for s in services]
        self.fields["therapist_id"].choices = [(t.id, t.display_name) for t in therapists]
        self.fields["room_id"].choices = [("", "—"), *((r.id, r.name) for r in rooms)]


class RegisterClientForm(forms.Form):
    """The front desk's new client: who they are and how to reach them (no clinical detail)."""

    first_name = forms.CharField(max_length=100, label=_("First name"))
    last_name = forms.CharField(max_length=100, label=_("Last name"))
    date_of_birth = forms.DateField(widget=DateInput(), label=_("Date of birth"))
    email = forms.EmailField(required=False, label=_("Email (the intake invitation goes here)"))
    phone = forms.CharField(max_length=40, required=False, label=_("Phone"))
    address = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Address")
    )
    emergency_contact_name = forms.CharField(max_length=200, required=False, label=_("Emergency contact"))
    emergency_contact_phone = forms.CharField(
        max_length=40, required=False, label=_("Emergency contact's phone")
    )


class WaitlistForm(forms.Form):
    client_id = forms.TypedChoiceField(coerce=int, label=_("Client"))
    service_id = forms.TypedChoiceField(coerce=int, label=_("Service"))
    therapist_id = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label=_("Therapist (any qualified if empty)")
    )
    earliest = ScheduleDateField(widget=DateInput(), label=_("From (date)"))
    latest = ScheduleDateField(widget=DateInput(), label=_("Until (date)"))
    note = forms.CharField(max_length=300, required=False, label=_("Note (e.g. mornings only)"))

    def __init__(self, *args, clients=(), services=(), therapists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_id"].choices = [
            (c["id"], f"{c['last_name']}, {c['first_name']}") for c in clients
        ]
        self.fields["service_id"].choices = [(s.id, f"{s.name} ({s.minutes} min)") for s in services]
        self.fields["therapist_id"].choices = [("", "—"), *((t.id, t.display_name) for t in therapists)]

    def clean(self):
        data = super().clean()
        if data.get("earliest") and data.get("latest") and data["latest"] < data["earliest"]:
            self.add_error("latest", _("must be on or after the first date"))
        return data


class OfferForm(forms.Form):
    therapist_id = forms.IntegerField(min_value=1)
    starts_at = forms.DateTimeField()
