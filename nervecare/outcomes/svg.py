"""The client page's charts as small hand-written SVG (about a millisecond each, so nothing to cache).

Drawn straight from the numbers of analysis.client_outcomes: ratings over the course, before → after each
session, soreness. Presentation attributes only (fill, stroke, …): no <style> element, no style attribute,
no script, so a strict Content-Security-Policy allows them inline. Each chart is an image with a title and a
text alternative (the same words as the matplotlib versions that the PDF reports use)."""

import math
from collections.abc import Iterable
from typing import Any

from django.utils.html import escape
from django.utils.translation import gettext as _

from nervecare.outcomes.charts import (
    BRAND,
    COLOURS,
    LINE,
    MUTED,
    OK,
    STOP,
    immediate_alt,
    ratings_alt,
    threshold_line,
)

WIDTH = 640
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 44, 44
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'
TEXT = "#1d232a"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if abs(value - round(value)) > 1e-9 else str(round(value))


class Plot:
    """A plot area with linear scales: week (or session) across, rating 0-10 up."""

    def __init__(self, height: int, x_min: float, x_max: float, y_min: float = -0.3, y_max: float = 10.5):
        self.height = height
        self.x_min, self.x_max = x_min, max(x_max, x_min + 1)
        self.y_min, self.y_max = y_min, y_max
        self.parts: list[str] = []

    def x(self, value: float) -> float:
        span = WIDTH - LEFT - RIGHT
        return round(LEFT + (value - self.x_min) / (self.x_max - self.x_min) * span, 1)

    def y(self, value: float) -> float:
        span = self.height - TOP - BOTTOM
        return round(TOP + (self.y_max - value) / (self.y_max - self.y_min) * span, 1)

    def add(self, part: str) -> None:
        self.parts.append(part)

    def axes(self, title: str, x_label: str, y_label: str, x_ticks: Iterable[int]) -> None:
        bottom, right = self.height - BOTTOM, WIDTH - RIGHT
        self.add(
            f'<text x="{LEFT}" y="18" {FONT} font-size="14" font-weight="600" fill="{TEXT}">{escape(title)}</text>'
        )
        for v in range(0, 11, 2):
            y = self.y(v)
            self.add(f'<line x1="{LEFT}" y1="{y}" x2="{right}" y2="{y}" stroke="{LINE}" stroke-width="1"/>')
            self.add(
                f'<text x="{LEFT - 6}" y="{y + 4}" {FONT} font-size="11" fill="{MUTED}" text-anchor="end">{v}</text>'
            )
        for w in x_ticks:
            x = self.x(w)
            self.add(f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 4}" stroke="{MUTED}"/>')
            self.add(
                f'<text x="{x}" y="{bottom + 16}" {FONT} font-size="11" fill="{MUTED}" text-anchor="middle">{w}</text>'
            )
        self.add(f'<line x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{MUTED}"/>')
        self.add(f'<line x1="{LEFT}" y1="{TOP - 6}" x2="{LEFT}" y2="{bottom}" stroke="{MUTED}"/>')
        self.add(
            f'<text x="{(LEFT + right) / 2}" y="{self.height - 8}" {FONT} font-size="11" fill="{MUTED}" '
            f'text-anchor="middle">{escape(x_label)}</text>'
        )
        middle = (TOP + bottom) / 2
        self.add(
            f'<text x="14" y="{middle}" {FONT} font-size="11" fill="{MUTED}" text-anchor="middle" '
            f'transform="rotate(-90 14 {middle})">{escape(y_label)}</text>'
        )

    def message(self, text: str) -> None:
        self.add(
            f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{(TOP + self.height - BOTTOM) / 2}" {FONT} font-size="13" '
            f'fill="{MUTED}" text-anchor="middle">{escape(text)}</text>'
        )

    def legend(self, items: list[tuple[str, str, str]]) -> None:
        """(colour, dash pattern or "", label), in a row under the title."""
        x = LEFT
        for colour, dash, label in items:
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            self.add(
                f'<line x1="{x}" y1="31" x2="{x + 18}" y2="31" stroke="{colour}" stroke-width="2"{dashes}/>'
            )
            self.add(f'<text x="{x + 22}" y="35" {FONT} font-size="11" fill="{TEXT}">{escape(label)}</text>')
            x += 30 + 6.2 * len(label)

    def svg(self, alt: str, defs: str = "") -> str:
        safe = escape(alt)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {self.height}" width="100%" '
            f'role="img" aria-label="{safe}"><title>{safe}</title>{defs}'
            f'<rect x="0" y="0" width="{WIDTH}" height="{self.height}" fill="#ffffff"/>{"".join(self.parts)}</svg>'
        )


def _ticks(last: int, most: int = 12) -> range:
    step = max(1, math.ceil((last + 1) / most))
    return range(0, last + 1, step)


