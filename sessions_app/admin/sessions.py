"""Staff admin for conversations, built for 100,000 conversations and a million messages.

* Changelist: owner joined in the same query (``list_select_related``), no full ``COUNT(*)``
  (``show_full_result_count = False`` + ``ScaledChangeListMixin``: counted from the page shown),
  facets off, filters whose choices come from indexes, search on title, owner username and message text — the latter as
  an ``IN`` subquery (a semi-join), so a conversation matching in many messages is still one row
  and no ``DISTINCT`` is needed. A UUID searched for is looked up by primary key.
* Conversation page: the latest ``MESSAGE_INLINE_LIMIT`` messages inline, read-only, in ``seq``
  order, fetched with one range scan of ``(session, seq)``; a link to the messages changelist
  filtered by the conversation for the rest.
* Actions (archive, unarchive, export as JSON, delete) and the delete buttons go through
  the services (``governance.lifecycle``, ``conversations.sessions``, ``transfer.services``) so
  cache eviction and audit logging happen on every path; the delete confirmation page summarises
  counts instead of listing every message.
"""
from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import smart_split, unescape_string_literal

from ..conversations.sessions import session_delete
from ..exceptions import InvalidInput
from ..governance.lifecycle import sessions_archive, sessions_unarchive
from ..models import ChatMessage, ChatSession
from ..search.lookups import matching_session_ids
from ..transfer.services import session_export_chunks, sessions_export_chunks
from .cache_mixin import CachedSessionAdminMixin
from .pagination import ScaledChangeListMixin
from .readonly_mixin import ReadOnlyAdminMixin
from .replica_mixin import ReplicaListMixin

MESSAGE_INLINE_LIMIT = 200  # messages shown on a conversation page
TENANT_CHOICES_LIMIT = 100  # tenants offered in the filter
ACTION_BATCH = 1000  # sessions per archive/unarchive transaction


class TenantFilter(admin.SimpleListFilter):
    """Tenants present in the data (an index-only scan of ``chatsession_tenant_status_idx``)."""

    title = "tenant"
    parameter_name = "tenant"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        tenants = (
            ChatSession.objects.exclude(tenant="")
            .order_by("tenant")
            .values_list("tenant", flat=True)
            .distinct()[:TENANT_CHOICES_LIMIT]
        )
        return [("-", "(none)")] + [(t, t) for t in tenants]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ChatSession]) -> QuerySet[ChatSession]:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(tenant="" if value == "-" else value)


class LatestMessagesFormSet(BaseInlineFormSet):
    """The conversation's latest ``MESSAGE_INLINE_LIMIT`` messages, oldest first.

    ``seq`` is gap-free up to ``last_seq`` (``messages_append``), so ``seq > last_seq -
    limit`` selects them with one index range scan; after a clear there are fewer, never more.
    """

    def get_queryset(self) -> QuerySet[ChatMessage]:
        if not hasattr(self, "_latest"):
            floor = max(int(self.instance.last_seq or 0) - MESSAGE_INLINE_LIMIT, 0)
            self._latest = super().get_queryset().filter(seq__gt=floor).order_by("seq")
            len(self._latest)  # evaluate once: bound forms index into it (no query per form)
        return self._latest


class ChatMessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ChatMessage
    formset = LatestMessagesFormSet
    template = "admin/sessions_app/chatsession/messages_inline.html"
    fields = ("seq", "type", "text", "created_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = f"messages (the latest {MESSAGE_INLINE_LIMIT}, oldest first)"

    @admin.display(description="text")
    def text(self, message: ChatMessage) -> str:
        return message.content_text  # rendered (truncated) by the template


@admin.register(ChatSession)
class ChatSessionAdmin(ReplicaListMixin, ScaledChangeListMixin, CachedSessionAdminMixin, admin.ModelAdmin):
    list_display = ("display_title", "owner", "tenant", "status", "message_count", "created_at", "last_active_at")
    list_select_related = ("owner",)
    list_filter = ("status", TenantFilter, "created_at", "last_active_at")
    search_fields = ("title", "owner__username", "messages__content_text")  # see get_search_results
    search_help_text = "Title, owner username or message text (a session id finds that session)."
    date_hierarchy = "created_at"
    ordering = ("-last_active_at",)
    raw_id_fields = ("owner",)
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    inlines = (ChatMessageInline,)
    actions = ("archive", "unarchive", "export_json", "export_session_document", "delete_selected")
    readonly_fields = (
        "id", "status", "created_at", "last_active_at", "archived_at", "message_count", "last_seq", "messages_note",
        "cache_ttl_remaining",
        "langgraph_threads", "parent", "branched_at_seq",
    )
    fieldsets = (
        (None, {"fields": ("id", "owner", "title", "tenant", "status", "metadata")}),
        (
            "Activity",
            {"fields": ("created_at", "last_active_at", "archived_at", "expires_at", "cache_ttl",
                        "cache_ttl_remaining", "message_count", "last_seq", "messages_note")},
        ),
        ("Branch", {"fields": ("parent", "branched_at_seq")}),  # read-only: made by edit/regenerate
        ("LangGraph", {"fields": ("langgraph_threads",)}),
    )

    # --- changelist -------------------------------------------------------------------------

    @admin.display(description="title", ordering="title")
    def display_title(self, session: ChatSession) -> str:
        return session.display_title

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ChatSession], search_term: str
    ) -> tuple[QuerySet[ChatSession], bool]:
        """Every word must match the title, the owner's username or some message's text.

        Message text is matched by full text (``sessions_app.search.lookups``: the GIN index on
        PostgreSQL, FTS5 on SQLite; whole words, accents folded; a quoted "two words" is a phrase)
        as ``id IN (SELECT session_id …)`` — a semi-join, not a join, so no duplicate rows and no
        ``DISTINCT``. Not a correlated ``EXISTS``: inside the ``OR`` PostgreSQL would run that once
        per session while walking the changelist order; the ``IN`` subquery runs once and is probed
        as a hash. Title and username match substrings (``icontains``; titles through the trigram
        index ``chatsession_title_trgm_idx``). A search term that is a UUID finds that session only.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(pk=uuid.UUID(term)), False
        except ValueError:
            pass
        for bit in smart_split(term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            condition = Q(title__icontains=bit) | Q(owner__username__icontains=bit)
            try:
                in_messages = matching_session_ids(f'"{bit}"' if " " in bit else bit)
            except InvalidInput as exc:
                self.message_user(request, f"Search: {exc.detail}", messages.WARNING)
                return queryset.none(), False
            if in_messages is not None:
                condition |= Q(pk__in=in_messages)
            queryset = queryset.filter(condition)
        return queryset, False

    # --- change page ------------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # conversations are created by their users, the API or an import

    @admin.display(description="all messages")
    def messages_note(self, session: ChatSession) -> str:
        url = reverse("admin:sessions_app_chatmessage_changelist") + f"?session__id__exact={session.pk}"
        shown = min(session.message_count, MESSAGE_INLINE_LIMIT)
        return format_html(
            'Showing the latest {} of {} messages below. <a href="{}">Browse all messages of this conversation</a>.',
            shown,
            session.message_count,
            url,
        )

    @admin.display(description="threads (thread_id = this session id)")
    def langgraph_threads(self, session: ChatSession) -> str:
        from ..checkpoint.selectors import threads_for_session
        from .checkpoints import timeline_url

        threads = list(threads_for_session(session_id=session.pk))
        if not threads:
            return "no LangGraph checkpoints"
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}{}</a>: {} checkpoints, latest step {}, updated {}',
            (
                (timeline_url(t.thread_id, t.checkpoint_ns), t.thread_id,
                 f" [{t.checkpoint_ns}]" if t.checkpoint_ns else "", t.checkpoints, t.latest_step, t.updated_at)
                for t in threads
            ),
        )

    # --- delete through the service (single and bulk) --------------------------------------

    def delete_model(self, request: HttpRequest, obj: ChatSession) -> None:
        session_delete(session_id=obj.pk, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ChatSession]) -> None:
        for session_id in list(queryset.values_list("pk", flat=True)):
            session_delete(session_id=session_id, actor=request.user)

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """Summarise instead of collecting every message (a 100k-message conversation would list 100k lines)."""
        sessions = list(objs)
        perms_needed = set() if self.has_delete_permission(request) else {"conversation"}
        counts = {
            "conversations": len(sessions),
            "messages": sum(s.message_count for s in sessions),
        }
        listed = [f"{s.display_title} ({s.message_count} messages)" for s in sessions[:100]]
        if len(sessions) > 100:
            listed.append(f"… and {len(sessions) - 100} more conversations")
        return listed, counts, perms_needed, []

    # --- actions ----------------------------------------------------------------------------

    @admin.action(description="Archive selected conversations (read-only)", permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet[ChatSession]) -> None:
        done = self._in_batches(request, queryset, sessions_archive)
        self.message_user(request, f"Archived {done} conversation(s).", messages.SUCCESS)

    @admin.action(description="Unarchive selected conversations", permissions=["change"])
    def unarchive(self, request: HttpRequest, queryset: QuerySet[ChatSession]) -> None:
        done = self._in_batches(request, queryset, sessions_unarchive)
        self.message_user(request, f"Unarchived {done} conversation(s).", messages.SUCCESS)

    @admin.action(description="Export selected conversations (chatmemory.session documents)", permissions=["view"])
    def export_json(self, request: HttpRequest, queryset: QuerySet[ChatSession]) -> StreamingHttpResponse:
        """A JSON array of ``chatmemory.session`` documents, the format of ``export_session`` (one audit entry)."""
        sessions = list(queryset.select_related("owner").order_by("pk"))
        chunks = sessions_export_chunks(sessions=sessions, actor=request.user, destination="admin download")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response = StreamingHttpResponse(chunks, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="chatmemory-export-{stamp}.json"'
        return response

    @admin.action(description="Export one conversation as an importable document (chatmemory.session)",
                  permissions=["view"])
    def export_session_document(
        self, request: HttpRequest, queryset: QuerySet[ChatSession]
    ) -> StreamingHttpResponse | None:
        """The ``export_session`` command's document (``docs/export-format.md``), for one conversation."""
        sessions = list(queryset.select_related("owner")[:2])
        if len(sessions) != 1:
            self.message_user(request, "Select exactly one conversation to export as a session document.",
                              messages.WARNING)
            return None
        session = sessions[0]
        chunks = session_export_chunks(session=session, actor=request.user, destination="admin download")
        response = StreamingHttpResponse(chunks, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="chatmemory-session-{session.pk}.json"'
        return response

    @staticmethod
    def _in_batches(request: HttpRequest, queryset: QuerySet[ChatSession], service: Any) -> int:
        """Call a batch lifecycle service (one transaction and one audit entry per batch)."""
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        done = 0
        for start in range(0, len(ids), ACTION_BATCH):
            done += len(service(session_ids=ids[start : start + ACTION_BATCH], actor=request.user))
        return done
