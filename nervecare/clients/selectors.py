"""Reads of the clinical record. The only place that decides who may see which client."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from nervecare.clients import bodymap
from nervecare.clients.hooks import FreshRecord, list_filters, record_cards, record_sections
from nervecare.clients.models import (
    CLIENT_FIELDS,
    CONDITION_FIELDS,
    BodyMap,
    Client,
    ClientAccessGrant,
    ClientShare,
    Condition,
    MedicalContext,
)
from nervecare.core.models import Clinic, Therapist, User
from nervecare.core.permissions import require_clinical, require_scheduling
from nervecare.core.sqlfuncs import ModelColumns


def clients_visible_to(user: User) -> QuerySet[Client]:
    """THE rule for whose clinical record a user may see. Every read of clinical data goes through here.

    - admin: every client of their clinic;
    - therapist: the clients of their clinic they are the primary therapist of, that are shared with them
      (ClientShare), or that they hold a live ClientAccessGrant for (granted by the plans and scheduling
      services: the therapist of a proposed or active plan; the therapist the front desk, an admin or the
      client booked while a live appointment remains). Booking, cancelling or any appointment status never
      widens access by itself: only a grant does.
      (client_get_for_user settles "primary therapist" from the client row before asking the whole rule)
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
    treats = (
        Q(primary_therapist__user_id=user.pk)
        | Q(Exists(ClientShare.objects.filter(client_id=OuterRef("pk"), therapist__user_id=user.pk)))
        | Q(
            Exists(
                ClientAccessGrant.objects.filter(
                    client_id=OuterRef("pk"), user_id=user.pk, revoked_at__isnull=True
                )
            )
        )
    )
    return qs.filter(treats)


def clients_bookable_by(user: User) -> QuerySet[Client]:
    """Whom a member of staff may book (with any therapist): the front desk and admins every client of their
    clinic; a therapist only the clients whose record they already see (clients_visible_to), so booking can
    never be a way into a record. Everyone else: none (a client books for themself through the portal)."""
    if not getattr(user, "is_authenticated", False) or user.clinic_id is None:
        return Client.objects.none()
    if user.role in (User.Role.ADMIN, User.Role.FRONT_DESK):
        return Client.objects.filter(clinic_id=user.clinic_id)
    if user.role == User.Role.THERAPIST:
        return clients_visible_to(user)
    return Client.objects.none()


def user_may_book(user: User, client: Client) -> bool:
    """clients_bookable_by for one client already read (the front desk and admins need no query)."""
    if not getattr(user, "is_authenticated", False) or user.clinic_id is None:
        return False
    if user.role in (User.Role.ADMIN, User.Role.FRONT_DESK):
        return client.clinic_id == user.clinic_id and client.deleted_at is None
    if getattr(client, "_bookable_by", None) == user.pk:  # read through clients_bookable_by(user) just now
        return True
    return user.role == User.Role.THERAPIST and user_sees_client(user, client.pk)


def client_get_for_booking(user: User, client_id: int) -> Client:
    """One client the user may book (clients_bookable_by); the same 404 as for a record they cannot see."""
    require_scheduling(user)
    if connection.vendor in ("sqlite", "postgresql"):
        client = _bookable_client(user, client_id)
    else:
        client = clients_bookable_by(user).filter(pk=client_id).select_related("clinic").first()
    if client is None:
        raise Http404("No such client.")
    client._bookable_by = user.pk  # type: ignore[attr-defined]  # user_may_book need not ask again
    return client


# client_get_for_booking's read written out (issue 20): every booking starts with it, and compiling the ORM's
# form of the rule (clients_bookable_by) cost more than running it. The statement states the same rule:
# the client of the user's clinic, not deleted; for a therapist only one they treat (clients_visible_to: the
# primary therapist, a share, a live grant). Its tests compare it with the ORM's form for every kind of user.
_CLIENT, _CLINIC = ModelColumns(Client), ModelColumns(Clinic)
_BOOKABLE = (
    f"SELECT {_CLIENT.select('c')}, {_CLINIC.select('k')} "  # noqa: S608 - the models' names; values are parameters
    'FROM "clients_client" c INNER JOIN "core_clinic" k ON k."id" = c."clinic_id" '
    'WHERE c."id" = %s AND c."clinic_id" = %s AND c."deleted_at" IS NULL'
)
_TREATS = (
    ' AND (EXISTS(SELECT 1 FROM "core_therapist" p WHERE p."id" = c."primary_therapist_id" AND p."user_id" = %s)'
    ' OR EXISTS(SELECT 1 FROM "clients_clientshare" sh INNER JOIN "core_therapist" st'
    ' ON st."id" = sh."therapist_id" WHERE sh."client_id" = c."id" AND st."user_id" = %s)'
    ' OR EXISTS(SELECT 1 FROM "clients_clientaccessgrant" g'
    ' WHERE g."client_id" = c."id" AND g."user_id" = %s AND g."revoked_at" IS NULL))'
)


