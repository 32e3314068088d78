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
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from nervecare.core.models import IdempotencyRecord, User
from nervecare.core.services import api_token_authenticate

HEADER = "Idempotency-Key"
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


def _claim(user: User, key: str, digest: str) -> IdempotencyRecord | HttpResponse | str:
    """Insert the in-progress row (committed at once); for a key already used, its replayed answer, or
    "mismatch" (another request) or "busy" (still being answered)."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(user_id=user.pk, key=key, fingerprint=digest)
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user_id=user.pk, key=key).first()
            if existing is None:
                continue  # deleted meanwhile (a failed first attempt): try again
            if existing.created_at < timezone.now() - IDEMPOTENCY_TTL:
                IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
                continue
            if existing.fingerprint != digest:
                return "mismatch"
            if existing.state == IdempotencyRecord.State.IN_PROGRESS:
                return "busy"
            return replay(existing)
    return "busy"


class IdempotencyKeyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith(PATH_PREFIXES):
            return self.get_response(request)
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
            raise
        if response.streaming or response.status_code >= 500 or response.status_code in NOT_STORED:
            record.delete()
            return response
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        if response.has_header("Content-Type"):
            headers["Content-Type"] = response["Content-Type"]
        record.state = IdempotencyRecord.State.DONE
        record.status = response.status_code
        record.headers = headers
        record.body = response.content
        record.save(update_fields=["state", "status", "headers", "body"])
        return response
