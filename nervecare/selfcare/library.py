"""The library of home self-care items (issue 18 point 1): data in selfcare/data/items.yaml, validated here.

`library()` reads and validates the file once (the app's ready() calls it, so a bad file stops start-up with
the reason). Contraindications name safety-flag codes: the rule ids of screening/data/safety_rules.yaml, the
same codes the open `SafetyFlag` rows carry; an unknown code is a bad file, never a silently ignored rule.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nervecare.core.vocab import PACKAGE_DIR

ITEMS_FILE = PACKAGE_DIR / "selfcare" / "data" / "items.yaml"
ILLUSTRATIONS_DIR = PACKAGE_DIR / "selfcare" / "static" / "selfcare" / "illustrations"
BODY_AREAS = ("feet", "legs", "hands", "whole")


class LibraryError(ValueError):
    """The items file is not valid: the message names the item and the field."""


class Illustration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str = Field(pattern=r"^[a-z0-9_]+\.svg$")
    alt: str = Field(min_length=3)
    licence: str = Field(min_length=2)
    author: str = Field(min_length=2)
    url: str = ""


class Contraindication(BaseModel):
    model_config = ConfigDict(extra="forbid")
    flag: str = Field(min_length=1)
    reason: str = Field(min_length=10)


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")
    title: str = Field(min_length=3, max_length=120)
    instructions: str = Field(min_length=20)
    illustration: Illustration
    days_per_week: int = Field(ge=1, le=7)
    times_per_day: int = Field(ge=1, le=10)
    minutes: int = Field(ge=1, le=120)
    body_areas: tuple[str, ...] = Field(min_length=1)
    contraindicated_by: tuple[Contraindication, ...] = ()
    evidence: str = Field(min_length=10)
    source: str = Field(min_length=10)

    @field_validator("body_areas")
    @classmethod
    def _areas(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [a for a in value if a not in BODY_AREAS]
        if unknown:
            raise ValueError(f"unknown body area(s) {unknown}; use {list(BODY_AREAS)}")
        return value

    @property
    def frequency(self) -> str:
        """The frequency in words ("every day, twice", "3 days a week")."""
        days = "every day" if self.days_per_week == 7 else f"{self.days_per_week} days a week"
        times = {1: "", 2: ", twice"}.get(self.times_per_day, f", {self.times_per_day} times")
        return f"{days}{times}"

    @property
    def illustration_path(self) -> str:
        """The static path of the illustration (for {% static %})."""
        return f"selfcare/illustrations/{self.illustration.file}"

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json") | {"frequency": self.frequency}


@dataclass(frozen=True)
class Library:
    version: str
    sha256: str
    items: dict[str, Item]

    def get(self, code: str) -> Item | None:
        return self.items.get(code)


def _flag_codes() -> frozenset[str]:
    # The safety rules are the one list of flag codes (screening sits below selfcare).
    from nervecare.screening.safety import ruleset

    return frozenset(rule.id for rule in ruleset().rules)


def parse(text: str, *, flag_codes: frozenset[str], illustrations: Path = ILLUSTRATIONS_DIR) -> Library:
    """Validate the text of an items file; LibraryError names the item and field of the first problems."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LibraryError(f"items.yaml is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list) or not raw.get("version"):
        raise LibraryError("items.yaml needs a 'version' and a list of 'items'")
    items: dict[str, Item] = {}
    problems: list[str] = []
    for index, entry in enumerate(raw["items"]):
        label = entry.get("code", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
        try:
            item = Item.model_validate(entry)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                problems.append(f"item {label}: {where}: {err['msg']}")
            continue
        if item.code in items:
            problems.append(f"item {label}: code: used twice")
        for c in item.contraindicated_by:
            if c.flag not in flag_codes:
                problems.append(f"item {label}: contraindicated_by.flag: unknown safety-flag code {c.flag!r}")
        if not (illustrations / item.illustration.file).is_file():
            problems.append(f"item {label}: illustration.file: {item.illustration.file} not found")
        items[item.code] = item
    if problems:
        raise LibraryError("items.yaml is not valid: " + "; ".join(problems))
    sha = hashlib.sha256(text.encode()).hexdigest()
    return Library(version=str(raw["version"]), sha256=sha, items=items)


@cache
def library() -> Library:
    """The validated library (read once per process)."""
    return parse(ITEMS_FILE.read_text(encoding="utf-8"), flag_codes=_flag_codes())


def item(code: str) -> Item | None:
    return library().get(code)
