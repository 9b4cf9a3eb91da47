"""``ChatSession``: one conversation, the unit LangChain calls a ``session_id``."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# The longest title a conversation can have (characters): every form, schema, importer and service uses this.
TITLE_MAX_LENGTH = 200

class ChatSessionQuerySet(models.QuerySet["ChatSession"]):
    """Reusable filters only; writes with side effects live in the services of each concern
    (``conversations.sessions``, ``governance.lifecycle`` …)."""

    def active(self) -> ChatSessionQuerySet:
        return self.filter(status=ChatSession.Status.ACTIVE)

    def archived(self) -> ChatSessionQuerySet:
        return self.filter(status=ChatSession.Status.ARCHIVED)

    def owned_by(self, user: User) -> ChatSessionQuerySet:
        return self.filter(owner=user)

    def inactive_since(self, when: datetime) -> ChatSessionQuerySet:
        """Sessions whose last activity is strictly before ``when``."""
        return self.filter(last_active_at__lt=when)

    def archived_before(self, when: datetime) -> ChatSessionQuerySet:
        """Archived sessions whose ``archived_at`` is strictly before ``when``."""
        return self.filter(status=ChatSession.Status.ARCHIVED, archived_at__lt=when)

    def expired(self, now: datetime | None = None) -> ChatSessionQuerySet:
        """Ephemeral sessions whose ``expires_at`` has passed."""
        return self.filter(expires_at__lte=now or timezone.now())


class ChatSession(models.Model):
    """A conversation owned by one user.

    ``id`` is the public ``session_id`` (a UUID, safe to put in URLs). ``last_seq`` is the
    per-session sequence counter: appends reserve ``last_seq + 1 … last_seq + n`` with one
    ``UPDATE … RETURNING`` that row-locks the session until the transaction commits, so
    concurrent writers on one session queue and the ``seq`` of its messages is gap-free and
    increasing. ``last_seq`` never goes down (``clear`` keeps it), so a ``seq`` is never reused
    and cursors stay valid. ``message_count`` is the number of stored messages, kept in the same
    statement.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="session id")
    # No index of its own: ``chatsession_owner_recent_idx`` (owner, -last_active_at) leads with it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_sessions", db_index=False
    )
    tenant = models.CharField(max_length=64, blank=True, default="", help_text="Optional tenant key.")
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    metadata = models.JSONField(default=dict, blank=True, help_text="Free JSON, e.g. channel, language.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_active_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Ephemeral sessions are deleted by retention after this time."
    )
    message_count = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)
    cache_ttl = models.PositiveIntegerField(
        null=True, blank=True, help_text="Cache TTL in seconds for this session (default from settings)."
    )
    # Organizing (issue 13): pinned conversations list first; a folder groups them (one per conversation).
    pinned_at = models.DateTimeField(null=True, blank=True, help_text="Set = pinned (listed first), since then.")
    folder = models.ForeignKey("sessions_app.Folder", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="sessions", db_index=False)  # chatsession_folder_idx serves it
    # A branch (``conversations.branches``): forked from ``parent`` before its message ``branched_at_seq``.
    # Deleting the parent keeps the branch (the link becomes NULL, the seq stays). No index of its
    # own: ``chatsession_branches_idx`` leads with it.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="branches", db_index=False
    )
    branched_at_seq = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The branch differs from its parent from this message on."
    )

    objects = ChatSessionQuerySet.as_manager()

    class Meta:
        verbose_name = "conversation"
        ordering = ["-last_active_at"]
        indexes = [
            # The user's conversation list, newest first.
            models.Index(fields=["owner", "-last_active_at"], name="chatsession_owner_recent_idx"),
            # Retention: active sessions by last activity (archive_inactive).
            models.Index(
                fields=["last_active_at"], name="chatsession_active_idle_idx", condition=Q(status="active")
            ),
            # Retention: archived sessions by archive time (purge_archived).
            models.Index(
                fields=["archived_at"], name="chatsession_archived_idx", condition=Q(status="archived")
            ),
            models.Index(
                fields=["expires_at"], name="chatsession_expires_idx", condition=Q(expires_at__isnull=False)
            ),
            models.Index(fields=["tenant", "status"], name="chatsession_tenant_status_idx"),
            # Admin date hierarchy and "created" filter.
            models.Index(fields=["created_at"], name="chatsession_created_idx"),
            # Admin changelist order (-last_active_at, -id): the first page without sorting the table.
            models.Index(fields=["-last_active_at", "-id"], name="chatsession_recent_idx"),
            # A folder's conversations, newest first (and the SET_NULL when a folder is deleted).
            models.Index(fields=["folder", "-last_active_at"], name="chatsession_folder_idx",
                         condition=Q(folder__isnull=False)),
            # A conversation's branches by fork point (the chat page's "‹ 2 / 3 ›"); only branches have a parent.
            models.Index(
                fields=["parent", "branched_at_seq", "created_at"], name="chatsession_branches_idx",
                condition=Q(parent__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or f"Conversation {str(self.id)[:8]}"

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED
