"""Find, organize, share — every page flow in headless Chromium (Playwright, Debian's chromium).

Search from the sidebar, the conversation menu (pin, folder, archive, export, share), the shared
page opened by someone without an account, the list of one's links, and the folders page.
"""
from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_create
from sessions_app.models import AuditLogEntry, ChatSession, Folder, ShareLink

from .browser_fixtures import needs_chromium, new_page, sign_in
from .factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]


def conversation(owner, title, *texts):
    session = session_create(owner=owner, title=title)
    messages_append(session_id=session.pk, messages=[
        HumanMessage(t) if i % 2 == 0 else AIMessage(t) for i, t in enumerate(texts)])
    return session


def open_menu(page):
    if page.locator("details.menu[data-menu=conversation][open]").count() == 0:
        page.locator("summary[aria-label='Conversation actions']").click()


def test_search_box_finds_only_mine_and_opens_the_message(page, live_server):
    owner = UserFactory(username="ada")
    mallory = UserFactory(username="mallory")
    filler = [f"filler message {i}" for i in range(60)]
    target = conversation(owner, "Trip notes", *filler, "The night train to Lisbon leaves at 22:15", "ok", *filler)
    conversation(owner, "Other", "nothing about it")
    conversation(mallory, "Mallory's trip", "my own night train to Lisbon")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/")
    box = page.get_by_placeholder("Search conversations")
    box.fill("night train")
    box.press("Enter")
    page.wait_for_url("**/search/?q=night+train")
    results = page.locator("[data-role=search-results] li")
    assert results.count() == 1  # Mallory's conversation is never searched
    assert results.first.locator(".search-result-title").inner_text() == "Trip notes"
    assert results.first.locator("mark").all_inner_texts() == ["night", "train"]
    results.first.locator(".search-result-title").click()
    page.wait_for_url(f"**/c/{target.pk}/?before=*#m-61")
    assert page.locator("#m-61").is_visible()
    assert "Lisbon leaves at 22:15" in page.locator("#m-61").inner_text()


def test_search_page_filters_archived_and_says_when_nothing_matched(page, live_server):
    owner = UserFactory(username="ada")
    conversation(owner, "Kept", "quarterly report")
    old = conversation(owner, "Old", "quarterly report, archived")
    ChatSession.objects.filter(pk=old.pk).update(status="archived")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/search/?q=quarterly")
    assert page.locator("[data-role=search-results] li").count() == 2
    page.locator("select[name=status]").select_option("archived")
    page.get_by_role("button", name="Search").click()
    assert page.locator(".search-result-title").all_inner_texts() == ["Old"]
    page.goto(f"{live_server.url}/search/?q=nonexistentword")
    assert page.locator("[data-role=search-empty]").is_visible()
    page.goto(f"{live_server.url}/search/?q=repo")  # a word part: the substring search runs by itself
    assert page.locator("[data-role=search-mode]").inner_text().startswith("No whole-word matches")
    assert page.locator("[data-role=search-results] mark").first.inner_text().lower() == "repo"


def test_pin_and_move_to_a_new_folder_from_the_menu(page, live_server):
    owner = UserFactory(username="ada")
    session = conversation(owner, "Budget", "numbers")
    conversation(owner, "Other", "text")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{session.pk}/")
    open_menu(page)
    page.locator("[data-action=pin]").click()
    page.wait_for_load_state()
    assert "Pinned “Budget”" in page.locator(".flash-stack").inner_text()
    assert page.locator("[data-role=pinned-list] [data-role=title]").all_inner_texts() == ["Budget"]
    open_menu(page)
    form = page.locator("[data-role=move-form]")
    form.locator("select").select_option("new")
    form.locator("input[name=name]").fill("Finance")
    form.get_by_role("button", name="Move").click()
    page.wait_for_load_state()
    assert "Moved to “Finance”" in page.locator(".flash-stack").inner_text()
    folder = Folder.objects.get(owner=owner, name="Finance")
    assert ChatSession.objects.get(pk=session.pk).folder_id == folder.pk
    page.goto(f"{live_server.url}/conversations/")
    page.locator("[data-role=conv-filters]").get_by_role("link", name="Finance").click()
    assert page.locator(".conv-card-title").all_inner_texts() == ["Budget"]
    page.locator("[data-role=conv-filters]").get_by_role("link", name="Pinned").click()
    assert page.locator(".conv-card-title").all_inner_texts() == ["Budget"]
    open_and_unpin = f"{live_server.url}/c/{session.pk}/"
    page.goto(open_and_unpin)
    open_menu(page)
    assert page.locator("[data-action=pin]").inner_text() == "Unpin"
    page.locator("[data-action=pin]").click()
    page.wait_for_load_state()
    assert page.locator("[data-role=pinned-list]").count() == 0


def test_archive_and_unarchive_from_the_menu(page, live_server):
    owner = UserFactory(username="ada")
    session = conversation(owner, "Done deal", "hello")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{session.pk}/")
    open_menu(page)
    page.locator("[data-action=archive]").click()
    page.wait_for_load_state()
    assert "archived" in page.locator(".composer-note").inner_text()
    assert ChatSession.objects.get(pk=session.pk).status == "archived"
    open_menu(page)
    page.locator("[data-action=unarchive]").click()
    page.wait_for_load_state()
    assert page.get_by_label("Your message").is_visible()
    assert list(AuditLogEntry.objects.filter(session_id=session.pk).values_list("action", flat=True)
                .order_by("id")) == ["archive", "unarchive"]


