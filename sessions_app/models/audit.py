"""``AuditLogEntry``: who (a user or a job) did what to which sessions, when, and how many rows."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditLogEntryQuerySet(models.QuerySet["AuditLogEntry"]):
    def of_action(self, action: str) -> AuditLogEntryQuerySet:
        return self.filter(action=action)


class AuditLogEntry(models.Model):
    """One governance event, written by the service that did it, in the same transaction.

    ``user`` is the acting staff member or end user (``NULL`` for jobs, or once that user was
    erased); ``actor`` is always set: the username at the time, or a job name such as
    ``"command:apply_retention"`` / ``"task:apply_retention"``. A single-session event sets
    ``session_id``; a batch (retention, bulk admin action, erasure) lists its ids in
    ``session_ids`` (strings). ``target_user_id`` is the user an erasure was about (a plain
    integer, not a foreign key: the user row is gone afterwards). ``sessions`` / ``messages`` are
    the row counts affected; ``details`` holds the rest (per-model counts, policy days, file
    name …). Entries are append-only: the admin has no add/change/delete permission for them.
    """

    class Action(models.TextChoices):
        ARCHIVE = "archive", "Archive"
        UNARCHIVE = "unarchive", "Unarchive"
        DELETE = "delete", "Delete"
        PURGE = "purge", "Purge archived"
        EXPIRE = "expire", "Delete expired"
        PRUNE_STATE = "prune_state", "Prune state versions"
        EXPORT = "export", "Export"
        IMPORT = "import", "Import"
        ERASE = "erase", "Erase user"
        STORE_DELETE = "store_delete", "Delete memory items"
        STORE_EXPIRE = "store_expire", "Delete expired memory items"
        SHARE = "share", "Share link created"
        UNSHARE = "unshare", "Share link revoked"

    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.CharField(max_length=150, help_text="Username at the time, or the job's name.")
    session_id = models.UUIDField(null=True, blank=True, help_text="The session, for single-session events.")
    session_ids = models.JSONField(default=list, blank=True, help_text="The sessions of a batch event.")
    target_user_id = models.BigIntegerField(null=True, blank=True, help_text="The erased user's id.")
    sessions = models.PositiveIntegerField(default=0, help_text="Sessions affected.")
    messages = models.PositiveBigIntegerField(default=0, help_text="Messages affected.")
    details = models.JSONField(default=dict, blank=True)

    objects = AuditLogEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["action", "-created_at"], name="auditlog_action_recent_idx"),
            models.Index(fields=["actor", "-created_at"], name="auditlog_actor_recent_idx"),
            models.Index(fields=["session_id"], name="auditlog_session_idx"),
        ]

    def __str__(self) -> str:
        target = str(self.session_id) if self.session_id else f"{self.sessions} session(s)"
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {target}"
