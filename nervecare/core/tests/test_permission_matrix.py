"""The permission matrix: EVERY URL pattern of the project × every role × own / other object.

The routes are enumerated from django.urls.get_resolver() (pages, the ninja API operation by operation,
FHIR, the portal), so a new route that is not in ROUTES below makes `test_every_route_is_in_the_matrix`
fail. Each route has a KIND that says who may use it; the arguments are built from the route's parameter
names for the object of the side asked for:

- own: Alice's client Ada Quillfeather (Alice is her primary therapist; the portal user "ada" is her);
- other: Bob's client Bea Marchbanks in the same clinic (not shared with Alice; portal user "bea");
- foreign: Olga's client Otto Vandersloot in another clinic.

For every case the test asserts allowed (200, or the route's own success status) or denied (401/403/404,
or a redirect to sign in / to the role's home page) — and when denied, that the body names nobody of the
object asked for (no leak). Writes (POST/PUT/PATCH/DELETE) are sent only for the roles that may not write,
and the database must be unchanged afterwards. Reads are GET.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Max
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from nervecare.clients.models import ClientAccessGrant
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.core.tests.factories import UserFactory
from nervecare.interop.models import ContactChangeProposal, ExportJob
from nervecare.interop.tests.conftest import make_record
from nervecare.ops.models import ClientDocument, ImportRun
from nervecare.outcomes.models import ReportJob
from nervecare.plans.models import CarePlan
from nervecare.portal.models import ClientAccount, ClientIntake
from nervecare.scheduling.calendar import calendar_token_create
from nervecare.scheduling.models import WaitlistEntry
from nervecare.visits import services as visit_services

pytestmark = pytest.mark.django_db

# --- who may do what: the kinds ------------------------------------------------------------------------------

STAFF = {"admin", "therapist", "front_desk"}
CLINICAL_ROLES = {"admin", "therapist"}


def _clinical(role: str, side: str) -> bool:
    """The clinical record: the clinic's admins; a therapist only for their own (or shared) clients."""
    return (role == "admin" and side in ("own", "other")) or (role == "therapist" and side == "own")


KINDS: dict[str, Callable[[str, str], bool]] = {
    # anyone, signed in or not (sign-in pages, FHIR capability statement, API schema)
    "public": lambda role, side: True,
    # any signed-in person (who am I, own tokens, change own password)
    "signed_in": lambda role, side: role != "anonymous",
    # the clinical record of one client (and everything hanging off it: plans, notes, outcomes, FHIR reads)
    "clinical": _clinical,
    # clinic-wide clinical pages and aggregates without a client in the URL (lists are filtered)
    "clinic_clinical": lambda role, side: role in CLINICAL_ROLES,
    # a clinic object only clinical staff use (a clinic report job) — never another clinic's
    "clinic_clinical_object": lambda role, side: role in CLINICAL_ROLES and side != "foreign",
    # scheduling: the clinic's staff, front desk included (names, contact, times; no clinical content)
    "scheduling": lambda role, side: role in STAFF and side != "foreign",
    # booking a client (and what booking needs): the front desk and admins any client of the clinic; a
    # therapist only the clients whose record they see (booking is never a way into a record: issue 14)
    "booking": lambda role, side: (
        (role in ("admin", "front_desk") and side != "foreign") or (role == "therapist" and side == "own")
    ),
    # clinic-wide scheduling pages and lists
    "staff": lambda role, side: role in STAFF,
    # admin-only acts on one client's record (delete, restore, erase): the clinic's admins
    "admin_clinical": lambda role, side: role == "admin" and side in ("own", "other"),
    # admin-only clinic pages (deleted clients and the retention setting; the clinic's set-up)
    "clinic_admin": lambda role, side: role == "admin",
    # the clinic's set-up (no clinical data: details, staff, services, rooms, hours, closures): its admins
    "clinic_setup": lambda role, side: role == "admin",
    # an admin-only object of the clinic (an import run; a colleague, a service, a room, a closure of the
    # set-up): the clinic's admins, never another clinic's
    "clinic_admin_object": lambda role, side: role == "admin" and side != "foreign",
    # the portal: a client, their own data only
    "portal": lambda role, side: role == "client" and side == "own",
    # an API token: its owner; a clinic admin: any token of the clinic's people
    "token_owner": lambda role, side: (
        (role == "therapist" and side == "own") or (role == "admin" and side in ("own", "other"))
    ),
    # only the person who asked for it (a FHIR bulk export job: Alice's own)
    "requester": lambda role, side: role == "therapist" and side == "own",
    # secret-link routes (calendar feed, password-set link): the secret is the credential, not the session
    "secret_link": lambda role, side: True,
    # the public booking pages and API of a clinic that turned online booking on: anyone, signed in or not,
    # and no client of any side is ever named in them (rate limited per address; issue 16)
    "public_booking": lambda role, side: True,
    # money (issue 17): the front desk and admins, never another clinic's; no clinical content
    "billing": lambda role, side: role in ("admin", "front_desk") and side != "foreign",
    # money acts only admins do (void, refund, credit, waive, identifiers)
    "billing_admin": lambda role, side: role == "admin" and side in ("own", "other"),
    # clinic-wide money pages and lists (prices, the day's takings)
    "clinic_billing": lambda role, side: role in ("admin", "front_desk"),
    # clinic-wide money settings and the books: admins
    "clinic_billing_admin": lambda role, side: role == "admin",
    # takings (revenue): admins all, a therapist their own; no client named
    "takings": lambda role, side: role in ("admin", "therapist"),
    # home self-care check-offs and adherence (issue 18): clinical staff who see the record, and the client
    # themself (their own record only)
    "clinical_or_own": lambda role, side: _clinical(role, side) or (role == "client" and side == "own"),
    # a course's sessions left: the desk and admins, and the therapists who see the client
    "billing_view": lambda role, side: (
        (role in ("admin", "front_desk") and side != "foreign") or (role == "therapist" and side == "own")
    ),
}

ROLES = ["anonymous", "admin", "therapist", "front_desk", "client", "other_admin"]
SIDES_FOR_OBJECT_ROUTES = {
    "anonymous": ["own"],
    "admin": ["own", "other", "foreign"],
    "therapist": ["own", "other", "foreign"],
    "front_desk": ["own", "foreign"],
    "client": ["own", "other"],
    "other_admin": ["own"],
}


@dataclass(frozen=True)
class Route:
    kind: str
    method: str = "GET"  # for pages: the method tested; API operations take theirs from ninja
    body: dict[str, Any] | Callable[[Any], dict[str, Any]] | None = None  # callable: f(side objects)
    args: dict[str, Callable[[Any], Any]] = field(default_factory=dict)  # param -> f(side objects)
    ok: tuple[int, ...] = (200,)
    query: str | Callable[[Any], str] = ""
    headers: dict[str, str] = field(default_factory=dict)
    object_free: bool = False  # the route's arguments do not depend on the side (e.g. a code)
    object_in_body: bool = (
        False  # no object in the path, but the body or query names one (a booking's client)
    )
    bookable_only: bool = False  # a list of clients to book: a therapist sees only their own (issue 14)


R = Route
CODE = {"code": lambda s: "nrs_pain"}
FHIR_PATIENT = {"resource_type": lambda s: "Patient", "resource_id": lambda s: str(s.client.id)}
ASYNC = {"HTTP_ACCEPT": "application/fhir+json", "HTTP_PREFER": "respond-async"}
INTAKE = {
    "client": {"first_name": "Nora", "last_name": "Halvorsen", "date_of_birth": "1961-07-09"},
    "conditions": [{"type": "peripheral", "cause": "diabetes_t2"}],
}


def _booking(s: Any) -> dict[str, Any]:
    return {
        "client_id": s.client.id,
        "therapist_id": s.therapist.id,
        "service_id": s.record.past.service_id,
        "starts_at": "2030-01-07T10:00:00Z",
    }


