"""The claims ledger's numbers, for one client or for the clinic, from the raw readings (rows.py).

Level measures: the baseline is the first reading; "now" is the mean of the readings of the last 28 days of
follow-up (at least `min_days` after the baseline). One client: the change from baseline with a one-sample t
interval over those readings (outcomes.stats.change_from_baseline). The clinic: each client's change (now -
baseline), their mean with a one-sample t interval across clients, and the share with a clinically important
change (Wilson interval) where a threshold is published. Stress: the change within a session (after - before),
paired t for one client, the mean of the clients' mean changes for the clinic. Falls: counts only. Range of
motion: the change per joint movement and side, and per client their mean.
"""

from __future__ import annotations

import datetime as dt
from statistics import fmean
from typing import Any

from django.utils import timezone

from nervecare.outcomes import stats
from nervecare.outcomes.claims.definitions import LedgerMeasure, claims_data, ledger_measures
from nervecare.outcomes.claims.rows import Reading, Series
from nervecare.screening.measures import catalogue

WINDOW_DAYS = 28


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def level_points(m: LedgerMeasure, readings: list[Reading]) -> tuple[Reading, list[float]] | None:
    """The baseline reading and the values of the current window, or None without a follow-up."""
    if not readings:
        return None
    baseline = readings[0]
    follow = [r for r in readings if r.at >= baseline.at + dt.timedelta(days=m.min_days)]
    if not follow:
        return None
    last = follow[-1].at
    window = [r.value for r in follow if r.at >= last - dt.timedelta(days=WINDOW_DAYS)]
    return baseline, window


def is_important(m: LedgerMeasure, baseline: float, current: float) -> bool | None:
    """Farrar's rule for the symptom ratings: a fall of `points` or of `percent`% of the baseline. None where
    no threshold is published."""
    if not m.important:
        return None
    drop = baseline - current
    by_points = drop >= float(m.important["points"])
    by_percent = baseline > 0 and drop / baseline * 100 >= float(m.important["percent"])
    return bool(by_points or by_percent)


def _cutoff_met(m: LedgerMeasure, value: float) -> bool:
    c = m.cutoff or {}
    op, threshold = c["op"], float(c["value"])
    return {
        ">=": value >= threshold,
        ">": value > threshold,
        "<=": value <= threshold,
        "<": value < threshold,
    }[op]


def _est(est: stats.Estimate, unit: str = "") -> dict[str, Any]:
    """An estimate as data, with its interval in words (or why there is none)."""
    text = f"{_fmt(est.low)}{unit} to {_fmt(est.high)}{unit}" if est.has_ci else (est.note or "–")
    return {**est.as_dict(), "ci_text": text}


def _share(est: stats.Estimate) -> dict[str, Any]:
    text = (
        f"{est.low * 100:.0f}% to {est.high * 100:.0f}%"
        if est.has_ci and est.low is not None and est.high is not None
        else (est.note or "–")
    )
    return {**est.as_dict(), "ci_text": text}


def _visits(readings: list[Reading]) -> int:
    return len({r.visit for r in readings if r.visit is not None})


def rom_changes(readings: list[Reading]) -> dict[str, tuple[float, float]]:
    """Per joint movement and side: (first reading, latest reading taken later)."""
    out: dict[str, tuple[float, float]] = {}
    by_key: dict[str, list[Reading]] = {}
    for r in readings:
        by_key.setdefault(r.key, []).append(r)
    for key, rs in by_key.items():
        later = [r for r in rs if r.at > rs[0].at]
        if later:
            out[key] = (rs[0].value, later[-1].value)
    return out


def stress_pairs(readings: list[Reading]) -> tuple[list[float], list[float]]:
    before = [r.value for r in readings if r.key == "before"]
    after = [r.value for r in readings if r.key == "after"]
    return before, after


def _importance_block(m: LedgerMeasure) -> dict[str, Any]:
    if m.important:
        return {
            "published": True,
            "rule": f"a fall of {m.important['points']:g} points or {m.important['percent']:g}% of the baseline",
            "source": m.important["source"],
        }
    return {"published": False, "note": m.important_note}


