"""Forms of the plan pages. They parse and check types; the services hold the clinical rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from nervecare.plans.models import CarePlan


class PlanEditForm(forms.Form):
    """Every part of the plan the therapist may change; the reason is required and logged."""

    modality = forms.ChoiceField(choices=CarePlan.Modality.choices)
    scope = forms.ChoiceField(choices=CarePlan.Scope.choices)
    pressure = forms.ChoiceField(choices=CarePlan.Pressure.choices)
    session_minutes = forms.IntegerField(min_value=15, max_value=120, label=_("Session length (minutes)"))
    sessions_per_week = forms.IntegerField(min_value=1, max_value=7, label=_("Sessions per week"))
    course_weeks = forms.IntegerField(min_value=1, max_value=52, label=_("Course length (weeks)"))
    reevaluation_weeks = forms.CharField(label=_("Re-evaluation weeks (comma-separated)"))
    therapist_id = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Therapist"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Why change the plan?"))

    FIELDS = (
        "modality",
        "scope",
        "pressure",
        "session_minutes",
        "sessions_per_week",
        "course_weeks",
        "reevaluation_weeks",
        "therapist_id",
    )

    def __init__(self, *args, plan: CarePlan, therapists=(), **kwargs):
        initial = {f: getattr(plan, f) for f in self.FIELDS}
        initial["reevaluation_weeks"] = ", ".join(str(w) for w in plan.reevaluation_weeks)
        super().__init__(*args, initial=initial, **kwargs)
        self.plan = plan
        self.fields["therapist_id"].choices = [("", "—")] + [(t.id, t.display_name) for t in therapists]

    def clean_reevaluation_weeks(self):
        try:
            return [int(w) for w in self.cleaned_data["reevaluation_weeks"].split(",") if w.strip()]
        except ValueError:
            raise forms.ValidationError(_("Write week numbers separated by commas, e.g. 4, 8, 12.")) from None

    def changes(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.FIELDS if getattr(self.plan, f) != self.cleaned_data[f]}
