"""The body map as a picture: front and back outlines whose tappable shapes carry the region codes of
clients/data/body_regions.yaml. Geometry only; what a region means stays in the vocabulary file."""

from functools import lru_cache
from typing import Any

from django.utils.translation import gettext_lazy as _

from nervecare.clients import bodymap

WIDTH = 160  # one figure; the back view is drawn WIDTH + GAP to the right
GAP = 20

# (region, x, y, w, h) for the person's RIGHT side of sided regions, as seen from the front (the person's right
# is on the viewer's left); the left side is mirrored. Unsided regions are centred.
FRONT = [
    ("forehead", 62, 8, 18, 14),
    ("cheek", 62, 22, 18, 16),
    ("jaw", 62, 38, 18, 12),
    ("neck", 70, 50, 20, 12),
    ("chest", 52, 62, 56, 50),
    ("abdomen", 54, 112, 52, 44),
    ("upper_arm", 34, 64, 16, 54),
    ("elbow", 33, 118, 16, 12),
    ("forearm", 31, 130, 16, 46),
    ("wrist", 30, 176, 16, 8),
    ("palm", 28, 184, 18, 20),
    ("thumb_index_middle", 26, 204, 12, 18),
    ("fingers", 38, 204, 9, 18),
    ("thigh", 56, 156, 23, 66),
    ("knee", 58, 222, 20, 16),
    ("lower_leg", 58, 238, 20, 62),
    ("ankle", 59, 300, 18, 10),
    ("foot_dorsum", 56, 310, 24, 16),
    ("toes", 56, 326, 24, 12),
]
# The back view: the person's right is on the viewer's right, so these are given for the LEFT side.
BACK = [
    ("neck", 70, 50, 20, 12),
    ("upper_back", 52, 62, 56, 50),
    ("lower_back", 54, 112, 52, 30),
    ("buttock", 54, 142, 26, 22),
    ("upper_arm", 34, 64, 16, 54),
    ("elbow", 33, 118, 16, 12),
    ("forearm", 31, 130, 16, 46),
    ("wrist", 30, 176, 16, 8),
    ("hand_back", 28, 184, 18, 38),
    ("thigh", 56, 164, 23, 58),
    ("knee", 58, 222, 20, 16),
    ("lower_leg", 58, 238, 20, 62),
    ("ankle", 59, 300, 18, 10),
    ("heel", 56, 310, 24, 14),
    ("sole", 56, 324, 24, 14),
]
# The outline drawn under the shapes (head, trunk, arms, legs), for one figure.
OUTLINE = (
    "M80 6 C66 6 60 18 61 30 C62 42 68 50 70 50 L70 60 C58 62 44 62 36 66 C30 70 30 90 31 120 "
    "L28 180 L24 222 L48 222 L49 180 L52 128 L54 160 L55 222 L57 300 L54 340 L80 340 L80 160 "
    "L80 340 L106 340 L103 300 L105 222 L106 160 L108 128 L111 180 L112 222 L136 222 L132 180 "
    "L129 120 C130 90 130 70 124 66 C116 62 102 62 90 60 L90 50 C92 50 98 42 99 30 C100 18 94 6 80 6 Z"
)


