"""``SessionState``: versioned JSON state kept beside a conversation (``sessions_app.governance.state``)."""
from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class SessionStateQuerySet(models.QuerySet["SessionState"]):
    def for_session(self, session_id: uuid.UUID) -> SessionStateQuerySet:
        return self.filter(session_id=session_id)


class SessionState(models.Model):
    """One immutable version of a session's JSON state.

    ``version`` is 1, 2, 3 … per session, unique with the session (the database refuses a
    duplicate even if two writers raced). ``sessions_app.governance.state.state_save`` allocates it
    while holding the session row lock, so concurrent saves queue instead of colliding.
    ``tag`` names a snapshot (unique per session when set). ``source_version`` records the
    version a rollback copied. Rows are never updated: history is append-only, and only
    retention (``keep_state_versions``) deletes old untagged versions.
    """

    session = models.ForeignKey("sessions_app.ChatSession", on_delete=models.CASCADE, related_name="states")
    version = models.PositiveIntegerField()
    state = models.JSONField()
    tag = models.CharField(max_length=100, null=True, blank=True)
    source_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="For a rollback: the version this one copies."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SessionStateQuerySet.as_manager()

    class Meta:
        verbose_name = "state version"
        ordering = ["session", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["session", "version"], name="sessionstate_session_version_uniq"),
            models.UniqueConstraint(
                fields=["session", "tag"], condition=Q(tag__isnull=False), name="sessionstate_session_tag_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}" + (f" ({self.tag})" if self.tag else "")
