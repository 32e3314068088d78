"""Reads of the operations app for the pages."""

from typing import Any

from nervecare.clients.models import Client
from nervecare.core.models import User


def record_card_data(user: User, client: Client) -> dict[str, Any]:
    """The record page's card of the client's data (export, deletion): links only."""
    return {}
