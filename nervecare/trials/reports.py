"""The trials' section of the client's progress report (PDF; registered in outcomes/hooks.py): each completed
trial's result, its chart and its caveats; the client's copy in plain words."""

from __future__ import annotations

from functools import partial
from typing import Any

from nervecare.clients.models import Client
from nervecare.trials import charts, selectors


def trial_report_section(result: dict[str, Any], *, plain: bool) -> list[Any]:
    from reportlab.platypus import KeepTogether, Spacer

    from nervecare.outcomes.reports.pdf import PAGE_WIDTH, chart_image, paragraph, table

    client = Client.objects.select_related("clinic").filter(pk=result["client"]["id"]).first()
    if client is None:
        return []
    story: list[Any] = []
    for trial in selectors.client_trials(client):
        r = selectors.trial_result(trial)
        if not r["final"]:
            continue
        title = (
            "Does it help me? Your trial"
            if plain
            else f"Single-client trial: {trial.get_comparison_display()}"
        )
        block: list[Any] = [
            paragraph(title, "h2"),
            paragraph(
                f"{r['start']:%d %b %Y} to {r['end']:%d %b %Y}, {trial.weeks_total} weeks in {trial.phases} "
                f"blocks drawn at random; {trial.get_measure_display().lower()} rated in the diary.",
                "small",
            ),
            paragraph(r["plain"]),
        ]
        if not plain and r["test"]:
            effect = r["effect"] or {}
            block.append(
                table(
                    [
                        ["", "value"],
                        ["Mean difference B - A", f"{r['test']['statistic']:+.2f} points"],
                        [
                            "Randomisation test",
                            f"p = {r['test']['p_value']:.3f} ({r['test']['n_as_extreme']}/{r['test']['n_schedules']} "
                            f"schedules, {r['test']['alternative']})",
                        ],
                        [
                            "AR(1) regression, 95% CI",
                            f"{effect['estimate']:+.2f} ({effect['low']:+.2f} to {effect['high']:+.2f})"
                            if effect.get("low") is not None
                            else (effect.get("note") or "-"),
                        ],
                    ],
                    [PAGE_WIDTH * 0.4, PAGE_WIDTH * 0.6],
                )
            )
            block.append(paragraph(f"{r['test']['method']}. {effect.get('method', '')}.", "small"))
        if r["ratings"]:
            block.append(
                chart_image("trial.phases", charts.chart_inputs(r), partial(charts.phases_figure, r))
            )
        for caveat in r["caveats_plain"] if plain else r["caveats"]:
            block.append(paragraph(caveat, "caveat"))
        story += [KeepTogether(block[:3]), *block[3:], Spacer(1, 6)]
    return story
