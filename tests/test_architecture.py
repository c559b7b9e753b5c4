"""The shape of the code (docs/architecture.md), checked on every run.

- `availability` is pure: it imports nothing of `server` and nothing that does I/O;
- the server's modules import each other without a cycle (module-level imports);
- a route module imports no other route module, only the shared `_http`;
- no module of `server` grows past ~700 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("availability", "server")
MAX_LINES = 700


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(path): path
    for package in PACKAGES
    for path in sorted((ROOT / package).rglob("*.py"))
}


def _top_level_imports(path: Path) -> Iterator[str]:
    """Modules imported when `path` is imported: module-level statements only, not the
    ones inside functions or under `if TYPE_CHECKING:`."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            yield base
            # `from server import vocabulary` imports the module server.vocabulary.
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    yield f"{base}.{alias.name}"


def _graph() -> dict[str, set[str]]:
    """Who imports whom. Importing a module imports its packages first, so an edge to
    one of the module's own packages is no dependency (Python has them loaded already)."""
    return {
        name: {
            found
            for found in _top_level_imports(path)
            if found in MODULES and found != name and not name.startswith(found + ".")
        }
        for name, path in MODULES.items()
    }


def test_availability_never_imports_the_server_or_io() -> None:
    forbidden = ("server", "sqlite3", "aiosqlite", "asyncio", "httpx", "socket", "os")
    for name, path in MODULES.items():
        if name.startswith("availability"):
            imported = set(_top_level_imports(path))
            assert not {i for i in imported if i.split(".")[0] in forbidden}, name


def test_the_server_has_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_route_modules_import_no_other_route_module() -> None:
    for name, path in MODULES.items():
        if name.startswith("server.routes.") and name != "server.routes._http":
            others = {
                found
                for found in _top_level_imports(path)
                if found.startswith("server.routes") and found != "server.routes._http"
            }
            assert not others, f"{name} imports {others}"


@pytest.mark.parametrize("name", [n for n in MODULES if n.startswith("server")])
def test_no_server_module_is_over_700_lines(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it by concern"
