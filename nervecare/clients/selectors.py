"""Reads of the clinical record. The only place that decides who may see which client."""

from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from nervecare.clients import bodymap
from nervecare.clients.models import CLIENT_FIELDS, BodyMap, Client, MedicalContext
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical


def clients_visible_to(user: User) -> QuerySet[Client]:
    """THE rule for whose clinical record a user may see. Every read of clinical data goes through here.

    - admin: every client of their clinic;
    - therapist: the clients of their clinic they treat — primary therapist, therapist of a proposed or
      active plan, or the therapist of any appointment (any status) — plus clients shared with them
      (ClientShare);
    - front desk, clients, anonymous, staff without a clinic: none (the front desk reaches names and contact
      details through the scheduling selectors, never the clinical record).
    """
    if not getattr(user, "is_authenticated", False) or user.clinic_id is None:
        return Client.objects.none()
    qs = Client.objects.filter(clinic_id=user.clinic_id)
    if user.role == User.Role.ADMIN:
        return qs
    if user.role != User.Role.THERAPIST:
        return Client.objects.none()
    from nervecare.clients.models import ClientShare
    from nervecare.plans.models import CarePlan
    from nervecare.scheduling.models import Appointment

    treats = (
        Q(primary_therapist__user_id=user.pk)
        | Q(
            Exists(
                CarePlan.objects.filter(
                    client_id=OuterRef("pk"),
                    therapist__user_id=user.pk,
                    status__in=[CarePlan.Status.PROPOSED, CarePlan.Status.ACTIVE],
                )
            )
        )
        | Q(Exists(Appointment.objects.filter(client_id=OuterRef("pk"), therapist__user_id=user.pk)))
        | Q(Exists(ClientShare.objects.filter(client_id=OuterRef("pk"), therapist__user_id=user.pk)))
    )
    return qs.filter(treats)


def can_see_client(user: User, client: Client) -> bool:
    """May this user see this client's clinical record (same rule as clients_visible_to)?"""
    return clients_visible_to(user).filter(pk=client.pk).exists()


def client_list_for_user(
    user: User, *, search: str = "", neuropathy_type: str = "", cause: str = ""
) -> QuerySet[Client]:
    """The clients whose record the user may see, optionally filtered; therapists and admins only."""
    require_clinical(user)
    qs = clients_visible_to(user).select_related("primary_therapist")
    if search:
        qs = qs.filter(
            Q(first_name__icontains=search) | Q(last_name__icontains=search) | Q(email__icontains=search)
        )
    if neuropathy_type:
        qs = qs.filter(conditions__type=neuropathy_type)
    if cause:
        qs = qs.filter(conditions__cause=cause)
    return qs.prefetch_related("conditions").distinct()


def client_get_for_user(user: User, client_id: int) -> Client:
    """One client, if the user may see their record; 404 otherwise (never reveal that the record exists)."""
    require_clinical(user)
    client = (
        clients_visible_to(user)
        .filter(pk=client_id)
        .select_related("clinic", "primary_therapist", "medical")
        .first()
    )
    if client is None:
        raise Http404("No such client.")
    return client


def client_shares(client: Client) -> list:
    return list(client.shares.select_related("therapist", "shared_by"))


def body_map_marks(body_map: BodyMap) -> list[bodymap.Mark]:
    return [bodymap.Mark(m.region, m.side, m.sensation, m.intensity) for m in body_map.marks.all()]


def body_map_latest_two(client: Client) -> tuple[BodyMap | None, BodyMap | None]:
    """(latest, the one before it)."""
    maps = list(client.body_maps.prefetch_related("marks")[:2])
    return (maps[0] if maps else None, maps[1] if len(maps) > 1 else None)


def body_map_comparison(client: Client) -> dict | None:
    latest, previous = body_map_latest_two(client)
    if latest is None or previous is None:
        return None
    return bodymap.compare(body_map_marks(previous), body_map_marks(latest))


def client_record(client: Client) -> dict[str, Any]:
    """The whole clinical record of one client as plain data (API and pages)."""
    from nervecare.screening.selectors import flag_as_dict, latest_responses, open_flags, response_as_dict

    medical = MedicalContext.objects.filter(client=client).first()
    latest_map, _ = body_map_latest_two(client)
    return {
        **{
            f: getattr(client, f)
            for f in ("id", *CLIENT_FIELDS, "primary_therapist_id", "created_at", "updated_at")
        },
        "conditions": list(client.conditions.all()),
        "medical": _medical_dict(medical) if medical else None,
        "consents": [
            {
                "id": c.id,
                "version": c.text.version,
                "method": c.method,
                "given_at": c.given_at,
                "withdrawn_at": c.withdrawn_at,
            }
            for c in client.consents.select_related("text")
        ],
        "body_map": _body_map_dict(latest_map) if latest_map else None,
        "body_map_comparison": body_map_comparison(client),
        "open_flags": [flag_as_dict(f) for f in open_flags(client)],
        "latest_screenings": {code: response_as_dict(r) for code, r in latest_responses(client).items()},
    }


def _medical_dict(medical: MedicalContext) -> dict[str, Any]:
    out = {}
    for f in medical._meta.concrete_fields:
        if f.name in {"id", "client"}:
            continue
        value = getattr(medical, f.name)
        out[f.name] = (
            value.isoformat()
            if hasattr(value, "isoformat")
            else (str(value) if isinstance(value, Decimal) else value)
        )
    return out


def _body_map_dict(body_map: BodyMap) -> dict[str, Any]:
    return {
        "id": body_map.id,
        "recorded_at": body_map.recorded_at,
        "context": body_map.context,
        "pattern": body_map.pattern,
        "pattern_detail": body_map.pattern_detail,
        "marks": [
            {"region": m.region, "side": m.side, "sensation": m.sensation, "intensity": m.intensity}
            for m in body_map.marks.all()
        ],
    }


def body_maps_for_client(client: Client) -> list[dict[str, Any]]:
    return [_body_map_dict(b) for b in client.body_maps.prefetch_related("marks")]


def client_history(client: Client) -> list[dict[str, Any]]:
    """Who changed what and when, across the client's details, conditions and medical context."""
    rows = []
    sources = [("client", client.history.all())]
    sources += [(f"condition {c.id}", c.history.all()) for c in client.conditions.all()]
    medical = MedicalContext.objects.filter(client=client).first()
    if medical:
        sources.append(("medical context", medical.history.all()))
    for label, records in sources:
        for record in records.select_related("history_user"):
            fields: dict[str, Any] = {}
            if record.prev_record is not None:
                delta = record.diff_against(record.prev_record)
                fields = {c.field: [_plain(c.old), _plain(c.new)] for c in delta.changes}
            rows.append(
                {
                    "record": label,
                    "at": record.history_date,
                    "by": record.history_user.username if record.history_user else None,
                    "change": {"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
                    "fields": fields,
                }
            )
    rows.sort(key=lambda r: r["at"], reverse=True)
    return rows


def _plain(value: Any) -> Any:
    return value if isinstance(value, bool | int | float | str | list | dict) or value is None else str(value)
