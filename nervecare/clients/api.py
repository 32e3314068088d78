"""API routes for clients and their intake record."""

import datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from nervecare.clients import bodymap, lymph, selectors, services
from nervecare.clients.models import Client, Condition, ConsentText
from nervecare.clients.schemas import (
    BodyMapIn,
    BodyMapOut,
    BodyMapRecordedOut,
    BodyMapVocabularyOut,
    Cause,
    ClientOut,
    ClientPatch,
    ClientSummaryOut,
    ConditionIn,
    ConditionOut,
    ConditionPatch,
    ConsentIn,
    ConsentOut,
    HistoryOut,
    IntakeIn,
    MedicalIn,
    MedicalOut,
    NeuropathyType,
    ShareOut,
    VocabulariesOut,
)
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.core.vocab import load_yaml

router = Router(tags=["clients"])


class ClientFilters(Schema):
    search: str = ""
    type: NeuropathyType | Literal[""] = ""
    cause: Cause | Literal[""] = ""


def _medical_payload(payload: MedicalIn, *, partial: bool) -> dict:
    data = payload.model_dump(exclude_unset=partial, by_alias=True)
    if "medications" in data:
        data["medications"] = [{"name": m["name"], "class": m.get("class", "")} for m in data["medications"]]
    return data


@router.get("/clients", response={200: list[ClientSummaryOut], **error_responses()}, summary="List clients")
def list_clients(request: AuthedHttpRequest, filters: Query[ClientFilters]) -> list:
    rows = selectors.client_summaries_for_user(
        request.user, search=filters.search, neuropathy_type=filters.type, cause=filters.cause
    )
    audit_list(request.user, Client, [row["id"] for row in rows], "Clients listed (API)")
    return rows


@router.post(
    "/clients",
    response={201: ClientOut, **error_responses(*BODY)},
    summary="Create a client with the whole intake",
)
def create_client(request: AuthedHttpRequest, payload: IntakeIn) -> Status:
    medical = _medical_payload(payload.medical, partial=False) if payload.medical else None
    client = services.intake_create(
        actor=request.user,
        client=payload.client.model_dump(),
        conditions=[c.model_dump() for c in payload.conditions],
        medical=medical,
        body_map=[m.model_dump() for m in payload.body_map],
        consent=payload.consent.model_dump() if payload.consent else None,
        primary_therapist_id=payload.primary_therapist_id,
    )
    return Status(201, selectors.client_record(client, fresh=selectors.take_fresh_record(client)))


@router.get(
    "/clients/{client_id}",
    response={200: ClientOut, **error_responses(404)},
    summary="A client's whole record",
)
def get_client(request: AuthedHttpRequest, client_id: int) -> dict:
    # The record uses the client's own columns and its medical context, not the clinic or the therapist.
    client = selectors.client_get_for_user(request.user, client_id, related=("medical",))
    audit_record(actor=request.user, action="view", obj=client, summary="Record viewed (API)")
    return selectors.client_record(client, medical=getattr(client, "medical", None))


@router.patch(
    "/clients/{client_id}",
    response={200: ClientOut, **error_responses(404, *BODY)},
    summary="Change a client's details",
)
def patch_client(request: AuthedHttpRequest, client_id: int, payload: ClientPatch) -> dict:
    client = selectors.client_get_for_user(request.user, client_id)
    client = services.client_update(
        actor=request.user, client=client, data=payload.model_dump(exclude_unset=True)
    )
    return selectors.client_record(client)


@router.get(
    "/clients/{client_id}/history",
    response={200: list[HistoryOut], **error_responses(404)},
    summary="Who changed what, when",
)
def client_history(request: AuthedHttpRequest, client_id: int) -> list:
    client = selectors.client_get_for_user(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary="History viewed (API)")
    return selectors.client_history(client)


