"""schemathesis against the live OpenAPI spec, with a logged-in token, on a real gunicorn.

A bounded run is part of ``make test`` (``CHATMEMORY_FUZZ_EXAMPLES``, default 3 per operation);
``make fuzz`` runs the same test with many more examples. The run fails on any server error
(5xx), any response that breaks the documented schema (status code, content type, headers,
body), and on negative data the API accepted. The numbers of operations and test cases are
printed (``-s``) and written to ``var/fuzz-report.json``.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from sessions_app.accounts.tokens import api_token_create
from sessions_app.conversations.sessions import session_create

from .factories import UserFactory
from .live_server_utils import ROOT, gunicorn, server_env_for_test_db

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_errors_and_no_schema_violations(tmp_path: Path):
    examples = int(os.environ.get("CHATMEMORY_FUZZ_EXAMPLES", "3"))
    phases = os.environ.get("CHATMEMORY_FUZZ_PHASES", "examples,fuzzing,stateful")
    user = UserFactory(username="fuzzer")
    _token, plaintext = api_token_create(user=user, name="schemathesis")
    session_create(owner=user, title="seed session")
    report = tmp_path / "report.json"
    with gunicorn(server_env_for_test_db({"CHATMEMORY_CHAT_RATE_LIMIT": "0"})) as base:
        command = [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file", str(ROOT / "tests" / "schemathesis.toml"),
            "run", f"{base}/api/openapi.json",
            "--header", f"Authorization: Bearer {plaintext}",
            "--checks", CHECKS, "--phases", phases, "--max-examples", str(examples), "--seed", "20261122",
            "--workers", "1", "--request-timeout", "20", "--wait-for-schema", "20", "--no-shrink",
            "--suppress-health-check", "all",
            "--report", "json", "--report-json-path", str(report),
        ]
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900,
                                env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"})
    out = result.stdout + result.stderr
    summary = out[out.rfind("SUMMARY"):] if "SUMMARY" in out else out[-3000:]
    print(summary)
    (ROOT / "var").mkdir(exist_ok=True)
    if report.exists():
        (ROOT / "var" / "fuzz-report.json").write_text(report.read_text())
    assert result.returncode == 0, out[-8000:]
    connection.close()
