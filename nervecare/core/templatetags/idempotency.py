"""`{% load idempotency %}{% idempotency_field %}`: a hidden one-time key in a state-changing form, so a
double-click (or a retry after a lost answer) is answered once (core/idempotency.py)."""

import uuid

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from nervecare.core.idempotency import FORM_FIELD

register = template.Library()


@register.simple_tag
def idempotency_field() -> SafeString:
    """A fresh random key per rendered form (two forms on one page never share one)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_FIELD, uuid.uuid4().hex)