def _bookable_client(user: User, client_id: int) -> Client | None:
    """clients_bookable_by(user).filter(pk=client_id).select_related("clinic").first(), in one written-out
    statement (SQLite and PostgreSQL alike)."""
    if not getattr(user, "is_authenticated", False) or user.clinic_id is None:
        return None
    if not -(2**63) <= client_id < 2**63:  # no such row (a page's <int:> takes any size; SQLite refuses it)
        return None
    if user.role in (User.Role.ADMIN, User.Role.FRONT_DESK):
        sql, params = _BOOKABLE, [client_id, user.clinic_id]
    elif user.role == User.Role.THERAPIST:
        sql, params = _BOOKABLE + _TREATS, [client_id, user.clinic_id, user.pk, user.pk, user.pk]
    else:
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    client: Client = _CLIENT.read(row, 0, connection)
    Client.clinic.field.set_cached_value(client, _CLINIC.read(row, _CLIENT.width, connection))
    return client


def portal_user_id_of(client: Client) -> Callable[[], int | None]:
    """For core.permissions' "own record" checks: the user id of the client's portal sign-in (None: it has
    none), looked up only when asked (a member of staff's check needs no query). The portal's ClientAccount is
    reached through its reverse one-to-one (`portal_account`), so this app does not import the portal."""

    def owner() -> int | None:
        account = getattr(client, "portal_account", None)
        return account.user_id if account is not None else None

    return owner


def user_sees_client(user: User, client_id: int) -> bool:
    """Does this user (e.g. the user of a therapist about to be booked) see the client's record?"""
    return clients_visible_to(user).filter(pk=client_id).exists()


def client_access_grants(user: User, client: Client) -> list[ClientAccessGrant]:
    """Every grant to the client's record, live and revoked, newest first: for the clinic's admins only."""
    if not user.is_authenticated or user.role != User.Role.ADMIN or user.clinic_id != client.clinic_id:
        raise PermissionDenied("Only the clinic's admins may see who was granted access to a record.")
    return list(
        ClientAccessGrant.objects.filter(client=client)
        .select_related("user", "granted_by", "revoked_by")
        .order_by("-granted_at", "-id")
    )


def can_see_client(user: User, client: Client) -> bool:
    """May this user see this client's clinical record (same rule as clients_visible_to)?"""
    return clients_visible_to(user).filter(pk=client.pk).exists()


def client_list_for_user(
    user: User, *, search: str = "", neuropathy_type: str = "", cause: str = ""
) -> QuerySet[Client]:
    """The clients whose record the user may see, optionally filtered; therapists and admins only."""
    require_clinical(user)
    qs = _client_filters(
        clients_visible_to(user).select_related("primary_therapist"), search, neuropathy_type, cause
    )
    return qs.prefetch_related("conditions").distinct()


def _client_filters(qs: QuerySet[Client], search: str, neuropathy_type: str, cause: str) -> QuerySet[Client]:
    if search:
        qs = qs.filter(
            Q(first_name__icontains=search) | Q(last_name__icontains=search) | Q(email__icontains=search)
        )
    if neuropathy_type:
        qs = qs.filter(conditions__type=neuropathy_type)
    if cause:
        qs = qs.filter(conditions__cause=cause)
    return qs


