"""Reads of home self-care: the programme, what may be assigned, today's items, the week, adherence.

Adherence (issue 18 point 5) is the share of assigned item-days done: for each item of the programme and
each week (Monday to Sunday, up to today), the days it was due (`rules.expected_in_week`: a 3-days-a-week
item expects 3 of 7) against the distinct days it was checked off (at most the days expected). An item paused
by a safety flag that opened after it was assigned is not expected from the day the flag was raised.

`adherence_summaries(client_ids)` is the bulk read for lists (the therapist's list in nervecare.footcheck
reads it): a fixed number of queries for any number of clients.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.selectors import client_get_for_user, portal_user_id_of
from nervecare.core.models import User
from nervecare.core.permissions import clinic_id_of
from nervecare.screening.models import SafetyFlag
from nervecare.selfcare.library import Item, library
from nervecare.selfcare.models import CheckOff, Programme, ProgrammeChange, ProgrammeItem, ReminderSetting
from nervecare.selfcare.rules import Refusal, due_days, expected_in_week, refusals


def clinic_zone(client: Client) -> ZoneInfo:
    return ZoneInfo(client.clinic.timezone or "UTC")


def client_today(client: Client, now: datetime.datetime | None = None) -> datetime.date:
    """Today in the client's clinic's time zone (check-offs are local days)."""
    return timezone.localtime(now or timezone.now(), clinic_zone(client)).date()


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def item_due_on(pi: ProgrammeItem, day: datetime.date) -> bool:
    """Whether the item was part of the programme on that day."""
    return pi.starts_on <= day and (pi.ends_on is None or day <= pi.ends_on)


# --- the programme -------------------------------------------------------------------------------------


def _items_prefetch() -> Prefetch:
    return Prefetch("items", queryset=ProgrammeItem.objects.order_by("removed_at", "id"))


def programmes_for_client(client: Client) -> QuerySet[Programme]:
    return Programme.objects.filter(client=client).prefetch_related(_items_prefetch())


def programme_active(client: Client) -> Programme | None:
    """The client's active programme with its items, or None."""
    return programmes_for_client(client).filter(status=Programme.Status.ACTIVE).first()


def programme_get_for_client(client: Client, programme_id: int) -> Programme:
    """A programme of a client already fetched through the permission rules; 404 otherwise."""
    found = programmes_for_client(client).filter(pk=programme_id).first()
    if found is None:
        raise Http404("No such programme.")
    return found


def programme_get_for_user(user: User, client_id: int, programme_id: int) -> Programme:
    """A programme of a client the user may see (clients.selectors.client_get_for_user decides); 404
    otherwise."""
    client = client_get_for_user(user, client_id)
    return programme_get_for_client(client, programme_id)


def selfcare_client_get_for_user(user: User, client_id: int) -> Client:
    """The client whose self-care a user may read or tick: clinical staff who see the record
    (clients.selectors.client_get_for_user), or the client themself (their portal sign-in); 404 otherwise."""
    if user.is_authenticated and user.role == User.Role.CLIENT:
        client = (
            Client.objects.select_related("clinic").filter(pk=client_id, clinic_id=clinic_id_of(user)).first()
        )
        if client is None or portal_user_id_of(client)() != user.pk:
            raise Http404("No such client.")
        return client
    return client_get_for_user(user, client_id)


def check_offs_for_client(client: Client, *, first: datetime.date, last: datetime.date) -> QuerySet[CheckOff]:
    return CheckOff.objects.filter(client=client, day__gte=first, day__lte=last).select_related("item")


def programme_history(programme: Programme) -> list[ProgrammeChange]:
    return list(programme.changes.select_related("by"))


def _open_flags(client_ids: Iterable[int]) -> dict[int, list[SafetyFlag]]:
    out: dict[int, list[SafetyFlag]] = defaultdict(list)
    for f in SafetyFlag.objects.filter(client_id__in=list(client_ids), status=SafetyFlag.Status.OPEN):
        out[f.client_id].append(f)
    return out


