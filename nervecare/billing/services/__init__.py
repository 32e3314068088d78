"""Writes for money: prices and settings (`prices`), invoices at check-out, voids and credit notes
(`invoices`), payments and refunds (`payments`), courses (`courses`), fees (`fees`)."""
