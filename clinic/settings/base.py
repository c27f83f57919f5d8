"""Settings shared by every environment; each value can be set from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"  # local state: SQLite file, broker folders, beat schedule
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -----------------------------------------------------------------------------
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-not-secret-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"
ASGI_APPLICATION = "clinic.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Applications ---------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "drf_spectacular",
    "phonenumber_field",
]
LOCAL_APPS = [
    "clinic",
    "patients",
    "scheduling",
    "frontdesk",  # the front-desk pages and the admin dashboard
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The clinic's tablet handed to a patient to sign shows only the signing page.
    "frontdesk.kiosk.ConsentKioskMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "clinic.middleware.ConcurrentChangeMiddleware",
    "clinic.middleware.ErrorPageMiddleware",
]

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

# --- Database -------------------------------------------------------------------------
# No DATABASE_URL means the embedded SQLite database, so `make run` needs no server.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'needlepoint.sqlite3'}")
}


def tune_database(db: dict) -> dict:
    """Make SQLite take its write lock at BEGIN, so the booking services' check-then-write
    runs serialised (PostgreSQL relies on its exclusion constraints instead). On
    PostgreSQL, keep connections, and let the few reads every API request makes run as
    prepared statements (clinic/prepared.py; Django's own queries are never prepared).
    Behind a pooler in transaction mode, set DATABASE_PREPARED_STATEMENTS=false."""
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    else:
        db.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
        db.setdefault("CONN_HEALTH_CHECKS", True)
        if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
            db.setdefault("OPTIONS", {}).setdefault("prepare_threshold", 0)
    db["ATOMIC_REQUESTS"] = False
    return db


DATABASES["default"] = tune_database(DATABASES["default"])

# --- Authentication -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "frontdesk:login"
LOGIN_REDIRECT_URL = "frontdesk:schedule"

# --- Internationalisation and time ----------------------------------------------------
# Stored in UTC; shown in the location's or the patient's zone.
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = env("PHONENUMBER_DEFAULT_REGION", default="GB")
PHONENUMBER_DB_FORMAT = "E164"

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Email delivery -------------------------------------------------------------------
# Any Django email backend. A clinic plugs in its provider through django-anymail, e.g.
# DJANGO_EMAIL_BACKEND=anymail.backends.postmark.EmailBackend with ANYMAIL_POSTMARK_SERVER_TOKEN
# (Amazon SES, Mailgun, SendGrid ... alike: every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"]),
# and points the provider's webhooks at /anymail/<provider>/tracking/ with the user and
# password of ANYMAIL_WEBHOOK_SECRET ("user:password"). SMTP and the console stay options;
# `make run` writes every email as a file under EMAIL_FILE_PATH (var/mail).
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Needlepoint <clinic@localhost>")
EMAIL_FILE_PATH = env("DJANGO_EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
INSTALLED_APPS += ["anymail"]
ANYMAIL = {name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items() if name.startswith("ANYMAIL_")}

# --- Public site address --------------------------------------------------------------
# The one address every link in a patient's message starts with. `make run` sets it from
# PORT, docker-compose.yml from its own PUBLIC_SITE_URL.
PUBLIC_SITE_URL = env("PUBLIC_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Patient message pages ------------------------------------------------------------
# A message page (the link a text carries) and a waitlist offer's claim link stop
# working after this many days.
MESSAGE_PAGE_MAX_AGE_DAYS = env.int("MESSAGE_PAGE_MAX_AGE_DAYS", default=60)

# --- Celery ---------------------------------------------------------------------------
# With no broker configured, kombu's filesystem transport lets the worker and beat run
# without a Redis server; CELERY_BROKER_URL=redis://... switches to Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("out", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = env("CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule"))
CELERY_BEAT_SCHEDULE: dict = {}
# The worker keeps LOGGING's handlers (and their token filter) instead of its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- REST framework and the API ------------------------------------------------------
# Session login for pages and the interactive docs, token login for integrations.
# drf_spectacular_sidecar serves the docs page's scripts from our own static files (no CDN).
INSTALLED_APPS += ["rest_framework.authtoken", "axes", "drf_spectacular_sidecar"]
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "clinic.api.schema.ClinicAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous call is told to authenticate (401), not refused (403).
        "clinic.api.authentication.ClinicTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["clinic.api.permissions.IsStaffMember"],
    "EXCEPTION_HANDLER": "clinic.api.errors.exception_handler",
    # JSON in: one shape to validate and to document (the interactive docs send JSON too).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "clinic.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Needlepoint API",
    "DESCRIPTION": (
        "Booking and treatment-series scheduling for aesthetic clinics. Log in with a session "
        "(the docs page) or send `Authorization: Token <key>` (POST /api/v1/auth/token/). "
        "POSTs that create something accept an `Idempotency-Key` header: a retry with the same key "
        "gets the first answer again. Errors: 400 with field messages, 404, 409 with what was taken."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AppointmentStatusEnum": "scheduling.models.Appointment.Status",
        "AppointmentKindEnum": "scheduling.models.Appointment.Kind",
        "SeriesStatusEnum": "scheduling.models.TreatmentSeries.Status",
        "ConsultationOutcomeEnum": "patients.models.Consultation.Outcome",
        "TreatmentAreaEnum": "patients.choices.TreatmentArea",
        "SideEffectEnum": "patients.choices.SideEffect",
        "SkinConcernEnum": "patients.choices.SkinConcern",
        "ChannelEnum": "patients.choices.Channel",
        "DeviceEnum": "scheduling.models.Appointment.Device",
    },
}
# Patients confirm or cancel one visit from a signed link in their reminder.
PATIENT_LINK_MAX_AGE_DAYS = env.int("PATIENT_LINK_MAX_AGE_DAYS", default=14)
# A link to read and sign a consent document lasts this many days.
CONSENT_LINK_MAX_AGE_DAYS = env.int("CONSENT_LINK_MAX_AGE_DAYS", default=30)
# The link to a patient's own page (/my/...) works this long, until a newer one is sent.
PATIENT_HOME_MAX_AGE_DAYS = env.int("PATIENT_HOME_MAX_AGE_DAYS", default=30)
# "Send me my link": at most this many requests per hour from one address, and for one
# email or phone number.
PATIENT_LINK_REQUESTS_PER_HOUR = env.int("PATIENT_LINK_REQUESTS_PER_HOUR", default=5)
# A retried POST with the same Idempotency-Key within this many hours gets the first answer.
IDEMPOTENCY_KEY_HOURS = 24

# Short-lived answers (availability) are cached: per process by default, shared by every
# worker when DJANGO_CACHE_URL names a Redis database, e.g. redis://127.0.0.1:6379/1.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env("DJANGO_CACHE_URL", default=""):
    CACHES["default"] = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": env("DJANGO_CACHE_URL")}

# --- Failed logins --------------------------------------------------------------------
# django-axes: after AXES_FAILURE_LIMIT wrong passwords for one username from one address,
# that pair is locked out for the cool-off time (admin login, API token login alike).
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "clinic.api.errors.lockout_response"

# --- Logging --------------------------------------------------------------------------
# Signed tokens in patients' links are keys: the filter writes them as "[token]" in
# every log line (request logs included), so no log can open a patient's page.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_tokens": {"()": "clinic.log_filters.TokenRedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["no_tokens"]}
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # runserver's request lines carry the paths patients open: through the same filter.
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# --- Reminders ------------------------------------------------------------------------
# The outbox, the dispatcher and the channels (scheduling/reminders/). See README.md.
REMINDERS_SMS_BACKEND = env("REMINDERS_SMS_BACKEND", default="scheduling.reminders.sms.ConsoleSmsBackend")
REMINDERS_SMS_FILE_DIR = env("REMINDERS_SMS_FILE_DIR", default=str(VAR_DIR / "sms"))
REMINDERS_SMS_QUIET_HOURS = env("REMINDERS_SMS_QUIET_HOURS", default="21:00-08:00")  # patient's local time; empty: none
REMINDERS_DISPATCH_BATCH_SIZE = env.int("REMINDERS_DISPATCH_BATCH_SIZE", default=500)
REMINDERS_DISPATCH_MAX_PER_RUN = env.int("REMINDERS_DISPATCH_MAX_PER_RUN", default=200_000)
REMINDERS_DISPATCH_MAX_QUEUED_BATCHES = env.int("REMINDERS_DISPATCH_MAX_QUEUED_BATCHES", default=20)
REMINDERS_CLAIM_LEASE_SECONDS = env.int("REMINDERS_CLAIM_LEASE_SECONDS", default=300)
REMINDERS_SEND_LEASE_SECONDS = env.int("REMINDERS_SEND_LEASE_SECONDS", default=600)
REMINDERS_MAX_ATTEMPTS = env.int("REMINDERS_MAX_ATTEMPTS", default=5)
REMINDERS_RETRY_BASE_SECONDS = env.int("REMINDERS_RETRY_BASE_SECONDS", default=60)
REMINDERS_RETRY_MAX_SECONDS = env.int("REMINDERS_RETRY_MAX_SECONDS", default=3600)
REMINDERS_NUDGE_DAYS = env.int("REMINDERS_NUDGE_DAYS", default=7)
REMINDERS_WAITLIST_OFFERS_PER_SLOT = env.int("REMINDERS_WAITLIST_OFFERS_PER_SLOT", default=3)
REMINDERS_PROMPT_HOUR = env.int("REMINDERS_PROMPT_HOUR", default=10)  # local hour of maintenance prompts
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")
TWILIO_API_BASE = env("TWILIO_API_BASE", default="https://api.twilio.com")

# --- Request limits -------------------------------------------------------------------
# Every input is answered in words, never with a 500 (clinic/middleware.py,
# clinic/api/parsers.py): a NUL byte in the address is a 400, a body over the limit a
# 413 (the pages and the JSON API share one limit, 2.5 MB by default, checked from the
# Content-Length before anything is read), JSON nested too deeply a 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_MAX_BODY_BYTES", default=2_621_440)
API_MAX_BODY_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "clinic.middleware.RequestLimitsMiddleware")
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["clinic.api.parsers.BoundedJSONParser"]

# --- Client addresses behind proxies --------------------------------------------------
# How many reverse proxies in front of the app to trust for X-Forwarded-For: 0 (the
# default) when clients reach gunicorn directly, as in docker-compose.yml; 1 behind one
# reverse proxy (nginx, a load balancer) that appends the client's address. One rule
# (clinic.audit.client_address) serves login throttling, django-axes lockouts and the
# audit trail; DRF's own NUM_PROXIES says the same.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = NUM_PROXIES
AXES_CLIENT_IP_CALLABLE = "clinic.audit.client_address"
AXES_IPWARE_PROXY_COUNT = NUM_PROXIES
MIDDLEWARE.insert(MIDDLEWARE.index("clinic.middleware.RequestLimitsMiddleware") + 1,
                  "clinic.middleware.AuditAddressMiddleware")

# --- API tokens -----------------------------------------------------------------------
# A token lasts API_TOKEN_MAX_AGE_DAYS; a password change, a login switched off or a
# clinic role removed revokes it at once (clinic/api/tokens.py).
API_TOKEN_MAX_AGE_DAYS = env.int("API_TOKEN_MAX_AGE_DAYS", default=30)

# --- Staff sessions -------------------------------------------------------------------
# Front-desk computers are shared: a session ends after SESSION_IDLE_MINUTES without a
# request (clinic.middleware.IdleSessionMiddleware starts the count again, at most once a
# minute), and with SESSION_EXPIRE_AT_BROWSER_CLOSE=true also when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=False)
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
                  "clinic.middleware.IdleSessionMiddleware")

# --- Content-Security-Policy ----------------------------------------------------------
# django-csp: scripts, styles, fonts and images only from our own origin (the API docs'
# scripts come from drf-spectacular-sidecar's static files, their start-up script from a
# URL of its own, not inline). Inline style attributes stay allowed: the diary and the
# charts place blocks with them; no inline <style> or <script> is allowed.
INSTALLED_APPS += ["csp"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- API schema and docs --------------------------------------------------------------
# The schema and the interactive docs need a staff login (a session or a token) unless
# API_DOCS_PUBLIC=true opens them, e.g. on a staging site.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)
SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = ["clinic.api.permissions.ApiDocsPermission"]
