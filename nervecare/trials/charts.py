"""The trial's chart: every daily rating over the trial, the phases shaded and labelled, each phase's mean.

Drawn with matplotlib through outcomes' chart helpers (Agg, imported on first use; inline SVG with
presentation attributes only, for the pages' Content-Security-Policy; PNG for the PDF), cached per data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nervecare.outcomes import charts

B_SHADE = "#e3f0fa"
A_SHADE = "#f4f1ea"


def chart_inputs(result: dict[str, Any]) -> tuple:
    return (
        result["trial_id"],
        result["start"].isoformat(),
        tuple((p["condition"], p["weeks"], p["mean"]) for p in result["phases"]),
        tuple(sorted(result["ratings"].items())),
    )


def phases_figure(result: dict[str, Any]) -> Any:
    fig = charts._figure(width=7.2, height=3.4, bottom=0.9)
    ax = fig.add_subplot()
    charts._style(ax)
    start = result["start"]
    colour = charts.COLOURS.get(result["measure"], charts.BRAND)
    for phase in result["phases"]:
        lo = (phase["start"] - start).days
        hi = lo + 7 * phase["weeks"]
        ax.axvspan(lo - 0.5, hi - 0.5, color=B_SHADE if phase["condition"] == "B" else A_SHADE, linewidth=0)
        ax.text((lo + hi) / 2, 10.2, phase["condition"], ha="center", va="top", color=charts.MUTED)
        if phase["mean"] is not None:
            ax.hlines(phase["mean"], lo - 0.5, hi - 0.5, color=charts.MUTED, linewidth=1.6, linestyles="--")
    days = [(dt.date.fromisoformat(d) - start).days for d in result["ratings"]]
    values = list(result["ratings"].values())
    ax.plot(days, values, color=colour, linewidth=1, marker="o", markersize=3, label="daily rating")
    ax.set_ylim(-0.3, 10.5)
    ax.set_xlim(-0.5, 7 * sum(p["weeks"] for p in result["phases"]) - 0.5)
    ax.set_xlabel(
        "trial day (A: "
        + result["conditions"]["A"].lower()
        + ", B: "
        + result["conditions"]["B"].lower()
        + ")"
    )
    ax.set_ylabel(f"{result['measure']} (0-10)")
    ax.set_title(f"{result['measure'].capitalize()} in each phase (dashed: the phase mean)", loc="left")
    return fig


def phases_alt(result: dict[str, Any]) -> str:
    parts = [
        f"phase {p['index']} ({p['condition']}, {p['label'].lower()}, {p['weeks']} weeks): "
        + (f"mean {p['mean']:.1f} of {p['n']} ratings" if p["mean"] is not None else "no ratings")
        for p in result["phases"]
    ]
    return f"{result['measure'].capitalize()} ratings by phase: " + "; ".join(parts) + "."


def phases_svg(result: dict[str, Any]) -> str:
    return charts.cached(
        "trial.phases.svg",
        chart_inputs(result),
        lambda: charts.to_svg(phases_figure(result), phases_alt(result)),
    )


def phases_png(result: dict[str, Any]) -> bytes:
    return charts.png("trial.phases", chart_inputs(result), lambda: phases_figure(result))
