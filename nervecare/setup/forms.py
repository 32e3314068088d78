"""The set-up pages' forms: they parse what was typed; the services decide what is allowed (one place for the
pages and the API), and their errors come back onto these fields by name."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.forms import formset_factory

from nervecare.core.models import User
from nervecare.core.pages import DateInput
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import AvailabilityException
from nervecare.screening.models import SafetyThresholds
from nervecare.setup import selectors

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
WHOLE = {"invalid": "Enter a whole number.", "required": "Fill this in."}


@cache
def _zones() -> list[tuple[str, str]]:
    return [(z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z or z == "UTC"]


class TimeInput(forms.TimeInput):
    input_type = "time"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class ClinicForm(forms.Form):
    name = forms.CharField(label="Clinic name", max_length=200)
    address = forms.CharField(
        label="Address", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    email = forms.CharField(label="Email", required=False, max_length=254)
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=(),
        error_messages={"invalid_choice": "Choose a time zone from the list, like Europe/London."},
    )
    country = forms.ChoiceField(
        label="Country",
        required=False,
        choices=(),
        error_messages={"invalid_choice": "Choose a country from the list."},
    )
    subdivision = forms.CharField(
        label="Region for public holidays (optional)",
        required=False,
        max_length=10,
        help_text="The region code the holiday calendar uses, e.g. ENG for England.",
    )
    currency = forms.ChoiceField(
        label="Currency",
        choices=(),
        error_messages={"invalid_choice": "Choose a currency from the list (ISO 4217, like EUR or GBP)."},
    )
    min_notice_hours = forms.IntegerField(
        label="Minimum notice for online booking (hours)", min_value=0, max_value=1440, error_messages=WHOLE
    )
    booking_horizon_days = forms.IntegerField(
        label="How far ahead clients may book (days)", min_value=1, max_value=730, error_messages=WHOLE
    )
    cancellation_notice_hours = forms.IntegerField(
        label="Cancellation notice (hours)",
        min_value=0,
        max_value=1440,
        error_messages=WHOLE,
        help_text="Clients may cancel or move a booking themselves until this many hours before it.",
    )
    online_booking_enabled = forms.BooleanField(
        label="Open the online booking page to new clients", required=False
    )

    def __init__(self, *args: Any, regions: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = _zones()  # type: ignore[attr-defined]
        self.fields["country"].choices = [("", "—")] + selectors.country_choices()  # type: ignore[attr-defined]
        self.fields["currency"].choices = selectors.currency_choices()  # type: ignore[attr-defined]
        if regions:
            self.fields["subdivision"].help_text = "Regions the holiday calendar knows here: " + ", ".join(
                regions
            )


class ThresholdsForm(forms.Form):
    platelets_min_per_ul = forms.IntegerField(label="Platelets: flag below (per µL)", error_messages=WHOLE)
    platelets_policy = forms.ChoiceField(
        label="Low platelets mean", choices=SafetyThresholds.PlateletPolicy.choices
    )
    neutrophils_min_per_ul = forms.IntegerField(
        label="Neutrophils (ANC): stop below (per µL)", error_messages=WHOLE
    )
    fever_min_celsius = forms.DecimalField(
        label="Fever: stop at or above (°C)",
        max_digits=4,
        decimal_places=1,
        error_messages={"invalid": "Enter a temperature like 38.0.", "required": "Fill this in."},
    )
    dvt_history_months = forms.IntegerField(
        label="DVT history: clearance needed within (months)", error_messages=WHOLE
    )


class InviteForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.CharField(label="Email", max_length=254)
    role = forms.ChoiceField(
        label="Role",
        choices=[(r.value, r.label) for r in selectors.STAFF_ROLES],
        initial=User.Role.THERAPIST,
    )
    username = forms.CharField(
        label="Username (optional)",
        required=False,
        max_length=150,
        help_text="Left empty, it is made from the email address.",
    )


class TherapistProfileForm(forms.Form):
    display_name = forms.CharField(label="Name shown to clients", max_length=200)
    years_experience = forms.IntegerField(
        label="Years of experience", min_value=0, max_value=70, error_messages=WHOLE
    )
    bio = forms.CharField(
        label="Short bio for the booking page",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.qualifications = selectors.qualifications()
        for q in self.qualifications:
            self.fields[f"cert_{q['code']}"] = forms.BooleanField(label=q["label"], required=False)
            self.fields[f"expires_{q['code']}"] = forms.DateField(
                label=f"{q['label']}: valid until (optional)",
                required=False,
                widget=DateInput,
                error_messages={"invalid": "Enter a date like 2028-06-30."},
            )

    def certification_rows(self) -> list[dict[str, Any]]:
        return [
            {"code": q["code"], "expires_on": self.cleaned_data.get(f"expires_{q['code']}")}
            for q in self.qualifications
            if self.cleaned_data.get(f"cert_{q['code']}")
        ]

    def pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"cert_{q['code']}"], self[f"expires_{q['code']}"]) for q in self.qualifications]


class ServiceForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    modality = forms.ChoiceField(label="Kind of massage", choices=CarePlan.Modality.choices)
    minutes = forms.IntegerField(label="Length (minutes)", min_value=10, max_value=240, error_messages=WHOLE)
    buffer_minutes = forms.IntegerField(
        label="Buffer after it (minutes)",
        min_value=0,
        max_value=120,
        initial=15,
        error_messages=WHOLE,
        help_text="Time kept free after the session to reset the room.",
    )
    required_certifications = forms.MultipleChoiceField(
        label="Training the therapist needs", required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    bookable_online = forms.BooleanField(label="Bookable online by new clients", required=False)
    active = forms.BooleanField(
        label="Offered (untick to retire it; its history stays)", required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["required_certifications"].choices = [  # type: ignore[attr-defined]
            (q["code"], q["label"]) for q in selectors.qualifications()
        ]


class RoomForm(forms.Form):
    name = forms.CharField(label="Room name", max_length=100)
    active = forms.BooleanField(label="In use", required=False, initial=True)


class HoursRowForm(forms.Form):
    # An empty first choice: a blank extra row posts nothing and is skipped (it has not changed).
    weekday = forms.TypedChoiceField(
        label="Day",
        choices=[("", "—"), *WEEKDAYS],
        coerce=int,
        error_messages={"required": "Choose the day."},
    )
    start = forms.TimeField(
        label="From", widget=TimeInput, error_messages={"invalid": "Enter a time like 09:00."}
    )
    end = forms.TimeField(
        label="Until", widget=TimeInput, error_messages={"invalid": "Enter a time like 17:30."}
    )
    every_weeks = forms.TypedChoiceField(
        label="Repeats", choices=[(1, "Every week"), (2, "Every other week")], coerce=int, initial=1
    )
    anchor_date = forms.DateField(
        label="Every other week: a date in a week it applies",
        required=False,
        widget=DateInput,
        error_messages={"invalid": "Enter a date like 2027-01-04."},
    )


HoursFormSet = formset_factory(HoursRowForm, extra=2, can_delete=True, max_num=50, absolute_max=60)


class TimeOffForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=AvailabilityException.Kind.choices)
    starts_at = forms.DateTimeField(
        label="From",
        widget=DateTimeInput,
        error_messages={"invalid": "Enter a date and time like 2027-01-04 09:00."},
    )
    ends_at = forms.DateTimeField(
        label="Until",
        widget=DateTimeInput,
        error_messages={"invalid": "Enter a date and time like 2027-01-04 17:00."},
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=200)


class ClosureForm(forms.Form):
    name = forms.CharField(label="Reason", max_length=200, help_text="E.g. Staff training, Summer break.")
    starts_on = forms.DateField(
        label="First closed day",
        widget=DateInput,
        error_messages={"invalid": "Enter a date like 2027-08-02."},
    )
    ends_on = forms.DateField(
        label="Last closed day (optional)",
        required=False,
        widget=DateInput,
        error_messages={"invalid": "Enter a date like 2027-08-13."},
    )


class HolidaysForm(forms.Form):
    year = forms.IntegerField(label="Year", min_value=2000, max_value=2100, error_messages=WHOLE)
