"""A payment's gift card (migration 0003) is as fixed as its amount and method: the immutability triggers of
migration 0002 are re-made with `gift_card_id` among the columns that never change."""

from django.db import migrations

INVOICE_FIXED = ["number", "total", "subtotal", "tax_total", "discount_total", "tax_rate", "client_id",
                 "clinic_id", "currency", "kind", "issued_at", "credits_id"]
OLD_PAYMENT_FIXED = ["amount", "method", "kind", "invoice_id", "client_id", "clinic_id", "currency",
                     "card_last4", "received_at", "refund_of_id", "course_id"]
PAYMENT_FIXED = [*OLD_PAYMENT_FIXED, "gift_card_id"]
RAISE = "SELECT RAISE(ABORT, 'issued money records cannot be changed or deleted: void or credit them')"


def _row(prefix, columns):
    return "ROW(" + ", ".join(f"{prefix}.{c}" for c in columns) + ")"


def _sqlite(columns):
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    return [
        "DROP TRIGGER IF EXISTS billing_payment_no_change",
        f"""CREATE TRIGGER billing_payment_no_change BEFORE UPDATE ON billing_payment
            WHEN nervecare_audit_locked() AND ({changed}) BEGIN {RAISE}; END""",
    ]


def _postgres(columns):
    return [
        f"""CREATE OR REPLACE FUNCTION billing_money_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF coalesce(current_setting('nervecare.audit_maintenance', true), '') = 'on' THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END IF;
        IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'billing_invoice' THEN
            IF OLD.status = 'issued' AND {_row('NEW', INVOICE_FIXED)} IS NOT DISTINCT FROM {_row('OLD', INVOICE_FIXED)}
            THEN RETURN NEW; END IF;
        END IF;
        IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'billing_payment' THEN
            IF {_row('NEW', columns)} IS NOT DISTINCT FROM {_row('OLD', columns)} THEN RETURN NEW; END IF;
        END IF;
        RAISE EXCEPTION 'issued money records cannot be changed or deleted (% on %): void or credit them',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$"""
    ]


def _run(schema_editor, columns):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": _sqlite, "postgresql": _postgres}.get(vendor, lambda c: [])(columns):
        schema_editor.execute(sql, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, PAYMENT_FIXED)


def backward(apps, schema_editor):
    _run(schema_editor, OLD_PAYMENT_FIXED)


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_gift_cards_memberships_checkout_email")]
    operations = [migrations.RunPython(forward, backward)]
