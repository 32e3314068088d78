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
    "nervecare.core.admin_site.OperatorAdminConfig",  # django.contrib.admin, for the operator only
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
    "nervecare.selfcare",
    "nervecare.outcomes",
    "nervecare.footcheck",
    "nervecare.trials",
    "nervecare.billing",
    "nervecare.interop",
    "nervecare.portal",
    "nervecare.web",
    "nervecare.setup",
    "nervecare.booking",
    "nervecare.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First: binds what the audit trail needs of the request (its address) while it is served.
    "nervecare.core.request_context.RequestContextMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy header (see "Security headers" below)
    "nervecare.core.middleware.ApiJsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): passed the two-factor step
    # Times on every page in the signed-in user's clinic's time zone (stored in UTC).
    "nervecare.core.middleware.ClinicTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "nervecare.core.middleware.IdleSessionMiddleware",  # signs out idle sessions (needs messages)
    "nervecare.core.middleware.StaffMfaRequiredMiddleware",  # staff must pass the two-factor step
    # A POST's Idempotency-Key: a retry gets the first answer (core/idempotency.py); needs the signed-in user.
    "nervecare.core.idempotency.IdempotencyKeyMiddleware",
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
# An empty DATABASE_URL (`DATABASE_URL= ./dev ...`, to leave a shell's PostgreSQL aside) means the default.
_database_url = os.environ.get("DATABASE_URL") or _default_db
if _database_url == _default_db:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
# CONN_MAX_AGE: seconds an app process keeps its database connection between requests (0: a new one per
# request). Reusing it saves PostgreSQL a backend start per request (see bench/load); health checks drop a
# connection the database closed (a restart) before a request uses it.
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
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
# DATABASE_POOL_MODE=transaction: the app reaches PostgreSQL through a pooler in transaction mode (PgBouncer
# pool_mode=transaction), where consecutive transactions of one request may run on different server
# connections. Then nothing may outlive a transaction on a connection: no server-side cursors (.iterator()
# holds one open across transactions in autocommit), and the Idempotency-Key middleware takes no session-level
# advisory lock (it would be taken on one server connection and released on another). Statements are never
# prepared on the server either way (Django's default client-side binding; prepare_threshold None).
# See deploy/README.md "PgBouncer".
DB_TRANSACTION_POOLING = os.environ.get("DATABASE_POOL_MODE", "").strip().lower() == "transaction"
if DB_TRANSACTION_POOLING:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
# The model the audit trail files events under (each event names its clinic and client); core names no app.
NERVECARE_AUDIT_SUBJECT_MODEL = "clients.Client"

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
AXES_LOCKOUT_CALLABLE = "nervecare.core.auth.views.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The IP address is REMOTE_ADDR (axes' default). Behind a reverse proxy every user would share the proxy's
# address, so AXES_PROXY_COUNT (the number of trusted proxies in front of the app, e.g. 1 for deploy/nginx.conf)
# makes axes read X-Forwarded-For from the right, skipping only addresses the proxies added (not spoofable).
_AXES_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)
# The API's rate limits read the client's address the same way (core/throttling.py): with no trusted proxy,
# REMOTE_ADDR only, never a client-written X-Forwarded-For (ninja's default, None, would use the whole header).
NINJA_NUM_PROXIES = _AXES_PROXY_COUNT
if _AXES_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = _AXES_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
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
EXPORT_STORAGE = os.environ.get("NERVECARE_EXPORT_STORAGE", "database")
if EXPORT_STORAGE not in ("database", "filesystem"):
    raise ImproperlyConfigured(
        f"NERVECARE_EXPORT_STORAGE must be 'database' or 'filesystem', not {EXPORT_STORAGE!r}"
    )
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Generated downloads (FHIR bulk-export files): in the database by default, so every app process on every
    # machine serves them without a shared disk (core/filestore.py). "filesystem" keeps them in
    # DATA_DIR/exports, which then has to be shared storage when there is more than one machine.
    "exports": (
        {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(DATA_DIR / "exports"), "file_permissions_mode": 0o640},
        }
        if EXPORT_STORAGE == "filesystem"
        else {"BACKEND": "nervecare.core.filestore.DatabaseStorage"}
    ),
}

# ---------------------------------------------------------------------------------------------------------
# Security headers, cookies, CSP, request size limits, API rate limits (`nervecare check --deploy` is clean).
# Production is "DEBUG off and not the test suite"; each switch can still be set by its environment variable.
# ---------------------------------------------------------------------------------------------------------
PRODUCTION = not DEBUG and not TESTING

# HTTPS: redirect plain HTTP. Behind a reverse proxy that terminates TLS, set SECURE_PROXY_SSL_HEADER=1 and
# make the proxy set X-Forwarded-Proto (and strip it from clients), or the redirect loops.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS: one year, subdomains, preload list. SECURE_HSTS_SECONDS=0 switches it off (e.g. while trying TLS out).
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# Cookies: Secure over HTTPS, never readable from JavaScript (HTMX reads the CSRF token from the page), and
# not sent on cross-site requests.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): nothing inline, nothing from another origin. Templates keep
# scripts in nervecare/static/js and styles in nervecare/static/css; charts are SVG without <style>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Request size: form and JSON bodies up to 2.5 MB (a FHIR referral bundle is well under that), uploads
# held in memory up to the same size, at most 2000 form fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 2000)

