"""Charts drawn on the server with matplotlib (Agg, no pyplot state): inline SVG for the pages (nothing
loaded from a CDN, no JavaScript) and PNG for the PDF reports. Each chart carries a text alternative; the
pages also show the numbers in tables."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from functools import cache as once
from typing import TYPE_CHECKING, Any

from django.core.cache import cache

from nervecare.outcomes.rules import outcome_rules

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@once
def _matplotlib() -> Any:
    """matplotlib with the Agg backend, imported when the first chart is drawn: a worker that never draws one
    does not carry it (~40 MiB, issue 20)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.figure
    import matplotlib.ticker

    matplotlib.rcParams.update(
        {
            "font.size": TEXT,
            "axes.labelsize": TEXT,
            "axes.titlesize": TITLE,
            "xtick.labelsize": TEXT,
            "ytick.labelsize": TEXT,
            "legend.fontsize": TEXT,
        }
    )
    return matplotlib


CACHE_SECONDS = 24 * 3600
SVG_FORMAT = 3  # bumped when to_svg() changes, so a shared cache does not serve charts drawn the old way

BRAND = "#1f5f8b"
MUTED = "#5b6776"
OK = "#1c6b3a"
STOP = "#a4161a"
LINE = "#d7dde4"
# Text size in points; the pages draw one SVG unit (a point) as one CSS pixel, so every word of a chart is at
# least 12 px on the screen (issue 19: the clinic charts' text was 6-9 px once scaled down).
TEXT = 12
TITLE = 13
COLOURS = {"pain": "#a4161a", "numbness": "#1f5f8b", "tingling": "#8a4b00"}

_SVG_START = re.compile(r"^.*?(<svg\b)", re.S)
_SIZE = re.compile(r'\s(width|height)="[^"]*"')
_VIEWBOX = re.compile(r'viewBox="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style\b[^>]*>.*?</style>", re.S)
_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')


def _figure(width: float = 6.4, height: float = 3.2, left: float = 0.75, bottom: float = 0.55) -> Figure:
    """Fixed margins in inches (a layout engine costs more than drawing these small charts)."""
    fig = _matplotlib().figure.Figure(figsize=(width, height))
    fig.subplots_adjust(
        left=left / width, right=1 - 0.15 / width, bottom=bottom / height, top=1 - 0.35 / height
    )
    return fig


def _style(ax: Any) -> None:
    ax.xaxis.set_major_locator(_matplotlib().ticker.MaxNLocator(integer=True))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color=LINE, linewidth=0.8)
    ax.set_axisbelow(True)


def _presentation_attributes(match: re.Match) -> str:
    """style="fill: #fff; stroke-width: 0.8" -> fill="#fff" stroke-width="0.8" (matplotlib writes only
    properties that are also SVG presentation attributes)."""
    attrs = []
    for declaration in match.group(1).split(";"):
        name, _sep, value = declaration.partition(":")
        if name.strip() and value.strip():
            attrs.append(f'{name.strip()}="{value.strip()}"')
    return " " + " ".join(attrs)


def to_svg(fig: Figure, title: str) -> str:
    """Inline SVG: no XML prologue, scales to its container, announced as an image with a title.

    No <style> element and no style="" attributes, which the Content-Security-Policy (style-src 'self')
    would refuse: matplotlib's styles become presentation attributes, its global rule (round line joins,
    butt caps) attributes of the root element, inherited by every shape; the size comes from csp.css."""
    buf = io.StringIO()
    with _matplotlib().rc_context({"svg.fonttype": "none", "svg.hashsalt": "nervecare"}):
        # "tight": the picture grows to hold every label, so a long group name is never cut off.
        fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.08)
    svg = _SVG_START.sub(r"\1", buf.getvalue(), count=1)
    svg = _STYLE_ELEMENT.sub("", svg)
    svg = _STYLE_ATTR.sub(_presentation_attributes, svg)
    head, _sep, rest = svg.partition(">")
    # Drawn at its natural size, one unit (point) to one CSS pixel, never scaled down: its text stays at least
    # TEXT px; a page narrower than the chart scrolls it sideways (csp.css).
    view = _VIEWBOX.search(head)
    head = _SIZE.sub("", head)
    if view:
        width, height = (float(v) for v in view.group(1).split()[2:])
        head += f' width="{width:g}" height="{height:g}"'
    safe = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return (
        f'{head} role="img" aria-label="{safe}" class="chart-svg" stroke-linejoin="round" stroke-linecap="butt">'
        f"<title>{safe}</title>{rest}"
    )


def to_png(fig: Figure, dpi: int = 120) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08)
    return buf.getvalue()


