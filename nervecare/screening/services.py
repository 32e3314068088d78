"""Writes for screening: scoring a response, running the safety check, recording a clearance."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from nervecare.clients.hooks import FreshRecord
from nervecare.clients.models import Client, MedicalContext
from nervecare.clients.selectors import portal_user_id_of
from nervecare.core import audit
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical, require_clinical_or_own_record
from nervecare.core.services import audit_record
from nervecare.core.vocab import PACKAGE_DIR
from nervecare.screening import hooks, instruments, safety
from nervecare.screening.models import InstrumentResponse, SafetyFlag
from nervecare.screening.selectors import flag_as_dict, latest_answers, thresholds_for

CONTEXTS = {"intake", "visit", "reevaluation"}


@cache
def definition_sha(code: str) -> str:
    """SHA-256 of the instrument's definition file, stored with each response (which wording was asked).

    Read once per process, as the definitions themselves are (instruments.all_definitions): the files are
    read-only at run time, and the hash stays that of the wording the process scores with."""
    return hashlib.sha256((PACKAGE_DIR / instruments.definition_file(code)).read_bytes()).hexdigest()


@transaction.atomic
def response_create(
    *,
    actor: User,
    client: Client,
    instrument: str,
    answers: dict[str, Any],
    administered_at: datetime | None = None,
    context: str = "intake",
) -> InstrumentResponse:
    """Score and store one completed instrument. A missing or out-of-range answer stores nothing.

    The actor is clinical staff, or the client answering about themselves in the portal."""
    require_clinical_or_own_record(actor, owner_user_id=portal_user_id_of(client))
    if context not in CONTEXTS:
        raise FieldErrors({"context": f"must be one of {', '.join(sorted(CONTEXTS))}"})
    try:
        definition = instruments.get_definition(instrument)
        result = instruments.score(definition, answers)
    except instruments.ScoringError as exc:
        raise FieldErrors(exc.errors) from None
    administered_at = administered_at or timezone.now()
    if timezone.is_naive(administered_at):
        # A time without an offset is read as the clinic's local time.
        administered_at = timezone.make_aware(administered_at, ZoneInfo(client.clinic.timezone))
    if administered_at > timezone.now() + timedelta(minutes=5):
        raise FieldErrors({"administered_at": "cannot be in the future"})
    if administered_at.date() < client.date_of_birth:
        raise FieldErrors({"administered_at": "cannot be before the client was born"})
    response = InstrumentResponse.objects.create(
        client=client,
        instrument=definition.code,
        definition_version=definition.version,
        definition_sha256=definition_sha(definition.code),
        answers=result["answers"],
        item_scores=result["item_scores"],
        total=result["total"],
        max_total=result["max"],
        interpretation=jsonable(result["interpretation"]),
        administered_at=administered_at,
        context=context,
        recorded_by=actor,
    )
    # The response's event and the safety check's go in together: one INSERT (issue 20).
    with audit.held_together():
        audit_record(
            actor=actor,
            action="create",
            obj=response,
            summary=f"{definition.short_title}: {result['total']} — {result['interpretation']['summary']}",
        )
        # Already inside this service's transaction: the check runs in it directly (no savepoint of its own;
        # an error leaves the whole service, as before).
        _safety_check(actor=actor, client=client)
    return response


def jsonable(value: Any) -> Any:
    """Scoring output as JSON-safe values (Decimals and dates become strings)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    return str(value)


def safety_evaluate(
    client: Client, *, today: date | None = None, fresh: FreshRecord | None = None
) -> list[safety.FiredRule]:
    """What the rules say now, without storing anything.

    `fresh`: a record created in this transaction (clients.hooks.FreshRecord): its conditions and medical
    context are the ones in hand, and it has no screenings (nor reports between sessions) yet."""
    today = today or timezone.localdate()
    if fresh is not None:
        medical, conditions, answers, reported = fresh.medical, fresh.conditions, {}, {}
    else:
        medical = MedicalContext.objects.filter(client=client).first()
        conditions, answers = list(client.conditions.all()), latest_answers(client)
        # What the client reported between sessions (the daily foot check): screening/hooks.py.
        reported = hooks.reported_facts(client, today)
    facts = safety.gather_facts(
        # The clinic read with the client (and its thresholds, when selected with it) saves the queries.
        thresholds=thresholds_for(client.clinic if Client.clinic.is_cached(client) else client.clinic_id),
        conditions=conditions,
        medical=medical,
        latest_answers=answers,
        today=today,
        reported=reported,
    )
    return safety.evaluate(facts)


def _basis_key(basis: dict[str, Any]) -> str:
    return json.dumps(basis, sort_keys=True, default=str)


def safety_check_run(
    *, actor: User | None, client: Client, fresh: FreshRecord | None = None
) -> list[SafetyFlag]:
    """Run the rules and bring the client's flags up to date; returns the open flags, most severe first.

    A rule that fires opens a flag (or refreshes the open one). A clearance already recorded for a rule keeps
    it closed. A flag whose rule no longer fires closes as "no longer applies".

    `fresh`: the record was created in the caller's transaction, which is still open, and these are its rows
    (the intake, issue 20): the check reads them from here, and the flags it raises go to the record the
    creator returns (fresh.sections). Nothing else can see the client yet, so there is nothing to lock, and
    it has no flags or clearances yet.
    """
    if fresh is not None:
        check = _safety_check(actor=actor, client=client, fresh=fresh)
        fresh.sections.update(open_flags=[flag_as_dict(f) for f in check.open_flags], latest_screenings={})
        return check.open_flags
    with transaction.atomic():
        return _safety_check(actor=actor, client=client).open_flags


