"""What the billing API takes and answers. Amounts are decimal strings ("90.00") with their currency: JSON
numbers are floats in most clients, and money is never a float."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StringConstraints

Amount = Annotated[Decimal, Field(max_digits=12, decimal_places=2, ge=0, allow_inf_nan=False)]
PositiveAmount = Annotated[Decimal, Field(max_digits=12, decimal_places=2, gt=0, allow_inf_nan=False)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


# --- input -----------------------------------------------------------------------------------------------


class PaymentIn(Strict):
    method: Literal["cash", "card", "bank_transfer", "gift_card", "online"]
    amount: PositiveAmount
    card_last4: str = Field("", max_length=4, description="card payments: the last four digits at most")
    reference: str = Field("", max_length=80, description="transfer reference or gift card code")


class DiscountIn(Strict):
    appointment_id: int
    amount: PositiveAmount
    reason: Reason


class CheckoutIn(Strict):
    client_id: int
    appointment_ids: list[int] = Field(min_length=1, max_length=50)
    discounts: list[DiscountIn] = Field(default_factory=list, max_length=50)
    course_id: int | None = Field(None, description="draw these visits from this course of the client")
    include_fees: bool = Field(True, description="add the client's fees still to invoice")
    tip: Amount = Decimal("0")
    payments: list[PaymentIn] = Field(default_factory=list, max_length=10)
    note: str = Field("", max_length=300)


class RefundIn(Strict):
    amount: PositiveAmount
    reason: Reason


class ReasonIn(Strict):
    reason: Reason


class CreditIn(Strict):
    amount: PositiveAmount
    reason: Reason


class EmailIn(Strict):
    receipt: bool = False


class PriceIn(Strict):
    service_id: int
    therapist_id: int | None = None
    amount: Amount
    tax_exempt: bool = False
    cpt_code: Literal["", "97124", "97140"] = ""


class SettingsIn(Strict):
    tax_rate: Annotated[Decimal, Field(max_digits=5, decimal_places=2, ge=0, le=100)] | None = None
    tax_label: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)] | None
    ) = None
    tax_id: str | None = Field(None, max_length=40)
    npi: str | None = Field(None, max_length=10)
    late_cancel_fee: Amount | None = None
    no_show_fee: Amount | None = None
    tips_allowed: bool | None = None
    email_at_checkout: bool | None = None


class ProviderIdsIn(Strict):
    licence_number: str = Field("", max_length=40)
    licence_state: str = Field("", max_length=40)
    npi: str = Field("", max_length=10)


class CourseIn(Strict):
    service_id: int
    sessions: int = Field(ge=1, le=104)
    price: Amount
    expires_on: datetime.date | None = None
    name: str = Field("", max_length=120)
    payments: list[PaymentIn] = Field(default_factory=list, max_length=10)


class GiftCardIn(Strict):
    amount: PositiveAmount
    expires_on: datetime.date | None = None
    recipient_name: str = Field("", max_length=120)
    payments: list[PaymentIn] = Field(default_factory=list, max_length=10)


class MembershipPlanIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    service_id: int
    price: Amount
    sessions_per_period: int = Field(ge=1, le=31)
    rollover: bool = False
    active: bool = True


class MembershipIn(Strict):
    membership_plan_id: int
    starts_on: datetime.date | None = Field(None, description="the first month's first day (default: today)")
    payments: list[PaymentIn] = Field(
        default_factory=list, max_length=10, description="taken now on the first month's invoice"
    )


class TransferIn(Strict):
    to_client_id: int
    reason: Reason


# --- output ----------------------------------------------------------------------------------------------


class LineOut(Schema):
    position: int
    kind: str
    description: str
    appointment_id: int | None
    service_date: datetime.date | None
    quantity: int
    unit_price: Decimal
    discount: Decimal
    discount_reason: str
    tax: Decimal
    total: Decimal
    cpt_code: str
    minutes: int | None
    units: int | None


class PaymentOut(Schema):
    id: int
    invoice_id: int
    kind: str
    method: str
    status: str
    amount: Decimal
    currency: str
    card_last4: str
    reference: str
    refund_of_id: int | None
    gift_card_id: int | None
    reason: str
    received_at: datetime.datetime


class InvoiceSummaryOut(Schema):
    id: int
    number: int
    display_number: str
    kind: str
    status: str
    client_id: int
    currency: str
    issued_at: datetime.datetime
    total: Decimal


class InvoiceOut(InvoiceSummaryOut):
    credits_id: int | None
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    tax_rate: Decimal
    tax_label: str
    note: str
    void_reason: str
    paid: Decimal
    credited: Decimal
    balance: Decimal
    lines: list[LineOut]
    payments: list[PaymentOut]


class CourseOut(Schema):
    id: int
    client_id: int
    service_id: int
    name: str
    sessions_total: int
    sessions_used: int
    remaining: int
    price: Decimal
    currency: str
    expires_on: datetime.date | None
    status: str
    transferred_from_id: int | None
    membership_id: int | None
    period_start: datetime.date | None


class FeeOut(Schema):
    id: int
    client_id: int
    appointment_id: int
    kind: str
    amount: Decimal
    currency: str
    status: str
    waive_reason: str


class GiftCardOut(Schema):
    id: int
    code: str
    client_id: int
    recipient_name: str
    amount: Decimal
    balance: Decimal
    currency: str
    expires_on: datetime.date | None
    status: str
    invoice_id: int | None
    not_usable_because: str = Field(description="empty when the card can pay now")


class GiftCardDetailOut(GiftCardOut):
    payments: list[PaymentOut]


class SoldGiftCardOut(Schema):
    gift_card: GiftCardOut
    invoice: InvoiceOut


class MembershipPlanOut(Schema):
    id: int
    name: str
    service_id: int
    price: Decimal
    currency: str
    sessions_per_period: int
    rollover: bool
    active: bool


class MembershipOut(Schema):
    id: int
    client_id: int
    membership_plan_id: int
    plan: str
    starts_on: datetime.date
    status: str
    ends_on: datetime.date | None
    periods: list[CourseOut]


class StartedMembershipOut(Schema):
    membership: MembershipOut
    invoice: InvoiceOut | None


class AccountOut(Schema):
    client_id: int
    currency: str
    balance: Decimal
    invoices: list[InvoiceSummaryOut]
    payments: list[PaymentOut]
    courses: list[CourseOut]
    fees: list[FeeOut]
    gift_cards: list[GiftCardOut]
    memberships: list[MembershipOut]


class PriceOut(Schema):
    id: int
    service_id: int
    service: str
    therapist_id: int | None
    amount: Decimal
    currency: str
    tax_exempt: bool
    cpt_code: str


class SettingsOut(Schema):
    currency: str
    tax_rate: Decimal
    tax_label: str
    tax_id: str
    npi: str
    late_cancel_fee: Decimal
    no_show_fee: Decimal
    tips_allowed: bool
    email_at_checkout: bool
    cancellation_notice_hours: int


class ProviderIdsOut(Schema):
    therapist_id: int
    licence_number: str
    licence_state: str
    npi: str


class SoldCourseOut(Schema):
    course: CourseOut
    invoice: InvoiceOut


class TakingsRowOut(Schema):
    method: str
    label: str
    received: Decimal
    refunded: Decimal
    net: Decimal
    count: int


class DayTakingsOut(Schema):
    day: datetime.date
    currency: str
    methods: list[TakingsRowOut]
    course_sessions: TakingsRowOut | None
    gift_cards_redeemed: TakingsRowOut | None
    received: Decimal
    refunded: Decimal
    net: Decimal


class AgingRowOut(Schema):
    client_id: int
    client: str
    days_0_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    days_over_90: Decimal
    total: Decimal


class AgingOut(Schema):
    currency: str
    rows: list[AgingRowOut]
    total: Decimal


class RevenueOut(Schema):
    currency: str
    start: datetime.date
    end: datetime.date
    total: Decimal
    by_therapist: dict[str, Decimal]
    by_service: dict[str, Decimal]
    by_month: dict[str, Decimal]
    tips: dict[str, Decimal]
    course_sales: Decimal
    gift_card_sales: Decimal
    tax: Decimal


class LiabilityRowOut(Schema):
    course_id: int
    client: str
    name: str
    status: str
    sessions_left: int
    value: Decimal
    expires_on: datetime.date | None


class LiabilitiesOut(Schema):
    currency: str
    rows: list[LiabilityRowOut]
    sessions: int
    value: Decimal


class GiftCardLiabilityRowOut(Schema):
    gift_card_id: int
    code_last4: str
    client: str
    amount: Decimal
    balance: Decimal
    expires_on: datetime.date | None


class GiftCardLiabilitiesOut(Schema):
    currency: str
    rows: list[GiftCardLiabilityRowOut]
    cards: int
    value: Decimal
