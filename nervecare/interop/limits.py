"""How much work one referral import may ask for: bounds checked before anything is validated or stored.

A referral is one Patient with a handful of Conditions and ratings; each entry costs queries and a savepoint,
so an unbounded Bundle holds a worker for minutes. The body is refused by its declared size (413) before it
is read; once parsed (json's C parser, with the body already bounded), one iterative walk checks nesting,
string lengths, list lengths and the entries per resource type (422 naming what was too many), before the
referral is looked at.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings

# Bytes of the request body; the setting NERVECARE_FHIR_MAX_BODY (an environment variable) may change it.
MAX_BODY_BYTES = 1_000_000
MAX_ENTRIES = 100  # entries per Bundle
MAX_PER_TYPE = {"Patient": 1, "Condition": 20, "Observation": 50}
MAX_OTHER_PER_TYPE = 20  # any other resource type (reported as not imported)
MAX_DEPTH = 20  # nested objects and lists; a real referral needs about 10 (extension in extension)
MAX_STRING = 10_000  # characters of any one string (key or value)
MAX_LIST = 200  # items of any list other than Bundle.entry


class LimitError(Exception):
    """A body that asks for too much work: `status` 413 (size) or 422 (structure), `expression` where."""

    def __init__(self, status: int, message: str, expression: str = "Bundle"):
        self.status, self.expression = status, expression
        super().__init__(message)


def max_body_bytes() -> int:
    return int(getattr(settings, "NERVECARE_FHIR_MAX_BODY", MAX_BODY_BYTES))


def check_declared_size(content_length: str | None) -> None:
    """413 when the declared body is larger than the limit (checked before the body is read)."""
    try:
        size = int(content_length or 0)
    except ValueError:
        size = 0
    limit = max_body_bytes()
    if size > limit:
        raise LimitError(413, f"The Bundle is {size} bytes; at most {limit} bytes are accepted per request.")


def check_body_size(body: bytes) -> None:
    """413 for a body larger than the limit whatever its header said (a chunked request declares none)."""
    check_declared_size(str(len(body)))


def _path(path: tuple[Any, ...]) -> str:
    out = "Bundle"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def check_structure(data: Any) -> None:
    """422 naming the first limit the parsed body goes beyond. Iterative (a deep body cannot overflow the
    stack) and it stops at the first breach, so its cost is bounded by the already bounded body."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise LimitError(
                422, f"The Bundle is nested more than {MAX_DEPTH} levels deep.", _path(path[:MAX_DEPTH])
            )
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise LimitError(422, f"A text is longer than {MAX_STRING} characters.", _path(path))
        elif isinstance(value, dict):
            for key, item in value.items():
                if len(key) > MAX_STRING:
                    raise LimitError(422, f"A name is longer than {MAX_STRING} characters.", _path(path))
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            is_entry_list = path == ("entry",)
            if not is_entry_list and len(value) > MAX_LIST:
                raise LimitError(422, f"A list has more than {MAX_LIST} items.", _path(path))
            stack.extend((item, (*path, i)) for i, item in enumerate(value))
    _check_entries(data)


def _check_entries(data: Any) -> None:
    entries = data.get("entry") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return  # not a Bundle with entries: the import says what is wrong with it
    if len(entries) > MAX_ENTRIES:
        raise LimitError(
            422,
            f"Too many entries: the Bundle has {len(entries)}; at most {MAX_ENTRIES} per referral.",
            "Bundle.entry",
        )
    kinds = Counter(
        e["resource"].get("resourceType")
        for e in entries
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    )
    for kind, count in sorted(kinds.items(), key=lambda kv: str(kv[0])):
        if not isinstance(kind, str):
            continue
        limit = MAX_PER_TYPE.get(kind, MAX_OTHER_PER_TYPE)
        if count > limit and kind != "Patient":  # the import itself explains "exactly one Patient"
            raise LimitError(
                422,
                f"Too many {kind} resources: the Bundle has {count}; at most {limit} per referral.",
                "Bundle.entry",
            )
