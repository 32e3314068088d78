"""Questionnaire and QuestionnaireResponse: the instruments and a client's answers."""

from __future__ import annotations

from typing import Any

from nervecare.interop import codes
from nervecare.interop.mapping.common import (
    MAX_VALUE,
    MIN_VALUE,
    ORDINAL_VALUE,
    Resource,
    coding,
    fhir_id,
    iso,
    number,
    practitioner_ref,
    ref,
)


def _answer_coding(definition: Any, option: Any) -> dict[str, Any]:
    return {
        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": number(option.score)}],
        **coding(codes.answer_system(definition.code), str(option.value), option.label),
    }


def _question(definition: Any, item: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"linkId": item.id, "text": item.text, "required": True}
    if item.answer_type == "integer":
        out["type"] = "integer"
        out["extension"] = [
            {"url": MIN_VALUE, "valueInteger": item.min},
            {"url": MAX_VALUE, "valueInteger": item.max},
        ]
    else:
        out["type"] = "choice"
        out["answerOption"] = [{"valueCoding": _answer_coding(definition, o)} for o in item.options]
    return out


def _grouped(definition: Any, leaf: Any, group_type: bool = False) -> list[dict[str, Any]]:
    """Items in the definition's sections (as groups), then any item no section lists, in order."""
    by_id = {item.id: item for item in definition.items}
    out, placed = [], set()
    for section in definition.sections:
        children = [leaf(by_id[i]) for i in section.items if i in by_id]
        children = [c for c in children if c is not None]
        placed.update(section.items)
        if children:
            group = {"linkId": f"section.{section.id}", "text": section.title, "item": children}
            out.append({**group, "type": "group"} if group_type else group)
    out.extend(x for item in definition.items if item.id not in placed and (x := leaf(item)) is not None)
    return out


def questionnaire(definition: Any) -> Resource:
    """Questionnaire from an instrument definition (screening/instruments.py)."""
    name = "".join(part.capitalize() for part in definition.code.split("_"))
    res: Resource = {
        "resourceType": "Questionnaire",
        "id": fhir_id(definition.code),
        "url": codes.questionnaire_url(definition.code),
        "version": definition.version,
        "name": name,
        "title": definition.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": definition.citation + (f"\n\n{definition.notes}" if definition.notes else ""),
        "copyright": definition.licence,
        "item": _grouped(definition, lambda item: _question(definition, item), group_type=True),
    }
    if definition.loinc:
        res["code"] = [coding(codes.LOINC, definition.loinc)]
    return res


def questionnaire_response(response: Any, definition: Any, author: Any | None = None) -> Resource:
    """QuestionnaireResponse from a stored InstrumentResponse (definition: the instrument it answered;
    author: the therapist who recorded it, if any)."""
    options = {item.id: {str(o.value): o for o in item.options} for item in definition.items}

    def answer(item: Any) -> dict[str, Any] | None:
        if item.id not in response.answers:
            return None
        value = response.answers[item.id]
        if item.answer_type == "integer":
            return {"linkId": item.id, "answer": [{"valueInteger": int(value)}]}
        option = options[item.id].get(str(value))
        if option is None:  # an answer of an older definition version: keep it as text
            return {"linkId": item.id, "answer": [{"valueString": str(value)}]}
        return {"linkId": item.id, "answer": [{"valueCoding": _answer_coding(definition, option)}]}

    res: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.pk),
        "meta": {"lastUpdated": iso(response.created_at)},
        "questionnaire": f"{codes.questionnaire_url(response.instrument)}|{response.definition_version}",
        "status": "completed",
        "subject": ref("Patient", response.client_id),
        "authored": iso(response.administered_at),
        "item": _grouped(definition, answer),
    }
    if author is not None:
        res["author"] = practitioner_ref(author)
    return res
