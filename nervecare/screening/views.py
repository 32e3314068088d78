"""Pages of the screening app: a questionnaire for a client, the safety check and its clearances, the
instruments and safety rules in use. Thin: parse, call one service or selector, render (core/pages.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nervecare.clients.selectors import client_get_for_user
from nervecare.core.audit import audit_view
from nervecare.core.errors import FieldErrors
from nervecare.core.formatting import score as score_text
from nervecare.core.pages import is_htmx, run_service
from nervecare.core.permissions import require_clinical
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.screening import instruments, selectors, services
from nervecare.screening.forms import ClearanceForm
from nervecare.screening.models import SafetyFlag


@login_required
def screening_new(request: AuthedHttpRequest, client_id: int, code: str) -> HttpResponse:
    client = client_get_for_user(request.user, client_id)
    definition = instruments.all_definitions().get(code)
    if definition is None:
        raise Http404("No such instrument.")
    audit_view(request.user, client, f"Screening page viewed ({code})")
    errors: dict[str, str] = {}
    given: dict[str, str] = {}
    if request.method == "POST":
        given = {item.id: request.POST.get(f"item_{item.id}", "") for item in definition.items}
        try:
            response = services.response_create(
                actor=request.user,
                client=client,
                instrument=code,
                answers=given,
                context=request.POST.get("context", "intake"),
            )
        except FieldErrors as exc:
            # Each answer's error goes beside its item (the items are not a Django form).
            errors = {k.removeprefix("answers."): v for k, v in exc.errors.items()}
        else:
            messages.success(
                request,
                _("%(title)s scored: %(total)s of %(max)s — %(summary)s")
                % {
                    "title": definition.short_title,
                    "total": score_text(response.total),
                    "max": score_text(response.max_total),
                    "summary": response.interpretation["summary"],
                },
            )
            return redirect("clients:client", client_id=client.id)
    context = selectors.screening_form_page(client, definition, errors=errors, given=given)
    return render(request, "screening/screening_new.html", context, status=422 if errors else 200)


@login_required
@require_POST
def safety_check(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = client_get_for_user(request.user, client_id)
    flags = services.safety_check_run(actor=request.user, client=client)
    if is_htmx(request):
        return render(
            request,
            "screening/partials/flags.html",
            {"client": client, "flags": flags, "clearance_form": ClearanceForm()},
        )
    messages.success(request, _("Safety check run: %(n)d open flag(s).") % {"n": len(flags)})
    return redirect("clients:client", client_id=client.id)


@login_required
@require_POST
def flag_clearance(request: AuthedHttpRequest, client_id: int, flag_id: int) -> HttpResponse:
    client = client_get_for_user(request.user, client_id)
    flag = get_object_or_404(SafetyFlag, pk=flag_id, client=client)
    form = ClearanceForm(request.POST)
    if form.is_valid():
        done = run_service(
            request,
            lambda: services.flag_record_clearance(
                actor=request.user,
                flag=flag,
                clinician=form.cleaned_data["clinician"],
                clearance_date=form.cleaned_data["clearance_date"],
                note=form.cleaned_data["note"],
            ),
            form=form,
            success=_("Clearance recorded."),
        )
        if done.ok:
            return redirect("clients:client", client_id=client.id)
    # Refused (issue 19 point 11): the form again with what was typed and each error by its field.
    return render(
        request, "screening/flag_clearance.html", {"client": client, "flag": flag, "form": form}, status=422
    )


@login_required
def instrument_list(request: AuthedHttpRequest) -> HttpResponse:
    require_clinical(request.user)
    return render(request, "screening/instruments.html", selectors.instruments_page())
