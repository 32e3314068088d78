"""The care-plan recommendation: from intake, body map, screenings and flags to a proposed plan with reasons.

Pure functions over plain inputs, so every branch is testable without a database.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nervecare.clients import bodymap
from nervecare.core.vocab import load_yaml

PRESSURE_ORDER = ["light", "moderate", "firm"]
# Safety rules whose flag means a cancer treatment: the therapist needs oncology-massage training.
ONCOLOGY_FLAGS = {"vascular_access_device", "radiation_surgery_tumour", "lymphedema_risk", "low_platelets"}
WHOLE_AREAS = {"whole body", "feet", "foot", "leg"}


def plan_data() -> dict[str, Any]:
    return load_yaml("plans/data/plan_defaults.yaml")


@dataclass
class FlagView:
    """What the recommender needs of a flag (open SafetyFlag or a fired rule)."""

    rule_id: str
    level: str
    area: str
    title: str
    actions: list[str]
    effects: dict[str, Any]
    applies_to: list[str] = field(default_factory=list)


@dataclass
class TherapistView:
    id: int
    name: str
    years_experience: int
    certifications: list[str]  # those valid when the course starts
    is_primary: bool = False
    # The last valid day of each certification above that expires ({code: date}; absent = does not expire).
    expires: dict[str, datetime.date] = field(default_factory=dict)


def _scope(
    conditions: list[dict[str, Any]], marks: list[bodymap.Mark], flags: list[FlagView]
) -> tuple[str, str]:
    types = {c["type"] for c in conditions}
    involved = [m for m in marks if m.intensity > 0]
    vocab = bodymap.regions()
    if involved:
        pattern = bodymap.recognise_pattern(involved)
        limbs = {vocab[m.region]["limb"] for m in involved}
        top_level = max(vocab[m.region]["level"] for m in involved)
        if limbs <= {"leg", "arm"} and top_level <= 3:
            why = f"symptoms are in the {'hands and feet' if limbs == {'leg', 'arm'} else ('feet and legs' if limbs == {'leg'} else 'hands and arms')}"
            if pattern["pattern"] == "length_dependent":
                why += f" in a {pattern['label'].lower()}"
            return "hand_and_foot", f"Hand-and-foot: {why}, no higher than the shins or forearms."
        if pattern["pattern"] in {"focal", "cranial"} and not any(
            f.rule_id == "trigeminal_neuralgia" for f in flags
        ):
            return "focal", f"Focal: {pattern['label'].lower()}."
        return "full_body", "Full-body: symptoms reach beyond the hands and feet."
    if types <= {"peripheral"}:
        return (
            "hand_and_foot",
            "Hand-and-foot: peripheral neuropathy usually starts in the feet and hands (no body map yet).",
        )
    if types <= {"focal", "cranial"} and not any(f.rule_id == "trigeminal_neuralgia" for f in flags):
        return "focal", "Focal: the neuropathy is confined to one nerve's territory (no body map yet)."
    return "full_body", "Full-body: the neuropathy is widespread or autoimmune (no body map yet)."


def avoid_areas_for(flags: Iterable[Any]) -> list[str]:
    """Areas the plan must avoid: the named areas of modify, stop and clearance flags (not a limb that only
    needs lighter pressure, and not a flag that concerns another modality)."""
    return sorted(
        {
            f.area
            for f in flags
            if f.level in {"modify", "stop", "clearance"}
            and f.area
            and f.area not in WHOLE_AREAS
            and not f.applies_to
            and not f.effects.get("max_pressure_in_area")
        }
    )


def precautions_for(flags: Iterable[Any]) -> list[str]:
    """The actions of every modify and caution flag, in order, once each."""
    precautions: list[str] = []
    for f in flags:
        if f.level in {"modify", "caution"}:
            for action in f.actions:
                if action not in precautions:
                    precautions.append(action)
    return precautions


def recommend(
    *,
    conditions: list[dict[str, Any]],
    marks: list[bodymap.Mark],
    flags: list[FlagView],
    has_lymphedema: bool,
    baseline_instruments: Iterable[str],
    therapists: list[TherapistView],
    starts_on: datetime.date | None = None,
    course_weeks: int | None = None,
) -> dict[str, Any]:
    """A proposed plan and the reasons for each choice, plus the clinic's therapists ranked by fit. A course
    starting on `starts_on` and lasting `course_weeks` (default: the proposal's) tells which therapists'
    required training expires during it."""
    data = plan_data()
    defaults = data["defaults"]
    rationale: list[str] = []
    causes = {c["cause"] for c in conditions}

    scope, why_scope = _scope(conditions, marks, flags)
    rationale.append(why_scope)
    modality = _modality(flags, has_lymphedema, rationale)
    pressure = _pressure(flags, defaults["pressure"], rationale)
    avoid_areas = avoid_areas_for(flags)
    if avoid_areas:
        rationale.append(f"Avoid: {', '.join(avoid_areas)}.")
    for f in flags:
        cap = f.effects.get("max_pressure_in_area")
        if cap and f.area:
            # The area is the at-risk limb in words ("left arm", "both arms and both legs").
            rationale.append(
                f"{cap.capitalize()} pressure only on the at-risk limb: {f.area} ({f.title.lower()})."
            )
    precautions = precautions_for(flags)
    certifications = _certifications(modality, causes, flags, rationale)
    min_years = _min_years(data["experience"], flags, certifications, rationale)
    measures = _measures(data["outcome_measures"], set(baseline_instruments))
    rationale.append(
        f"{defaults['session_minutes']}-minute sessions, {defaults['sessions_per_week']} a week for "
        f"{defaults['course_weeks']} weeks, re-evaluated at weeks "
        f"{', '.join(str(w) for w in defaults['reevaluation_weeks'])}."
    )
    weeks = course_weeks or defaults["course_weeks"]
    ranking = rank_therapists(
        therapists,
        certifications=certifications,
        min_years=min_years,
        causes=causes,
        types={c["type"] for c in conditions},
        course_end=starts_on + datetime.timedelta(weeks=weeks, days=-1) if starts_on else None,
    )
    return {
        "modality": modality,
        "scope": scope,
        "pressure": pressure,
        "session_minutes": defaults["session_minutes"],
        "sessions_per_week": defaults["sessions_per_week"],
        "course_weeks": defaults["course_weeks"],
        "reevaluation_weeks": list(defaults["reevaluation_weeks"]),
        "outcome_measures": measures,
        "avoid_areas": avoid_areas,
        "precautions": precautions,
        "required_min_years": min_years,
        "required_certifications": certifications,
        "rationale": rationale,
        "therapist_ranking": ranking,
    }


def _modality(flags: list[FlagView], has_lymphedema: bool, rationale: list[str]) -> str:
    """MLD for lymphedema unless a flag rules it out, else Swedish massage."""
    excluded = {m for f in flags for m in f.effects.get("exclude_modalities", [])}
    if has_lymphedema and "mld" not in excluded:
        rationale.append("Manual lymphatic drainage: lymphedema is present and nothing rules MLD out.")
        return "mld"
    if has_lymphedema:
        rationale.append("Swedish massage: lymphedema is present but MLD is contraindicated now.")
    else:
        rationale.append("Swedish massage: the default for neuropathy symptoms.")
    return "swedish"


def _pressure(flags: list[FlagView], default: str, rationale: list[str]) -> str:
    """The lightest of the default pressure and every flag's cap."""
    caps = {f.title.lower(): f.effects["max_pressure"] for f in flags if f.effects.get("max_pressure")}
    pressure = min([default, *caps.values()], key=PRESSURE_ORDER.index)
    limiting = sorted(title for title, cap in caps.items() if cap == pressure)
    if limiting:
        rationale.append(f"{pressure.capitalize()} pressure because of: {', '.join(limiting)}.")
    else:
        rationale.append(f"{pressure.capitalize()} pressure: no flag limits pressure.")
    return pressure


def _certifications(
    modality: str, causes: set[str], flags: list[FlagView], rationale: list[str]
) -> list[str]:
    """The training the therapist needs: MLD for MLD, oncology massage for cancer-related cases."""
    certifications: list[str] = []
    if modality == "mld":
        certifications.append("mld")
    if "chemotherapy" in causes or any(f.rule_id in ONCOLOGY_FLAGS for f in flags):
        certifications.append("oncology_massage")
        rationale.append(
            "Oncology-massage training: chemotherapy-related neuropathy or cancer-treatment precautions."
        )
    return certifications


def _min_years(
    exp: dict[str, int], flags: list[FlagView], certifications: list[str], rationale: list[str]
) -> int:
    """The therapist's least years of experience for the case's flags and training (plan_defaults.yaml)."""
    levels = [f.level for f in flags]
    min_years = exp["base"]
    if levels:
        min_years = max(min_years, exp["any_modify_or_caution"])
    if "clearance" in levels:
        min_years = max(min_years, exp["clearance_history"])
    if sum(1 for level in levels if level == "modify") >= 3:
        min_years = max(min_years, exp["three_or_more_modify"])
    if "oncology_massage" in certifications:
        min_years = max(min_years, exp["oncology"])
    if min_years:
        rationale.append(
            f"At least {min_years} years of experience for a case with {len(flags)} safety flag(s)."
        )
    return min_years


def _measures(outcome_measures: list[dict[str, Any]], baseline: set[str]) -> list[dict[str, Any]]:
    """The outcome measures to repeat; some only when they were taken at baseline."""
    return [
        {"instrument": m["instrument"], "when": m["when"]}
        for m in outcome_measures
        if not m.get("only_if_baseline")
        or m["instrument"] in baseline
        or (m["instrument"] == "dn4_interview" and "dn4" in baseline)
    ]


def _years(n: int) -> str:
    return f"{n} year" if n == 1 else f"{n} years"


def rank_therapists(
    therapists: list[TherapistView],
    *,
    certifications: list[str],
    min_years: int,
    causes: set[str],
    types: set[str],
    course_end: datetime.date | None = None,
) -> list[dict[str, Any]]:
    """Eligible therapists first (those whose required training lasts the whole course before those whose
    training expires during it, up to `course_end`: said in the reasons); then by helpful extra training,
    then experience."""
    helpful = set()
    if causes & {"diabetes_t1", "diabetes_t2"}:
        helpful.add("diabetic_foot")
    if "autoimmune" in types or "autoimmune" in causes:
        helpful.add("neuro_rehab")
    if "chemotherapy" in causes:
        helpful.add("oncology_massage")
    ranked = []
    named = {q["code"]: q["label"] for q in plan_data()["qualifications"]}

    def words(codes: list[str]) -> str:
        return ", ".join(named.get(c, c).lower() for c in codes)

    for t in therapists:
        missing = [c for c in certifications if c not in t.certifications]
        reasons = []
        if missing:
            reasons.append(f"missing training: {words(missing)}")
        lapsing = {
            c: t.expires[c]
            for c in certifications
            if c not in missing and c in t.expires and course_end is not None and t.expires[c] < course_end
        }
        for code, last_day in lapsing.items():
            reasons.append(
                f"{words([code])} training expires during the course (valid until {last_day:%d %B %Y}): "
                "sessions after that day cannot be booked with this therapist until it is renewed"
            )
        if t.years_experience < min_years:
            reasons.append(f"{_years(t.years_experience)} of experience, {min_years} needed")
        extras = sorted(helpful & set(t.certifications))
        if extras:
            reasons.append(f"helpful training: {words(extras)}")
        if t.is_primary:
            reasons.append("the client's usual therapist")
        ranked.append(
            {
                "therapist_id": t.id,
                "name": t.name,
                "eligible": not missing and t.years_experience >= min_years,
                "years_experience": t.years_experience,
                "certifications": t.certifications,
                "expires_during_course": {c: d.isoformat() for c, d in lapsing.items()},
                "reasons": reasons,
                "_key": (
                    not missing and t.years_experience >= min_years,
                    not lapsing,
                    t.is_primary,
                    len(extras),
                    t.years_experience,
                ),
            }
        )
    ranked.sort(key=lambda r: r["_key"], reverse=True)
    for r in ranked:
        del r["_key"]
    return ranked
