"""Staff admin for messages: read-only, index-backed, no full count."""
from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from ..exceptions import InvalidInput
from ..models import ChatMessage
from ..search.lookups import matching_message_ids
from .pagination import ScaledChangeListMixin
from .replica_mixin import ReplicaListMixin

SESSION_PARAM = "session__id__exact"


class MessageTypeFilter(admin.SimpleListFilter):
    """LangChain message types, a fixed list (a ``DISTINCT type`` would scan every message)."""

    title = "type"
    parameter_name = "type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(t, t) for t in ("human", "ai", "system", "tool", "function", "chat")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ChatMessage]) -> QuerySet[ChatMessage]:
        return queryset.filter(type=self.value()) if self.value() else queryset


@admin.register(ChatMessage)
class ChatMessageAdmin(ReplicaListMixin, ScaledChangeListMixin, admin.ModelAdmin):
    list_display = ("seq", "conversation", "type", "short_text", "created_at")
    list_display_links = ("seq",)
    list_select_related = ("session",)
    list_filter = (MessageTypeFilter,)
    search_fields = ("session__id",)  # see get_search_results
    search_help_text = (
        "Words (full text, \"a phrase\", -excluded) across all messages; a session id lists that "
        "conversation's messages; inside one conversation (filtered by session) a number finds that seq."
    )
    ordering = ("session_id", "seq")  # the (session, seq) unique index ("session" would sort by the session's ordering)
    raw_id_fields = ("session",)
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = None
    fields = ("session", "seq", "type", "created_at", "content_text", "message")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # Delete permission stays the user's real one: Django's delete confirmation of a user or a
    # conversation checks it for every cascaded message. A single message is never deleted here
    # (it would break message_count), so the delete view is refused and its link hidden.
    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        raise PermissionDenied("messages are deleted with their conversation")

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "show_delete": False})

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        return lookup == SESSION_PARAM or super().lookup_allowed(lookup, value, request)

    class Media:
        css = {"all": ("chatmemory/admin.css",)}

    @admin.display(description="conversation", ordering="session_id")
    def conversation(self, message: ChatMessage) -> str:
        """A short title and id linking to the conversation (a long title no longer pushes the
        text and date columns off the page)."""
        session = message.session
        title = session.display_title
        url = reverse("admin:sessions_app_chatsession_change", args=[session.pk])
        return format_html('<a href="{}" title="{}">{}</a><br><span class="quiet">{}</span>', url, title,
                           title if len(title) <= 48 else title[:47] + "…", str(session.pk)[:8])

    @admin.display(description="text")
    def short_text(self, message: ChatMessage) -> str:
        text = message.content_text
        return text if len(text) <= 120 else text[:120] + " …"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ChatMessage], search_term: str
    ) -> tuple[QuerySet[ChatMessage], bool]:
        """Index-backed search only: a session id; within one conversation a seq or words
        (substrings); across all messages, words by full text (the GIN / FTS5 index of
        ``sessions_app.search``; "quoted words" are a phrase, ``-word`` excludes)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(session_id=uuid.UUID(term)), False
        except ValueError:
            pass
        if request.GET.get(SESSION_PARAM):
            if term.isdigit():
                return queryset.filter(seq=int(term)), False
            for bit in term.split():
                queryset = queryset.filter(content_text__icontains=bit)
            return queryset, False
        try:
            matching = matching_message_ids(term)
        except InvalidInput as exc:
            self.message_user(request, f"Search: {exc.detail}", messages.WARNING)
            return queryset.none(), False
        return (queryset.filter(pk__in=matching) if matching is not None else queryset.none()), False
