"""Instrument definitions (versioned YAML data) and the generic engine that scores them.

An instrument is data: items with their published numbers as ids, answer options with their scores, the
scoring rule, the cut-offs with their sources. This module knows nothing about any one instrument.
"""

from __future__ import annotations

import operator
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from nervecare.core.vocab import PACKAGE_DIR, load_yaml

INSTRUMENT_DIR = "screening/data/instruments"

OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


class AnswerOption(BaseModel):
    value: str | int
    label: str
    score: Decimal


class Item(BaseModel):
    id: str
    text: str
    answers: str | None = None  # name of an answer set
    answer_type: Literal["choice", "integer"] = "choice"
    min: int | None = None
    max: int | None = None
    scored: bool = True
    note: str | None = None
    options: list[AnswerOption] = Field(default_factory=list)


class Cutoff(BaseModel):
    id: str
    label: str
    op: Literal[">=", ">", "<=", "<"]
    value: Decimal
    primary: bool = False
    confirmed: bool = True
    source: str


class Band(BaseModel):
    min: Decimal
    max: Decimal
    label: str


class Scoring(BaseModel):
    method: Literal["sum"]
    min: Decimal
    max: Decimal


class Section(BaseModel):
    id: str
    title: str
    items: list[str]


class InstrumentDefinition(BaseModel):
    code: str
    version: str
    title: str
    short_title: str
    kind: str
    respondent: Literal["client", "therapist"]
    family: str | None = None
    variant: str | None = None
    loinc: str | None = None
    citation: str
    licence: str
    notes: str = ""
    answer_sets: dict[str, list[AnswerOption]] = Field(default_factory=dict)
    sections: list[Section] = Field(default_factory=list)
    items: list[Item]
    scoring: Scoring
    cutoffs: list[Cutoff] = Field(default_factory=list)
    result_when_not_met: str | None = None
    bands: list[Band] = Field(default_factory=list)
    bands_source: str | None = None

    @model_validator(mode="after")
    def _resolve_answer_sets(self) -> InstrumentDefinition:
        ids = [item.id for item in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{self.code}: duplicate item ids")
        for item in self.items:
            if item.answer_type == "choice":
                if item.answers not in self.answer_sets:
                    raise ValueError(f"{self.code} item {item.id}: unknown answer set {item.answers!r}")
                item.options = self.answer_sets[item.answers]
            elif item.min is None or item.max is None:
                raise ValueError(f"{self.code} item {item.id}: integer items need min and max")
        if sum(1 for c in self.cutoffs if c.primary) > 1:
            raise ValueError(f"{self.code}: more than one primary cut-off")
        computed_max = sum(
            (max(o.score for o in i.options) if i.options else Decimal(i.max or 0))
            for i in self.items
            if i.scored
        )
        if computed_max != self.scoring.max:
            raise ValueError(
                f"{self.code}: items add up to {computed_max}, definition says max {self.scoring.max}"
            )
        return self


class ScoringError(ValueError):
    """Answers that cannot be scored. `errors` maps 'answers.<item id>' to the problem."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@cache
def all_definitions() -> dict[str, InstrumentDefinition]:
    """Every shipped instrument definition, keyed by code."""
    definitions = {}
    for path in sorted((PACKAGE_DIR / INSTRUMENT_DIR).glob("*.yaml")):
        definition = InstrumentDefinition.model_validate(load_yaml(f"{INSTRUMENT_DIR}/{path.name}"))
        if path.stem != definition.code:
            raise ValueError(f"{path.name}: file name must match code {definition.code!r}")
        definitions[definition.code] = definition
    return definitions


def get_definition(code: str) -> InstrumentDefinition:
    try:
        return all_definitions()[code]
    except KeyError:
        raise ScoringError({"instrument": f"unknown instrument {code!r}"}) from None


def _coerce_answer(item: Item, raw: Any) -> tuple[Any, Decimal] | str:
    """The stored answer value and its score, or an error message."""
    if item.answer_type == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            return f"must be a whole number from {item.min} to {item.max}"
        try:
            value = int(raw)
        except ValueError:
            return f"must be a whole number from {item.min} to {item.max}, got {raw!r}"
        if not item.min <= value <= item.max:  # type: ignore[operator]
            return f"{value} is out of range: must be from {item.min} to {item.max}"
        return value, Decimal(value)
    if not isinstance(raw, bool):  # true/false is not an answer: the options are named ("yes", "no", 1-7…)
        text = str(raw).strip().lower()
        for option in item.options:
            if text == str(option.value).lower():
                return option.value, option.score
    allowed = ", ".join(repr(o.value) for o in item.options)
    return f"{raw!r} is not an allowed answer; expected one of {allowed}"


def score(definition: InstrumentDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """Score a complete set of answers exactly as the definition says. Raises ScoringError otherwise."""
    if not isinstance(answers, dict):
        raise ScoringError({"answers": "must be an object mapping item ids to answers"})
    errors: dict[str, str] = {}
    known = {item.id for item in definition.items}
    for key in answers:
        if key not in known:
            errors[f"answers.{key}"] = f"not an item of {definition.code} v{definition.version}"
    clean: dict[str, Any] = {}
    item_scores: dict[str, str] = {}
    total = Decimal(0)
    for item in definition.items:
        if item.id not in answers or answers[item.id] in (None, ""):
            errors[f"answers.{item.id}"] = "missing answer"
            continue
        result = _coerce_answer(item, answers[item.id])
        if isinstance(result, str):
            errors[f"answers.{item.id}"] = result
            continue
        value, item_score = result
        clean[item.id] = value
        item_scores[item.id] = str(item_score) if item.scored else "not scored"
        if item.scored:
            total += item_score
    if errors:
        raise ScoringError(errors)
    return {
        "instrument": definition.code,
        "version": definition.version,
        "answers": clean,
        "item_scores": item_scores,
        "total": total,
        "max": definition.scoring.max,
        "interpretation": interpret(definition, total, clean),
    }


def interpret(definition: InstrumentDefinition, total: Decimal, answers: dict[str, Any]) -> dict[str, Any]:
    cutoffs = [
        {
            "id": c.id,
            "label": c.label,
            "rule": f"{c.op} {c.value}",
            "met": OPERATORS[c.op](total, c.value),
            "primary": c.primary,
            "confirmed": c.confirmed,
            "source": c.source,
        }
        for c in definition.cutoffs
    ]
    primary = next((c for c in cutoffs if c["primary"]), None)
    if primary is not None:
        summary = (
            primary["label"] if primary["met"] else (definition.result_when_not_met or "Cut-off not met")
        )
    else:
        summary = ""
    band = next((b.label for b in definition.bands if b.min <= total <= b.max), None)
    if band:
        summary = band
    if len(definition.items) == 1 and definition.items[0].options:
        chosen = next(
            o.label for o in definition.items[0].options if o.value == answers[definition.items[0].id]
        )
        summary = f"{chosen} — {summary}" if summary else chosen
    return {
        "summary": summary,
        "positive": primary["met"] if primary else None,
        "cutoffs": cutoffs,
        "band": band,
    }


def definition_file(code: str) -> str:
    return f"{INSTRUMENT_DIR}/{code}.yaml"
