"""Pages of the clients app: sharing a client's record with another therapist (form on the chart)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nervecare.clients import selectors, services
from nervecare.core.errors import FieldErrors


@login_required
@require_POST
def share_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    try:
        share = services.client_share(
            actor=request.user,
            client=client,
            therapist_id=request.POST.get("therapist_id"),
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except FieldErrors as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Shared with %(name)s.") % {"name": share.therapist.display_name})
    return redirect("web:client", client_id=client.id)


@login_required
@require_POST
def share_remove(request: HttpRequest, client_id: int, therapist_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    try:
        services.client_unshare(actor=request.user, client=client, therapist_id=therapist_id, request=request)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("No longer shared."))
    return redirect("web:client", client_id=client.id)
