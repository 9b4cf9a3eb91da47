"""Governance of long-term memory (``DjangoStore`` items): audited deletes and the TTL sweep step.

Every destructive path over store items that people or jobs trigger — a user deleting a memory
on the Memory page or through the API, staff deleting items in the admin, retention sweeping
expired items — goes through these functions, which write one ``AuditLogEntry`` in the same
transaction. Items of a deleted conversation go with it (``lifecycle.sessions_delete``) and
items of an erased user with them (``erasure.user_erase``); both record the count in their own
audit entry. Writes by the store itself (``DjangoStore.put`` / ``delete``, LangGraph graphs) are
application data and are not audited one by one.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet

from ..models import AuditLogEntry, StoreItem
from ..store.ttl import BATCH_SIZE, sweep_expired
from .audit import Actor, audit_record


@transaction.atomic
def store_items_delete(*, items: QuerySet[StoreItem] | Iterable[StoreItem], actor: Actor,
                       details: dict[str, object] | None = None) -> int:
    """Delete the given items (with their vectors); one audit entry (``store_delete``) if any went.

    The entry lists the namespaces and keys deleted (at most 100) and the owners, never values.
    Returns the number of items deleted.
    """
    pks = [i.pk for i in items] if not isinstance(items, QuerySet) else list(items.values_list("pk", flat=True))
    rows = list(StoreItem.objects.filter(pk__in=pks).select_for_update().values_list("prefix", "key", "owner_id"))
    if not rows:
        return 0
    _, per_model = StoreItem.objects.filter(pk__in=pks).delete()
    n = per_model.get(StoreItem._meta.label, 0)
    audit_record(
        action=AuditLogEntry.Action.STORE_DELETE, actor=actor,
        target_user_id=rows[0][2] if len({r[2] for r in rows}) == 1 else None,
        details={"store_items": n, "items": [f"{p}/{k}" for p, k, _ in rows[:100]],
                 "owners": sorted({o for _, _, o in rows if o is not None}), **(details or {})},
    )
    return n


def retention_sweep_store(*, actor: Actor, now: datetime | None = None, dry_run: bool = False,
                          batch_size: int = BATCH_SIZE) -> int:
    """Retention's step for store items: delete expired ones (``store.ttl.sweep_expired``).

    One audit entry (``store_expire``) with the count when anything was deleted; with
    ``dry_run`` only the count. The Celery task ``sessions_app.sweep_store`` runs it hourly.
    """
    n = sweep_expired(now=now, dry_run=dry_run, batch_size=batch_size)
    if n and not dry_run:
        audit_record(action=AuditLogEntry.Action.STORE_EXPIRE, actor=actor, details={"store_items": n})
    return n