def cached(kind: str, inputs: Any, build: Callable[[], Any]) -> Any:
    """A chart drawn once per distinct input (drawing costs tens of milliseconds; the inputs are small)."""
    digest = hashlib.sha256(repr((kind, inputs, outcome_rules().version, SVG_FORMAT)).encode()).hexdigest()
    return cache.get_or_set(f"outcomes:chart:{digest}", build, CACHE_SECONDS)


def threshold_line(baseline: float) -> float | None:
    """The rating at or below which the change counts as clinically important (outcome_rules.yaml)."""
    rules = outcome_rules().responder
    if baseline <= 0:
        return None
    by_points = baseline - rules.points
    by_percent = baseline * (1 - rules.percent / 100)
    return max(by_points, by_percent) if rules.rule == "either" else min(by_points, by_percent)


def ratings_figure(measure: dict[str, Any], reevaluation_weeks: list[int] | None = None) -> Figure:
    """One rating over course weeks: every observation, the weekly value, the baseline, the threshold."""
    fig = _figure()
    ax = fig.add_subplot()
    _style(ax)
    colour = COLOURS.get(measure["measure"], BRAND)
    base = measure["baseline"]
    if base is None:
        ax.text(0.5, 0.5, "No rating yet", ha="center", va="center", transform=ax.transAxes, color=MUTED)
    else:
        weeks = [0] + [w["week"] for w in measure["weekly"]]
        values = [base["value"]] + [w["value"] for w in measure["weekly"]]
        pts = [p for p in measure["points"] if not p["baseline"]]
        ax.scatter(
            [p["week"] for p in pts],
            [p["value"] for p in pts],
            s=14,
            color=colour,
            alpha=0.35,
            label="each rating",
        )
        ax.plot(weeks, values, color=colour, linewidth=2, marker="o", markersize=4, label="weekly value")
        ax.axhline(
            base["value"], color=MUTED, linestyle="--", linewidth=1.2, label=f"baseline {base['value']:g}"
        )
        line = threshold_line(base["value"])
        if line is not None:
            ax.axhline(
                line, color=OK, linestyle=":", linewidth=1.6, label=f"clinically important ({line:.1f})"
            )
        for w in reevaluation_weeks or []:
            ax.axvline(w, color=LINE, linewidth=1)
        ax.set_xlim(left=-0.3, right=max(weeks + list(reevaluation_weeks or [0])) + 0.5)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), frameon=False, ncols=2)
    ax.set_ylim(-0.3, 10.5)
    ax.set_xlabel("course week (0 = baseline)")
    ax.set_ylabel(f"{measure['label']} (0-10)")
    ax.set_title(f"{measure['label']} over the course", fontsize=TITLE, loc="left")
    return fig


def ratings_alt(measure: dict[str, Any]) -> str:
    base = measure["baseline"]
    if base is None:
        return f"{measure['label']}: no rating yet."
    weekly = (
        ", ".join(f"week {w['week']}: {w['value']:.1f}" for w in measure["weekly"])
        or "no ratings after baseline"
    )
    return f"{measure['label']} ratings, baseline {base['value']:g}; {weekly}."


def immediate_figure(measure: dict[str, Any]) -> Figure:
    """Before and after each session, as a short vertical line per session (the immediate effect)."""
    fig = _figure(height=2.8)
    ax = fig.add_subplot()
    _style(ax)
    sessions = measure["immediate"]["sessions"]
    if not sessions:
        ax.text(
            0.5,
            0.5,
            "No session with both ratings yet",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color=MUTED,
        )
    for i, s in enumerate(sessions, start=1):
        colour = OK if s["after"] < s["before"] else (STOP if s["after"] > s["before"] else MUTED)
        ax.annotate(
            "",
            xy=(i, s["after"]),
            xytext=(i, s["before"]),
            arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.6},
        )
        ax.plot([i], [s["before"]], marker="o", color=MUTED, markersize=4)
    ax.set_xlim(0.3, max(len(sessions), 1) + 0.7)
    ax.set_ylim(-0.3, 10.5)
    ax.set_xlabel("session")
    ax.set_ylabel(f"{measure['label']} (0-10)")
    ax.set_title(f"{measure['label']}: before → after each session", fontsize=TITLE, loc="left")
    return fig


def immediate_alt(measure: dict[str, Any]) -> str:
    sessions = measure["immediate"]["sessions"]
    if not sessions:
        return f"{measure['label']}: no session with both ratings yet."
    pairs = "; ".join(f"session {i}: {s['before']} to {s['after']}" for i, s in enumerate(sessions, start=1))
    return f"{measure['label']} before and after each session: {pairs}."


