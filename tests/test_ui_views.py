"""Browser UI pages through the Django test client: happy paths, ownership, login, CSRF, escaping."""
from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_archive, session_create
from sessions_app.models import ChatMessage, ChatSession
from sessions_app.web.views.conversations import CONVERSATIONS_PER_PAGE, MESSAGES_PER_PAGE

from .conftest import PASSWORD
from .factories import ChatSessionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

XSS = "<img src=x onerror=window.__xss=1>"


def url(name: str, session: ChatSession | None = None) -> str:
    return reverse(name, kwargs={"session_id": session.pk}) if session else reverse(name)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- accounts -------------------------------------------------------------------------------------


def test_signup_creates_the_account_logs_in_and_lands_on_a_new_chat(client):
    response = client.post(
        url("signup"), {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == url("chat_home")
    assert response.context["user"].username == "newbie"
    assert b"No conversations yet" in response.content


def test_signup_with_mismatched_passwords_is_a_400_with_the_error_shown(client):
    response = client.post(url("signup"), {"username": "newbie", "password1": PASSWORD, "password2": "nope"})
    assert response.status_code == 400
    assert b"didn\xe2\x80\x99t match" in response.content or b"didn't match" in response.content


def test_login_then_logout_by_post(client, owner):
    response = client.post(url("login"), {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == url("chat_home")
    assert client.get(url("logout")).status_code == 405  # Django 5: logout is POST only
    response = client.post(url("logout"))
    assert response.status_code == 302 and response["Location"] == url("login")
    assert client.get(url("conversation_list")).status_code == 302


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("chat_home", "get"),
        ("conversation_list", "get"),
        ("conversation_start", "post"),
        ("conversation_detail", "get"),
        ("conversation_updates", "get"),
        ("conversation_stop", "post"),
        ("conversation_rename", "post"),
        ("conversation_delete", "get"),
        ("conversation_delete", "post"),
        ("conversation_stream", "post"),
    ],
)
def test_every_page_requires_login(client, chat_session, name, method):
    target = url(name, chat_session if "session_id" in reverse_args(name) else None)
    response = getattr(client, method)(target)
    assert response.status_code == 302
    assert response["Location"].startswith(url("login") + "?next=")
    assert ChatSession.objects.filter(pk=chat_session.pk, title="Owner's conversation").exists()


def reverse_args(name: str) -> list[str]:
    return [] if name in {"chat_home", "conversation_list", "conversation_start"} else ["session_id"]


def test_login_and_signup_pages_are_public(client):
    assert client.get(url("login")).status_code == 200
    assert client.get(url("signup")).status_code == 200


# --- list / new -----------------------------------------------------------------------------------


def test_list_shows_only_my_conversations_newest_first(owner, other_user):
    session_create(owner=owner, title="older")
    newer = session_create(owner=owner, title="newer")
    messages_append(session_id=newer.pk, messages=[HumanMessage(content="hi")])
    session_create(owner=other_user, title="mallory's secret")
    response = client_for(owner).get(url("conversation_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "mallory&#x27;s secret" not in html and "mallory's secret" not in html
    assert html.index(">newer<") < html.index(">older<")  # titles, not "F-older-s" in the sidebar


def test_list_is_paginated(owner):
    for i in range(CONVERSATIONS_PER_PAGE + 3):
        session_create(owner=owner, title=f"conv {i:02d}")
    c = client_for(owner)
    first = c.get(url("conversation_list"))
    second = c.get(url("conversation_list"), {"page": 2})
    assert len(first.context["page"].object_list) == CONVERSATIONS_PER_PAGE
    assert len(second.context["page"].object_list) == 3
    assert b"Page 2 of 2" in second.content
    assert b'rel="next"' in first.content


def test_home_is_a_new_chat_that_creates_nothing_until_a_message_is_sent(owner):
    response = client_for(owner).get(url("chat_home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="message"' in html and "Write a message to start a conversation" in html
    assert f'action="{url("conversation_start")}"' in html
    assert "Create" not in html  # no create step
    assert not ChatSession.objects.exists()


# --- detail ---------------------------------------------------------------------------------------


def test_detail_shows_the_history_in_order_and_the_message_box(owner_client, chat_session):
    messages_append(
        session_id=chat_session.pk,
        messages=[HumanMessage(content="first question"), AIMessage(content="first answer")],
    )
    response = owner_client.get(url("conversation_detail", chat_session))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("first question") < html.index("first answer")
    assert 'name="message"' in html and "Your message" in html
    assert response.context["earlier_cursor"] is None


def test_long_history_shows_the_latest_page_and_loads_earlier_by_seq_cursor(owner_client, chat_session):
    total = MESSAGES_PER_PAGE * 2 + 5
    messages_append(
        session_id=chat_session.pk, messages=[HumanMessage(content=f"message number {i}") for i in range(1, total + 1)]
    )
    latest = owner_client.get(url("conversation_detail", chat_session))
    seqs = [m.seq for m in latest.context["chat_messages"]]
    assert seqs == list(range(total - MESSAGES_PER_PAGE + 1, total + 1))
    cursor = latest.context["earlier_cursor"]
    assert cursor == seqs[0] and f"?before={cursor}".encode() in latest.content

    earlier = owner_client.get(url("conversation_detail", chat_session), {"before": cursor})
    assert [m.seq for m in earlier.context["chat_messages"]] == list(range(6, MESSAGES_PER_PAGE + 6))
    assert b"Back to the latest messages" in earlier.content
    oldest = owner_client.get(url("conversation_detail", chat_session), {"before": earlier.context["earlier_cursor"]})
    assert [m.seq for m in oldest.context["chat_messages"]] == [1, 2, 3, 4, 5]
    assert oldest.context["earlier_cursor"] is None


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "1.5"])
def test_bad_cursor_is_a_400_page_not_a_500(owner_client, chat_session, bad):
    response = owner_client.get(url("conversation_detail", chat_session), {"before": bad})
    assert response.status_code == 400
    assert b"message number" in response.content


def test_archived_conversation_is_read_only_in_the_page(owner_client, chat_session):
    messages_append(session_id=chat_session.pk, messages=[HumanMessage(content="kept")])
    session_archive(session=chat_session)
    response = owner_client.get(url("conversation_detail", chat_session))
    assert b"Archived" in response.content and b"kept" in response.content
    assert b'name="message"' not in response.content
    assert b"Rename" not in response.content


def test_unknown_session_is_the_product_404(owner_client):
    response = owner_client.get(reverse("conversation_detail", kwargs={"session_id": uuid.uuid4()}))
    assert response.status_code == 404
    assert b"Conversation not found" in response.content
    assert b"Back to your conversations" in response.content


# --- rename / delete ------------------------------------------------------------------------------


def test_rename(owner_client, chat_session):
    response = owner_client.post(url("conversation_rename", chat_session), {"title": "Renamed"}, follow=True)
    chat_session.refresh_from_db()
    assert chat_session.title == "Renamed"
    assert b"Conversation renamed." in response.content


def test_rename_to_blank_redirects_back_with_the_error_never_staying_on_the_post_url(owner_client, chat_session):
    response = owner_client.post(url("conversation_rename", chat_session), {"title": "   "})
    assert response.status_code == 302 and response["Location"] == url("conversation_detail", chat_session)
    page = owner_client.get(response["Location"])
    assert b"The conversation was not renamed: This field is required." in page.content
    chat_session.refresh_from_db()
    assert chat_session.title == "Owner's conversation"
    # Reloading the rename address (what a browser left there would do) is a redirect, not a 405.
    again = owner_client.get(url("conversation_rename", chat_session))
    assert again.status_code == 302 and again["Location"] == url("conversation_detail", chat_session)


def test_rename_from_the_page_script_answers_json(owner_client, chat_session):
    rename = url("conversation_rename", chat_session)
    ok = owner_client.post(rename, {"title": "Via fetch"}, HTTP_ACCEPT="application/json")
    assert ok.status_code == 200 and ok.json()["title"] == "Via fetch" and ok.json()["display_title"] == "Via fetch"
    bad = owner_client.post(rename, {"title": "x" * 201}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid" and "200 characters" in bad.json()["detail"]
    chat_session.refresh_from_db()
    assert chat_session.title == "Via fetch"


def test_rename_of_an_archived_conversation_is_409(owner_client, chat_session):
    session_archive(session=chat_session)
    response = owner_client.post(url("conversation_rename", chat_session), {"title": "nope"})
    assert response.status_code == 409
    chat_session.refresh_from_db()
    assert chat_session.title == "Owner's conversation"


def test_delete_asks_for_confirmation_then_deletes(owner_client, chat_session):
    messages_append(session_id=chat_session.pk, messages=[HumanMessage(content="bye")])
    confirm = owner_client.get(url("conversation_delete", chat_session))
    assert confirm.status_code == 200 and b"cannot be undone" in confirm.content
    assert ChatSession.objects.filter(pk=chat_session.pk).exists()
    response = owner_client.post(url("conversation_delete", chat_session), follow=True)
    assert response.redirect_chain[-1][0] == url("chat_home")
    assert "Deleted “Owner&#x27;s conversation”." in response.content.decode()
    assert not ChatSession.objects.filter(pk=chat_session.pk).exists()
    assert not ChatMessage.objects.filter(session_id=chat_session.pk).exists()


# --- ownership: another user's id is a 404 on every page and POST ---------------------------------


@pytest.mark.parametrize(
    ("name", "method", "data"),
    [
        ("conversation_detail", "get", {}),
        ("conversation_rename", "post", {"title": "pwned"}),
        ("conversation_delete", "get", {}),
        ("conversation_delete", "post", {}),
        ("conversation_stream", "post", {"message": "hello?"}),
        ("conversation_updates", "get", {"after": "0"}),
        ("conversation_stop", "post", {"turn": "x"}),
    ],
)
def test_another_users_conversation_is_404_everywhere(other_user, chat_session, name, method, data):
    response = getattr(client_for(other_user), method)(url(name, chat_session), data)
    assert response.status_code == 404
    chat_session.refresh_from_db()
    assert chat_session.title == "Owner's conversation"
    assert chat_session.message_count == 0


def test_another_users_conversation_is_not_in_my_sidebar_or_list(other_user, chat_session):
    ChatSessionFactory(owner=other_user, title="mine")
    html = client_for(other_user).get(url("conversation_list")).content.decode()
    assert "Owner&#x27;s conversation" not in html and str(chat_session.pk) not in html


# --- CSRF on the browser forms --------------------------------------------------------------------


def csrf_client(user=None) -> Client:
    c = Client(enforce_csrf_checks=True)
    if user is not None:
        c.force_login(user)
    return c


def csrf_token_of(c: Client, page: str) -> str:
    html = c.get(page).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("conversation_rename", {"title": "csrf"}),
        ("conversation_delete", {}),
        ("conversation_stream", {"message": "csrf"}),
        ("conversation_stop", {"turn": "x"}),
    ],
)
def test_session_forms_reject_posts_without_csrf_token(owner, chat_session, name, data):
    response = csrf_client(owner).post(url(name, chat_session), data)
    assert response.status_code == 403
    chat_session.refresh_from_db()
    assert chat_session.title == "Owner's conversation" and chat_session.message_count == 0


def test_new_and_logout_reject_posts_without_csrf_token(owner):
    c = csrf_client(owner)
    assert c.post(url("conversation_start"), {"message": "x"}).status_code == 403
    assert c.post(url("logout")).status_code == 403
    assert not ChatSession.objects.exists()
    assert c.get(url("conversation_list")).status_code == 200  # still logged in


def test_login_and_signup_reject_posts_without_csrf_token(owner):
    c = csrf_client()
    assert c.post(url("login"), {"username": owner.username, "password": PASSWORD}).status_code == 403
    assert c.post(url("signup"), {"username": "x1", "password1": PASSWORD, "password2": PASSWORD}).status_code == 403


def test_forms_work_with_the_token_from_the_page(owner, chat_session):
    c = csrf_client(owner)
    token = csrf_token_of(c, url("conversation_detail", chat_session))
    response = c.post(url("conversation_rename", chat_session), {"title": "with token", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    response = c.post(
        url("conversation_stream", chat_session), {"message": "hi", "csrfmiddlewaretoken": token},
        HTTP_ACCEPT="text/event-stream",
    )
    assert response.status_code == 200
    assert b"event: done" in b"".join(response.streaming_content)


# --- escaping -------------------------------------------------------------------------------------


def test_xss_in_title_and_messages_is_escaped_everywhere(owner):
    session = session_create(owner=owner, title=XSS)
    messages_append(
        session_id=session.pk, messages=[HumanMessage(content=XSS), AIMessage(content=f"echo {XSS}")]
    )
    c = client_for(owner)
    pages = [
        c.get(url("conversation_list")),
        c.get(url("conversation_detail", session)),
        c.get(url("conversation_delete", session)),
    ]
    for response in pages:
        html = response.content.decode()
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=window.__xss=1&gt;" in html


def test_xss_in_a_username_is_escaped(client):
    user = UserFactory(username="<b>bold</b>")
    client.force_login(user)
    html = client.get(url("conversation_list")).content.decode()
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


@pytest.mark.parametrize("path", ["/no/such/page/", "/c/not-a-uuid/"])
def test_unknown_urls_get_the_product_404_page(owner_client, path, settings):
    settings.DEBUG = False
    response = owner_client.get(path)
    assert response.status_code == 404
    assert b"Page not found" in response.content and b"chatmemory" in response.content
