"""Inviting a client to the portal: their account (username from their e-mail), the link to set a password,
and the invitation e-mail, sent by staff or on the client's online registration."""

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from nervecare.clients.models import Client
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical
from nervecare.core.request_context import site_url
from nervecare.core.services import audit_record
from nervecare.core.tasks import send_email
from nervecare.portal.models import ClientAccount


def _username_for(client: Client) -> str:
    wanted = client.email.strip().lower()
    if wanted and not User.objects.filter(username__iexact=wanted).exists():
        return wanted
    return f"client-{client.pk}"


def _account_for_invitation(*, actor: User | None, client: Client) -> ClientAccount:
    """The client's portal sign-in with no usable password (made now, or the one made before), marked
    invited by the actor (None: the client asked for it on the public booking page)."""
    if not client.email:
        raise FieldErrors({"email": "add the client's email address before inviting them"})
    account = ClientAccount.objects.select_related("user").filter(client=client).first()
    if account is None:
        user = User(
            username=_username_for(client),
            email=client.email,
            first_name=client.first_name,
            last_name=client.last_name,
            role=User.Role.CLIENT,
            clinic_id=client.clinic_id,
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
        account = ClientAccount(user=user, client=client)
    elif account.user.has_usable_password():
        raise FieldErrors({"email": "this client already has a portal password"})
    account.invited_at = timezone.now()
    account.invited_by = actor
    account.full_clean()
    account.save()
    return account


def _set_password_link(account: ClientAccount, request: HttpRequest | None) -> str:
    """The absolute set-password link (Django's password-reset token: single use, it changes with the
    password, and it expires after PASSWORD_RESET_TIMEOUT): NERVECARE_PUBLIC_URL, else the request's own
    address (core.request_context.site_url), so the link works even when the setting is unset."""
    user = account.user
    path = reverse(
        "portal:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return request.build_absolute_uri(path) if request is not None else site_url() + path


def portal_invitation(
    *, actor: User | None, client: Client, request: HttpRequest | None = None
) -> tuple[ClientAccount, str]:
    """THE invitation to the portal, for every path that invites (a therapist's invite, the desk's
    registration, online booking's confirmation): the client's sign-in with no usable password (made or
    reused, marked invited) and its absolute set-password link. The caller sends it (its own words, its own
    moment) and records the audit event naming why."""
    account = _account_for_invitation(actor=actor, client=client)
    return account, _set_password_link(account, request)


def _invitation(client: Client, account: ClientAccount, link: str, *, intake: bool) -> tuple[str, str]:
    """The portal's invitation e-mail: subject and body."""
    context = {
        "client": client,
        "clinic": client.clinic,
        "link": link,
        "username": account.user.username,
        "intake": intake,
    }
    return (
        render_to_string("portal/email/invite_subject.txt", context).strip(),
        render_to_string("portal/email/invite_body.txt", context),
    )


@transaction.atomic
def client_invite(*, actor: User, client: Client, request: HttpRequest | None = None) -> ClientAccount:
    """Create (or reuse) the client's portal sign-in with no usable password and email a set-password link."""
    require_clinical(actor)
    if client.clinic_id != actor.clinic_id:
        raise Http404("No such client.")
    account, link = portal_invitation(actor=actor, client=client, request=request)
    subject, body = _invitation(client, account, link, intake=False)
    send_mail(subject, body, None, [client.email])
    audit_record(actor=actor, action="update", obj=client, summary="Portal invitation sent")
    return account


def invite_registered_client(*, actor: User, client: Client) -> str | None:
    """After the front desk registers a client (clients.hooks.on_client_registered): invite them to the
    portal to sign the consent and complete the intake before their first visit. The email goes through the
    job queue once the registration is committed (retried if the mail server is down). Returns what the desk
    is told."""
    if not client.email:
        return (
            "No email address: no portal invitation was sent. Ask the client to complete the intake "
            "with the therapist before the first session, or add an email address and invite them."
        )
    account, link = portal_invitation(actor=actor, client=client)
    subject, body = _invitation(client, account, link, intake=True)
    recipient = client.email
    transaction.on_commit(lambda: send_email(subject, body, [recipient]))
    audit_record(actor=actor, action="update", obj=client, summary="Portal invitation sent (intake)")
    return f"The portal invitation to complete the intake before the first visit was sent to {recipient}."
