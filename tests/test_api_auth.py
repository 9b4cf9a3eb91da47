"""Who may call the API: token callers, logged-in browsers with CSRF, nobody else."""
from __future__ import annotations

import pytest
from django.test import Client

from sessions_app.accounts.tokens import api_token_create, api_token_revoke
from sessions_app.models import ChatSession

from .api_fixtures import ApiClient

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_with_error_body(anonymous_api, chat_session):
    response = anonymous_api.get(f"/api/sessions/{chat_session.pk}")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer nope", "Token abc", "Basic b2xpdmlhOnB3", "Bearer cm_aaaaaaaa_bbbb", "bearer  "],
)
def test_bad_authorization_headers_are_401(chat_session, header):
    response = Client().get(f"/api/sessions/{chat_session.pk}", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_bad_token_on_post_is_401_not_csrf_403(db):
    response = Client().post("/api/sessions", {}, content_type="application/json",
                             headers={"Authorization": "Bearer cm_xxxxxxxx_nope"})
    assert response.status_code == 401


def test_token_caller_reaches_own_session(owner_api, chat_session):
    response = owner_api.get(f"/api/sessions/{chat_session.pk}")
    assert response.status_code == 200
    assert response.json()["session_id"] == str(chat_session.pk)


def test_token_is_not_accepted_in_the_query_string(owner_token, chat_session):
    response = Client().get(f"/api/sessions/{chat_session.pk}", {"token": owner_token, "access_token": owner_token})
    assert response.status_code == 401


def test_browser_session_reads_without_csrf(owner_client, chat_session):
    response = owner_client.get(f"/api/sessions/{chat_session.pk}")
    assert response.status_code == 200


def test_browser_session_write_without_csrf_token_is_403(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    response = browser.post("/api/sessions", {"title": "forged"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"
    assert not ChatSession.objects.filter(title="forged").exists()


def test_browser_session_write_with_csrf_token_succeeds(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    browser.get("/admin/login/")  # any page that sets the csrftoken cookie
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        "/api/sessions", {"title": "mine"}, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201, response.content
    assert ChatSession.objects.get(title="mine").owner == owner


def test_token_caller_needs_no_csrf_even_with_csrf_enforced(owner, owner_token):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/sessions", {"title": "script"}, content_type="application/json",
                           headers={"Authorization": f"Bearer {owner_token}"})
    assert response.status_code == 201


def test_revoking_a_token_locks_its_caller_out_at_once(owner, chat_session):
    token, plaintext = api_token_create(user=owner, name="bot")
    api = ApiClient(plaintext)
    assert api.get(f"/api/sessions/{chat_session.pk}").status_code == 200
    api_token_revoke(token=token)
    assert api.get(f"/api/sessions/{chat_session.pk}").status_code == 401