def _series(s: Any) -> dict[str, Any]:
    return {
        "client_id": s.client.id,
        "therapist_id": s.therapist.id,
        "service_id": s.record.past.service_id,
        "first_date": "2030-01-07",
        "local_time": "10:00",
        "count": 2,
    }


def _waitlist(s: Any) -> dict[str, Any]:
    return {
        "client_id": s.client.id,
        "service_id": s.record.past.service_id,
        "earliest": "2030-01-07T09:00:00Z",
        "latest": "2030-01-14T09:00:00Z",
    }


FHIR_SEARCH = {"resource_type": lambda s: "Condition"}
FOOT_CHECK = {"check_id": lambda s: _foot_check(s).id}
ONLINE = {"slug": lambda s: _online(s).slug, "service_id": lambda s: _online(s).service_id}


def _room(s: Any) -> Any:
    from nervecare.scheduling.models import Room

    return Room.objects.get_or_create(clinic=s.client.clinic, name=f"Matrix room {s.who}")[0]


def _closure(s: Any) -> Any:
    from nervecare.scheduling.models import Closure

    return Closure.objects.get_or_create(
        clinic=s.client.clinic,
        starts_on=datetime.date(2030, 1, 2),
        name="Matrix closure",
        defaults={"ends_on": datetime.date(2030, 1, 2)},
    )[0]


def _time_off(s: Any) -> Any:
    from nervecare.scheduling.models import AvailabilityException

    start = datetime.datetime(2030, 1, 3, 9, tzinfo=datetime.UTC)
    return AvailabilityException.objects.get_or_create(
        therapist=s.therapist,
        kind="time_off",
        starts_at=start,
        defaults={"ends_at": start + datetime.timedelta(hours=3)},
    )[0]


# The clinic's set-up (issue 16): its admins only; objects of their own clinic only.
STAFF_ARG = {"staff_id": lambda s: s.therapist.user_id}
SERVICE_ARG = {"service_id": lambda s: s.record.past.service_id}
SETUP_ROUTES: dict[str, Route] = {
    "setup:home": Route("clinic_setup"),
    "setup:clinic": Route("clinic_setup"),
    "setup:thresholds": Route("clinic_setup"),
    "setup:staff": Route("clinic_setup"),
    "setup:staff_invite": Route("clinic_setup"),
    "setup:staff_member": Route("clinic_admin_object", args=STAFF_ARG),
    "setup:staff_action": Route(
        "clinic_admin_object", method="POST", body={}, args={**STAFF_ARG, "action": lambda s: "deactivate"}
    ),
    "setup:therapist": Route("clinic_admin_object"),
    "setup:hours": Route("clinic_admin_object"),
    "setup:time_off": Route("clinic_admin_object"),
    "setup:time_off_remove": Route(
        "clinic_admin_object", method="POST", body={}, args={"exception_id": lambda s: _time_off(s).id}
    ),
    "setup:services": Route("clinic_setup"),
    "setup:service_new": Route("clinic_setup"),
    "setup:service_edit": Route("clinic_admin_object", args=SERVICE_ARG),
    "setup:rooms": Route("clinic_setup"),
    "setup:room_edit": Route("clinic_admin_object", args={"room_id": lambda s: _room(s).id}),
    "setup:closures": Route("clinic_setup"),
    "setup:closure_remove": Route(
        "clinic_admin_object", method="POST", body={}, args={"closure_id": lambda s: _closure(s).id}
    ),
    "setup:holidays_import": Route("clinic_setup", method="POST", body={"year": "2030"}),
    # the emailed invitation link: the secret is the credential (a wrong one: 404, nothing shown)
    "setup:invite_accept": Route(
        "secret_link", args={"uidb64": lambda s: "MQ", "token": lambda s: "x-y"}, ok=(404,), object_free=True
    ),
    "api:get_clinic": Route("clinic_setup"),
    "api:patch_clinic": Route("clinic_setup", body={"name": "Matrix"}),
    "api:get_thresholds": Route("clinic_setup"),
    "api:patch_thresholds": Route("clinic_setup", body={"platelets_min_per_ul": 60000}),
    "api:list_staff": Route("clinic_setup"),
    "api:invite_staff": Route(
        "clinic_admin", body={"email": "zed@example.org", "first_name": "Zed", "role": "therapist"}
    ),
    "api:deactivate_staff": Route("clinic_admin_object", args=STAFF_ARG),
    "api:reactivate_staff": Route("clinic_admin_object", args=STAFF_ARG),
    "api:reset_staff_mfa": Route("clinic_admin_object", args=STAFF_ARG),
    "api:get_therapist_profile": Route("clinic_admin_object"),
    "api:patch_therapist_profile": Route("clinic_admin_object", body={"years_experience": 3}),
    "api:setup_list_services": Route("clinic_setup"),
    "api:create_service": Route("clinic_setup", body={"name": "Matrix service", "minutes": 30}),
    "api:patch_service": Route("clinic_admin_object", args=SERVICE_ARG, body={"minutes": 30}),
    "api:setup_list_rooms": Route("clinic_setup"),
    "api:create_room": Route("clinic_setup", body={"name": "Matrix room new"}),
    "api:patch_room": Route(
        "clinic_admin_object", args={"room_id": lambda s: _room(s).id}, body={"active": False}
    ),
    "api:list_time_off": Route("clinic_admin_object"),
    "api:delete_time_off": Route("clinic_admin_object", args={"exception_id": lambda s: _time_off(s).id}),
    "api:list_closures": Route("clinic_setup"),
    "api:create_closure": Route("clinic_setup", body={"starts_on": "2030-01-09", "name": "Matrix"}),
    "api:delete_closure": Route("clinic_admin_object", args={"closure_id": lambda s: _closure(s).id}),
    "api:import_holidays": Route("clinic_setup", body={"year": 2030}),
}

# Home self-care (issue 18): programmes are clinical; ticks and adherence are also the client's own.
PROGRAMME_ARG = {"programme_id": lambda s: _programme(s).id}
SELFCARE_ROUTES: dict[str, Route] = {
    "selfcare:programme": Route("clinical"),
    "selfcare:programme_change": Route("clinical", method="POST", body={"reason": "x"}, args=PROGRAMME_ARG),
    "selfcare:programme_end": Route("clinical", method="POST", body={"reason": "x"}, args=PROGRAMME_ARG),
    "portal:selfcare": Route("portal"),
    "portal:selfcare_week": Route("portal"),
    "portal:selfcare_tick": Route("portal", method="POST", body={}),
    "portal:selfcare_untick": Route("portal", method="POST", body={}),
    "portal:selfcare_reminder": Route("portal", method="POST", body={}),
    "api:list_items": Route("clinic_clinical"),
    "api:item_options": Route("clinical"),
    "api:list_programmes": Route("clinical"),
    "api:create_programme": Route(
        "clinical",
        body={"starts_on": "2030-01-07", "items": [{"item_code": "foot_inspection"}], "reason": "Matrix"},
    ),
    "api:get_programme": Route("clinical", args=PROGRAMME_ARG),
    "api:update_programme": Route("clinical", args=PROGRAMME_ARG, body={"reason": "x", "remove_items": []}),
    "api:end_programme": Route("clinical", args=PROGRAMME_ARG, body={"reason": "x"}),
    "api:list_check_offs": Route("clinical_or_own"),
    "api:create_check_off": Route(
        "clinical_or_own", body=lambda s: {"item_id": _programme(s).items.first().id}
    ),
    "api:delete_check_off": Route("clinical_or_own", args={"check_off_id": lambda s: _check_off(s).id}),
    "api:adherence": Route("clinical_or_own"),
}

