"""Verifying a chain: walk its sealed events in order and name the first broken link."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nervecare.core.audit.chain import GENESIS, HASHED_FIELDS, event_hash, pending_count, seal
from nervecare.core.models import AuditEvent

if TYPE_CHECKING:
    pass


# --- verifying ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    chain: int
    seq: int
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    chain: int
    events: int
    head_seq: int
    head_hash: str
    broken: Break | None
    pending: int = 0  # events stored but not sealed yet (deferred sealing): not verified


def chains() -> list[int]:
    return sorted(AuditEvent.objects.order_by().values_list("chain", flat=True).distinct())


def verify_chain(chain: int) -> ChainReport:
    """Walk one chain's sealed events in seq order; stop at the first broken link. Pending events (not
    sealed yet) are counted, not verified: `verify` seals them first."""
    expected_seq, prev = 1, GENESIS
    rows = (
        AuditEvent.objects.filter(chain=chain, seq__isnull=False)
        .order_by("seq")
        .values("id", "hash", *HASHED_FIELDS)
        .iterator(chunk_size=5000)
    )
    count = 0
    for event in rows:
        count += 1
        problem = None
        if event["seq"] != expected_seq:
            problem = (
                f"expected seq {expected_seq}, found {event['seq']} (an event is missing or was re-numbered)"
            )
        elif event["prev_hash"] != prev:
            problem = (
                "prev_hash does not match the previous event's hash (an event was removed or re-ordered)"
            )
        elif event_hash(event) != event["hash"]:
            problem = "the event's content does not match its hash (it was changed)"
        if problem:
            return ChainReport(
                chain,
                count,
                expected_seq - 1,
                prev,
                Break(chain, event["seq"], event["id"], problem),
                pending_count(chain),
            )
        expected_seq, prev = event["seq"] + 1, event["hash"]
    return ChainReport(chain, count, expected_seq - 1, prev, None, pending_count(chain))


def verify(only: Iterable[int] | None = None, *, seal_first: bool = True) -> Iterator[ChainReport]:
    only = list(only) if only is not None else None
    if seal_first:
        seal(only=only)
    for chain in only if only is not None else chains():
        yield verify_chain(chain)


def expected_head_present(chain: int, seq: int, digest: str) -> bool:
    """A head recorded earlier (`nervecare audit head`) is still in the chain with the same hash."""
    return AuditEvent.objects.filter(chain=chain, seq=seq, hash=digest).exists()
