"""The one settings module: every difference between machines comes from the environment.

Without any variable set this is the embedded default (SQLite, a filesystem broker
and a file email backend, all under var/). `.env.example` lists every variable.
Importing it writes nothing: `make` creates the var/ folders (the email and cache
backends create their own).
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
# `make` writes a development .env on first use (DEBUG on, a local SECRET_KEY). What the
# environment sets wins over the file, so production's DEBUG=0 and secrets hold.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or set DEBUG=1 for local development)."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. Give the host names this site answers to, comma-separated."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "ptrx.exercises",
    "ptrx.plans",
    "ptrx.outcomes",
    "ptrx.webapp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body: an API body over the limit is a 413 unread.
    "ptrx.middleware.BodySizeLimitMiddleware",
    "ptrx.middleware.PrivacyHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ptrx.urls"
WSGI_APPLICATION = "ptrx.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ptrx" / "templates"],
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

# --- database -----------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ptrx.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let web, worker and beat share one file without
    # "database is locked"; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, broker ------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache is shared by every process on the machine, so throttling holds
    # across gunicorn workers in the embedded default.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

BROKER_DIR = VAR_DIR / "broker"
# kombu's filesystem transport with whole-file writes (ptrx/broker.py).
CELERY_BROKER_URL = REDIS_URL or "ptrx-filesystem://"
if not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "control_folder": str(VAR_DIR / "broker-control"),
    }
else:
    # No countdown or ETA in this project exceeds a few minutes, far below this.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must fail fast when the broker is down: requests never wait on it.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False

# A task still running when the broker connection drops finishes (its sends are
# claimed and recorded in the database); its redelivery then finds nothing to claim.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

REMINDER_SWEEP_SECONDS = env.int("REMINDER_SWEEP_SECONDS", default=300)
REMINDER_SEND_WINDOW_HOURS = env.int("REMINDER_SEND_WINDOW_HOURS", default=3)
APP_URL = env.str("APP_URL", default="http://127.0.0.1:8000/")

# One beat, UTC entries only (never one per patient: that breaks on clock changes).
# The sweep finds what is due in each patient's local time; the hourly jobs act once
# per plan (or therapist) and local (or UTC) date, so running them often is harmless,
# and a job that waited in the queue past its next run is dropped (`expires`).
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-reminders": {
        "task": "ptrx.plans.tasks.dispatch_due_reminders",
        "schedule": timedelta(seconds=REMINDER_SWEEP_SECONDS),
        "options": {"expires": REMINDER_SWEEP_SECONDS},
    },
    "snapshot-adherence": {
        "task": "ptrx.plans.tasks.snapshot_adherence",
        "schedule": crontab(minute=5),
        "options": {"expires": 3000},
    },
    "evaluate-progress": {
        "task": "ptrx.plans.tasks.evaluate_progress",
        "schedule": crontab(minute=15),
        "options": {"expires": 3000},
    },
    "therapist-digest": {
        "task": "ptrx.plans.tasks.therapist_digest",
        "schedule": crontab(minute=25),
        "options": {"expires": 3000},
    },
    "delete-expired-tokens": {
        "task": "ptrx.plans.tasks.delete_expired_tokens",
        "schedule": crontab(minute=35),
        "options": {"expires": 3000},
    },
}

# --- email --------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    _email_url = env.email_url("EMAIL_URL")
    EMAIL_BACKEND = _email_url["EMAIL_BACKEND"]
    EMAIL_HOST = _email_url["EMAIL_HOST"] or "localhost"
    EMAIL_PORT = _email_url["EMAIL_PORT"] or 25
    EMAIL_HOST_USER = _email_url["EMAIL_HOST_USER"] or ""
    EMAIL_HOST_PASSWORD = _email_url["EMAIL_HOST_PASSWORD"] or ""
    EMAIL_USE_TLS = _email_url.get("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = _email_url.get("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = _email_url.get("EMAIL_TIMEOUT")
    EMAIL_FILE_PATH = _email_url["EMAIL_FILE_PATH"] or str(VAR_DIR / "outbox")
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
    EMAIL_FILE_PATH = str(VAR_DIR / "outbox")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ptrx <no-reply@localhost>")

# --- auth, API ----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# How many reverse proxies in front of the web process append to X-Forwarded-For.
# 0 ignores the header: a client could otherwise choose the address it is limited by.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)

# Failed logins per username and per client address in one window; successful
# logins do not count. The address limit is higher: a clinic's patients may share one.
LOGIN_FAILURES_PER_USERNAME = env.int("LOGIN_FAILURES_PER_USERNAME", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=30)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)

# API request bodies above this many bytes are refused with 413 before parsing.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=256 * 1024)
# Deeper JSON is refused with 400 (no patient document nests beyond a few levels).
API_MAX_JSON_DEPTH = 32

REST_FRAMEWORK = {
    # Bearer first: a request without credentials is a 401 that names the Bearer scheme.
    # The session (with CSRF) is the patient app's: no script there can read a credential.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ptrx.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ptrx.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "writes": env.str("THROTTLE_WRITES_RATE", default="120/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["ptrx.parsers.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "ptrx.pagination.StrictPageNumberPagination",
    "NUM_PROXIES": TRUSTED_PROXIES,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(hours=env.int("TOKEN_TTL_HOURS", default=24 * 30)),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 20,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ptrx patient API",
    "DESCRIPTION": "Home-exercise plans, completions, check-ins and adherence for patients.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The published API is the Bearer one; the session is the patient app's own way in,
    # same-origin and with CSRF (its login at /app/session/ is not published either).
    "AUTHENTICATION_WHITELIST": ["ptrx.authentication.BearerTokenAuthentication"],
    # Operation ids and tags from the path after /api/ (v1_me_today_retrieve), whatever
    # else the site serves (the app's session view under /app/).
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PlanStatusEnum": "ptrx.plans.models.PlanStatus",
        "NotificationStatusEnum": "ptrx.plans.models.NotificationStatus",
        "PhaseStatusEnum": ["completed", "current", "upcoming"],
        "ItemKindEnum": ["exercise", "advice"],
        "NotificationKindEnum": "ptrx.plans.models.NotificationKind",
    },
    # Served from the sidecar package: the docs page makes no external request.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- production hardening (check --deploy) -----------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The patient app's session: out of scripts' reach and never sent from another site.
# The CSRF cookie stays readable: the app sends it back as X-CSRFToken.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"

# Scripts only from this site; the admin's own <style> blocks carry the request's
# nonce; style attributes (the admin's flags and charts) cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-elem": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
