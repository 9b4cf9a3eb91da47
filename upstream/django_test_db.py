"""Target ``django`` of the upstream suites: pytest-django's test database, never DATABASE_URL's own.

Shared by ``saver_plugin.py`` and ``store_plugin.py``. Upstream's test functions carry no ``django_db``
mark, and pytest-django sets its test database (``test_<name>``) up only for a collected test that has
one: unmarked, DjangoSaver / DjangoStore would run on the database DATABASE_URL names. Hence

* :func:`mark_first_collected`: one ``django_db(transaction=True)`` mark on the first test *still
  collected*. Call it from a ``trylast`` ``pytest_collection_modifyitems`` hook, i.e. after ``-k`` /
  ``-m`` deselection (a plain hook of a ``-p`` plugin runs before it, and a mark on a deselected test
  sets nothing up);
* :func:`refuse_unless_test_database`: the guard each test passes after requesting
  ``django_db_setup`` and before unblocking the database: ``pytest.UsageError`` unless the connection's
  database is a ``test_…`` one other than DATABASE_URL's.
"""
from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

import pytest


def mark_first_collected(items: list[pytest.Item]) -> None:
    """Make pytest-django set up its test database (one mark is enough for the session)."""
    if items:
        items[0].add_marker(pytest.mark.django_db(transaction=True))


def configured_database() -> str:
    """The database name in DATABASE_URL (``""`` when it names none)."""
    return unquote(urlsplit(os.environ.get("DATABASE_URL", "")).path.lstrip("/"))


def refuse_unless_test_database() -> None:
    """Raise ``pytest.UsageError`` unless Django's connection is on a test database."""
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if not name.startswith("test_") or name == configured_database():
        raise pytest.UsageError(
            f"Django's connection is on {name!r}, not on pytest-django's test database: the upstream "
            "suites run only on a test_… database, never on DATABASE_URL's own")
