"""The "API tokens" page and the token admin: shown once, listed by prefix, revocable, owner-only."""
from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from sessions_app.accounts.tokens import api_token_create
from sessions_app.models import ApiToken

from .api_fixtures import ApiClient

pytestmark = pytest.mark.django_db

PLAINTEXT_RE = re.compile(r"cm_[A-Za-z0-9-]{8}_[A-Za-z0-9_-]{20,}")


def test_login_required(client):
    response = client.get(reverse("api_token_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_create_shows_the_plaintext_once_and_it_works(owner_client, owner, chat_session):
    response = owner_client.post(reverse("api_token_list"), {"name": "my script", "tenant": ""})
    assert response.status_code == 302 and response["Location"] == reverse("api_token_list")  # Post/Redirect/Get
    shown_page = owner_client.get(response["Location"])
    assert "no-store" in shown_page["Cache-Control"]
    shown = set(PLAINTEXT_RE.findall(shown_page.content.decode()))
    assert len(shown) == 1
    plaintext = shown.pop()
    token = ApiToken.objects.get(user=owner)
    assert token.name == "my script" and token.secret_hash != plaintext
    assert f'data-copy="{plaintext}"' in shown_page.content.decode()  # the Copy button
    assert ApiClient(plaintext).get(f"/api/sessions/{chat_session.pk}").status_code == 200
    again = owner_client.get(reverse("api_token_list")).content.decode()  # a reload
    assert not PLAINTEXT_RE.search(again)  # listed by prefix only from now on
    assert token.display_prefix in again
    assert ApiToken.objects.filter(user=owner).count() == 1  # the reload created nothing
    assert "chatmemory_new_token" not in owner_client.session


def test_the_new_token_is_not_shown_after_two_minutes(owner_client, owner, monkeypatch):
    import time

    owner_client.post(reverse("api_token_list"), {"name": "late"})
    later = time.time() + 121
    monkeypatch.setattr(time, "time", lambda: later)
    assert not PLAINTEXT_RE.search(owner_client.get(reverse("api_token_list")).content.decode())


def test_invalid_form_creates_nothing(owner_client):
    response = owner_client.post(reverse("api_token_list"), {"name": ""})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoke_own_token(owner_client, owner, chat_session):
    token, plaintext = api_token_create(user=owner, name="bot")
    response = owner_client.post(reverse("api_token_revoke", kwargs={"token_id": token.pk}))
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).is_revoked
    assert ApiClient(plaintext).get(f"/api/sessions/{chat_session.pk}").status_code == 401
    page = owner_client.get(reverse("api_token_list")).content.decode()
    assert "<td>bot</td>" not in page and token.display_prefix not in page  # no longer listed


def test_cannot_see_or_revoke_another_users_token(other_client, owner):
    token, _ = api_token_create(user=owner, name="olivia-secret-bot")
    assert "olivia-secret-bot" not in other_client.get(reverse("api_token_list")).content.decode()
    response = other_client.post(reverse("api_token_revoke", kwargs={"token_id": token.pk}))
    assert response.status_code == 404
    assert not ApiToken.objects.get(pk=token.pk).is_revoked


def test_revoke_needs_post_and_csrf(owner):
    token, _ = api_token_create(user=owner, name="bot")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.get(reverse("api_token_revoke", kwargs={"token_id": token.pk})).status_code == 405
    assert browser.post(reverse("api_token_revoke", kwargs={"token_id": token.pk})).status_code == 403
    assert browser.post(reverse("api_token_list"), {"name": "forged"}).status_code == 403
    assert not ApiToken.objects.get(pk=token.pk).is_revoked
    assert ApiToken.objects.count() == 1


class TestAdmin:
    def test_changelist_shows_prefix_never_hash(self, admin_client, owner):
        token, plaintext = api_token_create(user=owner, name="listed bot")
        html = admin_client.get(reverse("admin:sessions_app_apitoken_changelist")).content.decode()
        assert "listed bot" in html and token.prefix in html
        assert token.secret_hash not in html and plaintext not in html
        change = admin_client.get(reverse("admin:sessions_app_apitoken_change", args=[token.pk])).content.decode()
        assert token.secret_hash not in change

    def test_no_add_in_admin(self, admin_client):
        assert admin_client.get(reverse("admin:sessions_app_apitoken_add")).status_code == 403

    def test_revoke_action(self, admin_client, owner):
        a, _ = api_token_create(user=owner, name="a")
        b, _ = api_token_create(user=owner, name="b")
        response = admin_client.post(
            reverse("admin:sessions_app_apitoken_changelist"),
            {"action": "revoke_tokens", "_selected_action": [a.pk, b.pk]},
            follow=True,
        )
        assert "Revoked 2 token(s)." in response.content.decode()
        assert all(t.is_revoked for t in ApiToken.objects.all())
