"""The therapist's trial pages: a client's trials with the form to propose one, and one trial to monitor, end,
record a paper consent for, and read the result of. Thin: who may see is decided by the selectors."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from nervecare.core.pages import run_form, run_service
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.trials import charts, selectors, services
from nervecare.trials.consent import consent_text
from nervecare.trials.forms import ConsentForm, EndForm, ProposeForm


@login_required
@require_http_methods(["GET", "POST"])
def client_trials(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_for_trials(request.user, client_id)
    today = services.client_today(client)
    form = ProposeForm(request.POST or None, today=today)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            done = run_service(
                request,
                lambda: services.trial_propose(
                    actor=request.user, client=client, comparison_code=data.pop("comparison"), **data
                ),
                form=form,
                success=_("Trial proposed: the client agrees to it in the portal."),
            )
            if done.ok and done.value is not None:
                return redirect("trials:detail", client_id=client.id, trial_id=done.value.pk)
        status = 422
    else:
        services.trial_safety_check(client=client)
        audit_record(actor=request.user, action="view", obj=client, summary="Single-client trials viewed")
    trials = [
        (t, selectors.STATE_LABELS[selectors.trial_state(t, today)]) for t in selectors.client_trials(client)
    ]
    stability = {m: services.baseline_stability(client, m, today) for m in ("pain", "numbness", "tingling")}
    return render(
        request,
        "trials/client.html",
        {"client": client, "trials": trials, "form": form, "stability": stability},
        status=status,
    )


def _detail(
    request: AuthedHttpRequest,
    trial: Any,
    *,
    end_form: EndForm | None = None,
    consent_form: ConsentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    result = selectors.trial_result(trial)
    text = consent_text(trial)
    return render(
        request,
        "trials/detail.html",
        {
            "client": trial.client,
            "trial": trial,
            "r": result,
            "chart": charts.phases_svg(result) if result["ratings"] else "",
            "prompt": selectors.today_prompt(trial, services.client_today(trial.client)),
            "events": list(trial.events.select_related("by")),
            "consent": trial.consents.first(),
            "consent_text": text,
            "end_form": end_form or EndForm(),
            "consent_form": consent_form or ConsentForm(initial={"text_version": text["version"]}),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def detail(request: AuthedHttpRequest, client_id: int, trial_id: int) -> HttpResponse:
    trial = selectors.trial_get_for_user(request.user, client_id, trial_id)
    services.trial_safety_check(client=trial.client)
    trial.refresh_from_db()
    audit_record(actor=request.user, action="view", obj=trial, summary="Single-client trial viewed")
    return _detail(request, trial)


@login_required
@require_POST
def end(request: AuthedHttpRequest, client_id: int, trial_id: int) -> HttpResponse:
    trial = selectors.trial_get_for_user(request.user, client_id, trial_id)
    form = EndForm(request.POST)
    done = run_form(
        request,
        form,
        lambda: services.trial_stop(
            actor=request.user,
            trial=trial,
            reason=form.cleaned_data["reason"],
            pause_refused=form.cleaned_data["pause_refused"],
        ),
        success=_("Trial ended."),
    )
    if done.ok:
        return redirect("trials:detail", client_id=client_id, trial_id=trial_id)
    return _detail(request, trial, end_form=form, status=422)


@login_required
@require_POST
def consent(request: AuthedHttpRequest, client_id: int, trial_id: int) -> HttpResponse:
    trial = selectors.trial_get_for_user(request.user, client_id, trial_id)
    form = ConsentForm(request.POST)
    done = run_form(
        request,
        form,
        lambda: services.trial_consent(
            actor=request.user,
            trial=trial,
            text_version=form.cleaned_data["text_version"],
            method=form.cleaned_data["method"],
        ),
        success=_("The client's agreement is recorded."),
    )
    if done.ok:
        return redirect("trials:detail", client_id=client_id, trial_id=trial_id)
    return _detail(request, trial, consent_form=form, status=422)
