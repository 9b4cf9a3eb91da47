"""Shared fixtures: a cast of users (owner, other user, staff), sessions, cache hygiene.

The suite runs on whatever the environment configures: PostgreSQL + Redis when
``DATABASE_URL`` / ``REDIS_URL`` are set (as ``.ci/run`` does), the embedded SQLite +
local-memory default otherwise. Tests that need one backend say so with a marker and skip
with the reason on the other.
"""
from __future__ import annotations

import asyncio
import os

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import caches
from django.db import connection, connections

from sessions_app.cache import outage as cache_outage
from sessions_app.conversations.ratelimit import chat_rate_limit_reset

from .factories import ChatSessionFactory, UserFactory

# Fixture modules, registered once here rather than imported into each test module.
pytest_plugins = ["tests.api_fixtures", "tests.browser_fixtures", "tests.celery_fixtures", "tests.checkpoint_fixtures",
                  "tests.redis_process"]

PASSWORD = "correct horse battery staple"


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def on_redis() -> bool:
    return bool(settings.REDIS_URL)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    pg = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    redis = bool(os.environ.get("REDIS_URL"))
    for item in items:
        if "postgres" in item.keywords and not pg:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…"))
        if "redis" in item.keywords and not redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://…"))


@pytest.fixture(autouse=True)
def _clean_caches() -> None:
    for alias in settings.CACHES:
        caches[alias].clear()
    chat_rate_limit_reset()  # the embedded default counts chat turns in process memory
    cache_outage.reset()  # an outage another test left open would hide this test's first warning


@pytest.fixture
def sync_to_async_connections_closed():
    """Close the database connections ``sync_to_async``'s thread opened during the test.

    A test that drives its own loop (``asyncio.run``) runs the ORM in asgiref's one thread-sensitive
    worker thread; its connection outlives the test, and PostgreSQL then refuses to drop the test
    database at the end ("is being accessed by other users"). Request this fixture in such tests.
    """
    yield
    asyncio.run(sync_to_async(connections.close_all)())


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: object) -> None:
    """Tests create many users; the production hasher costs ~0.3 s each on this machine."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fast_offline_model(settings: object) -> None:
    settings.CHATMEMORY_OFFLINE_TOKEN_DELAY_MS = 0  # type: ignore[attr-defined]


@pytest.fixture
def owner(db: None):
    return UserFactory(username="olivia")


@pytest.fixture
def other_user(db: None):
    return UserFactory(username="mallory")


@pytest.fixture
def staff_user(db: None):
    return UserFactory(username="stella", is_staff=True, is_superuser=True)


@pytest.fixture
def chat_session(owner):
    return ChatSessionFactory(owner=owner, title="Owner's conversation")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def other_client(client, other_user):
    client.force_login(other_user)
    return client


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
