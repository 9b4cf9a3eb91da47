"""Long-term memory storage for ``sessions_app.store.DjangoStore`` (LangGraph's ``BaseStore``).

The layout is LangGraph's ``PostgresStore`` layout (``store`` / ``store_vectors``) as Django
models, so the terms mean what LangGraph says they mean:

* ``prefix`` — the item's namespace, its labels joined by ``"."`` (labels can contain neither
  ``"."`` nor NUL, nor be empty: ``BaseStore`` validates them). Unique with ``key``.
* ``value`` — the item's JSON object; ``search_text`` — the text full-text search sees (the
  index config's ``fields`` of the value, or the whole value as JSON), kept by every put.
* ``expires_at`` / ``ttl_minutes`` — TTL: a read with ``refresh_ttl`` moves ``expires_at`` to
  now + ``ttl_minutes``. Expired rows are not returned (unless the store's ``omit_expired`` is
  off), whether the sweeper deleted them yet or not.
* ``owner_id`` / ``tenant`` — who the item belongs to, derived from the namespace by the
  convention of ``sessions_app.store.namespaces`` (``("users", "<user pk>", …)``,
  ``("tenants", "<tenant>", "users", "<user pk>", …)``); ``NULL`` for application namespaces.
  Erasure deletes by ``owner_id``; the Memory page and API read only the caller's namespace.
  ``session_id`` likewise for ``(… "users", "<pk>", "sessions", "<session uuid>", …)``: the item
  belongs to one conversation (its rolling summary) and goes when the conversation is deleted.
  Plain values, not foreign keys: a store write must not fail (or lock the user row)
  because of a namespace, and erasure deletes these rows itself.

Races: puts are upserts on the unique ``(prefix, key)`` (*ON CONFLICT DO UPDATE*): two writers
of one key both succeed and the later commit wins, as in ``PostgresStore``. A put replaces the
item's vectors in the same transaction, so a search never sees vectors of an older value.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class StoreItemQuerySet(models.QuerySet["StoreItem"]):
    def live(self, now: object = None) -> StoreItemQuerySet:
        """Items that have not expired (``expires_at`` unset or in the future)."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now()))

    def expired(self, now: object = None) -> StoreItemQuerySet:
        return self.filter(expires_at__isnull=False, expires_at__lte=now or timezone.now())

    def owned_by(self, user_id: int) -> StoreItemQuerySet:
        return self.filter(owner_id=user_id)


class StoreItem(models.Model):
    """One ``langgraph.store.base.Item``: a JSON object under ``(namespace, key)``."""

    id = models.BigAutoField(primary_key=True)
    prefix = models.TextField(help_text="The namespace, labels joined by '.'.")
    key = models.TextField()
    value = models.JSONField()
    search_text = models.TextField(blank=True, default="", help_text="What full-text search sees.")
    owner_id = models.BigIntegerField(null=True, blank=True, help_text="The user the namespace belongs to.")
    tenant = models.CharField(max_length=64, blank=True, default="")
    session_id = models.UUIDField(null=True, blank=True, help_text="The conversation the namespace belongs to.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    ttl_minutes = models.FloatField(null=True, blank=True)

    objects = StoreItemQuerySet.as_manager()

    class Meta:
        verbose_name = "store item"
        constraints = [
            # One item per (namespace, key): the upsert's conflict target; its index serves get.
            models.UniqueConstraint(fields=["prefix", "key"], name="storeitem_prefix_key_uniq"),
        ]
        indexes = [
            # Namespace-prefix scans (``prefix LIKE 'a.b.%'``) whatever the database collation.
            models.Index(fields=["prefix"], name="storeitem_prefix_idx", opclasses=["text_pattern_ops"]),
            # The TTL sweeper: only rows that can expire.
            models.Index(
                fields=["expires_at"], name="storeitem_expires_idx", condition=Q(expires_at__isnull=False)
            ),
            # Deleting conversations (retention, erasure, the user) deletes their items.
            models.Index(fields=["session_id"], name="storeitem_session_idx", condition=Q(session_id__isnull=False)),
            # Erasure and the Memory page: a user's items, newest first.
            models.Index(
                fields=["owner_id", "-updated_at"], name="storeitem_owner_idx", condition=Q(owner_id__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} / {self.key}"

    @property
    def namespace(self) -> tuple[str, ...]:
        return tuple(self.prefix.split("."))


class StoreVector(models.Model):
    """One embedding of one text field of a ``StoreItem`` (``store_vectors`` upstream).

    ``field_name`` is the index path (``"text"``, ``"items[0].note"``, ``"$"``; ``"path.i"`` when
    the path yields several texts). ``embedding`` is float32 little-endian bytes (portable; the
    fallback scorer reads it); ``sessions_app.store.vectors`` adds a pgvector column next to it
    when the extension is installed.
    """

    id = models.BigAutoField(primary_key=True)
    item = models.ForeignKey(StoreItem, on_delete=models.CASCADE, related_name="vectors", db_index=False)
    field_name = models.TextField()
    embedding = models.BinaryField()

    class Meta:
        verbose_name = "store vector"
        constraints = [
            models.UniqueConstraint(fields=["item", "field_name"], name="storevector_item_field_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.field_name}"
