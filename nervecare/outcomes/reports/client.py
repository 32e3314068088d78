"""A client's progress report, for the client or the referring clinician."""

from typing import Any

from django.utils.translation import gettext_lazy
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer

from nervecare.outcomes import charts, stats
from nervecare.outcomes.analysis import fmt
from nervecare.outcomes.hooks import client_report_sections
from nervecare.outcomes.reevaluation import ACTION_LABELS
from nervecare.outcomes.reports.claims import ledger_story, plain_story
from nervecare.outcomes.reports.pdf import PAGE_WIDTH, build_pdf, chart_image, ci_text, paragraph, table

AUDIENCES = ("client", "clinician")

CLIENT_CAVEAT = gettext_lazy(
    "These are your own ratings from your visits. They show how your symptoms changed, not whether the massage "
    "caused the change: symptoms also change with time, medicines and the rest of your care. This report is "
    "not a diagnosis or a promise. Talk to your therapist or doctor about anything in it."
)
REAL_IMPROVEMENT = gettext_lazy(
    "What “likely real improvement” means: your rating has come down by about 2 points or by a third or more "
    "since you started, and stayed down for several weeks. People with nerve pain in research studies said a "
    "change that size made a real difference to them. Smaller changes can be the ordinary ups and downs of "
    "how you feel from week to week."
)


def _plain_status(s: dict[str, Any], min_weeks: int) -> str:
    """One rating's change in words a client reads, from the same verdict the clinician's copy shows."""
    label = s["label"]
    base = s["baseline"]["value"] if s["baseline"] else None
    now = s["current"]["value"]
    status = s["status"]
    if status == stats.NO_DATA or base is None:
        return f"{label}: no rating yet."
    if status == stats.INSUFFICIENT:
        return f"{label}: it is too early to tell; this needs at least {min_weeks} weeks of your ratings."
    numbers = f"{fmt(base)} when you started, {fmt(now)} now"
    if status == stats.RESPONDER:
        return f"{label}: {numbers}. A likely real improvement."
    if status == stats.WORSE:
        return f"{label}: {numbers}. Higher than when you started: please tell your therapist."
    if status == stats.NOT_APPLICABLE:
        return f"{label}: {numbers}. You had none when you started."
    return f"{label}: {numbers}. A small change so far, which may be the usual ups and downs."


def plain_lines(result: dict[str, Any]) -> list[str]:
    """The client's summary: attendance, each rating in words, the overall impression."""
    min_weeks = result["thresholds"]["min_weeks"]
    lines = [result["attendance"]["text"]]
    lines += [_plain_status(s, min_weeks) for s in result["measures"].values() if s["baseline"]]
    if result["pgic"]["latest"]:
        lines.append(f"Overall, you said you feel “{result['pgic']['latest']['label']}” since you started.")
    return lines


def _on_the_day(label: str, imm: Any) -> str:
    if imm.value is None:
        return ""
    if abs(imm.value) < 0.05:
        return f"On the day of a session, your {label.lower()} rating was about the same after the massage."
    way = "lower" if imm.value < 0 else "higher"
    return (
        f"On the day of a session, your {label.lower()} rating was on average {fmt(abs(imm.value))} points "
        f"{way} right after the massage than before it ({imm.n} sessions)."
    )


def client_report_pdf(
    result: dict[str, Any],
    *,
    audience: str = "client",
    flags: list[Any] | None = None,
    clinic_name: str = "",
    claims: dict[str, Any] | None = None,
) -> bytes:
    """A client's progress report: who, condition, plan, attendance, charts, changes and what they mean,
    flags and adverse events, a plain-language summary and the observational caveat; with `claims` (the
    client's claims ledger, outcomes.claims), its section in the audience's words."""
    if audience not in AUDIENCES:
        audience = "client"
    # The client's copy is in plain language (issue 19): no intervals, no instrument acronyms or study names;
    # "likely real improvement", explained. The clinician's copy keeps the statistics and the methods.
    plain = audience == "client"
    story = [
        *_report_heading(result, audience, clinic_name),
        *_report_who(result, plain=plain),
        *(_report_changes_plain(result) if plain else _report_changes(result)),
        *_report_charts(result, plain=plain),
        *_report_soreness(result),
        *_report_adherence(result),
        *_report_screenings(result, plain=plain),
        *_report_safety(result, flags, plain=plain),
        *_report_reevaluation(result, audience),
        *client_report_sections(result, plain=plain),
    ]
    if claims is not None:
        story += plain_story(claims) if plain else ledger_story(claims)
    if not plain:
        story += _report_methods()
    story.append(paragraph(str(CLIENT_CAVEAT) if plain else result["caveat"], "caveat"))
    return build_pdf(
        story, title=f"Progress report: {result['client']['name']}", author=clinic_name or "NerveCare"
    )


