"""A paginator for changelists over huge tables: never a full ``COUNT(*)``.

Django's changelist asks its paginator for ``count`` on every page load; over a million
messages that is a sequential scan per click. Here:

* **unfiltered, on PostgreSQL**: the planner's estimate ``pg_class.reltuples`` (kept current by
  autovacuum/ANALYZE) when it says the table has at least ``estimate_above`` rows;
* **otherwise** (filtered, searched, small or never-analysed table, SQLite): a *bounded* count,
  ``SELECT COUNT(*) FROM (… LIMIT cap + 1)``, which stops after ``cap + 1`` rows; a result of
  ``cap + 1`` means "more than ``cap``" (narrow the filter to page further).

Use with ``show_full_result_count = False`` (which removes the second, unfiltered count).
"""
from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    estimate_above = 10_000  # rows: below this the bounded exact count is cheap anyway
    cap = 10_000  # rows counted at most when filtered

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if not isinstance(object_list, QuerySet):
            return super().count
        query = object_list.query
        if not query.where and not query.combinator and not query.distinct:
            estimate = table_estimate(object_list)
            if estimate is not None and estimate >= self.estimate_above:
                return estimate
        return object_list[: self.cap + 1].count()


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
