"""API routes for session notes."""

from ninja import Router

router = Router(tags=["notes"])
