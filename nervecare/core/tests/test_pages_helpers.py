"""The page helpers every app shares (core/pages.py): HTMX partial or whole page, a refused service shown on
the form or as a message, downloads named for the browser."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory

from nervecare.core.errors import FieldErrors
from nervecare.core.pages import (
    csv_download,
    file_download,
    form_page,
    is_htmx,
    pdf_download,
    render_page_or_partial,
    run_form,
    run_service,
)


def _request(**headers):
    request = RequestFactory().get("/", headers=headers)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


class _NameForm(forms.Form):
    name = forms.CharField()


def _refuse(**errors):
    def call():
        raise FieldErrors(errors)

    return call


def test_only_an_htmx_request_is_htmx():
    assert is_htmx(_request(HX_Request="true"))
    assert not is_htmx(_request())
    assert not is_htmx(_request(HX_Request="false"))


@pytest.mark.parametrize(("headers", "template"), [({"HX_Request": "true"}, "partial"), ({}, "page")])
def test_htmx_gets_the_partial_a_normal_request_the_page(headers, template, monkeypatch):
    seen = {}

    def fake_render(request, name, context, status):
        seen.update(name=name, context=context, status=status)
        return name

    monkeypatch.setattr("nervecare.core.pages.render", fake_render)
    render_page_or_partial(_request(**headers), "page", "partial", {"x": 1}, status=422)
    assert seen == {"name": template, "context": {"x": 1}, "status": 422}


def test_a_refused_service_puts_each_error_on_its_field_and_the_rest_on_the_form():
    request = _request()
    form = _NameForm({"name": "Maria"})
    assert form.is_valid()
    done = run_service(request, _refuse(name="Taken.", other="Not allowed."), form=form, success="Saved.")
    assert not done.ok
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Other: Not allowed."]  # the field named in words (core/labels.py)
    assert list(get_messages(request)) == []  # no "Saved." for a refused change


def test_a_refused_service_without_a_form_says_why_in_one_message():
    request = _request()
    done = run_service(request, _refuse(reason="Give a reason.", plan="Already cancelled."))
    assert not done.ok and done.errors == {"reason": "Give a reason.", "plan": "Already cancelled."}
    assert [str(m) for m in get_messages(request)] == [
        "Reason: Give a reason.; Care plan: Already cancelled."
    ]


def test_a_service_that_succeeds_returns_its_value_and_says_so():
    request = _request()
    done = run_service(request, lambda: 42, success="Saved.")
    assert done.ok and done.value == 42
    assert [str(m) for m in get_messages(request)] == ["Saved."]


def test_an_invalid_form_runs_no_service_and_keeps_its_own_errors():
    request = _request()
    form = _NameForm({"name": ""})
    calls = []
    done = run_form(request, form, lambda: calls.append(1), success="Saved.")
    assert not done.ok and calls == []
    assert form.errors["name"] == ["This field is required."]
    assert list(get_messages(request)) == []


def test_a_valid_form_runs_its_service_and_a_refusal_lands_on_the_form():
    request = _request()
    done = run_form(request, _NameForm({"name": "Maria"}), lambda: 7, success="Saved.")
    assert done.ok and done.value == 7
    form = _NameForm({"name": "Maria"})
    assert not run_form(request, form, _refuse(name="Taken.")).ok
    assert form.errors["name"] == ["Taken."]


@pytest.mark.parametrize(
    ("method", "data", "status"),
    [("get", None, 200), ("post", {"name": ""}, 422), ("post", {"name": "Maria"}, 302)],
)
def test_a_form_page_shows_the_form_refuses_with_422_and_goes_on_after_a_save(
    method, data, status, monkeypatch
):
    monkeypatch.setattr("nervecare.core.pages.render", lambda request, name, context, status: status)
    request = getattr(RequestFactory(), method)("/", data or {})
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    form = _NameForm(data)
    saved = []
    response = form_page(
        request,
        form,
        save=lambda: saved.append(form.cleaned_data["name"]),
        success="Saved.",
        then="/done/",
        template="page.html",
        context={},
    )
    got = response.status_code if status == 302 else response
    assert got == status
    assert saved == (["Maria"] if status == 302 else [])


def test_downloads_are_attachments_named_for_the_browser():
    pdf = pdf_download(b"%PDF-1.7", filename="progress-1.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="progress-1.pdf"'
    assert pdf.content == b"%PDF-1.7"
    csv = csv_download("a,b\n", filename="outcomes.csv")
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    shown = file_download("x", filename="a.txt", content_type="text/plain", inline=True)
    assert shown["Content-Disposition"] == 'inline; filename="a.txt"'
