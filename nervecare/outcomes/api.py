"""API routes for outcomes and reports."""

from ninja import Router

router = Router(tags=["outcomes"])
