"""``ReplicaListMixin``: an admin whose changelist (list, filters, search) a read replica may serve.

Big-table lists are the reads that can be a few seconds old without harm; everything else the
admin does (change forms, actions, deletes) stays on the primary. A staff user who just saved
something is pinned to the primary (``sessions_app.db.replicas``), so their own change shows.
"""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from ..db.replicas import run_lag_tolerant


class ReplicaListMixin:
    """Mix in before ``admin.ModelAdmin``: changelist GETs run in ``run_lag_tolerant`` (rendered inside)."""

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        parent = super().changelist_view  # type: ignore[misc]
        if request.method != "GET":  # actions are POSTs to the changelist: the primary
            return parent(request, extra_context)

        def run() -> HttpResponse:
            response = parent(request, extra_context)
            if callable(getattr(response, "render", None)) and not response.is_rendered:
                response.render()
            return response

        return run_lag_tolerant(run, user_id=request.user.pk)
