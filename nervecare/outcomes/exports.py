"""CSV exports of the numbers behind the outcome pages: one client's, and the clinic's (groups or clients).

Every export starts with comment lines ("# " first) that carry the caveat the pages show: observational data
from routine care, no control group, and how many clients the numbers rest on. Then comes the header row and
the data. Read them with `pandas.read_csv(path, comment="#")`, R's `read.csv(path, comment.char = "#")`, or
skip the lines that start with "#"; spreadsheets show them as the first rows."""

import csv
import io
from typing import Any

from django.utils.translation import gettext as _

from nervecare.outcomes.stats import Estimate

CLIENT_COLUMNS = [
    "section",  # rating · weekly · summary · session · instrument · pgic · soreness · reevaluation
    "measure",
    "at",
    "week",
    "value",
    "before",
    "after",
    "baseline",
    "now",
    "change_points",
    "change_percent",
    "ci_low",
    "ci_high",
    "n",
    "status",
    "source",
    "note",
]

CLINIC_COLUMNS = [
    "measure",
    "dimension",
    "group",
    "clients",
    "evaluable",
    "responders",
    "responder_rate",
    "responder_ci_low",
    "responder_ci_high",
    "worse",
    "mean_change",
    "mean_change_ci_low",
    "mean_change_ci_high",
    "mean_change_n",
    "attendance_rate",
    "no_show_rate",
    "dropout_rate",
    "dropout_ci_low",
    "dropout_ci_high",
    "adverse_events",
    "adverse_events_per_100_sessions",
    "clients_with_adverse_event_rate",
]

CLINIC_CLIENT_COLUMNS = [
    "client_id",
    "measure",
    "type",
    "cause",
    "modality",
    "therapist",
    "sessions_attended",
    "no_show",
    "baseline",
    "now",
    "change_points",
    "weeks_with_ratings",
    "status",
    "dropped_out",
    "adverse_events",
]


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return f"{float(value):.{digits}f}"


def _at(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def caveat_lines(*lines: str) -> list[str]:
    return [" ".join(str(line).split()) for line in lines if line]


def _write(columns: list[str], rows: list[dict[str, Any]], caveat: list[str] | None = None) -> str:
    buf = io.StringIO()
    for line in caveat or []:
        buf.write(f"# {line}\n")
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in columns})
    return buf.getvalue()


def _ci(est: Estimate | None) -> dict[str, str]:
    if est is None:
        return {}
    return {"ci_low": _num(est.low), "ci_high": _num(est.high), "n": str(est.n), "note": est.note}


def client_csv(result: dict[str, Any]) -> str:
    rows: list[dict[str, Any]] = []
    for m, s in result["measures"].items():
        rows += _measure_rows(m, s)
    rows += _other_rows(result)
    return _write(
        CLIENT_COLUMNS,
        rows,
        caveat_lines(
            _("NerveCare outcomes of one client (observational data, no control group)."),
            result.get("caveat", ""),
        ),
    )


def _measure_rows(m: str, s: dict[str, Any]) -> list[dict[str, Any]]:
    """One rating's rows: its points, weekly means, change since intake, trend and immediate effect."""
    rows: list[dict[str, Any]] = []
    for p in s["points"]:
        rows.append(
            {
                "section": "rating",
                "measure": m,
                "at": _at(p["at"]),
                "week": p["week"],
                "value": _num(p["value"], 1),
                "source": "baseline: " + p["source"] if p["baseline"] else p["source"],
            }
        )
    for w in s["weekly"]:
        rows.append(
            {"section": "weekly", "measure": m, "week": w["week"], "value": _num(w["value"]), "n": w["n"]}
        )
    change = s["change"]
    rows.append(
        {
            "section": "summary",
            "measure": m,
            "baseline": _num(s["baseline"]["value"], 1) if s["baseline"] else "",
            "now": _num(s["current"]["value"]),
            "change_points": _num(change["points"]),
            "change_percent": _num(change["percent"]),
            "status": s["status"],
            **_ci(change["ci"]),
            "note": (change["ci"].note if change["ci"] else "") or change["percent_note"],
            "source": f"now = mean of the last {s['current']['window_weeks']} weekly values",
        }
    )
    trend = s["trend"].slope
    rows.append(
        {
            "section": "trend",
            "measure": m,
            "value": _num(trend.value),
            **_ci(trend),
            "source": "OLS slope, points per week",
        }
    )
    for sess in s["immediate"]["sessions"]:
        rows.append(
            {
                "section": "session",
                "measure": m,
                "at": _at(sess["at"]),
                "week": sess["week"],
                "before": sess["before"],
                "after": sess["after"],
                "value": sess["change"],
            }
        )
    imm = s["immediate"]["mean"]
    rows.append(
        {
            "section": "immediate",
            "measure": m,
            "value": _num(imm.value),
            **_ci(imm),
            "source": "mean of after - before, paired t",
        }
    )
    return rows


