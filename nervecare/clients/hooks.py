"""Hooks the clinical record calls, filled at start-up by the apps above it (clients may not import them).

After a change: every change to a client's record (intake, conditions, medical context) must re-run the safety check in the
same transaction, yet screening sits above clients and clients may not import it. So screening registers its
check here (ScreeningConfig.ready) and the record's services call whatever is registered. No registered check
is a configuration error, never a silent skip: the change would otherwise go unchecked.

Record sections: the client's record as the API returns it (selectors.client_record) includes the open safety
flags and the latest screenings; screening registers the function that adds them. Without it the record is
refused too: a record shown without its safety flags would look safe.

Record page cards: the client's record page (clients.views.client_detail) shows a card per part of the record;
the apps above clients (screening, plans, scheduling, visits, outcomes, portal, ops) each register theirs,
a template and the selector that gives its context, so the page needs no import upward. Without the safety
flags card the page is refused, as above.

List filters: the client list filters by data of the apps above (the plan's status); each registers its filter.

Client registered: the front desk registers a new client with contact details only; the portal registers
what follows (the invitation to complete the intake before the first visit). A hook returns a sentence for the
desk (what was sent, or why nothing could be), or None.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from nervecare.clients.models import BodyMap, Client, Condition, Consent, MedicalContext
from nervecare.core.models import User


@dataclass
class FreshRecord:
    """A record its creator has just written, in the transaction still open (the intake, issue 20).

    Nobody else can see or change the rows yet, and the creator holds every one of them: the hooks and the
    record read them from here instead of reading them back. `sections` is what the hooks add to the record
    for it (screening: the open flags it just raised, and no screenings yet)."""

    conditions: list[Condition]
    medical: MedicalContext | None
    body_map: BodyMap | None
    consents: list[Consent]
    sections: dict[str, Any] = field(default_factory=dict)


class RecordChangedHook(Protocol):
    def __call__(self, *, actor: User | None, client: Client, fresh: FreshRecord | None = None) -> object: ...


_record_changed: list[RecordChangedHook] = []


def on_record_changed(hook: RecordChangedHook) -> RecordChangedHook:
    """Register a hook run after every change to a client's record (idempotent: once per function)."""
    if hook not in _record_changed:
        _record_changed.append(hook)
    return hook


def record_changed(*, actor: User | None, client: Client, fresh: FreshRecord | None = None) -> None:
    """Run the registered hooks (the safety check) in the caller's transaction; refuse if there is none.

    `fresh`: the record was created in this transaction and these are all its rows (see FreshRecord)."""
    if not _record_changed:
        raise ImproperlyConfigured(
            "No safety check is registered for changes to the clinical record (nervecare.screening missing "
            "from INSTALLED_APPS?)."
        )
    for hook in _record_changed:
        hook(actor=actor, client=client, fresh=fresh)


class RecordSection(Protocol):
    def __call__(self, client: Client, fresh: FreshRecord | None = None) -> dict[str, Any]: ...


_record_sections: list[RecordSection] = []


def add_record_section(section: RecordSection) -> RecordSection:
    """Register a function adding keys to a client's record (idempotent: once per function)."""
    if section not in _record_sections:
        _record_sections.append(section)
    return section


def record_sections(client: Client, fresh: FreshRecord | None = None) -> dict[str, Any]:
    """The keys the registered sections add to the client's record; refuse if there is none."""
    if not _record_sections:
        raise ImproperlyConfigured(
            "No section adds the safety flags to the clinical record (nervecare.screening missing from "
            "INSTALLED_APPS?)."
        )
    out: dict[str, Any] = {}
    for section in _record_sections:
        out.update(section(client, fresh))
    return out


class CardContext(Protocol):
    def __call__(self, user: User, client: Client) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RecordCard:
    """One card of the client's record page: where it sits (lower first), its template, its selector."""

    name: str
    order: int
    template: str
    context: CardContext


_record_cards: dict[str, RecordCard] = {}

# The record page is refused without this card: a record shown without its safety flags would look safe.
REQUIRED_CARD = "safety_flags"


def add_record_card(card: RecordCard) -> RecordCard:
    """Register a card of the record page (idempotent: by name, the last registration wins)."""
    _record_cards[card.name] = card
    return card


def record_cards(user: User, client: Client) -> tuple[list[str], dict[str, Any]]:
    """The registered cards' templates in page order and the context their selectors give, merged.

    Two cards giving the same context key is a configuration error (one would silently hide the other)."""
    if REQUIRED_CARD not in _record_cards:
        raise ImproperlyConfigured(
            "No card shows the safety flags on the client's record page (nervecare.screening missing from "
            "INSTALLED_APPS?)."
        )
    cards = sorted(_record_cards.values(), key=lambda c: (c.order, c.name))
    context: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for card in cards:
        for key, value in card.context(user, client).items():
            if key in owner and owner[key] != card.name:
                raise ImproperlyConfigured(
                    f"Record page cards {owner[key]!r} and {card.name!r} both set {key!r}."
                )
            owner[key] = card.name
            context[key] = value
    return [c.template for c in cards], context


@dataclass(frozen=True)
class ListFilter:
    """A filter of the client list by data of an app above clients: its form field and how it narrows."""

    name: str
    field: Callable[[], forms.Field]
    apply: Callable[[QuerySet[Client], Any], QuerySet[Client]]


_list_filters: dict[str, ListFilter] = {}


def add_list_filter(list_filter: ListFilter) -> ListFilter:
    """Register a filter of the client list (idempotent: by name)."""
    _list_filters[list_filter.name] = list_filter
    return list_filter


def list_filters() -> list[ListFilter]:
    return list(_list_filters.values())


class ClientRegisteredHook(Protocol):
    def __call__(self, *, actor: User, client: Client) -> str | None: ...


_client_registered: list[ClientRegisteredHook] = []


def on_client_registered(hook: ClientRegisteredHook) -> ClientRegisteredHook:
    """Register a hook run after the front desk registers a client (idempotent: once per function)."""
    if hook not in _client_registered:
        _client_registered.append(hook)
    return hook


def client_registered(*, actor: User, client: Client) -> list[str]:
    """Run the registered hooks in the caller's transaction; the sentences they return, for the desk."""
    notes = []
    for hook in _client_registered:
        note = hook(actor=actor, client=client)
        if note:
            notes.append(note)
    return notes
