"""The claims ledger's PDF sections: the clinician's and the clinic's table, and the client's plain words.
Appended to the client progress report and the clinic report."""

from typing import Any

from reportlab.lib.units import mm

from nervecare.outcomes.claims.plain import plain_claims
from nervecare.outcomes.reports.pdf import PAGE_WIDTH, paragraph, table


def _importance(m: dict[str, Any]) -> str:
    if not m["important"]["published"]:
        return "None published: raw change only"
    if m.get("important_share"):
        share = m["important_share"]
        return f"{m['important_count']}/{m['n_clients']} ({share['value'] * 100:.0f}%; 95% CI {share['ci_text']})"
    if m.get("important_count") is not None:
        return "yes" if m["important_count"] else "not yet"
    return "–"


def _change(m: dict[str, Any]) -> str:
    change = m.get("change")
    if m["status"] != "ok" or not change or change.get("value") is None:
        return m["text"]
    return f"{change['value']:.1f} (95% CI {change['ci_text']})"


def ledger_story(ledger: dict[str, Any]) -> list[Any]:
    """The ledger for a clinician or the clinic: each claim, its measures and numbers, the evidence."""
    story: list[Any] = [paragraph("Claims ledger: what the data say about each claim", "h2")]
    story.append(paragraph(ledger["caveat"], "caveat"))
    widths = [38 * mm, 14 * mm, 16 * mm, 14 * mm, 44 * mm, PAGE_WIDTH - 126 * mm]
    for claim in ledger["claims"]:
        status = {"data": "", "no_data": " — no data yet", "not_measurable": " — not measurable here"}
        story.append(paragraph(f"{claim['claim']}{status[claim['status']]}", "body"))
        if claim["measures"]:
            rows = [
                ["Measure", "Clients", "Readings", "Visits", "Change from baseline", "Clinically important"]
            ]
            rows += [
                [m["title"], m["n_clients"], m["n_readings"], m["n_visits"], _change(m), _importance(m)]
                for m in claim["measures"]
            ]
            story.append(table(rows, widths))
        for n in claim["not_measurable"]:
            story.append(
                paragraph(
                    f"{n['title']}: not measurable with a massage clinic's tools. {n['reason']}", "small"
                )
            )
        evidence = "; ".join(f"{s['short']} ({s['design']}): {s['result']}" for s in claim["studies"])
        story.append(paragraph(f"Published evidence: {evidence or claim['no_study']}", "small"))
    return story


def plain_story(ledger: dict[str, Any]) -> list[Any]:
    """The client's version: plain words, no intervals, no study names."""
    story: list[Any] = [paragraph("What massage is said to do — and what your data show", "h2")]
    for claim in plain_claims(ledger):
        story.append(paragraph(claim["title"], "body"))
        story += [paragraph("• " + line, "small") for line in claim["lines"]]
        story.append(paragraph(claim["research"], "small"))
    story.append(paragraph(ledger["plain_caveat"], "caveat"))
    return story
