"""The project's import graph: no circle anywhere in supalert/, tests/ or bench/, and a test module is imported by
nothing (shared code lives in tests/support/, bench/common.py or supalert/)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from supalert.paths import project_root

ROOT = project_root()
PACKAGES = ("supalert", "tests", "bench")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def imports(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, set(known)) - {name} for name, path in known.items()}


def test_no_circle_of_imports():
    edges = graph()
    assert len(edges) > 60  # every file was read
    try:
        tuple(TopologicalSorter(edges).static_order())
    except CycleError as exc:
        raise AssertionError(f"import circle: {' -> '.join(exc.args[1])}") from None


def test_no_module_imports_a_test_module():
    edges = graph()
    offenders = {
        (importer, imported)
        for importer, targets in edges.items()
        for imported in targets
        if imported.rsplit(".", 1)[-1].startswith("test_") or imported == "tests.conftest"
    }
    assert offenders == set()


def test_the_graph_sees_an_import_circle_even_inside_a_function(tmp_path):
    (tmp_path / "a.py").write_text("from b import thing\n")
    (tmp_path / "b.py").write_text("def f():\n    import a\n")
    edges = {name: imports(tmp_path / f"{name}.py", {"a", "b"}) for name in ("a", "b")}
    assert edges == {"a": {"b"}, "b": {"a"}}
    try:
        tuple(TopologicalSorter(edges).static_order())
    except CycleError:
        return
    raise AssertionError("a circle went unseen")
