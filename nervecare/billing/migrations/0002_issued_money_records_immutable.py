"""Issued invoices, their lines and payments are never edited or deleted, whoever asks: database triggers
refuse it (the models refuse too; this is the last word). Voiding an issued invoice (status and the void
fields, once) and an online payment's status are the only changes let through. `flush` (tests, development)
uses the audit trail's maintenance switch (core.audit.maintenance), which lets these through as well."""

from django.db import migrations

INVOICE_FIXED = ["number", "total", "subtotal", "tax_total", "discount_total", "tax_rate", "client_id",
                 "clinic_id", "currency", "kind", "issued_at", "credits_id"]
PAYMENT_FIXED = ["amount", "method", "kind", "invoice_id", "client_id", "clinic_id", "currency", "card_last4",
                 "received_at", "refund_of_id", "course_id"]


def _changed_sqlite(columns):
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


def _row(prefix, columns):
    return "ROW(" + ", ".join(f"{prefix}.{c}" for c in columns) + ")"


RAISE = "SELECT RAISE(ABORT, 'issued money records cannot be changed or deleted: void or credit them')"
SQLITE = [
    f"""CREATE TRIGGER billing_invoice_no_delete BEFORE DELETE ON billing_invoice
        WHEN nervecare_audit_locked() BEGIN {RAISE}; END""",
    f"""CREATE TRIGGER billing_invoice_no_change BEFORE UPDATE ON billing_invoice
        WHEN nervecare_audit_locked() AND (OLD.status <> 'issued' OR {_changed_sqlite(INVOICE_FIXED)})
        BEGIN {RAISE}; END""",
    f"""CREATE TRIGGER billing_invoiceline_no_delete BEFORE DELETE ON billing_invoiceline
        WHEN nervecare_audit_locked() BEGIN {RAISE}; END""",
    f"""CREATE TRIGGER billing_invoiceline_no_change BEFORE UPDATE ON billing_invoiceline
        WHEN nervecare_audit_locked() BEGIN {RAISE}; END""",
    f"""CREATE TRIGGER billing_payment_no_delete BEFORE DELETE ON billing_payment
        WHEN nervecare_audit_locked() BEGIN {RAISE}; END""",
    f"""CREATE TRIGGER billing_payment_no_change BEFORE UPDATE ON billing_payment
        WHEN nervecare_audit_locked() AND ({_changed_sqlite(PAYMENT_FIXED)}) BEGIN {RAISE}; END""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS billing_{t}"
    for t in ("invoice_no_delete", "invoice_no_change", "invoiceline_no_delete", "invoiceline_no_change",
              "payment_no_delete", "payment_no_change")
]
POSTGRES = [
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
            IF {_row('NEW', PAYMENT_FIXED)} IS NOT DISTINCT FROM {_row('OLD', PAYMENT_FIXED)} THEN RETURN NEW; END IF;
        END IF;
        RAISE EXCEPTION 'issued money records cannot be changed or deleted (% on %): void or credit them',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$""",
    *[
        f"""CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION billing_money_immutable()"""
        for table in ("billing_invoice", "billing_invoiceline", "billing_payment")
    ],
]
POSTGRES_DROP = [
    *[f"DROP TRIGGER IF EXISTS {t}_immutable ON {t}" for t in ("billing_invoice", "billing_invoiceline", "billing_payment")],
    "DROP FUNCTION IF EXISTS billing_money_immutable()",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql, params=None)


def add(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor, []))


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(vendor, []))


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_prices_invoices_payments_courses_fees")]
    operations = [migrations.RunPython(add, drop)]
