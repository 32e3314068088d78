"""Hooks the clinical record calls, filled at start-up by the apps above it (clients may not import them).

After a change: every change to a client's record (intake, conditions, medical context) must re-run the safety check in the
same transaction, yet screening sits above clients and clients may not import it. So screening registers its
check here (ScreeningConfig.ready) and the record's services call whatever is registered. No registered check
is a configuration error, never a silent skip: the change would otherwise go unchecked.

Record sections: the client's record as the API returns it (selectors.client_record) includes the open safety
flags and the latest screenings; screening registers the function that adds them. Without it the record is
refused too: a record shown without its safety flags would look safe.
"""

from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from nervecare.clients.models import Client
from nervecare.core.models import User


class RecordChangedHook(Protocol):
    def __call__(
        self, *, actor: User | None, client: Client, request: HttpRequest | None = None
    ) -> object: ...


_record_changed: list[RecordChangedHook] = []


def on_record_changed(hook: RecordChangedHook) -> RecordChangedHook:
    """Register a hook run after every change to a client's record (idempotent: once per function)."""
    if hook not in _record_changed:
        _record_changed.append(hook)
    return hook


def record_changed(*, actor: User | None, client: Client, request: HttpRequest | None = None) -> None:
    """Run the registered hooks (the safety check) in the caller's transaction; refuse if there is none."""
    if not _record_changed:
        raise ImproperlyConfigured(
            "No safety check is registered for changes to the clinical record (nervecare.screening missing "
            "from INSTALLED_APPS?)."
        )
    for hook in _record_changed:
        hook(actor=actor, client=client, request=request)


class RecordSection(Protocol):
    def __call__(self, client: Client) -> dict[str, Any]: ...


_record_sections: list[RecordSection] = []


def add_record_section(section: RecordSection) -> RecordSection:
    """Register a function adding keys to a client's record (idempotent: once per function)."""
    if section not in _record_sections:
        _record_sections.append(section)
    return section


def record_sections(client: Client) -> dict[str, Any]:
    """The keys the registered sections add to the client's record; refuse if there is none."""
    if not _record_sections:
        raise ImproperlyConfigured(
            "No section adds the safety flags to the clinical record (nervecare.screening missing from "
            "INSTALLED_APPS?)."
        )
    out: dict[str, Any] = {}
    for section in _record_sections:
        out.update(section(client))
    return out
