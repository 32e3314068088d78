"""Reads for the portal. client_for_portal_user is the one place that decides whose data a client sees."""

import datetime
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nervecare.clients.models import Client, Condition, ConsentText, MedicalContext
from nervecare.core.bounds import SCHEDULE
from nervecare.core.models import Clinic, Therapist, User
from nervecare.core.permissions import require_portal_user
from nervecare.outcomes.analysis import client_outcomes
from nervecare.outcomes.claims.plain import plain_claims
from nervecare.outcomes.claims.selectors import client_claims
from nervecare.outcomes.selectors import client_data
from nervecare.plans.models import CarePlan
from nervecare.portal.models import ClientAccount, ClientIntake, DiaryEntry
from nervecare.scheduling.models import Appointment, Service
from nervecare.scheduling.selectors import (
    free_slots,
    plan_progress,
    qualified_therapists,
    services_for_clinic,
)
from nervecare.screening import instruments
from nervecare.screening.measures import applicable_instruments
from nervecare.screening.models import InstrumentResponse
from nervecare.screening.selectors import open_flags

# What a client answers about themselves, in the order the portal offers them. PGIC asks about change since
# care began, so it is offered only after a first session.
INTAKE_INSTRUMENTS = ("mnsi_history", "dn4_interview", "nrs_pain", "nrs_numbness", "nrs_tingling")
AFTER_FIRST_VISIT = ("pgic",)
PLAIN_TITLES = {
    "mnsi_history": _("Questions about your feet and legs"),
    "dn4_interview": _("Questions about your pain"),
    "nrs_pain": _("Your pain today, from 0 to 10"),
    "nrs_numbness": _("Your numbness today, from 0 to 10"),
    "nrs_tingling": _("Your tingling today, from 0 to 10"),
    "pgic": _("How much has changed since your care began"),
    "phq2": _("Two questions about your mood"),
    "gad2": _("Two questions about worry"),
    "cramps_week": _("How many cramps you get in a week"),
    "headache_days": _("Your headache days this month"),
    "nrs_joint_pain": _("Your arthritis joint pain, from 0 to 10"),
    "nrs_sleep_quality": _("How well you sleep, from 0 to 10"),
}


def client_for_portal_user(user: User) -> Client:
    """The one client record this signed-in client may see."""
    require_portal_user(user)
    account = (
        ClientAccount.objects.select_related("client__clinic")
        .filter(user=user, client__deleted_at__isnull=True)
        .first()
    )
    if account is None:
        raise Http404("No client record is linked to this account.")
    return account.client


def account_for_client(client: Client) -> ClientAccount | None:
    return ClientAccount.objects.select_related("user").filter(client=client).first()


def diary_entries(client: Client, *, since: datetime.date | None = None) -> QuerySet[DiaryEntry]:
    """The client's diary, oldest first: day, pain, numbness, tingling, sleep (0-10), note.

    For outcomes: these are patient-reported ratings between sessions, one per day at most."""
    qs = DiaryEntry.objects.filter(client=client)
    if since is not None:
        qs = qs.filter(day__gte=since)
    return qs.order_by("day")


def client_today(client: Client) -> datetime.date:
    return timezone.now().astimezone(ZoneInfo(client.clinic.timezone)).date()


def current_consent_text(client: Client) -> ConsentText | None:
    today = client_today(client)
    return client.clinic.consent_texts.filter(effective_from__lte=today).order_by("-effective_from").first()


def has_signed(client: Client, text: ConsentText | None) -> bool:
    return text is not None and client.consents.filter(text=text, withdrawn_at__isnull=True).exists()


def portal_instrument_codes(client: Client) -> list[str]:
    """The questionnaires a client answers in the portal: the neuropathy ones, then the claims' measures that
    concern them (screening/data/measures.yaml: by their conditions and goals), each once."""
    codes = list(INTAKE_INSTRUMENTS)
    codes += [c for c in applicable_instruments(client) if c not in codes]
    if client.appointments.filter(status=Appointment.Status.COMPLETED).exists():
        codes += [c for c in AFTER_FIRST_VISIT if c not in codes]
    return codes


def upcoming_appointments(client: Client) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            client=client,
            starts_at__gte=timezone.now(),
            status__in=(Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN),
        )
        .select_related("therapist", "service", "room", "clinic")
        .order_by("starts_at")
    )


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: Any
    done: bool
    url_name: str
    arg: str = ""


