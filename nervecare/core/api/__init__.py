"""API routes for the signed-in user and their API tokens (the clinic's therapists: plans/api.py)."""

import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema

from nervecare.core.api_support import error_responses
from nervecare.core.models import ApiToken
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import api_token_revoke, api_tokens_visible_to

router = Router(tags=["clinic"])


class MeOut(Schema):
    username: str
    role: str
    clinic: str | None


@router.get("/me", response={200: MeOut, **error_responses()}, summary="Who am I")
def me(request: AuthedHttpRequest) -> dict:
    user = request.user
    return {"username": user.username, "role": user.role, "clinic": user.clinic.name if user.clinic else None}


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    username: str
    scopes: list[str]
    state: str
    created_at: datetime.datetime
    expires_at: datetime.datetime | None
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


def token_as_dict(token: ApiToken, now: datetime.datetime) -> dict:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "username": token.user.username,
        "scopes": token.scopes,
        "state": token.state_at(now),
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@router.get(
    "/tokens",
    response={200: list[TokenOut], **error_responses()},
    summary="My API tokens (an admin: the clinic's)",
)
def list_tokens(request: AuthedHttpRequest) -> list:
    """Closed to bearer tokens (sign in): a token cannot list or revoke tokens."""
    now = timezone.now()
    return [token_as_dict(t, now) for t in api_tokens_visible_to(request.user).order_by("-created_at")]


@router.post(
    "/tokens/{token_id}/revoke",
    response={200: TokenOut, **error_responses(404)},
    summary="Revoke an API token at once",
)
def revoke_token(request: AuthedHttpRequest, token_id: int) -> dict:
    token = get_object_or_404(api_tokens_visible_to(request.user), pk=token_id)
    api_token_revoke(token=token, actor=request.user)
    return token_as_dict(token, timezone.now())
