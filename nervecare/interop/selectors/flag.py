"""Flag: safety flags."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from nervecare.interop import mapping
from nervecare.interop.mapping import Resource
from nervecare.interop.selectors.base import Scope, Source
from nervecare.screening.models import SafetyFlag


class FlagSource(Source):
    model = SafetyFlag

    def to_fhir(self, obj: SafetyFlag, scope: Scope) -> list[Resource]:
        return [mapping.flag(obj)]

    def since_q(self, since: dt.datetime) -> Q:
        return Q(raised_at__gte=since) | Q(resolved_at__gte=since)
