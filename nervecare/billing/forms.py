"""Forms of the billing pages (validation at the boundary; the services check the rules)."""

from decimal import Decimal
from typing import Any

from django import forms

from nervecare.billing.models import Payment, Price
from nervecare.core.bounds import HISTORY, BoundedDateField

METHODS = [
    (m.value, m.label) for m in Payment.Method if m not in (Payment.Method.COURSE, Payment.Method.ONLINE)
]


class PaymentForm(forms.Form):
    method = forms.ChoiceField(choices=METHODS, label="Paid by")
    amount = forms.DecimalField(label="Amount", max_digits=12, decimal_places=2, min_value=Decimal("0"))
    card_last4 = forms.RegexField(
        regex=r"^[0-9]{4}$",
        required=False,
        max_length=4,
        label="Card: last 4 digits",
        help_text="Only the last four digits, never the whole card number.",
        error_messages={"invalid": "Enter the last four digits of the card only (4 digits)."},
    )
    reference = forms.CharField(required=False, max_length=80, label="Reference / gift card code")


class CheckoutForm(forms.Form):
    appointment_ids = forms.TypedMultipleChoiceField(
        coerce=int, label="Visits to check out", widget=forms.CheckboxSelectMultiple
    )
    course_id = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Draw from course")
    discount_amount = forms.DecimalField(
        required=False,
        label="Discount on the first visit",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
    )
    discount_reason = forms.CharField(required=False, max_length=200, label="Reason for the discount")
    tip = forms.DecimalField(
        required=False, label="Tip", max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    pay_method = forms.ChoiceField(
        choices=[("", "— pay later —"), *METHODS], required=False, label="Paid now by"
    )
    pay_amount = forms.DecimalField(
        required=False, label="Amount paid now", max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    card_last4 = PaymentForm.base_fields["card_last4"]
    reference = PaymentForm.base_fields["reference"]

    def __init__(self, *args: Any, visits: Any = (), courses: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appointment_ids"].choices = [(v.id, v.label) for v in visits]  # type: ignore[attr-defined]
        self.fields["course_id"].choices = [("", "— none —")] + [  # type: ignore[attr-defined]
            (c.id, f"{c.name} ({c.remaining} left)") for c in courses
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("discount_amount") and not (data.get("discount_reason") or "").strip():
            self.add_error("discount_reason", "Say why the discount is given.")
        if data.get("pay_method") and not data.get("pay_amount"):
            self.add_error("pay_amount", "Enter the amount paid now.")
        return data


class CourseForm(forms.Form):
    service_id = forms.TypedChoiceField(coerce=int, label="Service")
    sessions = forms.IntegerField(min_value=1, max_value=104, initial=12, label="Sessions")
    price = forms.DecimalField(
        label="Price (before tax)", max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    expires_on = forms.DateField(
        required=False, label="Valid until", widget=forms.DateInput(attrs={"type": "date"})
    )
    pay_method = CheckoutForm.base_fields["pay_method"]
    pay_amount = CheckoutForm.base_fields["pay_amount"]
    card_last4 = PaymentForm.base_fields["card_last4"]
    reference = PaymentForm.base_fields["reference"]

    def __init__(self, *args: Any, services: Any = (), **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "course_%s")  # ids of its own beside the other forms of the account page
        super().__init__(*args, **kwargs)
        self.fields["service_id"].choices = [(s.id, s.name) for s in services]  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason")


class RefundForm(ReasonForm):
    amount = forms.DecimalField(
        label="Amount to refund", max_digits=12, decimal_places=2, min_value=Decimal("0")
    )


class PriceForm(forms.Form):
    service_id = forms.TypedChoiceField(coerce=int, label="Service")
    therapist_id = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Therapist (own price)"
    )
    amount = forms.DecimalField(
        label="Price (before tax)", max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    tax_exempt = forms.BooleanField(required=False, label="Exempt from tax")
    cpt_code = forms.ChoiceField(choices=Price.Cpt.choices, required=False, label="Procedure code (US)")

    def __init__(self, *args: Any, services: Any = (), therapists: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_id"].choices = [(s.id, s.name) for s in services]  # type: ignore[attr-defined]
        self.fields["therapist_id"].choices = [("", "— the clinic's price —")] + [  # type: ignore[attr-defined]
            (t.id, t.display_name) for t in therapists
        ]


class PeriodForm(forms.Form):
    # Bounded like the API's period (HISTORY): 0001-01-01 or 9999-12-31 was a 500 (date arithmetic overflowed).
    start = BoundedDateField(bound=HISTORY, required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = BoundedDateField(bound=HISTORY, required=False, widget=forms.DateInput(attrs={"type": "date"}))


class GiftCardForm(forms.Form):
    amount = forms.DecimalField(
        label="Value of the card", max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    recipient_name = forms.CharField(required=False, max_length=120, label="Name on the gift card")
    expires_on = forms.DateField(
        required=False, label="Valid until", widget=forms.DateInput(attrs={"type": "date"})
    )
    pay_method = forms.ChoiceField(
        choices=[("", "— pay later —"), *[m for m in METHODS if m[0] != Payment.Method.GIFT_CARD]],
        required=False,
        label="Paid now by",
    )
    pay_amount = CheckoutForm.base_fields["pay_amount"]
    card_last4 = PaymentForm.base_fields["card_last4"]
    reference = PaymentForm.base_fields["reference"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "gift_%s")  # ids of its own beside the other forms of the account page
        super().__init__(*args, **kwargs)


class GiftCardLookupForm(forms.Form):
    code = forms.CharField(max_length=40, label="Gift card code")


class MembershipForm(forms.Form):
    membership_plan_id = forms.TypedChoiceField(coerce=int, label="Membership plan")
    starts_on = forms.DateField(
        required=False, label="First month starts", widget=forms.DateInput(attrs={"type": "date"})
    )
    pay_method = CheckoutForm.base_fields["pay_method"]
    pay_amount = CheckoutForm.base_fields["pay_amount"]
    card_last4 = PaymentForm.base_fields["card_last4"]
    reference = PaymentForm.base_fields["reference"]

    def __init__(self, *args: Any, plans: Any = (), **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "member_%s")  # ids of its own beside the other forms of the account page
        super().__init__(*args, **kwargs)
        self.fields["membership_plan_id"].choices = [  # type: ignore[attr-defined]
            (p.id, f"{p.name} ({p.price} {p.currency} a month, {p.sessions_per_period} sessions)")
            for p in plans
        ]


class MembershipPlanForm(forms.Form):
    name = forms.CharField(max_length=120, label="Plan name")
    service_id = forms.TypedChoiceField(coerce=int, label="Service")
    price = forms.DecimalField(
        label="Price a month (before tax)", max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    sessions_per_period = forms.IntegerField(min_value=1, max_value=31, initial=4, label="Sessions a month")
    rollover = forms.BooleanField(required=False, label="Unused sessions roll over to the next month")

    def __init__(self, *args: Any, services: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_id"].choices = [(s.id, s.name) for s in services]  # type: ignore[attr-defined]
