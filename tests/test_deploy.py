"""The production settings: ``check --deploy`` is clean with the documented environment, static
files are WhiteNoise's hashed + compressed ones, the pool, JSON logs and the metrics token are strict."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# docs/deploy.md's production environment (the services' URLs aside).
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "chat.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://chat.example.org",
    "CHATMEMORY_HTTPS": "true",
    "CHATMEMORY_BEHIND_PROXY": "true",
    "SECURE_HSTS_PRELOAD": "true",  # opt-in: a promise to browsers' preload lists (check --deploy asks for it)
    "CHATMEMORY_METRICS_TOKEN": "metrics-token-0123456789abcdef",
}


def _child(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG", "PROMETHEUS_MULTIPROC_DIR",
                         "DJANGO_ALLOW_ASYNC_UNSAFE"}}  # (set by the browser fixtures for Playwright)
    return subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**base, "DJANGO_SETTINGS_MODULE": "chatmemory.settings", **env})


def _setting(env: dict[str, str], expr: str) -> str:
    result = _child(env, "-c", f"import django; django.setup(); from django.conf import settings; print({expr})")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path):
    env = {**PRODUCTION, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
           "CHATMEMORY_VAR_DIR": str(tmp_path)}
    result = _child(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_https_settings(tmp_path):
    env = {**PRODUCTION, "CHATMEMORY_HTTPS": "false", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
           "CHATMEMORY_VAR_DIR": str(tmp_path)}
    result = _child(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # HSTS
    assert "security.W012" in result.stderr + result.stdout  # SESSION_COOKIE_SECURE


def test_no_secret_default_when_debug_is_off(tmp_path):
    result = _child({"DEBUG": "false", "CHATMEMORY_VAR_DIR": str(tmp_path)}, "manage.py", "check")
    assert result.returncode != 0 and "SECRET_KEY must be set when DEBUG is false" in result.stderr


def test_debug_off_uses_whitenoise_compressed_manifest_storage(tmp_path):
    env = {**PRODUCTION, "CHATMEMORY_VAR_DIR": str(tmp_path)}
    assert _setting(env, "settings.STORAGES['staticfiles']['BACKEND']") == (
        "sessions_app.web.staticfiles.StaticFilesStorage")  # WhiteNoise compressed manifest + JS imports
    assert _setting({"CHATMEMORY_VAR_DIR": str(tmp_path)}, "settings.STORAGES['staticfiles']['BACKEND']") == (
        "django.contrib.staticfiles.storage.StaticFilesStorage")  # DEBUG (make run): no collectstatic needed


def test_collectstatic_writes_hashed_and_compressed_files(tmp_path):
    env = {**PRODUCTION, "CHATMEMORY_VAR_DIR": str(tmp_path), "STATIC_ROOT": str(tmp_path / "static")}
    result = _child(env, "manage.py", "collectstatic", "--noinput", "-v", "0")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["chatmemory/app.css"]
    assert hashed != "chatmemory/app.css" and (tmp_path / "static" / f"{hashed}.gz").exists()


def test_pool_needs_conn_max_age_zero_and_sets_psycopg_pool(tmp_path):
    pg = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x", "CHATMEMORY_VAR_DIR": str(tmp_path)}
    pool = _setting({**pg, "DATABASE_POOL_MAX_SIZE": "8", "CONN_MAX_AGE": "0"},
                    "settings.DATABASES['default']['OPTIONS']['pool'], settings.DATABASES['default']['CONN_MAX_AGE']")
    assert pool == "{'min_size': 1, 'max_size': 8, 'timeout': 10} 0"
    refused = _child({**pg, "DATABASE_POOL_MAX_SIZE": "8", "CONN_MAX_AGE": "60"}, "manage.py", "check")
    assert refused.returncode != 0 and "DATABASE_POOL_MAX_SIZE needs CONN_MAX_AGE=0" in refused.stderr


@pytest.mark.parametrize(("env", "message"), [
    ({"CHATMEMORY_LOG_FORMAT": "xml"}, "is not plain or json"),
    ({"CHATMEMORY_METRICS_TOKEN": "short"}, "at least 16 characters"),
    ({"CHATMEMORY_HTTPS": "sometimes"}, "is not a boolean"),
])
def test_deploy_switches_are_strict(tmp_path, env, message):
    result = _child({**env, "CHATMEMORY_VAR_DIR": str(tmp_path)}, "manage.py", "check")
    assert result.returncode != 0 and message in result.stderr


def test_json_logs_are_one_json_object_per_line(tmp_path):
    script = "import django, logging; django.setup(); logging.getLogger('sessions_app.x').warning('hello %s', 'there')"
    result = _child({"CHATMEMORY_LOG_FORMAT": "json", "CHATMEMORY_VAR_DIR": str(tmp_path)}, "-c", script)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["message"] == "hello there" and record["level"] == "WARNING" and record["logger"] == "sessions_app.x"
