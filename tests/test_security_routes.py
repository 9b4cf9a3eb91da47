"""Login is required everywhere but ``/health`` and the log-in/sign-up pages: walk every route.

Every URL pattern of the project is turned into a concrete path (parameters filled with the id
of a real session, token, user …) and requested anonymously with GET and POST: the answer is
a redirect to the login page, a 401/403, a 404 or a 405 — never a 2xx and never a 5xx.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from sessions_app.accounts.tokens import api_token_create

pytestmark = pytest.mark.django_db

PUBLIC = {"health", "login", "signup", "logout", "admin:login", "admin:logout"}


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, object]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + _pattern_text(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else ""
            yield prefix + _pattern_text(entry.pattern), name, entry


def _pattern_text(pattern: object) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern._route)
    assert isinstance(pattern, RegexPattern)
    return pattern._regex.lstrip("^").rstrip("$").replace("\\Z", "")


def _concrete(route: str, values: dict[str, str]) -> str:
    def converter(match: re.Match[str]) -> str:
        kind, name = (match.group(1) or "str"), match.group(2)
        return values.get(name) or {"uuid": values["uuid"], "int": values["int"], "path": "x"}.get(kind, "x")

    path = re.sub(r"<(?:(\w+):)?(\w+)>", converter, route)
    path = re.sub(r"\(\?P<(\w+)>([^)]*)\)", lambda m: values.get(m.group(1)) or m.group(2).split("|")[0], path)
    path = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), path)  # ninja's {session_id}
    return "/" + path


def test_every_route_requires_login_except_the_public_ones(owner, chat_session):
    token, _ = api_token_create(user=owner, name="bot")
    values = {"uuid": str(chat_session.pk), "session_id": str(chat_session.pk), "int": str(token.pk),
              "token_id": str(token.pk), "app_label": "sessions_app", "object_id": str(owner.pk),
              "content_type_id": "1", "model_name": "apitoken"}
    anonymous = Client()
    checked = []
    for route, name, _entry in _walk(get_resolver()):
        if name in PUBLIC or route.startswith(("static/", "media/")):
            continue
        path = _concrete(route, values)
        try:
            resolve(path)
        except Exception:  # noqa: BLE001
            path = path.rstrip("/") + "/" if not path.endswith("/") else path
            resolve(path)  # a pattern we failed to fill in is a bug of this test: fail loudly
        for method in ("get", "post"):
            response = getattr(anonymous, method)(path)
            status = response.status_code
            ok = status in (401, 403, 404, 405) or (status == 302 and "login" in response["Location"])
            assert ok, f"{method.upper()} {path} ({name or route}) answered {status} to an anonymous caller"
        checked.append(path)
    assert any(p.startswith("/api/sessions") for p in checked)
    assert any(p.startswith("/admin/") for p in checked)
    assert any("tokens" in p for p in checked)
    assert len(checked) > 20, checked


def test_openapi_document_and_docs_page_need_login_or_token(owner, client):
    assert client.get("/api/openapi.json").status_code == 401
    docs = client.get("/api/docs")  # a page for people: to the login page, and back after it
    assert docs.status_code == 302 and docs["Location"] == "/accounts/login/?next=/api/docs"
    _token, plaintext = api_token_create(user=owner, name="bot")
    response = client.get("/api/openapi.json", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.")
    bad_token = "Bearer cm_aaaaaaaa_" + "b" * 40
    assert client.get("/api/openapi.json", headers={"Authorization": bad_token}).status_code == 401
    client.force_login(owner)
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()  # Swagger UI from ninja's own static files (offline), never a CDN
    assert "/static/ninja/swagger-ui" in html and "cdn.jsdelivr" not in html and "unpkg" not in html


def test_health_needs_no_login(client):
    resolve("/health")
    response = client.get("/health")
    assert response.status_code == 200 and response.json()["checks"]["database"]["ok"] is True


def test_every_api_operation_is_documented_with_schemas_and_examples(owner, client):
    client.force_login(owner)
    spec = client.get("/api/openapi.json").json()
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 11
    for path, method, op in operations:
        assert op.get("operationId") and op.get("summary"), (method, path)
        statuses = {str(s) for s in op["responses"]}
        assert "401" in statuses, (method, path, statuses)
        if op.get("parameters") or "requestBody" in op:
            assert "422" in statuses, (method, path, statuses)
        success = next(s for s in statuses if s.startswith("2"))
        assert op["responses"][success if success in op["responses"] else int(success)]
        if "requestBody" in op:
            if "multipart/form-data" in op["requestBody"]["content"]:  # a file upload (import)
                assert op["requestBody"]["content"]["multipart/form-data"]["schema"], (method, path)
                continue
            content = op["requestBody"]["content"]["application/json"]
            if "$ref" not in content["schema"]:  # a free-form document (import): an example instead
                assert content.get("example"), (method, path)
                continue
            ref = content["schema"]["$ref"].rsplit("/", 1)[1]
            assert spec["components"]["schemas"][ref].get("examples"), ref
            assert spec["components"]["schemas"][ref].get("additionalProperties") is False, ref
    for name, schema in spec["components"]["schemas"].items():
        if name.endswith("Out") and name not in ("ErrorOut", "AnswerOut", "DeletedOut", "ClearedOut"):
            assert schema.get("examples"), name
    assert uuid.UUID(spec["components"]["schemas"]["SessionOut"]["examples"][0]["session_id"])
