"""PDF documents: the invoice (or credit note), the receipt, and the superbill. ReportLab through the reports'
building blocks (outcomes/reports/pdf.py: fonts with full Unicode, paragraphs, tables), on a page of our own."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from nervecare.billing.money import fmt
from nervecare.outcomes.reports.pdf import PAGE_WIDTH, paragraph, table


@cache
def _right_styles() -> tuple[ParagraphStyle, ParagraphStyle]:
    """Amounts are right-aligned (digits line up under each other); a total is bold too."""
    cell = paragraph("", "cell").style
    bold_font = paragraph("", "title").style.fontName
    right = ParagraphStyle("nc-cell-right", parent=cell, alignment=TA_RIGHT)
    return right, ParagraphStyle("nc-cell-right-bold", parent=right, fontName=bold_font)


def amount(text: Any, *, bold: bool = False) -> Paragraph:
    """A table cell holding an amount: right-aligned."""
    return Paragraph(escape(str(text)), _right_styles()[1 if bold else 0])


def _totals(rows: list[tuple[str, str]], strong: tuple[str, ...], value_width: float) -> Table:
    """Totals under a table of lines: labels and amounts right-aligned, the amounts in a column as wide as the
    lines' last column so they stand under it; the strong rows (total, balance) bold with a rule above."""
    data = [
        [amount(label, bold=label in strong), amount(value, bold=label in strong)] for label, value in rows
    ]
    out = Table(data, colWidths=[PAGE_WIDTH - value_width, value_width], hAlign="LEFT")
    style: list[Any] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    for i, (label, _value) in enumerate(rows):
        if label in strong:
            style.append(("LINEABOVE", (0, i), (-1, i), 0.6, colors.HexColor("#5b6776")))
    out.setStyle(TableStyle(style))
    return out


def _footer(text: str) -> Any:
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#5b6776"))
        canvas.drawString(18 * mm, 10 * mm, text)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"page {doc.page}")
        canvas.restoreState()

    return draw


def _build(story: list[Any], *, title: str, author: str, footer: str) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=author,
        subject=title,
    )
    doc.build(story, onFirstPage=_footer(footer), onLaterPages=_footer(footer))
    return buf.getvalue()


def _clinic_block(clinic: Any, settings: Any) -> list[Any]:
    out = [paragraph(clinic.name, "h2")]
    for text in (clinic.address, clinic.phone, clinic.email):
        if text:
            out.append(paragraph(text, "small"))
    if settings.tax_id:
        out.append(paragraph(f"Tax id: {settings.tax_id}", "small"))
    return out


def _client_name(client: Any) -> str:
    return f"{client.first_name} {client.last_name}"


def invoice_pdf(detail: dict[str, Any], settings: Any) -> bytes:
    """The invoice or credit note: clinic, client, number and date, lines, totals, payments, balance."""
    inv = detail["invoice"]
    cur = inv.currency
    title = ("Credit note " if inv.kind == "credit_note" else "Invoice ") + inv.display_number
    story: list[Any] = [paragraph(title, "title")]
    if inv.status == "void":
        story.append(paragraph(f"VOID — {inv.void_reason}", "caveat"))
    story += _clinic_block(inv.clinic, settings)
    story.append(Spacer(1, 4 * mm))
    story.append(paragraph(f"Billed to: {_client_name(inv.client)}"))
    story.append(paragraph(f"Issued: {inv.issued_at:%d %B %Y}"))
    if inv.credits_id:
        story.append(paragraph(f"Credits invoice {inv.credits.display_number}"))
    story.append(Spacer(1, 4 * mm))
    rows: list[list[Any]] = [["#", "Description", "Qty", "Unit price", "Discount", inv.tax_label, "Total"]]
    for line in detail["lines"]:
        desc = line.description + (f" (discount: {line.discount_reason})" if line.discount else "")
        rows.append(
            [
                line.position,
                desc,
                amount(line.quantity),
                amount(fmt(line.unit_price, cur)),
                amount(fmt(line.discount, cur) if line.discount else ""),
                amount(fmt(line.tax, cur)),
                amount(fmt(line.total, cur)),
            ]
        )
    rows[0][2:] = [amount(h) for h in rows[0][2:]]
    w = PAGE_WIDTH
    story.append(table(rows, [0.05 * w, 0.39 * w, 0.06 * w, 0.13 * w, 0.12 * w, 0.11 * w, 0.14 * w]))
    totals = [
        ("Subtotal", fmt(inv.subtotal, cur)),
        ("Discounts", fmt(-inv.discount_total, cur)),
        (f"{inv.tax_label} ({inv.tax_rate}%)", fmt(inv.tax_total, cur)),
        ("Total", fmt(inv.total, cur)),
    ]
    if inv.kind == "invoice":
        totals += [
            ("Credited", fmt(-detail["credited"], cur)),
            ("Paid", fmt(-detail["paid"], cur)),
            ("Balance due", fmt(detail["balance"], cur)),
        ]
    story.append(_totals(totals, ("Total", "Balance due"), 0.14 * w))
    story += _payments(detail["payments"], cur)
    if inv.note:
        story.append(paragraph(inv.note, "small"))
    return _build(story, title=title, author=inv.clinic.name, footer=f"{inv.clinic.name} · {title}")