# key: "namespace:name" (API operations: "api:<operation>"), or the route pattern when it has no name.
ROUTES: dict[str, Route] = {
    # Django's sign-in pages
    "login": R("public"),
    "logout": R("signed_in", method="POST", ok=(200, 302)),
    "password_change": R("signed_in", ok=(200,)),
    "password_change_done": R("signed_in"),
    "password_reset": R("public"),
    "password_reset_done": R("public"),
    "password_reset_confirm": R(
        "public", args={"uidb64": lambda s: "MQ", "token": lambda s: "set-password"}, object_free=True
    ),
    "password_reset_complete": R("public"),
    # the user's API tokens page
    "core:tokens": R("signed_in"),
    "core:token_revoke": R("token_owner", method="POST", body={}),
    # the API: schema and docs are public (no data), the rest below
    "api:openapi-json": R("public"),
    "api:openapi-view": R("public"),
    "api:api-root": R("public", ok=(200, 404)),
    "api:me": R("signed_in"),
    "api:therapists": R("staff"),
    "api:list_clients": R("clinic_clinical"),
    "api:create_client": R("clinic_clinical", body=INTAKE),
    "api:get_client": R("clinical"),
    "api:patch_client": R("clinical", body={"phone": "555-0000"}),
    "api:client_history": R("clinical"),
    "api:add_condition": R("clinical", body={"type": "peripheral", "cause": "diabetes_t2"}),
    "api:patch_condition": R("clinical", body={"notes": "changed"}),
    "api:put_medical": R("clinical", body={}),
    "api:patch_medical": R("clinical", body={"pregnant": True}),
    "api:list_body_maps": R("clinical"),
    "api:add_body_map": R("clinical", body={"marks": []}),
    "api:vocabularies": R("clinic_clinical"),
    "api:body_map_vocabulary": R("signed_in"),
    "api:add_consent": R("clinical", body={"version": "1.0", "method": "verbal"}),
    "api:list_shares": R("clinical"),
    "api:list_access": R("admin_clinical"),
    "api:add_share": R("clinical", body={"therapist_id": 1}),
    "api:delete_share": R("clinical"),
    "api:audit_search": R("clinic_admin"),
    "api:delete_client": R("admin_clinical", body={"reason": "moved away"}),
    "api:restore_client": R("admin_clinical", body={}),
    "api:erase_client": R("admin_clinical", body={}),
    "api:export_client": R("clinical"),
    # switching in and out (issue 16 §5) and documents (§6): ops/switching_api.py
    "api:import_presets": R("clinic_admin"),
    "api:import_list": R("clinic_admin"),
    "api:import_create": R("clinic_admin", body={"kind": "clients", "content": "first_name\r\nA\r\n"}),
    "api:import_get": R("clinic_admin_object"),
    "api:import_mapping": R("clinic_admin_object", body={"mapping": {}}),
    "api:import_dry_run": R("clinic_admin_object", body={}),
    "api:import_commit": R("clinic_admin_object", body={}),
    "api:clinic_export": R("clinic_admin"),
    "api:document_list": R("clinical"),
    "api:document_create": R(
        "clinical", body={"kind": "letter", "title": "Letter", "content_base64": "JVBERi0xLjQK"}
    ),
    "api:document_get": R("clinical"),
    "api:list_tokens": R("signed_in"),
    "api:revoke_token": R("token_owner"),
    "api:list_instruments": R("signed_in"),
    "api:get_instrument": R("signed_in", args=CODE, object_free=True),
    "api:score_instrument": R("signed_in", args=CODE, body={"answers": {"pain": 3}}, object_free=True),
    "api:list_responses": R("clinical"),
    "api:add_response": R("clinical", body={"instrument": "nrs_pain", "answers": {"pain": 2}}),
    "api:run_safety_check": R("clinical"),
    "api:list_flags": R("clinical"),
    "api:record_clearance": R("clinical", body={"clinician": "Dr X", "clearance_date": "2026-01-05"}),
    "api:list_rules": R("clinic_clinical"),
    "api:list_plans": R("clinical"),
    "api:propose_plan": R("clinical"),
    "api:get_plan": R("clinical"),
    "api:update_plan": R("clinical", body={"reason": "x", "changes": {}}),
    "api:activate_plan": R("clinical"),
    "api:cancel_plan": R("clinical", body={"reason": "x"}),
    "api:plan_progress": R("booking"),
    "api:client_overview_get": R("booking"),
    "api:list_services": R("staff"),
    "api:booking_clients": R("staff", bookable_only=True),
    "api:list_rooms": R("staff"),
    "api:get_hours": R("scheduling"),
    "api:put_hours": R("scheduling", body={"hours": []}),
    "api:add_exception": R(
        "scheduling",
        body={"kind": "time_off", "starts_at": "2030-01-07T09:00:00Z", "ends_at": "2030-01-07T12:00:00Z"},
    ),
    "api:find_slots": R(
        "scheduling", query=lambda s: f"?service_id={s.record.past.service_id}", object_in_body=True
    ),
    "api:list_appointments": R("staff", query="?start=2026-01-01T00:00:00Z&end=2026-03-01T00:00:00Z"),
    "api:book": R("booking", body=lambda s: _booking(s), object_in_body=True),
    "api:get_appointment": R("scheduling"),
    "api:reschedule": R("scheduling", body={"starts_at": "2030-01-07T10:00:00Z"}),
    "api:reschedule_rest": R("scheduling", body={"local_time": "10:00"}),
    "api:cancel": R("scheduling", body={"reason": "unwell"}),
    "api:no_show": R("scheduling"),
    "api:check_in": R("scheduling"),
    "api:preview_series": R("booking", body=lambda s: _series(s), object_in_body=True),
    "api:book_series": R("booking", body=lambda s: _series(s), object_in_body=True),
    "api:add_waitlist": R("booking", body=lambda s: _waitlist(s), object_in_body=True),
    "api:list_waitlist": R("staff"),
    "api:accept_waitlist": R("booking", body={}),
    # the front desk's day (scheduling/desk_api.py)
    "api:get_day": R("staff"),
    "api:check_out": R("scheduling"),
    "api:undo_check_in": R("scheduling"),
    "api:undo_check_out": R("scheduling"),
    "api:cancel_hold": R("scheduling", body={"reason": "a test request"}),
    "api:search_clients": R("staff", bookable_only=True, query=lambda s: f"?search={s.last}"),
    "api:register_client": R(
        "staff",
        body={"first_name": "Nora", "last_name": "Halvorsen", "date_of_birth": "1961-07-09", "phone": "1"},
    ),
    "api:get_day_list": R("scheduling"),
    "api:email_day_list": R("scheduling", body={"date": "2030-01-07"}),
    "api:waitlist_matches": R("booking"),
    "api:waitlist_offer": R("booking", body={"therapist_id": 1, "starts_at": "2030-01-07T10:00:00Z"}),
    "api:waitlist_withdraw": R("booking", body={}),
    "api:calendar_therapist_feed": R("secret_link"),
    "api:client_appointments_ics": R("scheduling"),
    "api:calendar_token_new": R("scheduling"),
    "api:calendar_token_delete": R("scheduling"),
    "api:get_appointment_note": R("clinical"),
    "api:put_appointment_note": R("clinical", body={}),
    "api:sign_appointment_note": R("clinical"),
    "api:get_note": R("clinical"),
    "api:amend_note": R("clinical", body={"reason": "x", "changes": {"pain_after": 1}}),
    "api:add_adverse_event": R("clinical", body={"kind": "fall", "severity": "mild", "description": "x"}),
    "api:patch_adverse_event": R("clinical", body={"resolved": True}),
    "api:list_client_notes": R("clinical"),
    "api:list_physical_measures": R("clinical"),
    "api:add_physical_measure": R(
        "clinical", body={"measurement": "tug", "context": "baseline", "reading": 11.5}
    ),
    "api:review_clients": R("clinic_clinical"),
    "api:client_outcomes_get": R("clinical"),
    "api:client_claims_get": R("clinical"),
    "api:clinic_claims_get": R("clinic_clinical"),
    "api:client_outcomes_csv": R("clinical"),
    "api:client_report": R("clinical"),
    "api:decision_create": R("clinical", body={"plan_id": 1, "week": 4, "decision": "accepted"}),
    "api:clinic_outcomes_get": R("clinic_clinical", query="?model=false"),
    "api:clinic_outcomes_csv": R("clinic_clinical"),
    "api:report_create": R("clinic_clinical", body={}),
    # single-client trials (issue 21 point 3): the client's outcomes' rule; the client through the portal
    "api:trials_list": R("clinical"),
    "api:trial_create": R(
        "clinical",
        body={"comparison": "sessions_vs_pause", "measure": "pain", "start_date": "2030-01-07"},
    ),
    "api:trial_get": R("clinical", args={"trial_id": lambda s: _trial(s).id}),
    "api:trial_consent_text": R("clinical", args={"trial_id": lambda s: _trial(s).id}),
    "api:trial_consent_record": R(
        "clinical", args={"trial_id": lambda s: _trial(s).id}, body={"text_version": "1", "method": "written"}
    ),
    "api:trial_withdraw": R("clinical", args={"trial_id": lambda s: _trial(s).id}, body={}),
    "api:trial_end": R("clinical", args={"trial_id": lambda s: _trial(s).id}, body={"reason": "x"}),
    "trials:client": R("clinical"),
    "trials:detail": R("clinical", args={"trial_id": lambda s: _trial(s).id}),
    "trials:end": R(
        "clinical", method="POST", body={"reason": "x"}, args={"trial_id": lambda s: _trial(s).id}
    ),
    "trials:consent": R(
        "clinical",
        method="POST",
        body={"method": "written", "text_version": "1"},
        args={"trial_id": lambda s: _trial(s).id},
    ),
    "portal:trial": R("portal", args={"trial_id": lambda s: _trial(s).id}),
    "portal:trial_consent": R(
        "portal", method="POST", body={"text_version": "1"}, args={"trial_id": lambda s: _trial(s).id}
    ),
    "portal:trial_decline": R("portal", method="POST", body={}, args={"trial_id": lambda s: _trial(s).id}),
    "portal:trial_withdraw": R("portal", method="POST", body={}, args={"trial_id": lambda s: _trial(s).id}),
    "api:report_status": R("clinic_clinical_object"),
    "api:report_download": R("clinic_clinical_object", ok=(200, 404, 409)),
    # contact details a referral import proposed: whoever may see the client reviews them
    "api:list_contact_proposals": R("clinic_clinical"),
    "api:accept_contact_proposal": R("clinical", args={"proposal_id": lambda s: _proposal(s).id}),
    "api:reject_contact_proposal": R("clinical", args={"proposal_id": lambda s: _proposal(s).id}),
    # FHIR
    "interop:base": R("clinic_clinical", method="POST", body={}),
    "interop:metadata": R("public"),
    "interop:export": R("clinic_clinical", ok=(202,), headers=ASYNC),
    "interop:patient-export": R("clinic_clinical", ok=(202,), headers=ASYNC),
    "interop:export-status": R("requester", ok=(200, 202)),
    "interop:export-file": R("requester", args={"filename": lambda s: "Patient.ndjson"}, ok=(200, 404)),
    "interop:search": R("clinic_clinical", args=FHIR_SEARCH, object_free=True),
    "interop:read": R("clinical", args=FHIR_PATIENT),
    "fhir/R4/^(?P<path>.*)$": R(
        "public", args={"path": lambda s: "nothing/here"}, ok=(404,), object_free=True
    ),
    # the second sign-in step (TOTP): set up a device, or enter a code; a signed-in person only
    "mfa_setup": R("signed_in", ok=(200, 302), object_free=True),
    "mfa_verify": R("signed_in", ok=(200, 302), object_free=True),
    # the portal
    "portal:home": R("portal"),
    "portal:consent": R("portal"),
    "portal:questionnaire": R("portal", args=CODE, object_free=True),
    "portal:diary": R("portal"),
    "portal:appointments": R("portal"),
    "portal:appointment_cancel": R("portal", method="POST", body={}),
    "portal:calendar": R("portal"),
    "portal:waitlist_offer": R("portal"),
    "portal:progress": R("portal"),
    "portal:claims": R("portal"),
    "portal:set_password": R(
        "public", args={"uidb64": lambda s: "MQ", "token": lambda s: "set-password"}, object_free=True
    ),
    "portal:password_set": R("public"),
    "portal:my_data": R("portal"),
    "portal:book": R("portal"),
    # without a chosen time the client is sent back to the list of free times
    "portal:book_confirm": R("portal", ok=(302,)),
    "portal:intake": R("portal"),
    "portal:report": R("portal"),
    # staff mark a client-reported intake as reviewed (from the client's chart)
    "portal:intake_review": R(
        "clinical", method="POST", body={}, args={"intake_id": lambda s: _intake(s).id}
    ),
    # outcomes pages
    "outcomes:client": R("clinical"),
    "outcomes:client_decide": R("clinical", method="POST", body={}),
    "outcomes:client_csv": R("clinical"),
    "outcomes:client_pdf": R("clinical"),
    "outcomes:clinic": R("clinic_clinical"),
    "outcomes:client_claims": R("clinical"),
    "visits:physical_measures": R("clinical"),
    "outcomes:clinic_claims": R("clinic_clinical"),
    "outcomes:clinic_csv": R("clinic_clinical"),
    "outcomes:report_start": R("clinic_clinical", method="POST", body={}),
    "outcomes:report_job": R("clinic_clinical_object"),
    "outcomes:report_download": R("clinic_clinical_object", ok=(200, 302, 404, 409)),
    # session notes pages
    "visits:note": R("clinical"),
    "visits:note_sign": R("clinical", method="POST", body={}),
    "visits:amendment_add": R("clinical", method="POST", body={}),
    "visits:adverse_event_add": R("clinical", method="POST", body={}),
    "visits:adverse_event_follow_up": R("clinical", method="POST", body={}),
    "visits:review": R("clinic_clinical"),
    # scheduling pages
    "scheduling:week": R("staff"),
    "scheduling:book": R("staff", bookable_only=True),
    "scheduling:appointment": R("scheduling"),
    "scheduling:appointment_action": R(
        "scheduling", method="POST", body={}, args={"action": lambda s: "no-show"}
    ),
    "scheduling:book_series": R("booking"),
    "scheduling:day": R("staff"),
    "scheduling:day_list": R("staff"),
    "scheduling:day_list_email": R("staff", method="POST", body={}),
    # searched by first name: the search box echoes the query, and the matrix looks for the last name
    "scheduling:desk_clients": R("staff", bookable_only=True, query=lambda s: f"?q={s.first}"),
    "scheduling:desk_register": R("staff"),
    "scheduling:waitlist": R("staff"),
    "scheduling:waitlist_action": R("booking", method="POST", body={}, args={"action": lambda s: "withdraw"}),
    # the audit trail: a clinic's admins only, never another clinic's events
    "audit:events": R("clinic_admin"),
    "audit:export": R("clinic_admin"),
    # deletion, retention, erasure and the right-of-access export (clients app pages)
    "privacy:deleted": R("clinic_admin"),
    "privacy:delete": R("admin_clinical"),
    "privacy:restore": R("admin_clinical", method="POST", body={}),
    "privacy:erase": R("admin_clinical", method="POST", body={}),
    "privacy:export": R("clinical"),
    "imports:index": R("clinic_admin"),
    "imports:run": R("clinic_admin_object"),
    "imports:commit": R("clinic_admin_object", method="POST", body={}),
    "imports:template": R("clinic_admin", args={"kind": lambda s: "clients"}, object_free=True),
    "imports:export": R("clinic_admin"),
    "documents:list": R("clinical"),
    "documents:download": R("clinical"),
    # the daily foot check (issue 18): a report and its photo, for whoever sees the record
    "web:between": R("clinic_clinical"),
    "api:between_sessions": R("clinic_clinical"),
    "footcheck:check": R("clinical", args=FOOT_CHECK),
    "footcheck:photo": R("clinical", args=FOOT_CHECK),
    "api:list_foot_checks": R("clinical"),
    "api:submit_foot_check": R("clinical", body={"findings": {}}, ok=(201,)),
    "api:get_foot_check": R("clinical", args=FOOT_CHECK),
    "api:review_foot_check": R("clinical", args=FOOT_CHECK, body={"review_note": "Seen by the foot team"}),
    "api:foot_check_photo": R("clinical", args=FOOT_CHECK),
    # sharing (clients app pages)
    "clients:share_add": R("clinical", method="POST", body={}),
    "clients:share_remove": R("clinical", method="POST", body={}),
    # staff pages
    "web:dashboard": R("clinic_clinical"),
    "clients:clients": R("clinic_clinical"),
    "clients:client_new": R("clinic_clinical"),
    "clients:client": R("clinical"),
    "clients:client_edit": R("clinical"),
    "clients:history": R("clinical"),
    "clients:condition_new": R("clinical"),
    "clients:condition_edit": R("clinical"),
    "clients:medical": R("clinical"),
    "clients:body_map": R("clinical"),
    "screening:screen": R("clinical", args=CODE),
    "screening:safety_check": R("clinical", method="POST", body={}),
    "screening:clearance": R("clinical", method="POST", body={}),
    "plans:plan_propose": R("clinical", method="POST", body={}),
    "plans:plan": R("clinical"),
    "plans:plan_activate": R("clinical", method="POST", body={}),
    "plans:plan_cancel": R("clinical", method="POST", body={}),
    "portal:invite": R("clinical", method="POST", body={}),
    # online booking for new clients (issue 16): public pages and API, a clinic with online booking on
    "booking:held_cancel": R("scheduling"),
    "booking:clinic": R("public_booking", args=ONLINE, object_free=True),
    "booking:service": R("public_booking", args=ONLINE, object_free=True),
    "booking:requested": R("public_booking", args=ONLINE, object_free=True),
    "booking:confirm": R(
        "public_booking", args={**ONLINE, "token": lambda s: _online(s).token}, object_free=True
    ),
    "api:public_clinic": R("public_booking", args=ONLINE, object_free=True),
    "api:public_therapists": R("public_booking", args=ONLINE, object_free=True),
    "api:public_times": R("public_booking", args=ONLINE, object_free=True),
    "api:public_book": R("public_booking", args=ONLINE, object_free=True, body={}),
    "api:public_confirm": R("public_booking", args=ONLINE, object_free=True, body={}),
    "screening:instruments": R("clinic_clinical"),
    **SETUP_ROUTES,
    **SELFCARE_ROUTES,
    # money (issue 17)
    "api:list_prices": R("clinic_billing"),
    "api:set_price": R(
        "clinic_billing_admin", body=lambda s: {"service_id": s.record.past.service_id, "amount": "1.00"}
    ),
    "api:get_settings": R("clinic_billing"),
    "api:patch_settings": R("clinic_billing_admin", body={}),
    "api:put_provider_ids": R("billing_admin", body={}),
    "api:checkout": R(
        "billing",
        body=lambda s: {"client_id": s.client.id, "appointment_ids": [s.record.past.id]},
        object_in_body=True,
        ok=(201,),
    ),
    "api:list_invoices": R("clinic_billing"),
    "api:get_invoice": R("billing", args={"invoice_id": lambda s: _invoice(s).id}),
    "api:invoice_pdf_route": R("billing", args={"invoice_id": lambda s: _invoice(s).id}),
    "api:invoice_receipt_route": R("billing", args={"invoice_id": lambda s: _invoice(s).id}),
    "api:add_payment": R(
        "billing", args={"invoice_id": lambda s: _invoice(s).id}, body={"method": "cash", "amount": "1.00"}
    ),
    "api:void_invoice": R(
        "billing_admin", args={"invoice_id": lambda s: _invoice(s).id}, body={"reason": "x"}
    ),
    "api:credit_invoice": R(
        "billing_admin", args={"invoice_id": lambda s: _invoice(s).id}, body={"amount": "1.00", "reason": "x"}
    ),
    "api:email_invoice": R("billing", args={"invoice_id": lambda s: _invoice(s).id}, body={}),
    "api:refund_payment": R(
        "billing_admin", args={"payment_id": lambda s: _payment(s).id}, body={"amount": "1.00", "reason": "x"}
    ),
    "api:client_account": R("billing"),
    "api:sell_course": R(
        "billing", body=lambda s: {"service_id": s.record.past.service_id, "sessions": 2, "price": "10.00"}
    ),
    "api:get_course": R("billing_view", args={"course_id": lambda s: _course(s).id}),
    "api:transfer_course": R(
        "billing",
        args={"course_id": lambda s: _course(s).id},
        body=lambda s: {"to_client_id": s.client.id, "reason": "x"},
    ),
    "api:waive_fee": R("billing_admin", args={"fee_id": lambda s: _fee(s).id}, body={"reason": "x"}),
    "api:invoice_fee": R("billing", args={"fee_id": lambda s: _fee(s).id}, body={}),
    "api:superbill": R("clinical"),
    "api:report_day": R("clinic_billing"),
    "api:report_aging": R("clinic_billing_admin"),
    "api:report_revenue": R("takings"),
    "api:report_liabilities": R("clinic_billing_admin"),
    "api:export_csv": R("clinic_billing_admin"),
    "billing:home": R("clinic_billing"),
    "billing:client": R("billing"),
    "billing:checkout": R("billing", method="POST", body={}),
    "billing:course_sell": R("billing", method="POST", body={}),
    "billing:superbill": R("clinical"),
    "billing:invoice": R("billing", args={"invoice_id": lambda s: _invoice(s).id}),
    "billing:invoice_pdf": R("billing", args={"invoice_id": lambda s: _invoice(s).id}),
    "billing:invoice_receipt": R("billing", args={"invoice_id": lambda s: _invoice(s).id}),
    "billing:invoice_pay": R(
        "billing", method="POST", body={}, args={"invoice_id": lambda s: _invoice(s).id}
    ),
    "billing:invoice_void": R(
        "billing_admin", method="POST", body={"reason": "x"}, args={"invoice_id": lambda s: _invoice(s).id}
    ),
    "billing:invoice_credit": R(
        "billing_admin", method="POST", body={}, args={"invoice_id": lambda s: _invoice(s).id}
    ),
    "billing:invoice_email": R(
        "billing", method="POST", body={}, args={"invoice_id": lambda s: _invoice(s).id}
    ),
    "billing:payment_refund": R(
        "billing_admin", method="POST", body={}, args={"payment_id": lambda s: _payment(s).id}
    ),
    "billing:fee_waive": R(
        "billing_admin", method="POST", body={"reason": "x"}, args={"fee_id": lambda s: _fee(s).id}
    ),
    "billing:fee_invoice": R("billing", method="POST", body={}, args={"fee_id": lambda s: _fee(s).id}),
    "billing:prices": R("clinic_billing"),
    "billing:books": R("clinic_billing_admin"),
    "billing:export": R("clinic_billing_admin"),
    "billing:takings": R("takings"),
    # gift cards and memberships (issue 17): the desk sells and redeems, admins make plans and see the books
    "billing:gift_card_sell": R("billing", method="POST", body={}),
    "billing:gift_cards": R("clinic_billing"),
    "billing:gift_card": R("billing", args={"gift_card_id": lambda s: _gift_card(s).id}),
    "billing:membership_start": R("billing", method="POST", body={}),
    "billing:membership_cancel": R(
        "billing", method="POST", body={"reason": "x"}, args={"membership_id": lambda s: _membership(s).id}
    ),
    "billing:membership_plans": R("clinic_billing"),
    # the day view's check-out link: the visit's client's check-out (a redirect there)
    "billing:checkout_visit": R("billing", ok=(302,)),
    "api:sell_gift_card": R("billing", body={"amount": "10.00"}),
    "api:list_gift_cards": R("clinic_billing"),
    "api:get_gift_card": R("billing", args={"gift_card_id": lambda s: _gift_card(s).id}),
    "api:report_gift_cards": R("clinic_billing_admin"),
    "api:list_membership_plans": R("clinic_billing"),
    "api:create_membership_plan": R(
        "clinic_billing_admin",
        body=lambda s: {
            "name": "Matrix",
            "service_id": s.record.past.service_id,
            "price": "1.00",
            "sessions_per_period": 1,
        },
    ),
    "api:update_membership_plan": R(
        "billing_admin",
        args={"plan_id": lambda s: _membership(s).plan_id},
        body=lambda s: {
            "name": "Matrix",
            "service_id": s.record.past.service_id,
            "price": "1.00",
            "sessions_per_period": 1,
        },
    ),
    "api:start_membership": R("billing", body=lambda s: {"membership_plan_id": _membership(s).plan_id}),
    "api:get_membership": R("billing", args={"membership_id": lambda s: _membership(s).id}),
    "api:cancel_membership": R(
        "billing", args={"membership_id": lambda s: _membership(s).id}, body={"reason": "x"}
    ),
    "api:visit_checkout": R("billing"),
    "portal:invoices": R("portal"),
    "portal:invoice_pdf": R("portal", args={"invoice_id": lambda s: _invoice(s).id}),
    "portal:invoice_receipt": R("portal", args={"invoice_id": lambda s: _invoice(s).id}),
    "portal:superbill": R("portal"),
    # the daily foot check in the portal (issue 18): the client's own reports only
    "portal:foot_check": R("portal"),
    "portal:foot_check_result": R("portal", args=FOOT_CHECK),
    "portal:foot_check_photo": R("portal", args=FOOT_CHECK),
}

