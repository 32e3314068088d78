"""The production settings: `nervecare check --deploy` is clean, and the pages carry the security headers.

Each test starts a fresh Python process with a production-like environment (DEBUG unset, a random
SECRET_KEY, a real host name), because the settings are read once per process from the environment."""

import json
import os
import secrets
import subprocess
import sys

import pytest

HOST = "care.example.org"


def _production_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE: set by the browser tests for their own process, never in production
        if k not in {"DEBUG", "NERVECARE_TESTING", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.pop("SECURE_SSL_REDIRECT", None)
    env.pop("SECURE_COOKIES", None)
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": HOST,
            "NERVECARE_DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "nervecare.settings",
        }
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603


def test_check_deploy_is_clean_for_the_production_settings(tmp_path):
    result = _run(
        [sys.executable, "-m", "nervecare", "check", "--deploy", "--fail-level", "WARNING"],
        _production_env(tmp_path),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output and "security.W" not in output


def test_check_deploy_flags_an_insecure_setting(tmp_path):
    """The check above can fail: switching HSTS off is reported as a warning and the command exits 1."""
    result = _run(
        [sys.executable, "-m", "nervecare", "check", "--deploy", "--fail-level", "WARNING"],
        _production_env(tmp_path, SECURE_HSTS_SECONDS="0"),
    )
    assert result.returncode == 1
    assert "security.W004" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]
    result = _run([sys.executable, "-m", "nervecare", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
c = Client()
plain = c.get("/accounts/login/", HTTP_HOST="care.example.org")
secure = c.get("/accounts/login/", HTTP_HOST="care.example.org", secure=True)
print(json.dumps({
    "plain_status": plain.status_code, "plain_location": plain.get("Location", ""),
    "status": secure.status_code,
    "headers": dict(secure.headers.items()),
    "session_cookie": {"secure": settings.SESSION_COOKIE_SECURE, "httponly": settings.SESSION_COOKIE_HTTPONLY,
                       "samesite": settings.SESSION_COOKIE_SAMESITE},
    "cookies": {name: {k: m[k] for k in ("secure", "httponly", "samesite")} for name, m in secure.cookies.items()},
}))
"""


@pytest.fixture(scope="module")
def production_response(tmp_path_factory):
    result = _run([sys.executable, "-c", PROBE], _production_env(tmp_path_factory.mktemp("prod")))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_plain_http_is_redirected_to_https(production_response):
    assert production_response["plain_status"] == 301
    assert production_response["plain_location"] == f"https://{HOST}/accounts/login/"


def test_security_headers_on_a_page(production_response):
    headers = {k.lower(): v for k, v in production_response["headers"].items()}
    assert production_response["status"] == 200
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    csp = {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
        for part in headers["content-security-policy"].split(";")
    }
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in headers["content-security-policy"]


def test_cookies_are_secure_httponly_and_same_site(production_response):
    csrf = production_response["cookies"]["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"
    assert production_response["session_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}


@pytest.mark.parametrize(
    ("extra", "warning"),
    [
        ({"NERVECARE_AUDIT_CHECKPOINT_FILE": ""}, "nervecare.W002"),
        ({"NERVECARE_AUDIT_CHECKPOINT_FILE": "{tmp}/a-file/audit.jsonl"}, "nervecare.W003"),  # under a file
        ({"NERVECARE_AUDIT_CHECKPOINT_KEY": "short"}, "nervecare.W004"),
    ],
)
def test_check_deploy_warns_about_the_audit_checkpoints(tmp_path, extra, warning):
    """Signed audit checkpoints off, unwritable or with a weak key: a warning (issue 14, finding 9b)."""
    (tmp_path / "a-file").write_text("")
    extra = {k: v.replace("{tmp}", str(tmp_path)) for k, v in extra.items()}
    result = _run(
        [sys.executable, "-m", "nervecare", "check", "--deploy", "--fail-level", "WARNING"],
        _production_env(tmp_path, **extra),
    )
    assert result.returncode == 1
    assert warning in result.stdout + result.stderr
