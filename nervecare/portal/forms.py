"""Portal forms: large, plain, one question at a time where it helps."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nervecare.core.bounds import HistoryDateField

RATING_CHOICES = [(i, str(i)) for i in range(11)]


class DiaryForm(forms.Form):
    """The daily diary. Sleep is asked once, as the claims' "How well did you sleep?" (DIARY_CLAIM_FIELDS); the
    older "how much did symptoms disturb your sleep?" is no longer asked (its answers are kept)."""

    day = HistoryDateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    pain = forms.TypedChoiceField(
        label=_("Pain (0 = none, 10 = worst)"), choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    numbness = forms.TypedChoiceField(
        label=_("Numbness (0 = none, 10 = worst)"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    tingling = forms.TypedChoiceField(
        label=_("Tingling (0 = none, 10 = worst)"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Anything else? (one line, optional)"), max_length=200, required=False)

    def __init__(self, *args: Any, claim_fields: list[str] | tuple[str, ...] = (), **kwargs: Any) -> None:
        """`claim_fields`: the claims' optional questions asked of this client (screening.measures)."""
        super().__init__(*args, **kwargs)
        self.claim_field_names = [name for name in DIARY_CLAIM_FIELDS if name in claim_fields]
        for name in self.claim_field_names:
            self.fields[name] = DIARY_CLAIM_FIELDS[name]()


