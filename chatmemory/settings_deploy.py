"""Settings for running on real servers: static files, HTTPS behind a proxy, logs, metrics, the pool.

Star-imported at the end of ``chatmemory.settings`` (cookiecutter-django's layout); like the rest
it reads only the environment, so the same code runs everywhere and nothing exists "only in
production". ``docs/deploy.md`` has the production environment in one table.

=================================  =============================================================
``CHATMEMORY_STATIC_MANIFEST``     WhiteNoise's compressed manifest storage (hashed, gzip/brotli
                                   names; needs ``collectstatic``). Default: on when ``DEBUG`` is
                                   off. Off: files are served from the source folders (finders).
``CHATMEMORY_HTTPS``               the site is reached over HTTPS: secure cookies, HSTS, redirect
                                   http → https (``SECURE_SSL_REDIRECT``, default on with it)
``SECURE_HSTS_SECONDS``            HSTS max-age with ``CHATMEMORY_HTTPS`` (default 31536000, 1 year)
``CHATMEMORY_BEHIND_PROXY``        trust ``X-Forwarded-Proto: https`` from the TLS-terminating
                                   proxy (``SECURE_PROXY_SSL_HEADER``); only behind one that sets it
``CHATMEMORY_LOG_FORMAT``          ``plain`` (default) or ``json`` (one JSON object per line)
``CHATMEMORY_METRICS_TOKEN``       bearer token of ``/metrics``; unset: ``/metrics`` is 404
``PROMETHEUS_MULTIPROC_DIR``       prometheus-client's multiprocess directory (gunicorn workers +
                                   Celery on one host; ``make serve`` sets and empties it)
``DATABASE_POOL_MAX_SIZE``         > 0: psycopg's connection pool of that size per process
                                   (Django's ``"pool"`` option; forces ``CONN_MAX_AGE=0``)
=================================  =============================================================
"""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_str

_DEBUG = env_bool("DEBUG", default=True)  # the same variable settings.DEBUG reads

# --- Static files: WhiteNoise (sessions_app.web.middleware.StaticFilesMiddleware) ----------------
CHATMEMORY_STATIC_MANIFEST = env_bool("CHATMEMORY_STATIC_MANIFEST", not _DEBUG)
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "sessions_app.web.staticfiles.StaticFilesStorage"  # WhiteNoise compressed manifest
        if CHATMEMORY_STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not CHATMEMORY_STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = _DEBUG
WHITENOISE_MAX_AGE = 0 if _DEBUG else 60  # seconds, unhashed names; hashed names are cached forever

# --- HTTPS behind a TLS-terminating proxy -----------------------------------------------------------
CHATMEMORY_HTTPS = env_bool("CHATMEMORY_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = CHATMEMORY_HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", CHATMEMORY_HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0) if CHATMEMORY_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", CHATMEMORY_HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("CHATMEMORY_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Logs ---------------------------------------------------------------------------------------------
CHATMEMORY_LOG_FORMAT = env_str("CHATMEMORY_LOG_FORMAT", "plain")
if CHATMEMORY_LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"CHATMEMORY_LOG_FORMAT={CHATMEMORY_LOG_FORMAT!r} is not plain or json")
LOG_FORMATTERS: dict[str, dict[str, Any]] = {
    "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    "json": {"()": "pythonjsonlogger.json.JsonFormatter",
             "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
             "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"}},
}

# --- Metrics (sessions_app.observability) -------------------------------------------------------------
CHATMEMORY_METRICS_TOKEN = env_str("CHATMEMORY_METRICS_TOKEN")
if CHATMEMORY_METRICS_TOKEN and len(CHATMEMORY_METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("CHATMEMORY_METRICS_TOKEN must be at least 16 characters")


# --- The database connection pool --------------------------------------------------------------------
def database_pool(database: dict[str, Any]) -> None:
    """Turn on psycopg's pool for a PostgreSQL ``database`` entry when ``DATABASE_POOL_MAX_SIZE`` > 0.

    Under ASGI a connection is opened by whichever executor thread runs the query, so persistent
    per-thread connections (``CONN_MAX_AGE`` > 0) are not reused; a pool is (Django's docs say as
    much). A streamed turn holds a connection only while its start and its end run, never while
    it streams. ``DATABASE_POOL_MIN_SIZE`` (default 1) and ``DATABASE_POOL_TIMEOUT`` (seconds a
    query waits for a free connection, default 10) tune it.
    """
    size = env_int("DATABASE_POOL_MAX_SIZE", 0, minimum=0)
    if not size or database.get("ENGINE") != "django.db.backends.postgresql":
        return
    if env_int("CONN_MAX_AGE", 0, minimum=0):
        raise ImproperlyConfigured("DATABASE_POOL_MAX_SIZE needs CONN_MAX_AGE=0 (the pool keeps the connections)")
    database["CONN_MAX_AGE"] = 0
    database.setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env_int("DATABASE_POOL_MIN_SIZE", 1, minimum=0), size),
        "max_size": size,
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 10, minimum=1),
    }
