"""The therapist's forms: propose a trial, record a paper or verbal consent, end a trial."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from nervecare.trials.models import Trial, TrialConsent


class ProposeForm(forms.Form):
    comparison = forms.ChoiceField(label=_("What is compared"), choices=Trial.Comparison.choices)
    measure = forms.ChoiceField(label=_("Symptom the client rates"), choices=Trial.Measure.choices)
    phases = forms.TypedChoiceField(
        label=_("Phases"), coerce=int, choices=[(4, "A-B-A-B"), (6, "A-B-A-B-A-B")], initial=4
    )
    weeks_total = forms.IntegerField(label=_("Weeks in all"), min_value=1, max_value=52, initial=16)
    min_phase_weeks = forms.IntegerField(
        label=_("Shortest phase (weeks)"), min_value=1, max_value=52, initial=2
    )
    rating_every_days = forms.TypedChoiceField(
        label=_("Diary rating"),
        coerce=int,
        choices=[(1, _("every day")), (2, _("every other day"))],
        initial=1,
    )
    start_date = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    randomise_first = forms.BooleanField(label=_("Draw which condition comes first too"), required=False)

    def __init__(self, *args: object, today: dt.date | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if today is not None:
            self.fields["start_date"].initial = today + dt.timedelta(days=7 - today.weekday())


class ConsentForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How the client agreed"),
        choices=[c for c in TrialConsent.Method.choices if c[0] != TrialConsent.Method.ELECTRONIC],
    )
    text_version = forms.CharField(widget=forms.HiddenInput, max_length=20)


class EndForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the trial ends"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )
    pause_refused = forms.BooleanField(label=_("I say no to the pause (safety)"), required=False)