def soreness_figure(soreness: dict[str, Any]) -> Figure:
    fig = _figure(height=2.4)
    ax = fig.add_subplot()
    _style(ax)
    pts = soreness["points"]
    if pts:
        ax.plot([p["week"] for p in pts], [p["value"] for p in pts], color=MUTED, marker="o", markersize=4)
    else:
        ax.text(
            0.5, 0.5, "No soreness rating yet", ha="center", va="center", transform=ax.transAxes, color=MUTED
        )
    ax.set_ylim(-0.3, 10.5)
    ax.set_xlabel("course week")
    ax.set_ylabel("soreness after (0-10)")
    ax.set_title("Soreness after sessions", fontsize=TITLE, loc="left")
    return fig


def group_figure(rows: list[dict[str, Any]], title: str) -> Figure:
    """Responder rate with its Wilson interval, one bar per group (a forest-plot style comparison)."""
    rows = [r for r in rows if r["responder_rate"].value is not None]
    fig = _figure(height=max(1.6, 0.45 * len(rows) + 0.9), left=2.3)
    ax = fig.add_subplot()
    ax.grid(axis="x", color=LINE, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not rows:
        ax.text(
            0.5,
            0.5,
            "No client with enough data yet",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color=MUTED,
        )
        ax.set_yticks([])
    for i, r in enumerate(reversed(rows)):
        est = r["responder_rate"]
        ax.barh(i, est.value * 100, color=BRAND, alpha=0.25, height=0.6)
        ax.errorbar(
            est.value * 100,
            i,
            xerr=[[max(est.value - est.low, 0) * 100], [max(est.high - est.value, 0) * 100]],
            fmt="o",
            color=BRAND,
            capsize=3,
            markersize=4,
        )
    if rows:
        ax.set_yticks(
            range(len(rows)), [f"{r['label']} (n={r['evaluable']})" for r in reversed(rows)], fontsize=TEXT
        )
    ax.set_xlim(0, 100)
    ax.set_xlabel("responders, % with 95% Wilson interval")
    ax.set_title(title, fontsize=TITLE, loc="left")
    return fig


def group_alt(rows: list[dict[str, Any]], title: str) -> str:
    parts = []
    for r in rows:
        est = r["responder_rate"]
        if est.value is None:
            parts.append(f"{r['label']}: no client with enough data")
        else:
            parts.append(
                f"{r['label']}: {est.value * 100:.0f}% of {r['evaluable']} (95% CI {est.low * 100:.0f} to {est.high * 100:.0f}%)"
            )
    return f"{title}. " + "; ".join(parts) + "."


def change_figure(rows: list[dict[str, Any]], title: str) -> Figure:
    """Mean change from baseline (points) with its t interval, one line per group."""
    rows = [r for r in rows if r["mean_change"].value is not None]
    fig = _figure(height=max(1.6, 0.45 * len(rows) + 0.9), left=2.3)
    ax = fig.add_subplot()
    ax.grid(axis="x", color=LINE, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.axvline(0, color=MUTED, linewidth=1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for i, r in enumerate(reversed(rows)):
        est = r["mean_change"]
        if est.has_ci:
            ax.errorbar(
                est.value,
                i,
                xerr=[[est.value - est.low], [est.high - est.value]],
                fmt="o",
                color=BRAND,
                capsize=3,
                markersize=4,
            )
        else:
            ax.plot([est.value], [i], "o", color=MUTED, markersize=4)
    if rows:
        ax.set_yticks(
            range(len(rows)),
            [f"{r['label']} (n={r['mean_change'].n})" for r in reversed(rows)],
            fontsize=TEXT,
        )
    else:
        ax.set_yticks([])
    ax.set_xlabel("mean change from baseline, points (negative = better), 95% CI")
    ax.set_title(title, fontsize=TITLE, loc="left")
    return fig


def group_key(rows: list[dict[str, Any]]) -> list[tuple]:
    return [(r["label"], r["evaluable"], r["responder_rate"], r["mean_change"]) for r in rows]


def clinic_charts_svg(result: dict[str, Any]) -> dict[str, dict[str, str]]:
    out = {}
    for dimension, label in result["dimensions"].items():
        rows = result["groups"][dimension]
        title = f"Responders by {label.lower()}"
        change_title = f"Mean change by {label.lower()}"
        out[dimension] = {
            "responders": cached(
                "groups.svg",
                (title, group_key(rows)),
                lambda rows=rows, title=title: to_svg(group_figure(rows, title), group_alt(rows, title)),
            ),
            "change": cached(
                "change.svg",
                (change_title, group_key(rows)),
                lambda rows=rows, title=change_title: to_svg(
                    change_figure(rows, title), f"{title} from baseline."
                ),
            ),
        }
    return out


def png(kind: str, inputs: Any, build: Callable[[], Figure]) -> bytes:
    """A chart as PNG for the PDF reports (cached like the SVGs)."""
    return cached(kind + ".png", inputs, lambda: to_png(build()))
