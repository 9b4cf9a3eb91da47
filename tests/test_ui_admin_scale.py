"""The admin at scale, in headless Chromium: honest counts and every page reachable, the Messages
changelist's columns all in view with its global search working, the by-tenant table readable."""
from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.admin.pagination import EstimatedCountPaginator
from sessions_app.conversations.messages import messages_append
from sessions_app.models import ChatSession

from .browser_fixtures import needs_chromium, sign_in
from .factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]


@pytest.fixture
def staff():
    return UserFactory(username="stella", is_staff=True, is_superuser=True)


def test_conversation_counts_are_honest_and_every_page_is_reachable(page, live_server, staff, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "cap", 60)  # 10,000 in production: the same code path
    owner = UserFactory(username="bulk", password=None)
    ChatSession.objects.bulk_create([ChatSession(owner=owner, title=f"conv {i:03d}") for i in range(175)])
    sign_in(page, live_server.url, staff)
    page.goto(f"{live_server.url}/admin/sessions_app/chatsession/")
    assert page.locator("p.paginator .result-count").inner_text() in ("more than 60 conversations",
                                                                     "about 175 conversations (estimated)")
    for _ in range(10):  # follow the last page linked: it always has rows, and the bound moves on with it
        if page.locator("p.paginator .result-count").inner_text() == "175 conversations":
            break
        page.locator("p.paginator a:not(.showall)").last.click()
        page.wait_for_load_state()
        assert "e=1" not in page.url and page.locator("#result_list tbody tr").count() > 0
    assert page.locator("p.paginator .result-count").inner_text() == "175 conversations"  # exact at the end
    assert page.locator("#result_list tbody tr").count() == 175 - 50 * 3


def test_messages_changelist_columns_fit_and_global_search_works(page, live_server, staff):
    owner = UserFactory(username="writer", password=None)
    session = ChatSession.objects.create(owner=owner, title="A very long conversation title " * 6)
    messages_append(session_id=session.pk, messages=[HumanMessage("Tell me about the aurora borealis " * 8),
                                                     AIMessage("It is light from charged particles " * 8)])
    sign_in(page, live_server.url, staff)
    page.goto(f"{live_server.url}/admin/sessions_app/chatmessage/")
    widths = page.evaluate("(() => { const r = document.querySelector('#changelist .results');"
                           " return [r.scrollWidth, r.clientWidth]; })()")
    assert widths[0] <= widths[1] + 1, widths  # no column pushed off the page
    assert page.locator("#result_list thead th").all_inner_texts()[-1].strip().upper() == "CREATED AT"
    page.locator("#searchbar").fill("aurora")
    page.locator("#changelist-search input[type=submit]").click()
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "aurora" in rows.first.locator(".field-short_text").inner_text()
    assert page.locator("#changelist-search .result-count").inner_text().startswith("1 message")


def test_the_by_tenant_table_is_readable(page, live_server, staff):
    owner = UserFactory(username="tenants", password=None)
    ChatSession.objects.bulk_create([ChatSession(owner=owner, tenant=name) for name in (
        "acme-corporation-europe-west", "globex-international", "initech") for _ in range(3)])
    sign_in(page, live_server.url, staff)
    page.goto(f"{live_server.url}/admin/")
    table = page.locator("[data-role=tenant-table]")
    assert table.locator("thead th").all_inner_texts() == ["Tenant", "Active", "Archived", "Messages"]
    heights = table.locator("thead th").evaluate_all("ths => ths.map(th => th.getBoundingClientRect().height)")
    assert max(heights) < 40, heights  # one line each: no header squeezed to a letter per line
    assert "acme-corporation-europe-west" in table.inner_text()
