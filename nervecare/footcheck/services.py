"""Writes of the daily foot check: a client's report (and what it sets off), and the therapist's review.

A report with a new cut, blister or sore, or with warmth and swelling or redness (foot_check_rules.yaml),
opens the matching existing safety flag at once: the report is a fact the safety check reads
(screening/hooks.py), so the flag is raised by the same check, with the same rule, level, source and area,
and re-runs of the check (check-in runs one) keep it open until the therapist records the assessment
(foot_check_review). The therapist is e-mailed through the job queue a link to the record, with no clinical
detail; the client is told in plain words to contact their doctor or foot service today.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import filetype
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.selectors import portal_user_id_of
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical, require_clinical_or_own_record
from nervecare.core.services import audit_record
from nervecare.core.tasks import send_email
from nervecare.footcheck import rules, selectors
from nervecare.footcheck.models import FootCheck, FootCheckPhoto
from nervecare.screening.models import SafetyFlag
from nervecare.screening.services import safety_check_run

# What a photo may be: what its bytes say (filetype reads the signature), as for documents (ops/documents.py).
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
DEFAULT_PHOTO_MAX_BYTES = 5 * 1024 * 1024
NOTE_MAX = 1000


def photo_max_bytes() -> int:
    return int(getattr(settings, "NERVECARE_FOOTCHECK_PHOTO_MAX_BYTES", DEFAULT_PHOTO_MAX_BYTES))


def sniff_photo(data: bytes) -> str | None:
    """The image type the content's signature says, if it is one a foot-check photo may be."""
    kind = filetype.guess(data[:8192])
    mime = kind.mime if kind is not None else None
    return mime if mime in PHOTO_TYPES else None


@dataclass
class FootCheckResult:
    check: FootCheck
    advice: list[str] = field(default_factory=list)  # plain words for the client
    flags: list[SafetyFlag] = field(default_factory=list)  # the stop flags the report opened or keeps open
    alerted: int = 0  # therapists e-mailed


def _validate(
    *, findings: dict[str, Any], foot: str, regions: list[str], note: str, photo: bytes | None
) -> tuple[dict[str, bool], str, list[str], str, str | None]:
    errors: dict[str, str] = {}
    codes = rules.finding_codes()
    unknown = sorted(set(findings) - set(codes))
    for code in unknown:
        errors[f"findings.{code}"] = "not a question of the foot check"
    clean = {}
    for code in codes:
        value = findings.get(code, False)
        if not isinstance(value, bool):
            errors[code] = "answer yes or no"
        clean[code] = bool(value)
    any_finding = any(clean.values())
    foot = (foot or "").strip().lower()
    if foot and foot not in rules.foot_labels():
        errors["foot"] = "choose the left foot, the right foot or both feet"
    elif any_finding and not foot:
        errors["foot"] = "say which foot: the left, the right or both"
    known_regions = rules.region_labels()
    seen: list[str] = []
    for i, region in enumerate(regions or []):
        if region not in known_regions:
            errors[f"regions[{i}]"] = "choose a part of the foot from the list"
        elif region not in seen:
            seen.append(region)
    if (
        any_finding
        and not seen
        and "regions" not in errors
        and not any(k.startswith("regions[") for k in errors)
    ):
        errors["regions"] = "say where on the foot (toes, sole, top, heel, ankle or the whole foot)"
    if not any_finding and (seen or foot):
        # Where without what: the client meant to report something; ask rather than guess.
        errors["findings"] = "you chose a foot or a place: tick what you found there (or clear them)"
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = f"keep it under {NOTE_MAX} characters"
    content_type = None
    if photo is not None:
        if not photo:
            errors["photo"] = "the photo is empty"
        elif len(photo) > photo_max_bytes():
            errors["photo"] = (
                f"the photo is larger than {photo_max_bytes() // (1024 * 1024)} MB: take a smaller one"
            )
        else:
            content_type = sniff_photo(photo)
            if content_type is None:
                errors["photo"] = (
                    "only a JPEG, PNG or WebP photo can be added: this file is none of them "
                    "(its content was checked, not its name)"
                )
    if errors:
        raise FieldErrors(errors)
    return clean, foot, seen, note, content_type