@router.post(
    "/clients/{client_id}/conditions",
    response={201: ConditionOut, **error_responses(404, *BODY)},
    summary="Add a neuropathy",
)
def add_condition(request: AuthedHttpRequest, client_id: int, payload: ConditionIn) -> Status:
    client = selectors.client_get_for_user(request.user, client_id)
    return Status(
        201,
        services.condition_add(actor=request.user, client=client, data=payload.model_dump()),
    )


@router.patch(
    "/clients/{client_id}/conditions/{condition_id}",
    response={200: ConditionOut, **error_responses(404, *BODY)},
    summary="Change a neuropathy",
)
def patch_condition(
    request: AuthedHttpRequest, client_id: int, condition_id: int, payload: ConditionPatch
) -> Condition:
    client = selectors.client_get_for_user(request.user, client_id)
    condition = get_object_or_404(Condition, pk=condition_id, client=client)
    return services.condition_update(
        actor=request.user, condition=condition, data=payload.model_dump(exclude_unset=True)
    )


@router.put(
    "/clients/{client_id}/medical",
    response={200: MedicalOut, **error_responses(404, *BODY)},
    summary="Replace the medical context",
)
def put_medical(request: AuthedHttpRequest, client_id: int, payload: MedicalIn) -> dict:
    client = selectors.client_get_for_user(request.user, client_id)
    services.medical_context_update(
        actor=request.user, client=client, data=_medical_payload(payload, partial=False)
    )
    return selectors.client_record(client)["medical"]


@router.patch(
    "/clients/{client_id}/medical",
    response={200: MedicalOut, **error_responses(404, *BODY)},
    summary="Change part of the medical context",
)
def patch_medical(request: AuthedHttpRequest, client_id: int, payload: MedicalIn) -> dict:
    client = selectors.client_get_for_user(request.user, client_id)
    services.medical_context_update(
        actor=request.user, client=client, data=_medical_payload(payload, partial=True)
    )
    return selectors.client_record(client)["medical"]


@router.get(
    "/clients/{client_id}/body-maps",
    response={200: list[BodyMapOut], **error_responses(404)},
    summary="Every body map, newest first",
)
def list_body_maps(request: AuthedHttpRequest, client_id: int) -> list:
    client = selectors.client_get_for_user(request.user, client_id)
    audit_view(request.user, client, "Body maps viewed (API)")
    return selectors.body_maps_for_client(client)


@router.post(
    "/clients/{client_id}/body-maps",
    response={201: BodyMapRecordedOut, **error_responses(404, *BODY)},
    summary="Record the body map again",
)
def add_body_map(request: AuthedHttpRequest, client_id: int, payload: BodyMapIn) -> Status:
    client = selectors.client_get_for_user(request.user, client_id)
    body_map = services.body_map_record(
        actor=request.user,
        client=client,
        marks=[m.model_dump() for m in payload.marks],
        context=payload.context,
    )
    return Status(
        201,
        {
            "body_map": selectors.body_maps_for_client(client)[0] | {"id": body_map.id},
            "comparison_with_previous": selectors.body_map_comparison(client),
        },
    )


@router.get(
    "/vocabularies", response={200: VocabulariesOut, **error_responses()}, summary="Codes the intake accepts"
)
def vocabularies(request: AuthedHttpRequest) -> dict:
    """Diagnosis codes (with ICD-10-CM and SNOMED CT), the clinic's consent versions, devices, body map."""
    require_clinical(request.user)
    return {
        "diagnoses": load_yaml("clients/data/conditions.yaml")["diagnoses"],
        "consent_versions": list(
            ConsentText.objects.filter(clinic_id=clinic_id_of(request.user)).values_list("version", flat=True)
        ),
        "devices": sorted(services.DEVICE_CODES),
        "lymph_node_sites": [{"code": code, "label": label} for code, label in lymph.choices()],
        "neuropathy_types": list(Condition.Type.values),
        "causes": list(Condition.Cause.values),
        "body_map": bodymap.vocabulary(),
    }


