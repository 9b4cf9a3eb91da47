"""Admin for LangGraph threads: the thread list, a per-thread checkpoint timeline, and actions
to copy, fork, prune and delete threads (all through ``checkpoint.services``)."""
from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from ..checkpoint.selectors import thread_timeline
from ..checkpoint.services import thread_copy, thread_fork, thread_prune, threads_delete
from ..exceptions import InvalidInput
from ..models import ChatSession, CheckpointThread
from .pagination import ScaledChangeListMixin
from .readonly_mixin import ReadOnlyAdminMixin

TIMELINE_PAGE = 50


class ThreadActionForm(ActionForm):
    keep = forms.IntegerField(min_value=1, initial=10, required=False, label="keep (for prune)")


class ThreadChangeList(ChangeList):
    """Fetches the conversations of the page's threads in one query (no per-row lookups)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        ids = []
        for row in self.result_list:
            try:
                ids.append(uuid.UUID(row.thread_id))
            except ValueError:
                continue
        sessions = {str(s.pk): s for s in ChatSession.objects.filter(pk__in=ids).only("id", "title")}
        for row in self.result_list:
            row.conversation = sessions.get(row.thread_id)


def timeline_url(thread_id: str, checkpoint_ns: str = "", before: str | None = None) -> str:
    query = {"thread_id": thread_id, "checkpoint_ns": checkpoint_ns}
    if before:
        query["before"] = before
    return reverse("admin:sessions_app_checkpointthread_timeline") + "?" + urlencode(query)


@admin.register(CheckpointThread)
class CheckpointThreadAdmin(ScaledChangeListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """One row per thread namespace (``CheckpointThread``, the summary table the saver maintains:
    a page is an index scan of it, never an aggregate over the checkpoints); read-only, changed
    only through actions (deletion too: the delete_threads action)."""

    list_display = ("thread_link", "checkpoint_ns", "checkpoints", "latest_step", "updated_at", "conversation_link")
    list_display_links = None
    search_fields = ("=thread_id",)
    list_filter = (("updated_at", admin.DateFieldListFilter),)
    ordering = ("-updated_at",)
    show_full_result_count = False
    list_per_page = 50
    action_form = ThreadActionForm
    actions = ("copy_threads", "prune_threads", "delete_threads")

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ThreadChangeList

    def has_manage_permission(self, request: HttpRequest) -> bool:
        """Copy/fork/prune/delete change checkpoint rows: they need ``delete_checkpoint``."""
        return request.user.has_perm("sessions_app.delete_checkpoint")

    def get_urls(self) -> list[Any]:
        return [
            path("timeline/", self.admin_site.admin_view(self.timeline_view),
                 name="sessions_app_checkpointthread_timeline"),
            path("fork/", self.admin_site.admin_view(require_POST(self.fork_view)),
                 name="sessions_app_checkpointthread_fork"),
            *super().get_urls(),
        ]

    # ----- columns --------------------------------------------------------------------------

    @admin.display(description="thread", ordering="thread_id")
    def thread_link(self, obj: CheckpointThread) -> str:
        return format_html('<a href="{}">{}</a>', timeline_url(obj.thread_id, obj.checkpoint_ns), obj.thread_id)

    @admin.display(description="conversation")
    def conversation_link(self, obj: CheckpointThread) -> str:
        session = getattr(obj, "conversation", None)
        if session is None:
            return "–"
        try:
            return format_html(
                '<a href="{}">{}</a>', reverse("admin:sessions_app_chatsession_change", args=[session.pk]), session
            )
        except NoReverseMatch:
            return str(session)

    # ----- actions (services) ---------------------------------------------------------------

    def _thread_ids(self, queryset: QuerySet[CheckpointThread]) -> list[str]:
        return sorted(set(queryset.values_list("thread_id", flat=True)))

    @admin.action(description="Copy selected threads (to new thread ids)", permissions=["manage"])
    def copy_threads(self, request: HttpRequest, queryset: QuerySet[CheckpointThread]) -> None:
        for thread_id in self._thread_ids(queryset):
            new_id = thread_copy(source_thread_id=thread_id)
            self.message_user(
                request, format_html('Copied {} to <a href="{}">{}</a>.', thread_id, timeline_url(new_id), new_id)
            )

    @admin.action(description="Prune selected threads to their last N checkpoints (N = keep)", permissions=["manage"])
    def prune_threads(self, request: HttpRequest, queryset: QuerySet[CheckpointThread]) -> None:
        try:
            keep = int(request.POST.get("keep") or 0)
        except ValueError:
            keep = 0
        if keep < 1:
            self.message_user(request, "Set “keep” to at least 1 to prune.", messages.ERROR)
            return
        for thread_id in self._thread_ids(queryset):
            result = thread_prune(thread_id=thread_id, keep=keep)
            if result.skipped_delta_threads:
                self.message_user(request, f"Skipped {thread_id}: it uses a DeltaChannel.", messages.WARNING)
            else:
                self.message_user(
                    request,
                    f"Pruned {thread_id} to {keep} per namespace: {result.checkpoints} checkpoints, "
                    f"{result.writes} writes, {result.blobs} blobs deleted.",
                )

    @admin.action(description="Delete selected threads (all checkpoints, writes and blobs)", permissions=["manage"])
    def delete_threads(self, request: HttpRequest, queryset: QuerySet[CheckpointThread]) -> None:
        thread_ids = self._thread_ids(queryset)
        deleted = threads_delete(thread_ids=thread_ids)
        self.message_user(request, f"Deleted {len(thread_ids)} threads ({deleted} checkpoints).")

    # ----- views ----------------------------------------------------------------------------

    def timeline_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        thread_id = request.GET.get("thread_id", "")
        checkpoint_ns = request.GET.get("checkpoint_ns", "")
        before = request.GET.get("before") or None
        entries = thread_timeline(thread_id=thread_id, checkpoint_ns=checkpoint_ns, limit=TIMELINE_PAGE, before=before)
        conversation = None
        try:
            conversation = ChatSession.objects.filter(pk=uuid.UUID(thread_id)).first()
        except ValueError:
            pass
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Thread {thread_id}" + (f" [{checkpoint_ns}]" if checkpoint_ns else ""),
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
            "entries": entries,
            "conversation": conversation,
            "older_url": timeline_url(thread_id, checkpoint_ns, entries[-1].checkpoint_id)
            if len(entries) == TIMELINE_PAGE else None,
            "fork_url": reverse("admin:sessions_app_checkpointthread_fork")
            if self.has_manage_permission(request) else None,
            "changelist_url": reverse("admin:sessions_app_checkpointthread_changelist"),
        }
        return TemplateResponse(request, "admin/sessions_app/checkpointthread/timeline.html", context)

    def fork_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_manage_permission(request):
            raise PermissionDenied
        thread_id = request.POST.get("thread_id", "")
        checkpoint_ns = request.POST.get("checkpoint_ns", "")
        try:
            new_id = thread_fork(
                thread_id=thread_id, checkpoint_ns=checkpoint_ns, checkpoint_id=request.POST.get("checkpoint_id", "")
            )
        except InvalidInput as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            return HttpResponseRedirect(timeline_url(thread_id, checkpoint_ns))
        self.message_user(request, f"Forked {thread_id} into the new thread {new_id}.")
        return HttpResponseRedirect(timeline_url(new_id, checkpoint_ns))
