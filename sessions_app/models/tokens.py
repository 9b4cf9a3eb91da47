"""``ApiToken``: a personal API token for programs (``Authorization: Bearer <token>``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self) -> ApiTokenQuerySet:
        """Tokens that still authenticate (not revoked)."""
        return self.filter(revoked_at__isnull=True)

    def owned_by(self, user: User) -> ApiTokenQuerySet:
        return self.filter(user=user)


class ApiToken(models.Model):
    """A personal API token, stored hashed.

    The plaintext is ``cm_<prefix>_<secret>`` — ``prefix`` 8 URL-safe characters stored in the
    clear (unique; the lookup key, and what the UI and admin show), ``secret`` from
    ``secrets.token_urlsafe(32)`` (256 bits). Only ``secret_hash`` — the SHA-256 hex digest of
    the whole plaintext — is stored; the plaintext is shown once, by
    ``accounts.tokens.api_token_create``. A fast unsalted hash is right here (as for GitHub's or
    Django REST Knox's tokens): the secret is random and long, so there is nothing to brute-force
    and a slow KDF would only slow every request down.

    ``tenant``: a token bound to a tenant only sees and creates that tenant's sessions of its
    user; blank means every session of the user. ``revoked_at`` set = revoked (kept for audit,
    never authenticates again). ``last_used_at`` is refreshed at most once a minute.
    """

    PREFIX_LENGTH = 8

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'support bot'.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False, help_text="SHA-256 hex digest of the token.")
    tenant = models.CharField(
        max_length=64, blank=True, default="", help_text="If set, the token only reaches this tenant's sessions."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at"]
        indexes = [
            # The tokens page: a user's live tokens.
            models.Index(
                fields=["user", "-created_at"], name="apitoken_user_idx", condition=Q(revoked_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (cm_{self.prefix}_…)"

    @property
    def display_prefix(self) -> str:
        """What the UI shows of the token: ``cm_<prefix>_…``."""
        return f"cm_{self.prefix}_…"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