@dataclass
class ItemOption:
    """A library item as the therapist sees it for one client: refused (with the reasons) or assignable."""

    item: Item
    refusals: list[Refusal]

    @property
    def allowed(self) -> bool:
        return not self.refusals


def assignable_items(client: Client, flags: list[SafetyFlag] | None = None) -> list[ItemOption]:
    """Every library item with the reasons it is refused for this client (open safety flags)."""
    flags = _open_flags([client.pk]).get(client.pk, []) if flags is None else flags
    return [ItemOption(item=i, refusals=refusals(i, flags)) for i in library().items.values()]


def _paused_from(code: str, flags: list[SafetyFlag], zone: ZoneInfo) -> datetime.date | None:
    """The day an open contraindicating flag was raised (the item is paused from then), or None."""
    item = library().get(code)
    if item is None:
        return datetime.date.min  # a code no longer in the library is never due
    bad = {c.flag for c in item.contraindicated_by}
    days = [timezone.localtime(f.raised_at, zone).date() for f in flags if f.rule_id in bad]
    return min(days) if days else None


@dataclass
class TodayItem:
    pi: ProgrammeItem
    item: Item
    done: CheckOff | None
    paused: list[Refusal]
    done_this_week: int
    due_this_week: int


def today_items(client: Client, day: datetime.date | None = None) -> list[TodayItem]:
    """The items assigned for `day` (today by default) with their tick, paused ones last."""
    day = day or client_today(client)
    programme = programme_active(client)
    if programme is None:
        return []
    flags = _open_flags([client.pk]).get(client.pk, [])
    items = [pi for pi in programme.items.all() if item_due_on(pi, day)]
    monday = week_start(day)
    ticks = list(
        CheckOff.objects.filter(item__in=items, day__gte=monday, day__lte=monday + datetime.timedelta(days=6))
    )
    by_item: dict[int, list[CheckOff]] = defaultdict(list)
    for t in ticks:
        by_item[t.item_id].append(t)
    out = []
    for pi in items:
        item = library().get(pi.item_code)
        if item is None:
            continue
        days_in_week = len(
            due_days(
                starts_on=pi.starts_on,
                ends_on=pi.ends_on,
                first=monday,
                last=monday + datetime.timedelta(days=6),
            )
        )
        out.append(
            TodayItem(
                pi=pi,
                item=item,
                done=next((t for t in by_item[pi.pk] if t.day == day), None),
                paused=refusals(item, flags),
                done_this_week=len(by_item[pi.pk]),
                due_this_week=expected_in_week(days_in_week, item.days_per_week),
            )
        )
    out.sort(key=lambda t: (bool(t.paused), t.pi.id))
    return out


@dataclass
class WeekRow:
    pi: ProgrammeItem
    item: Item
    cells: list[dict[str, Any]]  # one per day: {"day", "due", "done", "rating", "note"}
    done: int
    expected: int


def week_view(client: Client, monday: datetime.date | None = None) -> dict[str, Any]:
    """What the client did in a week (Monday to Sunday): a row per item, a cell per day."""
    today = client_today(client)
    monday = week_start(monday or today)
    sunday = monday + datetime.timedelta(days=6)
    days = [monday + datetime.timedelta(days=i) for i in range(7)]
    items = list(
        ProgrammeItem.objects.filter(programme__client=client, starts_on__lte=sunday)
        .exclude(ends_on__lt=monday)
        .order_by("id")
    )
    ticks = {
        (t.item_id, t.day): t
        for t in CheckOff.objects.filter(item__in=items, day__gte=monday, day__lte=sunday)
    }
    rows = []
    for pi in items:
        item = library().get(pi.item_code)
        if item is None:
            continue
        cells = []
        for d in days:
            t = ticks.get((pi.pk, d))
            cells.append(
                {
                    "day": d,
                    "due": item_due_on(pi, d),
                    "done": t is not None,
                    "rating": t.rating if t else None,
                    "note": t.note if t else "",
                    "future": d > today,
                }
            )
        assigned = len(
            due_days(starts_on=pi.starts_on, ends_on=pi.ends_on, first=monday, last=min(sunday, today))
        )
        expected = expected_in_week(assigned, item.days_per_week)
        rows.append(
            WeekRow(
                pi=pi,
                item=item,
                cells=cells,
                done=min(sum(1 for c in cells if c["done"]), expected) if expected else 0,
                expected=expected,
            )
        )
    return {
        "monday": monday,
        "days": days,
        "rows": rows,
        "previous": monday - datetime.timedelta(days=7),
        "next": monday + datetime.timedelta(days=7) if sunday < today else None,
    }


