"""Procedure: the massage of a signed session note."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from nervecare.core.vocab import load_yaml
from nervecare.interop import codes
from nervecare.interop.mapping.common import Resource, coding, concept, extension, iso, ref


@cache
def _region_labels() -> dict[str, str]:
    return {r["code"]: r["label"] for r in load_yaml("clients/data/body_regions.yaml")["regions"]}


def _area_text(area: dict[str, Any]) -> str:
    label = _region_labels().get(area.get("region", ""), area.get("region", ""))
    side = area.get("side") or ""
    suffix = {"left": ", left", "right": ", right", "both": ", both sides"}.get(side, "")
    return f"{label}{suffix}"


def procedure(note: Any, values: dict[str, Any]) -> Resource:
    """Procedure for a signed session note: the massage, with its CPT code (values: amendments applied)."""
    appt = note.appointment
    modality = values["modality"]
    proc = codes.procedure(modality)
    minutes = values.get("minutes")
    end = appt.starts_at + dt.timedelta(minutes=minutes) if minutes else appt.ends_at
    res: Resource = {
        "resourceType": "Procedure",
        "id": str(note.pk),
        "meta": {"lastUpdated": iso(note.updated_at)},
        "status": "completed",
        "code": concept(
            coding(codes.CPT, proc["cpt"]),
            coding(codes.CS_MODALITY, modality, proc["display"]),
            text=proc["display"],
        ),
        "subject": ref("Patient", note.client_id),
        "encounter": ref("Encounter", appt.pk),
        "performedPeriod": {"start": iso(appt.starts_at), "end": iso(end)},
        "performer": [{"actor": ref("Practitioner", appt.therapist_id)}],
    }
    if values.get("pressure"):
        res["extension"] = [extension("massage-pressure", valueCode=values["pressure"])]
    areas = [a for a in values.get("areas_treated") or [] if isinstance(a, dict)]
    if areas:
        res["bodySite"] = [{"text": _area_text(a)} for a in areas]
    soap = [
        f"{label}: {values[name]}"
        for name, label in (
            ("subjective", "S"),
            ("objective", "O"),
            ("assessment", "A"),
            ("plan", "P"),
            ("next_session_plan", "Next session"),
        )
        if values.get(name)
    ]
    if soap:
        res["note"] = [{"text": "\n".join(soap), "time": iso(note.signed_at)}]
    return res
