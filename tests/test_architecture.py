"""The shape of the house stays as the README draws it: layers, no import loops, activities only."""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("workflows", "activities", "core", "api", "worker")


def test_import_contracts_hold() -> None:
    """The layer contracts in pyproject.toml ([tool.importlinter]): api never imports worker, and so on."""
    linter = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(linter)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_two_modules_import_each_other_in_a_loop() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    sorter = graphlib.TopologicalSorter(
        {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    )
    try:
        sorter.prepare()
    except graphlib.CycleError as loop:
        raise AssertionError(f"import loop: {' -> '.join(loop.args[1])}") from None


def test_activities_folder_holds_only_activity_definitions() -> None:
    strays = []
    for path in (REPO / "activities").rglob("*.py"):
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        decorators = [
            ast.unparse(d)
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            for d in node.decorator_list
        ]
        if not any(d.startswith("activity.defn") for d in decorators):
            strays.append(str(path.relative_to(REPO)))
    assert not strays, f"modules in activities/ that define no activity: {strays}"


def test_workflows_call_activities_by_reference_not_by_name() -> None:
    by_name = []
    for path in (REPO / "workflows").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"execute_activity", "execute_local_activity", "start_activity"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                by_name.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not by_name, f"activities called by string name: {by_name}"
