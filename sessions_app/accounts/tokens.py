"""Personal API tokens: create (plaintext shown once), revoke, authenticate."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..exceptions import InvalidInput
from ..models import ApiToken

TOKEN_PREFIX = "cm_"
MAX_NAME = 100
MAX_TENANT = 64
# last_used_at is written at most this often per token, so authenticating is a read, not a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)
# What a well-formed plaintext looks like; anything else is rejected before touching the database.
_PLAINTEXT_RE = re.compile(r"cm_(?P<prefix>[A-Za-z0-9-]{8})_[A-Za-z0-9_-]{20,100}")


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def _clean_label(value: str, *, field: str, max_length: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{field} is required")
    if "\x00" in value:
        raise InvalidInput(f"{field} must not contain NUL characters")
    if len(value) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters")
    return value


@transaction.atomic
def api_token_create(*, user: Any, name: str, tenant: str = "") -> tuple[ApiToken, str]:
    """Create a token for ``user``; return ``(token, plaintext)``.

    The plaintext (``cm_<prefix>_<secret>``, 55 characters) is returned only here; the database
    keeps its SHA-256. ``tenant`` binds the token to one tenant of the user (blank: all of them).
    Raises ``InvalidInput`` for an empty or too long name or tenant.
    """
    name = _clean_label(name, field="name", max_length=MAX_NAME, required=True)
    tenant = _clean_label(tenant, field="tenant", max_length=MAX_TENANT, required=False)
    while True:  # 48 bits of prefix: a collision is astronomically rare, but the column is unique
        prefix = secrets.token_urlsafe(6)[: ApiToken.PREFIX_LENGTH].replace("_", "x")
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    plaintext = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, secret_hash=_hash(plaintext), tenant=tenant)
    return token, plaintext


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke the token (idempotent: the first revocation time is kept). It never authenticates again."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


def api_token_authenticate(*, plaintext: str) -> ApiToken | None:
    """The live token matching ``plaintext`` (with its user loaded), or ``None``.

    Looks the token up by its prefix and compares the SHA-256 digests in constant time; revoked
    tokens and inactive users do not authenticate. Refreshes ``last_used_at`` (at most once per
    ``LAST_USED_RESOLUTION``).
    """
    match = _PLAINTEXT_RE.fullmatch(plaintext) if isinstance(plaintext, str) else None
    if match is None:
        return None
    token = ApiToken.objects.live().select_related("user").filter(prefix=match["prefix"]).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(plaintext)):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