# Prefixes left out of the matrix on purpose: Django's admin site (the installation operator only, no clinic:
# test_admin_site.py).
EXCLUDED_PREFIXES = ("admin/",)

# --- enumerating every route ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    key: str
    route: str
    params: tuple[str, ...]
    methods: tuple[str, ...] | None  # known for API operations


def _ninja_methods(callback: Any, name: str) -> tuple[str, ...] | None:
    # ninja's URL pattern calls a closure over its PathView, which lists the operations and their methods
    cells = [c.cell_contents for c in (getattr(callback, "__closure__", None) or ())]
    path_view = next((c for c in cells if hasattr(c, "operations")), getattr(callback, "__self__", None))
    operations = getattr(path_view, "operations", None)
    if not operations:
        return None
    for operation in operations:
        url_name = getattr(operation, "url_name", None) or operation.view_func.__name__
        if url_name == name:
            return tuple(operation.methods)
    return None


def all_routes() -> list[Found]:
    found: list[Found] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith(EXCLUDED_PREFIXES):
                    continue
                key = (f"{namespace}:{p.name}" if namespace else p.name) if p.name else route
                params = tuple(_params(route))
                found.append(Found(key, route, params, _ninja_methods(p.callback, p.name or "")))

    walk(get_resolver().url_patterns, "", "")
    return found


