"""The staff admin: fast on big tables (bounded queries, no full count), actions through services."""
from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from langchain_core.messages import AIMessage, HumanMessage, message_to_dict

from sessions_app.admin import sessions as admin_sessions
from sessions_app.admin.sessions import MESSAGE_INLINE_LIMIT
from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_archive, session_delete
from sessions_app.governance.lifecycle import sessions_archive
from sessions_app.models import AuditLogEntry, ChatMessage, ChatSession

from .factories import ChatSessionFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:sessions_app_chatsession_changelist")
MESSAGES = reverse("admin:sessions_app_chatmessage_changelist")


def make_sessions(count: int, *, messages: int = 2, **kwargs) -> list[ChatSession]:
    sessions = []
    for i in range(count):
        session = ChatSessionFactory(owner=UserFactory(password=None), **kwargs)  # no slow password hashing
        messages_append(
            session_id=session.pk,
            messages=[
                HumanMessage(f"question {i}.{n}") if n % 2 == 0 else AIMessage(f"answer {i}.{n}")
                for n in range(messages)
            ],
        )
        sessions.append(session)
    return sessions


def change_url(session: ChatSession) -> str:
    return reverse("admin:sessions_app_chatsession_change", args=[session.pk])


def query_count(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured), [q["sql"] for q in captured.captured_queries]


def test_changelist_queries_do_not_grow_with_rows(staff_client, django_assert_max_num_queries):
    make_sessions(3)
    few, _ = query_count(staff_client, CHANGELIST)
    make_sessions(47)
    many, sqls = query_count(staff_client, CHANGELIST)
    assert many == few  # owners come from the same query (list_select_related): no N+1
    with django_assert_max_num_queries(10):
        response = staff_client.get(CHANGELIST)
    assert response.content.count(b'class="action-checkbox"') == 50
    # the paginator never runs an unbounded COUNT(*) (no LIMIT) over the table
    counts = [s for s in sqls if "COUNT(" in s.upper()]
    assert counts and all("LIMIT" in s.upper() for s in counts)


def test_changelist_columns_filters_and_date_hierarchy(staff_client):
    archived = make_sessions(1, tenant="acme")[0]
    session_archive(session=archived)
    make_sessions(2)
    response = staff_client.get(CHANGELIST)
    body = response.content.decode()
    for column in ("title", "owner", "tenant", "status", "message count", "created at", "last active at"):
        assert column in body.lower()
    assert b'?tenant=acme"' in response.content  # tenant filter offers the tenants in the data
    only = staff_client.get(CHANGELIST + "?status__exact=archived&tenant=acme")
    assert only.content.count(b'class="action-checkbox"') == 1
    year = archived.created_at.year
    assert staff_client.get(CHANGELIST + f"?created_at__year={year}").status_code == 200
    assert staff_client.get(CHANGELIST + "?tenant=-").content.count(b'class="action-checkbox"') == 2


def test_search_title_owner_and_message_text_without_duplicates(staff_client):
    target = ChatSessionFactory(owner=UserFactory(username="zelda", password=None), title="Trip planning")
    messages_append(
        session_id=target.pk, messages=[HumanMessage(f"about the Kraken, part {i}") for i in range(5)]
    )
    make_sessions(3)
    for term in ("trip", "zeld", "kraken", '"Kraken, part 3"', str(target.pk)):
        response = staff_client.get(CHANGELIST, {"q": term})
        assert response.content.count(b'class="action-checkbox"') == 1, term  # 5 matching messages, one row
        assert str(target.pk).encode() in response.content
    assert staff_client.get(CHANGELIST, {"q": "kraken nonsense-word"}).content.count(b'class="action-checkbox"') == 0


