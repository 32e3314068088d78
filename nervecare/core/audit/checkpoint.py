"""Signed checkpoints of the audit chains' heads, kept outside the database.

A hash chain shows an event changed, removed or re-ordered inside the chain, but whoever can write the
table freely (the tables' owner: it can switch the trigger off) can delete the newest events, or rewrite one
and re-hash everything after it, and the shorter or re-sealed chain verifies again. So every
NERVECARE_AUDIT_CHECKPOINT_MINUTES the job queue (and `nervecare audit checkpoint`) appends each chain's head
- chain (the clinic's id), seq, hash, time - to a file outside the database
(NERVECARE_AUDIT_CHECKPOINT_FILE), each line signed with HMAC-SHA256 under a key that is not in the database
(NERVECARE_AUDIT_CHECKPOINT_KEY; unset: derived from SECRET_KEY). With NERVECARE_AUDIT_CHECKPOINT_EMAIL the
clinic's admins are sent their chain's new checkpoint too: a copy outside the server as well.

`nervecare audit verify` then checks the chain against every checkpoint: each line's signature, each
checkpointed seq still holding its hash, and no chain shorter than its newest checkpoint."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail

from nervecare.core.audit.chain import GENESIS, HASHED_FIELDS, chain_head, event_hash, seal
from nervecare.core.audit.verify import chains
from nervecare.core.models import AuditEvent, User

logger = logging.getLogger(__name__)

VERSION = 1
SIGNED_FIELDS = ("v", "chain", "seq", "hash", "at")


class CheckpointError(Exception):
    """The checkpoints cannot be written (the file) or the chain no longer matches them."""


@dataclass(frozen=True)
class Checkpoint:
    line: int
    chain: int
    seq: int
    hash: str
    at: str


def configured_path() -> Path | None:
    """The checkpoint file, or None when checkpoints are switched off (an empty setting)."""
    value = getattr(settings, "NERVECARE_AUDIT_CHECKPOINT_FILE", "")
    return Path(value) if value else None


def _key() -> bytes:
    key = getattr(settings, "NERVECARE_AUDIT_CHECKPOINT_KEY", "")
    if key:
        return key.encode()
    # A key of its own derived from SECRET_KEY (also not in the database); set the dedicated key so that
    # rotating SECRET_KEY leaves old checkpoints verifiable.
    return hmac.new(settings.SECRET_KEY.encode(), b"nervecare.audit.checkpoint", hashlib.sha256).digest()


def _signature(entry: dict) -> str:
    payload = json.dumps({f: entry[f] for f in SIGNED_FIELDS}, sort_keys=True, separators=(",", ":"))
    return hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()


def signed_line(*, chain: int, seq: int, digest: str, at: datetime.datetime) -> str:
    entry = {
        "v": VERSION,
        "chain": chain,
        "seq": seq,
        "hash": digest,
        "at": at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    entry["sig"] = _signature(entry)
    return json.dumps(entry, sort_keys=True, separators=(",", ":"))


def read(path: Path) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints whose signature holds, and a problem for every line that is not one."""
    good: list[Checkpoint] = []
    problems: list[str] = []
    with path.open(encoding="utf-8", errors="replace") as file:
        for number, text in enumerate(file, start=1):
            if not text.strip():
                continue
            try:
                entry = json.loads(text)
                ok = isinstance(entry, dict) and hmac.compare_digest(
                    str(entry.get("sig", "")), _signature(entry)
                )
                checkpoint = Checkpoint(
                    number, int(entry["chain"]), int(entry["seq"]), str(entry["hash"]), str(entry["at"])
                )
            except (ValueError, KeyError, TypeError):
                problems.append(f"{path} line {number}: not a checkpoint (the file was edited)")
                continue
            if not ok:
                problems.append(
                    f"{path} line {number}: the signature does not match (the line was edited or forged)"
                )
                continue
            good.append(checkpoint)
    return good, problems


def check(checkpoints: list[Checkpoint]) -> list[tuple[int, str]]:
    """(chain, problem) for what in the database no longer matches the checkpoints (none: all does)."""
    problems: list[tuple[int, str]] = []
    by_chain: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        by_chain.setdefault(checkpoint.chain, []).append(checkpoint)
    for chain, points in sorted(by_chain.items()):
        head_seq, _head_hash = chain_head(chain)
        newest = max(points, key=lambda p: p.seq)
        if head_seq < newest.seq:
            problems.append(
                (
                    chain,
                    f"chain {chain}: ends at seq {head_seq} but was checkpointed at seq {newest.seq} on "
                    f"{newest.at} (line {newest.line}): the newest events were removed",
                )
            )
        wanted = sorted({p.seq for p in points})
        stored: dict[int, str] = {}
        for start in range(0, len(wanted), 1000):
            stored.update(
                (seq, hash_)
                for seq, hash_ in AuditEvent.objects.filter(
                    chain=chain, seq__in=wanted[start : start + 1000]
                ).values_list("seq", "hash")
                if seq is not None
            )
        for point in points:
            found = stored.get(point.seq)
            if found is None and point.seq <= head_seq:
                problems.append(
                    (
                        chain,
                        f"chain {chain}: checkpointed seq {point.seq} (line {point.line}, {point.at}) is missing",
                    )
                )
            elif found is not None and found != point.hash:
                problems.append(
                    (
                        chain,
                        f"chain {chain}: seq {point.seq} no longer has the hash checkpointed on {point.at} "
                        f"(line {point.line}): events up to it were rewritten and the chain re-sealed",
                    )
                )
    return problems


