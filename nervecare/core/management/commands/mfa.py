"""`nervecare mfa status|reset|code USERNAME`: staff two-step sign-in from the command line.

status  whether the user has a confirmed authenticator app and how many backup codes are left
reset   remove the user's authenticator app and backup codes (lost phone); they enrol again at next sign-in
code    print the current code of a *demo* device (`nervecare demo`), for trying the demo without an app.
        Refused for every other device: the server never hands out codes for real accounts.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_static.models import StaticToken

from nervecare.core.auth import mfa
from nervecare.core.models import User


class Command(BaseCommand):
    help = "Two-step sign-in (TOTP) for staff: status, reset a lost device, or show a demo device's code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status", "reset", "code"])
        parser.add_argument("username")

    def handle(self, *args: Any, action: str, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        device = mfa.confirmed_totp_device(user)
        if action == "status":
            backups = StaticToken.objects.filter(device__user=user).count()
            required = "required" if mfa.mfa_required_for(user) else "not required"
            app = "set up" if device is not None else "not set up"
            self.stdout.write(
                f"{username}: two-step sign-in {required}; authenticator app {app}; {backups} backup codes left."
            )
            return
        if action == "reset":
            removed = mfa.mfa_reset(user)
            self.stdout.write(
                f"Removed {removed} two-step device(s) of {username}. They set up an authenticator app again at their next sign-in."
            )
            return
        if device is None:
            raise CommandError(f"{username} has no authenticator app set up")
        if not mfa.is_demo_device(device):
            raise CommandError(
                f"{username}'s authenticator app is not a demo device: codes are shown only for the demo accounts"
            )
        self.stdout.write(mfa.current_code(device))
