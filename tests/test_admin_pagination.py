"""``EstimatedCountPaginator``: counted from the page asked for (exact near the end, a lower bound
before it), the planner's estimate shown when unfiltered on PostgreSQL — and every row reachable."""
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
        paginator = SmallCap(ChatSession.objects.filter(tenant="a").order_by("pk"), 5)
        count = paginator.count
    assert count == 11 and paginator.count_kind == "at_least"  # cap + 1: "more than 10"
    assert paginator.count_text == "more than 10"
    assert "LIMIT" in captured.captured_queries[-1]["sql"].upper()
    exact = SmallCap(ChatSession.objects.filter(title="s3").order_by("pk"), 5)
    assert (exact.count, exact.count_kind, exact.count_text) == (1, "exact", "1")


def test_the_count_follows_the_page_asked_for_so_every_page_is_reachable(sessions):
    qs = ChatSession.objects.filter(tenant="a").order_by("pk")  # 15 rows, 5 a page, cap 10
    first = SmallCap(qs, 5, page_number=1)
    assert first.count == 11 and first.num_pages == 3  # pages 1-3 linked, "more than 10"
    third = SmallCap(qs, 5, page_number=3)
    assert third.count == 15 and third.count_kind == "exact" and third.num_pages == 3
    assert [s.title for s in third.page(3)] == [s.title for s in qs[10:15]]  # the last rows, reachable
    beyond = SmallCap(qs, 5, page_number=9)
    assert beyond.count == 15 and beyond.num_pages == 3  # a page that does not exist: the true end
    assert SmallCap(qs, 5, page_number="x").page_number == 1


def test_lists_are_counted_normally():
    assert EstimatedCountPaginator(list(range(7)), 5).count == 7


@pytest.mark.postgres
def test_unfiltered_count_uses_pg_class_estimate_on_postgresql(sessions):
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {ChatSession._meta.db_table}")
    assert table_estimate(ChatSession.objects.all()) == 30
    with CaptureQueriesContext(connection) as captured:
        paginator = SmallCap(ChatSession.objects.order_by("pk"), 5)
        count = paginator.count
    assert count == 11 and paginator.estimate == 30 and paginator.count_kind == "estimate"
    assert paginator.count_text == "about 30"  # shown as an estimate; the page links follow the bound
    assert all("LIMIT" in q["sql"].upper() for q in captured.captured_queries if "COUNT(" in q["sql"].upper())


def test_no_estimate_off_postgresql_or_before_analyze(sessions):
    if connection.vendor == "postgresql":
        pytest.skip("covered by the PostgreSQL test above (the estimate exists after ANALYZE)")
    assert table_estimate(ChatSession.objects.all()) is None
    paginator = SmallCap(ChatSession.objects.order_by("pk"), 5)
    assert paginator.count == 11 and paginator.count_kind == "at_least"


def test_the_changelist_pages_past_the_old_cap_on_any_backend(staff_client, settings, monkeypatch):
    """Before: a count capped at 10,001 made page 202+ (50 a page) an error redirect (?e=1)."""
    from django.urls import reverse

    monkeypatch.setattr(EstimatedCountPaginator, "cap", 60)
    owner = UserFactory(password=None)
    ChatSession.objects.bulk_create([ChatSession(owner=owner, title=f"t{i:03d}", tenant="t") for i in range(130)])
    url = reverse("admin:sessions_app_chatsession_changelist")
    first = staff_client.get(url, {"tenant": "t"})
    assert b"more than 60 conversations" in first.content
    last = staff_client.get(url, {"tenant": "t", "p": 3})  # 50 a page: rows 101-130, past the old bound
    assert last.status_code == 200 and last.content.count(b'class="action-checkbox"') == 30
    assert b"130 conversations" in last.content
    assert staff_client.get(url, {"tenant": "t", "p": 9}).status_code == 302  # no such page: Django's ?e=1


def test_the_select_all_bar_shows_the_honest_count_too(staff_client, monkeypatch):
    """Before: the actions bar said "Select all 61 conversations" / "All 61 selected" (the bound
    plus one, printed as if exact) beside "more than 60 conversations"."""
    from django.urls import reverse

    monkeypatch.setattr(EstimatedCountPaginator, "cap", 60)
    owner = UserFactory(password=None)
    ChatSession.objects.bulk_create([ChatSession(owner=owner, title=f"t{i:03d}", tenant="t") for i in range(130)])
    url = reverse("admin:sessions_app_chatsession_changelist")
    first = staff_client.get(url, {"tenant": "t"}).content.decode()
    assert "Select all 61" not in first and "All 61 selected" not in first  # the bound + 1, as if exact
    assert "Select all conversations (more than 60)" in first and "All selected (more than 60)" in first
    last = staff_client.get(url, {"tenant": "t", "p": 3}).content.decode()  # exact there: Django's wording
    assert "Select all 130 conversations" in last and "All 130 selected" in last
