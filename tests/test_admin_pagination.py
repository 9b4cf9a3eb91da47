"""``EstimatedCountPaginator``: the planner's estimate when unfiltered, a bounded count otherwise."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions_app.admin.pagination import EstimatedCountPaginator, table_estimate
from sessions_app.models import ChatSession

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sessions():
    owner = UserFactory(password=None)
    ChatSession.objects.bulk_create(
        [ChatSession(owner=owner, title=f"s{i}", tenant="a" if i % 2 else "") for i in range(30)]
    )


class SmallCap(EstimatedCountPaginator):
    cap = 10
    estimate_above = 5


def test_filtered_count_is_bounded_by_the_cap(sessions):
    with CaptureQueriesContext(connection) as captured:
        count = SmallCap(ChatSession.objects.filter(tenant="a").order_by("pk"), 5).count
    assert count == 11  # cap + 1: "more than 10"
    assert "LIMIT" in captured.captured_queries[-1]["sql"].upper()
    assert SmallCap(ChatSession.objects.filter(title="s3").order_by("pk"), 5).count == 1


def test_lists_are_counted_normally():
    assert EstimatedCountPaginator(list(range(7)), 5).count == 7


@pytest.mark.postgres
def test_unfiltered_count_uses_pg_class_estimate_on_postgresql(sessions):
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {ChatSession._meta.db_table}")
    assert table_estimate(ChatSession.objects.all()) == 30
    with CaptureQueriesContext(connection) as captured:
        count = SmallCap(ChatSession.objects.order_by("pk"), 5).count
    assert count == 30
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


def test_no_estimate_off_postgresql_or_before_analyze(sessions):
    if connection.vendor == "postgresql":
        pytest.skip("covered by the PostgreSQL test above (the estimate exists after ANALYZE)")
    assert table_estimate(ChatSession.objects.all()) is None
    assert SmallCap(ChatSession.objects.order_by("pk"), 5).count == 11