def test_change_page_shows_latest_messages_in_order_read_only(staff_client, django_assert_max_num_queries):
    session = ChatSessionFactory(title="Long one")
    messages_append(session_id=session.pk, messages=[HumanMessage(f"m{n}") for n in range(1, 251)])
    with django_assert_max_num_queries(8):
        response = staff_client.get(change_url(session))
    body = response.content.decode()
    shown = re.findall(r"<td>(m\d+)</td>|>(m\d+)</td>", body)
    texts = [a or b for a, b in shown]
    assert texts == [f"m{n}" for n in range(51, 251)]  # the latest 200, oldest first
    assert f"Showing the latest {MESSAGE_INLINE_LIMIT} of 250 messages" in body
    assert f"{MESSAGES}?session__id__exact={session.pk}" in body
    assert "Add another" not in body and 'name="messages-0-DELETE"' not in body
    small = ChatSessionFactory(owner=session.owner)
    messages_append(session_id=small.pk, messages=[HumanMessage("<b>hi</b>")])
    page = staff_client.get(change_url(small)).content.decode()
    assert "&lt;b&gt;hi&lt;/b&gt;" in page and "<b>hi</b>" not in page  # escaped


def test_change_page_query_count_is_independent_of_message_count(staff_client):
    small = make_sessions(1, messages=2)[0]
    big = make_sessions(1, messages=240)[0]
    assert query_count(staff_client, change_url(small))[0] == query_count(staff_client, change_url(big))[0]


def test_saving_the_conversation_form_keeps_messages(staff_client):
    session = make_sessions(1, messages=4)[0]
    page = staff_client.get(change_url(session)).content.decode()
    data = {
        "owner": str(session.owner_id), "title": "Renamed", "tenant": "t1", "metadata": '{"channel": "web"}',
        "expires_at_0": "", "expires_at_1": "", "cache_ttl": "",
    }
    for name, value in re.findall(r'name="(messages-[A-Z_]+|messages-\d+-id)"[^>]*value="([^"]*)"', page):
        data[name] = value
    response = staff_client.post(change_url(session), data)
    assert response.status_code == 302, response.content[:2000]
    session.refresh_from_db()
    assert (session.title, session.tenant, session.metadata) == ("Renamed", "t1", {"channel": "web"})
    assert list(session.messages.order_by("seq").values_list("content_text", flat=True)) == [
        "question 0.0", "answer 0.1", "question 0.2", "answer 0.3",
    ]


def test_archive_and_unarchive_actions_use_services_and_report(staff_client, monkeypatch):
    calls = []
    original = sessions_archive
    monkeypatch.setattr(admin_sessions, "sessions_archive", lambda **kw: calls.append(kw) or original(**kw))
    sessions = make_sessions(3)
    ids = [str(s.pk) for s in sessions]
    response = staff_client.post(CHANGELIST, {"action": "archive", "_selected_action": ids}, follow=True)
    assert "Archived 3 conversation(s)." in response.content.decode()
    assert [c["actor"].username for c in calls] == ["stella"]
    assert sorted(map(str, calls[0]["session_ids"])) == sorted(ids)
    assert AuditLogEntry.objects.get(action="archive").sessions == 3
    assert set(ChatSession.objects.values_list("status", flat=True)) == {"archived"}
    response = staff_client.post(CHANGELIST, {"action": "unarchive", "_selected_action": ids[:2]}, follow=True)
    assert "Unarchived 2 conversation(s)." in response.content.decode()
    assert ChatSession.objects.filter(status="active").count() == 2


def test_export_json_action_downloads_messages_as_langchain_serializes_them(
    staff_client, django_assert_max_num_queries
):
    sessions = make_sessions(3, messages=3)
    ChatSession.objects.filter(pk=sessions[0].pk).update(metadata={"channel": "web"})
    with django_assert_max_num_queries(10):
        response = staff_client.post(
            CHANGELIST, {"action": "export_json", "_selected_action": [str(s.pk) for s in sessions]}
        )
        payload = json.loads(b"".join(response.streaming_content))
    assert response["Content-Disposition"].startswith('attachment; filename="chatmemory-export-')
    # one format: a JSON array of the chatmemory.session documents `export_session` writes
    assert {(d["format"], d["format_version"]) for d in payload} == {("chatmemory.session", 1)}
    exported = {d["session"]["id"]: d for d in payload}
    assert set(exported) == {str(s.pk) for s in sessions}
    first = exported[str(sessions[0].pk)]
    assert first["session"]["metadata"] == {"channel": "web"}
    assert first["session"]["owner"] == sessions[0].owner.username
    first_three = (HumanMessage("question 0.0"), AIMessage("answer 0.1"), HumanMessage("question 0.2"))
    expected = [message_to_dict(m) for m in first_three]
    assert [m["message"] for m in first["messages"]] == expected
    entry = AuditLogEntry.objects.get(action="export")
    assert (entry.sessions, entry.messages, entry.user.username) == (3, 9, "stella")