def checklist(client: Client) -> list[ChecklistItem]:
    """What to do before the first visit, with what is done already."""
    text = current_consent_text(client)
    answered = set(InstrumentResponse.objects.filter(client=client).values_list("instrument", flat=True))
    definitions = instruments.all_definitions()
    items = [
        ChecklistItem(
            "consent", _("Read and sign the consent to treatment"), has_signed(client, text), "portal:consent"
        ),
        ChecklistItem(
            "intake",
            _("Tell us about your condition"),
            ClientIntake.objects.filter(client=client).exists(),
            "portal:intake",
        ),
    ]
    for code in portal_instrument_codes(client):
        items.append(
            ChecklistItem(
                code,
                PLAIN_TITLES.get(code, definitions[code].short_title),
                code in answered,
                "portal:questionnaire",
                code,
            )
        )
    return items


def _chart(
    series: dict[str, list[tuple[datetime.date, float]]], width: int = 480, height: int = 220
) -> dict[str, Any]:
    """Coordinates for a 0-10 line chart drawn as SVG in the template (no JavaScript, no library)."""
    days = sorted({d for points in series.values() for d, _v in points})
    if not days:
        return {}
    left, right, top, bottom = 36, 14, 14, 34
    span = max((days[-1] - days[0]).days, 1)

    def x(day: datetime.date) -> float:
        return round(left + (day - days[0]).days / span * (width - left - right), 1)

    def y(value: float) -> float:
        return round(top + (10 - value) / 10 * (height - top - bottom), 1)

    lines = []
    for name, points in series.items():
        if points:
            lines.append(
                {
                    "name": name,
                    "points": " ".join(f"{x(d)},{y(v)}" for d, v in points),
                    "dots": [{"x": x(d), "y": y(v), "day": d, "value": v} for d, v in points],
                }
            )
    return {
        "width": width,
        "height": height,
        "lines": lines,
        "grid": [{"y": y(v), "label": v} for v in (0, 5, 10)],
        "first": days[0],
        "last": days[-1],
        "left": left,
        "right": width - right,
        "baseline": height - bottom,
    }


def _trend(points: list[tuple[datetime.date, float]]) -> dict[str, Any] | None:
    if len(points) < 2:
        return None
    first, last = points[0][1], points[-1][1]
    return {"first": first, "last": last, "change": last - first, "since": points[0][0]}


def progress(client: Client) -> dict[str, Any]:
    """The client's own 0-10 ratings over time (diary and pain questionnaires), for a plain-language page."""
    entries = list(diary_entries(client))
    nrs = [
        (r.administered_at.date(), float(r.total))
        for r in InstrumentResponse.objects.filter(client=client, instrument="nrs_pain").order_by(
            "administered_at"
        )
    ]
    # One pain point per day: the diary's rating where there is one, else the mean of that day's NRS answers.
    by_day: dict[datetime.date, list[float]] = {}
    for day, value in nrs:
        by_day.setdefault(day, []).append(value)
    by_day.update({e.day: [float(e.pain)] for e in entries})
    pain = [(day, round(sum(v) / len(v), 1)) for day, v in sorted(by_day.items())]
    series = {
        "pain": pain,
        "numbness": [(e.day, float(e.numbness)) for e in entries],
        "tingling": [(e.day, float(e.tingling)) for e in entries],
        # Older entries only (no longer asked): sleep quality, where higher is better, is not drawn among the
        # symptoms; the table shows it, the claims page charts it.
        "sleep": [(e.day, float(e.sleep)) for e in entries if e.sleep is not None],
    }
    return {
        "chart": _chart(series),
        "trends": {name: _trend(points) for name, points in series.items()},
        "entries": entries[-14:][::-1],
    }


# --- Booking from the portal ------------------------------------------------------------------------------------

BOOKING_WEEKS = 3
SLOTS_PER_DAY = 10


def booking_notice_hours(clinic: Clinic) -> int:
    """The clinic's rule: a session booked online starts at least this long from now (Clinic.min_notice_hours;
    scheduling.rules enforces it on booking)."""
    return clinic.min_notice_hours


def active_plan(client: Client) -> CarePlan | None:
    return (
        CarePlan.objects.filter(client=client, status=CarePlan.Status.ACTIVE)
        .select_related("therapist")
        .order_by("-activated_at", "-id")
        .first()
    )


