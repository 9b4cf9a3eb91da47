"""Scale-out settings (issue 15), applied at the end of ``chatmemory.settings`` by ``apply(globals())``.

=====================================  =====================================================================
``DATABASE_REPLICA_URLS``              comma-separated ``postgres://`` URLs of streaming replicas → aliases
                                       ``replica1`` … , ``chatmemory.routers.ReplicaRouter`` and the
                                       read-your-writes middleware (``sessions_app.db.replicas``)
``CHATMEMORY_REPLICA_MAX_LAG``         seconds a replica may lag and still serve lag-tolerant reads (5)
``CHATMEMORY_REPLICA_CHECK_INTERVAL``  seconds a replica's measured lag is reused per process (1)
``DATABASE_REPLICA_CONNECT_TIMEOUT``   seconds to wait for a replica before skipping it (1)
``DATABASE_POOL_MODE``                 ``session`` (default) or ``transaction``: ``DATABASE_URL`` is a
                                       PgBouncer in transaction pooling mode — no prepared statements
                                       (psycopg ``prepare_threshold=None``, whatever
                                       ``CHATMEMORY_PREPARED_STATEMENTS`` says), no server-side cursors
                                       (``DISABLE_SERVER_SIDE_CURSORS``: ``iterator()`` keeps no cursor
                                       across transactions); the app keeps no other session state
``REDIS_SENTINELS``                    ``host:port,…`` of Redis Sentinels: the caches (and so the rate
                                       limiter, on the default cache's pool) find the master of
                                       ``REDIS_SENTINEL_SERVICE`` through them (django-redis'
                                       ``SentinelConnectionFactory``), database ``REDIS_SENTINEL_DB`` (0)
=====================================  =====================================================================

Celery: give ``CELERY_BROKER_URL`` / ``CELERY_RESULT_BACKEND`` as Celery's own ``sentinel://h:p;sentinel://h:p``
URLs and the service name is passed to both (``master_name``) from ``REDIS_SENTINEL_SERVICE``.
Every django-redis connection, plain or through Sentinel, runs ``sessions_app.cache.failover``'s
check when it connects (a promoted replica never serves a window the old master had changed).
"""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from sessions_app.cache.failover import GuardedConnection, GuardedSentinelConnection

from .env import env, env_int, env_list, env_str


def _replicas(ns: dict[str, Any]) -> None:
    urls = env_list("DATABASE_REPLICA_URLS")
    ns["CHATMEMORY_REPLICA_MAX_LAG"] = env_int("CHATMEMORY_REPLICA_MAX_LAG", 5, minimum=1)
    ns["CHATMEMORY_REPLICA_CHECK_INTERVAL"] = env_int("CHATMEMORY_REPLICA_CHECK_INTERVAL", 1, minimum=0)
    if not urls:
        return
    default = ns["DATABASES"]["default"]
    if default["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs DATABASE_URL to be PostgreSQL")
    timeout = env_int("DATABASE_REPLICA_CONNECT_TIMEOUT", 1, minimum=1)
    for n, url in enumerate(urls, start=1):
        replica = env.db_url_config(url)
        if replica["ENGINE"] != default["ENGINE"]:
            raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS[{n - 1}] is not a postgres:// URL")
        replica.update(CONN_MAX_AGE=default.get("CONN_MAX_AGE", 0), CONN_HEALTH_CHECKS=True,
                       OPTIONS={**default.get("OPTIONS", {}), **replica.get("OPTIONS", {}), "connect_timeout": timeout},
                       TEST={"MIRROR": "default"})  # tests read the test database through it
        ns["DATABASES"][f"replica{n}"] = replica
    ns["DATABASE_ROUTERS"] = ["chatmemory.routers.ReplicaRouter"]
    ns["MIDDLEWARE"].append("chatmemory.routers.ReadYourWritesMiddleware")


def _pool_mode(ns: dict[str, Any]) -> None:
    mode = env_str("DATABASE_POOL_MODE", "session").strip().lower()
    if mode not in {"session", "transaction"}:
        raise ImproperlyConfigured(f"DATABASE_POOL_MODE={mode!r} is not 'session' or 'transaction'")
    ns["CHATMEMORY_DATABASE_POOL_MODE"] = mode
    if mode == "transaction":
        for alias, config in ns["DATABASES"].items():
            if config["ENGINE"] == "django.db.backends.postgresql" and not alias.startswith("replica"):
                config.setdefault("OPTIONS", {})["prepare_threshold"] = None
                config["DISABLE_SERVER_SIDE_CURSORS"] = True


def _sentinels(ns: dict[str, Any]) -> None:
    sentinels = env_list("REDIS_SENTINELS")
    service = env_str("REDIS_SENTINEL_SERVICE").strip()
    if not sentinels:
        for config in ns["CACHES"].values():
            if config["BACKEND"] == "django_redis.cache.RedisCache":
                config["OPTIONS"].setdefault("CONNECTION_POOL_KWARGS", {})["connection_class"] = GuardedConnection
        return
    if not service:
        raise ImproperlyConfigured("REDIS_SENTINELS needs REDIS_SENTINEL_SERVICE (the monitored master's name)")
    pairs = []
    for item in sentinels:
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise ImproperlyConfigured(f"REDIS_SENTINELS item {item!r} is not host:port")
        pairs.append((host.strip("[]"), int(port)))
    location = f"redis://{service}/{env_int('REDIS_SENTINEL_DB', 0, minimum=0)}"
    ns["REDIS_URL"] = location
    options = {
        "CLIENT_CLASS": "django_redis.client.DefaultClient",  # not SentinelClient: it reads from replicas
        "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
        "SENTINELS": pairs,
        "SENTINEL_KWARGS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},  # seconds
        "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5,  # seconds
        "CONNECTION_POOL_KWARGS": {"connection_class": GuardedSentinelConnection},
    }
    alias = ns["CHATMEMORY_CACHE_ALIAS"]
    ns["CACHES"] = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": location, "KEY_PREFIX": "cm",
                    "OPTIONS": {**options}},
        alias: {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": location, "KEY_PREFIX": "cms",
                "OPTIONS": {**options}},
    }
    for name in ("CELERY_BROKER_TRANSPORT_OPTIONS", "CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS"):
        ns[name] = {**ns.get(name, {}), "master_name": service}


def _beat(ns: dict[str, Any]) -> None:
    """Beat sends every periodic task with ``beat=True``: it then runs once per period (``sessions_app.tasks``)."""
    for entry in ns.get("CELERY_BEAT_SCHEDULE", {}).values():
        entry["kwargs"] = {**entry.get("kwargs", {}), "beat": True}


def apply(ns: dict[str, Any]) -> None:
    """Add the scale-out configuration to the settings namespace ``ns`` (``globals()`` of settings)."""
    _beat(ns)
    _replicas(ns)
    _pool_mode(ns)
    _sentinels(ns)
