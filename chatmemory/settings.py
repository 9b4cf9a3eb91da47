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

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from .env import env, env_bool, env_int, env_list, env_str

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
    "sessions_app",
]

MIDDLEWARE = [
    # Database unreachable → 503 (JSON under /api/, a page elsewhere), never a 500: outermost.
    "sessions_app.web.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
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
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- Logging -------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {"sessions_app": {"level": env_str("CHATMEMORY_LOG_LEVEL", "INFO")}},
}

# --- The chat model and the prompt -----------------------------------------------------------------
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
CHATMEMORY_MODEL = env_str("CHATMEMORY_MODEL", "gpt-4o-mini")
# Seconds before a call to the OpenAI-compatible server is abandoned.
CHATMEMORY_MODEL_TIMEOUT = env_int("CHATMEMORY_MODEL_TIMEOUT", 60, minimum=1)
# Seconds for the small call that titles a new conversation (in Celery, never in the turn).
CHATMEMORY_TITLE_TIMEOUT = env_int("CHATMEMORY_TITLE_TIMEOUT", 10, minimum=1)
CHATMEMORY_SYSTEM_PROMPT = env_str(
    "CHATMEMORY_SYSTEM_PROMPT", "You are a helpful assistant. Use the conversation so far."
)
# Messages read from storage for the model's context (the recent window) ...
CHATMEMORY_CONTEXT_WINDOW = env_int("CHATMEMORY_CONTEXT_WINDOW", 40, minimum=1)
# ... then trimmed by langchain_core's trim_messages to this many tokens (approximate count).
CHATMEMORY_CONTEXT_MAX_TOKENS = env_int("CHATMEMORY_CONTEXT_MAX_TOKENS", 3000, minimum=64)
# Memory beyond the window (sessions_app.memory, docs/memory.md), each part switchable, each with a
# token budget inside CHATMEMORY_CONTEXT_MAX_TOKENS: the rolling summary of what left the window
# (rewritten by a Celery task once SUMMARY_STEP more messages left it), recall of older messages
# relevant to the new one, and the user's memories (the Memory page; "remember …").
CHATMEMORY_MEMORY_SUMMARY = env_bool("CHATMEMORY_MEMORY_SUMMARY", True)
CHATMEMORY_MEMORY_RECALL = env_bool("CHATMEMORY_MEMORY_RECALL", True)
CHATMEMORY_MEMORY_USER = env_bool("CHATMEMORY_MEMORY_USER", True)
CHATMEMORY_MEMORY_SUMMARY_TOKENS = env_int("CHATMEMORY_MEMORY_SUMMARY_TOKENS", 400, minimum=32)
CHATMEMORY_MEMORY_RECALL_TOKENS = env_int("CHATMEMORY_MEMORY_RECALL_TOKENS", 600, minimum=32)
CHATMEMORY_MEMORY_USER_TOKENS = env_int("CHATMEMORY_MEMORY_USER_TOKENS", 300, minimum=32)
CHATMEMORY_MEMORY_SUMMARY_STEP = env_int("CHATMEMORY_MEMORY_SUMMARY_STEP", 20, minimum=1)
# Largest accepted user message, in characters.
CHATMEMORY_MAX_MESSAGE_CHARS = env_int("CHATMEMORY_MAX_MESSAGE_CHARS", 32_000, minimum=1)
# Delay between tokens of the offline model's stream, in milliseconds (0 in tests).
CHATMEMORY_OFFLINE_TOKEN_DELAY_MS = env_int("CHATMEMORY_OFFLINE_TOKEN_DELAY_MS", 15, minimum=0)

# --- The JSON API and chat limits ----------------------------------------------------------------
# Largest request body Django reads, in bytes (larger → 413 JSON on the API). Django's default is 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1_048_576, minimum=1024)
# Session metadata: at most this many bytes of JSON, nested at most this deep.
CHATMEMORY_API_MAX_METADATA_BYTES = env_int("CHATMEMORY_API_MAX_METADATA_BYTES", 16_384, minimum=2)
CHATMEMORY_API_MAX_METADATA_DEPTH = env_int("CHATMEMORY_API_MAX_METADATA_DEPTH", 8, minimum=1)
# Per-user chat rate limit: at most this many turns (0 = off) ...
CHATMEMORY_CHAT_RATE_LIMIT = env_int("CHATMEMORY_CHAT_RATE_LIMIT", 30, minimum=0)
# ... in any window of this many seconds (a moving window, sessions_app/ratelimit.py; Redis when set).
CHATMEMORY_CHAT_RATE_WINDOW = env_int("CHATMEMORY_CHAT_RATE_WINDOW", 60, minimum=1)