def booking_service(plan: CarePlan) -> Service | None:
    """The clinic's service for the plan's sessions: same modality, the plan's length preferred."""
    candidates = sorted(
        (s for s in services_for_clinic(plan.client.clinic_id) if s.modality == plan.modality),
        key=lambda s: (s.minutes != plan.session_minutes, s.name),
    )
    return candidates[0] if candidates else None


def booking_therapists(plan: CarePlan, service: Service, *, others: bool = False) -> list[Therapist]:
    """The plan's own therapist (if qualified); with `others`, or when the plan names none, every therapist
    qualified for the plan and the service."""
    qualified = qualified_therapists(plan.client.clinic_id, service, plan)
    own = next((t for t in qualified if t.id == plan.therapist_id), None)
    if own is not None and not others:
        return [own]
    if own is not None:
        qualified.remove(own)
        qualified.insert(0, own)
    return qualified


def booking_block_reason(
    client: Client, plan: CarePlan | None, service: Service | None, *, rescheduling: bool = False
) -> Any:
    """Why the client cannot book online now (a plain sentence), or None. The booking service enforces the
    same rules again (scheduling.services.appointment_book: stop flags, plan, qualification)."""
    if plan is None:
        return _("Your therapist sets up your care plan at your first visit. Please call the clinic to book.")
    if service is None:
        return _("The clinic has no session type for your plan yet. Please call the clinic to book.")
    stops = [
        f
        for f in open_flags(client)
        if f.level == "stop" and (not f.applies_to or plan.modality in f.applies_to)
    ]
    if stops:
        return _(
            "Your therapist needs to check something with you before your next session. "
            "Please call the clinic; online booking is paused until then."
        )
    if not rescheduling and plan_progress(plan)["remaining"] <= 0:
        return _("All the sessions of your plan are booked. Ask your therapist about more.")
    return None


