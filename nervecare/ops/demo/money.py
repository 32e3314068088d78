"""Demo money (issue 17): prices for every service, the clinic's fees, and one client's course — sold,
three visits checked out against it — through the same services the desk and the owner use. Idempotent: a
clinic that already has a course is left as it is."""

from decimal import Decimal

from nervecare.billing.models import BillingSettings, Course, Price
from nervecare.billing.services.courses import course_sell
from nervecare.billing.services.invoices import invoice_checkout
from nervecare.core.models import Clinic, User
from nervecare.scheduling.models import Appointment, Service

PRICES = {60: Decimal("75.00"), 45: Decimal("60.00"), 30: Decimal("40.00"), 90: Decimal("105.00")}


def seed_money(clinic: Clinic, desk: User) -> int:
    """Prices and fees for the demo clinic, and a course with sessions drawn; the number of invoices made."""
    for service in Service.objects.filter(clinic=clinic):
        amount = PRICES.get(service.minutes, Decimal(service.minutes) * Decimal("1.25"))
        cpt = "97140" if service.modality in ("mld", "lymphatic") else "97124"
        Price.objects.get_or_create(
            service=service,
            therapist=None,
            defaults={"clinic": clinic, "amount": amount, "currency": clinic.currency, "cpt_code": cpt},
        )
    BillingSettings.objects.get_or_create(
        clinic=clinic,
        defaults={"late_cancel_fee": Decimal("30.00"), "no_show_fee": Decimal("45.00"), "tips_allowed": True},
    )
    if Course.objects.filter(clinic=clinic).exists():
        return 0
    visits = list(
        Appointment.objects.filter(clinic=clinic, status=Appointment.Status.COMPLETED)
        .select_related("client", "service")
        .order_by("client_id", "starts_at")
    )
    if not visits:
        return 0
    first = visits[0]
    theirs = [v for v in visits if v.client_id == first.client_id and v.service_id == first.service_id][:3]
    price = PRICES.get(first.service.minutes, Decimal("75.00")) * 12 * Decimal("0.9")  # 10% off for 12
    course, _sale = course_sell(
        actor=desk,
        client=first.client,
        service_id=first.service_id,
        sessions=12,
        price=price.quantize(Decimal("0.01")),
        payments=[{"method": "card", "amount": price.quantize(Decimal("0.01")), "card_last4": "4242"}],
    )
    for visit in theirs:
        invoice_checkout(actor=desk, client=first.client, appointment_ids=[visit.pk], course_id=course.pk)
    return 1 + len(theirs)
