"""The body map: vocabulary, pattern recognition and comparison between visits.

The patterns are hints for the therapist drawn from common neurology teaching (clinical-reference.md §4),
never a diagnosis.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nervecare.core.vocab import load_yaml

VOCAB_FILE = "clients/data/body_regions.yaml"


def vocabulary() -> dict[str, Any]:
    return load_yaml(VOCAB_FILE)


def regions() -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in vocabulary()["regions"]}


def sensations() -> dict[str, str]:
    return {s["code"]: s["label"] for s in vocabulary()["sensations"]}


@dataclass(frozen=True)
class Mark:
    region: str
    side: str
    sensation: str
    intensity: int


def _key(name: str) -> str:
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def _lookup(entries: list[dict[str, Any]]) -> dict[str, str]:
    """Every accepted spelling (code, alias, label, and the plural-less form of each) → code."""
    table: dict[str, str] = {}
    for entry in entries:
        for name in [entry["code"], entry["label"], *entry.get("aliases", [])]:
            table[_key(name)] = entry["code"]
    return table


def resolve_region(name: Any) -> str | None:
    table = _lookup(vocabulary()["regions"])
    key = _key(name) if isinstance(name, str) else ""
    return table.get(key) or (table.get(key[:-1]) if key.endswith("s") else None)


def resolve_sensation(name: Any) -> str | None:
    table = _lookup(vocabulary()["sensations"])
    key = _key(name) if isinstance(name, str) else ""
    return table.get(key) or (table.get(key[:-1]) if key.endswith("s") else None)


def validate_marks(raw_marks: Iterable[dict[str, Any]]) -> tuple[list[Mark], dict[str, str]]:
    """Check each mark against the vocabulary. Returns (marks, errors keyed by 'marks[i].field').

    Regions and sensations may be given by code, label or a listed alias ("feet", "pins and needles");
    side "both" records the left and the right."""
    known_regions = regions()
    marks: list[Mark] = []
    errors: dict[str, str] = {}
    seen: set[tuple[str, str, str]] = set()
    for i, raw in enumerate(raw_marks):
        prefix = f"marks[{i}]"
        if not isinstance(raw, dict):
            errors[prefix] = "each mark must be an object with region, side, sensation and intensity"
            continue
        region = resolve_region(raw.get("region"))
        side = raw.get("side")
        side = side.strip().lower() if isinstance(side, str) else side
        sensation = resolve_sensation(raw.get("sensation"))
        intensity = raw.get("intensity")
        if region is None:
            errors[f"{prefix}.region"] = (
                f"unknown body region {raw.get('region')!r}; expected one of {', '.join(known_regions)}"
            )
            continue
        sided = known_regions[region]["sided"]
        name = known_regions[region]["label"]
        if sided and side not in ("left", "right", "both", "bilateral"):
            errors[f"{prefix}.side"] = f"{name} needs a side: left, right or both"
        elif not sided and side not in (None, "", "midline"):
            errors[f"{prefix}.side"] = f"{name} is in the middle of the body; leave the side empty"
        if sensation is None:
            errors[f"{prefix}.sensation"] = (
                f"unknown sensation {raw.get('sensation')!r}; expected one of {', '.join(sensations())}"
            )
        if isinstance(intensity, bool) or not isinstance(intensity, int) or not 0 <= intensity <= 10:
            errors[f"{prefix}.intensity"] = "intensity must be a whole number from 0 to 10"
        if any(k.startswith(prefix) for k in errors):
            continue
        sides = ("left", "right") if side in ("both", "bilateral") else ((side,) if sided else ("midline",))
        for one_side in sides:
            key = (region, one_side, sensation)
            if key in seen:
                felt = sensations().get(sensation, sensation)
                errors[f"{prefix}.region"] = f"{felt} on the {one_side} {name.lower()} is marked twice"
                break
            seen.add(key)
            marks.append(Mark(region, one_side, sensation, intensity))
    return marks, errors


def _involved(marks: Iterable[Mark]) -> set[tuple[str, str]]:
    return {(m.region, m.side) for m in marks if m.intensity > 0}


def _limb_levels(involved: set[tuple[str, str]], limb: str) -> dict[str, set[int]]:
    vocab = regions()
    levels: dict[str, set[int]] = defaultdict(set)
    for region, side in involved:
        if vocab[region]["limb"] == limb:
            levels[side].add(vocab[region]["level"])
    return levels


def _distal_symmetric(levels: dict[str, set[int]]) -> bool:
    left, right = levels.get("left", set()), levels.get("right", set())
    return bool(left and right and 1 in left and 1 in right and abs(max(left) - max(right)) <= 1)


def recognise_pattern(marks: Iterable[Mark]) -> dict[str, Any]:
    """Name the pattern the map shows: length_dependent, focal, cranial, asymmetric, other or none."""
    marks = list(marks)
    involved = _involved(marks)
    if not involved:
        return {"pattern": "none", "label": "No symptoms marked", "referral_question": False, "notes": []}
    vocab = regions()
    limbs = {vocab[r]["limb"] for r, _ in involved}
    sides = {s for _, s in involved}
    legs = _limb_levels(involved, "leg")
    arms = _limb_levels(involved, "arm")
    notes: list[str] = []

    if limbs <= {"leg", "arm"} and _distal_symmetric(legs) and (not arms or _distal_symmetric(arms)):
        leg_reach = max(max(levels) for levels in legs.values())
        if arms and leg_reach < 3:
            notes.append("Hands are involved while the legs are affected only below the ankle: less typical.")
        return {
            "pattern": "length_dependent",
            "label": "Stocking-and-glove (length-dependent) pattern"
            if arms
            else "Stocking (length-dependent) pattern",
            "leg_level": leg_reach,
            "hands_involved": bool(arms),
            "referral_question": False,
            "notes": notes,
        }
    if limbs == {"face"} and len(sides) == 1:
        return {
            "pattern": "cranial",
            "label": f"One side of the face ({next(iter(sides))})",
            "referral_question": False,
            "notes": ["Consistent with a cranial nerve territory; sudden facial droop is a red flag."],
        }
    if len(sides) == 1 and len(limbs) == 1 and len(involved) <= 3:
        side = next(iter(sides))
        return {
            "pattern": "focal",
            "label": f"Focal: one {next(iter(limbs))}, {side} side",
            "referral_question": False,
            "notes": ["Consistent with one nerve's territory (e.g. median nerve at the wrist)."],
        }
    return {
        "pattern": "asymmetric",
        "label": "Asymmetric or patchy pattern",
        "referral_question": True,
        "notes": [
            "Asymmetric or non-length-dependent patterns deserve a question to the referring clinician."
        ],
    }


def compare(previous: Iterable[Mark], current: Iterable[Mark]) -> dict[str, Any]:
    """What changed between two maps: new, resolved and changed sensations, and whether the pattern moved."""
    prev = {(m.region, m.side, m.sensation): m.intensity for m in previous if m.intensity > 0}
    curr = {(m.region, m.side, m.sensation): m.intensity for m in current if m.intensity > 0}

    def row(key: tuple[str, str, str], before: int | None, after: int | None) -> dict[str, Any]:
        region, side, sensation = key
        return {"region": region, "side": side, "sensation": sensation, "before": before, "after": after}

    new = [row(k, None, curr[k]) for k in sorted(curr.keys() - prev.keys())]
    resolved = [row(k, prev[k], None) for k in sorted(prev.keys() - curr.keys())]
    changed = [row(k, prev[k], curr[k]) for k in sorted(curr.keys() & prev.keys()) if prev[k] != curr[k]]
    prev_marks = [Mark(r, s, x, i) for (r, s, x), i in prev.items()]
    curr_marks = [Mark(r, s, x, i) for (r, s, x), i in curr.items()]
    before_pattern = recognise_pattern(prev_marks)
    after_pattern = recognise_pattern(curr_marks)
    spread = _max_leg_level(curr_marks) - _max_leg_level(prev_marks)
    return {
        "new": new,
        "resolved": resolved,
        "changed": changed,
        "unchanged": len([k for k in curr.keys() & prev.keys() if prev[k] == curr[k]]),
        "pattern_before": before_pattern["pattern"],
        "pattern_after": after_pattern["pattern"],
        "leg_spread_levels": spread,
        "referral_question": after_pattern["referral_question"] or spread >= 2,
    }


def _max_leg_level(marks: list[Mark]) -> int:
    levels = _limb_levels(_involved(marks), "leg")
    return max((max(v) for v in levels.values() if v), default=0)
