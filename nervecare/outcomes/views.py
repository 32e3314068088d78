"""Outcome pages. Thin: check who may see what, call one selector or service, render. HTMX gets partials."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from nervecare.core.models import Clinic
from nervecare.core.pages import csv_download, pdf_download, render_page_or_partial, run_service
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.outcomes import charts, exports, selectors, services, svg
from nervecare.outcomes.adherence import outcomes_by_adherence
from nervecare.outcomes.analysis import client_outcomes
from nervecare.outcomes.claims.selectors import client_claims
from nervecare.outcomes.cohort import clinic_outcomes, group_stats
from nervecare.outcomes.forms import ClinicFilterForm, DecisionForm
from nervecare.outcomes.models import ReportJob
from nervecare.outcomes.reevaluation import ACTION_LABELS
from nervecare.screening.selectors import open_flags


def _client_result(request: AuthedHttpRequest, client_id: int, summary: str) -> tuple:
    client = selectors.client_for_outcomes(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary=summary)
    return client, client_outcomes(selectors.client_data(client, reader=request.user))


def _client_page(
    request: HttpRequest, client, result, *, decision_form=None, status: int = 200
) -> HttpResponse:  # noqa: ANN001
    context = {
        "client": client,
        "r": result,
        "charts": svg.client_charts_svg(result),
        "action_labels": ACTION_LABELS,
        "decision_form": decision_form,
    }
    return render(request, "outcomes/client.html", context, status=status)


@login_required
@require_GET
def client_page(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client, result = _client_result(request, client_id, "Outcomes viewed")
    return _client_page(request, client, result)


@login_required
@require_POST
def client_decide(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_for_outcomes(request.user, client_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        done = run_service(
            request,
            lambda: services.reevaluation_decide(
                actor=request.user,
                client=client,
                plan_id=form.cleaned_data["plan_id"],
                week=form.cleaned_data["week"],
                decision=form.cleaned_data["decision"],
                action=form.cleaned_data["action"] or None,
                reason=form.cleaned_data["reason"],
            ),
            form=form,
            success=_("Decision recorded."),
        )
        if done.ok:
            return redirect("outcomes:client", client_id=client.id)
    result = client_outcomes(selectors.client_data(client, reader=request.user))
    return _client_page(request, client, result, decision_form=form, status=422)


@login_required
@require_GET
def client_csv(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client, result = _client_result(request, client_id, "Outcomes exported (CSV)")
    return csv_download(exports.client_csv(result), filename=f"outcomes-client-{client.id}.csv")


@login_required
@require_GET
def client_pdf(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    from nervecare.outcomes.reports.client import AUDIENCES, client_report_pdf
    from nervecare.outcomes.reports.pdf import report_filename

    audience = request.GET.get("audience", "client")
    if audience not in AUDIENCES:
        audience = "client"
    client, result = _client_result(request, client_id, f"Progress report (PDF, for the {audience})")
    pdf = client_report_pdf(
        result,
        audience=audience,
        flags=open_flags(client),
        clinic_name=client.clinic.name,
        claims=client_claims(client, reader=request.user),
    )
    return pdf_download(pdf, filename=report_filename(f"progress-{client.id}-{audience}", timezone.now()))


def _clinic_result(request: AuthedHttpRequest, summary: str, *, with_model: bool = True) -> tuple:
    require_clinical(request.user)
    clinic = Clinic.objects.get(pk=clinic_id_of(request.user))
    form = ClinicFilterForm(request.GET or None, clinic_id=clinic.id)
    result = clinic_outcomes(clinic, form.filters(), with_model=with_model)
    audit_record(actor=request.user, action="view", obj=clinic, summary=summary)
    return clinic, form, result


@login_required
@require_GET
def clinic_page(request: AuthedHttpRequest) -> HttpResponse:
    clinic, form, result = _clinic_result(request, "Clinic outcomes viewed")
    context = {
        "clinic": clinic,
        "form": form,
        "r": result,
        "charts": charts.clinic_charts_svg(result),
        "adherence": outcomes_by_adherence(result["clients"], group_stats=group_stats),
        "query": request.GET.urlencode(),
        "jobs": ReportJob.objects.filter(clinic=clinic).defer("pdf")[:5],
    }
    return render_page_or_partial(
        request, "outcomes/clinic.html", "outcomes/partials/clinic_results.html", context
    )


@login_required
@require_GET
def clinic_csv(request: AuthedHttpRequest) -> HttpResponse:
    level = request.GET.get("level", "groups")
    _clinic, _form, result = _clinic_result(
        request, f"Clinic outcomes exported (CSV, {level})", with_model=False
    )
    body = (
        exports.clinic_clients_csv(selectors.cohort_clients_visible(request.user, result))
        if level == "clients"
        else exports.clinic_csv(result)
    )
    return csv_download(body, filename=f"outcomes-clinic-{level}.csv")


@login_required
@require_POST
def clinic_report_start(request: AuthedHttpRequest) -> HttpResponse:
    require_clinical(request.user)
    form = ClinicFilterForm(request.POST, clinic_id=clinic_id_of(request.user))
    params = form.filters().as_dict()
    job = services.report_job_create(actor=request.user, params=params)
    return redirect("outcomes:report_job", job_id=job.id)


@login_required
@require_GET
def report_job(request: AuthedHttpRequest, job_id: int) -> HttpResponse:
    job = selectors.report_job_get_for_user(request.user, job_id)
    return render_page_or_partial(
        request, "outcomes/report_job.html", "outcomes/partials/job_status.html", {"job": job}
    )


@login_required
@require_GET
def report_job_download(request: AuthedHttpRequest, job_id: int) -> HttpResponse:
    from nervecare.outcomes.reports.clinic import clinic_report_download

    job = selectors.report_job_get_for_user(request.user, job_id)
    if job.status != ReportJob.Status.DONE or not job.pdf:
        return redirect("outcomes:report_job", job_id=job.id)
    audit_record(
        actor=request.user,
        action="view",
        obj=job,
        summary="Clinic outcome report downloaded",
    )
    return clinic_report_download(job)
