"""Settings are parsed strictly and switch backends from the environment."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from chatmemory.env import env_bool, env_int

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("On", True), ("no", False), ("0", False)])
def test_env_bool_accepts_known_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG", default=not expected) is expected


@pytest.mark.parametrize("raw", ["ture", "2", "yes please", "enabled"])
def test_env_bool_rejects_anything_else(monkeypatch, raw):
    monkeypatch.setenv("X_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", default=False)


def test_env_int_is_strict(monkeypatch):
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("X_NUM", 1)
    monkeypatch.setenv("X_NUM", "5")
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env_int("X_NUM", 1, minimum=10)
    assert env_int("X_NUM", 1) == 5


def _settings_in_child(env: dict[str, str], expr: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
                                                              "OPENAI_API_KEY", "OPENAI_BASE_URL", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; print({expr})"],
        cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "chatmemory.settings", **env},
        capture_output=True, text=True, timeout=60,
    )


def test_embedded_default_and_service_urls(tmp_path):
    expr = ("settings.DATABASES['default']['ENGINE'], settings.CACHES['chatmemory']['BACKEND'], "
            "settings.CELERY_TASK_ALWAYS_EAGER")
    embedded = _settings_in_child({"CHATMEMORY_VAR_DIR": str(tmp_path)}, expr)
    assert embedded.returncode == 0, embedded.stderr
    assert "sqlite3" in embedded.stdout and "LocMemCache" in embedded.stdout and "True" in embedded.stdout

    services = _settings_in_child(
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x", "REDIS_URL": "redis://127.0.0.1:6379/3",
         "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//"},
        expr,
    )
    assert services.returncode == 0, services.stderr
    assert "postgresql" in services.stdout and "RedisCache" in services.stdout and "False" in services.stdout


def test_prepared_statements_switch():
    expr = "settings.DATABASES['default']['OPTIONS'].get('prepare_threshold')"
    pg = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x"}
    on = _settings_in_child(pg, expr)
    assert on.returncode == 0, on.stderr
    assert on.stdout.strip() == "5"  # hot statements (sessions_app.db) may be prepared
    off = _settings_in_child({**pg, "CHATMEMORY_PREPARED_STATEMENTS": "false"}, expr)
    assert off.returncode == 0, off.stderr
    assert off.stdout.strip() == "None"  # Django's default: psycopg never prepares


def test_malformed_debug_refuses_to_start(tmp_path):
    result = _settings_in_child({"DEBUG": "maybe", "CHATMEMORY_VAR_DIR": str(tmp_path)}, "settings.DEBUG")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_production_requires_a_secret_key(tmp_path):
    result = _settings_in_child({"DEBUG": "false", "CHATMEMORY_VAR_DIR": str(tmp_path)}, "settings.DEBUG")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
