"""The `Idempotency-Key` request header on every POST of the JSON API (/api/v1/) and FHIR (/fhir/).

A client that got a 502 or a timeout may send the same POST again with the same key and gets the first
answer (status, body, Content-Type, Location...) with `Idempotent-Replayed: true`, never a second booking.

- Keyed per signed-in user (bearer token or session) and key; an anonymous request's key is ignored (the
  view answers 401 as ever). Another user's same key is another record.
- The same key with another request (method, path or body) is 422 naming the header.
- A key that is empty or longer than 255 characters is 422 naming the header.
- A second request with the key while the first is still being answered gets 409: the first request inserts
  its row (state in_progress) in its own committed transaction, so the unique (user, key) constraint decides.
- Not stored (the client may retry and be answered afresh): 5xx, and the answers that depend on the moment
  rather than the request (401, 403, 409, 429), and streamed answers.
- Kept IDEMPOTENCY_TTL (24 hours): an older record counts as absent and is replaced; the periodic job
  core.tasks.purge_idempotency_records deletes them.

The pages' and the portal's forms (and the public online-booking form) do the same without JavaScript: the
`{% idempotency_field %}` tag (core/templatetags/idempotency.py) renders a hidden one-time key into each
state-changing form, so a double-clicked "Book" sends the same key twice and books once. For those:
- the key is honoured only after Django's CSRF check has passed (process_view runs after CsrfViewMiddleware's),
  so a replay never stands in for a refused CSRF token;
- an anonymous form (online booking) is keyed by its random key alone (user NULL);
- the second click waits (up to FORM_WAIT seconds) for the first to be answered and gets the same answer (the
  redirect), instead of a 409 page;
- the same key with other field values (the form was changed and sent again from the browser's history) is a
  new request: answered afresh, not recorded.
"""

import hashlib
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from nervecare.core.models import IdempotencyRecord, User
from nervecare.core.services import api_token_authenticate

HEADER = "Idempotency-Key"
FORM_FIELD = "idempotency_key"  # the hidden field {% idempotency_field %} renders
FORM_WAIT = 10.0  # seconds a repeated form submission waits for the first one's answer
# Without PostgreSQL's advisory locks: an in-progress row this old belongs to a process that died.
STALE_IN_PROGRESS = timedelta(minutes=5)
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
IDEMPOTENCY_TTL = timedelta(hours=24)
PATH_PREFIXES = ("/api/v1/", "/fhir/")
# Headers of the first answer that a replay repeats (Content-Type is kept apart).
KEPT_HEADERS = ("Location", "Content-Location", "ETag", "Last-Modified", "Cache-Control", "Retry-After")
# Answers that say more about the moment than about the request: a retry is answered afresh.
NOT_STORED = {401, 403, 409, 429}


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path.startswith("/fhir/"):
        issue = {"severity": "error", "code": "invalid" if status == 422 else "conflict"}
        issue["diagnostics"] = message
        issue["expression"] = [HEADER]  # type: ignore[assignment]
        body: dict[str, Any] = {"resourceType": "OperationOutcome", "issue": [issue]}
        content_type = "application/fhir+json; charset=utf-8"
    else:
        body = {"detail": message, "errors": [{"field": HEADER, "message": message}]}
        content_type = "application/json"
    return HttpResponse(json.dumps(body), status=status, content_type=content_type)


def _user(request: HttpRequest) -> User | None:
    """Who sends the request: the bearer token's user, else the session's; None when anonymous."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return api_token_authenticate(token.strip())
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def fingerprint(request: HttpRequest) -> str:
    body_digest = hashlib.sha256(request.body).hexdigest()
    raw = f"{request.method}\n{request.get_full_path()}\n{body_digest}"
    return hashlib.sha256(raw.encode()).hexdigest()


def form_fingerprint(request: HttpRequest) -> str:
    """Method, path and the submitted fields (a multipart body cannot be read again once parsed)."""
    fields = sorted((name, values) for name, values in request.POST.lists())
    files = sorted((name, f.name, f.size) for name in request.FILES for f in request.FILES.getlist(name))
    raw = json.dumps([request.method, request.get_full_path(), fields, files], default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _wait_for_answer(user: User | None, key: str, digest: str) -> HttpResponse | None:
    """The first submission's answer once it has one (None if it failed, or took longer than FORM_WAIT)."""
    deadline = time.monotonic() + FORM_WAIT
    while time.monotonic() < deadline:
        time.sleep(0.1)
        record = IdempotencyRecord.objects.filter(user=user, key=key, fingerprint=digest).first()
        if record is None:
            return None
        if record.state == IdempotencyRecord.State.DONE:
            return replay(record)
    return None


def _busy_page() -> HttpResponse:
    return HttpResponse(
        "<!doctype html><title>Already being sent</title><main><h1>This form is already being sent</h1>"
        "<p>It was sent twice; the first one is still being answered. Go back and reload the page to see"
        " whether it was saved before sending it again.</p></main>",
        status=409,
    )