def _params(route: str) -> list[str]:
    names = []
    for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route):
        names.append(a or b)
    return names


def test_every_route_is_in_the_matrix():
    routes = all_routes()
    keys = [r.key for r in routes]
    missing = sorted(set(keys) - set(ROUTES))
    assert not missing, f"routes without a row in the permission matrix: {missing}"
    stale = sorted(set(ROUTES) - set(keys))
    assert not stale, f"matrix rows for routes that no longer exist: {stale}"
    assert len(routes) > 120, len(routes)  # the walk really reached the API, FHIR and the portal
    assert {"api:get_client", "interop:read", "portal:home", "clients:client"} <= set(keys)


# --- the world --------------------------------------------------------------------------------------------


NAMES = {
    "own": ("Ada", "Quillfeather"),
    "other": ("Bea", "Marchbanks"),
    "foreign": ("Otto", "Vandersloot"),
}


def _side(actor: Any, therapist: Any, who: str, hours_earlier: int) -> SimpleNamespace:
    first, last = NAMES[who]
    record = make_record(actor, first=first, last=last, hours_earlier=hours_earlier)
    client = record.client
    assert client.primary_therapist_id == therapist.id
    CarePlan.objects.filter(pk=record.plan.pk).update(therapist=therapist)
    # The plan's therapist changed behind the service's back: its access grant follows it.
    ClientAccessGrant.objects.filter(reason="plan", source_id=record.plan.pk).update(user=therapist.user)
    event = visit_services.adverse_event_add(
        actor=actor, note=record.note, data={"kind": "bruising", "severity": "mild", "description": "Bruise"}
    )
    portal_user = UserFactory(
        username=first.lower(), clinic=client.clinic, role="client", email=f"{first.lower()}@example.org"
    )
    ClientAccount.objects.create(user=portal_user, client=client)
    waitlist = WaitlistEntry.objects.create(
        client=client,
        service=record.past.service,
        earliest=timezone.now() + datetime.timedelta(days=20),
        latest=timezone.now() + datetime.timedelta(days=40),
    )
    _token, calendar_plain = calendar_token_create(therapist=therapist, actor=actor)
    report = ReportJob.objects.create(clinic=client.clinic, requested_by=actor, params={})
    export = ExportJob.objects.create(
        clinic=client.clinic,
        expires_at=timezone.now() + datetime.timedelta(days=1),
        requested_by=actor,
        level="system",
        request_url="http://testserver/fhir/R4/$export",
        resource_types=["Patient"],
        status=ExportJob.Status.COMPLETED,
    )
    api_token = None
    import_run = ImportRun.objects.create(
        clinic_id=client.clinic_id,
        kind="clients",
        filename="old.csv",
        sha256="0" * 64,
        content="first_name\r\nA\r\n",
        headers=["first_name"],
        created_by=actor,
    )
    document = ClientDocument.objects.create(
        clinic_id=client.clinic_id,
        client=client,
        kind="letter",
        title="Letter",
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        data=b"%PDF-1.4\n",
    )
    return SimpleNamespace(
        import_run=import_run,
        document=document,
        who=who,
        first=first,
        last=last,
        client=client,
        record=record,
        therapist=therapist,
        event=event,
        waitlist=waitlist,
        calendar_plain=calendar_plain,
        report=report,
        export=export,
        portal_user=portal_user,
        api_token=api_token,
    )


