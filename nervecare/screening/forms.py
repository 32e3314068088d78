"""Form helpers for questionnaires, shared by the staff pages (web) and the client portal."""

from nervecare.screening.instruments import InstrumentDefinition


def instrument_form_fields(definition: InstrumentDefinition) -> list[dict]:
    """The items of an instrument as the template renders them."""
    return [
        {
            "id": item.id,
            "name": f"item_{item.id}",
            "text": item.text,
            "note": item.note,
            "type": item.answer_type,
            "min": item.min,
            "max": item.max,
            "options": [{"value": o.value, "label": o.label} for o in item.options],
        }
        for item in definition.items
    ]
