"""The rule_engine context every rule file (safety, foot check, outcomes) compiles its expressions with.

A fact the rules name may be absent from the facts (a foot-check report when none is open): it reads as null,
as rule_engine's `default_value=None` makes it. rule_engine's own resolver gets there by raising an error
that carries a spelling suggestion, a string distance to every other fact (tens of them), for every absent
fact of every rule on every check: about a third of a client intake's CPU (issue 20). This resolver gives
the same null without building the suggestion."""

from collections.abc import Mapping
from typing import Any

import rule_engine
from rule_engine.errors import SymbolResolutionError


def _resolve_or_null(thing: Any, name: str) -> Any:
    if isinstance(thing, Mapping):
        return thing.get(name)
    raise SymbolResolutionError(name, thing=thing)


def rule_context() -> rule_engine.Context:
    """A context in which an absent fact is null (and costs no more than a present one)."""
    return rule_engine.Context(default_value=None, resolver=_resolve_or_null)
