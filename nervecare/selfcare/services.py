"""Writes of home self-care: assigning and changing programmes, check-offs, the client's reminder time.

Every service validates its input once, refuses contraindicated items with the reason by field, writes the
programme's history row (who, when, why) and the audit trail, all in one transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.selectors import portal_user_id_of
from nervecare.core import audit
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent, User
from nervecare.core.permissions import require_clinical, require_clinical_or_own_record
from nervecare.screening.selectors import open_flags
from nervecare.selfcare.library import library
from nervecare.selfcare.models import CheckOff, Programme, ProgrammeChange, ProgrammeItem, ReminderSetting
from nervecare.selfcare.rules import refusal_message, refusals
from nervecare.selfcare.selectors import client_today, item_due_on

# How far back a client may still tick off a day they forgot (the week view shows the last 7 days).
CHECK_OFF_DAYS_BACK = 7
MAX_PROGRAMME_DAYS = 366 * 2
REASON_MAX = 1000
NOTE_MAX = 300


@dataclass(frozen=True)
class ItemChoice:
    """An item to assign: its library code and the therapist's optional note for this client."""

    code: str
    note: str = ""


def _check_reason(reason: str, errors: dict[str, str]) -> str:
    text = (reason or "").strip()
    if not text:
        errors["reason"] = "say why (it is kept with the change)"
    elif len(text) > REASON_MAX:
        errors["reason"] = f"at most {REASON_MAX} characters"
    return text


def _check_dates(
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    errors: dict[str, str],
    *,
    today: datetime.date,
) -> None:
    if starts_on is None:
        errors["starts_on"] = "required"
        return
    if starts_on < today - datetime.timedelta(days=CHECK_OFF_DAYS_BACK):
        errors["starts_on"] = f"may not be more than {CHECK_OFF_DAYS_BACK} days in the past"
    if ends_on is not None:
        if ends_on < starts_on:
            errors["ends_on"] = "must be on or after the start date"
        elif (ends_on - starts_on).days > MAX_PROGRAMME_DAYS:
            errors["ends_on"] = "a programme lasts at most two years; assign a new one after"


def _check_items(
    client: Client, choices: Sequence[ItemChoice], errors: dict[str, str], *, key: str = "items"
) -> None:
    """Known codes, each once, none contraindicated by an open safety flag (the reason by field)."""
    lib = library()
    flags = open_flags(client)
    seen: set[str] = set()
    for i, choice in enumerate(choices):
        field = f"{key}[{i}].item_code"
        item = lib.get(choice.code)
        if item is None:
            errors[field] = f"unknown self-care item {choice.code!r}"
            continue
        if choice.code in seen:
            errors[field] = f"{item.title} is listed twice"
            continue
        seen.add(choice.code)
        found = refusals(item, flags)
        if found:
            errors[field] = refusal_message(item, found)
        if len(choice.note or "") > NOTE_MAX:
            errors[f"{key}[{i}].note"] = f"at most {NOTE_MAX} characters"


def _change(
    programme: Programme,
    actor: User | None,
    action: str,
    reason: str,
    detail: dict[str, Any],
    now: datetime.datetime,
) -> ProgrammeChange:
    change = ProgrammeChange.objects.create(
        programme=programme, at=now, by=actor, action=action, detail=detail, reason=reason
    )
    audit.record(
        actor=actor,
        action=AuditEvent.Action.CREATE if action == "created" else AuditEvent.Action.UPDATE,
        obj=programme,
        summary=f"Home programme {ProgrammeChange.Action(action).label.lower()}: {reason}"[:300],
        changes=detail,
    )
    return change


