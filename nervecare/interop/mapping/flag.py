"""Flag: a safety flag raised by screening."""

from __future__ import annotations

from typing import Any

from nervecare.interop import codes
from nervecare.interop.mapping.common import FLAG_CATEGORY, Resource, coding, concept, extension, iso, ref


def flag(safety_flag: Any) -> Resource:
    level = safety_flag.level
    res: Resource = {
        "resourceType": "Flag",
        "id": str(safety_flag.pk),
        "meta": {"lastUpdated": iso(safety_flag.last_checked_at)},
        "status": "active" if safety_flag.status == "open" else "inactive",
        "category": [
            concept(coding(FLAG_CATEGORY, "clinical", "Clinical")),
            concept(coding(codes.CS_SAFETY_LEVEL, level, safety_flag.get_level_display())),
        ],
        "code": concept(
            coding(codes.CS_SAFETY_RULE, safety_flag.rule_id, safety_flag.title),
            text=f"{safety_flag.get_level_display()}: {safety_flag.title}. {safety_flag.reason}",
        ),
        "subject": ref("Patient", safety_flag.client_id),
        "period": {"start": iso(safety_flag.raised_at)},
        "extension": [
            extension("safety-area", valueString=safety_flag.area),
            extension("safety-source", valueString=safety_flag.source),
            *(extension("safety-action", valueString=a) for a in safety_flag.actions if isinstance(a, str)),
            *(extension("safety-applies-to", valueCode=m) for m in safety_flag.applies_to),
        ],
    }
    if safety_flag.resolved_at:
        res["period"]["end"] = iso(safety_flag.resolved_at)
    return res
