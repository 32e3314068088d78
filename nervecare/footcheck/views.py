"""Staff pages of the daily foot check: one report (with the therapist's review) and its photo. Thin: the
selectors decide who may see it (client_get_for_user) and audit the read; the services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from nervecare.core.errors import FieldErrors
from nervecare.core.labels import label
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.footcheck import selectors, services
from nervecare.footcheck.forms import ReviewForm
from nervecare.footcheck.models import FootCheckPhoto


def photo_response(photo: FootCheckPhoto) -> HttpResponse:
    """The photo, shown inline as the image it is (its type was read from its bytes), never sniffed into
    another type, never cached, sandboxed."""
    response = HttpResponse(bytes(photo.data), content_type=photo.content_type)
    ext = services.PHOTO_TYPES.get(photo.content_type, "bin")
    response["Content-Disposition"] = f'inline; filename="foot-check-{photo.foot_check_id}.{ext}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def check_detail(request: AuthedHttpRequest, client_id: int, check_id: int) -> HttpResponse:
    check = selectors.foot_check_get_for_user(request.user, client_id, check_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.foot_check_review(actor=request.user, check=check, note=form.cleaned_data["review_note"])
        except FieldErrors as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("The review was recorded; the safety check ran again."))
            return redirect("footcheck:check", client_id=client_id, check_id=check_id)
    return render(
        request,
        "footcheck/check.html",
        {
            "client": check.client,
            "check": check,
            "findings": selectors.findings_text(check),
            "where": selectors.where_text(check),
            "flag_titles": ", ".join(label(rule_id, "rule") for rule_id in check.flags_raised),
            "form": form,
        },
        status=422 if form.errors else 200,
    )


@login_required
def check_photo(request: AuthedHttpRequest, client_id: int, check_id: int) -> HttpResponse:
    return photo_response(selectors.foot_check_photo_for_user(request.user, client_id, check_id))
