"""Words a therapist or client understands, in place of the code's names (domain-free).

Two sources, both data:
- each app's `data/field_labels.yaml`: `fields:` maps a field name (as forms, services and the API name it) to
  its label, `values:` maps `kind -> {code: label}` for codes that have no vocabulary file of their own;
- vocabularies an app already keeps as data (instrument titles, qualifications, body regions) are registered by
  that app in its `ready()` with `register_values(kind, {...})`, so the label has one source.

Pages (the `label` and `field_label` filters in `core/templatetags/labels.py`), the JSON API's error bodies and
the PDFs all read from here. A code that no file names still never reaches the user raw: it is humanised
("pain_after" -> "Pain after"), and `nervecare/web/tests/test_plain_words.py` fails on any page that shows a
raw name, so a missing label is found by the suite.
"""

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.apps import apps

_registered: dict[str, dict[str, str]] = {}
_loaders: list[tuple[str, Callable[[], Mapping[str, str]]]] = []
_INDEX = re.compile(r"^(?P<name>[A-Za-z_]+)\[(?P<i>\d+)\]$")


@lru_cache(maxsize=1)
def _files() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    fields: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("nervecare."):
            continue
        path = Path(config.path) / "data" / "field_labels.yaml"
        if not path.exists():
            continue
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, text in (data.get("fields") or {}).items():
            fields.setdefault(str(name), str(text))
        for kind, mapping in (data.get("values") or {}).items():
            values.setdefault(str(kind), {}).update({str(k): str(v) for k, v in (mapping or {}).items()})
    return fields, values


def register_values(kind: str, mapping: Mapping[str, str] | Callable[[], Mapping[str, str]]) -> None:
    """An app's vocabulary (code -> label) for codes of `kind` (e.g. "instrument", "qualification"); a
    callable is read on first use, so registering in `ready()` reads no file at start-up."""
    if callable(mapping):
        _loaders.append((kind, mapping))
        return
    _registered.setdefault(kind, {}).update({str(k): str(v) for k, v in mapping.items()})


def _load_registered() -> None:
    while _loaders:
        kind, loader = _loaders.pop(0)
        register_values(kind, loader())


def humanize(code: str) -> str:
    """The last resort: "pain_after" -> "Pain after", "right.appearance" -> "Right appearance"."""
    words = re.sub(r"[._]+", " ", str(code)).strip()
    return words[:1].upper() + words[1:] if words else str(code)


def label(code: Any, kind: str = "") -> str:
    """The user's word for a code: of `kind` when given, else any field or value of that name."""
    if code is None or code == "":
        return ""
    key = str(code)
    _load_registered()
    _fields, values = _files()
    kinds = [kind] if kind else [*_registered, *values]
    for k in kinds:
        found = _registered.get(k, {}).get(key) or values.get(k, {}).get(key)
        if found:
            return found
    if not kind and key in _fields:
        return _fields[key]
    return humanize(key)


def field_label(path: str) -> str:
    """A field path as services and the API name it, in the user's words: "starts_at" -> "Start",
    "changes.pain_after" -> "Pain after", "marks[2].side" -> "Row 3: side". The API keeps the path in `field`
    (for programs) and gives this as `label` (for people)."""
    if not path or path == "__all__":
        return ""
    fields, _values = _files()
    if path in fields:
        return fields[path]
    row = ""
    words = ""
    parts = [p for p in path.split(".") if p]
    for part in parts:
        m = _INDEX.match(part)
        if m:
            row = f"{fields.get(m['name'] + '[]', 'Row')} {int(m['i']) + 1}"
    last = _INDEX.sub(r"\g<name>", parts[-1]) if parts else path
    plain = re.sub(r"\[\d+\]", "", path)
    words = fields.get(plain) or fields.get(last) or label(last)
    if last.isdigit() and len(parts) > 1:  # an item of a keyed list: "answers.3" -> "Answers 3"
        words = f"{field_label('.'.join(parts[:-1]))} {last}"
    if row and not _INDEX.match(parts[-1]):
        return f"{row}: {words[:1].lower() + words[1:]}"
    return row or words


def message_with_label(path: str, message: str) -> str:
    """ "Start: must be in the future" for a message that does not already name its field."""
    name = field_label(path)
    if not name or message.lower().startswith(name.lower()):
        return message
    return f"{name}: {message}"


_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def plain_text(text: str) -> str:
    """Stored free text that names codes (an audit event's summary): each snake_case code by its label."""
    return _CODE.sub(lambda m: label(m.group(0)), str(text or ""))


def model_label(object_type: str) -> str:
    """ "clients.client" -> "Client", "visits.sessionnote" -> "Session note" (the model's verbose name)."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return humanize(object_type.rpartition(".")[2])
    return str(model._meta.verbose_name).capitalize()


def change_lines(changes: Any) -> list[str]:
    """What an audit event changed, one readable line per field: "Pain after the session: 3 → 2"."""
    if not isinstance(changes, dict):
        return [plain_text(str(changes))]
    lines = []
    for key, value in changes.items():
        if isinstance(value, list | tuple) and len(value) == 2:
            old, new = ("—" if v in (None, "") else plain_text(str(v)) for v in value)
            lines.append(f"{field_label(str(key))}: {old} → {new}")
        else:
            lines.append(f"{field_label(str(key))}: {plain_text(str(value))}")
    return lines


def record_type_choices() -> list[tuple[str, str]]:
    """Every NerveCare record type as (stored "app.model", its name), for choosing one on a page."""
    choices = [
        (model._meta.label_lower, str(model._meta.verbose_name).capitalize())
        for model in apps.get_models()
        if model.__module__.startswith("nervecare.")
    ]
    return sorted(choices, key=lambda c: c[1])
