"""chatmemory settings: one module, driven by the environment.

With no variable set, the project runs on the *embedded default*: an SQLite file under ``var/``,
Django's local-memory cache, Celery tasks executed eagerly in-process and the offline chat model.
Each service switches on when its URL is given:

=====================  ==========================================================================
``DATABASE_URL``       ``postgres://user@host:5432/name`` → PostgreSQL through psycopg 3
``REDIS_URL``          ``redis://host:6379/0`` → django-redis for the default and session caches
``CELERY_BROKER_URL``  ``amqp://…`` or ``redis://…`` → a real broker (tasks no longer eager)
``OPENAI_API_KEY``     with or without ``OPENAI_BASE_URL`` → ``ChatOpenAI`` instead of offline
``CHATMEMORY_MODEL``   model name sent to the OpenAI-compatible server (default ``gpt-4o-mini``)
``SECRET_KEY``         required when ``DEBUG`` is false
``DEBUG``              strict boolean: true/false/1/0/yes/no/on/off, anything else is an error
``ALLOWED_HOSTS``      comma-separated host names
=====================  ==========================================================================

Parsing is strict: a malformed boolean or integer raises ``ImproperlyConfigured`` at start-up
instead of silently becoming ``False`` (healthchecks' ``hc/settings.py`` does the same).
"""
from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from . import settings_scale
from .env import env, env_bool, env_int, env_list, env_str
from .settings_deploy import *  # noqa: F403 - static files, HTTPS, logs, metrics: chatmemory/settings_deploy.py
from .settings_deploy import CHATMEMORY_LOG_FORMAT, LOG_FORMATTERS, database_pool

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CHATMEMORY_VAR_DIR", str(BASE_DIR / "var")))

# --- Core ----------------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    SECRET_KEY = "chatmemory-insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # its bundled Swagger UI assets: /api/docs works offline (no CDN)
    "sessions_app",
]

MIDDLEWARE = [
    "sessions_app.web.middleware.MetricsMiddleware",  # request metrics for /metrics: outermost
    # Database unreachable → 503 (JSON under /api/, a page elsewhere), never a 500: outermost.
    "sessions_app.web.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "sessions_app.web.middleware.StaticFilesMiddleware",  # WhiteNoise, async-capable
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's common, auth and messages middlewares, without thread hops under ASGI
    "sessions_app.web.inline.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "sessions_app.web.inline.AuthenticationMiddleware",
    "sessions_app.web.inline.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "chatmemory.urls"

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
            # The app's template tags live in sessions_app/web/templatetags (not the app's top level).
            "libraries": {
                "chatmemory_ui": "sessions_app.web.templatetags.chatmemory_ui",
                "chatmemory_admin": "sessions_app.web.templatetags.chatmemory_admin",
            },
        },
    },
]

WSGI_APPLICATION = "chatmemory.wsgi.application"
ASGI_APPLICATION = "chatmemory.asgi.application"

# --- Database ----------------------------------------------------------------------------------
# PostgreSQL when DATABASE_URL is set (psycopg 3 is picked by Django's postgresql backend),
# otherwise an SQLite file in WAL mode with IMMEDIATE transactions so concurrent writers queue
# on the write lock instead of failing with "database is locked" on lock upgrade.
if env_str("DATABASE_URL"):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("CONN_MAX_AGE", 60, minimum=0))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["OPTIONS"].setdefault(
            "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 3, minimum=1)
        )
        # Django turns psycopg's prepared statements off (prepare_threshold None); its own cursors
        # bind client-side and never prepare anyway. Re-enabling them lets the hot statements of
        # sessions_app.db (prepare=True) be prepared once per connection. Off behind a pooler in
        # transaction mode that cannot keep prepared statements (PgBouncer < 1.21).
        if env_bool("CHATMEMORY_PREPARED_STATEMENTS", True):
            DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)  # psycopg's default
    database_pool(DATABASES["default"])  # DATABASE_POOL_MAX_SIZE > 0: psycopg's pool (ASGI)
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "chatmemory.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not ":memory:", so threads and processes in tests share one database.
            "TEST": {"NAME": env_str("SQLITE_TEST_PATH", str(VAR_DIR / "test_chatmemory.sqlite3"))},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Caches --------------------------------------------------------------------------------------
# "default" serves Django itself; "chatmemory" is the dedicated alias for the active-session cache
# (Django's cached_db pattern: the database stays the source of truth).
REDIS_URL = env_str("REDIS_URL")
CHATMEMORY_CACHE_ALIAS = "chatmemory"
if REDIS_URL:
    _redis_options = {
        "CLIENT_CLASS": "django_redis.client.DefaultClient",
        "SOCKET_CONNECT_TIMEOUT": 0.5,  # seconds
        "SOCKET_TIMEOUT": 0.5,  # seconds
    }
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cm",
            "OPTIONS": dict(_redis_options),
        },
        CHATMEMORY_CACHE_ALIAS: {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cms",
            "OPTIONS": dict(_redis_options),
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        CHATMEMORY_CACHE_ALIAS: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "chatmemory",
        },
    }

# --- Celery --------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
# Time limits are declared by each task (sessions_app/tasks.py), not globally.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = CHATMEMORY_LOG_FORMAT != "json"  # json: the worker logs through LOGGING

# --- Auth ----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "chat_home"
LOGOUT_REDIRECT_URL = "login"

# --- I18N / static -------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))  # collectstatic writes here

# --- Logging -------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"main": LOG_FORMATTERS[CHATMEMORY_LOG_FORMAT]},  # CHATMEMORY_LOG_FORMAT: plain | json
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {"sessions_app": {"level": env_str("CHATMEMORY_LOG_LEVEL", "INFO")}},
}

# --- chatmemory's own settings (CHATMEMORY_*, the model, the beat schedule of its jobs) ------------
from .app_settings import *  # noqa: E402,F403 - one settings set, split in two files by concern

# --- Scale-out: read replicas, PgBouncer transaction pooling, Redis Sentinel (chatmemory/settings_scale.py)
settings_scale.apply(globals())