def test_export_one_conversation_as_markdown_and_json(page, live_server, tmp_path):
    owner = UserFactory(username="ada")
    session = conversation(owner, "Recipe", "How long do I knead?", "About **10 minutes**.")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{session.pk}/")
    open_menu(page)
    with page.expect_download() as markdown:
        page.locator("[data-action=export-markdown]").click()
    text = (markdown.value.path()).read_text()
    assert markdown.value.suggested_filename == f"chatmemory-session-{session.pk}.md"
    assert text.startswith("# Recipe") and "About **10 minutes**." in text
    open_menu(page)
    with page.expect_download() as document:
        page.locator("[data-action=export-json]").click()
    body = json.loads(document.value.path().read_text())
    assert body["format"] == "chatmemory.session" and len(body["messages"]) == 2


def test_share_copy_open_without_login_then_stop(browser, live_server):
    owner = UserFactory(username="ada")
    session = conversation(owner, "Shared recipe", "Bread?", "Flour, water, **salt**, time.")
    page = new_page(browser, permissions=["clipboard-read", "clipboard-write"])
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/c/{session.pk}/")
    open_menu(page)
    page.locator("[data-action=share]").click()
    page.locator("[data-role=share-form] select").select_option("7")
    page.locator("[data-role=create-share]").click()
    url = page.locator("[data-role=share-url]").input_value()
    link = ShareLink.objects.get(session=session)
    assert url == f"{live_server.url}/s/{link.token}/" and link.expires_at is not None
    page.locator("[data-role=copy-share]").click()
    page.wait_for_function("() => document.querySelector('[data-role=copy-share]').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == url
    messages_append(session_id=session.pk, messages=[HumanMessage("a private follow-up")])
    stranger = new_page(browser)  # no account, no cookie
    stranger.goto(url)
    assert stranger.locator("[data-testid=shared-title]").inner_text() == "Shared recipe"
    assert stranger.locator("li.msg-ai strong").inner_text() == "salt"  # Markdown rendered
    assert "private follow-up" not in stranger.content()  # only what was there when shared
    assert stranger.locator("form").count() == 0 and stranger.locator("#sidebar").count() == 0
    page.locator("[data-role=stop-sharing]").click()
    page.wait_for_load_state()
    assert page.locator("[data-role=share-form]").is_visible()
    response = stranger.goto(url)
    assert response.status == 410 and "no longer shared" in stranger.locator("h1").inner_text()
    stranger.context.close()
    page.context.close()


def test_my_links_page_lists_links_and_stops_one(page, live_server):
    from sessions_app.sharing.services import share_link_create

    owner = UserFactory(username="ada")
    first = share_link_create(session=conversation(owner, "First", "a"), actor=owner)[0]
    share_link_create(session=conversation(owner, "Second", "b"), actor=owner)
    share_link_create(session=conversation(UserFactory(username="mallory"), "Not mine", "c"), actor="x")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/settings/shares/")
    rows = page.locator("[data-role=share-table] tbody tr")
    assert rows.count() == 2 and "Not mine" not in page.content()
    row = page.locator(f"tr[data-link='{first.pk}']")
    row.get_by_role("button", name="Stop sharing").click()
    page.wait_for_load_state()
    assert page.locator(f"tr[data-link='{first.pk}'] .badge").text_content() == "revoked"
    assert ShareLink.objects.get(pk=first.pk).revoked_at is not None


def test_folders_page_create_rename_delete(page, live_server):
    owner = UserFactory(username="ada")
    session = conversation(owner, "In a folder", "x")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/folders/")
    page.locator("[data-role=folder-create] input[name=name]").fill("Work")
    page.locator("[data-role=folder-create] button").click()
    page.locator("[data-role=folder-create] input[name=name]").fill("work")
    page.locator("[data-role=folder-create] button").click()
    assert "already" in page.locator(".flash-stack").inner_text()  # names are unique, ignoring case
    folder = Folder.objects.get(owner=owner)
    ChatSession.objects.filter(pk=session.pk).update(folder=folder)
    page.reload()
    row = page.locator(f"li[data-folder='{folder.pk}']")
    row.locator("input[name=name]").fill("Job")
    row.get_by_role("button", name="Rename").click()
    assert page.locator(".folder-name").all_inner_texts() == ["Job"]
    page.locator(f"li[data-folder='{folder.pk}']").get_by_role("button", name="Delete folder").click()
    assert "conversation(s) are kept" in page.locator(".flash-stack").inner_text()
    assert ChatSession.objects.filter(pk=session.pk, folder__isnull=True).exists()


def test_search_and_shared_page_on_a_phone(phone, browser, live_server):
    from sessions_app.sharing.services import share_link_create

    owner = UserFactory(username="ada")
    session = conversation(owner, "Phone chat", "where is the pharmacy", "Around the corner.")
    sign_in(phone, live_server.url, owner)
    phone.goto(f"{live_server.url}/")
    phone.locator("[data-drawer-open], .drawer-toggle").first.click()
    box = phone.get_by_placeholder("Search conversations")
    box.fill("pharmacy")
    box.press("Enter")
    assert phone.locator(".search-result-title").all_inner_texts() == ["Phone chat"]
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    link = share_link_create(session=session, actor=owner)[0]
    phone.goto(f"{live_server.url}/s/{link.token}/")
    assert phone.locator("li.msg").count() == 2
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
