from django import template

from nervecare.clients import bodymap
from nervecare.core.formatting import score
from nervecare.web import bodymap_svg

register = template.Library()


register.filter("score", score)  # shared with the portal's tags (core/formatting.py)


@register.filter
def region_label(code: str) -> str:
    region = bodymap.regions().get(code)
    return region["label"] if region else code


@register.filter
def sensation_label(code: str) -> str:
    return bodymap.sensations().get(code, code)


MEASURE_WHEN = {"every_session": "before and after every session", "reevaluation": "at each re-evaluation"}


@register.filter
def measure_when(code: str) -> str:
    return MEASURE_WHEN.get(code, code)


@register.inclusion_tag("web/partials/body_svg.html")
def body_figure(marks=(), interactive: bool = False, caption: str = "", picked=None) -> dict:
    """The front and back outlines; with marks, each region is shaded by its intensity; interactive: tappable
    regions that fill the marks form (static/js/nervecare.js). picked (a list of "region:side", interactive):
    the regions tick and untick those checkboxes instead (a session note's areas treated)."""
    toggle = picked is not None
    chosen = set(picked or ())

    def with_picked(shapes):
        return [{**s, "picked": f"{s['region']}:{s['side']}" in chosen} for s in shapes]

    parts = [{**p, "shapes": with_picked(p["shapes"])} for p in bodymap_svg.parts()] if interactive else []
    return {
        "toggle": toggle,
        "mode_class": "bodymap-toggle" if toggle else "bodymap-input",
        "parts": parts,
        "shapes": with_picked(bodymap_svg.figure(marks)),
        "outline": bodymap_svg.OUTLINE,
        "transforms": bodymap_svg.outline_transforms(),
        "interactive": interactive,
        "caption": caption,
        "width": bodymap_svg.WIDTH * 2 + bodymap_svg.GAP,
        "front_x": bodymap_svg.WIDTH // 2,
        "back_x": bodymap_svg.WIDTH + bodymap_svg.GAP + bodymap_svg.WIDTH // 2,
    }
