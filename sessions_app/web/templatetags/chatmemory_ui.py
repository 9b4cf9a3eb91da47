"""Template tags of the browser UI: the conversation sidebar (queried only where it is shown)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from ...conversations import selectors
from ...conversations.folders import folders_for_user

register = template.Library()

SIDEBAR_CONVERSATIONS = 30
SIDEBAR_PINNED = 10


@register.inclusion_tag("chat/_sidebar.html", takes_context=True)
def conversation_sidebar(context: template.Context, current: Any = None) -> dict[str, Any]:
    """The user's pinned conversations (newest pin first, at most ``SIDEBAR_PINNED``), then the most
    recently active of the others (at most ``SIDEBAR_CONVERSATIONS``): each listed once; ``current``
    highlighted."""
    request = context["request"]
    sessions = list(
        selectors.session_list_for_user(user=request.user).filter(pinned_at__isnull=True).only(
            "id", "title", "status", "last_active_at", "message_count"
        )[: SIDEBAR_CONVERSATIONS + 1]
    )
    return {
        "request": request,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
        "sidebar_sessions": sessions[:SIDEBAR_CONVERSATIONS],
        "sidebar_pinned": list(
            selectors.session_list_for_user(user=request.user).filter(pinned_at__isnull=False)
            .order_by("-pinned_at").only("id", "title", "status", "last_active_at", "message_count")[:SIDEBAR_PINNED]
        ),
        "sidebar_more": len(sessions) > SIDEBAR_CONVERSATIONS,
        "current_id": getattr(current, "pk", None),
    }


@register.filter
def ago(value: datetime | None) -> str:
    """``"just now"`` under a minute, else ``"<timesince> ago"`` (e.g. ``"3 hours ago"``)."""
    if value is None:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value, depth=1)} ago"


@register.simple_tag(takes_context=True)
def user_folders(context: template.Context) -> list[Any]:
    """The signed-in user's folders by name (for the conversation menu's "Move to folder")."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return []
    return list(folders_for_user(user=user).only("id", "name"))