@transaction.atomic
def programme_assign(
    *,
    actor: User,
    client: Client,
    items: Sequence[ItemChoice],
    starts_on: datetime.date | None,
    ends_on: datetime.date | None = None,
    reason: str,
    title: str = "",
) -> Programme:
    """Assign a home programme (issue 18 point 2). Refused, with the reason per item, when an item is
    contraindicated by one of the client's open safety flags; one active programme per client."""
    require_clinical(actor)
    today = client_today(client)
    errors: dict[str, str] = {}
    text = _check_reason(reason, errors)
    _check_dates(starts_on, ends_on, errors, today=today)
    if not items:
        errors["items"] = "choose at least one self-care item"
    _check_items(client, items, errors)
    title = (title or "").strip() or "Home programme"
    if len(title) > 120:
        errors["programme_title"] = "at most 120 characters"
    if errors:
        raise FieldErrors(errors)
    assert starts_on is not None
    if Programme.objects.filter(client=client, status=Programme.Status.ACTIVE).exists():
        raise FieldErrors({"items": "this client already has an active home programme: change or end it"})
    now = timezone.now()
    try:
        with transaction.atomic():
            programme = Programme.objects.create(
                client=client,
                title=title,
                starts_on=starts_on,
                ends_on=ends_on,
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError as exc:  # another request assigned one at the same moment
        raise FieldErrors(
            {"items": "this client already has an active home programme: change or end it"}
        ) from exc
    ProgrammeItem.objects.bulk_create(
        [
            ProgrammeItem(
                programme=programme,
                item_code=c.code,
                note=(c.note or "").strip(),
                starts_on=starts_on,
                ends_on=ends_on,
                added_by=actor,
                added_at=now,
            )
            for c in items
        ]
    )
    detail = {
        "items": [c.code for c in items],
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat() if ends_on else None,
        "library_version": library().version,
    }
    _change(programme, actor, ProgrammeChange.Action.CREATED, text, detail, now)
    return programme


@transaction.atomic
def programme_update(
    *,
    actor: User,
    programme: Programme,
    reason: str,
    add_items: Sequence[ItemChoice] = (),
    remove_items: Sequence[str] = (),
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    clear_end: bool = False,
) -> Programme:
    """Change an active programme: add or remove items, move its dates. Each kind of change is one history
    row with the reason. Added items are checked against the open safety flags like a new programme."""
    require_clinical(actor)
    programme = Programme.objects.select_for_update().select_related("client").get(pk=programme.pk)
    client = programme.client
    today = client_today(client)
    errors: dict[str, str] = {}
    text = _check_reason(reason, errors)
    if programme.status != Programme.Status.ACTIVE:
        errors["__all__"] = "this programme has ended; assign a new one"
        raise FieldErrors(errors)
    current = {pi.item_code: pi for pi in programme.items.filter(removed_at__isnull=True)}
    new_start = starts_on or programme.starts_on
    new_end = None if clear_end else (ends_on or programme.ends_on)
    if starts_on is not None or ends_on is not None or clear_end:
        if starts_on is not None and starts_on != programme.starts_on:
            _check_dates(new_start, new_end, errors, today=today)
        elif new_end is not None and new_end < new_start:
            errors["ends_on"] = "must be on or after the start date"
        elif new_end is not None and new_end < today - datetime.timedelta(days=1):
            errors["ends_on"] = "may not be in the past; end the programme instead"
    for i, code in enumerate(remove_items):
        if code not in current:
            errors[f"remove_items[{i}]"] = f"{code!r} is not in this programme"
    adding = [c for c in add_items if c.code not in current or c.code in remove_items]
    for i, c in enumerate(add_items):
        if c.code in current and c.code not in remove_items:
            errors[f"add_items[{i}].item_code"] = "already in this programme"
    _check_items(client, adding, errors, key="add_items")
    if not (add_items or remove_items or starts_on or ends_on or clear_end):
        errors.setdefault("__all__", "nothing to change")
    if len(current) - len(set(remove_items)) + len(adding) <= 0 and not errors:
        errors["remove_items"] = "a programme keeps at least one item; end the programme instead"
    if errors:
        raise FieldErrors(errors)
    now = timezone.now()
    if remove_items:
        ids = [current[code].pk for code in remove_items]
        for code in remove_items:
            pi = current[code]
            pi.removed_at, pi.removed_by = now, actor
            # Not due from today on; an item that had not started yet never was.
            pi.ends_on = max(pi.starts_on - datetime.timedelta(days=1), today - datetime.timedelta(days=1))
            pi.save(update_fields=["removed_at", "removed_by", "ends_on"])
        _change(
            programme,
            actor,
            ProgrammeChange.Action.ITEM_REMOVED,
            text,
            {"items": list(remove_items), "ids": ids},
            now,
        )
    if adding:
        start = max(new_start, today)
        ProgrammeItem.objects.bulk_create(
            [
                ProgrammeItem(
                    programme=programme,
                    item_code=c.code,
                    note=(c.note or "").strip(),
                    starts_on=start,
                    ends_on=new_end,
                    added_by=actor,
                    added_at=now,
                )
                for c in adding
            ]
        )
        _change(
            programme,
            actor,
            ProgrammeChange.Action.ITEM_ADDED,
            text,
            {"items": [c.code for c in adding]},
            now,
        )
    if new_start != programme.starts_on or new_end != programme.ends_on:
        before = {"starts_on": str(programme.starts_on), "ends_on": str(programme.ends_on or "")}
        programme.items.filter(removed_at__isnull=True, starts_on=programme.starts_on).update(
            starts_on=new_start
        )
        programme.items.filter(removed_at__isnull=True).update(ends_on=new_end)
        programme.starts_on, programme.ends_on = new_start, new_end
        after = {"starts_on": str(new_start), "ends_on": str(new_end or "")}
        _change(
            programme,
            actor,
            ProgrammeChange.Action.DATES_CHANGED,
            text,
            {"before": before, "after": after},
            now,
        )
    programme.updated_at = now
    programme.save(update_fields=["starts_on", "ends_on", "updated_at"])
    return programme


@transaction.atomic
def programme_end(*, actor: User, programme: Programme, reason: str) -> Programme:
    """End a programme today (its items are not due from tomorrow); its history and check-offs stay."""
    require_clinical(actor)
    programme = Programme.objects.select_for_update().select_related("client").get(pk=programme.pk)
    errors: dict[str, str] = {}
    text = _check_reason(reason, errors)
    if programme.status != Programme.Status.ACTIVE:
        errors["__all__"] = "this programme has already ended"
    if errors:
        raise FieldErrors(errors)
    today = client_today(programme.client)
    end = max(today, programme.starts_on)
    if programme.starts_on > today:
        end = programme.starts_on  # never started: ends on its first day, nothing was due before
    now = timezone.now()
    programme.items.filter(removed_at__isnull=True).update(ends_on=end)
    before = str(programme.ends_on or "")
    programme.status, programme.ends_on, programme.updated_at = Programme.Status.ENDED, end, now
    programme.save(update_fields=["status", "ends_on", "updated_at"])
    _change(
        programme,
        actor,
        ProgrammeChange.Action.ENDED,
        text,
        {"ends_on": {"before": before, "after": str(end)}},
        now,
    )
    return programme


@transaction.atomic
def check_off(
    *,
    actor: User,
    client: Client,
    item_id: int,
    day: datetime.date | None = None,
    rating: int | None = None,
    note: str = "",
) -> CheckOff:
    """The client did an item on a day (today by default; up to 7 days back). Once per item and day: ticking
    again updates the rating and note."""
    require_clinical_or_own_record(actor, owner_user_id=portal_user_id_of(client))
    today = client_today(client)
    day = day or today
    errors: dict[str, str] = {}
    pi = (
        ProgrammeItem.objects.select_related("programme").filter(pk=item_id, programme__client=client).first()
    )
    if pi is None:
        raise FieldErrors({"item_id": "no such item in this client's programme"})
    if day > today:
        errors["day"] = "cannot be in the future"
    elif day < today - datetime.timedelta(days=CHECK_OFF_DAYS_BACK):
        errors["day"] = f"at most {CHECK_OFF_DAYS_BACK} days back"
    elif not item_due_on(pi, day):
        errors["day"] = "this item was not in the programme on that day"
    if rating is not None and not (0 <= rating <= 10):
        errors["rating"] = "a whole number from 0 to 10"
    note = (note or "").strip()
    if len(note) > 500:
        errors["note"] = "at most 500 characters"
    if errors:
        raise FieldErrors(errors)
    now = timezone.now()
    existing = CheckOff.objects.select_for_update().filter(item=pi, day=day).first()
    if existing is not None:
        existing.rating, existing.note, existing.done_at, existing.recorded_by = rating, note, now, actor
        existing.save(update_fields=["rating", "note", "done_at", "recorded_by"])
        audit.record(
            actor=actor, action=AuditEvent.Action.UPDATE, obj=existing, summary="Self-care check-off changed"
        )
        return existing
    try:
        with transaction.atomic():
            done = CheckOff.objects.create(
                item=pi, client=client, day=day, done_at=now, rating=rating, note=note, recorded_by=actor
            )
    except IntegrityError:  # the same tick sent twice at once: the first one stands
        done = CheckOff.objects.get(item=pi, day=day)
        return done
    audit.record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=done,
        summary="Self-care item checked off",
        changes={"item": pi.item_code, "day": day.isoformat(), "rating": rating},
    )
    return done


