"""API routes for session notes. Thin: fetch through the permission-checked selectors, call one service."""

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from ninja import Router, Status

from nervecare.clients.models import Client
from nervecare.clients.selectors import client_get_for_user
from nervecare.core.api_support import BODY, error_body, error_responses
from nervecare.core.audit import audit_list
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.visits import physical, selectors, services
from nervecare.visits.schemas import (
    AdverseEventIn,
    AdverseEventOut,
    AdverseEventPatch,
    AmendmentIn,
    AmendmentOut,
    NoteIn,
    NoteOut,
    PhysicalMeasureIn,
    PhysicalMeasureOut,
    ReviewOut,
)

router = Router(tags=["notes"])


def conflict_as_409(view: Callable[..., Any]) -> Callable[..., Any]:
    """A note that is locked or a session blocked by a stop flag: 409 with the usual error body."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(request, *args, **kwargs)
        except services.SessionBlockedError as exc:
            errors = {f"flags.{f.rule_id}": f"{f.level}: {f.reason}" for f in exc.flags}
            return JsonResponse(error_body(str(exc), errors), status=409)
        except services.NoteStateError as exc:
            return JsonResponse(error_body(str(exc), {"note": str(exc)}), status=409)

    return wrapper


def _note_payload(payload: NoteIn) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    data = payload.model_dump(exclude={"adverse_events"})
    if data["modality"] is None:
        del data["modality"]  # the booked service's modality
    events = payload.model_dump()["adverse_events"]
    return data, events


@router.get(
    "/appointments/{appointment_id}/note",
    response={200: NoteOut, **error_responses(404)},
    summary="The session note of an appointment",
)
def get_appointment_note(request: AuthedHttpRequest, appointment_id: int) -> dict:
    appointment = selectors.appointment_get_for_note(request.user, appointment_id)
    note = selectors.note_for_appointment(appointment)
    if note is None:
        raise Http404("No note has been started for this appointment yet (PUT one).")
    audit_record(actor=request.user, action="view", obj=note, summary="Session note viewed (API)")
    return selectors.note_as_dict(note)


@router.put(
    "/appointments/{appointment_id}/note",
    response={200: NoteOut, **error_responses(404, 409, *BODY)},
    summary="Start or update the draft note (runs the safety check)",
)
@conflict_as_409
def put_appointment_note(request: AuthedHttpRequest, appointment_id: int, payload: NoteIn) -> dict:
    appointment = selectors.appointment_get_for_note(request.user, appointment_id)
    data, events = _note_payload(payload)
    note = services.note_save(actor=request.user, appointment=appointment, data=data, adverse_events=events)
    return selectors.note_as_dict(selectors.note_for_answer(appointment) or note)


@router.post(
    "/appointments/{appointment_id}/note/sign",
    response={200: NoteOut, **error_responses(404, 409)},
    summary="Sign the note (locks it; runs the safety check)",
)
@conflict_as_409
def sign_appointment_note(request: AuthedHttpRequest, appointment_id: int) -> dict:
    appointment = selectors.appointment_get_for_note(request.user, appointment_id)
    note = selectors.note_for_appointment(appointment)
    if note is None:
        raise Http404("No note has been started for this appointment yet (PUT one).")
    services.note_sign(actor=request.user, note=note)
    return selectors.note_as_dict(selectors.note_get_for_user(request.user, note.id))


@router.get("/notes/{note_id}", response={200: NoteOut, **error_responses(404)}, summary="One session note")
def get_note(request: AuthedHttpRequest, note_id: int) -> dict:
    note = selectors.note_get_for_user(request.user, note_id)
    audit_record(actor=request.user, action="view", obj=note, summary="Session note viewed (API)")
    return selectors.note_as_dict(note)


@router.post(
    "/notes/{note_id}/amendments",
    response={201: AmendmentOut, **error_responses(404, 409, *BODY)},
    summary="Amend a signed note (the original is kept)",
)
@conflict_as_409
def amend_note(request: AuthedHttpRequest, note_id: int, payload: AmendmentIn) -> Status:
    note = selectors.note_get_for_user(request.user, note_id)
    amendment = services.note_amend(
        actor=request.user,
        note=note,
        reason=payload.reason,
        changes=payload.changes,
        text=payload.text,
    )
    return Status(201, selectors.amendment_as_dict(amendment))


@router.post(
    "/notes/{note_id}/adverse-events",
    response={201: AdverseEventOut, **error_responses(404, *BODY)},
    summary="Record an adverse event (also on a signed note)",
)
def add_adverse_event(request: AuthedHttpRequest, note_id: int, payload: AdverseEventIn) -> Status:
    note = selectors.note_get_for_user(request.user, note_id)
    event = services.adverse_event_add(actor=request.user, note=note, data=payload.model_dump())
    return Status(201, selectors.adverse_event_as_dict(event))


@router.patch(
    "/notes/{note_id}/adverse-events/{event_id}",
    response={200: AdverseEventOut, **error_responses(404, *BODY)},
    summary="Follow up an adverse event (follow-up text, resolved)",
)
def patch_adverse_event(
    request: AuthedHttpRequest, note_id: int, event_id: int, payload: AdverseEventPatch
) -> dict:
    event = selectors.adverse_event_get_for_user(request.user, note_id, event_id)
    data = payload.model_dump(exclude_unset=True)
    if data.get("follow_up", "") is None:
        data.pop("follow_up")
    if "resolved" in data and data["resolved"] is None:
        data.pop("resolved")
    event = services.adverse_event_update(actor=request.user, event=event, data=data)
    return selectors.adverse_event_as_dict(event)


@router.get(
    "/clients/{client_id}/notes",
    response={200: list[NoteOut], **error_responses(404)},
    summary="A client's session notes (those the caller may open), newest first",
)
def list_client_notes(request: AuthedHttpRequest, client_id: int) -> list:
    client = client_get_for_user(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary="Session notes viewed (API)")
    return [selectors.note_as_dict(n) for n in selectors.notes_for_client(request.user, client)]


@router.get(
    "/review/clients",
    response={200: list[ReviewOut], **error_responses()},
    summary="Clients whose soreness does not settle, or with an unresolved adverse event",
)
def review_clients(request: AuthedHttpRequest) -> list:
    require_clinical(request.user)
    items = selectors.clients_needing_review(clinic_id_of(request.user), user=request.user)
    audit_list(request.user, Client, [i.client.id for i in items], "Review list viewed (API)")
    return [selectors.review_item_as_dict(i) for i in items]


@router.get(
    "/clients/{client_id}/physical-measures",
    response={200: list[PhysicalMeasureOut], **error_responses(404)},
    summary="A client's goniometer readings and Timed Up and Go times, oldest first",
)
def list_physical_measures(request: AuthedHttpRequest, client_id: int) -> list:
    client = client_get_for_user(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary="Physical measures viewed (API)")
    return [physical.physical_measure_as_dict(m) for m in physical.physical_measures_for_client(client)]


@router.post(
    "/clients/{client_id}/physical-measures",
    response={201: PhysicalMeasureOut, **error_responses(404, *BODY)},
    summary="Record a goniometer reading or a Timed Up and Go (baseline or re-evaluation)",
)
def add_physical_measure(request: AuthedHttpRequest, client_id: int, payload: PhysicalMeasureIn) -> Status:
    client = client_get_for_user(request.user, client_id)
    row = physical.physical_measure_record(actor=request.user, client=client, data=payload.model_dump())
    return Status(201, physical.physical_measure_as_dict(row))
