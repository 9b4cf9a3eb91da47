"""Every repository path and ``sessions_app`` dotted name the docs mention exists.

Scanned: ``README.md``, ``DEVELOPERS.md``, ``docs/**/*.md``. What counts as a mention:

- a path in inline code (`` `sessions_app/cache/api.py` ``, `` `tests/test_x.py::test_y` ``) or a
  link target (``[text](docs/deploy.md)``). A token is a path when it has a ``/`` and ends in a
  file extension or ``/`` or starts with a top-level entry of the repository. The docs abbreviate
  inside the app (`` `governance/audit.py` ``, `` `chat/_sidebar.html` ``, `` `js/markdown.js` ``),
  so a path may resolve from the repository root or from one of ``SHORTHAND_BASES`` (the app,
  each of its sub-packages, ``templates/``, ``static/chatmemory/``); a link
  resolves from its document's folder too. Globs must match something; ``::name`` must be a
  ``def name`` in that file. A bare `` `test_x.py` `` is one of ``tests/``.
- in fenced code blocks only tokens that start with a top-level entry (``bench/x.py``) are paths:
  the rest of a shell example is the reader's own files.
- a dotted name ``sessions_app.x.y`` anywhere, and in inline code a dotted name of three or more
  parts that starts with one of the app's sub-packages or modules
  (`` `governance.lifecycle.sessions_delete` ``), or any that starts with ``services`` /
  ``selectors`` (the flat modules the split removed). It must import (the longest
  importable prefix) with the rest reachable by ``getattr``, or be a string the code declares in
  quotes (a Celery task name, a system-check id).

``ALLOWED`` lists what legitimately does not exist in a checkout, each with its reason.
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "DEVELOPERS.md", *sorted((ROOT / "docs").rglob("*.md"))]
SHORTHAND_BASES = ("sessions_app", *(f"sessions_app/{p.name}" for p in sorted((ROOT / "sessions_app").iterdir())
                                     if (p / "__init__.py").exists()), "templates", "static/chatmemory")
EXTENSIONS = {"py", "md", "sh", "txt", "json", "html", "css", "js", "toml", "sql", "png", "yml", "yaml", "cfg", "ini"}
TOP_LEVEL = {p.name for p in ROOT.iterdir() if not p.name.startswith(".git")} | {".ci", ".venv"}
APP_NAMES = {p.stem for p in (ROOT / "sessions_app").iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
OLD_APP_NAMES = {"services", "selectors"}

ALLOWED = {
    # Created at run time, never committed (.gitignore: var/, .venv/).
    "var/": "run-time outputs (CHATMEMORY_VAR_DIR's default), created by the commands that write them",
    "var/upstream/": "the upstream suites' cache and results, written by upstream/run_*_suites.sh",
    "var/upstream/results.txt": "written by `make test-upstream`",
    "var/bench-lgcd-venv": "the venv bench/checkpoint_bench.py builds for langgraph-checkpoint-django",
    ".venv/bin/python": "the virtualenv `make install` creates",
    # Paths inside other projects, named as such in the sentence.
    "tests/test_async_store.py": "langgraph-checkpoint-postgres 3.2.0's own test (make test-upstream-store)",
    "test_async_store.py": "the same upstream test file",
    "langgraph/__init__.py": "a file inside langgraph-checkpoint-django's wheel",
    "redis/observability/recorder.py": "redis-py's module, in site-packages",
    "../shared/STYLE.md": "the house style, beside the checkout (not in the repository)",
    "chatmemory/metrics": "a systemd RuntimeDirectory= (under /run) in the example unit file",
}

CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")
DOTTED_APP = re.compile(r"\bsessions_app(?:\.\w+)+")
DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
TEST_FILE = re.compile(r"test_\w+\.py(::\w+)?")
SPLIT = re.compile(r"[\s,;=\[\]{}<>\"'|]+")


def _mentions() -> Iterator[tuple[str, str, str]]:
    """``(kind, token, where)`` for every mention; kind is ``path``, ``link``, ``fenced`` or ``dotted``."""
    for doc in DOCS:
        fenced = False
        for number, line in enumerate(doc.read_text().splitlines(), 1):
            where = f"{doc.relative_to(ROOT)}:{number}"
            if FENCE.match(line):
                fenced = not fenced
                continue
            for name in DOTTED_APP.findall(line):
                yield "dotted", name, where
            if fenced:
                for token in SPLIT.split(line):
                    yield "fenced", token, where
                continue
            for span in CODE_SPAN.findall(line):
                for token in SPLIT.split(span):
                    yield "path", token, where
                    token = token.strip("().:")
                    if _is_app_shorthand(token):
                        yield "dotted", f"sessions_app.{token}", where
            for target in LINK.findall(line):
                yield "link", target, where


def _is_app_shorthand(token: str) -> bool:
    """``governance.lifecycle.sessions_delete`` or ``services.audit``; not ``history.messages`` (two
    parts starting with a module's name are as often a variable: ``store.setup()``, ``models.Index``)."""
    parts = token.split(".")
    if not DOTTED.fullmatch(token) or parts[-1] in EXTENSIONS:
        return False
    return parts[0] in OLD_APP_NAMES or (len(parts) >= 3 and parts[0] in APP_NAMES)


def _is_path(token: str, *, strict: bool) -> bool:
    if "/" not in token or "://" in token or token[0] in "/$~@…" or any(c in token for c in "…{<"):
        return False
    if token.split("/")[0] in TOP_LEVEL:
        return True
    return not strict and (token.endswith("/") or token.rsplit(".", 1)[-1] in EXTENSIONS)


def _path_exists(token: str, *, doc_dir: Path | None = None) -> bool:
    path, _, test = token.partition("::")
    path = path.split("#")[0]
    bases = [ROOT, *(ROOT / b for b in SHORTHAND_BASES), *([doc_dir] if doc_dir else [])]
    for base in bases:
        found = sorted(base.glob(path)) if "*" in path else [base / path] if (base / path).exists() else []
        if found:
            if not test or "*" in test:
                return True
            return any(re.search(rf"^\s*(async )?def {re.escape(test)}\b", f.read_text(), re.M) for f in found)
    return False


def _declared_strings() -> str:
    return "\n".join(p.read_text() for pkg in ("sessions_app", "chatmemory") for p in (ROOT / pkg).rglob("*.py"))


def _dotted_exists(name: str, declared: str) -> bool:
    if f'"{name}"' in declared or f"'{name}'" in declared:
        return True
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                try:  # a sub-module its package does not import
                    obj = importlib.import_module(f"{obj.__name__}.{attr}")  # type: ignore[attr-defined]
                except (ImportError, AttributeError):
                    return False
            else:
                obj = getattr(obj, attr)
        return True
    return False


def stale_mentions() -> list[str]:
    declared = _declared_strings()
    stale: list[str] = []
    for kind, raw, where in _mentions():
        token = raw.rstrip(".,:;)").lstrip("(")
        if not token or token in ALLOWED:
            continue
        if kind == "dotted":
            ok = _dotted_exists(token, declared)
        elif kind == "link":
            if token.startswith(("http://", "https://", "mailto:", "#")):
                continue
            ok = _path_exists(token, doc_dir=(ROOT / where.split(":")[0]).parent)
        elif kind == "path" and TEST_FILE.fullmatch(token):
            ok = _path_exists(f"tests/**/{token}")
        elif _is_path(token, strict=kind == "fenced"):
            ok = _path_exists(token)
        else:
            continue
        if not ok:
            stale.append(f"{where}: {token}")
    return stale


def test_every_path_and_module_the_docs_name_exists() -> None:
    stale = stale_mentions()
    assert not stale, "the docs name paths or modules that do not exist:\n" + "\n".join(stale)


def test_the_scanner_tells_a_real_name_from_a_stale_one() -> None:
    declared = _declared_strings()
    assert _path_exists("sessions_app/cache/api.py") and _path_exists("governance/audit.py")
    assert _path_exists("tests/test_docs_paths.py::test_the_scanner_tells_a_real_name_from_a_stale_one")
    assert not _path_exists("sessions_app/services/lifecycle.py") and not _path_exists("tests/test_x.py")
    assert not _path_exists("tests/test_docs_paths.py::test_no_such_test")
    assert _path_exists("tests/**/test_redis_failover.py") and not _path_exists("tests/**/test_x.py")
    assert _dotted_exists("sessions_app.governance.lifecycle.sessions_delete", declared)
    assert _dotted_exists("sessions_app.prune_checkpoints", declared)  # a Celery task name
    assert not _dotted_exists("sessions_app.services.lifecycle", declared)
    assert not _dotted_exists("sessions_app.cache.no_such_function", declared)
