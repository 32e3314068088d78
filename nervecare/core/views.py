"""Pages of the core app: the signed-in user's API tokens (an admin: the clinic's), to see and revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.scopes import vocabulary
from nervecare.core.services import api_token_revoke, api_tokens_visible_to


@login_required
def tokens(request: AuthedHttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [(t, t.state_at(now)) for t in api_tokens_visible_to(request.user).order_by("-created_at")]
    return render(request, "core/tokens.html", {"rows": rows, "scopes": vocabulary()})


@login_required
@require_POST
def token_revoke(request: AuthedHttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(api_tokens_visible_to(request.user), pk=token_id)
    api_token_revoke(token=token, actor=request.user)
    messages.success(
        request, _("Token %(prefix)s revoked: it stops working at once.") % {"prefix": token.prefix}
    )
    return redirect("core:tokens")
