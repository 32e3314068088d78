"""Settings for NerveCare, driven by environment variables.

Safe defaults for local use: SQLite in ./var, DEBUG off unless asked for. Production (DEBUG off) refuses
to start without a real SECRET_KEY.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from exc


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("NERVECARE_TESTING", False)

_INSECURE_KEY = "insecure-dev-key-only-for-local-use"  # noqa: S105 - refused below outside DEBUG/tests
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = _INSECURE_KEY
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random string, or DEBUG=1 for local use."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "simple_history",
    "ninja",
    # Authentication (see the "Authentication" block below): TOTP two-factor with backup codes, lockout.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "nervecare.core",
    "nervecare.clients",
    "nervecare.screening",
    "nervecare.plans",
    "nervecare.scheduling",
    "nervecare.visits",
    "nervecare.outcomes",
    "nervecare.interop",
    "nervecare.portal",
    "nervecare.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "nervecare.core.middleware.ApiJsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): passed the two-factor step
    "django.contrib.messages.middleware.MessageMiddleware",
    "nervecare.core.middleware.IdleSessionMiddleware",  # signs out idle sessions (needs messages)
    "nervecare.core.middleware.StaffMfaRequiredMiddleware",  # staff must pass the two-factor step
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lockout page
]

ROOT_URLCONF = "nervecare.urls"
WSGI_APPLICATION = "nervecare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATA_DIR = Path(os.environ.get("NERVECARE_DATA_DIR", PROJECT_DIR / "var"))
_default_db = f"sqlite:///{DATA_DIR / 'nervecare.sqlite3'}"
if "DATABASE_URL" not in os.environ:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
# CONN_MAX_AGE: seconds an app process keeps its database connection between requests (0: a new one per
# request). Reusing it saves PostgreSQL a backend start per request (see bench/load); health checks drop a
# connection the database closed (a restart) before a request uses it.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_db),
        conn_max_age=env_int("CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers queue (busy timeout)
    # instead of failing with "database is locked" half-way through a transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

# --- Authentication -------------------------------------------------------------------------------------
# Passwords: Argon2id first (new and changed passwords are stored with it; PBKDF2 hashes still verify and are
# upgraded on the next sign-in).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every sign-in first (lockout), then Django's own backend checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"  # the dashboard; the front desk and clients are sent on from there
LOGOUT_REDIRECT_URL = "login"
# Two-factor (django-otp, TOTP authenticator apps + one-time backup codes). Staff (admin, therapist, front
# desk) must enrol and enter a code after their password before any staff page or the session-signed API;
# portal clients are not asked. API bearer tokens (issued from the CLI) are not affected.
NERVECARE_REQUIRE_MFA = env_bool("NERVECARE_REQUIRE_MFA", True)
OTP_TOTP_ISSUER = "NerveCare"
OTP_TOTP_THROTTLE_FACTOR = 1  # after n wrong codes in a row, wait 2^(n-1) seconds before the next try
OTP_STATIC_THROTTLE_FACTOR = 1
# Lockout (django-axes): 5 failed sign-ins (passwords or two-factor codes) for one username from one IP
# address lock that pair for 15 minutes. `nervecare axes_reset` (or axes_reset_username) lifts it early.
AXES_FAILURE_LIMIT = env_int("NERVECARE_LOGIN_FAILURE_LIMIT", 5)
NERVECARE_LOCKOUT_MINUTES = env_int("NERVECARE_LOCKOUT_MINUTES", 15)
AXES_COOLOFF_TIME = NERVECARE_LOCKOUT_MINUTES / 60  # hours, as a float (axes reads an int as whole hours)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = False  # a correct password must not wipe the count of wrong two-factor codes
AXES_LOCKOUT_CALLABLE = "nervecare.core.auth_views.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The IP address is REMOTE_ADDR (axes' default). Behind a reverse proxy, set AXES_IPWARE_PROXY_COUNT and
# AXES_IPWARE_META_PRECEDENCE_ORDER as django-axes documents, or every user shares the proxy's address.
# Idle sessions are signed out (middleware in core/middleware.py); SESSION_COOKIE_AGE stays the absolute
# limit. Staff: 15 minutes by default; portal clients: 60.
NERVECARE_IDLE_MINUTES = env_int("NERVECARE_IDLE_MINUTES", 15)
NERVECARE_CLIENT_IDLE_MINUTES = env_int("NERVECARE_CLIENT_IDLE_MINUTES", 60)
# Password reset by email (Django's views): the link is valid for 1 hour.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60)
# --- end of Authentication -----------------------------------------------------------------------------

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50

# Reminders and the job queue (nervecare/scheduling/reminders.py, tasks.py).
REDIS_URL = os.environ.get("REDIS_URL", "")  # empty: the job queue is a SQLite file in DATA_DIR
NERVECARE_JOBS_IMMEDIATE = env_bool("NERVECARE_JOBS_IMMEDIATE", TESTING)  # run jobs inline (tests)
NERVECARE_REMINDER_LEAD_HOURS = env_int("NERVECARE_REMINDER_LEAD_HOURS", 24)
NERVECARE_REMINDER_MAX_ATTEMPTS = env_int("NERVECARE_REMINDER_MAX_ATTEMPTS", 5)
# How long before an appointment a client may still cancel it in the portal.
NERVECARE_CANCEL_POLICY_HOURS = env_int("NERVECARE_CANCEL_POLICY_HOURS", 24)
# Absolute calendar feed URLs (e.g. https://care.example.org); empty: the request's host.
NERVECARE_PUBLIC_URL = os.environ.get("NERVECARE_PUBLIC_URL", "")
# The audit trail of reads and writes of clinical data. Switch off only to measure its cost (load test).
NERVECARE_AUDIT = env_bool("NERVECARE_AUDIT", True)
# Email. Without EMAIL_HOST, DEBUG prints emails to the console.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "NerveCare <noreply@localhost>")
