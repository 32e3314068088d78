"""`nervecare clinic create`: a new clinic in this installation and its first admin.

The admin is a member of the clinic (never a superuser or staff of the admin site) and chooses a password
through a one-time link: it is printed here and emailed by the job queue. Errors name the option and exit 1;
nothing is created then.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from nervecare.core.errors import FieldErrors
from nervecare.setup import services
from nervecare.setup.invites import invite_link

OPTION = {
    "name": "--name",
    "slug": "--slug",
    "timezone": "--timezone",
    "country": "--country",
    "subdivision": "--region",
    "currency": "--currency",
    "admin_username": "--admin-username",
    "admin_email": "--admin-email",
}


class Command(BaseCommand):
    help = "Clinics in this installation: `clinic create` makes a clinic and its first admin."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new clinic and its first admin")
        create.add_argument("--name", required=True, help="the clinic's name")
        create.add_argument("--slug", default="", help="short name for URLs (default: from the name)")
        create.add_argument("--timezone", default="UTC", help="IANA time zone, e.g. Europe/London")
        create.add_argument("--country", default="", help="ISO 3166-1 alpha-2, e.g. GB (public holidays)")
        create.add_argument("--region", default="", help="the holiday calendar's region code, e.g. ENG")
        create.add_argument("--currency", default="USD", help="ISO 4217, e.g. GBP")
        create.add_argument("--admin-username", required=True)
        create.add_argument("--admin-email", required=True)
        create.add_argument("--admin-first-name", default="")
        create.add_argument("--admin-last-name", default="")
        create.add_argument(
            "--base-url", default="", help="the site's address for the link (NERVECARE_PUBLIC_URL)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                clinic, admin = services.clinic_create(
                    name=options["name"],
                    slug=options["slug"],
                    time_zone=options["timezone"],
                    country=options["country"],
                    subdivision=options["region"],
                    currency=options["currency"],
                    admin_username=options["admin_username"],
                    admin_email=options["admin_email"],
                    admin_first_name=options["admin_first_name"],
                    admin_last_name=options["admin_last_name"],
                )
        except FieldErrors as exc:
            lines = [f"{OPTION.get(k, k)}: {v}" for k, v in exc.errors.items()]
            raise CommandError("Nothing was created.\n" + "\n".join(lines)) from exc
        self.stdout.write(f"Created clinic {clinic.name} (slug {clinic.slug}, id {clinic.pk}).")
        self.stdout.write(f"First admin: {admin.username} <{admin.email}> (an invitation email is queued).")
        self.stdout.write("They choose a password with this one-time link (valid 7 days):")
        self.stdout.write(invite_link(admin, options["base_url"]))