@transaction.atomic
def foot_check_submit(
    *,
    actor: User,
    client: Client,
    findings: dict[str, Any],
    foot: str = "",
    regions: list[str] | None = None,
    note: str = "",
    photo: bytes | None = None,
) -> FootCheckResult:
    """Store one daily foot check for a client who does it (foot_check_rules.yaml eligibility), by the client
    in the portal or by their clinical staff (the caller fetched the client through client_get_for_user).
    Bad input stores nothing (422 naming each field)."""
    require_clinical_or_own_record(actor, owner_user_id=portal_user_id_of(client))
    if not selectors.foot_check_eligible(client):
        raise FieldErrors(
            {
                "client": "the daily foot check is for clients with loss of protective sensation or diabetes; "
                "this record shows neither"
            }
        )
    clean, foot, where, note, content_type = _validate(
        findings=findings, foot=foot, regions=list(regions or []), note=note, photo=photo
    )
    fired = rules.fired(clean)
    needs_attention = any(clean.values())
    check = FootCheck.objects.create(
        client=client,
        checked_on=selectors.clinic_today(client),
        reported_at=timezone.now(),
        foot=foot,
        regions=where,
        note=note,
        rules_fired=[r.id for r in fired],
        flags_raised=[r.raises for r in fired],
        rules_version=rules.rules().version,
        needs_attention=needs_attention,
        red_flag=bool(fired),
        submitted_by=actor,
        **clean,
    )
    audit_record(
        actor=actor,
        action="create",
        obj=check,
        summary=f"Daily foot check: {selectors.findings_text(check)}",
        changes={"findings": [c for c, v in clean.items() if v], "foot": foot, "regions": where},
    )
    if photo is not None and content_type is not None:
        stored = FootCheckPhoto.objects.create(
            foot_check=check,
            client=client,
            content_type=content_type,
            size=len(photo),
            sha256=hashlib.sha256(photo).hexdigest(),
            data=photo,
        )
        audit_record(
            actor=actor,
            action="create",
            obj=stored,
            summary="Foot-check photo added",
            changes={"content_type": content_type, "size": len(photo), "sha256": stored.sha256},
        )
    result = FootCheckResult(check=check, advice=selectors.advice_for(check))
    if fired:
        # The report is now a fact of the safety check: run it, so the matching stop flag opens at once.
        raised = {r.raises for r in fired}
        result.flags = [f for f in safety_check_run(actor=actor, client=client) if f.rule_id in raised]
        result.alerted = _alert_therapists(actor=actor, client=client, check=check)
    return result


def _alert_therapists(*, actor: User, client: Client, check: FootCheck) -> int:
    """E-mail the client's therapists (primary, and of upcoming sessions) a link to the record through the job
    queue, after the commit; the e-mail carries no clinical detail (no finding, no foot, no name)."""
    emails = sorted({t.user.email for t in selectors.therapists_to_alert(client) if t.user.email})
    if not emails:
        return 0
    base = (getattr(settings, "NERVECARE_PUBLIC_URL", "") or "").rstrip("/")
    context = {
        "clinic": client.clinic,
        "link": base + reverse("clients:client", kwargs={"client_id": client.pk}),
    }
    subject = render_to_string("footcheck/email/alert_subject.txt", context).strip()
    body = render_to_string("footcheck/email/alert_body.txt", context)
    transaction.on_commit(lambda: send_email(subject, body, emails))
    audit_record(
        actor=actor,
        action="update",
        obj=check,
        summary=f"Therapist alerted by e-mail: a stop after a daily foot check ({len(emails)} recipient(s))",
    )
    return len(emails)


@transaction.atomic
def foot_check_review(*, actor: User, check: FootCheck, note: str) -> FootCheck:
    """The therapist records what was done about a report (e.g. "seen by the foot team on 8 Dec, healing"):
    the report no longer keeps its stop flag open, and the safety check runs again (the flag closes unless
    the record still says so). The caller fetched the report through foot_check_get_for_user."""
    require_clinical(actor)
    check = FootCheck.objects.select_for_update().select_related("client__clinic").get(pk=check.pk)
    errors: dict[str, str] = {}
    note = (note or "").strip()
    if check.reviewed_at is not None:
        errors["foot_check_id"] = "this report has already been reviewed"
    if not note:
        errors["review_note"] = "say what was done (e.g. who assessed the foot and what they found)"
    elif len(note) > NOTE_MAX:
        errors["review_note"] = f"keep it under {NOTE_MAX} characters"
    if errors:
        raise FieldErrors(errors)
    check.reviewed_at = timezone.now()
    check.reviewed_by = actor
    check.review_note = note
    check.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    audit_record(
        actor=actor, action="update", obj=check, summary="Foot check reviewed", changes={"note": note}
    )
    if check.red_flag:
        safety_check_run(actor=actor, client=check.client)
    return check