def _payments(payments: list[Any], cur: str) -> list[Any]:
    if not payments:
        return []
    rows: list[list[Any]] = [["Date", "Method", "Amount", "Note"]]
    for p in payments:
        method = p.get_method_display() + (f" ····{p.card_last4}" if p.card_last4 else "")
        signed = -p.amount if p.kind == "refund" else p.amount
        note = f"Refund: {p.reason}" if p.kind == "refund" else p.reference
        rows.append([f"{p.received_at:%d %b %Y}", method, amount(fmt(signed, cur)), note])
    rows[0][2] = amount("Amount")
    w = PAGE_WIDTH
    return [paragraph("Payments", "h2"), table(rows, [0.16 * w, 0.3 * w, 0.16 * w, 0.38 * w])]


def receipt_pdf(detail: dict[str, Any], settings: Any) -> bytes:
    """A plain receipt (clinics outside the US, or any client who asks): what was paid, for what, when."""
    inv = detail["invoice"]
    cur = inv.currency
    title = f"Receipt for {inv.display_number}"
    story: list[Any] = [paragraph(title, "title"), *_clinic_block(inv.clinic, settings), Spacer(1, 4 * mm)]
    story.append(paragraph(f"Received from: {_client_name(inv.client)}"))
    story.append(paragraph(f"Date: {inv.issued_at:%d %B %Y}"))
    story.append(Spacer(1, 3 * mm))
    rows: list[list[Any]] = [["Item", amount("Amount")]]
    for line in detail["lines"]:
        rows.append([line.description, amount(fmt(line.total, cur))])
    story.append(table(rows, [0.8 * PAGE_WIDTH, 0.2 * PAGE_WIDTH]))
    story.append(
        _totals(
            [
                (f"Total (including {inv.tax_label} {fmt(inv.tax_total, cur)})", fmt(inv.total, cur)),
                ("Paid", fmt(detail["paid"], cur)),
                ("Balance", fmt(detail["balance"], cur)),
            ],
            ("Paid",),
            0.2 * PAGE_WIDTH,
        )
    )
    story += _payments(detail["payments"], cur)
    return _build(story, title=title, author=inv.clinic.name, footer=f"{inv.clinic.name} · {title}")


def superbill_pdf(bill: dict[str, Any]) -> bytes:
    """The superbill a client sends to an insurer or health savings account for reimbursement."""
    cur = bill["currency"]
    client = bill["client"]
    title = "Superbill"
    story: list[Any] = [paragraph(title, "title"), *_clinic_block(bill["clinic"], bill["settings"])]
    if bill["settings"].npi:
        story.append(paragraph(f"Clinic NPI: {bill['settings'].npi}", "small"))
    story.append(Spacer(1, 3 * mm))
    story.append(paragraph("Provider(s)", "h2"))
    prov_rows: list[list[Any]] = [["Name", "Licence", "NPI"]]
    for p in bill["providers"]:
        prov_rows.append([p["name"], p["licence"] or "—", p["npi"] or "—"])
    story.append(table(prov_rows, [0.4 * PAGE_WIDTH, 0.4 * PAGE_WIDTH, 0.2 * PAGE_WIDTH]))
    story.append(paragraph("Client", "h2"))
    dob = f", born {client.date_of_birth:%d %B %Y}" if getattr(client, "date_of_birth", None) else ""
    story.append(paragraph(f"{_client_name(client)}{dob}"))
    if client.address if hasattr(client, "address") else False:
        story.append(paragraph(client.address, "small"))
    period: tuple[datetime.date, datetime.date] = bill["period"]
    story.append(paragraph(f"Dates of service: {period[0]:%d %b %Y} to {period[1]:%d %b %Y}", "small"))
    story.append(paragraph("Diagnoses (ICD-10-CM)", "h2"))
    if bill["diagnoses"]:
        story.append(
            table(
                [["Code", "Diagnosis"], *[[c, label] for c, label in bill["diagnoses"]]],
                [0.2 * PAGE_WIDTH, 0.8 * PAGE_WIDTH],
            )
        )
    else:
        story.append(paragraph("No coded diagnosis on the client's record.", "small"))
    story.append(paragraph("Services", "h2"))
    rows: list[list[Any]] = [
        [
            "Date",
            "CPT",
            amount("Minutes"),
            amount("Units"),
            "Description",
            "Provider",
            amount("Charge"),
            amount("Paid"),
        ]
    ]
    for s in bill["services"]:
        rows.append(
            [
                f"{s['date']:%d %b %Y}",
                s["cpt"] or "—",
                amount(s["minutes"] or ""),
                amount(s["units"] or ""),
                s["description"],
                s["provider"],
                amount(fmt(s["charge"], cur)),
                amount(fmt(s["paid"], cur)),
            ]
        )
    w = PAGE_WIDTH
    story.append(table(rows, [0.12 * w, 0.07 * w, 0.08 * w, 0.06 * w, 0.3 * w, 0.13 * w, 0.12 * w, 0.12 * w]))
    total_charge: Decimal = bill["total_charges"]
    story.append(
        _totals(
            [
                ("Total charges", fmt(total_charge, cur)),
                ("Paid", fmt(bill["total_paid"], cur)),
                ("Balance", fmt(total_charge - bill["total_paid"], cur)),
            ],
            ("Balance",),
            0.12 * w,
        )
    )
    story.append(
        paragraph(
            "Units: 15-minute units by the 8-minute rule (" + bill["units_source"] + "). "
            "CPT is a registered trademark of the American Medical Association.",
            "small",
        )
    )
    return _build(story, title=title, author=bill["clinic"].name, footer=f"{bill['clinic'].name} · superbill")
