"""Fixtures for the JSON API tests: tokens for the cast of users and clients that send them.

``tests/conftest.py`` registers this module as a pytest plugin, so every test can ask for
``owner_api`` & co. by name; import ``ApiClient`` only to annotate or build one.
"""
from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sessions_app.accounts.tokens import api_token_create


class ApiClient:
    """Django's test client sending ``Authorization: Bearer <token>`` and JSON bodies."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.client = Client()

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        base = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**base, **(headers or {})}

    def get(self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def post(self, path: str, data: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.post(path, data, content_type="application/json", headers=self._headers(headers), **kw)

    def patch(self, path: str, data: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(path, data, content_type="application/json", headers=self._headers(headers))

    def put(self, path: str, data: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.put(path, data, content_type="application/json", headers=self._headers(headers))

    def delete(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.delete(path, headers=self._headers(headers))


@pytest.fixture
def owner_token(owner) -> str:
    return api_token_create(user=owner, name="owner's script")[1]


@pytest.fixture
def owner_api(owner_token) -> ApiClient:
    return ApiClient(owner_token)


@pytest.fixture
def other_api(other_user) -> ApiClient:
    return ApiClient(api_token_create(user=other_user, name="mallory's script")[1])


@pytest.fixture
def staff_api(staff_user) -> ApiClient:
    return ApiClient(api_token_create(user=staff_user, name="staff script")[1])


@pytest.fixture
def anonymous_api(db) -> ApiClient:
    return ApiClient(None)