@dataclass
class SafetyCheck:
    open_flags: list[SafetyFlag]  # after the check, most severe first
    fired: set[str]  # the ids of the rules that fired


def safety_check_run_with_rules(*, actor: User | None, client: Client) -> SafetyCheck:
    """safety_check_run (its own transaction), also returning which rules fired."""
    with transaction.atomic():
        return _safety_check(actor=actor, client=client)


def _safety_check(*, actor: User | None, client: Client, fresh: FreshRecord | None = None) -> SafetyCheck:
    """safety_check_run's body; the caller holds a transaction."""
    if actor is not None:
        require_clinical_or_own_record(actor, owner_user_id=portal_user_id_of(client))
    current: dict[str, SafetyFlag] = {}
    cleared: set[tuple[str, str]] | None = None  # read only when a clearance rule fires without an open flag
    if fresh is None:
        # Serialise checks of one client (the lock is all this read is for). NO KEY UPDATE: it excludes other
        # checks of this client but not the foreign-key checks of rows that refer to the client (a booking's
        # appointment, a note), which take KEY SHARE on it.
        Client.objects.select_for_update(no_key=True).filter(pk=client.pk).values_list(
            "pk", flat=True
        ).first()
        current = {f.rule_id: f for f in client.flags.filter(status=SafetyFlag.Status.OPEN)}
    else:
        cleared = set()  # a new record: no flag was ever cleared
    now = timezone.now()
    rs = safety.ruleset()
    fired = {f.rule.id: f for f in safety_evaluate(client, fresh=fresh)}
    raised: list[SafetyFlag] = []
    for rule_id, flag in current.items():
        if rule_id not in fired:
            flag.status = SafetyFlag.Status.RESOLVED
            flag.resolution = SafetyFlag.Resolution.NO_LONGER_APPLIES
            flag.resolved_at = now
            flag.resolved_by = actor
            flag.save(update_fields=["status", "resolution", "resolved_at", "resolved_by"])
    still: list[SafetyFlag] = []  # open flags whose rule fires as it did: only their check time changes
    for rule_id, hit in fired.items():
        values = {
            "rules_version": rs.version,
            "title": hit.rule.title,
            "level": hit.level,
            "applies_to": hit.rule.applies_to,
            "area": hit.area,
            "reason": hit.reason,
            "actions": hit.actions,
            "effects": hit.rule.effects,
            "source": hit.rule.source,
            "basis": hit.basis,
        }
        if rule_id in current:
            flag = current[rule_id]
            flag.last_checked_at = now
            changed = [key for key, value in values.items() if getattr(flag, key) != value]
            if changed:
                for key in changed:
                    setattr(flag, key, values[key])
                flag.save(update_fields=[*changed, "last_checked_at"])
            else:
                still.append(flag)
            continue
        if hit.level == "clearance":
            if cleared is None:
                cleared = {
                    (cleared_rule, _basis_key(basis))
                    for cleared_rule, basis in client.flags.filter(
                        resolution=SafetyFlag.Resolution.CLEARED
                    ).values_list("rule_id", "basis")
                }
            if (rule_id, _basis_key(hit.basis)) in cleared:
                continue
        raised.append(
            SafetyFlag.objects.create(
                client=client, rule_id=rule_id, raised_at=now, last_checked_at=now, **values
            )
        )
    if still:
        # One UPDATE for them all rather than one per flag (issue 20: most checks change nothing).
        SafetyFlag.objects.filter(pk__in=[f.pk for f in still]).update(last_checked_at=now)
    # The open flags now: those whose rule still fires, and those just raised, ordered as open_flags orders
    # them. Read from here, not again: this transaction holds the client's lock, so no other check has
    # opened or closed one of them meanwhile (a new record has none but those just raised).
    flags = sorted(
        [f for rule_id, f in current.items() if rule_id in fired] + raised,
        key=lambda f: (SafetyFlag.LEVEL_ORDER[f.level], f.rule_id),
    )
    audit_record(
        actor=actor,
        action="update",
        obj=client,
        summary=f"Safety check: {len(flags)} open flag(s)",
        changes={"open_flags": [f"{f.level}:{f.rule_id}" for f in flags]},
    )
    return SafetyCheck(open_flags=flags, fired=set(fired))


@transaction.atomic
def flag_record_clearance(
    *,
    actor: User,
    flag: SafetyFlag,
    clinician: str,
    clearance_date: date,
    note: str = "",
) -> SafetyFlag:
    """Close a clearance flag with the clinician's clearance. Stop flags close only when the data changes."""
    require_clinical(actor)
    flag = SafetyFlag.objects.select_for_update().get(pk=flag.pk)
    errors: dict[str, str] = {}
    if flag.status != SafetyFlag.Status.OPEN:
        errors["flag"] = "this flag is already resolved"
    elif flag.level != SafetyFlag.Level.CLEARANCE:
        errors["flag"] = (
            "only clearance flags close with a clearance; a stop flag closes when the facts behind it change "
            "(update the intake and run the safety check again)"
        )
    if not clinician.strip():
        errors["clinician"] = "name the clinician who gave clearance"
    if clearance_date > timezone.localdate():
        errors["clearance_date"] = "cannot be in the future"
    if errors:
        raise FieldErrors(errors)
    flag.status = SafetyFlag.Status.RESOLVED
    flag.resolution = SafetyFlag.Resolution.CLEARED
    flag.resolved_at = timezone.now()
    flag.resolved_by = actor
    flag.clearance_by = clinician.strip()
    flag.clearance_date = clearance_date
    flag.resolution_note = note
    flag.save()
    audit_record(actor=actor, action="update", obj=flag, summary=f"Clearance by {flag.clearance_by}")
    return flag
