"""Issue 17's "done means", from the demo clinic: a course is sold and three visits are checked out against it
(the demo does both), one late-cancel fee is raised, invoiced and paid, one refund is made; the invoice and
the superbill download as PDFs; the end-of-day report balances to the cent against the payments themselves;
and the CSV journal read back by a spreadsheet library (pandas, as an accounting import would) gives the same
totals."""

import datetime
import io
from decimal import Decimal
from io import StringIO

import pandas
import pytest
from django.core.management import call_command
from django.utils import timezone

from nervecare.billing import reports
from nervecare.billing.models import Course, Fee, Invoice, Payment
from nervecare.billing.selectors import clinic_zone
from nervecare.billing.services.invoices import invoice_for_fee
from nervecare.billing.services.payments import payment_record, payment_refund
from nervecare.conftest import login
from nervecare.core.models import User
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.services import appointment_cancel
from nervecare.scheduling.tests.factories import AppointmentFactory

D = Decimal


@pytest.mark.django_db
def test_the_demo_clinics_money_day_balances_to_the_cent_and_reads_back_from_csv():
    call_command("demo", stdout=StringIO())
    course = Course.objects.select_related("client", "clinic").get()
    clinic, client = course.clinic, course.client
    assert course.sessions_used == 3 and course.remaining == 9
    desk, owner = User.objects.get(username="desk"), User.objects.get(username="owner")
    start = timezone.now() + datetime.timedelta(hours=3)  # within the clinic's notice period: late
    booked = Appointment.objects.filter(client=client, status="completed").first()
    assert booked is not None
    late = AppointmentFactory(
        clinic=clinic,
        client=client,
        therapist=booked.therapist,
        service=booked.service,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=booked.service.minutes),
        status="booked",
    )
    appointment_cancel(actor=desk, appointment=late, reason="client phoned in the morning")
    fee = Fee.objects.get(appointment=late)
    assert fee.kind == "late_cancel" and fee.amount == D("30.00")
    fee_invoice = invoice_for_fee(actor=desk, fee=fee)
    payment_record(actor=desk, invoice=fee_invoice, method="cash", amount=fee_invoice.total)
    sale = Payment.objects.get(course__isnull=True, invoice__lines__course=course, kind="payment")
    payment_refund(actor=owner, payment=sale, amount=D("25.50"), reason="goodwill: a session cut short")

    staff = login(owner)
    pdf = staff.get(f"/billing/invoices/{fee_invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    superbill = staff.get(f"/billing/clients/{client.pk}/superbill.pdf")
    assert superbill.status_code == 200 and superbill.content.startswith(b"%PDF")

    today = timezone.localdate(timezone=clinic_zone(clinic))
    day = reports.day_takings(clinic, today)
    received = [p for p in Payment.objects.filter(clinic=clinic) if p.method not in ("course", "gift_card")]
    assert day["net"] == sum((p.signed_amount for p in received), D("0"))
    assert day["net"] == sale.amount + fee_invoice.total - D("25.50")
    assert day["net"] == sum((m["net"] for m in day["methods"]), D("0"))
    assert day["course_sessions"]["received"] == sum(
        (p.amount for p in Payment.objects.filter(method="course")), D("0")
    )

    exported = staff.get("/billing/books/journal.csv", {"start": today.isoformat(), "end": today.isoformat()})
    sheet = pandas.read_csv(io.StringIO(exported.content.decode()), dtype=str, keep_default_na=False)
    money = {col: sheet[col].map(D) for col in ("net", "tax", "gross")}
    paid = sheet["type"].isin(["payment", "refund"]) & ~sheet["account"].isin(
        ["course", "gift_card_liability"]
    )
    assert sum(money["net"][paid], D("0")) == day["net"]
    sales = sheet["type"].isin(["sale", "credit"])
    issued = Invoice.objects.filter(clinic=clinic, status="issued")
    assert sum(money["gross"][sales], D("0")) == sum((i.total for i in issued), D("0"))
    assert sum(money["tax"][sales], D("0")) == sum((i.tax_total for i in issued), D("0"))
    assert (money["net"] + money["tax"] == money["gross"]).all()
    assert set(sheet.columns) == set(reports.JOURNAL_COLUMNS)
