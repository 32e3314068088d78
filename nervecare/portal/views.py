"""The client portal. Every view starts from the signed-in client's own record (selectors.client_for_portal_user),
so an id from another client's record can only ever give a 404."""

from collections.abc import Callable
from functools import wraps
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nervecare.clients.forms import MarkFormSet, marks_from_formset
from nervecare.clients.selectors import client_get_for_user
from nervecare.core.audit import audit_view
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist, User
from nervecare.core.pages import file_download, pdf_download
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.footcheck.selectors import portal_foot_check
from nervecare.portal import selectors, services
from nervecare.portal.forms import RATING_CHOICES, ClientIntakeForm, DiaryForm
from nervecare.portal.models import ClientIntake
from nervecare.scheduling.calendar import client_ics
from nervecare.scheduling.models import WaitlistEntry
from nervecare.scheduling.rules import client_change_error
from nervecare.scheduling.services import BookingConflictError, SessionBlockedError
from nervecare.screening import instruments
from nervecare.screening.forms import instrument_form_fields
from nervecare.screening.measures import applicable_diary_fields
from nervecare.trials.selectors import client_trials


def client_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in as a client: the view gets the client's own record as its second argument.

    Every page of the portal shows some of the client's own health data (diary, questionnaires, progress,
    appointments), so each one shown is a read in the audit trail, like a therapist's; the changes the client
    makes are recorded by the services they go through."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthedHttpRequest, *args, **kwargs) -> HttpResponse:
        client = selectors.client_for_portal_user(request.user)
        response = view(request, client, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200 and view.__name__ not in AUDITED_BY_VIEW:
            audit_view(request.user, client, summary=f"Own record in the portal: {view.__name__}")
        return response

    return wrapper


AUDITED_BY_VIEW = {"report_download"}  # records its own, more specific event


def call_clinic_message(client) -> str:  # noqa: ANN001
    """Plain words for a client whose answers need a talk with their therapist before any massage."""
    phone = client.clinic.phone
    return (
        _(
            "Thank you. Please call the clinic on %(phone)s before your first session: something you told us "
            "means your therapist needs to talk with you before any massage. Your therapist has been told."
        )
        % {"phone": phone}
        if phone
        else _(
            "Thank you. Please call the clinic before your first session: something you told us means your "
            "therapist needs to talk with you before any massage. Your therapist has been told."
        )
    )


@client_view
def home(request: AuthedHttpRequest, client) -> HttpResponse:
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
            "call_clinic": call_clinic_message(client) if selectors.must_call_clinic(client) else None,
            "foot_check": portal_foot_check(client),
            "trials": client_trials(client)[:3],
        },
    )


@client_view
def consent(request: AuthedHttpRequest, client) -> HttpResponse:
    text = selectors.current_consent_text(client)
    if text is None:
        raise Http404("The clinic has no consent text yet.")
    signed = selectors.has_signed(client, text)
    error = ""
    if request.method == "POST" and not signed:
        if request.POST.get("agree") != "yes":
            error = _("Tick the box to say you have read and agree, or talk to your therapist first.")
        else:
            services.portal_consent_sign(user=request.user, version=text.version)
            messages.success(request, _("Thank you. Your consent is recorded."))
            return redirect("portal:home")
    return render(
        request,
        "portal/consent.html",
        {"client": client, "text": text, "signed": signed, "error": error},
        status=422 if error else 200,
    )


