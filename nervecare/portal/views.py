"""The client portal. Every view starts from the signed-in client's own record (selectors.client_for_portal_user),
so an id from another client's record can only ever give a 404."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.portal import selectors, services
from nervecare.portal.forms import RATING_CHOICES, DiaryForm
from nervecare.scheduling.calendar import client_ics
from nervecare.screening import instruments
from nervecare.web.forms import instrument_form_fields


def client_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in as a client: the view gets the client's own record as its second argument."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        client = selectors.client_for_portal_user(request.user)
        return view(request, client, *args, **kwargs)

    return wrapper


@client_view
def home(request: HttpRequest, client) -> HttpResponse:
    items = selectors.checklist(client)
    return render(
        request,
        "portal/home.html",
        {
            "client": client,
            "checklist": items,
            "todo": [i for i in items if not i.done],
            "upcoming": selectors.upcoming_appointments(client)[:3],
            "today_entry": selectors.diary_entries(client, since=selectors.client_today(client)).first(),
        },
    )


@client_view
def consent(request: HttpRequest, client) -> HttpResponse:
    text = selectors.current_consent_text(client)
    if text is None:
        raise Http404("The clinic has no consent text yet.")
    signed = selectors.has_signed(client, text)
    error = ""
    if request.method == "POST" and not signed:
        if request.POST.get("agree") != "yes":
            error = _("Tick the box to say you have read and agree, or talk to your therapist first.")
        else:
            services.portal_consent_sign(user=request.user, version=text.version, request=request)
            messages.success(request, _("Thank you. Your consent is recorded."))
            return redirect("portal:home")
    return render(
        request,
        "portal/consent.html",
        {"client": client, "text": text, "signed": signed, "error": error},
        status=422 if error else 200,
    )


@client_view
def questionnaire(request: HttpRequest, client, code: str) -> HttpResponse:
    if code not in selectors.portal_instrument_codes(client):
        raise Http404("No such questionnaire.")
    definition = instruments.get_definition(code)
    errors: dict[str, str] = {}
    given: dict[str, str] = {}
    if request.method == "POST":
        given = {item.id: request.POST.get(f"item_{item.id}", "") for item in definition.items}
        try:
            services.portal_response_create(
                user=request.user, instrument=code, answers=given, request=request
            )
        except FieldErrors as exc:
            errors = {k.removeprefix("answers."): v for k, v in exc.errors.items()}
        else:
            messages.success(request, _("Thank you. Your answers are saved for your therapist."))
            return redirect("portal:home")
    items = instrument_form_fields(definition)
    for item in items:
        item["error"] = errors.get(item["id"])
        item["given"] = given.get(item["id"], "")
        item["scale"] = (
            [str(n) for n in range(item["min"], item["max"] + 1)] if item["type"] == "integer" else []
        )
    return render(
        request,
        "portal/questionnaire.html",
        {"client": client, "definition": definition, "items": items, "errors": errors},
        status=422 if errors else 200,
    )


@client_view
def diary(request: HttpRequest, client) -> HttpResponse:
    today = selectors.client_today(client)
    form = DiaryForm(request.POST or None, initial={"day": today})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.diary_entry_save(
                user=request.user,
                day=data["day"],
                ratings={k: data[k] for k in ("pain", "numbness", "tingling", "sleep")},
                note=data["note"],
                request=request,
            )
        except FieldErrors as exc:
            for key, message in exc.errors.items():
                form.add_error(key if key in form.fields else None, message)
        else:
            messages.success(request, _("Diary saved. Thank you."))
            return redirect("portal:progress")
    return render(
        request,
        "portal/diary.html",
        {"client": client, "form": form, "scale": RATING_CHOICES, "today": today},
        status=422 if form.errors else 200,
    )


@client_view
def appointments(request: HttpRequest, client) -> HttpResponse:
    return render(
        request,
        "portal/appointments.html",
        {
            "client": client,
            "appointments": selectors.upcoming_appointments(client),
            "policy_hours": services.cancel_policy_hours(),
        },
    )


@client_view
@require_POST
def appointment_cancel(request: HttpRequest, client, appointment_id: int) -> HttpResponse:
    try:
        services.portal_appointment_cancel(user=request.user, appointment_id=appointment_id, request=request)
    except FieldErrors as exc:
        messages.error(request, " ".join(exc.errors.values()))
    else:
        messages.success(request, _("Your appointment is cancelled. The clinic has been told."))
    return redirect("portal:appointments")


@client_view
def calendar_download(request: HttpRequest, client) -> HttpResponse:
    response = HttpResponse(client_ics(client), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="nervecare-appointments.ics"'
    return response


@client_view
def progress(request: HttpRequest, client) -> HttpResponse:
    return render(request, "portal/progress.html", {"client": client, **selectors.progress(client)})


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The link in the invitation: the client chooses a password, then signs in with it."""

    template_name = "portal/set_password.html"
    success_url = reverse_lazy("portal:password_set")

    def get_user(self, uidb64: str):
        # Only clients are invited this way; a staff account's token is never accepted here.
        user = super().get_user(uidb64)
        return user if user is not None and user.role == User.Role.CLIENT else None


def password_set(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/password_set.html")
