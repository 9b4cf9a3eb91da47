"""App config; misconfiguration is reported through Django system checks (``sessions_app.*``)."""
from __future__ import annotations

from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    label = "sessions_app"
    verbose_name = "Chat memory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate

        from . import checks  # noqa: F401  (registers the system checks)
        from .cache import evict_deleted_session

        # Services evict explicitly; this only catches cascades (a deleted *user*'s sessions).
        post_delete.connect(evict_deleted_session, sender="sessions_app.ChatSession",
                            dispatch_uid="chatmemory_cache_evict")
        # A table rebuild by a later migration drops the SQLite search triggers: put them back.
        post_migrate.connect(_repair_search_index, sender=self, dispatch_uid="chatmemory_search_index")
        # ... and the store's full-text triggers (sessions_app.store.schema).
        from .store.schema import ensure_fts

        post_migrate.connect(ensure_fts, sender=self, dispatch_uid="chatmemory_store_fts")


def _repair_search_index(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    from django.db import connections

    from .search.schema import ensure_index

    ensure_index(connections[using])