def _report_heading(result: dict[str, Any], audience: str, clinic_name: str) -> list[Any]:
    """The title, whom the report is for, and when and under which rules it was made."""
    client = result["client"]
    story: list[Any] = [
        paragraph(f"Progress report: {client['name']}", "title"),
        paragraph(
            (
                f"For the referring clinician{': ' + client['referring_clinician'] if client['referring_clinician'] else ''}."
                if audience == "clinician"
                else "For you, the client: how your own ratings have changed since you started."
            ),
            "small",
        ),
        paragraph(
            f"{clinic_name + ' · ' if clinic_name else ''}Generated {result['generated_at']:%Y-%m-%d %H:%M} UTC"
            + (f" · rules version {result['rules_version']}" if audience == "clinician" else ""),
            "small",
        ),
        Spacer(1, 4),
    ]
    return story


def _report_who(result: dict[str, Any], *, plain: bool = False) -> list[Any]:
    """Who the client is, their neuropathy, plan, course and attendance; the summary and the caveat."""
    client = result["client"]
    plan = result["plan"]
    who = [
        ["Client", client["name"]],
        ["Date of birth", f"{client['date_of_birth']:%Y-%m-%d}"],
        [
            "Neuropathy",
            "; ".join(
                c["label"] + (f" — {c['diagnosis']}" if c["diagnosis"] else "") for c in result["conditions"]
            )
            or "–",
        ],
        [
            "Plan",
            f"{plan['label']} ({plan['status']}), therapist {plan['therapist'] or '–'}"
            if plan
            else "No plan",
        ],
        [
            "Course",
            f"started {result['course_start']:%Y-%m-%d}, now in week {result['current_week']}"
            if result["course_start"]
            else "not started",
        ],
        ["Attendance", result["attendance"]["text"]],
    ]
    if client["goals"]:
        who.append(["Goals", f"“{client['goals']}”"])
    story: list[Any] = [table([["", ""], *who][1:], [35 * mm, PAGE_WIDTH - 35 * mm])]
    lines = plain_lines(result) if plain else result["summary"]
    story += [paragraph("In plain words", "h2"), *[paragraph("• " + line) for line in lines]]
    story.append(paragraph(str(CLIENT_CAVEAT) if plain else result["caveat"], "caveat"))
    return story


def _report_changes(result: dict[str, Any]) -> list[Any]:
    """Each rating's change since intake, with its interval and what it means."""
    story: list[Any] = [paragraph("Changes since intake", "h2")]
    rows = [["Rating", "Intake", "Now", "Change", "95% CI (points)", "What it means"]]
    for s in result["measures"].values():
        ch = s["change"]
        pct = (
            f" ({fmt(ch['percent'], 0)}%)"
            if ch["percent"] is not None
            else (" (% undefined: baseline 0)" if ch["points"] is not None else "")
        )
        rows.append(
            [
                s["label"],
                fmt(s["baseline"]["value"]) if s["baseline"] else "–",
                fmt(s["current"]["value"]),
                (fmt(ch["points"]) + pct) if ch["points"] is not None else "–",
                ci_text(ch["ci"]),
                s["status_label"] + (f"; {s['immpact']}" if s["immpact"] else ""),
            ]
        )
    story.append(table(rows, [22 * mm, 16 * mm, 14 * mm, 30 * mm, 34 * mm, PAGE_WIDTH - 116 * mm]))
    story.append(
        paragraph(
            f"“Now” is the mean of the last {result['thresholds']['window_weeks']} weeks with a rating. A clinically "
            f"important improvement is about {fmt(result['thresholds']['points'], 0)} points or "
            f"{fmt(result['thresholds']['percent'], 0)}% less ({result['thresholds']['source']}). A verdict needs at "
            f"least {result['thresholds']['min_weeks']} weeks of ratings after intake. The 95% interval shows how "
            "much the weekly ratings vary around the change; a wide interval means the numbers are still uncertain.",
            "small",
        )
    )
    return story