def booking_options(
    client: Client, *, others: bool = False, rescheduling: bool = False, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """Free times the client may book in the next weeks, grouped by day, with why booking is closed if it is."""
    now = now or timezone.now()
    plan = active_plan(client)
    service = booking_service(plan) if plan else None
    reason = booking_block_reason(client, plan, service, rescheduling=rescheduling)
    result: dict[str, Any] = {
        "plan": plan,
        "service": service,
        "blocked": reason,
        "days": [],
        "therapists": [],
    }
    if reason is not None or plan is None or service is None:  # without a plan or a service, reason says so
        return result
    therapists = booking_therapists(plan, service, others=others)
    result["therapists"] = therapists
    result["has_others"] = plan.therapist_id is not None and (
        others or len(qualified_therapists(client.clinic_id, service, plan)) > len(therapists)
    )
    tz = ZoneInfo(client.clinic.timezone)
    not_before = now + datetime.timedelta(hours=booking_notice_hours(client.clinic))
    start = not_before.astimezone(tz).date()
    horizon = now.astimezone(tz).date() + datetime.timedelta(days=client.clinic.booking_horizon_days)
    slots = free_slots(
        clinic=client.clinic,
        service=service,
        start=start,
        end=min(start + datetime.timedelta(weeks=BOOKING_WEEKS), horizon),
        therapists=therapists,
        limit=2000,
        now=not_before,
    )
    held = [  # the client's own time is the session (the buffer is the therapist's), as when booking
        (a.starts_at, a.ends_at)
        for a in Appointment.objects.filter(
            client=client, status__in=(Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN)
        )
    ]
    by_day: dict[datetime.date, list[dict[str, Any]]] = {}
    for slot in slots:
        local = slot["starts_at"].astimezone(tz)
        if local.minute:  # on the hour: fewer, easier choices spread over the day
            continue
        if any(slot["starts_at"] < e and s < slot["ends_at"] for s, e in held):
            continue
        day = by_day.setdefault(local.date(), [])
        if len(day) < SLOTS_PER_DAY:
            day.append({**slot, "local": local, "value": slot_value(slot["therapist_id"], slot["starts_at"])})
    result["days"] = [{"date": d, "slots": s} for d, s in sorted(by_day.items())]
    return result


def slot_value(therapist_id: int, starts_at: datetime.datetime) -> str:
    """A slot as one form value: "<therapist id>@<UTC start, ISO 8601>"."""
    return f"{therapist_id}@{starts_at.astimezone(datetime.UTC).isoformat()}"


def parse_slot(value: str) -> tuple[int, datetime.datetime] | None:
    therapist, _sep, when = (value or "").partition("@")
    try:
        starts_at = datetime.datetime.fromisoformat(when)
        therapist_id = int(therapist)
    except ValueError:
        return None
    if timezone.is_naive(starts_at) or not SCHEDULE.contains(starts_at):
        return None
    return therapist_id, starts_at


def own_appointment(client: Client, appointment_id: int) -> Appointment:
    appointment = upcoming_appointments(client).filter(pk=appointment_id).first()
    if appointment is None:
        raise Http404("No such appointment.")
    return appointment


# --- The client's own progress report ------------------------------------------------------------------------


def diary_rows_for_claims(client_ids: list[int]) -> list[tuple[int, datetime.date, dict[str, Any]]]:
    """The diary's ratings of these clients, oldest first, for the claims ledger (outcomes.claims.rows reads
    them through register_diary_source; the caller decided who may see these clients)."""
    fields = ("pain", "numbness", "tingling", *DiaryEntry.CLAIM_FIELDS)
    rows = (
        DiaryEntry.objects.filter(client_id__in=client_ids)
        .order_by("day")
        .values_list("client_id", "day", *fields)
    )
    return [(cid, day, dict(zip(fields, values, strict=True))) for cid, day, *values in rows]


def own_claims(client: Client) -> dict[str, Any]:
    """The client's own claims ledger (every signed note counts, as for their progress) in plain words."""
    ledger = client_claims(client)
    return {"ledger": ledger, "claims": plain_claims(ledger)}


def own_report_pdf(client: Client) -> bytes:
    """The client's progress report (the outcomes report in its client-facing wording), for this client only."""
    from nervecare.outcomes.reports.client import client_report_pdf

    result = client_outcomes(client_data(client))
    return client_report_pdf(
        result,
        audience="client",
        flags=open_flags(client),
        clinic_name=client.clinic.name,
        claims=client_claims(client),
    )


def _field_label(model: Any, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # an unknown key is shown as it was stored
        return name


def record_card_reported(user: User, client: Client) -> dict[str, Any]:
    """The record page's cards of what the client reported about themselves in the portal, marked as such."""
    intakes = list(
        ClientIntake.objects.filter(client=client)
        .select_related("condition", "body_map", "reviewed_by")
        .order_by("-created_at", "-id")[:3]
    )
    for intake in intakes:
        reported = intake.reported or {}
        condition = reported.get("condition") or {}
        # Display-only attributes for the card's template (not fields of the model).
        intake.condition_lines = [  # type: ignore[attr-defined]
            f"{_field_label(Condition, k)}: {v}" for k, v in condition.items() if k not in ("type", "cause")
        ]
        cause = str(condition.get("cause") or "")
        intake.unknown_type_cause = (  # type: ignore[attr-defined]
            dict(Condition.Cause.choices).get(cause, cause) if condition and not condition.get("type") else ""
        )
        intake.medical_lines = [  # type: ignore[attr-defined]
            _field_label(MedicalContext, k) if v is True else f"{_field_label(MedicalContext, k)}: {v}"
            for k, v in (reported.get("medical") or {}).items()
            if k not in ("medications", "comorbidities")
        ]
    return {"intakes": intakes}


def record_card_account(user: User, client: Client) -> dict[str, Any]:
    """The record page's portal card: whether the client uses the portal (and the button to invite them)."""
    return {"portal_account": account_for_client(client)}


def must_call_clinic(client: Client) -> bool:
    """An open stop flag: no massage until a therapist has talked with the client. The portal tells them, in
    plain words, to call the clinic (never which flag or why: that is for their therapist to explain)."""
    return any(f.level == "stop" for f in open_flags(client))


def therapists_to_alert(client: Client) -> list[Therapist]:
    """Who is told of a stop raised by the client's own intake: their primary therapist and the therapists
    of their upcoming sessions."""
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


def diary_ratings(
    *, client: Client, measure: str, first: datetime.date, last: datetime.date
) -> dict[datetime.date, int]:
    """One measure of the client's diary, {day: 0-10}, first..last: what a single-client trial analyses
    (registered in trials/hooks.py by PortalConfig.ready)."""
    if measure not in ("pain", "numbness", "tingling", "sleep"):
        raise ValueError(f"not a diary measure: {measure}")
    rows = DiaryEntry.objects.filter(client=client, day__gte=first, day__lte=last).values_list("day", measure)
    return dict(rows)
