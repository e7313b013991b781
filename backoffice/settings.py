"""Settings. Everything that differs between the demo and production comes from the
environment, read through the helpers of backoffice/environment.py, which refuse values they
cannot use (BadEnvironment: one line at startup naming the variable and what it accepts)."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from backoffice.environment import BadEnvironment, envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BACKOFFICE_VAR_DIR", BASE_DIR / "var"))


DEBUG = envbool("DEBUG", True)
SECRET_KEY = envstr("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise BadEnvironment("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-not-secret"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc's files, served as our static files
    "django_celery_beat",
    "import_export",
    "anymail",
    "kernel",  # the ground floor: template tags and the admin's choice filters, no models
    "inventory",
    "orders",
    "purchasing",
    "notifications",
    "shops",  # the merchant's shops: above notifications, below backoffice
    "backoffice",  # last: the top layer composes the others' admin pages
]

MIDDLEWARE = [
    "backoffice.observability.RequestLogMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's CSS) straight from the app, hashed and compressed, cached for a year.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

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
            "builtins": ["kernel.templatetags.formats"],
        },
    },
]

# SQLite is the embedded default (one command, no servers); production sets DATABASE_URL.


def database_url(url, **options):
    try:
        return dj_database_url.parse(url, **options)
    except ValueError as error:
        raise BadEnvironment(
            f"DATABASE_URL: expected postgres://user:pass@host:5432/name or sqlite:///path ({error})"
        ) from None


VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": database_url(
        envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'backoffice.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that does not answer costs a connection attempt this long, not the
    # kernel's two minutes of retries: the request is then answered 503 (backoffice/failures.py).
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = envint(
        "DATABASE_CONNECT_TIMEOUT_SECONDS", 3, minimum=1
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue instead of failing at once with "database is locked"; IMMEDIATE takes
    # the write lock at BEGIN, so a transaction never upgrades its lock halfway through.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = envstr("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
# Dates and numbers as the shop writes them, per language (kernel/formats).
FORMAT_MODULE_PATH = ["kernel.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = envstr("STATIC_ROOT", str(VAR_DIR / "static"))
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
# The demo serves the sources (no collectstatic); production the collected copies.
WHITENOISE_USE_FINDERS = DEBUG
# In production `collectstatic` writes hashed, compressed copies that whitenoise serves with
# a year's cache; in the demo Django's finders serve the sources.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["kernel.permissions.RolePermission"],
    # JSON only: the shop speaks JSON, people use /api/v1/docs/.
    "DEFAULT_PARSER_CLASSES": ["kernel.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "kernel.parsers.JSONOnly",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["kernel.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "kernel.api.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "kernel.schema.AutoSchema",
    "EXCEPTION_HANDLER": "kernel.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Backorder back office API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "Orders, stock and backorders for the shop.",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs pages load their scripts from this app, never a CDN (offline, strict CSPs).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kernel.schema.document_errors",
    ],
}

# Celery: the embedded default is kombu's filesystem transport (no server); production
# sets CELERY_BROKER_URL=redis://...
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "filesystem://")
# Queueing a task after commit tries the broker once (kombu would retry for about 6 s while
# the request waits) and waits at most BROKER_TIMEOUT_SECONDS (below) for one that is down or
# frozen; what could not be queued the beat sweeps find. The worker's own reconnecting is not
# affected (its retry settings).
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    (_broker_dir / "queue").mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = envstr("CELERY_RESULT_BACKEND", None)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task cut off by a lost broker connection is redelivered, not left half-acknowledged;
# every task is safe to run twice.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE
# Beat reads its schedule from the database, so staff can change it in admin; the entries
# below are written there when beat starts.
CELERY_BEAT_SCHEDULER = "backoffice.beat:Scheduler"
# Beat wakes at least this often (and writes its heartbeat), whatever its schedule.
CELERY_BEAT_MAX_LOOP_INTERVAL = 30
CELERY_BEAT_SCHEDULE = {
    "check-stock-ledger": {"task": "inventory.tasks.check_stock_ledger", "schedule": crontab(hour=3, minute=15)},
    # The demand history the reorder review reads: yesterday complete, the last week again.
    "refresh-demand-history": {"task": "purchasing.tasks.refresh_demand", "schedule": crontab(hour=2, minute=30)},
    "batch-backorders": {
        "task": "purchasing.tasks.batch_backorders",
        # BATCH_EVERY_SECONDS replaces the quarter-hourly run (a test or a busy shop).
        "schedule": envint("BATCH_EVERY_SECONDS", 0, minimum=0) or crontab(minute="*/15"),
    },
    "mark-late-purchase-order-lines": {
        "task": "purchasing.tasks.mark_late_lines",
        "schedule": crontab(hour=6, minute=0),
    },
    # After the late lines: every waiting date that can no longer be met moves before it passes.
    # notifications.rules.MORNING (07:00) holds emails due at night until this has run.
    "review-etas": {"task": "purchasing.tasks.review_etas", "schedule": crontab(hour=6, minute=15)},
    # One reminder to suppliers that have not confirmed a purchase order in their window.
    "remind-suppliers": {"task": "purchasing.tasks.send_supplier_reminders", "schedule": crontab(hour=8, minute=0)},
    # Sends auto-send purchase orders whose send could not be queued or failed.
    "send-auto-purchase-orders": {
        "task": "purchasing.tasks.send_auto_purchase_orders",
        "schedule": crontab(minute="*/5"),
    },
    # Picks up what the quiet window held back, retries, and anything a lost task left.
    "send-customer-messages": {"task": "notifications.tasks.send_messages", "schedule": crontab(minute="*")},
    "customer-service-digest": {"task": "notifications.tasks.send_digest", "schedule": crontab(hour=7, minute=0)},
    "refresh-summaries": {"task": "backoffice.tasks.refresh_summaries", "schedule": crontab(minute="*/5")},
    # Shops: orders changed in the shop (webhooks are not guaranteed), held events, failed pushes.
    "sync-shops": {"task": "shops.tasks.sync_shops", "schedule": crontab(minute="*/10")},
    # Webhooks stored but never queued (or whose task was lost), and pushes due.
    "shops-inbox": {"task": "shops.tasks.process_inbox", "schedule": crontab(minute="*")},
    "push-to-shops": {"task": "shops.tasks.push_to_shops", "schedule": crontab(minute="*")},
    # Customers of a large re-date whose telling task was lost.
    "tell-delayed-customers": {"task": "notifications.tasks.tell_delayed", "schedule": crontab(minute="*/5")},
}

# Email: the embedded default prints messages; production names an ESP backend
# (django-anymail) and its settings.
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "backoffice@localhost")
SHOP_NAME = envstr("SHOP_NAME", "Teehaus am Markt")
EMAIL_FILE_PATH = envstr("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
# django-anymail: every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"], e.g.
# ANYMAIL_POSTMARK_SERVER_TOKEN, and ANYMAIL_WEBHOOK_SECRET ("user:password") guards the
# tracking webhooks at /anymail/<esp>/tracking/ with basic auth.
ANYMAIL = {
    name[len("ANYMAIL_") :]: value for name, value in os.environ.items() if name.startswith("ANYMAIL_") and value
}
# A worker's claim on a message lasts this long, renewed just before the ESP call; one not
# renewed belongs to a worker that stopped and is taken back. Longer than the ESP call's own
# timeout (anymail's REQUESTS_TIMEOUT, 30 s).
MESSAGE_CLAIM_SECONDS = envint("MESSAGE_CLAIM_SECONDS", 60, minimum=1)
# An SMTP call gives up well within the claim (anymail's ESPs: its REQUESTS_TIMEOUT, 30 s).
EMAIL_TIMEOUT = max(MESSAGE_CLAIM_SECONDS // 2, 1)
if "MESSAGE_SENDING_STALE_MINUTES" in os.environ:
    raise BadEnvironment("MESSAGE_SENDING_STALE_MINUTES is replaced by MESSAGE_CLAIM_SECONDS (default 60)")
# Emails to staff (the daily digest) are written in this language.
STAFF_LANGUAGE = envstr("STAFF_LANGUAGE", "de")
if STAFF_LANGUAGE not in dict(LANGUAGES):
    raise BadEnvironment(f"STAFF_LANGUAGE={STAFF_LANGUAGE!r}: expected one of {', '.join(dict(LANGUAGES))}")

# Shops (Shopify, WooCommerce): their secrets are stored encrypted with this Fernet key.
SHOP_SECRETS_KEY = envstr("SHOP_SECRETS_KEY", "")
if SHOP_SECRETS_KEY:
    from cryptography.fernet import Fernet

    try:
        Fernet(SHOP_SECRETS_KEY)
    except ValueError:
        raise BadEnvironment("SHOP_SECRETS_KEY: expected a Fernet key (32 url-safe base64-encoded bytes)") from None
# Reconciliation reads the orders changed since its last run minus this overlap (clocks differ).
SHOP_SYNC_OVERLAP_MINUTES = envint("SHOP_SYNC_OVERLAP_MINUTES", 10, minimum=0)
# Stock changes of a product wait this long before they are pushed, so a burst is one call.
SHOP_PUSH_DELAY_SECONDS = envint("SHOP_PUSH_DELAY_SECONDS", 10, minimum=0)
# Calls to a shop give up after this many seconds (the shop is then "down" and retried).
SHOP_TIMEOUT_SECONDS = envint("SHOP_TIMEOUT_SECONDS", 20, minimum=1)
# Shopware 6 shops connect as an app (shops/shopware_app.py, `manage.py shopware_manifest`): its
# technical name (letters and digits, as Shopware requires of an app's folder) and the app secret
# that signs each shop's registration (at least 32 characters; without it no shop can register).
SHOPWARE_APP_NAME = envstr("SHOPWARE_APP_NAME", "BackorderBackOffice")
if not SHOPWARE_APP_NAME.isascii() or not SHOPWARE_APP_NAME.isalnum() or not SHOPWARE_APP_NAME[0].isalpha():
    raise BadEnvironment(
        f"SHOPWARE_APP_NAME={SHOPWARE_APP_NAME!r}: expected letters and digits, e.g. BackorderBackOffice"
    )
SHOPWARE_APP_SECRET = envstr("SHOPWARE_APP_SECRET", "")
if SHOPWARE_APP_SECRET and len(SHOPWARE_APP_SECRET) < 32:
    raise BadEnvironment("SHOPWARE_APP_SECRET: expected at least 32 characters (make one with: openssl rand -hex 32)")

# The status page answers at most this many requests per client address and minute.
STATUS_PAGE_REQUESTS_PER_MINUTE = envint("STATUS_PAGE_REQUESTS_PER_MINUTE", 60, minimum=1)
# The supplier's page (purchasing.supplier_page): requests per client address and minute.
SUPPLIER_PAGE_REQUESTS_PER_MINUTE = envint("SUPPLIER_PAGE_REQUESTS_PER_MINUTE", 60, minimum=1)
# Sign-ins (admin, and any password check) are refused for an account after this many wrong
# passwords, or for a client address after that many (also wrong credentials on the ESP's
# tracking webhook), until this many minutes from the first have passed.
LOGIN_FAILURES_PER_ACCOUNT = envint("LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
LOGIN_FAILURES_PER_ADDRESS = envint("LOGIN_FAILURES_PER_ADDRESS", 20, minimum=1)
LOGIN_FAILURE_WINDOW_MINUTES = envint("LOGIN_FAILURE_WINDOW_MINUTES", 15, minimum=1)
AUTHENTICATION_BACKENDS = ["kernel.signin.ThrottledModelBackend"]
# Behind a proxy that appends to X-Forwarded-For, the client is the last address in it (the
# one the proxy saw; what comes before it the client can write itself).
TRUST_X_FORWARDED_FOR = envbool("TRUST_X_FORWARDED_FOR", False)
# Rate limits live in the cache: per process by default, shared through Redis in production.
# Limits fail open while Redis is away; short timeouts make a frozen Redis cost a request at
# most about a second (redis-py's defaults wait forever), not a hung page.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if envstr("CACHE_URL", ""):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": envstr("CACHE_URL", ""),
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }

# Bounds on waiting: a frozen broker or cache, a row lock held long or a runaway query costs a
# web request seconds, not minutes (the 503 it then gets: backoffice/failures.py; a request
# stuck anywhere else is cut by gunicorn's timeout: gunicorn.conf.py).
# The broker: connecting, and each read or write, at most this long; a worker on a frozen
# broker reconnects after it too, instead of hanging. At least 2: a worker's BRPOP waits 1 s
# (kombu's polling interval) for its answer, which must come within this. (The shared cache
# has its own half second, above: the limits it keeps let requests through while it is away.)
BROKER_TIMEOUT_SECONDS = envint("BROKER_TIMEOUT_SECONDS", 2, minimum=2)
if not CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        "socket_timeout": BROKER_TIMEOUT_SECONDS,
    }
# A web request's database statement may run this long, and wait this long for a row lock
# (0: no limit). Web processes only (backoffice/wsgi.py): jobs in workers and beat may
# rightly run longer. Below gunicorn's timeout, so the request is answered (503), not cut.
REQUEST_STATEMENT_TIMEOUT_SECONDS = envint("REQUEST_STATEMENT_TIMEOUT_SECONDS", 20, minimum=0)
REQUEST_LOCK_TIMEOUT_SECONDS = envint("REQUEST_LOCK_TIMEOUT_SECONDS", 5, minimum=0)

# Where customers reach the status page: links in emails are absolute.
SITE_URL = envstr("SITE_URL", "http://localhost:8000").rstrip("/")
# How long a status page link in an email stays valid (seconds).
ORDER_STATUS_LINK_MAX_AGE = envint("ORDER_STATUS_LINK_DAYS", 400, minimum=1) * 86400

# Business rules.
# Until purchasing knows the supplier, a backorder's ETA is today + this many days.
BACKORDER_DEFAULT_LEAD_TIME_DAYS = envint("BACKORDER_DEFAULT_LEAD_TIME_DAYS", 14, minimum=0)
# Days from a purchase order line's expected date to the customer's ETA (goods in, packed, out).
PURCHASING_HANDLING_DAYS = envint("PURCHASING_HANDLING_DAYS", 2, minimum=0)
# A late purchase order line moves its backorders' ETA to today + this many days until the
# supplier confirms a new date.
PURCHASING_LATE_GRACE_DAYS = envint("PURCHASING_LATE_GRACE_DAYS", 5, minimum=0)
# The morning ETA review moves any date this close with no goods arriving by it, and the
# message rules always re-tell a told date this close that has moved.
ETA_REVIEW_HORIZON_DAYS = envint("ETA_REVIEW_HORIZON_DAYS", 2, minimum=0)
# The worklist and the dashboard read summaries a job refreshes this often (a page finding
# one older refreshes it itself).
SUMMARY_REFRESH_MINUTES = envint("SUMMARY_REFRESH_MINUTES", 5, minimum=1)
# A re-date moving more backorders than this commits at once; workers tell their customers
# in chunks (and beat sweeps every few minutes), instead of one transaction held for all.
NOTIFY_INLINE_BACKORDERS = envint("NOTIFY_INLINE_BACKORDERS", 1000, minimum=0)

# One line per request and per job run, each with its request or task id; JSON lines when
# LOG_FORMAT=json (for a log shipper), plain text otherwise.
LOG_FORMAT = envstr("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise BadEnvironment(f"LOG_FORMAT={LOG_FORMAT!r}: expected text or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "current_id": {"()": "backoffice.observability.CurrentIdFilter"},
        "refusals": {"()": "backoffice.observability.RefusalFilter"},
    },
    "formatters": {
        # The settings' TIME_ZONE with its offset, as gunicorn's lines (gunicorn.conf.py).
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            "datefmt": "%Y-%m-%d %H:%M:%S %z",
        },
        "json": {"()": "backoffice.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["current_id", "refusals"]}
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # Each request has its own line already.
    # Django's own loggers go through this handler only (its default console handler would
    # print each warning a second time, without the request id).
    "loggers": {"django.server": {"level": "WARNING"}, "django": {"handlers": ["console"], "propagate": False}},
}

# Errors to Sentry when SENTRY_DSN is set; nothing leaves otherwise.
SENTRY_DSN = envstr("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        send_default_pii=False,
        environment=envstr("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(envstr("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# /metrics answers a request with `Authorization: Bearer METRICS_TOKEN` or from an address in
# METRICS_ALLOWED_ADDRESSES; nobody else.
METRICS_TOKEN = envstr("METRICS_TOKEN", "")
METRICS_ALLOWED_ADDRESSES = envlist("METRICS_ALLOWED_ADDRESSES", [])
# /health/ready is 503 when beat has been silent or a due customer message has waited this long.
HEALTH_BEAT_MAX_SILENCE_SECONDS = envint("HEALTH_BEAT_MAX_SILENCE_SECONDS", 180, minimum=1)
HEALTH_MESSAGE_MAX_WAIT_SECONDS = envint("HEALTH_MESSAGE_MAX_WAIT_SECONDS", 600, minimum=1)

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