# --- Retention: LangGraph checkpoints, conversations, state versions -----------------------------
# Retention of LangGraph threads (sessions_app.tasks.prune_checkpoints, run daily by Celery beat):
# keep this many checkpoints per thread namespace ...
CHATMEMORY_CHECKPOINT_KEEP = env_int("CHATMEMORY_CHECKPOINT_KEEP", 100, minimum=1)
# ... and delete older ones only once they are this many days old.
CHATMEMORY_CHECKPOINT_PRUNE_AFTER_DAYS = env_int("CHATMEMORY_CHECKPOINT_PRUNE_AFTER_DAYS", 30, minimum=0)
# Archive active sessions with no activity for this many days (0 = never archive).
CHATMEMORY_ARCHIVE_AFTER_DAYS = env_int("CHATMEMORY_ARCHIVE_AFTER_DAYS", 90, minimum=0)
# Delete archived sessions archived more than this many days ago (0 = never purge).
CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS = env_int("CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS", 365, minimum=0)
# State versions kept per session when its metadata says {"keep_state_versions": true} (an integer
# there overrides it); tagged snapshots are always kept.
CHATMEMORY_KEEP_STATE_VERSIONS = env_int("CHATMEMORY_KEEP_STATE_VERSIONS", 20, minimum=1)
# Sessions per retention batch (one transaction and one DELETE/UPDATE per batch).
CHATMEMORY_RETENTION_BATCH_SIZE = env_int("CHATMEMORY_RETENTION_BATCH_SIZE", 500, minimum=1)
# The beat schedule, declared in code (one entry per periodic task).
CELERY_BEAT_SCHEDULE = {
    "apply-retention-daily": {  # sessions_app.tasks.apply_retention
        "task": "sessions_app.tasks.apply_retention",
        "schedule": crontab(hour=3, minute=17),  # UTC (CELERY_TIMEZONE)
        # A run that could not start within 12 hours is dropped; the next day's run catches up.
        "options": {"expires": 12 * 60 * 60},  # seconds
    },
    "prune-checkpoints": {  # sessions_app.tasks.prune_checkpoints
        "task": "sessions_app.prune_checkpoints",
        "schedule": 24 * 60 * 60,  # seconds
        "kwargs": {"keep": CHATMEMORY_CHECKPOINT_KEEP, "older_than_days": CHATMEMORY_CHECKPOINT_PRUNE_AFTER_DAYS},
    },
    "sweep-store": {"task": "sessions_app.sweep_store", "schedule": 60 * 60},  # expired store items, hourly
}

# --- The active-session cache and /health --------------------------------------------------------
# Seconds a session's cache entry lives after its last activity (per-session ChatSession.cache_ttl).
CHATMEMORY_CACHE_TTL = env_int("CHATMEMORY_CACHE_TTL", 1800, minimum=60)
# Most recent messages kept in the cache per session (reads of more go to the database).
CHATMEMORY_CACHE_WINDOW = env_int("CHATMEMORY_CACHE_WINDOW", 100, minimum=1)
# Seconds /health waits for the broker before calling it down.
CHATMEMORY_HEALTH_BROKER_TIMEOUT = env_int("CHATMEMORY_HEALTH_BROKER_TIMEOUT", 2, minimum=1)

# --- Find, organize, share (sessions_app.search / sharing, issue 13) ------------------------------
# Full-text search ranks the most recent this-many matching messages of the caller (a bound per query) ...
CHATMEMORY_SEARCH_CANDIDATES = env_int("CHATMEMORY_SEARCH_CANDIDATES", 500, minimum=20)
# ... and when it finds nothing, the substring search (word parts, CJK) runs by itself for callers with at most
# this many messages; it may scan for this many milliseconds (0 = off).
CHATMEMORY_SEARCH_FALLBACK_MAX_MESSAGES = env_int("CHATMEMORY_SEARCH_FALLBACK_MAX_MESSAGES", 20_000, minimum=0)
CHATMEMORY_SEARCH_FALLBACK_MS = env_int("CHATMEMORY_SEARCH_FALLBACK_MS", 500, minimum=0)
# Largest ShareGPT / ChatGPT file accepted by the upload import (page and API), in bytes.
CHATMEMORY_IMPORT_MAX_BYTES = env_int("CHATMEMORY_IMPORT_MAX_BYTES", 256 * 1024 * 1024, minimum=1024)
