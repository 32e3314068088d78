"""The fields an import fills, with the names the mapping page and every error message use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportField:
    name: str
    label: str
    required: bool = False
    max_length: int | None = None
    help: str = ""


CLIENT_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "external_id",
        "Client id in the other system",
        max_length=150,
        help="Makes re-running the import add nothing. Without it, name and date of birth are used.",
    ),
    ImportField("first_name", "First name", required=True, max_length=100),
    ImportField("last_name", "Last name", required=True, max_length=100),
    ImportField("date_of_birth", "Date of birth", required=True),
    ImportField("email", "Email", max_length=254),
    ImportField("phone", "Phone", max_length=40),
    ImportField("address", "Address (first line)", max_length=300),
    ImportField("address_2", "Address (second line)", max_length=300),
    ImportField("address_3", "Address (third line)", max_length=300),
    ImportField("city", "Town or city", max_length=100),
    ImportField("region", "County, state or region", max_length=100),
    ImportField("postcode", "Postcode", max_length=20),
    ImportField("country", "Country", max_length=100),
    ImportField("emergency_contact_name", "Emergency contact", max_length=200),
    ImportField("emergency_contact_phone", "Emergency contact's phone", max_length=40),
    ImportField("referring_clinician", "Referring clinician", max_length=200),
)

APPOINTMENT_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "external_id",
        "Appointment id in the other system",
        max_length=150,
        help="Makes re-running the import add nothing. Without it, client, date and time are used.",
    ),
    ImportField("client_external_id", "Client id in the other system", max_length=150),
    ImportField("client_email", "Client's email", max_length=254),
    ImportField("date", "Date", required=True),
    ImportField(
        "time", "Start time", help="24-hour (14:30) or with AM/PM (2:30 PM), the clinic's local time."
    ),
    ImportField("duration_minutes", "Length in minutes", help="Without it, the service's length."),
    ImportField(
        "therapist", "Therapist", max_length=200, help="Their name as shown in NerveCare, or username."
    ),
    ImportField("service", "Service", max_length=200, help="Its name or code in NerveCare."),
    ImportField("room", "Room", max_length=100),
    ImportField("status", "Status", max_length=40, help="Cancelled rows are not booked."),
)

FIELDS = {"clients": CLIENT_FIELDS, "appointments": APPOINTMENT_FIELDS}
ADDRESS_PARTS = ("address", "address_2", "address_3", "city", "region", "postcode", "country")


def fields_for(kind: str) -> tuple[ImportField, ...]:
    return FIELDS[kind]


def label_of(kind: str, name: str) -> str:
    for f in FIELDS[kind]:
        if f.name == name:
            return f.label
    return name
