"""Procedure: the massage of a signed session note."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from nervecare.core.vocab import load_yaml
from nervecare.interop import codes
from nervecare.interop.mapping.common import Resource, coding, concept, extension, iso, ref


@cache
def _regions() -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in load_yaml("clients/data/body_regions.yaml")["regions"]}


def _region_labels() -> dict[str, str]:
    return {code: r["label"] for code, r in _regions().items()}


def body_site(area: dict[str, Any]) -> dict[str, Any]:
    """bodySite for one area: the region's SNOMED CT coding (clients/data/body_regions.yaml, from DICOM PS3.16)
    and the region with its side in words (laterality is not pre-coordinated in the code)."""
    region = _regions().get(area.get("region", ""))
    site: dict[str, Any] = {"text": _area_text(area)}
    if region and region.get("snomed"):
        site = concept(
            coding(codes.SNOMED, str(region["snomed"]), region.get("snomed_display")), text=site["text"]
        )
    return site


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
        res["bodySite"] = [body_site(a) for a in areas]
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