def client_summaries_for_user(
    user: User, *, search: str = "", neuropathy_type: str = "", cause: str = ""
) -> list[dict[str, Any]]:
    """The API's client list: the same clients, filters and order as client_list_for_user, as plain rows
    (id, names, date of birth, primary therapist id, each condition's str()) in two narrow queries."""
    require_clinical(user)
    qs = _client_filters(clients_visible_to(user), search, neuropathy_type, cause)
    if neuropathy_type or cause:
        qs = qs.distinct()  # the condition filters join conditions: one row per matching condition
    rows = list(qs.values_list("id", "first_name", "last_name", "date_of_birth", "primary_therapist_id"))
    conditions: dict[int, list[str]] = {}
    if rows:
        for client_id, type_, cause_ in Condition.objects.filter(
            client_id__in=[r[0] for r in rows]
        ).values_list("client_id", "type", "cause"):
            conditions.setdefault(client_id, []).append(Condition.describe(type_, cause_))
    return [
        {
            "id": pk,
            "first_name": first_name,
            "last_name": last_name,
            "date_of_birth": date_of_birth,
            "primary_therapist_id": primary_therapist_id,
            "conditions": conditions.get(pk, []),
        }
        for pk, first_name, last_name, date_of_birth, primary_therapist_id in rows
    ]


def client_get_for_user(
    user: User, client_id: int, *, related: tuple[str, ...] = ("clinic", "primary_therapist", "medical")
) -> Client:
    """One client, if the user may see their record; 404 otherwise (never reveal that the record exists).

    `related`: the relations loaded with it (a read that uses none of the default ones can name fewer)."""
    require_clinical(user)
    if user.role == User.Role.THERAPIST and user.clinic_id is not None:
        # The common case first: the therapist's own client (primary therapist, which clients_visible_to
        # always allows) is settled by the row itself; anyone else's goes through the whole rule.
        own = (
            Client.objects.filter(pk=client_id, clinic_id=user.clinic_id)
            .annotate(_primary_user_id=F("primary_therapist__user_id"))
            .select_related(*related)
            .first()
        )
        if own is not None and (
            own._primary_user_id == user.pk or clients_visible_to(user).filter(pk=client_id).exists()
        ):
            return own
        raise Http404("No such client.")
    client = clients_visible_to(user).filter(pk=client_id).select_related(*related).first()
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
    return _comparison(*body_map_latest_two(client))


def _comparison(latest: BodyMap | None, previous: BodyMap | None) -> dict | None:
    if latest is None or previous is None:
        return None
    return bodymap.compare(body_map_marks(previous), body_map_marks(latest))


# The condition fields of the record (schemas.ConditionOut), read as plain values.
CONDITION_RECORD_FIELDS = ("id", *CONDITION_FIELDS)

_NOT_LOADED: Any = object()


def client_record(
    client: Client, *, medical: MedicalContext | None = _NOT_LOADED, fresh: FreshRecord | None = None
) -> dict[str, Any]:
    """The whole clinical record of one client as plain data (API and pages).

    `medical`: the client's medical context when the caller has just loaded it with the client (None: the
    client has none); by default it is read here, so a caller that has just changed it gets the new state.
    `fresh`: the rows of a record the intake has just created (take_fresh_record): the record is built from
    them, as it would read back, without reading them back (issue 20)."""
    if fresh is not None:
        return _fresh_client_record(client, fresh)
    if medical is _NOT_LOADED:
        medical = MedicalContext.objects.filter(client=client).first()
    latest_map, previous_map = body_map_latest_two(client)
    return {
        **{
            f: getattr(client, f)
            for f in ("id", *CLIENT_FIELDS, "primary_therapist_id", "created_at", "updated_at")
        },
        "conditions": list(client.conditions.values(*CONDITION_RECORD_FIELDS)),
        "medical": _medical_dict(medical) if medical else None,
        "consents": [
            {
                "id": pk,
                "version": version,
                "method": method,
                "given_at": given_at,
                "withdrawn_at": withdrawn_at,
            }
            for pk, version, method, given_at, withdrawn_at in client.consents.values_list(
                "id", "text__version", "method", "given_at", "withdrawn_at"
            )
        ],
        "body_map": _body_map_dict(latest_map) if latest_map else None,
        "body_map_comparison": _comparison(latest_map, previous_map),
        **record_sections(client),  # the open safety flags and latest screenings (screening fills it)
    }


def take_fresh_record(client: Client) -> FreshRecord | None:
    """The rows intake_create left on the client it returned, once: whoever takes them builds the record
    from them (client_record(fresh=...)) right away, before anything else can change the record."""
    fresh: FreshRecord | None = client.__dict__.pop("_fresh_record", None)
    return fresh


