"""`nervecare token create USERNAME [--name NAME]` / `nervecare token revoke PREFIX` / `nervecare token list USERNAME`."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nervecare.core.models import ApiToken, User
from nervecare.core.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke API bearer tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("target", help="username (create, list) or token prefix (revoke)")
        parser.add_argument("--name", default="cli", help="a label for the token")

    def handle(self, *args: Any, action: str, target: str, name: str, **options: Any) -> None:
        if action == "revoke":
            token = ApiToken.objects.filter(prefix=target, revoked_at__isnull=True).first()
            if token is None:
                raise CommandError(f"no active token with prefix {target!r}")
            api_token_revoke(token=token)
            self.stdout.write(f"Revoked {token}.")
            return
        user = User.objects.filter(username=target).first()
        if user is None:
            raise CommandError(f"no user {target!r}")
        if action == "list":
            for token in user.api_tokens.all():
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.prefix}  {token.name}  {state}  last used {token.last_used_at or 'never'}"
                )
            return
        _token, plain = api_token_create(user=user, name=name)
        self.stdout.write(plain)
        self.stderr.write(
            "Keep it safe: it is shown only once. Revoke with: nervecare token revoke " + plain[:10]
        )
