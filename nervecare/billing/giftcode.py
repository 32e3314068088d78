"""Gift-card codes: made at random, typed back by people."""

import re
import secrets

# No 0/O, 1/I/L, 5/S, 8/B, 2/Z: a code read out over the phone or copied from paper is typed right.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def new_code() -> str:
    """XXXX-XXXX-XXXX, 12 random characters of 25 (about 55 bits): not guessable, easy to read."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(text: str) -> str:
    """What the desk typed, as stored: upper case, spaces and dashes ignored ("acde fghj-kmnp")."""
    raw = re.sub(r"[\s\-]", "", (text or "").upper())
    if len(raw) != 12:
        return raw
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
