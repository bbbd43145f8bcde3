"""One query module per aggregate: the SELECTs of the services live in
workflow/storage/queries/ (`accounts`, `organisations`, `files`, `audit`, `outbox`,
`obligations`, `search`, `replanning`, …), each a named, typed function with a docstring
saying what it returns; a service calls them and builds no SELECT of its own
(docs/architecture.md, "Queries").

CLEANED lists the service modules already moved; a module joins it when its last `select(`
has gone (the test then keeps it that way)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "workflow" / "services"
QUERIES = ROOT / "workflow" / "storage" / "queries"

CLEANED = ["accounts", "attachments", "bulk_actions", "cases", "context", "demo", "file_moving", "files",
           "health", "hooks", "lookup", "obligations", "opening", "organisations", "overview",
           "processes", "registers", "replanning", "runtime", "search", "transactions", "users",
           "views", "withdrawal"]

# what builds a SELECT: sqlmodel's and SQLAlchemy's `select`, and the package's `select_columns`
SELECT_BUILDERS = {"select", "select_columns"}


def _select_calls(path: Path) -> list[str]:
    """Each call of a SELECT builder in the module (by any name it is imported as, or as an
    attribute: `sqlalchemy.select(...)`), and each import of one, as "line: what"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set(SELECT_BUILDERS)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in SELECT_BUILDERS:
                    names.add(alias.asname or alias.name)
                    found.append(f"{node.lineno}: imports {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = (func.id if isinstance(func, ast.Name)
                    else func.attr if isinstance(func, ast.Attribute) else None)
            if name in names:
                found.append(f"{node.lineno}: {name}(…)")
    return found


@pytest.mark.parametrize("module", CLEANED)
def test_a_cleaned_service_builds_no_select(module: str) -> None:
    path = SERVICES / f"{module}.py"
    assert path.exists(), f"workflow/services/{module}.py is gone: take it off CLEANED"
    assert "select(" not in path.read_text(encoding="utf-8")
    assert _select_calls(path) == [], (
        f"workflow/services/{module}.py builds a SELECT: put it in a function of "
        "workflow/storage/queries/<aggregate>.py")


def test_the_check_finds_a_select(tmp_path: Path) -> None:
    """The check above sees a SELECT however it is written."""
    sample = tmp_path / "sample.py"
    sample.write_text("from sqlalchemy import select as pick\nimport sqlmodel\n\n"
                      "def f(s, M):\n    s.exec(pick(M))\n    s.exec(sqlmodel.select(M))\n",
                      encoding="utf-8")
    assert _select_calls(sample) == ["1: imports select", "5: pick(…)", "6: select(…)"]


def _query_modules() -> list[Path]:
    return sorted(p for p in QUERIES.glob("*.py") if p.name != "__init__.py")


def test_every_query_function_says_what_it_returns() -> None:
    missing = []
    modules = _query_modules()
    assert {p.stem for p in modules} >= {"accounts", "organisations", "files", "audit", "outbox",
                                         "obligations", "search", "replanning"}
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not ast.get_docstring(tree):
            missing.append(f"{path.name}: the module")
        for node in tree.body:
            if (isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
                    and not (ast.get_docstring(node) or "").strip()):
                missing.append(f"{path.name}: {node.name}")
    assert missing == []


def test_a_query_module_imports_no_service() -> None:
    """The queries are storage: they know the tables, not the use cases (the layers contract
    says so for the whole of workflow.storage; this names the module that broke it)."""
    wrong = []
    for path in _query_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    ("workflow.services", "web", "workflow.cli")):
                wrong.append(f"{path.name}: {node.module}")
    assert wrong == []