def _last_per_chain(checkpoints: list[Checkpoint]) -> dict[int, Checkpoint]:
    last: dict[int, Checkpoint] = {}
    for checkpoint in checkpoints:
        if checkpoint.chain not in last or checkpoint.seq >= last[checkpoint.chain].seq:
            last[checkpoint.chain] = checkpoint
    return last


def _links_verify(chain: int, since: Checkpoint | None) -> str | None:
    """The chain's links after its last checkpoint (or from the start) hold: only a sound head is signed."""
    seq, prev = (since.seq, since.hash) if since else (0, GENESIS)
    rows = (
        AuditEvent.objects.filter(chain=chain, seq__gt=seq)
        .order_by("seq")
        .values("hash", *HASHED_FIELDS)
        .iterator(chunk_size=5000)
    )
    for row in rows:
        if row["seq"] != seq + 1 or row["prev_hash"] != prev or event_hash(row) != row["hash"]:
            return f"chain {chain}: broken at seq {row['seq']}; run `nervecare audit verify`"
        seq, prev = row["seq"], row["hash"]
    return None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # two job consumers at once write one after the other
        yield fd
    finally:
        os.close(fd)


def write(path: Path | None = None) -> list[str]:
    """Append a signed checkpoint of every chain whose head moved since its last one (sealing first).
    Returns the lines written. A chain that no longer matches its checkpoints is not checkpointed again:
    CheckpointError names it (the others are written)."""
    path = path or configured_path()
    if path is None:
        raise CheckpointError("audit checkpoints are switched off (NERVECARE_AUDIT_CHECKPOINT_FILE is empty)")
    seal()
    written: list[str] = []
    problems: list[str] = []
    with _locked(path) as fd:
        existing, bad_lines = read(path)
        problems += bad_lines
        last = _last_per_chain(existing)
        mismatches = check(existing)
        problems += [problem for _chain, problem in mismatches]
        mismatched = {chain for chain, _problem in mismatches}
        new_lines: dict[int, str] = {}
        for chain in chains():
            head_seq, head_hash = chain_head(chain)
            if chain in mismatched:
                continue  # never sign a chain that no longer matches its checkpoints
            if head_seq == 0 or (
                chain in last and (last[chain].seq, last[chain].hash) == (head_seq, head_hash)
            ):
                continue  # nothing new to sign
            problem = _links_verify(chain, last.get(chain))
            if problem:
                problems.append(problem)
                continue
            new_lines[chain] = signed_line(
                chain=chain, seq=head_seq, digest=head_hash, at=datetime.datetime.now(datetime.UTC)
            )
        if new_lines:
            os.write(fd, "".join(line + "\n" for line in new_lines.values()).encode())
            os.fsync(fd)
        written = list(new_lines.values())
    if getattr(settings, "NERVECARE_AUDIT_CHECKPOINT_EMAIL", False):
        _email_admins(new_lines)
    if problems:
        raise CheckpointError("\n".join(problems))
    return written


def _email_admins(lines: dict[int, str]) -> None:
    for chain, line in lines.items():
        to = list(
            User.objects.filter(clinic_id=chain, role=User.Role.ADMIN, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        if to:
            send_mail(
                "NerveCare audit trail checkpoint",
                "Keep this message: `nervecare audit verify --checkpoints FILE` checks the audit trail "
                f"against lines like this one.\n\n{line}\n",
                None,
                to,
            )


def verify(path: Path | None = None, *, only: list[int] | None = None) -> tuple[list[str], str]:
    """(problems, a one-line summary) of the database against the checkpoint file (`only`: these chains)."""
    path = path or configured_path()
    if path is None:
        return [], "audit checkpoints are switched off (NERVECARE_AUDIT_CHECKPOINT_FILE is empty)"
    if not path.exists():
        return [], f"no checkpoint file at {path} yet (`nervecare audit checkpoint` writes one)"
    checkpoints, problems = read(path)
    if only is not None:
        checkpoints = [c for c in checkpoints if c.chain in only]
    problems += [problem for _chain, problem in check(checkpoints)]
    return problems, f"{len(checkpoints)} signed checkpoints in {path} checked"
