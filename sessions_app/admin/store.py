"""Admin for long-term memory (``DjangoStore`` items): browse, search, delete (audited).

Values are shown, never edited here (a store item is application data; the user edits their
own memories on the Memory page). Search: ``namespace/prefix`` (``users.7.memories`` or a start of
it: the indexed prefix column), ``=key``, or words of the item's text (full-text index).
Deleting — one item or a selection — goes through ``governance.store.store_items_delete``
(audited, action ``store_delete``).
"""
from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from ..governance.store import store_items_delete
from ..models import StoreItem
from ..store import fts
from .pagination import ScaledChangeListMixin


class OwnedFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "owned"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("user", "a user's (namespace convention)"), ("app", "application data")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[StoreItem]) -> QuerySet[StoreItem]:
        if self.value() == "user":
            return queryset.filter(owner_id__isnull=False)
        if self.value() == "app":
            return queryset.filter(owner_id__isnull=True)
        return queryset


@admin.register(StoreItem)
class StoreItemAdmin(ScaledChangeListMixin, admin.ModelAdmin):
    list_display = ("prefix", "key", "owner_id", "tenant", "updated_at", "expires_at", "value_preview")
    list_filter = (OwnedFilter, "tenant", ("updated_at", admin.DateFieldListFilter))
    search_fields = ("prefix", "=key")
    search_help_text = "A namespace (users.7.memories) or its start, =key, or words of the item's text."
    date_hierarchy = "updated_at"
    show_full_result_count = False
    list_per_page = 100
    ordering = ("-updated_at",)
    fields = ("prefix", "key", "owner_id", "tenant", "session_id", "created_at", "updated_at", "expires_at",
              "ttl_minutes", "value_pretty", "search_text")
    readonly_fields = fields
    actions = ["delete_selected_items"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # bulk delete skips our service: ours replaces it
        return actions

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[StoreItem], search_term: str
                           ) -> tuple[QuerySet[StoreItem], bool]:
        term = search_term.strip()
        if not term or term.startswith("="):
            return super().get_search_results(request, queryset, term)
        where = Q(prefix=term) | Q(prefix__startswith=term.rstrip(".") + ".")
        terms = fts.query_terms(term)
        if terms:
            where |= Q(pk__in=_text_matches(terms))
        return queryset.filter(where), False

    @admin.display(description="value")
    def value_preview(self, obj: StoreItem) -> str:
        text = json.dumps(obj.value, ensure_ascii=False)
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description="value")
    def value_pretty(self, obj: StoreItem) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.value, indent=2, ensure_ascii=False, sort_keys=True))

    @admin.action(description="Delete selected items (audited)", permissions=["delete"])
    def delete_selected_items(self, request: HttpRequest, queryset: QuerySet[StoreItem]) -> None:
        n = store_items_delete(items=queryset, actor=request.user)
        self.message_user(request, f"Deleted {n} store item(s).")

    def delete_model(self, request: HttpRequest, obj: StoreItem) -> None:
        store_items_delete(items=[obj], actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[StoreItem]) -> None:
        store_items_delete(items=queryset, actor=request.user)


def _text_matches(terms: list[str]) -> list[int]:
    """Ids of items whose text has any of ``terms`` (the store's full-text index), at most 1,000."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT id FROM sessions_app_storeitem WHERE to_tsvector('simple', search_text) @@ "
                "to_tsquery('simple', %s) LIMIT 1000", [fts.pg_tsquery(terms)],
            )
        else:
            cur.execute(
                "SELECT rowid FROM sessions_app_storeitem_fts WHERE sessions_app_storeitem_fts MATCH %s LIMIT 1000",
                [fts.fts5_query(terms)],
            )
        return [row[0] for row in cur.fetchall()]
