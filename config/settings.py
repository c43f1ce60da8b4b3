"""Beat settings: one module, read from the environment.

Defaults run on a laptop with nothing installed (SQLite and Celery's filesystem broker under
var/). Production sets the variables listed in README.md; secrets never have defaults here
except the clearly-marked development ones that only apply with DJANGO_DEBUG on.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BEAT_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 on a development machine."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Credentials of connected platform accounts are encrypted with these Fernet keys. The first key
# encrypts; all of them decrypt, so a key can be rotated without losing stored tokens.
# Checked when accounts/crypto.py is first used and by a system check at start-up.
BEAT_ENCRYPTION_KEYS = env_list("BEAT_ENCRYPTION_KEYS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "accounts",
    "posts",
    "engagement",
    "campaigns",
    "platforms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    # Before the agency middleware, which may have to tell a removed member why they moved.
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.CurrentAgencyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires, so it sees the outcome of the login view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'beat.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file on the embedded default: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Lock an account after 5 failed logins, counted by the username tried (not the IP, which a
# whole police HQ may share), until an agency admin unlocks it.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_COOLOFF_TIME = None
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_VERBOSE = False

# Sessions end after 30 minutes without a request.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # The manifest (hashed names, long cache) needs `collectstatic`; the production image runs it.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("DJANGO_STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# Mail: invitations. Console on a laptop; SMTP in production.
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "Beat <beat@localhost>")

# Security: production values unless DEBUG is on. Behind a TLS-terminating proxy set
# DJANGO_SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
# The container health check calls /healthz over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The REST API under /api/v1/ (config/api.py, accounts/api_auth.py, each app's api.py).
# Personal API tokens first (a 401 then names the Bearer scheme), the browser's session second
# (with its CSRF check). JSON in and out; every error in one shape; a rate limit per token.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api_auth.AgencyMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.api_pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api_auth.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env_str("BEAT_API_RATE", "600/minute")},
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.api.AutoSchema",
    # OPTIONS answers 405 like any method an endpoint does not have (no metadata pages).
    "DEFAULT_METADATA_CLASS": None,
}

# The OpenAPI 3 schema at /api/schema/ and its documentation page (/api/docs/, Swagger UI), for
# signed-in people and tokens. Swagger UI comes from drf-spectacular-sidecar (served as static
# files: no CDN).
SPECTACULAR_SETTINGS = {
    "TITLE": "Beat API",
    "DESCRIPTION": (
        "The REST API of Beat, the social media desk. Authenticate with a personal API token "
        "(`Authorization: Bearer beat_...`, created under Your settings → API tokens); it acts "
        "in the agency it was created in, with your role there. Every error is "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PostStatusEnum": "posts.models.PostStatus",
        "TargetStatusEnum": "posts.models.TargetStatus",
        "ConversationStatusEnum": "engagement.models.ConversationStatus",
        "PlatformAccountStatusEnum": "accounts.models.PlatformAccountStatus",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Celery: Redis when REDIS_URL is set, else the filesystem transport under var/, so a worker and
# beat run on a laptop with no server installed.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport, less a client object built per command (see config/broker.py).
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        # Take from the queues in the order of CELERY_TASK_QUEUES (publishing first) instead of
        # in turn: during a burst of posts due at one moment, inbox pulls and metrics wait.
        # (config.broker keeps that order; kombu's own channel took it from a set.)
        "queue_order_strategy": "priority",
        # No copy of each message in an "unacked" hash until it is acknowledged: Beat never
        # relies on the broker to redeliver. Every task's work is a row in the database that
        # its dispatcher hands out again when the message is lost (a queued target after
        # BEAT_QUEUED_STALE_SECONDS, a pull or search cursor after its lease), as it must for a
        # Redis restart anyway. The copy cost two more Redis round trips per task, about half
        # of a worker's own cost per publish. A warm shutdown still puts back the messages a
        # worker had reserved; a killed worker's come back through the database.
        "ack_emulation": False,
    }
else:
    for sub in ("out", "processed", "control"):
        (CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # kombu's default is ./control, relative to wherever the worker was started.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
# Two queues, and every worker consumes both unless started with -Q: "publish" (the dispatcher,
# publish and reconcile tasks: time-critical) before "celery" (everything else). A deployment
# may also run workers for one queue only (-Q publish).
CELERY_TASK_QUEUES = (Queue("publish"), Queue("celery"))
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "posts.dispatch_due": {"queue": "publish"},
    "posts.publish_target": {"queue": "publish"},
    "posts.reconcile_target": {"queue": "publish"},
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# Messages each worker process reserves ahead. Publish tasks are short, so a few ahead saves a
# broker round trip per task; a reserved message whose worker dies comes back through the
# database (see ack_emulation above), and the target's own state makes a second copy harmless.
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("CELERY_WORKER_PREFETCH_MULTIPLIER", 1)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The dispatcher's interval; a target due between two runs gets a run of its own at its time.
BEAT_DISPATCH_EVERY_SECONDS = env_int("BEAT_DISPATCH_EVERY_SECONDS", 5)
CELERY_BEAT_SCHEDULE: dict = {
    # The schedule itself lives in PostgreSQL; beat only wakes the dispatcher.
    "dispatch-due-posts": {
        "task": "posts.dispatch_due",
        "schedule": float(BEAT_DISPATCH_EVERY_SECONDS),
        "options": {"expires": 30},
    },
    # Tell the supervisors once about each post in review that will miss its time.
    "notify-late-reviews": {
        "task": "posts.notify_late_reviews",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # Enqueue a pull of replies, comments and mentions for each account that is due one.
    "dispatch-inbox-pulls": {
        "task": "engagement.dispatch_pulls",
        "schedule": float(env_int("BEAT_INBOX_DISPATCH_EVERY_SECONDS", 30)),
        "options": {"expires": 60},
    },
    # Analytics (engagement/metrics.py): read the posts whose metrics are due (every 15 minutes
    # in a post's first day, then daily for 30 days); the rows' schedule is in the database.
    "refresh-post-metrics": {
        "task": "engagement.refresh_metrics",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # Safety net: start collecting for published targets that have no metrics row yet.
    "track-published-targets": {
        "task": "engagement.track_published",
        "schedule": 600.0,
        "options": {"expires": 300},
    },
    # Each account's followers once per UTC day; hourly runs only call accounts still lacking
    # today's snapshot (a throttled account is tried again an hour later).
    "snapshot-account-audiences": {
        "task": "engagement.snapshot_accounts",
        "schedule": 3600.0,
        "options": {"expires": 1800},
    },
    # Campaign monitoring (campaigns/monitoring.py): search each running campaign's hashtags
    # and each monitoring column's query since its cursor; the cursors live in the database.
    "dispatch-campaign-searches": {
        "task": "campaigns.dispatch_searches",
        "schedule": float(env_int("BEAT_CAMPAIGN_SEARCH_EVERY_SECONDS", 60)),
        "options": {"expires": 50},
    },
}
CELERY_TIMEZONE = "UTC"

# Platforms: every base URL comes from here, so the same client code talks to the real platform
# or to the platform sandbox.
BEAT_SANDBOX_URL = env_str("BEAT_SANDBOX_URL", "http://127.0.0.1:8700")
PLATFORM_BASE_URLS = {
    "x": env_str("X_API_BASE_URL", BEAT_SANDBOX_URL),
    "facebook": env_str("FACEBOOK_GRAPH_BASE_URL", BEAT_SANDBOX_URL),
}

# Publishing engine (see posts/publishing.py).
BEAT_PUBLISH_LEASE_SECONDS = env_int("BEAT_PUBLISH_LEASE_SECONDS", 120)
BEAT_PUBLISH_MAX_ATTEMPTS = env_int("BEAT_PUBLISH_MAX_ATTEMPTS", 5)
BEAT_PUBLISH_BACKOFF_BASE_SECONDS = env_int("BEAT_PUBLISH_BACKOFF_BASE_SECONDS", 10)
BEAT_PUBLISH_BACKOFF_CAP_SECONDS = env_int("BEAT_PUBLISH_BACKOFF_CAP_SECONDS", 600)
BEAT_QUEUED_STALE_SECONDS = env_int("BEAT_QUEUED_STALE_SECONDS", 60)
BEAT_DISPATCH_BATCH = env_int("BEAT_DISPATCH_BATCH", 500)
BEAT_PLATFORM_TIMEOUT_SECONDS = env_int("BEAT_PLATFORM_TIMEOUT_SECONDS", 15)

# Analytics collection (see engagement/metrics.py). A refresh also reads an account's posts that
# come due within this many seconds, so one platform call serves more of them.
BEAT_METRICS_COALESCE_SECONDS = env_int("BEAT_METRICS_COALESCE_SECONDS", 300)
# How often a post is read in its first day; 0 means the standard 15 minutes.
BEAT_METRICS_YOUNG_EVERY_SECONDS = env_int("BEAT_METRICS_YOUNG_EVERY_SECONDS", 0)
# Campaign monitoring (see campaigns/monitoring.py): how often beat searches the hashtags.
BEAT_CAMPAIGN_SEARCH_EVERY_SECONDS = env_int("BEAT_CAMPAIGN_SEARCH_EVERY_SECONDS", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

AXES_USERNAME_CALLABLE = "accounts.auth.axes_username"
