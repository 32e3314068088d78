"""The clinic admins' audit trail page: search, page through, export as CSV."""

import csv
from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nervecare.core.audit.search import SearchFilters, audit_trail_read, csv_rows, search
from nervecare.core.bounds import AuditDateField
from nervecare.core.labels import record_type_choices
from nervecare.core.models import AuditEvent
from nervecare.core.pages import render_page_or_partial
from nervecare.core.permissions import clinic_of, require_audit_admin
from nervecare.core.request_types import AuthedHttpRequest

PAGE_SIZE = 50


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=gettext_lazy("User (username)"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=gettext_lazy("Action"), required=False, choices=[("", "—"), *AuditEvent.Action.choices]
    )
    object_type = forms.ChoiceField(label=gettext_lazy("Record type"), required=False)
    object_id = forms.CharField(label=gettext_lazy("Record id"), required=False, max_length=64)
    client = forms.IntegerField(label=gettext_lazy("Client id"), required=False, min_value=1)
    date_from = AuditDateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    date_to = AuditDateField(label=gettext_lazy("To"), required=False, widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The record types by their names ("Session note"); the value stays the stored "visits.sessionnote".
        field = cast(forms.ChoiceField, self.fields["object_type"])
        field.choices = [("", "—"), *record_type_choices()]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        return SearchFilters(
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            object_type=data.get("object_type") or "",
            object_id=data.get("object_id") or "",
            client=data.get("client"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


def _search(request: AuthedHttpRequest, summary: str) -> tuple[AuditFilterForm, Any]:
    """Validate the filters, record that the trail was read, return the matching events (or None)."""
    require_audit_admin(request.user)
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return form, None
    filters = form.filters()
    clinic = clinic_of(request.user)
    audit_trail_read(actor=request.user, summary=summary, filters=filters)
    return form, search(clinic_id=clinic.id, tz_name=clinic.timezone, filters=filters)


@login_required
def events(request: AuthedHttpRequest) -> HttpResponse:
    form, found = _search(request, "Audit trail searched")
    page = Paginator(found if found is not None else AuditEvent.objects.none(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "tz": clinic_of(request.user).timezone}
    return render_page_or_partial(
        request,
        "audit/events.html",
        "audit/partials/rows.html",
        context,
        status=200 if found is not None else 422,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def export_csv(request: AuthedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    form, found = _search(request, "Audit trail exported (CSV)")
    if found is None:
        return render(
            request,
            "audit/events.html",
            {"form": form, "page": None, "query": "", "tz": clinic_of(request.user).timezone},
            status=422,
        )
    writer = csv.writer(_Echo())
    rows: Iterator[str] = (writer.writerow(row) for row in csv_rows(found))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
