"""The therapist's list between sessions (issue 18 point 6): thin, web/between.py decides and reads."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from nervecare.clients.models import Client
from nervecare.core.audit import audit_list
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.footcheck.rules import missed_days
from nervecare.web.between import between_sessions_list


@login_required
def between_sessions(request: AuthedHttpRequest) -> HttpResponse:
    everyone = request.GET.get("all") == "1"
    rows = between_sessions_list(request.user, everyone=everyone)
    audit_list(request.user, Client, [r.client.pk for r in rows], "Between-sessions list viewed")
    template = "web/partials/between_rows.html" if request.headers.get("HX-Request") else "web/between.html"
    return render(request, template, {"rows": rows, "everyone": everyone, "threshold": missed_days()})