def _report_changes_plain(result: dict[str, Any]) -> list[Any]:
    """Each rating: when the client started, now, and what it means, in words; the meaning explained."""
    story: list[Any] = [paragraph("Your ratings since you started", "h2")]
    rows = [["Rating (0–10)", "When you started", "Now", "What it means"]]
    for s in result["measures"].values():
        if not s["baseline"]:
            continue
        meaning = _plain_status(s, result["thresholds"]["min_weeks"]).split(". ", 1)[-1]
        rows.append(
            [s["label"], fmt(s["baseline"]["value"]), fmt(s["current"]["value"]), paragraph(meaning, "small")]
        )
    story.append(table(rows, [30 * mm, 30 * mm, 18 * mm, PAGE_WIDTH - 78 * mm]))
    story.append(
        paragraph(
            f"“Now” is the average of your last {result['thresholds']['window_weeks']} weeks with a rating. "
            + str(REAL_IMPROVEMENT),
            "small",
        )
    )
    return story


def _report_charts(result: dict[str, Any], *, plain: bool = False) -> list[Any]:
    """Each rating week by week, its trend, and the immediate effect of the sessions."""
    story: list[Any] = []
    weeks = [p["week"] for p in result["reevaluations"]]
    for s in result["measures"].values():
        if s["baseline"] is None:
            continue
        story.append(
            KeepTogether(
                [
                    paragraph(f"{s['label']}: lasting change, week by week", "h2"),
                    chart_image(
                        "ratings",
                        (s["label"], s["baseline"], s["points"], s["weekly"], weeks),
                        lambda s=s: charts.ratings_figure(s, weeks),
                    ),
                ]
            )
        )
        trend = s["trend"].slope
        if plain:
            if trend.value is not None and abs(trend.value) >= 0.05:
                way = "down" if trend.value < 0 else "up"
                story.append(
                    paragraph(
                        f"Over the weeks your rating went {way} by about {fmt(abs(trend.value))} points a week.",
                        "small",
                    )
                )
        else:
            story.append(
                paragraph(
                    f"Trend: {fmt(trend.value, 2)} points per week (95% CI {ci_text(trend, 2)})."
                    if trend.value is not None
                    else f"Trend: {trend.note}",
                    "small",
                )
            )
        imm = s["immediate"]["mean"]
        if s["immediate"]["sessions"]:
            story.append(
                KeepTogether(
                    [
                        chart_image(
                            "immediate",
                            (s["label"], s["immediate"]["sessions"]),
                            lambda s=s: charts.immediate_figure(s),
                            PAGE_WIDTH * 0.8,
                        )
                    ]
                )
            )
            story.append(
                paragraph(
                    _on_the_day(s["label"], imm)
                    if plain
                    else (
                        f"Immediate effect (on the day, kept apart from the lasting change): after minus before, "
                        f"mean {fmt(imm.value)} points over {imm.n} sessions (95% CI {ci_text(imm)})."
                    ),
                    "small",
                )
            )
    return story


def _report_soreness(result: dict[str, Any]) -> list[Any]:
    """Soreness after sessions, and why it may need a review."""
    story: list[Any] = []
    if result["soreness"]["points"]:
        story.append(
            KeepTogether(
                [
                    paragraph("Soreness after sessions", "h2"),
                    chart_image(
                        "soreness",
                        result["soreness"]["points"],
                        lambda: charts.soreness_figure(result["soreness"]),
                        PAGE_WIDTH * 0.8,
                    ),
                ]
            )
        )
        for reason in result["soreness"]["review_reasons"]:
            story.append(paragraph("• " + reason, "small"))
    return story


def _report_adherence(result: dict[str, Any]) -> list[Any]:
    """Home self-care adherence per week (issue 18 point 5): what the client ticked off of what was assigned."""
    adherence = result.get("adherence") or {}
    if not adherence.get("weeks"):
        return []
    rows: list[list[Any]] = [["Week of", "Done", "Due", "Adherence"]]
    for w in adherence["weeks"]:
        rows.append(
            [
                w["week_start"],
                str(w["done"]),
                str(w["expected"]),
                "—" if w["percent"] is None else f"{w['percent']}%",
            ]
        )
    return [
        KeepTogether([paragraph("Home self-care", "h2"), paragraph(adherence["text"]), table(rows)]),
        Spacer(1, 3 * mm),
    ]


