"""Where a trial's ratings come from, filled at start-up by the app that keeps them.

The diary (the client's daily 0-10 ratings) belongs to the portal, which sits above trials in the layers
(pyproject's [tool.importlinter]); the portal registers a reader here (PortalConfig.ready) and the trials read
through it. No registered reader is a configuration error, never an empty trial.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured

from nervecare.clients.models import Client


class RatingsReader(Protocol):
    def __call__(
        self, *, client: Client, measure: str, first: dt.date, last: dt.date
    ) -> dict[dt.date, int]: ...


_readers: list[RatingsReader] = []


def register_ratings_reader(reader: RatingsReader) -> RatingsReader:
    """Register the function giving a client's daily ratings of one measure, {day: 0-10}, first..last."""
    if reader not in _readers:
        _readers.append(reader)
    return reader


def daily_ratings(*, client: Client, measure: str, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    if not _readers:
        raise ImproperlyConfigured("No diary ratings reader is registered (nervecare.portal registers it).")
    out: dict[dt.date, int] = {}
    for reader in _readers:
        out.update(reader(client=client, measure=measure, first=first, last=last))
    return out
