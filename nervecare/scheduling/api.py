"""API routes for availability, slots, appointments and series."""

from ninja import Router

router = Router(tags=["scheduling"])