def _report_screenings(result: dict[str, Any], *, plain: bool = False) -> list[Any]:
    """The global impression and each instrument's totals."""
    story: list[Any] = []
    story.append(paragraph("Questionnaires" if plain else "Screenings and global impression", "h2"))
    latest = result["pgic"]["latest"]
    if not plain:
        story.append(paragraph(result["pgic"]["text"]))
    elif latest:
        story.append(paragraph(f"How you said you feel overall since you started: “{latest['label']}”."))
    if result["instruments"]:
        rows = [["Questionnaire" if plain else "Instrument", "Dates and totals", "First", "Latest"]]
        for inst in result["instruments"]:
            rows.append(
                [
                    inst["title"],
                    ", ".join(
                        f"{p['at']:%Y-%m-%d}: {fmt(p['total'])}/{fmt(p['max'], 0)}" for p in inst["points"]
                    ),
                    inst["points"][0]["summary"],
                    inst["points"][-1]["summary"],
                ]
            )
        story.append(table(rows, [28 * mm, 62 * mm, (PAGE_WIDTH - 90 * mm) / 2, (PAGE_WIDTH - 90 * mm) / 2]))
    return story


def _report_safety(result: dict[str, Any], flags: list[Any] | None, *, plain: bool = False) -> list[Any]:
    """Open safety flags and the adverse events recorded."""
    story: list[Any] = []
    story.append(paragraph("Your safety" if plain else "Safety flags and adverse events", "h2"))
    if flags and plain:
        story.append(paragraph("Your therapist takes care with:"))
        story += [paragraph(f"• {f.title} ({f.area})") for f in flags]
    elif flags:
        story += [paragraph(f"• [{f.level}] {f.title} — {f.area}") for f in flags]
    else:
        story.append(
            paragraph("Nothing your therapist needs to hold back for." if plain else "No open safety flags.")
        )
    if result["adverse_events"]:
        rows = [["Date", "Week", "What", "How bad" if plain else "Severity", "Resolved"]]
        rows += [
            [
                f"{e['at']:%Y-%m-%d}",
                e["week"] or "–",
                e["kind"],
                e["severity_label"],
                "yes" if e["resolved"] else "no",
            ]
            for e in result["adverse_events"]
        ]
        story.append(table(rows))
    else:
        story.append(paragraph("No unwanted effects recorded." if plain else "No adverse events recorded."))
    return story


def _report_reevaluation(result: dict[str, Any], audience: str) -> list[Any]:
    """Each re-evaluation point: NerveCare's suggestion, its reasons and the therapist's decision."""
    story: list[Any] = []
    story.append(paragraph("Re-evaluation", "h2"))
    if not result["reevaluations"]:
        story.append(paragraph("The plan has no re-evaluation points."))
    for point in result["reevaluations"]:
        sug = point["suggestion"]
        if sug is None:
            story.append(paragraph(f"Week {point['week']}: not reached yet.", "small"))
            continue
        state = (
            "reached" if point["reached"] else f"coming; based on the data up to week {point['as_of_week']}"
        )
        decision = point["decision"]
        decided = (
            f" Therapist: {decision.get_decision_display().lower()} ({decision.get_action_display().lower()})"
            + (f" — {decision.reason}" if decision.reason else "")
            + "."
            if decision
            else " Not yet decided by the therapist."
        )
        story.append(
            paragraph(
                f"Week {point['week']} ({state}): NerveCare suggests to {ACTION_LABELS[sug['action']]}.{decided}"
            )
        )
        for r in sug["reasons"] if audience == "clinician" else []:  # the rules' reasons use the statistics
            story.append(
                paragraph(
                    f"• {r['reason']}" + (f" Basis: {r['basis']}" if audience == "clinician" else ""), "small"
                )
            )
    return story


def _report_methods() -> list[Any]:
    """How the figures are computed (the clinician's copy only)."""
    story: list[Any] = []
    story.append(paragraph("Methods", "h2"))
    story.append(
        paragraph(
            "Baseline: the intake 0-10 screening (else the intake record, else the first pre-session rating). "
            "Lasting effect: pre-session ratings and later screenings, averaged per course week. Change from "
            "baseline: mean of the last weeks minus baseline, one-sample t interval (SciPy). Trend: OLS slope "
            "of weekly values on weeks, t interval on n-2 degrees of freedom. Immediate effect: paired t on "
            "after minus before per session. Responder: Farrar 2001 thresholds; PGIC 1-2. Suggestions follow "
            "the rules in outcomes/data/outcome_rules.yaml; the therapist accepts or overrules each one.",
            "small",
        )
    )
    return story
