"""The medicine vocabulary (clients/data/medicines.yaml): which entries of a client's medicine list imply the
intake facts the safety rules read (on_anticoagulants, on_insulin_or_sulfonylurea, on_steroids).

A medicine is recognised by name or brand (the start of the entry: "Warfarin 5 mg daily") or by the class
written beside it; the record's box for the implied fact is kept ticked while the list implies it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from nervecare.core.vocab import load_yaml

DATA_FILE = "clients/data/medicines.yaml"


@dataclass(frozen=True)
class Recognised:
    entry: str  # the name as the record lists it
    medicine: str  # the vocabulary's name ("" when recognised by its class only)
    atc: str  # the ATC code ("" when recognised by its class only)
    klass: str  # the class code
    sets: str  # the intake fact it implies

    def describe(self) -> str:
        """'warfarin (anticoagulant, ATC B01AA03)' or 'Blood-thinner X (listed as anticoagulant)'."""
        label = _classes()[self.klass]["label"].lower()
        if self.atc:
            return f"{self.entry} ({label}, ATC {self.atc})"
        return f"{self.entry} (listed as {label})"


def _norm(text: Any) -> str:
    return " ".join(re.sub(r"[^\w\s()-]", " ", str(text or "").lower()).split())


@cache
def vocabulary() -> dict[str, Any]:
    return load_yaml(DATA_FILE)


@cache
def _classes() -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in vocabulary()["classes"]}


@cache
def _class_words() -> dict[str, str]:
    words = {}
    for code, c in _classes().items():
        words[code] = code
        for alias in c.get("aliases", []):
            words[_norm(alias)] = code
    return words


@cache
def _names() -> list[tuple[str, dict[str, Any]]]:
    """(spelling, medicine), longest spelling first so 'insulin glargine' wins over 'insulin'."""
    names = []
    for m in vocabulary()["medicines"]:
        for spelling in [m["name"], *m.get("aliases", [])]:
            names.append((_norm(spelling), m))
    return sorted(names, key=lambda pair: -len(pair[0]))


def recognise_one(name: str, klass: str = "") -> Recognised | None:
    entry = str(name or "").strip()
    text = _norm(entry)
    for spelling, medicine in _names():
        if text == spelling or text.startswith(spelling + " "):
            c = _classes()[medicine["class"]]
            return Recognised(entry, medicine["name"], medicine["atc"], c["code"], c["sets"])
    if re.search(r"\binsulin\b", text):
        c = _classes()["insulin"]
        return Recognised(entry, "insulin", c["atc_group"], "insulin", c["sets"])
    code = _class_words().get(_norm(klass))
    if code:
        return Recognised(entry, "", "", code, _classes()[code]["sets"])
    return None


def recognise(medications: Any) -> list[Recognised]:
    """The entries of a medicine list the vocabulary recognises, in the list's order."""
    out = []
    for m in medications or []:
        if isinstance(m, dict):
            hit = recognise_one(m.get("name", ""), m.get("class", ""))
            if hit:
                out.append(hit)
    return out


def implied_facts(medications: Any) -> dict[str, list[str]]:
    """{intake fact: [descriptions of the medicines that imply it]} for the list."""
    facts: dict[str, list[str]] = {}
    for hit in recognise(medications):
        facts.setdefault(hit.sets, []).append(hit.describe())
    return facts


def fact_names() -> set[str]:
    return {c["sets"] for c in vocabulary()["classes"]}
