"""Edit and regenerate in headless Chromium: each makes a branch (a new conversation forked at that
message, ``conversations.branches``); the original is never changed; "‹ 1 / 2 ›" goes both ways."""
from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.history import DjangoChatMessageHistory
from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_create
from sessions_app.models import ChatSession

from .browser_fixtures import needs_chromium, sign_in
from .factories import UserFactory
from .live_server_utils import free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]

ORIGINAL = ["I like cats.", "Noted: cats.", "What do I like?", "You like cats."]


@pytest.fixture
def pets(page, live_server):
    owner = UserFactory(username="ada")
    session = session_create(owner=owner, title="Pets")
    messages_append(session_id=session.pk, messages=[
        HumanMessage(content=ORIGINAL[0]), AIMessage(content=ORIGINAL[1]),
        HumanMessage(content=ORIGINAL[2]), AIMessage(content=ORIGINAL[3]),
    ])
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{session.pk}/")
    return session


def bubbles(page) -> list[str]:
    return page.locator("li.msg .bubble").all_inner_texts()


def texts(session_id) -> list[str]:
    return [m.text for m in DjangoChatMessageHistory(session_id).messages]


def edit(page, seq: int, text: str) -> None:
    message = page.locator(f"li.msg-human[data-seq='{seq}']")
    message.hover()
    message.get_by_role("button", name="Edit message").click()
    page.get_by_label("Edit your message").fill(text)
    message.get_by_role("button", name="Send").click()


def test_editing_a_message_makes_a_branch_and_keeps_the_original(page, live_server, pets):
    edit(page, 3, "What animal do I like best?")
    page.locator('li.msg-ai[data-state="done"]').nth(1).wait_for()
    branch = ChatSession.objects.get(parent=pets)
    assert page.url == f"{live_server.url}/c/{branch.pk}/"
    shown = bubbles(page)
    assert shown[:3] == [*ORIGINAL[:2], "What animal do I like best?"] and "3 earlier messages" not in shown[3]
    assert "I can see 2 earlier messages" in shown[3]  # the branch's own history, not the original's
    assert "Branched from Pets at message 3." in page.locator("[data-role=branch-origin]").inner_text()
    nav = page.locator("li.msg-human[data-seq='3'] [data-role=branch-nav]")
    assert nav.locator("[data-role=version]").inner_text() == "2 / 2"
    first = page.locator("#conversation-list li.conv").first
    assert first.get_attribute("data-id") == str(branch.pk) and first.locator(".conv-branch").count() == 1
    # The server's history of each: exactly their own linear history.
    assert texts(branch.pk)[:3] == [*ORIGINAL[:2], "What animal do I like best?"] and len(texts(branch.pk)) == 4
    assert texts(pets.pk) == ORIGINAL

    page.reload()  # the same page from the server
    assert bubbles(page) == shown
    nav = page.locator("li.msg-human[data-seq='3'] [data-role=branch-nav]")
    nav.get_by_role("link", name="Previous version").click()
    page.wait_for_url(f"{live_server.url}/c/{pets.pk}/#m-3")
    assert bubbles(page) == ORIGINAL  # the original, untouched
    back = page.locator("li.msg-human[data-seq='3'] [data-role=branch-nav]")
    assert back.locator("[data-role=version]").inner_text() == "1 / 2"
    back.get_by_role("link", name="Next version").click()
    page.wait_for_url(f"{live_server.url}/c/{branch.pk}/#m-3")


def test_regenerating_an_answer_makes_a_sibling_version_of_it(page, live_server, pets):
    answer = page.locator("li.msg-ai[data-seq='4']")
    answer.hover()
    answer.get_by_role("button", name="Regenerate answer").click()
    page.locator('li.msg-ai[data-state="done"]').nth(1).wait_for()
    branch = ChatSession.objects.get(parent=pets)
    assert branch.branched_at_seq == 4
    page.wait_for_url(f"{live_server.url}/c/{branch.pk}/")
    shown = bubbles(page)
    assert shown[:3] == ORIGINAL[:3] and shown[3] != ORIGINAL[3]  # the same question, a new answer
    assert page.locator("li.msg-ai[data-seq='4'] [data-role=version]").inner_text() == "2 / 2"
    # Regenerate again from the branch: a third version of the same answer (a sibling).
    again = page.locator("li.msg-ai[data-seq='4']")
    again.hover()
    again.get_by_role("button", name="Regenerate answer").click()
    page.wait_for_function(f"() => !location.pathname.includes('{branch.pk}')")
    page.locator('li.msg-ai[data-state="done"]').nth(1).wait_for()
    third = ChatSession.objects.exclude(pk__in=[pets.pk, branch.pk]).get()
    assert third.parent_id == pets.pk and third.branched_at_seq == 4
    page.reload()
    assert page.locator("li.msg-ai[data-seq='4'] [data-role=version]").inner_text() == "3 / 3"
    assert texts(pets.pk) == ORIGINAL


def test_a_branch_whose_answer_fails_is_not_kept(page, live_server, pets, settings):
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens: the model is down
    settings.OPENAI_API_KEY = "test"
    edit(page, 3, "This will fail")
    error = page.locator("#chat-error")
    error.wait_for()
    assert "The model failed to answer" in error.inner_text()
    page.wait_for_url(f"{live_server.url}/c/{pets.pk}/")  # back on the original
    assert bubbles(page) == ORIGINAL  # its messages back in place
    assert not ChatSession.objects.filter(parent=pets).exists()
    assert page.locator("#conversation-list li.conv").count() == 1