def _optional_rating(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


# The claims' diary questions (issue 21), each asked only where it applies (screening/data/measures.yaml).
DIARY_CLAIM_FIELDS: dict[str, Any] = {
    "sleep_quality": lambda: _optional_rating(_("How well did you sleep? (0 = very badly, 10 = very well)")),
    "cramp_count": lambda: forms.IntegerField(
        label=_("How many muscle cramps did you have today? (0 if none)"),
        required=False,
        min_value=0,
        max_value=50,
        widget=forms.NumberInput(attrs={"min": 0, "max": 50, "inputmode": "numeric"}),
    ),
    "cramp_worst": lambda: _optional_rating(_("How bad was your worst cramp today? (0 = none, 10 = worst)")),
    "headache": lambda: forms.TypedChoiceField(
        label=_("Did you have a headache today?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    ),
    "joint_pain": lambda: _optional_rating(_("Arthritis joint pain today (0 = none, 10 = worst)")),
}


OPTIONAL_RATING = [("", _("Not sure / skip"))] + [(str(i), str(i)) for i in range(11)]

# The condition in plain words; the codes are clients.models.Condition's.
TYPE_CHOICES = [
    ("", _("I don't know")),
    ("peripheral", _("In the hands and feet, or widespread (peripheral neuropathy)")),
    ("focal", _("In one place, for example a trapped nerve (focal neuropathy)")),
    ("cranial", _("In the face or head (cranial neuropathy)")),
    ("autoimmune", _("Caused by the immune system, for example CIDP or Guillain–Barré (autoimmune)")),
]
CAUSE_CHOICES = [
    ("unknown", _("I don't know")),
    ("diabetes_t1", _("Diabetes type 1")),
    ("diabetes_t2", _("Diabetes type 2")),
    ("chemotherapy", _("Chemotherapy")),
    ("injury", _("An injury or a trapped nerve")),
    ("infection", _("An infection or illness (for example shingles)")),
    ("autoimmune", _("An autoimmune disease")),
    ("hereditary", _("It runs in the family")),
    ("alcohol", _("Alcohol")),
    ("b12_deficiency", _("Low vitamin B12")),
]
SYMPTOM_LABELS = {
    "numbness": _("Numbness"),
    "pain": _("Pain"),
    "tingling": _("Tingling or pins and needles"),
    "burning": _("Burning"),
    "cramps": _("Cramps"),
    "weakness": _("Weakness"),
    "balance": _("Trouble with balance"),
}
MEDICAL_LABELS = {
    "foot_wound_or_ulcer": _("I have a wound or ulcer on a foot or leg"),
    "foot_red_warm_swollen": _("A foot is red, warm or swollen, or has changed shape"),
    "skin_infection": _("I have a skin infection now"),
    "dvt_history": _("I have had a blood clot in a vein (DVT)"),
    "dvt_signs_now": _("One calf is swollen, painful or warm now"),
    "on_anticoagulants": _("I take blood thinners"),
    "bleeding_disorder": _("I bruise or bleed easily, or have a bleeding disorder"),
    "in_chemotherapy": _("I am having chemotherapy now, or had it in the last 3 months"),
    "lymph_nodes_removed": _("I had lymph nodes removed"),
    "lymphedema": _("I have lymphedema (swelling after lymph node treatment)"),
    "radiation": _("I have had radiotherapy"),
    "recent_surgery": _("I had surgery in the last 3 months"),
    "fever_or_infection": _("I have a fever or an infection now"),
    "pregnant": _("I am pregnant"),
    "weakness_worsening_fast": _("My weakness is getting worse quickly"),
    "breathing_or_swallowing_trouble": _("I have trouble breathing or swallowing"),
    "new_bladder_bowel_problems": _("I have new problems controlling my bladder or bowels"),
    "sudden_facial_droop": _("One side of my face drooped suddenly"),
}


class ClientIntakeForm(forms.Form):
    """The client's own intake, in plain words. What it means clinically is decided by clients.services."""

    type = forms.ChoiceField(
        label=_("What kind of neuropathy is it, if you know?"), choices=TYPE_CHOICES, required=False
    )
    cause = forms.ChoiceField(label=_("What caused it, as far as you know?"), choices=CAUSE_CHOICES)
    chemotherapy_agent = forms.CharField(
        label=_("If chemotherapy: the name of the medicine (for example oxaliplatin)"),
        max_length=100,
        required=False,
    )
    onset_date = HistoryDateField(
        label=_("When did it start? (roughly is fine)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    medications = forms.CharField(
        label=_("Medicines you take (one per line)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    comorbidities = forms.CharField(
        label=_("Other health conditions (one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    platelets_per_ul = forms.IntegerField(
        label=_("Your latest platelet count, if you know it (per µL, for example 150000)"),
        min_value=0,
        max_value=2_000_000,
        required=False,
    )
    labs_date = HistoryDateField(
        label=_("Date of that blood test"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lymphedema_site = forms.CharField(label=_("Where is the lymphedema?"), max_length=200, required=False)
    foot_wound_site = forms.CharField(label=_("Where is the wound?"), max_length=100, required=False)
    foot_red_warm_swollen_side = forms.ChoiceField(
        label=_("If a foot is red, warm, swollen or has changed shape: which foot?"),
        choices=[("", _("I am not sure")), ("left", _("Left")), ("right", _("Right")), ("both", _("Both"))],
        required=False,
    )
    goals = forms.CharField(
        label=_("What would you like massage to help with?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, label in SYMPTOM_LABELS.items():
            self.fields[name] = forms.TypedChoiceField(
                label=label, choices=OPTIONAL_RATING, coerce=int, empty_value=None, required=False
            )
        for name, label in MEDICAL_LABELS.items():
            self.fields[name] = forms.BooleanField(label=label, required=False)

    def symptom_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in SYMPTOM_LABELS]

    def medical_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in MEDICAL_LABELS]

    def condition_data(self) -> dict:
        """The condition as the client described it; its type is "" when they do not know it."""
        data = self.cleaned_data
        condition = {"type": data.get("type") or "", "cause": data["cause"]}
        if data.get("chemotherapy_agent"):
            condition["chemotherapy_agent"] = data["chemotherapy_agent"]
        if data.get("onset_date"):
            condition["onset_date"] = data["onset_date"]
        for name in SYMPTOM_LABELS:
            if data.get(name) is not None:
                condition[name] = data[name]
        return condition

    def medical_data(self) -> dict:
        data = self.cleaned_data
        medical = {name: True for name in MEDICAL_LABELS if data.get(name)}
        for name in (
            "platelets_per_ul",
            "labs_date",
            "lymphedema_site",
            "foot_wound_site",
            "foot_red_warm_swollen_side",
        ):
            if data.get(name) not in (None, ""):
                medical[name] = data[name]
        return medical

    def lines(self, name: str) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get(name, "").splitlines() if line.strip()]