def test_bulk_delete_confirms_with_a_summary_then_deletes_through_the_service(staff_client, monkeypatch):
    calls = []
    original = session_delete
    monkeypatch.setattr(admin_sessions, "session_delete", lambda **kw: calls.append(kw) or original(**kw))
    doomed = make_sessions(2, messages=30)
    kept = make_sessions(1)[0]
    ids = [str(s.pk) for s in doomed]
    confirm = staff_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": ids})
    body = confirm.content.decode()
    assert "Are you sure" in body and "Messages: 60" in body and "(30 messages)" in body
    assert "question 0.0" not in body  # messages are counted, not listed one by one
    response = staff_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert response.status_code == 302
    assert sorted(str(c["session_id"]) for c in calls) == sorted(ids)
    assert list(ChatSession.objects.values_list("pk", flat=True)) == [kept.pk]
    assert ChatMessage.objects.count() == 2


def test_single_delete_goes_through_the_service(staff_client, monkeypatch):
    calls = []
    original = session_delete
    monkeypatch.setattr(admin_sessions, "session_delete", lambda **kw: calls.append(kw) or original(**kw))
    session = make_sessions(1)[0]
    url = reverse("admin:sessions_app_chatsession_delete", args=[session.pk])
    assert "Messages: 2" in staff_client.get(url).content.decode()
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    assert [c["session_id"] for c in calls] == [session.pk] and calls[0]["actor"].username == "stella"
    assert not ChatSession.objects.exists() and not ChatMessage.objects.exists()


def test_no_add_conversation_in_admin(staff_client):
    assert staff_client.get(reverse("admin:sessions_app_chatsession_add")).status_code == 403


def test_messages_changelist_is_read_only_filtered_and_bounded(staff_client):
    sessions = make_sessions(12, messages=4)
    few, sqls = query_count(staff_client, MESSAGES)
    counts = [s for s in sqls if "COUNT(" in s.upper()]
    assert all("LIMIT" in s.upper() for s in counts)
    make_sessions(20, messages=4)
    assert query_count(staff_client, MESSAGES)[0] == few  # sessions joined, not fetched per row
    target = sessions[0]
    response = staff_client.get(MESSAGES, {"session__id__exact": str(target.pk)})
    assert response.content.count(b'class="field-seq"') == 4
    assert staff_client.get(MESSAGES, {"type": "ai"}).status_code == 200
    by_id = staff_client.get(MESSAGES, {"q": str(target.pk)})
    assert by_id.content.count(b'class="field-seq"') == 4
    within = staff_client.get(MESSAGES, {"session__id__exact": str(target.pk), "q": "answer"})
    assert within.content.count(b'class="field-seq"') == 2
    everywhere = staff_client.get(MESSAGES, {"q": "answer"})  # full text across every conversation
    assert everywhere.content.count(b'class="field-seq"') == 32 * 2
    assert staff_client.get(MESSAGES, {"q": "answer -question"}).content.count(b'class="field-seq"') == 64
    assert staff_client.get(MESSAGES, {"q": "nonsenseword"}).content.count(b'class="field-seq"') == 0
    message = ChatMessage.objects.filter(session=target).first()
    view = staff_client.get(reverse("admin:sessions_app_chatmessage_change", args=[message.pk]))
    assert view.status_code == 200 and b'name="_save"' not in view.content  # view only
    assert staff_client.get(reverse("admin:sessions_app_chatmessage_add")).status_code == 403
    assert staff_client.get(reverse("admin:sessions_app_chatmessage_delete", args=[message.pk])).status_code == 403
    assert b"deletelink" not in view.content
    assert staff_client.post(reverse("admin:sessions_app_chatmessage_change", args=[message.pk]), {}).status_code == 403


def test_admin_is_staff_only(client, owner):
    client.force_login(owner)
    assert client.get(CHANGELIST).status_code == 302  # to the admin login