def _base(m: LedgerMeasure) -> dict[str, Any]:
    return {
        "code": m.code,
        "title": m.title,
        "plain": m.plain,
        "unit": m.unit,
        "better": m.better,
        "kind": m.kind,
        "applies_to": m.applies_to,
        "important": _importance_block(m),
        "cutoff": m.cutoff,
        "status": "no_data",
        "n_clients": 0,
        "n_readings": 0,
        "n_visits": 0,
        "baseline": None,
        "current": None,
        "change": None,
        "important_share": None,
        "important_count": None,
        "text": "No data yet.",
    }


# --- one client ----------------------------------------------------------------------------------------------


def client_measure(m: LedgerMeasure, readings: list[Reading], *, asked: bool) -> dict[str, Any]:
    out = _base(m)
    out["asked"] = asked
    if not readings:
        out["text"] = "No data yet." if asked else "Not asked: it does not concern this client."
        return out
    out["n_readings"] = len(readings)
    out["n_visits"] = _visits(readings)
    if m.kind == "paired":
        before, after = stress_pairs(readings)
        est = stats.paired_change(before, after)
        out.update(n_clients=1, change=_est(est), baseline=float(fmean(before)), current=float(fmean(after)))
        out["status"] = "ok" if est.value is not None else "no_data"
        out["text"] = f"Within a session: {_fmt(est.value)} points on average over {est.n} sessions" + (
            f" (95% CI {_fmt(est.low)} to {_fmt(est.high)})." if est.has_ci else f". {est.note}"
        )
        return out
    if m.kind == "counts":
        total = sum(r.value for r in readings)
        out.update(n_clients=1, status="ok", current=total)
        out["text"] = f"{total:g} falls reported over {len(readings)} visits (counts only)."
        return out
    if m.kind == "rom":
        pairs = rom_changes(readings)
        movements = m.extra.get("movements", {})
        joints = []
        for key, (first, last) in sorted(pairs.items()):
            movement, side = key.split(":")
            normal = movements.get(movement, {})
            joints.append(
                {
                    "key": key,
                    "title": f"{normal.get('title', movement)} ({side})",
                    "baseline": first,
                    "current": last,
                    "change": last - first,
                    "normal_max": normal.get("normal_max"),
                    "full_normal_range": normal.get("normal_max") is not None
                    and last >= normal["normal_max"],
                }
            )
        out["joints"] = joints
        if not joints:
            out["text"] = "Measured once so far: no change yet (re-measured at the re-evaluation)."
            return out
        est = stats.mean_ci([j["change"] for j in joints])
        out.update(n_clients=1, status="ok", change=_est(est))
        out["text"] = f"Mean change {_fmt(est.value)}° over {len(joints)} joint movements."
        return out
    points = level_points(m, readings)
    if points is None:
        out["text"] = (
            f"No data yet: followed for less than {m.min_days // 7} weeks."
            if m.min_days > 1
            else "Only a baseline so far: no change yet."
        )
        out["baseline"] = readings[0].value
        return out
    baseline, window = points
    est = stats.change_from_baseline(baseline.value, window)
    current = float(fmean(window))
    important = is_important(m, baseline.value, current)
    out.update(
        n_clients=1,
        status="ok",
        baseline=baseline.value,
        current=current,
        change=_est(est),
        important_count=None if important is None else int(important),
    )
    if m.cutoff:
        out["cutoff_baseline"] = _cutoff_met(m, baseline.value)
        out["cutoff_now"] = _cutoff_met(m, current)
    ci = f" (95% CI {_fmt(est.low)} to {_fmt(est.high)})." if est.has_ci else f". {est.note}"
    out["text"] = f"{_fmt(baseline.value)} at baseline, {_fmt(current)} now: change {_fmt(est.value)}{ci}"
    return out


# --- the clinic ----------------------------------------------------------------------------------------------