@pytest.fixture
def world(clinic, other_clinic, therapist_user, junior_therapist_user, front_desk_user, other_clinic_user):
    from nervecare.clients.tests.factories import ConsentTextFactory
    from nervecare.core.services import api_token_create

    ConsentTextFactory(clinic=other_clinic, version="1.0")
    sides = {
        "own": _side(therapist_user, therapist_user.therapist, "own", 0),
        "other": _side(junior_therapist_user, junior_therapist_user.therapist, "other", 3),
        "foreign": _side(other_clinic_user, other_clinic_user.therapist, "foreign", 0),
    }
    # Tokens to revoke: the own side's is Alice's, the other side's Bob's, the foreign Olga's.
    for side, user in (
        ("own", therapist_user),
        ("other", junior_therapist_user),
        ("foreign", other_clinic_user),
    ):
        sides[side].api_token, _ = api_token_create(user=user, name="matrix", scopes=["clients:read"])
    users = {
        "admin": UserFactory(username="oona", clinic=clinic, role="admin"),
        "therapist": therapist_user,
        "front_desk": front_desk_user,
        "client": sides["own"].portal_user,
        "other_admin": UserFactory(username="oscar", clinic=other_clinic, role="admin"),
    }
    return SimpleNamespace(sides=sides, users=users)


