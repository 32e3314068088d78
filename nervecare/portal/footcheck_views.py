"""The client's daily foot check in the portal (issue 18 point 4): the short form, what to do next in plain
words, and their own photos. Thin: nervecare/footcheck does the work; every page is the client's own record
(client_view audits each one shown)."""

from django.http import HttpResponse
from django.shortcuts import redirect, render

from nervecare.core.errors import FieldErrors
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.footcheck import selectors as footcheck
from nervecare.footcheck import services as footcheck_services
from nervecare.footcheck.forms import FootCheckForm
from nervecare.footcheck.rules import finding_codes
from nervecare.footcheck.views import photo_response
from nervecare.portal.views import client_view


@client_view
def foot_check(request: AuthedHttpRequest, client) -> HttpResponse:
    state = footcheck.portal_foot_check(client)
    posted = request.method == "POST"
    form = FootCheckForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and state.eligible and form.is_valid():
        upload = form.cleaned_data.get("photo")
        try:
            result = footcheck_services.foot_check_submit(
                actor=request.user,
                client=client,
                findings={code: form.cleaned_data[code] for code in finding_codes()},
                foot=form.cleaned_data["foot"],
                regions=form.cleaned_data["regions"],
                note=form.cleaned_data["note"],
                photo=upload.read(footcheck_services.photo_max_bytes() + 1) if upload else None,
            )
        except FieldErrors as exc:
            for field, message in exc.errors.items():
                name = field.split("[")[0].split(".")[0]
                form.add_error(name if name in form.fields else None, message)
        else:
            return redirect("portal:foot_check_result", check_id=result.check.pk)
    return render(
        request,
        "portal/foot_check.html",
        {"client": client, "state": state, "form": form},
        status=422 if form.errors else 200,
    )


@client_view
def foot_check_result(request: AuthedHttpRequest, client, check_id: int) -> HttpResponse:
    check = footcheck.own_foot_check(client, check_id)
    return render(
        request,
        "portal/foot_check_result.html",
        {
            "client": client,
            "check": check,
            "advice": footcheck.advice_for(check),
            "findings": footcheck.findings_text(check),
            "where": footcheck.where_text(check),
        },
    )


@client_view
def foot_check_photo(request: AuthedHttpRequest, client, check_id: int) -> HttpResponse:
    return photo_response(footcheck.own_foot_check_photo(client, check_id))
