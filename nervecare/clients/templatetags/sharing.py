"""`{% client_sharing client %}`: who else sees the record, and (for admins and the primary therapist) the
form to share it or stop sharing; for admins, the access plans and bookings granted (live and ended)."""

from typing import Any

from django import template

from nervecare.clients.models import Client
from nervecare.clients.selectors import client_access_grants, client_shares
from nervecare.core.models import Therapist, User

register = template.Library()


@register.inclusion_tag("clients/sharing.html", takes_context=True)
def client_sharing(context: dict[str, Any], client: Client) -> dict[str, Any]:
    user = context["request"].user
    shares = client_shares(client)
    may_share = user.role == User.Role.ADMIN or (
        client.primary_therapist_id is not None and client.primary_therapist.user_id == user.pk
    )
    taken = {s.therapist_id for s in shares} | {client.primary_therapist_id}
    candidates = (
        [t for t in Therapist.objects.filter(clinic_id=client.clinic_id, active=True) if t.pk not in taken]
        if may_share
        else []
    )
    is_admin = user.role == User.Role.ADMIN
    return {
        "client": client,
        "shares": shares,
        "is_admin": is_admin,
        "grants": client_access_grants(user, client) if is_admin else [],
        "may_share": may_share,
        "candidates": candidates,
        "csrf_token": context.get("csrf_token"),
    }
