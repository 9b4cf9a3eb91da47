"""The TTL sweeper: delete expired store items in batches.

One service, two thin interfaces (like retention): the Celery beat task
``sessions_app.sweep_store`` and the command ``python manage.py sweep_store`` call
``sweep_expired``; ``DjangoStore.start_ttl_sweeper`` runs it in a thread for processes without
beat. Expired items are already invisible to every read (``StoreItem.objects.live``); the sweep
only reclaims their rows. Each batch is its own transaction (rows chosen by the partial
``storeitem_expires_idx`` index, deleted with their vectors by the foreign key cascade), so a
sweep stopped half-way leaves whole batches done and a second sweep right after changes nothing.
"""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models.store import StoreItem

BATCH_SIZE = 1000


def sweep_expired(*, now: datetime | None = None, batch_size: int = BATCH_SIZE, dry_run: bool = False) -> int:
    """Delete every item whose ``expires_at`` is at or before ``now``; return how many (would be)."""
    now = now or timezone.now()
    expired = StoreItem.objects.expired(now)
    if dry_run:
        return expired.count()
    total = 0
    while True:
        with transaction.atomic():
            ids = list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return total
            # Re-checked in the DELETE: an item refreshed or re-put since the SELECT stays.
            _, per_model = StoreItem.objects.filter(pk__in=ids).expired(now).delete()
            total += per_model.get(StoreItem._meta.label, 0)
