"""What a client adds to their own record: consent signed, questionnaire answers (through the same screening
service and safety check as the staff's), and the symptom diary."""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from nervecare.clients.models import Client, Consent
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.services import audit_record
from nervecare.portal import selectors
from nervecare.portal.models import DiaryEntry
from nervecare.scheduling.models import Appointment
from nervecare.screening.measures import applicable_diary_fields
from nervecare.screening.models import InstrumentResponse
from nervecare.screening.services import response_create


@transaction.atomic
def portal_consent_sign(*, user: User, version: str) -> Consent:
    """The client reads the clinic's consent text and signs it electronically."""
    client = selectors.client_for_portal_user(user)
    text = client.clinic.consent_texts.filter(version=version).first()
    if text is None:
        raise FieldErrors({"version": f"no consent text version {version!r} in this clinic"})
    consent = Consent(
        client=client, text=text, given_at=timezone.now(), method="electronic", recorded_by=user
    )
    consent.full_clean()
    consent.save()
    audit_record(
        actor=user,
        action="create",
        obj=consent,
        summary=f"Consent v{version} signed in the portal",
    )
    return consent


@transaction.atomic
def portal_response_create(*, user: User, instrument: str, answers: dict[str, Any]) -> InstrumentResponse:
    """Score and store a questionnaire the client answered about themselves, then run the safety check.

    Goes through screening.services.response_create with the client as the actor (their own record only)."""
    client = selectors.client_for_portal_user(user)
    if instrument not in selectors.portal_instrument_codes(client):
        raise Http404("No such questionnaire.")
    has_visited = client.appointments.filter(status=Appointment.Status.COMPLETED).exists()
    return response_create(
        actor=user,
        client=client,
        instrument=instrument,
        answers=answers,
        context="visit" if has_visited else "intake",
    )


def _clean_diary_measures(
    client: Client, measures: dict[str, Any], errors: dict[str, str]
) -> dict[str, int | bool | None]:
    """The claims' optional diary answers (issue 21): only those asked of this client (their conditions and
    goals, screening/data/measures.yaml), each in its range. None leaves a question unanswered."""
    asked = set(applicable_diary_fields(client))
    cleaned: dict[str, int | bool | None] = {}
    for name, value in measures.items():
        if name not in DiaryEntry.CLAIM_FIELDS:
            errors[name] = "unknown question"
        elif name not in asked:
            errors[name] = "this question is not asked of you"
        elif value is None:
            cleaned[name] = None
        elif name == "headache":
            if not isinstance(value, bool):
                errors[name] = "answer yes or no"
            else:
                cleaned[name] = value
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[name] = "must be a whole number"
        elif name == "cramp_count" and not 0 <= value <= 50:
            errors[name] = "enter a number of cramps from 0 to 50"
        elif name != "cramp_count" and not 0 <= value <= 10:
            errors[name] = "choose a number from 0 to 10"
        else:
            cleaned[name] = value
    return cleaned


@transaction.atomic
def diary_entry_save(
    *,
    user: User,
    day: datetime.date,
    ratings: dict[str, int],
    note: str = "",
    measures: dict[str, Any] | None = None,
) -> DiaryEntry:
    """Write (or rewrite) the client's diary for one day; at most one entry per day, none in the future.

    `ratings`: pain, numbness and tingling (0-10); "sleep" (disturbed by symptoms) only from older callers:
    sleep is asked once, as the sleep-quality measure.
    `measures` holds the optional answers of the claims' measures (sleep quality, cramps, worst cramp,
    headache, arthritis joint pain) asked of this client only; one not given keeps its earlier answer."""
    client = selectors.client_for_portal_user(user)
    today = timezone.now().astimezone(ZoneInfo(client.clinic.timezone)).date()
    errors: dict[str, str] = {}
    if day > today:
        errors["day"] = "cannot be in the future"
    elif day < today - datetime.timedelta(days=14):
        errors["day"] = "only the last two weeks can be filled in"
    for name in ("pain", "numbness", "tingling", "sleep"):
        value = ratings.get(name)
        if name == "sleep" and value is None:
            continue  # no longer asked (sleep quality is): kept when an older caller sends it
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
            errors[name] = "choose a number from 0 to 10"
    extra = _clean_diary_measures(client, measures or {}, errors)
    if errors:
        raise FieldErrors(errors)
    entry = DiaryEntry.objects.select_for_update().filter(client=client, day=day).first() or DiaryEntry(
        client=client, day=day
    )
    created = entry.pk is None
    for name in ("pain", "numbness", "tingling", "sleep"):
        if ratings.get(name) is not None:
            setattr(entry, name, ratings[name])  # an older entry's "sleep disturbed" stays when not sent
    for name, value in extra.items():
        setattr(entry, name, value)
    entry.note = note.strip()[:200]
    entry.full_clean()
    entry.save()
    audit_record(
        actor=user,
        action="create" if created else "update",
        obj=entry,
        summary=f"Diary {day.isoformat()}",
    )
    return entry
