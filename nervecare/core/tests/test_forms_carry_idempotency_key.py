"""Every state-changing form of the pages and the portal carries the one-time key (issue 22: "the portal and
the pages' forms use it too"), so a double click or a retry after a lost answer is answered once
(core/idempotency.py). A new form without `{% idempotency_field %}` fails here unless it is listed below with
the reason it must not carry one."""

from pathlib import Path

import pytest
from django.template.loader import get_template

import nervecare

ROOT = Path(nervecare.__file__).parent

# Forms that must NOT replay a stored answer, each with its reason.
EXEMPT = {
    # Sign-in, the second step, password set and reset: a replayed answer would carry no fresh session or
    # one-time code; these flows are answered afresh every time.
    "templates/base.html": "the sign-out button (signing out twice is harmless; nothing to replay)",
    "templates/registration/login.html": "sign-in: a replay would not set the session",
    "templates/registration/mfa_setup.html": "second step set-up: one-time codes",
    "templates/registration/mfa_verify.html": "second step: one-time codes",
    "templates/registration/password_reset_confirm.html": "password reset: one-time link",
    "templates/registration/password_reset_form.html": "password reset request: answered the same anyway",
    "portal/templates/portal/set_password.html": "first password from an invitation: one-time link",
    "setup/templates/setup/invite_accept.html": "staff invitation: one-time link",
    # The stored answer would keep a new API token's secret in the database for a day.
    "core/templates/core/tokens.html": "a new token's secret must be shown once and never stored",
    # Imports are idempotent by design (ImportKey: re-running adds nothing); the bodies are whole files.
    "ops/templates/ops/imports.html": "import upload: idempotent by ImportKey; the body is a whole file",
    "ops/templates/ops/import_run.html": "import run: idempotent by ImportKey",
    "ops/templates/ops/partials/import_status.html": "import progress: idempotent by ImportKey",
    # Re-running the safety check is meant to be repeated and changes nothing the second time.
    "screening/templates/screening/partials/record_flags.html": "the safety check may be re-run at will",
}


def _templates_with_post_forms() -> list[Path]:
    return sorted(
        p for p in ROOT.rglob("templates/**/*.html") if "{% csrf_token %}" in p.read_text(encoding="utf-8")
    )


def _key(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_every_state_changing_form_carries_the_one_time_key() -> None:
    missing = []
    for path in _templates_with_post_forms():
        text = path.read_text(encoding="utf-8")
        if _key(path) in EXEMPT:
            continue
        if text.count("{% csrf_token %}") != text.count("{% idempotency_field %}"):
            missing.append(_key(path))
    assert missing == [], (
        f"forms without {{% idempotency_field %}} (add it, or list the reason in EXEMPT): {missing}"
    )


def test_the_exemptions_are_real_templates() -> None:
    for rel in EXEMPT:
        assert (ROOT / rel).exists(), rel


@pytest.mark.parametrize("path", _templates_with_post_forms(), ids=_key)
def test_every_template_with_a_form_compiles(path: Path) -> None:
    # `{% load idempotency %}` must follow `{% extends %}`; a misplaced load is a TemplateSyntaxError.
    get_template(_key(path).split("templates/", 1)[1])
