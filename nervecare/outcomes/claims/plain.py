"""The client's version of the ledger, in plain words: no intervals, no study names, no questionnaire
acronyms; "no data yet" is never "no effect"; what a clinic cannot measure is said so."""

from typing import Any

from nervecare.outcomes.claims.definitions import claims_data


def _n(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _measure_line(m: dict[str, Any]) -> str:
    what = m["plain"][0].upper() + m["plain"][1:]
    if m.get("asked") is False:
        return f"{what}: not asked, because it does not concern you."
    if m["status"] != "ok":
        return f"{what}: no data yet. That means we have not measured it yet, not that massage does nothing."
    if m["kind"] == "counts":
        return f"{what}: {_n(m['current'])} in total over {m['n_readings']} visits."
    if m["kind"] == "paired":
        change = m["change"]["value"]
        way = "lower" if change < 0 else "higher" if change > 0 else "the same"
        return (
            f"{what}: on average {_n(abs(change))} points {way} at the end of a session than at the start "
            f"({m['change']['n']} sessions)."
            if way != "the same"
            else f"{what}: on average the same at the end of a session as at the start."
        )
    if m["kind"] == "rom":
        change = m["change"]["value"]
        return (
            f"{what}: on average {_n(abs(change))} degrees {'more' if change >= 0 else 'less'} than at first."
        )
    line = f"{what}: {_n(m['baseline'])} when you started, {_n(m['current'])} now."
    if m.get("important_count"):
        line += " A change that people in research said made a real difference to them."
    return line


def plain_claims(ledger: dict[str, Any]) -> list[dict[str, Any]]:
    """Each claim as a heading and a few sentences for the client."""
    data = claims_data()
    extra = {c["id"]: c for c in data["claims"]}
    out = []
    for claim in ledger["claims"]:
        lines = [_measure_line(m) for m in claim["measures"]]
        lines += [
            f"{n['title']}: this cannot be measured in a massage clinic. {n['reason']}"
            for n in claim["not_measurable"]
        ]
        research = extra[claim["id"]].get("plain_research") or data["plain_no_study"]
        out.append({"id": claim["id"], "title": claim["plain"], "lines": lines, "research": research})
    return out