@transaction.atomic
def check_off_undo(*, actor: User, client: Client, item_id: int, day: datetime.date) -> bool:
    """Take back a tick (pressed by mistake); False if there was none."""
    require_clinical_or_own_record(actor, owner_user_id=portal_user_id_of(client))
    today = client_today(client)
    if day > today or day < today - datetime.timedelta(days=CHECK_OFF_DAYS_BACK):
        raise FieldErrors({"day": f"only the last {CHECK_OFF_DAYS_BACK} days can be changed"})
    found = CheckOff.objects.filter(item_id=item_id, item__programme__client=client, day=day).first()
    if found is None:
        return False
    audit.record(
        actor=actor, action=AuditEvent.Action.DELETE, obj=found, summary="Self-care check-off taken back"
    )
    found.delete()
    return True


@transaction.atomic
def reminder_set(
    *, actor: User, client: Client, remind_at: datetime.time | None, enabled: bool = True
) -> ReminderSetting:
    """The client's reminder time (clinic's local time). E-mails need an address on the record."""
    require_clinical_or_own_record(actor, owner_user_id=portal_user_id_of(client))
    errors: dict[str, str] = {}
    if enabled and remind_at is None:
        errors["remind_at"] = "choose a time, or turn reminders off"
    if enabled and not client.email:
        errors["reminder_enabled"] = "there is no e-mail address on your record to send reminders to"
    if errors:
        raise FieldErrors(errors)
    setting, _created = ReminderSetting.objects.select_for_update().get_or_create(
        client=client, defaults={"remind_at": remind_at or datetime.time(9, 0), "enabled": enabled}
    )
    if remind_at is not None:
        setting.remind_at = remind_at
    setting.enabled = enabled
    setting.save()
    audit.record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=setting,
        summary="Self-care reminder time set" if enabled else "Self-care reminders turned off",
        changes={"remind_at": setting.remind_at.strftime("%H:%M"), "enabled": enabled},
    )
    return setting
