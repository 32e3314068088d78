"""API bearer tokens, scoped and revocable.

nervecare token create USERNAME --scope clients:read --scope schedule:read [--expires-days 90] [--name NAME]
nervecare token list [USERNAME]
nervecare token revoke PREFIX
nervecare token scopes
"""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from nervecare.core.errors import FieldErrors
from nervecare.core.models import ApiToken, User
from nervecare.core.scopes import vocabulary
from nervecare.core.services import api_token_create, api_token_revoke

MAX_TOKEN_DAYS = 3653  # ten years: a longer life is no expiry at all, and 10**9 days overflows a date


class Command(BaseCommand):
    help = "Create, list or revoke API bearer tokens, or list the scopes a token can carry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke", "scopes"])
        parser.add_argument(
            "target", nargs="?", default="", help="username (create, list) or token prefix (revoke)"
        )
        parser.add_argument("--name", default="cli", help="a label for the token")
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            dest="scopes",
            help="what the token may do (repeat, or comma-separate); `nervecare token scopes` lists them",
        )
        parser.add_argument(
            "--expires-days", type=int, default=None, help="the token stops working after N days"
        )

    def handle(
        self,
        *args: Any,
        action: str,
        target: str,
        name: str,
        scopes: list[str],
        expires_days: int | None,
        **options: Any,
    ) -> None:
        if action == "scopes":
            for scope, text in vocabulary().items():
                self.stdout.write(f"{scope:16} {text}")
            return
        if action == "revoke":
            if not target:
                raise CommandError("give the token's prefix: nervecare token revoke nc_XXXXXXX")
            token = ApiToken.objects.filter(prefix=target, revoked_at__isnull=True).first()
            if token is None:
                raise CommandError(f"no active token with prefix {target!r}")
            api_token_revoke(token=token)
            self.stdout.write(f"Revoked {token}.")
            return
        if action == "list":
            tokens = ApiToken.objects.select_related("user").order_by("user__username", "created_at")
            if target:
                if not User.objects.filter(username=target).exists():
                    raise CommandError(f"no user {target!r}")
                tokens = tokens.filter(user__username=target)
            now = timezone.now()
            for token in tokens:
                expires = f"expires {token.expires_at:%Y-%m-%d %H:%M}" if token.expires_at else "no expiry"
                self.stdout.write(
                    f"{token.prefix}  {token.user.username}  {token.name}  {token.state_at(now)}  "
                    f"{','.join(token.scopes) or '-'}  {expires}  last used {token.last_used_at or 'never'}"
                )
            return
        if not target:
            raise CommandError("give the username: nervecare token create USERNAME --scope clients:read")
        user = User.objects.filter(username=target).first()
        if user is None:
            raise CommandError(f"no user {target!r}")
        wanted = [s.strip() for value in scopes for s in value.split(",") if s.strip()]
        if not wanted:
            raise CommandError(
                "--scope: give at least one scope (repeat --scope); known: " + ", ".join(vocabulary())
            )
        if expires_days is not None and not 1 <= expires_days <= MAX_TOKEN_DAYS:
            raise CommandError(f"--expires-days: must be between 1 and {MAX_TOKEN_DAYS} (ten years)")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            token, plain = api_token_create(user=user, name=name, scopes=wanted, expires_at=expires_at)
        except FieldErrors as exc:
            raise CommandError(
                "; ".join(f"--{k.replace('_', '-')}: {v}" for k, v in exc.errors.items())
            ) from None
        self.stdout.write(plain)
        self.stderr.write(
            f"Scopes: {', '.join(token.scopes)}. Keep it safe: it is shown only once. "
            f"Revoke with: nervecare token revoke {plain[:10]}"
        )