@client_view
def questionnaire(request: AuthedHttpRequest, client, code: str) -> HttpResponse:
    if code not in selectors.portal_instrument_codes(client):
        raise Http404("No such questionnaire.")
    definition = instruments.get_definition(code)
    errors: dict[str, str] = {}
    given: dict[str, str] = {}
    if request.method == "POST":
        given = {item.id: request.POST.get(f"item_{item.id}", "") for item in definition.items}
        try:
            services.portal_response_create(user=request.user, instrument=code, answers=given)
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
def diary(request: AuthedHttpRequest, client) -> HttpResponse:
    today = selectors.client_today(client)
    form = DiaryForm(
        request.POST or None, initial={"day": today}, claim_fields=applicable_diary_fields(client)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.diary_entry_save(
                user=request.user,
                day=data["day"],
                ratings={k: data[k] for k in ("pain", "numbness", "tingling")},
                note=data["note"],
                measures={k: data[k] for k in form.claim_field_names},
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
def appointments(request: AuthedHttpRequest, client) -> HttpResponse:
    upcoming = list(selectors.upcoming_appointments(client))
    now = timezone.now()
    return render(
        request,
        "portal/appointments.html",
        {
            "client": client,
            "appointments": [(a, client_change_error(a, now=now)) for a in upcoming],
            "policy_hours": client.clinic.cancellation_notice_hours,
        },
    )


@client_view
@require_POST
def appointment_cancel(request: AuthedHttpRequest, client, appointment_id: int) -> HttpResponse:
    try:
        services.portal_appointment_cancel(user=request.user, appointment_id=appointment_id)
    except FieldErrors as exc:
        messages.error(request, " ".join(exc.errors.values()))
    else:
        messages.success(request, _("Your appointment is cancelled. The clinic has been told."))
    return redirect("portal:appointments")


@client_view
def calendar_download(request: AuthedHttpRequest, client) -> HttpResponse:
    return file_download(
        client_ics(client), filename="nervecare-appointments.ics", content_type="text/calendar; charset=utf-8"
    )


@client_view
def progress(request: AuthedHttpRequest, client) -> HttpResponse:
    return render(request, "portal/progress.html", {"client": client, **selectors.progress(client)})


@client_view
def claims(request: AuthedHttpRequest, client) -> HttpResponse:
    """What the client's own data say about each claim made for massage, in plain words."""
    audit_record(actor=request.user, action="view", obj=client, summary="Own claims ledger viewed")
    return render(request, "portal/claims.html", {"client": client, **selectors.own_claims(client)})


@client_view
def report_download(request: AuthedHttpRequest, client) -> HttpResponse:
    """The client's own progress report as PDF. There is no id in the address: it is always their own."""
    pdf = selectors.own_report_pdf(client)
    audit_record(
        actor=request.user,
        action="view",
        obj=client,
        summary="Own progress report downloaded",
    )
    return pdf_download(pdf, filename="my-progress-report.pdf")


BOOKING_MESSAGES = {
    "taken": gettext_lazy("That time was just booked by someone else. Please pick another."),
    "overlap": gettext_lazy("You already have an appointment at that time. Please pick another."),
    "blocked": gettext_lazy(
        "Your therapist needs to check something with you before your next session. "
        "Please call the clinic; online booking is paused until then."
    ),
}


def _replace_id(request: HttpRequest, client) -> int | None:  # noqa: ANN001
    """The appointment being rescheduled (?replace=<id>), which must be the client's own upcoming one."""
    raw = request.POST.get("replace") or request.GET.get("replace")
    if not raw:
        return None
    try:
        return selectors.own_appointment(client, int(raw)).id
    except ValueError:
        raise Http404("No such appointment.") from None


@client_view
def book(request: AuthedHttpRequest, client) -> HttpResponse:
    """Choose a free time (step 1 of 2)."""
    replace = _replace_id(request, client)
    others = request.GET.get("others") == "1"
    moving = selectors.own_appointment(client, replace) if replace else None
    change_error = client_change_error(moving, now=timezone.now()) if moving is not None else None
    if change_error:
        # No times for a booking that cannot be changed: the true reason instead (the same rule as at confirm).
        options: dict = {
            "blocked": _("This appointment cannot be changed online: %(why)s.") % {"why": change_error}
        }
    else:
        options = selectors.booking_options(client, others=others, rescheduling=replace is not None)
    return render(
        request,
        "portal/book.html",
        {
            "client": client,
            **options,
            "others": others,
            "replace": moving,
            "notice_hours": selectors.booking_notice_hours(client.clinic),
            "error": request.GET.get("error", "") in BOOKING_MESSAGES
            and BOOKING_MESSAGES[request.GET["error"]],
        },
    )


@client_view
def book_confirm(request: AuthedHttpRequest, client) -> HttpResponse:
    """Check the chosen time and book it (step 2 of 2)."""
    replace = _replace_id(request, client)
    slot = request.POST.get("slot") or request.GET.get("slot", "")
    parsed = selectors.parse_slot(slot)
    back = reverse("portal:book") + (f"?replace={replace}" if replace else "")
    if parsed is None:
        messages.error(request, _("Choose one of the free times first."))
        return redirect(back)
    therapist = get_object_or_404(Therapist, pk=parsed[0], clinic_id=client.clinic_id, active=True)
    plan = selectors.active_plan(client)
    service = selectors.booking_service(plan) if plan else None
    error = ""
    status = 200
    if request.method == "POST":
        try:
            services.portal_appointment_book(user=request.user, slot=slot, replace_id=replace)
        except BookingConflictError as exc:
            sep = "&" if "?" in back else "?"
            own = any(c.get("with") == "client" for c in exc.conflicts)
            return redirect(f"{back}{sep}error={'overlap' if own else 'taken'}")
        except SessionBlockedError:
            error, status = str(BOOKING_MESSAGES["blocked"]), 409
        except FieldErrors as exc:
            error, status = " ".join(exc.errors.values()), 422
        else:
            messages.success(
                request,
                _("Your new time is booked. The old appointment is cancelled.")
                if replace
                else _("Booked. See you then!"),
            )
            return redirect("portal:appointments")
    tz = ZoneInfo(client.clinic.timezone)
    return render(
        request,
        "portal/book_confirm.html",
        {
            "client": client,
            "slot": slot,
            "local": parsed[1].astimezone(tz),
            "therapist": therapist,
            "service": service,
            "replace": selectors.own_appointment(client, replace) if replace else None,
            "back": back,
            "error": error,
        },
        status=status,
    )


@client_view
def intake(request: AuthedHttpRequest, client) -> HttpResponse:
    """The client's own intake: condition, symptoms, body map, medicines, safety questions, goals."""
    form = ClientIntakeForm(request.POST or None)
    marks = MarkFormSet(request.POST or None, prefix="marks")
    leftover: list[str] = []
    if request.method == "POST" and form.is_valid() and marks.is_valid():
        try:
            services.client_intake_submit(
                user=request.user,
                condition=form.condition_data(),
                medical=form.medical_data(),
                marks=marks_from_formset(marks),
                medications=form.lines("medications"),
                comorbidities=form.lines("comorbidities"),
                goals=form.cleaned_data["goals"],
            )
        except FieldErrors as exc:
            leftover = _route_intake_errors(exc.errors, form, marks)
        else:
            if selectors.must_call_clinic(client):
                messages.warning(request, call_clinic_message(client))
            else:
                messages.success(request, _("Thank you. Your therapist will go through it with you."))
            return redirect("portal:home")
    return render(
        request,
        "portal/intake.html",
        {
            "client": client,
            "form": form,
            "marks": marks,
            "leftover": leftover,
            "done": ClientIntake.objects.filter(client=client).exists(),
        },
        status=422 if request.method == "POST" else 200,
    )


def _route_intake_errors(errors: dict[str, str], form: ClientIntakeForm, marks) -> list[str]:  # noqa: ANN001
    """Put each service error next to its field; what has no field is listed at the top."""
    leftover = []
    for key, message in errors.items():
        field = key.split(".", 1)[-1]
        if key.startswith("marks[") and "]" in key:
            index = int(key[len("marks[") : key.index("]")])
            if index < len(marks.forms):
                marks.forms[index].add_error(None, message)
                continue
        if field in form.fields:
            form.add_error(field, message)
        else:
            leftover.append(f"{field}: {message}")
    return leftover


@login_required
@require_POST
def client_invite(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    """Staff: invite the client to the portal (an email with a link to choose a password)."""
    client = client_get_for_user(request.user, client_id)
    try:
        services.client_invite(actor=request.user, client=client, request=request)
    except FieldErrors as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    else:
        messages.success(
            request, _("Invitation sent to %(email)s: a link to choose a password.") % {"email": client.email}
        )
    return redirect("clients:client", client_id=client.id)


@login_required
@require_POST
def intake_review(request: AuthedHttpRequest, client_id: int, intake_id: int) -> HttpResponse:
    """Staff: mark what the client reported in the portal as reviewed (from the client's chart)."""
    client = client_get_for_user(request.user, client_id)
    intake = get_object_or_404(ClientIntake, pk=intake_id, client=client)
    try:
        services.client_intake_review(actor=request.user, intake=intake)
    except FieldErrors as exc:
        messages.error(request, " ".join(exc.errors.values()))
    else:
        messages.success(request, _("Marked as reviewed."))
    return redirect("clients:client", client_id=client.id)


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


@client_view
def waitlist_offer(request: AuthedHttpRequest, client, entry_id: int) -> HttpResponse:  # noqa: ANN001
    """A time offered from the waitlist (the e-mail's link): see it, and book it with one button."""
    entry = get_object_or_404(
        WaitlistEntry.objects.select_related("service", "offered_therapist", "client__clinic"),
        pk=entry_id,
        client=client,
    )
    problem = ""
    if request.method == "POST":
        try:
            services.portal_waitlist_accept(user=request.user, entry_id=entry.pk)
        except FieldErrors as exc:
            problem = " ".join(exc.errors.values())
        except BookingConflictError:
            problem = _("Sorry: this time has been taken meanwhile. The clinic will offer you another one.")
        except SessionBlockedError:
            problem = str(BOOKING_MESSAGES["blocked"])
        else:
            messages.success(request, _("Booked. See you then."))
            return redirect("portal:appointments")
    open_offer = entry.status == WaitlistEntry.Status.OFFERED and entry.offered_appointment_start is not None
    return render(
        request,
        "portal/waitlist_offer.html",
        {
            "client": client,
            "entry": entry,
            "open_offer": open_offer,
            "problem": problem,
        },
        status=422 if problem else 200,
    )
