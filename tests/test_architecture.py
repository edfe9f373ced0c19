"""Structure rules (docs/architecture.md): dependencies point one way, the core needs no screen.

Imports are read from the AST of every module, function bodies included: a lazy
``import ui`` inside a function is still a dependency.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT_WIDGETS = re.compile(
    r"^\s*(from|import)\s+PySide6(\.(QtWidgets|QtGui|QtPrintSupport|QtMultimedia))?\b", re.M
)


def test_no_qt_imports_outside_ui() -> None:
    offenders = []
    for package in ("desk_app", "printing", "central"):
        for path in (ROOT / package).rglob("*.py"):
            if QT_WIDGETS.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_core_imports_without_pyside() -> None:
    code = (
        "import sys, desk_app.cli, desk_app.bootstrap, desk_app.services.workflow, printing;"
        "print([m for m in sys.modules if m.startswith('PySide6')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_user_facing_sources_are_nfc() -> None:
    import unicodedata

    bad = []
    for package in ("desk_app", "ui", "printing", "central"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if not unicodedata.is_normalized("NFC", text):
                bad.append(str(path.relative_to(ROOT)))
    assert bad == []


# --------------------------------------------------------------------------- import graph
PACKAGES = ("desk_app", "ui", "printing", "central")
#: What ``central`` may use of the desk: pure rules and shared formats, never the desk's store.
CENTRAL_MAY_IMPORT = (
    "desk_app.domain",  # includes desk_app.domain.wire
    "desk_app.codes",
    "desk_app.hlc",
    "desk_app.ids",
    "desk_app.formats",
    "desk_app.workcalendar",  # the clock and the working calendar (the server folds due dates too)
    "desk_app.cli_runner",  # the shared command-line runner (exit statuses, Vietnamese messages)
    "desk_app.lookup",  # the public look-up's secret and address rules
    # what the events say of a dossier's files (pure: imports only the domain and stdlib);
    # the public page tells whether a signed e-result exists
    "desk_app.attachments.model",
    # notices to citizens: the rules, channels, templates and the delivery engine (no station store)
    "desk_app.notices.rules",
    "desk_app.notices.channels",
    "desk_app.notices.config",
    "desk_app.notices.templates",
    "desk_app.notices.engine",
    # the report rules, pure (tests/reports/test_purity.py): the server computes the desk's numbers
    "desk_app.reports.facts",
    "desk_app.reports.indicators",
    "desk_app.reports.periodic",
    "desk_app.reports.periods",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, *([node.module] if node.module else [])])


def _type_only_lines(tree: ast.Module) -> set[int]:
    """Lines of imports under ``if TYPE_CHECKING:`` (annotations only, never executed)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                for inner in ast.walk(child):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        lines.add(inner.lineno)
    return lines


def imports_of(
    path: Path, module: str | None = None, *, runtime_only: bool = False
) -> Iterator[tuple[str, int]]:
    """Every module ``path`` imports (anywhere in the file, lazy ones too), with the line number.

    ``runtime_only`` leaves out the imports under ``if TYPE_CHECKING:``.
    """
    module = module or _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _type_only_lines(tree) if runtime_only else set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(node, module, path.name == "__init__.py")
            yield target, node.lineno
            for alias in node.names:  # ``from desk_app import store`` imports desk_app.store
                yield f"{target}.{alias.name}", node.lineno


@cache
def import_graph(runtime_only: bool = False) -> dict[str, set[tuple[str, int]]]:
    graph: dict[str, set[tuple[str, int]]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            graph[str(path.relative_to(ROOT))] = set(imports_of(path, runtime_only=runtime_only))
    return graph


def _is(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def offenders(package: str, banned: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path}:{line} imports {name}"
        for path, names in import_graph().items()
        if path.startswith(package + "/")
        for name, line in names
        if any(_is(name, b) for b in banned)
    )


def test_core_imports_neither_ui_nor_printing() -> None:
    """The core is driven by the GUI, the CLI and the server; it never reaches up."""
    assert offenders("desk_app", ("ui", "printing")) == []


def test_printing_does_not_import_ui() -> None:
    assert offenders("printing", ("ui",)) == []


def test_ui_never_touches_the_store() -> None:
    """Windows talk to the typed ``App``; only repositories run SQL."""
    assert offenders("ui", ("desk_app.store", "sqlalchemy")) == []


def test_central_imports_only_the_pure_parts_of_the_desk() -> None:
    """The server shares the rules and the formats, not the desk's database or services."""
    bad = sorted(
        f"{path}:{line} imports {name}"
        for path, names in import_graph().items()
        if path.startswith("central/")
        for name, line in names
        if _is(name, "desk_app")
        and name != "desk_app"
        and not any(_is(name, allowed) for allowed in CENTRAL_MAY_IMPORT)
        # ``from desk_app.domain import x`` also yields desk_app.domain.x: allowed by prefix
    )
    assert bad == []


def test_central_imports_neither_ui_nor_printing() -> None:
    assert offenders("central", ("ui", "printing")) == []


def _unit(name: str) -> str | None:
    """The node of the cycle check: a top-level package, or a first-level part of the core.

    Command-line modules (``desk_app/sync/cli.py`` …) are entry points above the
    wiring (they call ``open_station``), so each is a node of its own.
    """
    parts = name.split(".")
    if parts[0] not in PACKAGES:
        return None
    if parts[0] == "desk_app" and len(parts) > 1:
        if len(parts) > 2 and parts[2] == "cli":
            return ".".join(parts[:3])
        return ".".join(parts[:2])
    return parts[0]


def _find_cycle(edges: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def _edges(level: str) -> dict[str, set[str]]:
    """Who imports whom at run time (type-only imports cannot make a cycle)."""
    edges: dict[str, set[str]] = {}
    for path, names in import_graph(runtime_only=True).items():
        source = _unit(_module_name(ROOT / path))
        for name, _line in names:
            target = _unit(name)
            if source is None or target is None or target == source:
                continue
            if level == "packages":
                source_top, target_top = source.split(".")[0], target.split(".")[0]
                if source_top != target_top:
                    edges.setdefault(source_top, set()).add(target_top)
            elif source.startswith("desk_app.") and target.startswith("desk_app."):
                edges.setdefault(source, set()).add(target)
    return edges


def test_no_import_cycle_between_top_level_packages() -> None:
    assert _find_cycle(_edges("packages")) == []


def test_no_import_cycle_between_the_parts_of_the_core() -> None:
    """``desk_app.store``, ``desk_app.queue``, ``desk_app.services``… form a DAG (run-time imports)."""
    assert _find_cycle(_edges("core")) == []


def test_rules_see_lazy_and_relative_imports(tmp_path: Path) -> None:
    """The scanner itself: an import inside a function, ``from x import y`` and relative imports count."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f():\n    from ui.app import main\n    from desk_app import store\n    from . import roles\n",
        encoding="utf-8",
    )
    names = {name for name, _line in imports_of(probe, "desk_app.probe")}
    assert {"ui.app", "desk_app.store", "desk_app.roles"} <= names
