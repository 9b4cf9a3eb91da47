"""Your data, API tokens and the API docs page in headless Chromium: export everything, import a
file with its progress, delete all conversations, delete the account; the token page's Copy and
Post/Redirect/Get; /api/docs offline (every outside request refused) and behind the login."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from langchain_core.messages import AIMessage, HumanMessage

from sessions_app.conversations.messages import messages_append
from sessions_app.conversations.sessions import session_create
from sessions_app.models import ApiToken, AuditLogEntry, ChatSession

from .browser_fixtures import needs_chromium, new_page, sign_in
from .conftest import PASSWORD
from .factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_chromium]
DATA = Path(__file__).parent / "data" / "import"


def conversation(owner, title, *texts):
    session = session_create(owner=owner, title=title)
    messages_append(session_id=session.pk, messages=[
        HumanMessage(t) if i % 2 == 0 else AIMessage(t) for i, t in enumerate(texts)])
    return session


def test_export_everything(page, live_server):
    owner = UserFactory(username="ada")
    for i in range(3):
        conversation(owner, f"c{i}", "hello", "hi")
    conversation(UserFactory(username="mallory"), "not mine", "x")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/settings/data/")
    with page.expect_download() as download:
        page.locator("[data-role=export-all]").click()
    documents = json.loads(download.value.path().read_text())
    assert sorted(d["session"]["title"] for d in documents) == ["c0", "c1", "c2"]
    assert download.value.suggested_filename.startswith("chatmemory-ada-")


def test_import_shows_progress_then_the_summary_and_is_idempotent(page, live_server):
    owner = UserFactory(username="ada")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/settings/data/")
    form = page.locator("[data-role=import-form]")
    form.locator("select[name=format]").select_option("sharegpt")
    form.locator("input[type=file]").set_input_files(str(DATA / "sharegpt_valid.json"))
    page.evaluate("""() => { window.seen = [];
        new MutationObserver(() => { const s = document.querySelector('[data-role=import-status]');
          if (s && s.textContent) { window.seen.push(s.textContent); } })
        .observe(document.querySelector('[data-role=import-form]'), {subtree: true, childList: true,
                                                                      characterData: true}); }""")
    form.locator("[data-role=import-submit]").click()
    result = form.locator("[data-role=import-result]")
    result.locator("p").wait_for()
    assert result.inner_text().startswith("Imported 3 conversation(s)")
    assert any(text.startswith("Importing") for text in page.evaluate("window.seen"))
    assert page.url == f"{live_server.url}/settings/data/"  # no navigation: the stream answered in place
    assert ChatSession.objects.filter(owner=owner).count() == 3
    form.locator("[data-role=import-submit]").click()
    page.wait_for_function("() => document.querySelector('[data-role=import-result]').textContent"
                           ".includes('Imported 0 conversation')")
    assert ChatSession.objects.filter(owner=owner).count() == 3


def test_an_invalid_file_lists_its_problems_and_imports_nothing(page, live_server):
    owner = UserFactory(username="ada")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/settings/data/")
    form = page.locator("[data-role=import-form]")
    form.locator("select[name=format]").select_option("sharegpt")
    form.locator("input[type=file]").set_input_files(str(DATA / "sharegpt_unknown_role.json"))
    form.locator("[data-role=import-submit]").click()
    result = form.locator("[data-role=import-result]")
    result.locator("li").first.wait_for()
    assert result.inner_text().startswith("Nothing was imported")
    assert 'conversation #2 (id "abc"), message 3' in result.locator("li").first.inner_text()
    assert not ChatSession.objects.exists()


def test_delete_all_my_conversations_needs_the_password_and_a_confirmation(page, live_server):
    owner = UserFactory(username="ada")
    for i in range(2):
        conversation(owner, f"mine {i}", "a", "b")
    kept = conversation(UserFactory(username="mallory"), "not mine", "x")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/settings/data/")
    form = page.locator("[data-role=erase-form]")
    form.locator("input[type=password]").fill("wrong password")
    page.once("dialog", lambda dialog: dialog.accept())
    form.locator("[data-role=erase-submit]").click()
    assert "That is not your password." in page.locator("[data-role=erase-form]").inner_text()
    assert ChatSession.objects.filter(owner=owner).count() == 2
    form = page.locator("[data-role=erase-form]")
    form.locator("input[type=password]").fill(PASSWORD)
    page.once("dialog", lambda dialog: dialog.dismiss())  # "Cancel": nothing happens
    form.locator("[data-role=erase-submit]").click()
    assert ChatSession.objects.filter(owner=owner).count() == 2
    page.once("dialog", lambda dialog: dialog.accept())
    form.locator("[data-role=erase-submit]").click()
    page.wait_for_load_state()
    assert "Deleted all your conversations: 2 conversation(s)" in page.locator(".flash-stack").inner_text()
    assert not ChatSession.objects.filter(owner=owner).exists() and ChatSession.objects.filter(pk=kept.pk).exists()
    assert page.locator("#conversation-list li").count() == 0
    entry = AuditLogEntry.objects.get(action="erase")
    assert entry.details["scope"] == "conversations" and entry.sessions == 2


def test_delete_my_account(page, browser, live_server):
    owner = UserFactory(username="ada")
    conversation(owner, "mine", "a", "b")
    other_browser = new_page(browser)
    sign_in(other_browser, live_server.url, owner)
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/settings/data/")
    form = page.locator("[data-role=account-form]")
    form.locator("input[type=password]").fill(PASSWORD)
    page.once("dialog", lambda dialog: dialog.accept())
    form.locator("[data-role=account-submit]").click()
    page.locator("[data-role=account-deleted]").wait_for()
    assert not get_user_model().objects.filter(username="ada").exists()
    assert not ChatSession.objects.exists()
    assert AuditLogEntry.objects.get(action="erase").target_user_id == owner.pk
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url  # logged out here …
    other_browser.goto(f"{live_server.url}/")
    assert "/accounts/login/" in other_browser.url  # … and everywhere else
    other_browser.context.close()


def test_token_page_copy_and_a_reload_creates_nothing(browser, live_server):
    owner = UserFactory(username="ada")
    page = new_page(browser, permissions=["clipboard-read", "clipboard-write"])
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/settings/tokens/")
    page.get_by_label("Name").fill("my script")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_url(f"{live_server.url}/settings/tokens/")  # redirected after the POST
    plaintext = page.locator("[data-testid=token-plaintext]").input_value()
    assert plaintext.startswith("cm_")
    page.locator("[data-role=copy-token]").click()
    page.wait_for_function("() => document.querySelector('[data-role=copy-token]').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == plaintext
    page.reload()
    assert page.locator("[data-testid=token-created]").count() == 0
    assert ApiToken.objects.filter(user=owner).count() == 1
    page.context.close()


def test_api_docs_work_offline_and_need_a_login(page, live_server):
    owner = UserFactory(username="ada")
    outside: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(f"{live_server.url}/api/docs")
    assert "/accounts/login/" in page.url and "next=/api/docs" in page.url
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/api/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui .opblock").count() > 30
    assert "search" in page.locator(".swagger-ui").inner_text()
    assert outside == []
    assert owner.pk
