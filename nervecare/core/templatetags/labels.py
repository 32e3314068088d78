"""`{% load labels %}`: `{{ code|label:"instrument" }}` and `{{ path|field_label }}` (core/labels.py)."""

from typing import Any

from django import template

from nervecare.core import labels

register = template.Library()


@register.filter(name="label")
def label(code: Any, kind: str = "") -> str:
    return labels.label(code, kind)


@register.filter
def labels_of(codes: Any, kind: str = "") -> str:
    """A list of codes as one readable, comma-separated phrase."""
    return ", ".join(labels.label(c, kind) for c in codes or ())


@register.filter(name="field_label")
def field_label(path: str) -> str:
    return labels.field_label(path)


@register.filter
def plain_text(text: str) -> str:
    return labels.plain_text(text)


@register.filter
def model_label(object_type: str) -> str:
    return labels.model_label(object_type)


@register.filter
def change_lines(changes: Any) -> list[str]:
    return labels.change_lines(changes)
