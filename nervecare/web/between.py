"""The therapist's list between sessions (issue 18 point 6): the clients who need a look — a red-flag foot
report not yet reviewed, or who stopped logging (daily foot checks, home-programme check-offs) — with their
adherence at a glance. It combines the daily foot check (nervecare.footcheck) and home self-care
(nervecare.selfcare), siblings that import neither each other, so it lives here, above both. Only the clients
whose record the user sees (clients_visible_to, through each app's selectors)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.selectors import clients_visible_to
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical
from nervecare.footcheck import rules as foot_check_rules
from nervecare.footcheck.selectors import WatchRow, foot_check_watch
from nervecare.selfcare.models import Programme
from nervecare.selfcare.selectors import AdherenceSummary, adherence_band, adherence_summaries


@dataclass
class ListRow:
    client: Client
    foot: WatchRow | None  # None: the client does not do the daily foot check
    adherence: AdherenceSummary | None  # None: no active home programme
    check_offs_days_since: int | None
    check_offs_stopped: bool

    @property
    def red_flag(self) -> bool:
        return bool(self.foot and self.foot.red_flags)

    @property
    def foot_stopped(self) -> bool:
        return bool(self.foot and self.foot.stopped)

    @property
    def needs_look(self) -> bool:
        return self.red_flag or self.foot_stopped or self.check_offs_stopped

    @property
    def band(self) -> str:
        return adherence_band(self.adherence.share) if self.adherence else "none"


def between_sessions_list(user: User, *, everyone: bool = False) -> list[ListRow]:
    """The user's clients who do the daily foot check or have an active home programme; by default only those
    who need a look (everyone=True: all of them), red flags first, then the longest silence. The threshold of
    days without logging is the foot check's (NERVECARE_FOOTCHECK_MISSED_DAYS, default 3)."""
    require_clinical(user)
    threshold = foot_check_rules.missed_days()
    feet = {row.client.pk: row for row in foot_check_watch(user, everyone=True)}
    programmes = dict(
        Programme.objects.filter(
            status=Programme.Status.ACTIVE, client__in=clients_visible_to(user)
        ).values_list("client_id", "starts_on")
    )
    adherence = adherence_summaries(programmes) if programmes else {}
    clients = {pk: row.client for pk, row in feet.items()}
    missing = [pk for pk in programmes if pk not in clients]
    if missing:
        clients.update(
            (c.pk, c) for c in clients_visible_to(user).filter(pk__in=missing).select_related("clinic")
        )
    rows = []
    for pk, client in clients.items():
        summary = adherence.get(pk) if pk in programmes else None
        days = None
        if summary is not None:
            today = timezone.localdate(timezone=ZoneInfo(client.clinic.timezone))
            since: datetime.date = summary.last_check_off_on or programmes[pk]
            days = max((today - since).days, 0)
        stopped = bool(summary is not None and summary.expected and days is not None and days >= threshold)
        row = ListRow(client, feet.get(pk), summary, days, stopped)
        if everyone or row.needs_look:
            rows.append(row)
    rows.sort(
        key=lambda r: (
            not r.red_flag,
            not (r.foot_stopped or r.check_offs_stopped),
            -max((r.foot.days_since or 0) if r.foot else 0, r.check_offs_days_since or 0),
            r.client.last_name,
            r.client.first_name,
        )
    )
    return rows


def list_row_dict(row: ListRow) -> dict[str, Any]:
    """One row as the API gives it."""
    foot = row.foot
    adherence = row.adherence
    return {
        "client_id": row.client.pk,
        "name": row.client.full_name,
        "needs_look": row.needs_look,
        "foot_check": None
        if foot is None
        else {
            "red_flag_reports": [c.pk for c in foot.red_flags],
            "last_checked_on": foot.last_checked_on,
            "days_without_a_check": foot.days_since,
            "stopped": foot.stopped,
        },
        "check_offs": None
        if adherence is None
        else {
            "last_check_off_on": adherence.last_check_off_on,
            "days_without_a_check_off": row.check_offs_days_since,
            "stopped": row.check_offs_stopped,
            "adherence_percent": adherence.percent,
            "adherence_band": row.band,
            "weeks": [w.as_dict() for w in adherence.weeks],
        },
    }
