"""The pages that compose the whole clinic (the dashboard). Each app owns the pages of its own data
(clients, screening, plans, scheduling, visits, outcomes, portal, ops); web keeps the page shell (base
templates, template tags) and the home page. Shared page helpers are in core/pages.py."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from nervecare.clients.models import Client
from nervecare.core.audit import audit_list
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.web import dashboard as dashboard_selectors


@login_required
def dashboard(request: AuthedHttpRequest) -> HttpResponse:
    """Where the day starts: clinical staff see today's work; the front desk its calendar; a client the portal."""
    user = request.user
    if user.role == "client":
        return redirect("portal:home")
    if not user.is_clinical:
        return redirect("scheduling:day")  # the front desk works from the day view, not clinical records
    context = dashboard_selectors.dashboard(user)
    audit_list(user, Client, dashboard_selectors.dashboard_client_ids(context), "Dashboard viewed")
    return render(request, "web/dashboard.html", context)
