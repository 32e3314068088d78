"""The client's home self-care in the portal (issue 18 point 3): today's items with large targets, ticking
off with an optional 0-10 rating or note, the reminder time, and a week view of what they did.

Each page is the client's own record only (client_view); ticks and the reminder time go through the
self-care services, which check again that the record is the client's own. An HTMX tick gets the item's
card back; a normal form post redirects to the page (it works without JavaScript)."""

import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nervecare.core.errors import FieldErrors
from nervecare.core.pages import errors_to_form
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.portal.views import client_view
from nervecare.selfcare import selectors, services
from nervecare.selfcare.forms import CheckOffForm, ReminderForm, UndoForm


def _reminder_form(client, data=None) -> ReminderForm:  # noqa: ANN001
    setting = selectors.reminder_of(client)
    initial = {
        "reminder_enabled": bool(setting and setting.enabled),
        "remind_at": setting.remind_at if setting else datetime.time(9, 0),
    }
    return ReminderForm(data, initial=initial)


def _today_context(client, reminder_form=None, errors=None) -> dict:  # noqa: ANN001
    return {
        "client": client,
        "today": selectors.client_today(client),
        "items": selectors.today_items(client),
        "programme": selectors.programme_active(client),
        "reminder_form": reminder_form or _reminder_form(client),
        "tick_errors": errors or {},
    }


@client_view
def today(request: AuthedHttpRequest, client) -> HttpResponse:  # noqa: ANN001
    return render(request, "portal/selfcare_today.html", _today_context(client))


@client_view
@require_POST
def tick(request: AuthedHttpRequest, client) -> HttpResponse:  # noqa: ANN001
    form = CheckOffForm(request.POST)
    errors: dict[str, str] = {}
    if form.is_valid():
        try:
            services.check_off(
                actor=request.user,
                client=client,
                item_id=form.cleaned_data["item_id"],
                rating=form.cleaned_data["rating"],
                note=form.cleaned_data["note"] or "",
            )
        except FieldErrors as exc:
            errors = exc.errors
    else:
        errors = {k: " ".join(str(m) for m in v) for k, v in form.errors.items()}
    item_id = request.POST.get("item_id", "")
    if errors:
        context = _today_context(client, errors={"item_id": item_id, **errors})
        return render(request, "portal/selfcare_today.html", context, status=422)
    messages.success(request, _("Ticked off. Well done."))
    return redirect(f"{_today_url()}#item-{item_id}")


def _today_url() -> str:
    from django.urls import reverse

    return reverse("portal:selfcare")


@client_view
@require_POST
def untick(request: AuthedHttpRequest, client) -> HttpResponse:  # noqa: ANN001
    form = UndoForm(request.POST)
    if form.is_valid():
        try:
            services.check_off_undo(
                actor=request.user,
                client=client,
                item_id=form.cleaned_data["item_id"],
                day=selectors.client_today(client),
            )
        except FieldErrors as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The tick was taken back."))
    return redirect(_today_url())


@client_view
@require_POST
def reminder(request: AuthedHttpRequest, client) -> HttpResponse:  # noqa: ANN001
    form = _reminder_form(client, request.POST)
    if form.is_valid():
        try:
            services.reminder_set(
                actor=request.user,
                client=client,
                remind_at=form.cleaned_data["remind_at"],
                enabled=form.cleaned_data["reminder_enabled"],
            )
        except FieldErrors as exc:
            errors_to_form(form, exc.errors)
        else:
            messages.success(request, _("Reminder saved."))
            return redirect(_today_url())
    return render(
        request, "portal/selfcare_today.html", _today_context(client, reminder_form=form), status=422
    )


@client_view
def week(request: AuthedHttpRequest, client) -> HttpResponse:  # noqa: ANN001
    monday = None
    raw = request.GET.get("week", "")
    if raw:
        try:
            monday = datetime.date.fromisoformat(raw)
        except ValueError:
            monday = None
    if monday is not None and not (datetime.date(2000, 1, 1) <= monday <= datetime.date(2100, 1, 1)):
        monday = None
    context = {"client": client, **selectors.week_view(client, monday)}
    return render(request, "portal/selfcare_week.html", context)
