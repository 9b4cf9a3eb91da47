"""Retention of the tombstones deleted conversations leave (``models.DeletedSession``).

A tombstone is what refuses late writes to a deleted conversation (``SessionGone`` /
``ThreadGone``). It holds no content (id, time, reason), so keeping it is cheap and harmless;
it is kept ``CHATMEMORY_TOMBSTONE_DAYS`` (0: for ever), long enough to outlive any late writer
(a history object in a long-lived process, a graph paused at an interrupt, a client holding the id).
After that the id is free again, like an id nobody ever used: a client that still holds it and
asks for ``for_user(create=True)`` gets a new, *empty* conversation — nothing of the deleted one
comes back either way. Swept by retention (``retention_apply``, step ``delete_tombstones``).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import DeletedSession


def tombstones_delete(*, now: datetime | None = None, days: int | None = None, dry_run: bool = False,
                      batch_size: int = 5000) -> int:
    """Delete the tombstones older than ``days`` (default ``CHATMEMORY_TOMBSTONE_DAYS``; 0 keeps
    them all); return how many (with ``dry_run``: how many would go). One transaction per batch of
    ``batch_size`` rows, by the ``deleted_at`` index; idempotent."""
    days = settings.CHATMEMORY_TOMBSTONE_DAYS if days is None else days
    if days <= 0:
        return 0
    old = DeletedSession.objects.filter(deleted_at__lt=(now or timezone.now()) - timedelta(days=days))
    if dry_run:
        return old.count()
    deleted = 0
    while ids := list(old.order_by("deleted_at").values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            deleted += DeletedSession.objects.filter(pk__in=ids).delete()[0]
    return deleted
