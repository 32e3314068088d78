"""Forms for the note pages. They parse and check types; the services hold the clinical rules."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nervecare.clients import bodymap
from nervecare.plans.models import CarePlan
from nervecare.visits.models import CLAIM_FIELDS, RATING_FIELDS, AdverseEvent, SessionNote

RATING_LABELS = {
    "pain_before": _("Pain before (0–10)"),
    "pain_after": _("Pain after (0–10)"),
    "numbness_before": _("Numbness before (0–10)"),
    "numbness_after": _("Numbness after (0–10)"),
    "tingling_before": _("Tingling before (0–10)"),
    "tingling_after": _("Tingling after (0–10)"),
    "soreness_after": _("Soreness after the session (0–10)"),
    "stress_before": _("Stress before (0–10)"),
    "stress_after": _("Stress after (0–10)"),
}
NOTE_LABELS = {
    "modality": _("Modality"),
    "pressure": _("Pressure"),
    "minutes": _("Minutes"),
    "areas_treated": _("Areas treated"),
    "subjective": _("Subjective"),
    "objective": _("Objective"),
    "assessment": _("Assessment"),
    "plan": _("Plan"),
    **RATING_LABELS,
    "falls_since_last_visit": _("Falls since the last visit"),
    "next_session_plan": _("Plan for next time"),
}
# Fields the amendment form can correct one at a time (areas are corrected through the API or in words).
AMENDABLE_ON_PAGE = tuple((name, label) for name, label in NOTE_LABELS.items() if name != "areas_treated")
INTEGER_FIELDS = {*RATING_FIELDS, *CLAIM_FIELDS, "minutes"}


def _rating(label: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"min": 0, "max": 10}),
    )


def _text(label: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    modality = forms.ChoiceField(label=_("Modality"), choices=CarePlan.Modality.choices)
    pressure = forms.ChoiceField(
        label=_("Pressure"), choices=[("", "—"), *CarePlan.Pressure.choices], required=False
    )
    minutes = forms.IntegerField(
        label=_("Minutes"),
        required=False,
        min_value=1,
        max_value=240,
        widget=forms.NumberInput(attrs={"min": 1, "max": 240}),
    )
    subjective = _text(_("Subjective (what the client says)"))
    objective = _text(_("Objective (what you found)"))
    assessment = _text(_("Assessment"))
    plan = _text(_("Plan"))
    pain_before = _rating(RATING_LABELS["pain_before"])
    pain_after = _rating(RATING_LABELS["pain_after"])
    numbness_before = _rating(RATING_LABELS["numbness_before"])
    numbness_after = _rating(RATING_LABELS["numbness_after"])
    tingling_before = _rating(RATING_LABELS["tingling_before"])
    tingling_after = _rating(RATING_LABELS["tingling_after"])
    soreness_after = _rating(RATING_LABELS["soreness_after"])
    stress_before = _rating(RATING_LABELS["stress_before"])
    stress_after = _rating(RATING_LABELS["stress_after"])
    falls_since_last_visit = forms.IntegerField(
        label=_("Falls since the last visit (ask the client)"),
        required=False,
        min_value=0,
        max_value=50,
        widget=forms.NumberInput(attrs={"min": 0, "max": 50}),
    )
    next_session_plan = _text(_("Plan for next time"))

    TREATMENT = ("modality", "pressure", "minutes")
    SOAP = ("subjective", "objective", "assessment", "plan")
    RATINGS = tuple(RATING_LABELS)

    def __init__(self, *args: Any, ask_falls: bool = True, **kwargs: Any) -> None:
        """`ask_falls`: whether falls concern this client (screening/data/measures.yaml); if not, not asked."""
        super().__init__(*args, **kwargs)
        if not ask_falls:
            del self.fields["falls_since_last_visit"]

    def treatment_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.TREATMENT]

    def rating_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.RATINGS]

    def soap_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.SOAP]

    @classmethod
    def initial_for(
        cls, note: SessionNote | None, modality: str, template: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A draft's values; a new note starts from the plan's template (visits.selectors.note_template)."""
        if note is None:
            template = template or {}
            start = {"modality": template.get("modality") or modality}
            start.update({k: template[k] for k in ("pressure", "minutes") if template.get(k)})
            return start
        return {name: getattr(note, name) for name in cls.base_fields}

    def rating_pairs(self) -> list[dict[str, Any]]:
        """The 0-10 ratings as before/after pairs, side by side on the page (soreness has only "after")."""
        pairs = []
        for measure, label in (
            ("pain", _("Pain")),
            ("numbness", _("Numbness")),
            ("tingling", _("Tingling")),
            ("soreness", _("Soreness")),
            ("stress", _("Stress")),
        ):
            before = self[f"{measure}_before"] if f"{measure}_before" in self.fields else None
            pairs.append({"label": label, "before": before, "after": self[f"{measure}_after"]})
        return pairs

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}