def clinic_measure(m: LedgerMeasure, per_client: dict[int, list[Reading]]) -> dict[str, Any]:
    out = _base(m)
    with_data = {cid: rs for cid, rs in per_client.items() if rs}
    out["n_readings"] = sum(len(rs) for rs in with_data.values())
    out["n_visits"] = sum(_visits(rs) for rs in with_data.values())
    out["n_clients_any"] = len(with_data)
    changes: list[float] = []
    important: list[bool] = []
    cut_base = cut_now = 0
    if m.kind == "counts":
        totals = [sum(r.value for r in rs) for rs in with_data.values()]
        if totals:
            out.update(status="ok", n_clients=len(totals), current=float(sum(totals)))
            fallers = sum(1 for t in totals if t > 0)
            out["text"] = (
                f"{sum(totals):g} falls reported by {len(totals)} clients over {out['n_visits']} visits; "
                f"{fallers} client(s) fell at least once (counts only)."
            )
        return out
    for rs in with_data.values():
        if m.kind == "paired":
            before, after = stress_pairs(rs)
            if before:
                changes.append(fmean([a - b for a, b in zip(after, before, strict=True)]))
        elif m.kind == "rom":
            pairs = rom_changes(rs)
            if pairs:
                changes.append(float(fmean([last - first for first, last in pairs.values()])))
        else:
            points = level_points(m, rs)
            if points is None:
                continue
            baseline, window = points
            current = float(fmean(window))
            changes.append(current - baseline.value)
            flag = is_important(m, baseline.value, current)
            if flag is not None:
                important.append(flag)
            if m.cutoff:
                cut_base += _cutoff_met(m, baseline.value)
                cut_now += _cutoff_met(m, current)
    if not changes:
        if with_data and m.min_days > 1:
            out["text"] = f"No data yet: no client has been followed for {m.min_days // 7} weeks or more."
        elif with_data:
            out["text"] = f"No data yet: {len(with_data)} client(s) measured once so far, no change yet."
        return out
    est = stats.mean_ci(changes)
    out.update(status="ok", n_clients=len(changes), change=_est(est))
    if important:
        share = stats.wilson(sum(important), len(important))
        out["important_share"] = _share(share)
        out["important_count"] = sum(important)
    if m.cutoff:
        out["cutoff_baseline_count"] = cut_base
        out["cutoff_now_count"] = cut_now
    ci = f" (95% CI {_fmt(est.low)} to {_fmt(est.high)})" if est.has_ci else f" ({est.note})"
    unit = "°" if m.kind == "rom" else ""
    out["text"] = f"Mean change {_fmt(est.value)}{unit}{ci} over {len(changes)} clients."
    return out


# --- the ledger ----------------------------------------------------------------------------------------------


def _claims(measure_results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    data = claims_data()
    not_measurable = catalogue().not_measurable
    out = []
    for claim in data["claims"]:
        measures = [measure_results[c] for c in claim.get("measures", [])]
        unmeasurable = [
            {"code": c, "title": not_measurable[c].title, "reason": not_measurable[c].reason}
            for c in claim.get("not_measurable", [])
        ]
        if not measures:
            status = "not_measurable"
        elif any(m["status"] == "ok" for m in measures):
            status = "data"
        else:
            status = "no_data"
        out.append(
            {
                "id": claim["id"],
                "claim": claim["claim"],
                "plain": claim["plain"],
                "note": claim.get("note", ""),
                "status": status,
                "measures": measures,
                "not_measurable": unmeasurable,
                "studies": [{"id": s, **data["studies"][s]} for s in claim.get("studies", [])],
                "no_study": "" if claim.get("studies") else data["no_study"],
            }
        )
    return out


def _envelope(scope: str) -> dict[str, Any]:
    data = claims_data()
    return {
        "scope": scope,
        "version": data["version"],
        "generated_at": timezone.now(),
        "caveat": data["caveat"],
        "plain_caveat": data["plain_caveat"],
        "design": "observational; no control group",
    }


def client_ledger(series: Series, *, asked: set[str], client: dict[str, Any]) -> dict[str, Any]:
    """One client's ledger from their readings; `asked`: the measures that concern them."""
    results = {
        code: client_measure(m, series.get(code, []), asked=code in asked or m.applies_to == "everyone")
        for code, m in ledger_measures().items()
    }
    return {**_envelope("client"), "client": client, "claims": _claims(results)}


def clinic_ledger(all_series: dict[int, Series], *, clinic: dict[str, Any]) -> dict[str, Any]:
    """The clinic's ledger from every client's readings."""
    results = {
        code: clinic_measure(m, {cid: s.get(code, []) for cid, s in all_series.items()})
        for code, m in ledger_measures().items()
    }
    return {**_envelope("clinic"), "clinic": clinic, "clients": len(all_series), "claims": _claims(results)}
