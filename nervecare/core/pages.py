"""Helpers every app's pages share (domain-free): HTMX partials, service errors as form errors, downloads.

Each app owns its pages (views.py, forms.py, templates/<app>/ with partials/); what they have in common is
here, so there is one answer to "is this an HTMX request", "how does a refused service show on the form", "what
does a page with a form do on a POST" and "how is a file sent".
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from nervecare.core.errors import FieldErrors
from nervecare.core.labels import message_with_label

T = TypeVar("T")


class DateInput(forms.DateInput):
    """A date field the browser offers a calendar for."""

    input_type = "date"


def is_htmx(request: HttpRequest) -> bool:
    """True when HTMX sent the request (it then swaps in a partial, not a whole page)."""
    return request.headers.get("HX-Request") == "true"


def render_page_or_partial(
    request: HttpRequest,
    page: str,
    partial: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """The partial for an HTMX request, the whole page otherwise (same context for both)."""
    return render(request, partial if is_htmx(request) else page, dict(context), status=status)


@dataclass(frozen=True)
class ServiceResult(Generic[T]):
    """What a service call from a page came to: `ok` and its value, or refused (errors shown already)."""

    ok: bool
    value: T | None = None
    errors: Mapping[str, str] | None = None


def errors_to_form(form: forms.BaseForm, errors: Mapping[str, str]) -> None:
    """Put each service error on the field it names; the rest on the form as a whole."""
    for key, message in errors.items():
        if key in form.fields:
            form.add_error(key, message)
        else:
            form.add_error(None, message_with_label(key, message))


def run_service(
    request: HttpRequest,
    call: Callable[[], T],
    *,
    form: forms.BaseForm | None = None,
    success: str = "",
) -> ServiceResult[T]:
    """Call a service for a page: on success show `success` (if any); when it refuses (FieldErrors) put its
    errors on `form`, or without a form show them as one error message. The caller redirects or re-renders."""
    try:
        value = call()
    except FieldErrors as exc:
        if form is not None:
            errors_to_form(form, exc.errors)
        else:
            messages.error(request, str(exc))
        return ServiceResult(ok=False, errors=exc.errors)
    if success:
        messages.success(request, success)
    return ServiceResult(ok=True, value=value)


def run_form(
    request: HttpRequest, form: forms.BaseForm, call: Callable[[], T], *, success: str = ""
) -> ServiceResult[T]:
    """A posted form's service: when the form is valid, `call` runs as run_service runs it (a refusal's errors
    go on the form's fields); when it is not, nothing runs and the form shows its own errors. The caller
    redirects when ok and otherwise shows the form again (422)."""
    if not form.is_valid():
        return ServiceResult(ok=False)
    return run_service(request, call, form=form, success=success)


def form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    save: Callable[[], Any],
    success: str,
    then: str,
    template: str,
    context: Mapping[str, Any],
) -> HttpResponse:
    """A page with one form: a valid POST runs the service (its field errors land on the form, nothing
    half-written) and goes on to `then`; anything else shows the page with the form, 422 after a POST that
    failed."""
    posted = request.method == "POST"
    if posted and run_form(request, form, save, success=success).ok:
        return redirect(then)
    return render(request, template, {"form": form, **context}, status=422 if posted else 200)


def file_download(
    content: bytes | str, *, filename: str, content_type: str, inline: bool = False
) -> HttpResponse:
    """A file the browser saves (or, inline, shows) under `filename`."""
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def pdf_download(content: bytes, *, filename: str) -> HttpResponse:
    """A PDF document as a download."""
    return file_download(content, filename=filename, content_type="application/pdf")


def csv_download(content: str, *, filename: str) -> HttpResponse:
    """A CSV table as a download (UTF-8)."""
    return file_download(content, filename=filename, content_type="text/csv; charset=utf-8")