def reminder_of(client: Client) -> ReminderSetting | None:
    return ReminderSetting.objects.filter(client=client).first()


# --- adherence -------------------------------------------------------------------------------------------


@dataclass
class WeekAdherence:
    week_start: datetime.date
    expected: int
    done: int

    @property
    def share(self) -> float | None:
        """Done / expected (0..1), or None for a week with nothing due."""
        return self.done / self.expected if self.expected else None

    @property
    def percent(self) -> int | None:
        share = self.share
        return None if share is None else round(share * 100)

    def as_dict(self) -> dict[str, Any]:
        return {
            "week_start": self.week_start.isoformat(),
            "expected": self.expected,
            "done": self.done,
            "share": None if self.share is None else round(self.share, 4),
        }


@dataclass
class AdherenceSummary:
    """A client's adherence over recent weeks, for lists and the outcomes."""

    client_id: int
    weeks: list[WeekAdherence] = field(default_factory=list)
    last_check_off_on: datetime.date | None = None
    has_programme: bool = False

    @property
    def expected(self) -> int:
        return sum(w.expected for w in self.weeks)

    @property
    def done(self) -> int:
        return sum(w.done for w in self.weeks)

    @property
    def share(self) -> float | None:
        return self.done / self.expected if self.expected else None

    @property
    def percent(self) -> int | None:
        share = self.share
        return None if share is None else round(share * 100)


def _adherence(
    client_ids: list[int], *, first: datetime.date, last: datetime.date, zones: dict[int, ZoneInfo]
) -> dict[int, AdherenceSummary]:
    """Three queries for any number of clients: items, check-offs, open flags."""
    out = {cid: AdherenceSummary(client_id=cid) for cid in client_ids}
    items = list(
        ProgrammeItem.objects.filter(programme__client_id__in=client_ids, starts_on__lte=last)
        .exclude(ends_on__lt=first)
        .values("id", "item_code", "starts_on", "ends_on", "programme__client_id")
    )
    ticks: dict[int, set[datetime.date]] = defaultdict(set)
    last_tick: dict[int, datetime.date] = {}
    for item_id, client_id, day in (
        CheckOff.objects.filter(client_id__in=client_ids)
        .filter(day__lte=last)
        .values_list("item_id", "client_id", "day")
    ):
        if day >= first:
            ticks[item_id].add(day)
        if client_id not in last_tick or day > last_tick[client_id]:
            last_tick[client_id] = day
    flags = _open_flags(client_ids) if items else {}
    weeks: dict[int, dict[datetime.date, WeekAdherence]] = defaultdict(dict)
    mondays = []
    monday = week_start(first)
    while monday <= last:
        mondays.append(monday)
        monday += datetime.timedelta(days=7)
    for cid in client_ids:
        for m in mondays:
            weeks[cid][m] = WeekAdherence(week_start=m, expected=0, done=0)
    for row in items:
        cid = row["programme__client_id"]
        out[cid].has_programme = True
        item = library().get(row["item_code"])
        if item is None:
            continue
        paused = _paused_from(row["item_code"], flags.get(cid, []), zones.get(cid, ZoneInfo("UTC")))
        end = row["ends_on"]
        if paused is not None:
            end = (
                min(end, paused - datetime.timedelta(days=1)) if end else paused - datetime.timedelta(days=1)
            )
        for m in mondays:
            days = due_days(
                starts_on=row["starts_on"],
                ends_on=end,
                first=max(m, first),
                last=min(m + datetime.timedelta(days=6), last),
            )
            expected = expected_in_week(len(days), item.days_per_week)
            if not expected:
                continue
            done = sum(1 for d in ticks.get(row["id"], ()) if d in set(days))
            week = weeks[cid][m]
            week.expected += expected
            week.done += min(done, expected)
    for cid in client_ids:
        out[cid].weeks = [weeks[cid][m] for m in mondays]
        out[cid].last_check_off_on = last_tick.get(cid)
    return out


