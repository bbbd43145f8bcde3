"""The layout rules that import-linter cannot see (the import rules themselves are the
contracts in .importlinter, which `.ci/run` checks with `lint-imports`):

* the adapters (web, CLI) never commit, roll back or open a database session of their own:
  transactions belong to the services (workflow/services/transactions.py);
* no stage key of the internal analysis is written in the Python
  of workflow/, web/ or notifications/: they come from the definitions.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADAPTERS = [ROOT / "web", ROOT / "workflow" / "cli"]
CODE = [ROOT / "workflow", ROOT / "web", ROOT / "notifications"]


def _python(folders: list[Path]) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py")
                  if "migrations" not in p.parts)


def _calls(path: Path, names: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in names):
            where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
            found.append(f"{where}:{node.lineno} .{node.func.attr}()")
    return found


def test_the_adapters_never_commit_or_roll_back():
    found = [hit for p in _python(ADAPTERS) for hit in _calls(p, {"commit", "rollback"})]
    assert found == []


def test_the_check_sees_a_commit(tmp_path):
    sample = tmp_path / "handler.py"
    sample.write_text("def f(pc):\n    pc.s.commit()\n", encoding="utf-8")
    assert _calls(sample, {"commit", "rollback"}) == ["handler.py:2 .commit()"]


def _stage_keys() -> dict[str, set[str]]:
    """The internal analysis's stage keys (the standard's procedures use plain words such as
    "analysis" or "report" as keys, which the code rightly uses for other things)."""
    keys: dict[str, set[str]] = {}
    for path in [ROOT / "workflow" / "definitions" / "internal_risk_analysis.toml"]:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        for stage in doc.get("stage", []):
            keys.setdefault(stage["key"], set()).add(path.name)
    return keys


# The words below are also names the definition format or the command line uses for something
# else: `monitoring` is the definition's [monitoring] table and the `merzim monitoring` command
# group. Each exception names the file and what the word is there.
NOT_A_STAGE = {
    ("workflow/core/definition.py", "monitoring"): "the definition format's [monitoring] table",
    ("workflow/services/monitoring.py", "monitoring"): "the definition's [monitoring] table",
    ("workflow/services/demo.py", "monitoring"): "the definition's [monitoring] table",
    ("workflow/cli/monitoring.py", "monitoring"): "the `merzim monitoring` command group",
    ("workflow/cli/__init__.py", "monitoring"): "the `merzim monitoring` command group and the "
                                                "module of the command line that holds it",
}


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docstrings]


def test_no_stage_key_of_the_internal_analysis_in_python():
    keys = _stage_keys()
    assert {"order", "publication", "monitoring"} <= set(keys)  # the check reads the real keys
    found = []
    for path in _python(CODE):
        rel = path.relative_to(ROOT).as_posix()
        for line, value in _string_literals(path):
            if value in keys and (rel, value) not in NOT_A_STAGE:
                found.append(f"{rel}:{line} {value!r} (a stage of {sorted(keys[value])})")
    assert found == []


@pytest.mark.parametrize("exception", sorted(NOT_A_STAGE))
def test_each_exception_is_still_needed(exception):
    rel, word = exception
    assert any(value == word for _, value in _string_literals(ROOT / rel)), exception
