"""Reads of the daily foot check: who does it, the reports, what they tell the safety check, who is told,
and who has stopped logging. Every read of a client's reports goes through a permission-checked fetch of the
client (clients.selectors.client_get_for_user / clients_visible_to) or the portal's own record."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, Max, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.selectors import client_get_for_user, clients_visible_to
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import require_clinical
from nervecare.footcheck import rules
from nervecare.footcheck.models import FootCheck, FootCheckPhoto
from nervecare.scheduling.models import Appointment
from nervecare.screening.models import SafetyFlag


def clinic_today(client: Client) -> datetime.date:
    """Today in the client's clinic's time zone (a check is for the clinic's local day)."""
    return timezone.localdate(timezone=ZoneInfo(client.clinic.timezone))


def eligibility_flags(client: Client) -> list[SafetyFlag]:
    """The open safety flags that ask this client for a daily foot check (loss of protective sensation,
    diabetic foot care: foot_check_rules.yaml `eligibility`); none: the client is not asked."""
    return list(
        SafetyFlag.objects.filter(
            client=client, status=SafetyFlag.Status.OPEN, rule_id__in=rules.eligibility_flags()
        ).order_by("raised_at", "id")
    )


def foot_check_eligible(client: Client) -> bool:
    return bool(eligibility_flags(client))


def _eligible_q() -> Exists:
    return Exists(
        SafetyFlag.objects.filter(
            client_id=OuterRef("pk"), status=SafetyFlag.Status.OPEN, rule_id__in=rules.eligibility_flags()
        )
    )


def foot_checks_of(client: Client, *, limit: int | None = None) -> list[FootCheck]:
    """The client's reports, newest first (no photo bytes). The caller decided who may see them."""
    qs = FootCheck.objects.filter(client=client).select_related("reviewed_by", "photo").defer("photo__data")
    return list(qs[:limit] if limit else qs)


def foot_checks_for_user(
    user: User, client_id: int, *, limit: int | None = None
) -> tuple[Client, list[FootCheck]]:
    """A client's reports for someone who may see the record (404 otherwise); audited as a list."""
    client = client_get_for_user(user, client_id)
    checks = foot_checks_of(client, limit=limit)
    audit_list(user, FootCheck, [c.pk for c in checks], "Foot checks listed")
    return client, checks


def foot_check_get_for_user(user: User, client_id: int, check_id: int) -> FootCheck:
    """One report of a client the user may see (client_get_for_user), or 404; the read is audited."""
    client = client_get_for_user(user, client_id)
    check = (
        FootCheck.objects.filter(pk=check_id, client=client)
        .select_related("client__clinic", "reviewed_by", "photo")
        .defer("photo__data")
        .first()
    )
    if check is None:
        raise Http404("No such foot check.")
    audit_view(user, check, "Foot check opened")
    return check


def foot_check_photo_for_user(user: User, client_id: int, check_id: int) -> FootCheckPhoto:
    """A report's photo, with its bytes, for someone who may see the record; audited."""
    client = client_get_for_user(user, client_id)
    photo = FootCheckPhoto.objects.filter(foot_check_id=check_id, client=client).first()
    if photo is None:
        raise Http404("No such photo.")
    audit_view(user, photo, "Foot-check photo opened")
    return photo


def own_foot_check_photo(client: Client, check_id: int) -> FootCheckPhoto:
    """A photo of the client's own report (the portal decided the client); 404 for any other."""
    photo = FootCheckPhoto.objects.filter(foot_check_id=check_id, client=client).first()
    if photo is None:
        raise Http404("No such photo.")
    return photo


def where_text(check: FootCheck) -> str:
    """Which foot and where, in words ("left foot: sole, heel")."""
    regions = rules.region_labels()
    foot = rules.foot_labels().get(check.foot, "")
    places = ", ".join(regions.get(r, r).lower() for r in check.regions)
    return f"{foot.lower()}: {places}" if places else foot.lower()


def findings_text(check: FootCheck) -> str:
    labels = rules.finding_labels()
    found = [labels[code].lower() for code in rules.finding_codes() if getattr(check, code, False)]
    return ", ".join(found) or "nothing new"


def reported_facts(client: Client, today: datetime.date) -> dict[str, Any]:
    """The safety check's facts from the client's open red-flag reports (screening/hooks.py): the report rule's
    `fact` holds, with the foot and the areas in words and which report said so. One query."""
    facts: dict[str, Any] = {}
    open_reports = FootCheck.objects.filter(client=client, red_flag=True, reviewed_at__isnull=True).order_by(
        "reported_at", "id"
    )
    sides: dict[str, set[str]] = {}
    areas: dict[str, list[str]] = {}
    because: dict[str, list[str]] = {}
    for check in open_reports:
        for rule_id in check.rules_fired:
            rule = rules.rule_by_id(rule_id)
            if rule is None:
                continue
            facts[rule.fact] = True
            sides.setdefault(rule.fact, set()).add(check.foot)
            areas.setdefault(rule.fact, []).append(where_text(check))
            because.setdefault(rule.fact, []).append(
                f"daily foot check of {check.checked_on:%d %b %Y}: {findings_text(check)} ({where_text(check)})"
            )
    for fact, found in sides.items():
        facts[f"{fact}_side"] = "both" if "both" in found or {"left", "right"} <= found else next(iter(found))
        facts[f"{fact}_area"] = "; ".join(dict.fromkeys(areas[fact]))
        facts[f"{fact}_because"] = "Reported in the " + "; ".join(because[fact]) + "."
    return facts


def therapists_to_alert(client: Client) -> list[Therapist]:
    """Who is told of a red-flag report: the client's primary therapist and the therapists of their upcoming
    sessions (as after the portal intake's stop)."""
    ids = set(
        Appointment.objects.filter(
            client=client,
            status__in=(Appointment.Status.BOOKED, Appointment.Status.HELD),
            starts_at__gte=timezone.now(),
        ).values_list("therapist_id", flat=True)
    )
    if client.primary_therapist_id:
        ids.add(client.primary_therapist_id)
    return list(Therapist.objects.filter(pk__in=ids, active=True).select_related("user"))


@dataclass
class PortalFootCheck:
    """The portal's view of the client's daily check."""

    eligible: bool
    today: datetime.date
    done_today: bool
    recent: list[FootCheck] = field(default_factory=list)


def portal_foot_check(client: Client) -> PortalFootCheck:
    today = clinic_today(client)
    recent = foot_checks_of(client, limit=14)
    return PortalFootCheck(
        eligible=foot_check_eligible(client),
        today=today,
        done_today=any(c.checked_on == today for c in recent),
        recent=recent,
    )


def record_card_foot_checks(user: User, client: Client) -> dict[str, Any]:
    """The record page's foot-check card: the latest reports (the open red flags first) and the missed days."""
    checks = foot_checks_of(client, limit=10)
    if checks:
        audit_list(user, FootCheck, [c.pk for c in checks], "Foot checks listed")
    eligible = foot_check_eligible(client)
    today = clinic_today(client)
    last = max((c.checked_on for c in checks), default=None)
    return {
        "foot_checks": checks,
        "foot_check_eligible": eligible,
        "foot_check_days_missed": (today - last).days if (eligible and last) else None,
        "foot_check_missed_threshold": rules.missed_days(),
    }


# --- the therapist's list ---------------------------------------------------------------------------------------


@dataclass
class WatchRow:
    """One client who does the daily check: their open red-flag reports and how long since the last check."""

    client: Client
    red_flags: list[FootCheck]
    last_checked_on: datetime.date | None
    days_since: int | None  # days without a check (since the client became eligible when never logged)
    stopped: bool  # days_since >= the threshold (rules.missed_days)

    @property
    def needs_look(self) -> bool:
        return bool(self.red_flags) or self.stopped


def foot_check_watch(
    user: User,
    *,
    today: datetime.date | None = None,
    everyone: bool = False,
    client_ids: list[int] | None = None,
) -> list[WatchRow]:
    """The clients the user may see (clients_visible_to) who do the daily check, with their open red-flag
    reports and their days without a check; by default only those with a red flag or `missed_days` days or
    more without a check (everyone=True: all of them). `client_ids` narrows to those clients. Three queries."""
    require_clinical(user)
    threshold = rules.missed_days()
    visible = clients_visible_to(user).filter(_eligible_q())
    if client_ids is not None:
        visible = visible.filter(pk__in=client_ids)
    clients = list(
        visible.select_related("clinic")
        .annotate(last_checked_on=Max("foot_checks__checked_on"))
        .order_by("last_name", "first_name", "id")
    )
    if not clients:
        return []
    ids = [c.pk for c in clients]
    open_red: dict[int, list[FootCheck]] = {}
    for check in FootCheck.objects.filter(
        client_id__in=ids, red_flag=True, reviewed_at__isnull=True
    ).order_by("-reported_at", "-id"):
        open_red.setdefault(check.client_id, []).append(check)
    since: dict[int, datetime.datetime] = {}
    for client_id, raised_at in (
        SafetyFlag.objects.filter(
            client_id__in=ids, status=SafetyFlag.Status.OPEN, rule_id__in=rules.eligibility_flags()
        )
        .values_list("client_id", "raised_at")
        .order_by("raised_at")
    ):
        since.setdefault(client_id, raised_at)
    rows = []
    for client in clients:
        zone = ZoneInfo(client.clinic.timezone)
        day = today or timezone.localdate(timezone=zone)
        last: datetime.date | None = getattr(client, "last_checked_on", None)
        if last is not None:
            days: int | None = (day - last).days
        elif client.pk in since:
            days = (day - since[client.pk].astimezone(zone).date()).days
        else:
            days = None
        row = WatchRow(
            client, open_red.get(client.pk, []), last, days, days is not None and days >= threshold
        )
        if everyone or row.needs_look:
            rows.append(row)
    rows.sort(key=lambda r: (not r.red_flags, not r.stopped, -(r.days_since or 0), r.client.last_name))
    return rows


def foot_checks_visible_to(user: User) -> QuerySet[FootCheck]:
    """Every report of the clients whose record the user may see (clients_visible_to)."""
    return FootCheck.objects.filter(client__in=clients_visible_to(user))


def advice_for(check: FootCheck) -> list[str]:
    """What the client reads after a report, in plain words (foot_check_rules.yaml `advice`)."""
    advice = rules.rules().advice
    if not check.needs_attention:
        return [advice.clear]
    return [advice.urgent, advice.urgent_session] if check.red_flag else [advice.urgent]


def own_foot_check(client: Client, check_id: int) -> FootCheck:
    """One report of the client's own (the portal decided the client); 404 for any other."""
    check = (
        FootCheck.objects.filter(pk=check_id, client=client)
        .select_related("photo")
        .defer("photo__data")
        .first()
    )
    if check is None:
        raise Http404("No such foot check.")
    return check