def _foot_check(s: SimpleNamespace) -> Any:
    """A daily foot-check report of the side's client, with a photo (made on first use)."""
    from nervecare.footcheck.models import FootCheck, FootCheckPhoto

    check = FootCheck.objects.filter(client=s.client).first()
    if check is None:
        check = FootCheck.objects.create(
            client=s.client,
            checked_on=datetime.date(2030, 1, 2),
            reported_at=timezone.now(),
            redness=True,
            foot="left",
            regions=["toes"],
            needs_attention=True,
            rules_version="test",
        )
        FootCheckPhoto.objects.create(
            foot_check=check,
            client=s.client,
            content_type="image/png",
            size=4,
            sha256="0" * 64,
            data=b"\x89PNG",
        )
    return check


def _intake(s: SimpleNamespace) -> ClientIntake:
    """The intake the side's client reported in the portal (made on first use)."""
    intake, _ = ClientIntake.objects.get_or_create(client=s.client, defaults={"reported": {"goals": "walk"}})
    return intake


def _online(s: SimpleNamespace) -> SimpleNamespace:
    """The side's clinic with online booking on, a service bookable online, and a newcomer's request awaiting
    its e-mail confirmation (its secret link), made on first use."""
    if getattr(s, "online", None) is None:
        from nervecare.booking.models import OnlineBooking
        from nervecare.booking.selectors import token_hash
        from nervecare.clients.tests.factories import ClientFactory
        from nervecare.scheduling.models import Appointment, Service

        clinic = s.client.clinic
        type(clinic).objects.filter(pk=clinic.pk).update(online_booking_enabled=True)
        service = Service.objects.filter(clinic=clinic).first()
        Service.objects.filter(pk=service.pk).update(bookable_online=True)
        newcomer = ClientFactory(clinic=clinic, first_name="Nemo", last_name="Newcomer", provisional=True)
        start = timezone.now() + datetime.timedelta(days=30)
        held = Appointment.objects.create(
            clinic=clinic,
            client=newcomer,
            therapist=s.therapist,
            service=service,
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=service.minutes),
            blocked_until=start + datetime.timedelta(minutes=service.minutes),
            status="held",
            hold_expires_at=timezone.now() + datetime.timedelta(minutes=15),
        )
        OnlineBooking.objects.create(
            clinic=clinic,
            client=newcomer,
            appointment=held,
            token_hash=token_hash("matrix-secret-link"),
            confirm_by=timezone.now() + datetime.timedelta(hours=24),
        )
        s.online = SimpleNamespace(slug=clinic.slug, service_id=service.pk, token="matrix-secret-link")
    return s.online


def _invoice(s: SimpleNamespace) -> Any:
    """An issued invoice of the side's client (made on first use), with a cash payment on it."""
    from decimal import Decimal

    from nervecare.billing.models import Invoice, Payment
    from nervecare.billing.services.invoices import LineDraft, issue

    found = Invoice.objects.filter(client=s.client).order_by("pk").first()
    if found is None:
        found = issue(
            actor=s.therapist.user,
            client=s.client,
            drafts=[LineDraft(kind="service", description="Session", unit_price=Decimal("50.00"))],
        )
        Payment.objects.create(
            clinic_id=found.clinic_id,
            client=s.client,
            invoice=found,
            method="cash",
            amount=Decimal("10.00"),
            currency=found.currency,
            received_at=timezone.now(),
            received_by=s.therapist.user,
        )
    return found


def _payment(s: SimpleNamespace) -> Any:
    return _invoice(s).payments.order_by("pk").first()


def _trial(s: SimpleNamespace) -> Any:
    """A proposed single-client trial of the side's client (made on first use)."""
    from nervecare.trials.models import Trial
    from nervecare.trials.tests.factories import make_trial

    found = Trial.objects.filter(client=s.client).order_by("pk").first()
    if found is None:
        found = make_trial(s.client, start=datetime.date(2030, 1, 7), status="proposed")
    return found


def _course(s: SimpleNamespace) -> Any:
    from decimal import Decimal

    from nervecare.billing.models import Course

    course, _ = Course.objects.get_or_create(
        client=s.client,
        defaults={
            "clinic_id": s.client.clinic_id,
            "service_id": s.record.past.service_id,
            "name": "Course",
            "sessions_total": 4,
            "price": Decimal("200.00"),
            "currency": "USD",
            "sold_at": timezone.now(),
            "sold_by": s.therapist.user,
        },
    )
    return course


def _gift_card(s: SimpleNamespace) -> Any:
    from decimal import Decimal

    from nervecare.billing.models import GiftCard

    card, _ = GiftCard.objects.get_or_create(
        client=s.client,
        defaults={
            "clinic_id": s.client.clinic_id,
            "code": f"MTRX-{s.client.pk % 10000:04d}-{s.who[:4].upper():X<4}",
            "amount": Decimal("50.00"),
            "balance": Decimal("50.00"),
            "currency": "USD",
            "sold_at": timezone.now(),
            "sold_by": s.therapist.user,
        },
    )
    return card


def _membership(s: SimpleNamespace) -> Any:
    from decimal import Decimal

    from nervecare.billing.models import Membership, MembershipPlan

    plan, _ = MembershipPlan.objects.get_or_create(
        clinic_id=s.client.clinic_id,
        name=f"Matrix plan {s.client.clinic_id}",
        defaults={
            "service_id": s.record.past.service_id,
            "price": Decimal("100.00"),
            "currency": "USD",
            "sessions_per_period": 4,
        },
    )
    membership, _ = Membership.objects.get_or_create(
        client=s.client,
        defaults={
            "clinic_id": s.client.clinic_id,
            "plan": plan,
            "starts_on": timezone.localdate(),
            "created_at": timezone.now(),
            "created_by": s.therapist.user,
        },
    )
    return membership


def _fee(s: SimpleNamespace) -> Any:
    from decimal import Decimal

    from nervecare.billing.models import Fee

    fee, _ = Fee.objects.get_or_create(
        appointment=s.record.future,
        defaults={
            "clinic_id": s.client.clinic_id,
            "client": s.client,
            "kind": "no_show",
            "amount": Decimal("30.00"),
            "currency": "USD",
        },
    )
    return fee


def _programme(s: SimpleNamespace) -> Any:
    """A home programme of the side's client (made on first use), with one item."""
    from nervecare.selfcare.models import Programme, ProgrammeItem

    found = Programme.objects.filter(client=s.client).first()
    if found is None:
        today = timezone.localdate()
        found = Programme.objects.create(
            client=s.client, starts_on=today, created_at=timezone.now(), updated_at=timezone.now()
        )
        ProgrammeItem.objects.create(
            programme=found, item_code="foot_inspection", starts_on=today, added_at=timezone.now()
        )
    return found


def _check_off(s: SimpleNamespace) -> Any:
    from nervecare.selfcare.models import CheckOff

    item = _programme(s).items.first()
    found, _ = CheckOff.objects.get_or_create(
        item=item, day=timezone.localdate(), defaults={"client": s.client, "done_at": timezone.now()}
    )
    return found


def _proposal(s: SimpleNamespace) -> ContactChangeProposal:
    """A pending contact-change proposal for the side's client (made on first use)."""
    proposal, _ = ContactChangeProposal.objects.get_or_create(
        client=s.client,
        clinic_id=s.client.clinic_id,
        defaults={"changes": {"phone": {"current": s.client.phone, "proposed": "+44 20 7946 0999"}}},
    )
    return proposal


