"""The measures behind the article's claims (issue 21), as data: screening/data/measures.yaml.

Each measure says where it is asked (intake questionnaire, diary, session note, the therapist's physical
measurement), for whom (`applies_when`, matched against facts of the client's record), its scale, and the
published numbers that give it meaning (a cut-off, the normal ranges of joint movements), each with a source.
Where no clinically important change is published the definition says so, and the ledger shows raw change only.
"""

from __future__ import annotations

import operator
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from nervecare.clients import bodymap
from nervecare.clients.models import BodyMap, BodyMapMark, Client, Condition, MedicalContext
from nervecare.core.vocab import load_yaml
from nervecare.screening.instruments import all_definitions

MEASURES_FILE = "screening/data/measures.yaml"
RULE_KEYS = ("always", "comorbidity", "symptom", "sensation", "limb", "condition_type", "goal_words")
OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


class Cutoff(BaseModel):
    op: Literal[">=", ">", "<=", "<"]
    value: Decimal
    label: str
    source: str

    def met(self, value: float | Decimal) -> bool:
        return bool(OPERATORS[self.op](Decimal(str(value)), self.value))


class Movement(BaseModel):
    joint: str
    movement: str
    title: str
    normal_min: int
    normal_max: int
    limb: Literal["leg", "arm"]


class Measure(BaseModel):
    code: str = ""
    title: str
    plain: str
    unit: str
    min: Decimal
    max: Decimal
    decimals: int = 0
    better: Literal["lower", "higher"]
    asked_in: dict[str, Any]
    how: str
    applies_when: list[dict[str, Any]] = Field(default_factory=list)
    important_change: dict[str, Any] | None = None
    important_change_note: str = ""
    cutoff: Cutoff | None = None
    method_source: str = ""
    counts_only: bool = False
    normal_ranges_source: str = ""
    movements: dict[str, Movement] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Measure:
        for rule in self.applies_when:
            unknown = set(rule) - set(RULE_KEYS)
            if unknown or len(rule) != 1:
                raise ValueError(f"{self.code}: a rule is one of {RULE_KEYS}, got {sorted(rule)}")
        if self.important_change is None and not self.important_change_note:
            raise ValueError(f"{self.code}: say why there is no clinically important change")
        return self

    @property
    def instruments(self) -> list[str]:
        return [v for k, v in self.asked_in.items() if k.endswith("_instrument")]

    @property
    def diary_field(self) -> str | None:
        return self.asked_in.get("diary")

    @property
    def note_fields(self) -> list[str]:
        return list(self.asked_in.get("note") or [])


class NotMeasurable(BaseModel):
    code: str = ""
    title: str
    reason: str


class MeasureCatalogue(BaseModel):
    version: str
    measures: dict[str, Measure]
    not_measurable: dict[str, NotMeasurable]

    @model_validator(mode="after")
    def _codes(self) -> MeasureCatalogue:
        known = all_definitions()
        for code, m in self.measures.items():
            m.code = code
            for instrument in m.instruments:
                if instrument not in known:
                    raise ValueError(f"{code}: unknown instrument {instrument!r}")
        for code, n in self.not_measurable.items():
            n.code = code
        return self


@cache
def catalogue() -> MeasureCatalogue:
    return MeasureCatalogue.model_validate(load_yaml(MEASURES_FILE))


def measure(code: str) -> Measure:
    return catalogue().measures[code]


def client_facts(client: Client) -> dict[str, set[str]]:
    """The facts of a client's record that the `applies_when` rules read (4 queries)."""
    medical = MedicalContext.objects.filter(client=client).values_list("comorbidities", flat=True).first()
    comorbidities = {str(c).strip().lower().replace(" ", "_") for c in (medical or []) if isinstance(c, str)}
    symptoms: set[str] = set()
    types: set[str] = set()
    for row in Condition.objects.filter(client=client).values("type", *Condition.SYMPTOMS):
        types.add(row["type"])
        symptoms |= {s for s in Condition.SYMPTOMS if (row[s] or 0) >= 1}
    latest = (
        BodyMap.objects.filter(client=client).order_by("-recorded_at", "-id").values_list("id", flat=True)
    )
    marks = list(BodyMapMark.objects.filter(body_map_id__in=latest[:1]).values_list("region", "sensation"))
    regions = bodymap.regions()
    return {
        "comorbidity": comorbidities,
        "symptom": symptoms,
        "sensation": {s for _, s in marks},
        "limb": {regions[r]["limb"] for r, _ in marks if r in regions},
        "condition_type": types,
        "goals": {(client.goals or "").lower()},
    }


def applies(m: Measure, facts: dict[str, set[str]]) -> bool:
    """Whether a measure concerns a client with these facts: any rule holds (no rules: everyone)."""
    if not m.applies_when:
        return True
    for rule in m.applies_when:
        key, wanted = next(iter(rule.items()))
        if key == "always" and wanted:
            return True
        if key == "goal_words":
            text = next(iter(facts.get("goals") or {""}))
            if any(str(w).lower() in text for w in wanted):
                return True
        elif {str(w).lower() for w in wanted} & facts.get(key, set()):
            return True
    return False


def applicable_measures(client: Client, facts: dict[str, set[str]] | None = None) -> list[Measure]:
    """The measures asked of this client, in the catalogue's order."""
    facts = client_facts(client) if facts is None else facts
    return [m for m in catalogue().measures.values() if applies(m, facts)]


def applicable_diary_fields(client: Client, facts: dict[str, set[str]] | None = None) -> list[str]:
    return [m.diary_field for m in applicable_measures(client, facts) if m.diary_field]


def applicable_instruments(client: Client, key: str = "intake_instrument") -> list[str]:
    return [m.asked_in[key] for m in applicable_measures(client) if key in m.asked_in]


def applicable_movements(client: Client, facts: dict[str, set[str]] | None = None) -> dict[str, Movement]:
    """The goniometer movements the therapist measures: ankles when the legs are involved, wrists for the
    arms; both when the client's rule matched on goals alone."""
    facts = client_facts(client) if facts is None else facts
    rom = measure("rom")
    if not applies(rom, facts):
        return {}
    limbs = facts.get("limb", set()) & {"leg", "arm"}
    return {code: mv for code, mv in rom.movements.items() if not limbs or mv.limb in limbs}


def measure_applies(client: Client, code: str) -> bool:
    """Whether one measure is asked of this client."""
    return applies(measure(code), client_facts(client))
