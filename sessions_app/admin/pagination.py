"""Changelists over huge tables: never a full ``COUNT(*)``, honest counts, and every row reachable.

Django's changelist asks its paginator for ``count`` on every page load and refuses pages past
``num_pages`` (a redirect to ``?e=1``). A full count over a million messages is a sequential scan
per click; a count capped at 10,001 (what this module did first) made pages past 201 unreachable.
So ``count`` is counted **from the page asked for** (``page_number``, passed by
``ScaledChangeListMixin``): ``COUNT(*) FROM (… LIMIT cap + 1 OFFSET page start)``. Then

* fewer than ``cap + 1`` rows from there: the count is **exact** (``count_kind = "exact"``);
* otherwise it is a **lower bound** (``"at_least"``: "more than 20,050 conversations"), which
  still reaches ``cap`` rows past the current page, so paging on moves the bound with it and no
  row is out of reach; the last page link always leads to rows that exist;
* unfiltered on PostgreSQL, the planner's ``pg_class.reltuples`` (kept by autovacuum/ANALYZE) is
  shown as well, **labelled as an estimate** (``"estimate"``: "about 117,546 conversations
  (estimated)") — shown only: the page links follow the bound, so a high estimate never links to
  a page that does not exist.

The page's own query costs an ``OFFSET`` scan too: deep pages are as slow as Django makes them.
Use with ``show_full_result_count = False``; ``count_text`` is what the templates print
(``templates/admin/sessions_app/pagination.html`` and ``search_form.html``).
"""
from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    estimate_above = 10_000  # rows: below this the exact count is cheap anyway
    cap = 10_000  # rows counted past the start of the requested page

    def __init__(self, object_list: Any, per_page: int, orphans: int = 0, allow_empty_first_page: bool = True,
                 *, page_number: Any = None) -> None:
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        try:
            self.page_number = max(1, int(page_number))
        except (TypeError, ValueError):
            self.page_number = 1
        self.count_kind = "exact"
        self.estimate: int | None = None

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if not isinstance(object_list, QuerySet):
            return super().count
        start = (self.page_number - 1) * int(self.per_page)
        cap = max(self.cap, int(self.per_page))
        window = object_list[start : start + cap + 1].count()
        if window == 0 and start > 0:  # past the end: the rows before it are all there are (Django: "invalid page")
            return object_list[:start].count()
        if window <= cap:
            return start + window
        self.count_kind = "at_least"
        query = object_list.query
        if not query.where and not query.combinator and not query.distinct:
            estimate = table_estimate(object_list)
            if estimate is not None and estimate >= self.estimate_above:
                self.estimate = max(estimate, start + window)
                self.count_kind = "estimate"
        return start + window

    @property
    def count_text(self) -> str:
        """``"42"``, ``"more than 20,050"`` or ``"about 117,546"`` (then followed by "(estimated)")."""
        count = self.count
        if self.count_kind == "estimate":
            return f"about {self.estimate:,}"
        if self.count_kind == "at_least":
            return f"more than {count - 1:,}"
        return f"{count:,}"


class ScaledChangeListMixin:
    """A ``ModelAdmin`` mixin: changelists get an ``EstimatedCountPaginator`` that knows which page
    is asked for (set ``show_full_result_count = False`` on the admin too)."""

    def get_paginator(self, request: HttpRequest, queryset: Any, per_page: int, orphans: int = 0,
                      allow_empty_first_page: bool = True) -> Paginator:
        return EstimatedCountPaginator(queryset, per_page, orphans, allow_empty_first_page,
                                       page_number=request.GET.get("p"))


def table_estimate(queryset: QuerySet) -> int | None:
    """PostgreSQL's row estimate for the queryset's table, or ``None`` (other databases, never analysed)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:  # -1: never vacuumed or analysed (PostgreSQL 14+)
        return None
    return int(row[0])
