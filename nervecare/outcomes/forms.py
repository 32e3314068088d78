"""Forms for the outcome pages: the clinic filters and the re-evaluation decision."""

from django import forms
from django.utils.translation import gettext_lazy as _

from nervecare.clients.models import Condition
from nervecare.core.models import Therapist
from nervecare.outcomes.cohort import CohortFilters
from nervecare.outcomes.models import ReevaluationDecision
from nervecare.plans.models import CarePlan

MEASURE_CHOICES = [("pain", _("Pain")), ("numbness", _("Numbness")), ("tingling", _("Tingling"))]


class ClinicFilterForm(forms.Form):
    measure = forms.ChoiceField(label=_("Rating"), choices=MEASURE_CHOICES, required=False)
    type = forms.ChoiceField(
        label=_("Neuropathy type"), choices=[("", _("Any"))] + Condition.Type.choices, required=False
    )
    cause = forms.ChoiceField(
        label=_("Cause"), choices=[("", _("Any"))] + Condition.Cause.choices, required=False
    )
    modality = forms.ChoiceField(
        label=_("Modality"), choices=[("", _("Any"))] + CarePlan.Modality.choices, required=False
    )
    therapist = forms.TypedChoiceField(label=_("Therapist"), coerce=int, empty_value=None, required=False)

    def __init__(self, *args, clinic_id: int, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        therapists = Therapist.objects.filter(clinic_id=clinic_id).values_list("id", "display_name")
        self.fields["therapist"].choices = [("", _("Any"))] + list(therapists)

    def filters(self) -> CohortFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return CohortFilters(
            measure=data.get("measure") or "pain",
            type=data.get("type") or "",
            cause=data.get("cause") or "",
            modality=data.get("modality") or "",
            therapist_id=data.get("therapist"),
        )


class DecisionForm(forms.Form):
    plan_id = forms.IntegerField(widget=forms.HiddenInput)
    week = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Your decision"), choices=ReevaluationDecision.Decision.choices, widget=forms.RadioSelect
    )
    action = forms.ChoiceField(
        label=_("If overruled: what instead"),
        choices=[("", "—")] + ReevaluationDecision.Action.choices,
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason (needed when overruling)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
