"""Billing pages: the desk's money page, a client's account with check-out and the sales (course, gift card,
membership), an invoice with its payments (and, for admins, void, credit and refund), prices, membership plans,
gift cards, the books, a therapist's takings, and the superbill download (`desk`, `giftcards`, `memberships`)."""
