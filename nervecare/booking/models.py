"""A new client's request from the public booking page: the held appointment, and the secret link that
confirms it (only its SHA-256 is stored)."""

from django.db import models

from nervecare.clients.models import Client
from nervecare.core.models import Clinic
from nervecare.scheduling.models import Appointment


class OnlineBooking(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="online_bookings")
    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="online_booking")
    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="online_booking")
    # SHA-256 of the confirmation link's secret: the link itself is only in the e-mail.
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The link works until then; the time itself is held only until appointment.hold_expires_at.
    confirm_by = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The e-mail address is one an existing client of the clinic already uses: for the staff to check (never
    # shown on the public page, which answers the same either way).
    may_be_existing_client = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "awaiting confirmation"
        return f"Online booking {self.pk} ({state})"