def shown(name: str, value: Any) -> Any:
    """A note field's value as people read it (region labels, choice labels, "—" for nothing)."""
    if name == "areas_treated":
        regions, sides = bodymap.regions(), dict(SessionNote.Side.choices)
        value = ", ".join(
            f"{regions.get(a.get('region'), {}).get('label', a.get('region'))} ({sides.get(a.get('side'), a.get('side'))})"
            for a in value or []
            if isinstance(a, dict)
        )
    elif name == "modality":
        value = dict(CarePlan.Modality.choices).get(value, value)
    elif name == "pressure":
        value = dict(CarePlan.Pressure.choices).get(value, value)
    return "—" if value in (None, "") else value


def note_rows(values: dict[str, Any], amended: set[str]) -> list[dict[str, Any]]:
    """The note's content as (label, value shown, amended?) rows for the read-only page."""
    return [
        {"name": name, "label": label, "value": shown(name, values.get(name)), "amended": name in amended}
        for name, label in NOTE_LABELS.items()
    ]


def amendment_rows(amendments: Any) -> list[dict[str, Any]]:
    """Each amendment with its changes as (label, before, after) for the page."""
    return [
        {
            "amendment": a,
            "changes": [
                {"label": NOTE_LABELS.get(name, name), "old": shown(name, old), "new": shown(name, new)}
                for name, (old, new) in a.changes.items()
            ],
        }
        for a in amendments
    ]


def area_choices() -> list[tuple[str, str]]:
    """Every place a session can treat, as "region:side" (the body map's shapes carry the same values)."""
    out: list[tuple[str, str]] = []
    for code, region in bodymap.regions().items():
        if region.get("sided"):
            out += [
                (f"{code}:right", f"{region['label']}, right"),
                (f"{code}:left", f"{region['label']}, left"),
            ]
        else:
            out.append((f"{code}:midline", str(region["label"])))
    return out


class AreasForm(forms.Form):
    """Areas treated: tapped on the body map or ticked in the list beside it (one field, the same values)."""

    areas_treated = forms.MultipleChoiceField(
        label=_("Areas treated"), choices=area_choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def areas(self) -> list[dict[str, str]]:
        """The ticked places as the service takes them; a region ticked on both sides is "both"."""
        sides: dict[str, list[str]] = {}
        for value in self.cleaned_data.get("areas_treated") or []:
            region, _sep, side = value.partition(":")
            sides.setdefault(region, []).append(side)
        return [
            {"region": region, "side": "both" if {"left", "right"} <= set(found) else found[0]}
            for region, found in sides.items()
        ]


def area_initial(areas: list[dict[str, str]]) -> dict[str, list[str]]:
    """A note's stored areas as the ticks of AreasForm ("both" ticks the left and the right)."""
    values = []
    for a in areas or []:
        side = a.get("side", "")
        for one in ("right", "left") if side == "both" else (side,):
            values.append(f"{a.get('region', '')}:{one}")
    return {"areas_treated": values}


class AdverseEventForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=AdverseEvent.Kind.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=AdverseEvent.Severity.choices)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}))
    follow_up = forms.CharField(
        label=_("Follow-up"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    resolved = forms.BooleanField(label=_("Resolved"), required=False)


class AdverseEventFollowUpForm(forms.Form):
    follow_up = forms.CharField(
        label=_("Follow-up"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    resolved = forms.BooleanField(label=_("Resolved"), required=False)


class AmendmentForm(forms.Form):
    reason = forms.CharField(label=_("Why amend?"), max_length=2000)
    field = forms.ChoiceField(
        label=_("Correct this part (optional)"), choices=[("", "—"), *AMENDABLE_ON_PAGE], required=False
    )
    value = forms.CharField(label=_("Corrected value"), required=False, max_length=20_000)
    text = forms.CharField(
        label=_("Addendum (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        name, value = data.get("field"), (data.get("value") or "").strip()
        changes: dict[str, Any] = {}
        if name:
            if name in INTEGER_FIELDS:
                if value == "":
                    changes[name] = None
                elif value.lstrip("-").isdigit():
                    changes[name] = int(value)
                else:
                    self.add_error("value", _("Enter a whole number."))
            else:
                changes[name] = value
        elif value:
            self.add_error("field", _("Choose the part of the note the corrected value is for."))
        data["changes"] = changes
        return data


class PhysicalMeasureForm(forms.Form):
    """A goniometer reading or a Timed Up and Go; the service checks the ranges (screening/data/measures.yaml)."""

    measurement = forms.ChoiceField(label=_("Measurement"), choices=())
    context = forms.ChoiceField(
        label=_("When"), choices=[("baseline", _("Baseline")), ("reevaluation", _("Re-evaluation"))]
    )
    side = forms.ChoiceField(
        label=_("Side (joints)"),
        choices=[("", "—"), ("left", _("Left")), ("right", _("Right"))],
        required=False,
    )
    mode = forms.ChoiceField(
        label=_("Active or passive (joints)"),
        choices=[("", "—"), ("active", _("Active")), ("passive", _("Passive"))],
        required=False,
    )
    reading = forms.DecimalField(
        label=_("Reading (degrees, or seconds for the Timed Up and Go)"), max_digits=5, decimal_places=1
    )
    walking_aid = forms.BooleanField(label=_("Timed Up and Go done with a walking aid"), required=False)

    def __init__(self, *args: Any, kinds: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measurement"].choices = list(kinds.items())