def _other_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Screening totals, global impressions, soreness and the re-evaluation suggestions."""
    rows: list[dict[str, Any]] = []
    for inst in result["instruments"]:
        for p in inst["points"]:
            rows.append(
                {
                    "section": "instrument",
                    "measure": inst["code"],
                    "at": _at(p["at"]),
                    "week": p["week"],
                    "value": _num(p["total"], 1),
                    "status": p["summary"],
                    "source": p["context"],
                }
            )
    for p in result["pgic"]["points"]:
        rows.append(
            {
                "section": "pgic",
                "measure": "pgic",
                "at": _at(p["at"]),
                "week": p["week"],
                "value": p["value"],
                "status": p["label"],
            }
        )
    for p in result["soreness"]["points"]:
        rows.append(
            {
                "section": "soreness",
                "measure": "soreness",
                "at": _at(p["at"]),
                "week": p["week"],
                "value": p["value"],
            }
        )
    for p in result["reevaluations"]:
        if p["suggestion"]:
            rows.append(
                {
                    "section": "reevaluation",
                    "week": p["week"],
                    "status": p["suggestion"]["action"],
                    "note": "; ".join(r["reason"] for r in p["suggestion"]["reasons"]),
                    "source": "reached" if p["reached"] else f"preview as of week {p['as_of_week']}",
                }
            )
    return rows


def _group_row(measure: str, dimension: str, group: str, g: dict[str, Any]) -> dict[str, Any]:
    rr, mc, do, ae = g["responder_rate"], g["mean_change"], g["dropout"], g["clients_with_adverse_event"]
    return {
        "measure": measure,
        "dimension": dimension,
        "group": group,
        "clients": g["clients"],
        "evaluable": g["evaluable"],
        "responders": g["responders"],
        "responder_rate": _num(rr.value),
        "responder_ci_low": _num(rr.low),
        "responder_ci_high": _num(rr.high),
        "worse": g["worse"],
        "mean_change": _num(mc.value),
        "mean_change_ci_low": _num(mc.low),
        "mean_change_ci_high": _num(mc.high),
        "mean_change_n": mc.n,
        "attendance_rate": _num(g["attendance_rate"]),
        "no_show_rate": _num(g["no_show_rate"]),
        "dropout_rate": _num(do.value),
        "dropout_ci_low": _num(do.low),
        "dropout_ci_high": _num(do.high),
        "adverse_events": g["adverse_events"],
        "adverse_events_per_100_sessions": _num(g["adverse_events_per_100_sessions"]),
        "clients_with_adverse_event_rate": _num(ae.value),
    }


def _clinic_caveat(result: dict[str, Any]) -> list[str]:
    overall = result["overall"]
    return caveat_lines(
        _("NerveCare clinic outcomes: observational data, no control group; N = %(n)s clients.")
        % {"n": overall["clients"]},
        result.get("caveat", ""),
        result.get("rests_on", ""),
    )


def clinic_csv(result: dict[str, Any]) -> str:
    measure = result["measure"]
    rows = [_group_row(measure, "all", "all", result["overall"])]
    for dimension, groups in result["groups"].items():
        rows += [_group_row(measure, dimension, g["key"], g) for g in groups]
    return _write(CLINIC_COLUMNS, rows, _clinic_caveat(result))


def clinic_clients_csv(result: dict[str, Any]) -> str:
    """One row per client (pseudonymous: the id only, no names)."""
    measure = result["measure"]
    rows = [
        {
            "client_id": r.client_id,
            "measure": measure,
            "type": r.type,
            "cause": r.cause,
            "modality": r.modality,
            "therapist": r.therapist,
            "sessions_attended": r.completed,
            "no_show": r.no_show,
            "baseline": _num(r.baseline, 1),
            "now": _num(r.current),
            "change_points": _num(r.current - r.baseline)
            if r.current is not None and r.baseline is not None
            else "",
            "weeks_with_ratings": r.n_weeks,
            "status": r.status,
            "dropped_out": _num(r.dropped_out),
            "adverse_events": r.adverse_events,
        }
        for r in sorted(result["clients"], key=lambda r: r.client_id)
    ]
    return _write(CLINIC_CLIENT_COLUMNS, rows, _clinic_caveat(result))
