"""`nervecare calendar_token USERNAME [--revoke]`: print a new private calendar feed URL for a therapist."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nervecare.core.models import Therapist
from nervecare.scheduling.calendar import calendar_token_create, calendar_token_revoke, feed_url


class Command(BaseCommand):
    help = (
        "Print a new private calendar feed URL for the therapist with this username (the previous URL stops "
        "working), or revoke it with --revoke. Set NERVECARE_PUBLIC_URL for the right host name."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true", help="revoke the feed URL and make no new one")

    def handle(self, *args: Any, username: str, revoke: bool, **options: Any) -> None:
        therapist = Therapist.objects.select_related("user").filter(user__username=username).first()
        if therapist is None:
            raise CommandError(f"no therapist with username {username!r}")
        if revoke:
            count = calendar_token_revoke(therapist=therapist, actor=None)
            self.stdout.write(f"Revoked {count} calendar feed URL(s) for {therapist}.")
            return
        _token, plain = calendar_token_create(therapist=therapist, actor=None)
        self.stdout.write(feed_url(plain))
        self.stderr.write(
            "Keep it private: anyone with this URL can read the schedule. It is shown only once."
        )
