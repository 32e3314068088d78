"""The account page holds four forms (check-out, course, gift card, membership) with fields of the same names:
each field has an id of its own, so every label names its own form's field (they all pointed at the check-out's
fields before: a screen reader read the gift card's and membership's payment fields unlabelled)."""

import re
from collections import Counter
from decimal import Decimal

import pytest

from nervecare.billing.services.memberships import membership_plan_save
from nervecare.conftest import login

pytestmark = pytest.mark.django_db


def _ids_and_labels(html: str) -> tuple[Counter, list[str]]:
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    return ids, re.findall(r'<label for="([^"]+)"', html)


def test_every_field_of_the_account_page_has_its_own_id_and_label(shop):
    membership_plan_save(
        actor=shop.admin, name="Gold", service_id=shop.service.id, price=Decimal("280"), sessions_per_period=4
    )
    desk = login(shop.desk)
    for page in (
        desk.get(f"/billing/clients/{shop.client.id}/"),
        # a refused sale shows the page again with that form's errors: still one id per field
        desk.post(f"/billing/clients/{shop.client.id}/gift-cards/", {"amount": "-5"}),
    ):
        html = page.content.decode()
        ids, labels = _ids_and_labels(html)
        assert [i for i, n in ids.items() if n > 1] == []
        assert all(ids[target] == 1 for target in labels)
        for name in ("pay_method", "pay_amount", "card_last4", "reference"):
            assert sum(1 for target in labels if target.endswith(name)) == 4  # one per form
