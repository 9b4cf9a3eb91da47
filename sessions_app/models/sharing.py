"""``ShareLink``: a read-only, no-login link to one conversation as it was when shared."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ShareLinkQuerySet(models.QuerySet["ShareLink"]):
    def owned_by(self, user: User) -> ShareLinkQuerySet:
        return self.filter(owner=user)

    def live(self, now: datetime | None = None) -> ShareLinkQuerySet:
        """Links that still open: not revoked, not expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ShareLink(models.Model):
    """A capability URL ``/s/<token>/`` showing one conversation read-only to anyone who has it.

    ``token`` is ``secrets.token_urlsafe(32)`` (256 bits: unguessable; the lookup key). It is
    stored in the clear so that its owner can copy the link again from "My share links"; it
    reveals only what the owner chose to publish, never the account. **Snapshot by bound**:
    the page shows the conversation's messages with ``seq <= max_seq`` (its ``last_seq`` when
    shared) — later messages are not published, and no copy of the text is kept, so a message
    deleted later (clear, erasure) disappears from the shared page too. ``revoked_at`` set =
    revoked (the row stays for the owner's list and the audit trail; the page answers 410);
    ``expires_at`` past = expired (410). Deleting or erasing the conversation deletes its links
    (``on_delete=CASCADE``; the page then answers 404). ``owner`` repeats the conversation's
    owner, which never changes, so "my links" is one index range scan.
    """

    session = models.ForeignKey("sessions_app.ChatSession", on_delete=models.CASCADE, related_name="share_links",
                                db_index=False)  # sharelink_session_live_uniq / sharelink_session_idx serve it
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links",
                              db_index=False)  # sharelink_owner_recent_idx leads with it
    token = models.CharField(max_length=64, unique=True, editable=False)
    max_seq = models.PositiveBigIntegerField(help_text="Messages up to this seq are shown (last_seq when shared).")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0, editable=False)
    last_viewed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one unrevoked link per conversation: two "Share" clicks at once cannot make two.
            models.UniqueConstraint(fields=["session"], condition=Q(revoked_at__isnull=True),
                                    name="sharelink_session_live_uniq"),
        ]
        indexes = [
            # "My share links", newest first.
            models.Index(fields=["owner", "-created_at"], name="sharelink_owner_recent_idx"),
            # The cascade from a conversation delete (revoked links are not in the unique index).
            models.Index(fields=["session"], name="sharelink_session_idx"),
        ]

    def __str__(self) -> str:
        return f"share of {self.session_id} ({self.state})"

    @property
    def state(self) -> str:
        """``"live"``, ``"revoked"`` or ``"expired"``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "live"