def _arg(found: Found, param: str, s: SimpleNamespace, route: Route) -> Any:
    if param in route.args:
        return route.args[param](s)
    r = s.record
    table = {
        "client_id": s.client.id,
        "condition_id": r.conditions[0].id,
        "plan_id": r.plan.id,
        "flag_id": r.flags[0].id if r.flags else 0,
        "appointment_id": r.future.id,
        "note_id": r.note.id,
        "event_id": s.event.id,
        "therapist_id": s.therapist.id,
        "entry_id": s.waitlist.id,
        "token_id": s.api_token.id,
        "token": s.calendar_plain,
        "run_id": s.import_run.pk,
        "document_id": s.document.pk,
    }
    if param == "job_id":
        return s.export.pk if found.key.startswith("interop:") else s.report.id
    if found.key.startswith(
        ("api:get_appointment_note", "api:put_appointment_note", "api:sign_appointment")
    ) or (found.key in ("visits:note", "visits:note_sign")):
        return r.past.id  # the session that has a note
    if found.key == "portal:appointment_cancel":
        return r.future.id
    if found.key == "api:delete_share":
        return s.therapist.id
    return table[param]


def _url(found: Found, s: SimpleNamespace, route: Route) -> str:
    kwargs = {p: _arg(found, p, s, route) for p in found.params}
    if found.key.endswith(".ics") or found.key == "api:calendar_therapist_feed":
        pass
    if ":" in found.key and not found.key.startswith("fhir/"):
        if found.key == "api:calendar_therapist_feed":
            return f"/api/v1/calendars/therapists/{kwargs['token']}.ics"
        return reverse(found.key, kwargs=kwargs) + _query(route, s)
    if found.key.startswith("fhir/"):
        return "/fhir/R4/" + kwargs["path"]
    return reverse(found.key, kwargs=kwargs) + _query(route, s)


def _query(route: Route, s: SimpleNamespace) -> str:
    return route.query(s) if callable(route.query) else route.query


# --- the database fingerprint -----------------------------------------------------------------------------

_SKIP_MODELS = {
    "core.auditevent",
    "sessions.session",
    "admin.logentry",
    "axes.accessattempt",
    "axes.accesslog",
}


def fingerprint() -> dict[str, tuple]:
    """Row counts and the newest change of every project model (denied requests must not move them)."""
    out = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if (
            label in _SKIP_MODELS
            or not model.__module__.startswith("nervecare")
            or label.startswith(
                tuple(
                    f"{a}.historical"
                    for a in ("clients", "plans", "visits", "scheduling", "core", "screening")
                )
            )
        ):
            continue
        if label in ("core.apitoken",):
            out[label] = tuple(model.objects.order_by("pk").values_list("pk", "revoked_at", "scopes"))
            continue
        fields = {f.name for f in model._meta.concrete_fields}
        if model._meta.pk.get_internal_type() not in ("AutoField", "BigAutoField", "SmallAutoField"):
            out[label] = tuple(sorted(str(pk) for pk in model.objects.values_list("pk", flat=True)))
            continue  # PostgreSQL has no MAX(uuid)
        agg = {"n": Max("pk")}
        if "updated_at" in fields:
            agg["u"] = Max("updated_at")
        out[label] = (model.objects.count(), *model.objects.aggregate(**agg).values())
    return out


# --- the walk ---------------------------------------------------------------------------------------------


def _http(world: SimpleNamespace, role: str) -> HttpClient:
    return HttpClient() if role == "anonymous" else login(world.users[role])


def _send(http: HttpClient, method: str, url: str, route: Route, found: Found, side: Any) -> Any:
    is_api = found.route.startswith("api/")
    body = route.body(side) if callable(route.body) else route.body
    if method == "GET":
        return http.get(url, **route.headers)
    if is_api or found.key.startswith(("interop:", "fhir/")):
        content_type = "application/fhir+json" if found.key.startswith("interop:") else "application/json"
        return http.generic(
            method, url, data=json.dumps(body or {}), content_type=content_type, **route.headers
        )
    return getattr(http, method.lower())(url, body or {}, **route.headers)


DENIED = {401, 403, 404}
HOME_REDIRECTS = ("/accounts/login/", "/calendar/", "/day/", "/desk/clients/", "/portal/", "/")


def _is_denied(response: Any) -> bool:
    if response.status_code in DENIED:
        return True
    if response.status_code in (302, 303):
        location = response.headers.get("Location", "")
        return location.split("?")[0] in HOME_REDIRECTS or location.startswith("/accounts/login/")
    return False


def _leaks(response: Any, side: SimpleNamespace) -> bool:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    return side.last in text or side.first + " " in text


def _cases(found: Found, route: Route, role: str) -> list[str]:
    if route.object_free or not (found.params or route.object_in_body):
        return ["own"]
    return SIDES_FOR_OBJECT_ROUTES[role]


def _methods(found: Found, route: Route) -> tuple[str, ...]:
    return found.methods or (route.method,)


def _expectation(found: Found, route: Route, role: str, side_name: str) -> tuple[bool, list[str]]:
    """(allowed?, the sides whose names must not appear even when allowed)."""
    object_route = not route.object_free and bool(found.params or route.object_in_body)
    if role == "other_admin" and not object_route:
        # Another clinic's admin on a clinic-wide route works in their own clinic: allowed as an admin,
        # and nothing of ours may show.
        return KINDS[route.kind]("admin", "own"), ["own", "other"]
    allowed = KINDS[route.kind](role, side_name)
    hidden = [] if route.kind in ("public", "secret_link") else ["foreign"]
    if route.kind == "public_booking":
        hidden = ["own", "other", "foreign"]
    if (
        allowed
        and role == "therapist"
        and (route.kind in ("clinic_clinical", "clinical") or route.bookable_only)
    ):
        hidden.append("other")  # clinic-wide clinical lists never show Bob's client to Alice
    return allowed, hidden


def walk_matrix(world: SimpleNamespace, role: str) -> tuple[int, list[str]]:
    http = _http(world, role)
    problems: list[str] = []
    requests = 0
    for found in all_routes():
        route = ROUTES[found.key]
        for method in _methods(found, route):
            write = method not in ("GET", "HEAD")
            for side_name in _cases(found, route, role):
                side = world.sides[side_name]
                allowed, hidden = _expectation(found, route, role, side_name)
                if write and allowed:
                    continue  # allowed writes are the apps' own tests; the matrix checks refusals
                url = _url(found, side, route)
                before = fingerprint() if write else None
                response = _send(http, method, url, route, found, side)
                requests += 1
                where = f"{role} {method} {url} ({found.key}, {side_name})"
                if allowed:
                    if response.status_code not in route.ok:
                        problems.append(f"{where}: expected {route.ok}, got {response.status_code}")
                    for name in hidden:
                        if _leaks(response, world.sides[name]):
                            problems.append(
                                f"{where}: shows {world.sides[name].first} {world.sides[name].last}"
                            )
                else:
                    if not _is_denied(response):
                        problems.append(f"{where}: expected denial, got {response.status_code}")
                    if _leaks(response, side):
                        problems.append(f"{where}: denied but the body names {side.first} {side.last}")
                    if write and fingerprint() != before:
                        changed = {k for k, v in fingerprint().items() if before.get(k) != v}
                        problems.append(f"{where}: denied but the database changed: {sorted(changed)}")
    return requests, problems


def test_permission_matrix(world, settings):
    """One world, every role in turn (denied requests change nothing, so the world stays the same)."""
    settings.NERVECARE_PUBLIC_URL = "http://testserver"
    total, problems = 0, []
    for role in ROLES:
        requests, found = walk_matrix(world, role)
        assert requests > 20, role
        total += requests
        problems += found
    assert not problems, f"{len(problems)} problems in {total} requests:\n" + "\n".join(problems)


def test_the_matrix_sees_a_leak_and_a_wrong_answer(world):
    """The checks themselves can fail: a page that names the client is a leak; a 200 is not a denial."""
    from django.http import HttpResponse

    side = world.sides["other"]
    assert _leaks(HttpResponse(f"<p>{side.first} {side.last}</p>"), side)
    assert not _leaks(HttpResponse("<p>Not found.</p>"), side)
    assert not _is_denied(HttpResponse("ok"))
    assert _is_denied(HttpResponse(status=404))
    assert AuditEvent.objects.exists()
    assert uuid.UUID(str(side.export.pk))