# The cache holds the API rate-limit counters (and drawn charts). Several app processes must share the
# counters: with REDIS_URL set the cache is Redis, otherwise it is local to the process.
CACHES = {
    "default": (
        {"BACKEND": "nervecare.core.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "nervecare"}
    )
}
# API rate limits, "<requests>/<s|m|h|d>": per signed-in user (token or session), and per IP address for
# requests without valid credentials. A person clicking through the pages makes a few requests a minute;
# raise NERVECARE_API_RATE for integrations or a load test that shares one account between many workers.
# "off" switches a limit off; the test suite runs without them unless a test sets one (user ids repeat
# between tests, so their counters would add up across the suite).
NERVECARE_API_RATE = os.environ.get("NERVECARE_API_RATE", "off" if TESTING else "600/m")
NERVECARE_API_ANON_RATE = os.environ.get("NERVECARE_API_ANON_RATE", "off" if TESTING else "60/m")
# The public booking page for new clients (no sign-in), per IP address: requests to hold a time (page and API)
# and every other request of the public pages. A held time waits this many minutes for the e-mail
# confirmation before it is released; the confirmation link itself works this many hours (it books the time
# again if it is still free).
NERVECARE_ONLINE_BOOKING_RATE = os.environ.get("NERVECARE_ONLINE_BOOKING_RATE", "off" if TESTING else "5/h")
NERVECARE_PUBLIC_PAGE_RATE = os.environ.get("NERVECARE_PUBLIC_PAGE_RATE", "off" if TESTING else "60/m")
NERVECARE_ONLINE_HOLD_MINUTES = env_int("NERVECARE_ONLINE_HOLD_MINUTES", 15)
NERVECARE_ONLINE_CONFIRM_HOURS = env_int("NERVECARE_ONLINE_CONFIRM_HOURS", 24)
# Bytes of one FHIR referral Bundle (413 beyond); entries, nesting and string lengths are bounded in
# nervecare/interop/limits.py, so one referral cannot hold a worker.
NERVECARE_FHIR_MAX_BODY = env_int("NERVECARE_FHIR_MAX_BODY", 1_000_000)
# Bytes of one document attached to a client (a letter, clearance or referral): ops/documents.py.
NERVECARE_DOCUMENT_MAX_BYTES = env_int("NERVECARE_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
# The daily foot check (issue 18): a photo's size limit, and after how many days without a check a client is
# listed for their therapist (0: the default of footcheck/data/foot_check_rules.yaml, 3 days).
NERVECARE_FOOTCHECK_PHOTO_MAX_BYTES = env_int("NERVECARE_FOOTCHECK_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
NERVECARE_FOOTCHECK_MISSED_DAYS = env_int("NERVECARE_FOOTCHECK_MISSED_DAYS", 0)
# Seconds an API token (with its user) stays in the cache between database lookups; 0 = look up every request.
# On by default only with Redis: every app process shares it, so revoking a token or changing its user (which
# drops the entry) takes effect at once everywhere. A cache local to each process could not promise that.
NERVECARE_TOKEN_CACHE_SECONDS = int(
    os.environ.get("NERVECARE_TOKEN_CACHE_SECONDS", "300" if os.environ.get("REDIS_URL") else "0")
)

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
# Absolute calendar feed URLs (e.g. https://care.example.org); empty: the request's host.
NERVECARE_PUBLIC_URL = os.environ.get("NERVECARE_PUBLIC_URL", "")
# The audit trail of reads and writes of clinical data. Switch off only to measure its cost (load test).
NERVECARE_AUDIT = env_bool("NERVECARE_AUDIT", True)
# How events get their place in the hash chain on PostgreSQL (core/audit/chain.py): "deferred" (stored at once,
# sealed just after the request, at most once per NERVECARE_AUDIT_SEAL_INTERVAL seconds per app process,
# and every minute by the job queue) or "inline" (sealed by the request under the chain's lock: every
# audited request of a clinic waits for the one before to commit). SQLite always seals inline.
NERVECARE_AUDIT_SEAL = os.environ.get("NERVECARE_AUDIT_SEAL", "deferred")
if NERVECARE_AUDIT_SEAL not in {"deferred", "inline"}:
    raise ImproperlyConfigured(
        f"NERVECARE_AUDIT_SEAL must be deferred or inline, got {NERVECARE_AUDIT_SEAL!r}"
    )
try:
    NERVECARE_AUDIT_SEAL_INTERVAL = float(os.environ.get("NERVECARE_AUDIT_SEAL_INTERVAL") or 1.0)
except ValueError as exc:
    raise ImproperlyConfigured("NERVECARE_AUDIT_SEAL_INTERVAL must be a number of seconds") from exc
# Signed checkpoints of each audit chain's head, outside the database (core/audit/checkpoint.py): so that
# removing the newest events, or rewriting and re-sealing the chain, is detected without trusting the database.
# The file (empty: off; `check --deploy` warns), the HMAC key (not in the database; unset: derived from
# SECRET_KEY, so set it to rotate SECRET_KEY freely), how often the job queue writes one, and whether each
# clinic's admins are emailed their chain's checkpoint too.
NERVECARE_AUDIT_CHECKPOINT_FILE = os.environ.get(
    "NERVECARE_AUDIT_CHECKPOINT_FILE", str(DATA_DIR / "audit-checkpoints.jsonl")
)
NERVECARE_AUDIT_CHECKPOINT_KEY = os.environ.get("NERVECARE_AUDIT_CHECKPOINT_KEY", "")
NERVECARE_AUDIT_CHECKPOINT_MINUTES = env_int("NERVECARE_AUDIT_CHECKPOINT_MINUTES", 15)
if not 1 <= NERVECARE_AUDIT_CHECKPOINT_MINUTES <= 60:
    raise ImproperlyConfigured("NERVECARE_AUDIT_CHECKPOINT_MINUTES must be between 1 and 60")
NERVECARE_AUDIT_CHECKPOINT_EMAIL = env_bool("NERVECARE_AUDIT_CHECKPOINT_EMAIL", False)
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
