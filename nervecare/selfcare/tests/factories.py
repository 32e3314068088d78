"""Factories for home self-care tests: open safety flags by code, programmes, check-offs."""

import datetime

import factory
from django.utils import timezone

from nervecare.screening.models import SafetyFlag
from nervecare.screening.safety import ruleset
from nervecare.selfcare.models import CheckOff, Programme, ProgrammeItem


def _rule(code: str):
    return next(r for r in ruleset().rules if r.id == code)


class SafetyFlagFactory(factory.django.DjangoModelFactory):
    """An open flag of the real rule `rule_id` (its title, level and source from safety_rules.yaml)."""

    class Meta:
        model = SafetyFlag

    rule_id = "lops"
    rules_version = "test"
    title = factory.LazyAttribute(lambda o: _rule(o.rule_id).title)
    level = factory.LazyAttribute(lambda o: _rule(o.rule_id).level)
    area = "feet"
    reason = factory.LazyAttribute(lambda o: " ".join(_rule(o.rule_id).reason.split()))
    actions = factory.LazyFunction(list)
    source = factory.LazyAttribute(lambda o: _rule(o.rule_id).source)
    raised_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=60))
    last_checked_at = factory.LazyFunction(timezone.now)


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    starts_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=14))
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)


class ProgrammeItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgrammeItem

    item_code = "ankle_circles"
    starts_on = factory.LazyAttribute(lambda o: o.programme.starts_on)
    added_at = factory.LazyFunction(timezone.now)


class CheckOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckOff

    client = factory.LazyAttribute(lambda o: o.item.programme.client)
    day = factory.LazyFunction(timezone.localdate)
    done_at = factory.LazyFunction(timezone.now)