@router.get(
    "/body-map/vocabulary",
    response={200: BodyMapVocabularyOut, **error_responses()},
    summary="Body regions and sensations",
)
def body_map_vocabulary(request: AuthedHttpRequest) -> dict:
    return bodymap.vocabulary()


@router.post(
    "/clients/{client_id}/consents",
    response={201: ConsentOut, **error_responses(404, *BODY)},
    summary="Record consent to treatment",
)
def add_consent(request: AuthedHttpRequest, client_id: int, payload: ConsentIn) -> Status:
    client = selectors.client_get_for_user(request.user, client_id)
    consent = services.consent_record(
        actor=request.user,
        client=client,
        version=payload.version,
        method=payload.method,
        given_at=payload.given_at,
    )
    return Status(
        201,
        {
            "id": consent.id,
            "version": consent.text.version,
            "method": consent.method,
            "given_at": consent.given_at,
            "withdrawn_at": None,
        },
    )


class ShareIn(Schema):
    therapist_id: int
    reason: str = ""


def _share_dict(share) -> dict:  # noqa: ANN001
    return {
        "therapist_id": share.therapist_id,
        "therapist": share.therapist.display_name,
        "shared_by": share.shared_by.username if share.shared_by else None,
        "created_at": share.created_at,
        "reason": share.reason,
    }


@router.get(
    "/clients/{client_id}/shares",
    response={200: list[ShareOut], **error_responses(404)},
    summary="Therapists the record is shared with",
)
def list_shares(request: AuthedHttpRequest, client_id: int) -> list:
    client = selectors.client_get_for_user(request.user, client_id)
    audit_view(request.user, client, "Who sees this record viewed (API)")
    return [_share_dict(s) for s in selectors.client_shares(client)]


@router.post(
    "/clients/{client_id}/shares",
    response={201: ShareOut, **error_responses(404, *BODY)},
    summary="Share the record with another therapist (admins, primary therapist)",
)
def add_share(request: AuthedHttpRequest, client_id: int, payload: ShareIn) -> Status:
    client = selectors.client_get_for_user(request.user, client_id)
    share = services.client_share(
        actor=request.user,
        client=client,
        therapist_id=payload.therapist_id,
        reason=payload.reason,
    )
    return Status(201, _share_dict(share))


@router.delete(
    "/clients/{client_id}/shares/{therapist_id}",
    response={204: None, **error_responses(404)},
    summary="Stop sharing the record with a therapist",
)
def delete_share(request: AuthedHttpRequest, client_id: int, therapist_id: int) -> Status:
    client = selectors.client_get_for_user(request.user, client_id)
    services.client_unshare(actor=request.user, client=client, therapist_id=therapist_id)
    return Status(204, None)


class AccessGrantOut(Schema):
    id: int
    user_id: int
    user: str
    reason: str
    source_id: int
    granted_by: str | None
    granted_at: datetime.datetime
    revoked_by: str | None
    revoked_at: datetime.datetime | None
    live: bool


def _grant_dict(grant) -> dict:  # noqa: ANN001
    return {
        "id": grant.id,
        "user_id": grant.user_id,
        "user": grant.user.username,
        "reason": grant.reason,
        "source_id": grant.source_id,
        "granted_by": grant.granted_by.username if grant.granted_by else None,
        "granted_at": grant.granted_at,
        "revoked_by": grant.revoked_by.username if grant.revoked_by else None,
        "revoked_at": grant.revoked_at,
        "live": grant.revoked_at is None,
    }


@router.get(
    "/clients/{client_id}/access",
    response={200: list[AccessGrantOut], **error_responses(404)},
    summary="Who was granted access to the record by a plan or a booking, and when (admins only)",
)
def list_access(request: AuthedHttpRequest, client_id: int) -> list:
    client = selectors.client_get_for_user(request.user, client_id)
    grants = selectors.client_access_grants(request.user, client)
    audit_view(request.user, client, "Access grants viewed (API)")
    return [_grant_dict(g) for g in grants]