def replay(record: IdempotencyRecord) -> HttpResponse:
    headers = dict(record.headers)
    content_type = headers.pop("Content-Type", None)
    response = HttpResponse(bytes(record.body), status=record.status or 200, content_type=content_type)
    for name, value in headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def purge_expired(now: Any = None) -> int:
    """Delete the records older than IDEMPOTENCY_TTL; how many."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _lock_id(user: User | None, key: str) -> int:
    digest = hashlib.sha256(f"{user.pk if user else ''}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _session_locks() -> bool:
    """Whether a session-level advisory lock lives as long as this process's connection: PostgreSQL reached
    directly (or through a session-mode pooler), not through a transaction-mode pooler (DATABASE_POOL_MODE)."""
    return connection.vendor == "postgresql" and not getattr(settings, "DB_TRANSACTION_POOLING", False)


def _try_lock(lock: int) -> bool:
    """PostgreSQL: take the session-level advisory lock of a (user, key) while its request is answered. The
    database drops it when the process dies (kill -9, a crash), so a retry can tell an answer still being
    written (locked) from one whose process is gone (free: the retry takes the request over). Elsewhere
    (SQLite, or PostgreSQL behind a transaction-mode pooler, where a session lock would stay on whichever
    server connection took it) always True, and an in-progress row counts as abandoned after
    STALE_IN_PROGRESS."""
    if not _session_locks():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock])
        return bool(cursor.fetchone()[0])


def _unlock(record: IdempotencyRecord | None = None, lock: int | None = None) -> None:
    lock = lock if lock is not None else getattr(record, "_lock", None)
    if lock is None or not _session_locks() or connection.connection is None:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [lock])


def _claim(user: User | None, key: str, digest: str) -> IdempotencyRecord | HttpResponse | str:
    """Insert the in-progress row (committed at once); for a key already used, its replayed answer, or
    "mismatch" (another request) or "busy" (still being answered by a live process). A row left in
    progress by a process that died is taken over (the retry is answered afresh)."""
    lock = _lock_id(user, key)
    if not _try_lock(lock):
        existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if existing is not None and existing.fingerprint != digest:
            return "mismatch"
        if existing is not None and existing.state == IdempotencyRecord.State.DONE:
            return replay(existing)
        return "busy"
    claimed = _claim_locked(user, key, digest)
    if isinstance(claimed, IdempotencyRecord):
        claimed._lock = lock  # type: ignore[attr-defined]
    else:
        _unlock(lock=lock)
    return claimed


def _claim_locked(user: User | None, key: str, digest: str) -> IdempotencyRecord | HttpResponse | str:
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(user=user, key=key, fingerprint=digest)
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if existing is None:
                continue  # deleted meanwhile (a failed first attempt): try again
            if existing.created_at < timezone.now() - IDEMPOTENCY_TTL:
                IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
                continue
            if existing.fingerprint != digest:
                return "mismatch"
            if existing.state == IdempotencyRecord.State.DONE:
                return replay(existing)
            abandoned = _session_locks() or (existing.created_at < timezone.now() - STALE_IN_PROGRESS)
            return existing if abandoned else "busy"
    return "busy"


def _store(record: IdempotencyRecord, response: HttpResponse) -> None:
    try:
        _store_answer(record, response)
    finally:
        _unlock(record)


def _store_answer(record: IdempotencyRecord, response: HttpResponse) -> None:
    if response.streaming or response.status_code >= 500 or response.status_code in NOT_STORED:
        record.delete()
        return
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    if response.has_header("Content-Type"):
        headers["Content-Type"] = response["Content-Type"]
    record.state = IdempotencyRecord.State.DONE
    record.status = response.status_code
    record.headers = headers
    record.body = response.content
    record.save(update_fields=["state", "status", "headers", "body"])


class IdempotencyKeyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        """A page's or the portal's form carrying the hidden key; CSRF has been checked by now."""
        if request.method != "POST" or request.path.startswith(PATH_PREFIXES):
            return None
        key = request.POST.get(FORM_FIELD, "").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            return None  # a form without the field (or a mangled one) is answered as ever
        user = getattr(request, "user", None)
        user = user if user is not None and user.is_authenticated else None
        digest = form_fingerprint(request)
        claimed = _claim(user, key, digest)
        if claimed == "mismatch":
            return None  # the form was changed and sent again: a new request, not recorded
        if claimed == "busy":
            return _wait_for_answer(user, key, digest) or _busy_page()
        if isinstance(claimed, HttpResponse):
            return claimed
        request._idempotency_record = claimed  # type: ignore[attr-defined]
        return None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith(PATH_PREFIXES):
            response = self.get_response(request)
            record = getattr(request, "_idempotency_record", None)
            if record is not None:  # a form's key claimed in process_view
                _store(record, response)
            return response
        user = _user(request)
        if user is None:
            return self.get_response(request)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            return _error(request, 422, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters long")
        try:
            digest = fingerprint(request)
        except RequestDataTooBig:  # the view answers it (413)
            return self.get_response(request)
        claimed = _claim(user, key, digest)
        if claimed == "mismatch":
            return _error(request, 422, "Idempotency-Key was used for a different request")
        if claimed == "busy":
            return _error(request, 409, "a request with this Idempotency-Key is in progress")
        if isinstance(claimed, HttpResponse):
            return claimed
        assert isinstance(claimed, IdempotencyRecord)
        record = claimed
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            _unlock(record)
            raise
        _store(record, response)
        return response
