"""The layout holds: no import cycle, no module over 300 lines, a small top level, imports run one way.

The import graph is read from the source with ``ast`` (every ``import``, including those inside
functions and under ``TYPE_CHECKING``), so a cycle hidden by a lazy import is still a cycle.
``python -m tests.test_architecture`` prints the graph's summary.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sessions_app", "chatmemory")
MAX_LINES = 300
MAX_TOP_LEVEL_MODULES = 10

# Rooms, lowest first: a module may import its own room and any lower one, never a higher one.
LAYERS: list[tuple[str, ...]] = [
    ("sessions_app.exceptions", "sessions_app.db", "sessions_app.models", "sessions_app.migrations",
     "sessions_app.observability"),
    ("sessions_app.cache", "sessions_app.checkpoint", "sessions_app.store"),
    ("sessions_app.conversations", "sessions_app.memory", "sessions_app.search", "sessions_app.sharing",
     "sessions_app.governance", "sessions_app.transfer", "sessions_app.accounts"),
    ("sessions_app.history",),
    ("sessions_app.web", "sessions_app.api", "sessions_app.admin", "sessions_app.management", "sessions_app.tasks",
     "sessions_app.urls", "sessions_app.checks", "sessions_app.apps"),
    ("chatmemory",),
]


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(importer: str, path: Path, level: int, module: str | None) -> str:
    if level == 0:
        return module or ""
    base = importer.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def import_graph() -> dict[str, set[str]]:
    """``{module: {project modules it imports}}``; ``from pkg import name`` counts as importing
    ``pkg.name`` when that is a module, else ``pkg``."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, path, node.level, node.module)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def _layer(module: str) -> int | None:
    for rank, rooms in enumerate(LAYERS):
        if any(module == room or module.startswith(room + ".") for room in rooms):
            return rank
    return None


def _package_edge(importer: str, target: str) -> bool:
    """A package's ``__init__`` re-exporting its own submodules is not an upward import."""
    return target.startswith(importer + ".")


def test_no_import_cycles() -> None:
    assert find_cycles(import_graph()) == []


def test_no_module_over_300_lines() -> None:
    too_long = {
        name: n for name, path in _modules().items()
        if ".migrations" not in name and (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}


def test_small_top_level() -> None:
    top = sorted(p.name for p in (ROOT / "sessions_app").glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_every_module_has_a_room() -> None:
    homeless = sorted(m for m in _modules() if m.startswith("sessions_app.") and _layer(m) is None)
    assert homeless == []


def test_imports_run_one_way() -> None:
    upward = sorted(
        f"{importer} -> {target}"
        for importer, targets in import_graph().items()
        for target in targets
        if (a := _layer(importer)) is not None and (b := _layer(target)) is not None and b > a
        and not _package_edge(importer, target)
    )
    assert upward == []


if __name__ == "__main__":  # pragma: no cover - a report for the closing note
    graph = import_graph()
    print(f"{len(graph)} modules, {sum(map(len, graph.values()))} import edges, cycles: {find_cycles(graph)}")
    sizes = sorted(((len(p.read_text().splitlines()), n) for n, p in _modules().items() if ".migrations" not in n),
                   reverse=True)
    for lines, name in sizes[:10]:
        print(f"{lines:5d}  {name}")
