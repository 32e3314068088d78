"""The daily foot check (issue 18 point 7) as FHIR: its Questionnaire (from footcheck/data/foot_check_rules.yaml)
and each report as a QuestionnaireResponse ("foot-check-<id>"). Findings are booleans, the foot and the places
are codings of the questionnaire's own answer system (the places are the body map's region codes)."""

from __future__ import annotations

from typing import Any

from nervecare.interop import codes
from nervecare.interop.mapping.common import Resource, coding, iso, practitioner_ref, ref

CODE = "daily_foot_check"
ID = "daily-foot-check"


def foot_check_id(pk: int) -> str:
    return f"foot-check-{pk}"


def _option(code: str, label: str) -> dict[str, Any]:
    return {"valueCoding": coding(codes.answer_system(CODE), code, label)}


def foot_check_questionnaire(rules: Any, region_choices: list[tuple[str, str]]) -> Resource:
    """The daily foot check's Questionnaire (rules: footcheck.rules.rules())."""
    return {
        "resourceType": "Questionnaire",
        "id": ID,
        "url": codes.questionnaire_url(CODE),
        "version": rules.version,
        "name": "DailyFootCheck",
        "title": "Daily foot check",
        "status": "active",
        "subjectType": ["Patient"],
        "description": rules.source,
        "item": [
            {
                "linkId": "findings",
                "text": "Today I found",
                "type": "group",
                "item": [
                    {"linkId": f"finding.{f.code}", "text": f.label, "type": "boolean", "required": True}
                    for f in rules.findings
                ],
            },
            {
                "linkId": "foot",
                "text": "Which foot",
                "type": "choice",
                "answerOption": [_option(f.code, f.label) for f in rules.feet],
            },
            {
                "linkId": "regions",
                "text": "Where on the foot",
                "type": "choice",
                "repeats": True,
                "answerOption": [_option(code, label) for code, label in region_choices],
            },
            {"linkId": "note", "text": "Anything else", "type": "string"},
        ],
    }


def foot_check_response(
    check: Any,
    *,
    version: str,
    findings: list[tuple[str, str]],
    feet: dict[str, str],
    regions: dict[str, str],
    author: Any | None = None,
) -> Resource:
    """A stored report (footcheck.models.FootCheck) as a QuestionnaireResponse. `findings`: (code, label) in the
    questionnaire's order; `author`: the therapist who recorded it, if it was not the client."""
    items: list[dict[str, Any]] = [
        {
            "linkId": "findings",
            "item": [
                {"linkId": f"finding.{code}", "answer": [{"valueBoolean": bool(getattr(check, code))}]}
                for code, _label in findings
            ],
        }
    ]
    if check.foot:
        items.append({"linkId": "foot", "answer": [_option(check.foot, feet.get(check.foot, check.foot))]})
    if check.regions:
        items.append({"linkId": "regions", "answer": [_option(r, regions.get(r, r)) for r in check.regions]})
    if check.note:
        items.append({"linkId": "note", "answer": [{"valueString": check.note}]})
    res: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": foot_check_id(check.pk),
        "meta": {"lastUpdated": iso(check.reviewed_at or check.reported_at)},
        "questionnaire": f"{codes.questionnaire_url(CODE)}|{version}",
        "status": "completed",
        "subject": ref("Patient", check.client_id),
        "authored": iso(check.reported_at),
        "author": practitioner_ref(author) if author is not None else ref("Patient", check.client_id),
        "item": items,
    }
    return res
