"""Pages for a client's record life cycle: delete (with confirmation), deleted clients (restore, erase) and the
right-of-access download, for staff and for the client in the portal. Thin: the rules live in privacy.py and
export.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nervecare.clients.models import Client
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.errors import FieldErrors
from nervecare.ops import export, privacy
from nervecare.ops.privacy_api import export_response
from nervecare.portal import selectors as portal_selectors


class DeleteForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is this client deleted?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Kept with the deleted record and in the audit trail."),
    )


def _export_format(request: HttpRequest) -> str:
    return "pdf" if request.GET.get("format") == "pdf" else "json"


@login_required
def client_delete(request: HttpRequest, client_id: int) -> HttpResponse:
    """Confirm, then delete (soft): admins only."""
    client = privacy.deleted_client_get_for_admin(request.user, client_id)
    if client.deleted_at is not None:
        return redirect("privacy:deleted")
    audit_view(request.user, client, "Delete page viewed")
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.client_soft_delete(actor=request.user, client=client, reason=form.cleaned_data["reason"])
        except FieldErrors as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                _("%(name)s was deleted. An admin can restore the record.") % {"name": client.full_name},
            )
            return redirect("clients:clients")
    upcoming = client.appointments.filter(status__in=("booked", "checked_in")).count()
    years = client.clinic.record_retention_years
    return render(
        request,
        "ops/delete_confirm.html",
        {"client": client, "form": form, "upcoming": upcoming, "years": years},
        status=422 if form.errors else 200,
    )


@login_required
def deleted_clients(request: HttpRequest) -> HttpResponse:
    """The clinic's deleted clients: restore, or erase once the retention period has passed (admins); and the
    clinic's retention setting."""
    clients = privacy.deleted_clients_for_admin(request.user).select_related("clinic", "deleted_by")
    error = ""
    if request.method == "POST":
        try:
            years = privacy.clinic_retention_set(
                actor=request.user, years=request.POST.get("record_retention_years")
            )
        except FieldErrors as exc:
            error = exc.errors["record_retention_years"]
        else:
            messages.success(request, _("Records are now kept for %(years)s years.") % {"years": years})
            return redirect("privacy:deleted")
    rows = [
        {"client": c, "erasable_from": privacy.retention_ends_on(c), "erasable": privacy.retention_passed(c)}
        for c in clients
    ]
    request.user.clinic.refresh_from_db()
    audit_list(request.user, Client, [c.id for c in clients], "Deleted clients listed")
    return render(
        request,
        "ops/deleted_list.html",
        {
            "rows": rows,
            "years": request.POST.get("record_retention_years")
            if error
            else request.user.clinic.record_retention_years,
            "error": error,
        },
        status=422 if error else 200,
    )


@login_required
@require_POST
def client_restore(request: HttpRequest, client_id: int) -> HttpResponse:
    client = privacy.deleted_client_get_for_admin(request.user, client_id)
    try:
        privacy.client_restore(actor=request.user, client=client)
    except FieldErrors as exc:
        messages.error(request, "; ".join(exc.errors.values()))
        return redirect("privacy:deleted")
    messages.success(request, _("%(name)s was restored.") % {"name": client.full_name})
    return redirect("clients:client", client_id=client.id)


@login_required
def client_erase(request: HttpRequest, client_id: int) -> HttpResponse:
    """Confirm, then erase for good (admins, and only once the retention period has passed)."""
    client = privacy.deleted_client_get_for_admin(request.user, client_id)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm_name", "").strip() != client.full_name:
            error = _("Type the client's full name exactly to confirm.")
        else:
            try:
                privacy.client_erase(actor=request.user, client=client)
            except FieldErrors as exc:
                error = "; ".join(exc.errors.values())
            else:
                messages.success(request, _("The record was erased. The audit trail keeps that it was."))
                return redirect("privacy:deleted")
    return render(
        request,
        "ops/erase_confirm.html",
        {
            "client": client,
            "error": error,
            "erasable_from": privacy.retention_ends_on(client),
            "erasable": privacy.retention_passed(client),
        },
        status=422 if error else 200,
    )


@login_required
def client_export(request: HttpRequest, client_id: int) -> HttpResponse:
    """Staff download of the export: the whole record for admins, their own part for the client's therapist."""
    client = export.client_get_for_export(request.user, client_id)
    return export_response(request, client, _export_format(request), staff=request.user)


@login_required
def portal_export(request: HttpRequest) -> HttpResponse:
    """ "Download my data" in the portal: the signed-in client's own record."""
    client = portal_selectors.client_for_portal_user(request.user)
    return export_response(request, client, _export_format(request), staff=None)
