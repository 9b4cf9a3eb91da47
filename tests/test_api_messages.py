"""``/api/sessions/{id}/messages``: seq cursors both ways, and clear."""
from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_archive

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten_messages(chat_session):
    messages_append(
        session_id=chat_session.pk,
        messages=[HumanMessage(content=f"m{i}") if i % 2 == 0 else AIMessage(content=f"m{i}") for i in range(1, 11)],
    )
    return chat_session


def _url(session) -> str:
    return f"/api/sessions/{session.pk}/messages"


def test_default_is_oldest_first_with_langchain_records(owner_api, ten_messages):
    body = owner_api.get(_url(ten_messages)).json()
    assert [m["seq"] for m in body["items"]] == list(range(1, 11))
    first = body["items"][0]
    assert first["type"] == "ai" and first["content"] == "m1"
    assert first["message"]["type"] == "ai" and first["message"]["data"]["content"] == "m1"
    assert body["next_cursor"] is None


def test_newest_first_pages_backwards_with_before(owner_api, ten_messages):
    page = owner_api.get(_url(ten_messages), {"order": "desc", "limit": 4}).json()
    assert [m["seq"] for m in page["items"]] == [10, 9, 8, 7] and page["next_cursor"] == 7
    page = owner_api.get(_url(ten_messages), {"order": "desc", "limit": 4, "before": 7}).json()
    assert [m["seq"] for m in page["items"]] == [6, 5, 4, 3] and page["next_cursor"] == 3
    page = owner_api.get(_url(ten_messages), {"order": "desc", "limit": 4, "before": 3}).json()
    assert [m["seq"] for m in page["items"]] == [2, 1] and page["next_cursor"] is None


def test_oldest_first_pages_forward_with_after(owner_api, ten_messages):
    page = owner_api.get(_url(ten_messages), {"limit": 6, "after": 2}).json()
    assert [m["seq"] for m in page["items"]] == [3, 4, 5, 6, 7, 8] and page["next_cursor"] == 8
    page = owner_api.get(_url(ten_messages), {"limit": 6, "after": 8}).json()
    assert [m["seq"] for m in page["items"]] == [9, 10] and page["next_cursor"] is None


def test_before_and_after_select_a_window(owner_api, ten_messages):
    page = owner_api.get(_url(ten_messages), {"after": 3, "before": 7}).json()
    assert [m["seq"] for m in page["items"]] == [4, 5, 6]
    assert owner_api.get(_url(ten_messages), {"after": 7, "before": 3}).status_code == 400


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"before": -1}, {"after": "x"},
                                    {"order": "sideways"}, {"before": 2**63}, {"after": "1; DROP TABLE x"}])
def test_bad_message_parameters_are_422(owner_api, ten_messages, params):
    response = owner_api.get(_url(ten_messages), params)
    assert response.status_code == 422
    assert response.json()["error"] == "validation"


def test_clear_deletes_messages_keeps_session_and_seq(owner_api, ten_messages):
    response = owner_api.delete(_url(ten_messages))
    assert response.status_code == 200 and response.json() == {"deleted": 10}
    assert owner_api.get(_url(ten_messages)).json()["items"] == []
    body = owner_api.post(f"/api/sessions/{ten_messages.pk}/chat", {"message": "again"}).json()
    assert body["seqs"] == [11, 12]


def test_clear_on_archived_session_is_409_and_keeps_messages(owner_api, ten_messages):
    session_archive(session=ten_messages)
    response = owner_api.delete(_url(ten_messages))
    assert response.status_code == 409
    assert len(owner_api.get(_url(ten_messages)).json()["items"]) == 10