def _fresh_client_record(client: Client, fresh: FreshRecord) -> dict[str, Any]:
    """client_record of a record created in this transaction, from the rows its creator holds."""
    return {
        **{
            f: getattr(client, f)
            for f in ("id", *CLIENT_FIELDS, "primary_therapist_id", "created_at", "updated_at")
        },
        "conditions": [{f: getattr(c, f) for f in CONDITION_RECORD_FIELDS} for c in fresh.conditions],
        "medical": _medical_dict(fresh.medical) if fresh.medical else None,
        "consents": [
            {
                "id": c.pk,
                "version": c.text.version,
                "method": c.method,
                "given_at": c.given_at,
                "withdrawn_at": c.withdrawn_at,
            }
            for c in fresh.consents
        ],
        "body_map": _body_map_dict(fresh.body_map) if fresh.body_map else None,
        "body_map_comparison": None,  # a new record has one body map at most
        **record_sections(client, fresh),
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


def record_card_conditions(user: User, client: Client) -> dict[str, Any]:
    """The record page's neuropathy card."""
    return {"conditions": list(client.conditions.all())}


def record_card_body_map(user: User, client: Client) -> dict[str, Any]:
    """The record page's body map card: the latest map, the first one beside it, and what changed."""
    latest_map, previous_map = body_map_latest_two(client)
    first_map = client.body_maps.order_by("recorded_at", "id").first() if previous_map else None
    return {
        "body_map": latest_map,
        "body_map_marks": list(latest_map.marks.all()) if latest_map else [],
        "comparison": body_map_comparison(client),
        "first_map": first_map,
        "first_map_marks": list(first_map.marks.all()) if first_map else [],
    }


def record_card_medical(user: User, client: Client) -> dict[str, Any]:
    """The record page's medical context card."""
    return {"medical": MedicalContext.objects.filter(client=client).first()}


def record_card_contact(user: User, client: Client) -> dict[str, Any]:
    """The record page's contact and consent card."""
    return {"consents": list(client.consents.select_related("text"))}


def record_card_sharing(user: User, client: Client) -> dict[str, Any]:
    """The record page's sharing card: who else sees the record and, for admins and the primary therapist,
    whom it can be shared with; for admins, the access plans and bookings granted (live and ended)."""
    shares = client_shares(client)
    is_admin = user.role == User.Role.ADMIN
    primary = client.primary_therapist
    may_share = is_admin or (primary is not None and primary.user_id == user.pk)
    taken = {s.therapist_id for s in shares} | {client.primary_therapist_id}
    candidates = (
        [t for t in Therapist.objects.filter(clinic_id=client.clinic_id, active=True) if t.pk not in taken]
        if may_share
        else []
    )
    return {
        "shares": shares,
        "is_admin": is_admin,
        "grants": client_access_grants(user, client) if is_admin else [],
        "may_share": may_share,
        "candidates": candidates,
    }


def client_record_page(user: User, client_id: int) -> dict[str, Any]:
    """The client's record page: the client (if the user may see them; 404 otherwise) and every registered
    card's context, with `cards`, the cards' templates in page order (clients/hooks.py)."""
    client = client_get_for_user(user, client_id)
    templates, context = record_cards(user, client)
    return {"client": client, "cards": templates, **context}


def client_list_page(user: User, filters: dict[str, Any]) -> QuerySet[Client]:
    """The client list: the clients the user may see, narrowed by the list's filters (the record's own and
    those the apps above register, such as the plan's status)."""
    clients = client_list_for_user(
        user,
        search=filters.get("q", ""),
        neuropathy_type=filters.get("type", ""),
        cause=filters.get("cause", ""),
    )
    if filters.get("therapist"):
        clients = clients.filter(primary_therapist_id=filters["therapist"])
    for extra in list_filters():
        if filters.get(extra.name):
            clients = extra.apply(clients, filters[extra.name])
    return clients.distinct()


def therapists_for_clinic(clinic_id: int) -> list[Therapist]:
    """The clinic's active therapists (the list filter and the intake's choice of usual therapist)."""
    return list(Therapist.objects.filter(clinic_id=clinic_id, active=True).select_related("user"))