@lru_cache(maxsize=1)
def shapes() -> tuple[dict[str, Any], ...]:
    regions = bodymap.regions()
    out = []
    for view, rows, offset, first_side in (("front", FRONT, 0, "right"), ("back", BACK, WIDTH + GAP, "left")):
        other = "left" if first_side == "right" else "right"
        for code, x, y, w, h in rows:
            region = regions[code]  # a code missing from the vocabulary is a bug: fail loudly
            if region.get("sided"):
                sides = [(first_side, x), (other, WIDTH - x - w)]
            else:
                sides = [("midline", (WIDTH - w) // 2)]
            for side, sx in sides:
                out.append(
                    {
                        "view": view,
                        "region": code,
                        "side": side,
                        "label": region["label"],
                        "x": sx + offset,
                        "y": y,
                        "w": w,
                        "h": h,
                    }
                )
    return tuple(out)


def figure(marks: Any = ()) -> list[dict[str, Any]]:
    """Every shape, with the strongest intensity marked on it (0-10, or None) and what was felt there."""
    felt: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for mark in marks:
        sides = ("left", "right", "midline") if mark.side == "both" else (mark.side,)
        for side in sides:
            felt.setdefault((mark.region, side), []).append((mark.intensity, mark.sensation))
    sensations = bodymap.sensations()
    result = []
    for shape in shapes():
        found = felt.get((shape["region"], shape["side"])) or felt.get((shape["region"], "midline")) or []
        intensity = max((i for i, _s in found), default=None)
        result.append(
            {
                **shape,
                "intensity": intensity,
                "alpha": round(0.15 + 0.085 * intensity, 2) if intensity is not None else 0,
                "felt": ", ".join(f"{sensations.get(s, s)} {i}/10" for i, s in found),
            }
        )
    return result


def outline_transforms() -> list[str]:
    return ["", f"translate({WIDTH + GAP} 0)"]


# On a phone the whole figure is too small to tap (fingers are 9 units wide: about 8 CSS px): the picture is
# offered in parts instead, each drawn large enough that its smallest region is at least MIN_TARGET CSS px on
# both sides (WCAG 2.5.5's 44 px, with a margin). (title, view, regions, sides or None for all.)
MIN_TARGET = 48
MIN_SCALE = 2.0
PAD = 3
PARTS = [
    (_("Head and neck"), "front", ("forehead", "cheek", "jaw", "neck"), None),
    (_("Chest and belly"), "front", ("chest", "abdomen"), None),
    (_("Back and buttocks"), "back", ("upper_back", "lower_back", "buttock"), None),
    (_("Right arm"), "front", ("upper_arm", "elbow", "forearm"), ("right",)),
    (_("Left arm"), "front", ("upper_arm", "elbow", "forearm"), ("left",)),
    (_("Right hand, palm side"), "front", ("wrist", "palm", "thumb_index_middle", "fingers"), ("right",)),
    (_("Left hand, palm side"), "front", ("wrist", "palm", "thumb_index_middle", "fingers"), ("left",)),
    (_("Right hand, back"), "back", ("hand_back",), ("right",)),
    (_("Left hand, back"), "back", ("hand_back",), ("left",)),
    (_("Legs"), "front", ("thigh", "knee", "lower_leg"), None),
    (_("Feet, top"), "front", ("ankle", "foot_dorsum", "toes"), None),
    (_("Heels and soles"), "back", ("heel", "sole"), None),
]


@lru_cache(maxsize=1)
def parts() -> tuple[dict[str, Any], ...]:
    """The figure in tappable parts: each with its viewBox, its size in CSS px and its shapes."""
    out = []
    for title, view, regions, sides in PARTS:
        chosen = [
            s
            for s in shapes()
            if s["view"] == view and s["region"] in regions and (sides is None or s["side"] in sides)
        ]
        x0 = min(s["x"] for s in chosen) - PAD
        y0 = min(s["y"] for s in chosen) - PAD
        x1 = max(s["x"] + s["w"] for s in chosen) + PAD
        y1 = max(s["y"] + s["h"] for s in chosen) + PAD
        scale = max(MIN_TARGET / min(min(s["w"], s["h"]) for s in chosen), MIN_SCALE)
        out.append(
            {
                "title": title,
                "view": view,
                "shapes": chosen,
                "viewbox": f"{x0} {y0} {x1 - x0} {y1 - y0}",
                "width": round((x1 - x0) * scale),
                "height": round((y1 - y0) * scale),
                "transform": "" if view == "front" else f"translate({WIDTH + GAP} 0)",
            }
        )
    return tuple(out)
