"""Lymph-node sites (clients/data/lymph_nodes.yaml) and the at-risk limbs they imply.

clinical-reference.md §2: axillary nodes → the arm on that side; inguinal or pelvic nodes → the leg on that
side; both sides when both. The record stores "<site>_<side>" codes; the safety rule reads the limbs from here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from nervecare.core.vocab import load_yaml

DATA_FILE = "clients/data/lymph_nodes.yaml"


@cache
def vocabulary() -> dict[str, Any]:
    return load_yaml(DATA_FILE)


def sites() -> dict[str, dict[str, Any]]:
    return {s["code"]: s for s in vocabulary()["sites"]}


def codes() -> list[str]:
    """Every code a record may hold, site by site (left first)."""
    return [f"{site}_{side}" for site in sites() for side in vocabulary()["sides"]]


def choices() -> list[tuple[str, str]]:
    """(code, label) for forms: 'Left armpit (axillary nodes)'."""
    out = []
    for code, site in sites().items():
        for side in vocabulary()["sides"]:
            label = site["label"]
            out.append((f"{code}_{side}", f"{side.capitalize()} {label[0].lower()}{label[1:]}"))
    return out


def invalid(values: Any) -> bool:
    return not isinstance(values, list) or not all(isinstance(v, str) and v in codes() for v in values)


def _plural(limb: str) -> str:
    return {"arm": "arms", "leg": "legs"}.get(limb, limb)


def at_risk_area(values: list[str]) -> str:
    """The at-risk limbs in words: 'left arm', 'both arms', 'left arm and right leg', or '' for none.

    Order follows the vocabulary (arms before legs); a limb at risk on both sides is named once."""
    by_limb: dict[str, set[str]] = {}
    known = sites()
    for value in values:
        site, _sep, side = value.rpartition("_")
        if site in known:
            by_limb.setdefault(known[site]["at_risk"], set()).add(side)
    parts = []
    for limb, sides in by_limb.items():
        if sides >= {"left", "right"}:
            parts.append(f"both {_plural(limb)}" if limb in {"arm", "leg"} else f"{limb} (both sides)")
        else:
            (side,) = sides
            parts.append(f"{side} {limb}" if limb in {"arm", "leg"} else f"{limb} ({side} side)")
    return " and ".join(parts)


def unknown_area() -> str:
    return str(vocabulary()["unknown_area"])
