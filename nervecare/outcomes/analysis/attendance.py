"""Attendance and drop-out (the rule the cohort shares), and the adverse events recorded."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from nervecare.outcomes.rules import outcome_rules
from nervecare.outcomes.selectors import ClientData
from nervecare.outcomes.series import (
    course_week,
)


def dropped_out(
    *,
    plan_status: str | None,
    completed: int,
    planned: int | None,
    last_completed: dt.datetime | None,
    upcoming: int,
    now: dt.datetime,
    dropout_weeks: int,
) -> bool:
    """Stopped before the end of the course: a cancelled plan after starting, or nothing booked and no
    session for `dropout_weeks` weeks (NerveCare default) while sessions remain. Shared with the cohort."""
    if completed < 1 or plan_status == "completed" or (planned is not None and completed >= planned):
        return False
    if plan_status == "cancelled":
        return True
    return (
        upcoming == 0
        and last_completed is not None
        and now - last_completed >= dt.timedelta(weeks=dropout_weeks)
    )


# --- Attendance, adverse events --------------------------------------------------------------------------


def attendance_summary(data: ClientData, plan: Any) -> dict[str, Any]:
    rules = outcome_rules()
    past = [a for a in data.appointments if a.starts_at <= data.now]
    completed = [a for a in past if a.status == "completed"]
    no_show = sum(1 for a in past if a.status == "no_show")
    cancelled = sum(1 for a in data.appointments if a.status == "cancelled")
    upcoming = sum(
        1 for a in data.appointments if a.starts_at > data.now and a.status in ("booked", "checked_in")
    )
    planned = plan.course_weeks * plan.sessions_per_week if plan else None
    due = len(completed) + no_show
    last_completed = completed[-1].starts_at if completed else None
    stopped = dropped_out(
        plan_status=plan.status if plan else None,
        completed=len(completed),
        planned=planned,
        last_completed=last_completed,
        upcoming=upcoming,
        now=data.now,
        dropout_weeks=rules.data.dropout_weeks,
    )
    return {
        "completed": len(completed),
        "no_show": no_show,
        "cancelled": cancelled,
        "upcoming": upcoming,
        "planned": planned,
        "signed_notes": len(data.notes),
        "rate": len(completed) / due if due else None,
        "last_completed": last_completed,
        "stopped": stopped,
        "text": (
            _("Attended %(done)d of %(due)d sessions that were due%(planned)s; %(ns)d missed without notice.")
            % {
                "done": len(completed),
                "due": due,
                "planned": _(" (%(p)d planned in the course)") % {"p": planned} if planned else "",
                "ns": no_show,
            }
            if due
            else _("No sessions yet%(planned)s.")
            % {"planned": _(" (%(p)d planned in the course)") % {"p": planned} if planned else ""}
        )
        + (
            " "
            + _("No session for %(w)d weeks or more and nothing booked: the client seems to have stopped.")
            % {"w": rules.data.dropout_weeks}
            if stopped
            else ""
        ),
    }


def adverse_events(data: ClientData, t0: dt.datetime | None) -> list[dict[str, Any]]:
    return [
        {
            "at": n.starts_at,
            "week": course_week(n.starts_at, t0) if t0 else None,
            "kind": e.get_kind_display(),
            "severity": e.severity,
            "severity_label": e.get_severity_display(),
            "resolved": e.resolved,
        }
        for n in data.notes
        for e in n.adverse_events
    ]
