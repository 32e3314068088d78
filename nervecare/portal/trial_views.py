"""The client's single-client trials in the portal: agree (or not) to a proposed trial, see its blocks and
today's rating prompt, withdraw at any time, and read the result in plain words with its chart."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from nervecare.core.errors import FieldErrors
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.portal import selectors as portal_selectors
from nervecare.portal.views import client_view
from nervecare.trials import charts
from nervecare.trials import selectors as trials
from nervecare.trials import services as trial_services
from nervecare.trials.consent import consent_text


@client_view
@require_GET
def trial(request: AuthedHttpRequest, client, trial_id: int) -> HttpResponse:  # noqa: ANN001
    found = trials.trial_get_for_client(client, trial_id)
    trial_services.trial_safety_check(client=client)
    found.refresh_from_db()
    return _page(request, client, found)


def _page(request: AuthedHttpRequest, client, found, status: int = 200) -> HttpResponse:  # noqa: ANN001
    result = trials.trial_result(found)
    today = portal_selectors.client_today(client)
    return render(
        request,
        "portal/trial.html",
        {
            "client": client,
            "trial": found,
            "r": result,
            "chart": charts.phases_svg(result) if result["final"] and result["ratings"] else "",
            "prompt": trials.today_prompt(found, today),
            "rated_today": portal_selectors.diary_entries(client, since=today).exists(),
            "text": consent_text(found),
            "open": found.status in ("proposed", "active") and found.end_date >= today,
        },
        status=status,
    )


def _act(request: AuthedHttpRequest, client, trial_id: int, action: str) -> HttpResponse:  # noqa: ANN001
    found = trials.trial_get_for_client(client, trial_id)
    try:
        if action == "consent":
            trial_services.trial_consent(
                actor=request.user, trial=found, text_version=request.POST.get("text_version", "")
            )
            messages.success(request, _("Thank you: you have agreed to the trial."))
        elif action == "decline":
            trial_services.trial_decline(
                actor=request.user, trial=found, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("You said no to the trial. Your care carries on as usual."))
        else:
            trial_services.trial_withdraw(
                actor=request.user, trial=found, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("You have stopped the trial. Your care carries on as usual."))
    except FieldErrors as exc:
        messages.error(request, str(exc))
        found.refresh_from_db()
        return _page(request, client, found, status=422)
    return redirect("portal:trial", trial_id=found.pk)


@client_view
@require_POST
def trial_consent(request: AuthedHttpRequest, client, trial_id: int) -> HttpResponse:  # noqa: ANN001
    return _act(request, client, trial_id, "consent")


@client_view
@require_POST
def trial_decline(request: AuthedHttpRequest, client, trial_id: int) -> HttpResponse:  # noqa: ANN001
    return _act(request, client, trial_id, "decline")


@client_view
@require_POST
def trial_withdraw(request: AuthedHttpRequest, client, trial_id: int) -> HttpResponse:  # noqa: ANN001
    return _act(request, client, trial_id, "withdraw")