def _polyline(plot: Plot, points: list[tuple[float, float]], colour: str, width: float = 2) -> None:
    if len(points) > 1:
        coords = " ".join(f"{plot.x(x)},{plot.y(y)}" for x, y in points)
        plot.add(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="{width}"/>')
    for x, y in points:
        plot.add(f'<circle cx="{plot.x(x)}" cy="{plot.y(y)}" r="3.5" fill="{colour}"/>')


def ratings_svg(measure: dict[str, Any], reevaluation_weeks: list[int] | None = None) -> str:
    """One rating over course weeks: every rating, the weekly value, the baseline and the threshold."""
    weeks_re = list(reevaluation_weeks or [])
    base = measure["baseline"]
    weekly = measure["weekly"]
    last = max([0, *[w["week"] for w in weekly], *weeks_re])
    plot = Plot(300, -0.3, last + 0.5)
    plot.axes(
        _("%(measure)s over the course") % {"measure": measure["label"]},
        _("course week (0 = baseline)"),
        _("%(measure)s (0-10)") % {"measure": measure["label"]},
        _ticks(last),
    )
    colour = COLOURS.get(measure["measure"], BRAND)
    if base is None:
        plot.message(_("No rating yet"))
        return plot.svg(ratings_alt(measure))
    for w in weeks_re:
        plot.add(
            f'<line x1="{plot.x(w)}" y1="{TOP - 6}" x2="{plot.x(w)}" y2="{plot.height - BOTTOM}" stroke="{LINE}" '
            'stroke-width="2"/>'
        )
    legend = [
        (colour, "", _("weekly value")),
        (MUTED, "6 4", _("baseline %(value)s") % {"value": _n(base["value"])}),
    ]
    y = plot.y(base["value"])
    plot.add(
        f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="6 4"/>'
    )
    line = threshold_line(base["value"])
    if line is not None:
        y = plot.y(line)
        plot.add(
            f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="{OK}" stroke-width="2" stroke-dasharray="2 3"/>'
        )
        legend.append((OK, "2 3", _("clinically important (%(value)s)") % {"value": f"{line:.1f}"}))
    for p in measure["points"]:
        if not p["baseline"]:
            plot.add(
                f'<circle cx="{plot.x(p["week"])}" cy="{plot.y(p["value"])}" r="3" fill="{colour}" fill-opacity="0.35"/>'
            )
    _polyline(plot, [(0, base["value"])] + [(w["week"], w["value"]) for w in weekly], colour)
    plot.legend(legend)
    return plot.svg(ratings_alt(measure))


def immediate_svg(measure: dict[str, Any]) -> str:
    """Before → after each session: an arrow per session (green down, red up, grey unchanged)."""
    sessions = measure["immediate"]["sessions"]
    plot = Plot(270, 0.3, max(len(sessions), 1) + 0.7)
    plot.axes(
        _("%(measure)s: before → after each session") % {"measure": measure["label"]},
        _("session"),
        _("%(measure)s (0-10)") % {"measure": measure["label"]},
        [t for t in _ticks(len(sessions)) if t >= 1] or [1],
    )
    defs = (
        "<defs>"
        + "".join(
            f'<marker id="nc-arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
            for name, colour in (("down", OK), ("up", STOP), ("same", MUTED))
        )
        + "</defs>"
    )
    if not sessions:
        plot.message(_("No session with both ratings yet"))
    for i, s in enumerate(sessions, start=1):
        before, after = s["before"], s["after"]
        name, colour = (
            ("down", OK) if after < before else (("up", STOP) if after > before else ("same", MUTED))
        )
        x = plot.x(i)
        if after != before:
            plot.add(
                f'<line x1="{x}" y1="{plot.y(before)}" x2="{x}" y2="{plot.y(after)}" stroke="{colour}" '
                f'stroke-width="2" marker-end="url(#nc-arrow-{name})"/>'
            )
        plot.add(f'<circle cx="{x}" cy="{plot.y(before)}" r="3.5" fill="{MUTED}"/>')
    return plot.svg(immediate_alt(measure), defs)


def soreness_svg(soreness: dict[str, Any]) -> str:
    pts = soreness["points"]
    last = max([1, *[p["week"] for p in pts]])
    plot = Plot(240, -0.3, last + 0.5)
    plot.axes(_("Soreness after sessions"), _("course week"), _("soreness after (0-10)"), _ticks(last))
    if pts:
        _polyline(plot, [(p["week"], p["value"]) for p in pts], MUTED)
    else:
        plot.message(_("No soreness rating yet"))
    return plot.svg(_("Soreness after each session."))


def client_charts_svg(result: dict[str, Any]) -> dict[str, dict[str, str]]:
    """{measure: {"ratings": svg, "immediate": svg}} plus "soreness" for one client's page: hand-written SVG
    about a millisecond each, so a client's page is as fast the first time as the next."""
    weeks = [p["week"] for p in result["reevaluations"]]
    out: dict[str, Any] = {}
    for m, measure in result["measures"].items():
        if measure["baseline"] is None and not measure["immediate"]["sessions"]:
            continue
        out[m] = {"ratings": ratings_svg(measure, weeks), "immediate": immediate_svg(measure)}
    if result["soreness"]["points"]:
        out["soreness"] = {"chart": soreness_svg(result["soreness"])}
    return out
