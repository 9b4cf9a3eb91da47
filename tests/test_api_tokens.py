"""Personal API tokens: shown once, stored hashed, revocable, and what authenticates with them."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.accounts.tokens import api_token_authenticate, api_token_create, api_token_revoke
from sessions_app.exceptions import InvalidInput
from sessions_app.models import ApiToken

from .api_fixtures import ApiClient

pytestmark = pytest.mark.django_db


def test_create_returns_plaintext_once_and_stores_only_its_hash(owner):
    token, plaintext = api_token_create(user=owner, name="  bot  ")
    stored = ApiToken.objects.get(pk=token.pk)
    assert plaintext.startswith(f"cm_{stored.prefix}_")
    assert len(plaintext) > 50
    assert stored.name == "bot"
    assert stored.secret_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in str([getattr(stored, f.attname) for f in ApiToken._meta.concrete_fields])


def test_two_tokens_differ(owner):
    (a, pa), (b, pb) = api_token_create(user=owner, name="a"), api_token_create(user=owner, name="b")
    assert pa != pb and a.prefix != b.prefix


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "bad\x00name"])
def test_create_rejects_bad_names(owner, name):
    with pytest.raises(InvalidInput):
        api_token_create(user=owner, name=name)
    assert not ApiToken.objects.exists()


def test_authenticate_accepts_the_plaintext_and_refreshes_last_used(owner):
    token, plaintext = api_token_create(user=owner, name="bot")
    found = api_token_authenticate(plaintext=plaintext)
    assert found is not None and found.pk == token.pk and found.user == owner
    first_use = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first_use is not None
    # Within the resolution window, authenticating does not write again.
    api_token_authenticate(plaintext=plaintext)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first_use
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=5))
    api_token_authenticate(plaintext=plaintext)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first_use


def test_authenticate_rejects_wrong_secret_same_prefix(owner):
    _token, plaintext = api_token_create(user=owner, name="bot")
    forged = plaintext[:-4] + ("AAAA" if not plaintext.endswith("AAAA") else "BBBB")
    assert api_token_authenticate(plaintext=forged) is None


@pytest.mark.parametrize(
    "plaintext", ["", "cm_", "cm_short_x", "Bearer", "garbage" * 10, "cm_\x00\x00\x00\x00\x00\x00\x00\x00_x"]
)
def test_authenticate_rejects_garbage(owner, plaintext):
    api_token_create(user=owner, name="bot")
    assert api_token_authenticate(plaintext=plaintext) is None


def test_revoked_token_stops_working_and_revocation_is_idempotent(owner):
    token, plaintext = api_token_create(user=owner, name="bot")
    api_token_revoke(token=token)
    first = ApiToken.objects.get(pk=token.pk).revoked_at
    assert first is not None
    api_token_revoke(token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at == first
    assert api_token_authenticate(plaintext=plaintext) is None
    response = ApiClient(plaintext).get("/api/sessions/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 401


def test_token_of_inactive_user_does_not_authenticate(owner):
    _token, plaintext = api_token_create(user=owner, name="bot")
    owner.is_active = False
    owner.save()
    assert api_token_authenticate(plaintext=plaintext) is None