def adherence_by_week(
    client: Client, *, weeks: int = 12, today: datetime.date | None = None
) -> list[WeekAdherence]:
    """The client's adherence per week for the last `weeks` weeks up to today (oldest first); weeks before
    the first programme are left out."""
    today = today or client_today(client)
    first = week_start(today) - datetime.timedelta(days=7 * (weeks - 1))
    summary = _adherence([client.pk], first=first, last=today, zones={client.pk: clinic_zone(client)})[
        client.pk
    ]
    rows = summary.weeks
    while rows and rows[0].expected == 0:
        rows = rows[1:]
    return rows


def adherence_summaries(
    client_ids: Iterable[int], *, today: datetime.date | None = None, weeks: int = 4
) -> dict[int, AdherenceSummary]:
    """Adherence over the last `weeks` weeks (this week so far included) for many clients at once, with each
    client's last check-off day: for the therapist's list (nervecare.footcheck) and the clinic's outcomes.
    Days are the clinics' local days; pass `today` to fix the date (tests, reports)."""
    ids = list(dict.fromkeys(int(i) for i in client_ids))
    if not ids:
        return {}
    zones = {
        cid: ZoneInfo(tz or "UTC")
        for cid, tz in Client.all_objects.filter(pk__in=ids).values_list("pk", "clinic__timezone")
    }
    today = today or timezone.localtime(timezone.now(), next(iter(zones.values()), ZoneInfo("UTC"))).date()
    first = week_start(today) - datetime.timedelta(days=7 * (weeks - 1))
    return _adherence(ids, first=first, last=today, zones=zones)


# Adherence bands for the clinic view (the share of item-days done over the period).
ADHERENCE_BANDS = (("high", 0.8, "80% or more"), ("medium", 0.5, "50% to 79%"), ("low", 0.0, "under 50%"))


def adherence_band(share: float | None) -> str:
    """ "high" / "medium" / "low", or "none" without anything due."""
    if share is None:
        return "none"
    for code, floor, _words in ADHERENCE_BANDS:
        if share >= floor:
            return code
    return "low"


# --- pages ---------------------------------------------------------------------------------------------


def programme_page(user: User, client: Client) -> dict[str, Any]:
    """The staff page of a client's home programme: the active one, the options, history, adherence."""
    programme = programme_active(client)
    flags = _open_flags([client.pk]).get(client.pk, [])
    return {
        "client": client,
        "programme": programme,
        "current_items": [
            {"pi": pi, "item": item, "paused": refusals(item, flags)}
            for pi in (programme.items.all() if programme else [])
            if pi.removed_at is None and (item := library().get(pi.item_code)) is not None
        ],
        "options": assignable_items(client, flags),
        "history": programme_history(programme) if programme else [],
        "past": list(Programme.objects.filter(client=client, status=Programme.Status.ENDED)),
        "adherence": adherence_by_week(client, weeks=8),
        "library_version": library().version,
    }


def record_card_selfcare(user: User, client: Client) -> dict[str, Any]:
    """The record page's card: the active programme and this week's adherence."""
    programme = Programme.objects.filter(client=client, status=Programme.Status.ACTIVE).first()
    weeks = adherence_by_week(client, weeks=1) if programme else []
    return {"selfcare_programme": programme, "selfcare_week": weeks[-1] if weeks else None}


def plan_section_selfcare(plan: Any) -> dict[str, Any]:
    """The plan page's link to the client's home programme (plans.hooks)."""
    programme = Programme.objects.filter(client_id=plan.client_id, status=Programme.Status.ACTIVE).first()
    return {"selfcare_programme": programme, "selfcare_client_id": plan.client_id}
