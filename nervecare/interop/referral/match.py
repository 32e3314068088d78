"""Which existing client a referral is about, among the clients the importing user may see."""

from __future__ import annotations

from typing import Any

from nervecare.clients.models import Client
from nervecare.clients.selectors import clients_visible_to
from nervecare.core.models import User
from nervecare.interop import codes
from nervecare.interop.models import PatientIdentifier
from nervecare.interop.referral.bundle import BundleError


def client_match(
    actor: User, fields: dict[str, Any], identifiers: list[tuple[str, str, str | None]], where: str
) -> Client | None:
    """The existing client this referral is about, among the clients the actor may see; None: a new client.

    Only visible clients are candidates: a client the actor may not see is never changed, and the answer
    (a new client, 201) is the same whether such a client exists or not, so the import cannot be used to
    learn who is on the clinic's books or their birth dates."""
    visible = clients_visible_to(actor)
    own_org = f"Organization/{actor.clinic_id}"
    client_ids = [
        int(value)
        for system, value, assigner in identifiers
        if system == codes.SID_CLIENT and assigner == own_org and value.isdigit() and len(value) < 18
    ]
    others = [(system, value) for system, value, _a in identifiers if system != codes.SID_CLIENT]
    candidates: set[int] = set()
    if client_ids:
        candidates.update(visible.filter(pk__in=client_ids).values_list("pk", flat=True))
    for system, value in others:
        candidates.update(
            PatientIdentifier.objects.filter(
                clinic_id=actor.clinic_id, system=system, value=value, client__in=visible
            ).values_list("client_id", flat=True)
        )
    if len(candidates) > 1:
        raise BundleError(
            422,
            [
                (
                    "error",
                    "conflict",
                    "The Patient's identifiers name different clients.",
                    f"{where}.identifier",
                )
            ],
        )
    if candidates:
        client = visible.get(pk=candidates.pop())
        if client.date_of_birth != fields["date_of_birth"]:  # the actor may see this client: no oracle
            raise BundleError(
                422,
                [
                    (
                        "error",
                        "conflict",
                        f"The identifier belongs to Patient/{client.pk}, whose birth date differs: nothing imported.",
                        f"{where}.identifier",
                    )
                ],
            )
        return client
    same = list(
        visible.filter(
            first_name__iexact=fields["first_name"],
            last_name__iexact=fields["last_name"],
            date_of_birth=fields["date_of_birth"],
        )[:2]
    )
    if len(same) > 1:
        raise BundleError(
            422,
            [
                (
                    "error",
                    "multiple-matches",
                    "Several clients have this name and birth date: send an identifier to say which.",
                    where,
                )
            ],
        )
    return same[0] if same else None
