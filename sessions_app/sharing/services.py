"""Share links: create (or return) the live link of a conversation, change its expiry, revoke — audited.

Ownership is the caller's job: pass a session that came through the ownership gate
(``conversations.selectors.session_get_for_user``), so a link to someone else's conversation can
never be made. A conversation has at most one live link (``sharelink_session_live_uniq``).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..exceptions import InvalidInput, SessionGone
from ..governance.audit import Actor, audit_record
from ..models import AuditLogEntry, ChatSession, ShareLink

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits
MIN_LIFETIME = timedelta(minutes=1)
MAX_LIFETIME = timedelta(days=365)
KEEP = object()  # "leave the expiry as it is"


def _clean_expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    if expires_at is None:
        return None
    if timezone.is_naive(expires_at):
        raise InvalidInput("expires_at must have a time zone")
    if expires_at < now + MIN_LIFETIME:
        raise InvalidInput("expires_at must be at least a minute in the future")
    if expires_at > now + MAX_LIFETIME:
        raise InvalidInput("expires_at must be at most 365 days ahead")
    return expires_at


@transaction.atomic
def share_link_create(*, session: ChatSession, actor: Actor, expires_at: Any = KEEP) -> tuple[ShareLink, bool]:
    """The conversation's live share link, created if it has none; ``(link, created)``.

    A new link shows the messages up to the conversation's ``last_seq`` *now* (``max_seq``) and
    expires at ``expires_at`` (aware, a minute … 365 days ahead; ``None`` or omitted: never). For an
    existing live link, an explicit ``expires_at`` (``None`` included) replaces its expiry; omitted,
    nothing changes — the token stays, so a link already handed out keeps working. Audited
    (``share``) when created or changed. Raises ``InvalidInput`` (400), ``SessionGone`` (410).
    """
    now = timezone.now()
    locked = ChatSession.objects.select_for_update().filter(pk=session.pk).values_list("last_seq", flat=True).first()
    if locked is None:
        raise SessionGone(f"session {session.pk} was deleted")
    live = ShareLink.objects.live(now).filter(session_id=session.pk).first()
    if live is not None:
        if expires_at is not KEEP:
            live.expires_at = _clean_expiry(expires_at, now)
            live.save(update_fields=["expires_at"])
            _audit(AuditLogEntry.Action.SHARE, live, actor, changed="expires_at")
        return live, False
    # An expired, unrevoked link still holds the one-live-link slot: retire it first.
    ShareLink.objects.filter(session_id=session.pk, revoked_at__isnull=True).update(revoked_at=now)
    try:
        with transaction.atomic():
            link = ShareLink.objects.create(
                session_id=session.pk, owner_id=session.owner_id, token=secrets.token_urlsafe(TOKEN_BYTES),
                max_seq=locked, expires_at=_clean_expiry(None if expires_at is KEEP else expires_at, now),
            )
    except IntegrityError:  # a concurrent create won the slot (the session row lock makes this rare)
        return ShareLink.objects.live(now).get(session_id=session.pk), False
    _audit(AuditLogEntry.Action.SHARE, link, actor)
    return link, True


@transaction.atomic
def share_link_revoke(*, link: ShareLink, actor: Actor) -> bool:
    """Revoke one link (its page answers 410 from now on); ``False`` if it was revoked already. Audited."""
    if not ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        return False
    link.refresh_from_db()
    _audit(AuditLogEntry.Action.UNSHARE, link, actor)
    return True


def share_links_revoke_for_session(*, session: ChatSession, actor: Actor) -> int:
    """Revoke every unrevoked link of the conversation (``DELETE /api/sessions/{id}/share``); how many."""
    return sum(share_link_revoke(link=link, actor=actor)
               for link in ShareLink.objects.filter(session_id=session.pk, revoked_at__isnull=True))


def share_link_record_view(*, link: ShareLink) -> None:
    """Count one view of the shared page (``views``, ``last_viewed_at``): one UPDATE, no read."""
    ShareLink.objects.filter(pk=link.pk).update(views=F("views") + 1, last_viewed_at=timezone.now())


def _audit(action: str, link: ShareLink, actor: Actor, **extra: Any) -> None:
    audit_record(action=action, actor=actor, session_id=link.session_id, sessions=1, messages=0, details={
        "share_link": link.pk, "max_seq": link.max_seq,
        "expires_at": link.expires_at.isoformat() if link.expires_at else None, **extra})
