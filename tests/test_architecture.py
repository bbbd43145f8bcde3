"""The layout rules that import-linter cannot see (the import rules themselves are the
contracts in .importlinter, which `.ci/run` checks with `lint-imports`):

* the adapters (web, CLI) never commit, roll back or open a database session of their own:
  transactions belong to the services (workflow/services/transactions.py);
* no key of a shipped definition (a stage, event, state or named date of any file under
  workflow/definitions/) is written in the Python of workflow/, web/ or notifications/: they
  come from the definitions (a word the code uses for something else is a listed exception,
  with what it is there);
* no test module imports another: what tests share lives in helper modules (docs/testing.md).
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from tests.support.features import installed

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


def _definition_keys() -> dict[str, set[str]]:
    """Every key of every shipped definition (each file under workflow/definitions/ with a
    [process] table: the internal analysis, its versions kept for older cases, the procedures;
    the platform's implementation map only names keys of these): its stages, events and states
    and its named dates -> where each is defined ("stage of internal_risk_analysis.toml"). The
    procedures use plain words such as "analysis", "open" or "done" as keys, which the code also
    uses for other things: those uses are the exceptions below, each with what the word is there."""
    keys: dict[str, set[str]] = {}
    folder = ROOT / "workflow" / "definitions"
    for path in sorted(folder.rglob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        if "process" not in doc:
            continue
        name = path.relative_to(folder).as_posix()
        process = doc["process"]
        named = [*((f"stage of {name}", st["key"]) for st in doc.get("stage", [])),
                 *((f"event of {name}", ev["key"]) for ev in doc.get("event", [])),
                 *((f"state of {name}", key) for key in doc.get("states", {})),
                 *((f"state of {name}", key) for key in [process.get("initial_state"),
                                                          *process.get("final_states", [])]
                   if key),
                 *((f"date of {name}", key) for key in doc.get("dates", {}))]
        for what, key in named:
            keys.setdefault(key, set()).add(what)
    return keys


# The words below are also names the definition format or the command line uses for something
# else: `monitoring` is the definition's [monitoring] table and the `merzim monitoring` command
# group. Each exception names the file and what the word is there.
NOT_A_STAGE = {
    ("workflow/monitoring/service.py", "monitoring"): "the definition's [monitoring] table",
    ("workflow/monitoring/cli.py", "monitoring"): "the `merzim monitoring` command group",
    ("workflow/monitoring/feature.py", "monitoring"): "the feature's name, its definition "
                                                     "table ([monitoring]) and its command "
                                                     "group",
    ("workflow/documents/feature.py", "monitoring"): "the feature it builds on (its service "
                                                      "records the demo's findings)",
}


def _homonym(word: str, reason: str, *files: str) -> dict[tuple[str, str], str]:
    return {(rel, word): reason for rel in files}


# The keys of the procedures and of the internal analysis's states and dates that are also words
# the definition format, the command line or the code's own vocabulary use for something else
# (the same format as NOT_A_STAGE: each exception names the file and what the word is there).
NOT_A_KEY = {
    **_homonym("analysis", "the internal analysis as the code names it: the `merzim analysis` "
               "command group, an analysis's id in rows, messages, exports, audit payloads and "
               "not-found answers, the demo's analyses; not the `analysis` stage of the "
               "procedures",
               "notifications/render.py", "web/kit/access.py",
               "workflow/cli/engine.py", "workflow/planning/feature.py",
               "workflow/planning/cli.py", "workflow/cli/reminders.py", "workflow/drafts/web.py",
               "workflow/documents/web.py",
               "workflow/monitoring/cli.py",
               "workflow/monitoring/service.py", "workflow/reminders/planner.py",
               "workflow/reminders/outbound.py",
               "workflow/planning/demo.py", "workflow/services/replanning.py",
               "workflow/kept/touch.py"),
    **_homonym("completed", "the scorecard's count of completed risks (docs/scorecard.md); not "
               "contract_concentration's date or state",
               "workflow/scorecard/rules.py", "workflow/scorecard/words.py"),
    **_homonym("done", "what is done: the work lists' done section, the overview's and the "
               "scorecard's done counts, a register entry's counted status, a schedule's "
               "status in `merzim` JSON, the Telegram link's reply; not the procedures' final "
               "state",
               "web/overview_page.py", "web/work_page.py", "workflow/planning/cli.py",
               "workflow/reminders/telegram_link.py", "workflow/registers/entries.py",
               "workflow/scorecard/rules.py", "workflow/scorecard/words.py",
               "workflow/services/overview.py"),
    **_homonym("start", "the definition format's [planning] `start` (which names the date "
               "--start gives), the schedule file's column, a period's start in views, charts, "
               "exports and the demo's file; not the named date itself",
               "web/kit/charts.py", "web/kit/exports.py", "web/kit/views.py",
               "workflow/planning/bulk.py", "workflow/planning/service.py",
               "workflow/planning/demo.py"),
    **_homonym("end", "the definition format's [planning] `end` (which names the date --end "
               "gives), the schedule file's column, a period's end in views and exports; not the "
               "named date itself",
               "web/kit/exports.py", "web/kit/views.py", "workflow/planning/bulk.py",
               "workflow/planning/service.py"),
    **_homonym("found", "the label of what a file's content was found to be (a refused upload); "
               "not foreign_account's date or state",
               "workflow/services/files.py"),
    **_homonym("in_progress", "a recommendation's status (the monitoring's not_started, "
               "in_progress, fulfilled, not_fulfilled); not the internal analysis's state",
               "workflow/monitoring/service.py"),
    **_homonym("note_signed", "a scorecard role, the left-hand side of a definition's "
               "[scorecard.stages] (docs/scorecard.md), which maps it to a stage key",
               "workflow/scorecard/rules.py",
               "workflow/coverage/rules.py"),  # the role coverage (1.3.3) counts
    **_homonym("plan_approved", "a scorecard role, the left-hand side of a definition's "
               "[scorecard.stages] (docs/scorecard.md), which maps it to a stage key",
               "workflow/scorecard/rules.py"),
    **_homonym("published", "a scorecard role, the left-hand side of a definition's "
               "[scorecard.stages] (docs/scorecard.md), which maps it to a stage key",
               "workflow/scorecard/rules.py"),
    **_homonym("totals", "a subtree's scores summed (the subjects' summary of a score page, "
               "an overview and GET /api/v1/scores/summary); not the social order's event",
               "workflow/scorecard/web.py"),
    **_homonym("published", "a draft's fact: the day its text was published",
               "workflow/drafts/service.py"),
    **_homonym("published", "the Atom feed's <published> element",
               "workflow/public/web.py"),
    **_homonym("open", "a stage's status (`open`), the definition format's `initially = "
               "\"open\"` and an event's `open` field, `merzim case open`; not the procedures' "
               "state",
               "web/kit/charts.py", "web/obligations_page.py", "web/case_page.py",
               "workflow/cli/cases.py", "workflow/core/deadlines.py", "workflow/core/definition.py",
               "workflow/core/errors.py",
               "workflow/definitions/schema.py", "workflow/storage/models.py"),
    **_homonym("planned", "a named date's planned value (the definition format's "
               "\"NAME.planned\" anchor, the views' planned start and end) and the count of what "
               "`merzim analysis import` and the worker planned; not the internal analysis's state",
               "web/kit/charts.py", "workflow/planning/cli.py", "workflow/core/deadlines.py",
               "workflow/i18n/describe.py", "workflow/reminders/worker.py"),
    **_homonym("recommendation", "the monitoring's recommendations: the `merzim recommendation` "
               "command group, their table, audit entity, the plan file's column and the "
               "fulfilled measure's evidence; not conflict_of_interest's stage",
               "workflow/monitoring/feature.py", "workflow/monitoring/cli.py",
               "workflow/monitoring/listener.py",
               "workflow/monitoring/service.py", "workflow/storage/models_planning.py",
               "workflow/documents/demo.py", "workflow/kept/touch.py"),
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


def test_no_key_of_a_shipped_definition_in_python():
    keys = _definition_keys()
    # the check reads the real keys: stages, events, states and named dates, of every file
    assert {"order", "publication", "monitoring", "hand_over"} <= set(keys)
    assert {"stage of procedures/gift.toml", "event of procedures/gift.toml",
            "state of procedures/gift.toml", "date of procedures/gift.toml",
            "stage of versions/internal_risk_analysis.v2.toml"} <= set().union(*keys.values())
    allowed = NOT_A_STAGE | NOT_A_KEY
    found = []
    for path in _python(CODE):
        rel = path.relative_to(ROOT).as_posix()
        for line, value in _string_literals(path):
            if value in keys and (rel, value) not in allowed:
                found.append(f"{rel}:{line} {value!r} (a {', a '.join(sorted(keys[value]))})")
    assert found == []


def _of_a_removed_feature(rel: str) -> str | None:
    """The feature whose folder held the file `rel`, when that feature is removed: not
    installed and its folder gone (None: the file is of the engine or of an installed feature,
    and an exception naming it must name a file that exists)."""
    parts = rel.split("/")
    if (len(parts) > 2 and parts[0] == "workflow" and not installed(parts[1])
            and not (ROOT / "workflow" / parts[1]).exists()):
        return parts[1]
    return None


@pytest.mark.parametrize("exception", sorted(NOT_A_STAGE | NOT_A_KEY))
def test_each_exception_is_still_needed(exception):
    rel, word = exception
    if (removed := _of_a_removed_feature(rel)) is not None:
        pytest.skip(f"{rel}: the feature {removed!r} is not installed")
    assert (ROOT / rel).exists(), f"{rel} moved or removed: update its exception"
    assert any(value == word for _, value in _string_literals(ROOT / rel)), exception


def test_only_a_removed_feature_excuses_a_missing_file():
    """An exception naming a file that is gone is skipped only when the file's feature is
    removed; of an installed feature, the engine or the web, it still fails."""
    from workflow.core.feature import installed as features

    assert _of_a_removed_feature(f"workflow/{features()[0].name}/gone.py") is None
    assert _of_a_removed_feature("workflow/services/gone.py") is None
    assert _of_a_removed_feature("web/gone.py") is None
    assert _of_a_removed_feature("workflow/no_such_feature/web.py") == "no_such_feature"


# -- the tests: no test module imports another ------------------------------------------------
# What several test modules share lives in modules that are not test modules (tests/conftest.py,
# tests/support/cli_runner.py, tests/support/web_helpers.py, tests/support/browser_helpers.py,
# tests/support/person_helpers.py...;
# docs/testing.md, "Shared fixtures and helpers"): importing a test module runs its collection-time
# code, registers its fixtures and tests a second time and ties two files' edits together.

TESTS = ROOT / "tests"


def _test_modules_imported(path: Path) -> list[str]:
    """The test modules (tests/**/test_*.py) the Python file at `path` imports, as
    "file:line module"."""
    where = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package of the file
                package = (list(path.relative_to(ROOT).parent.parts)
                           if path.is_relative_to(ROOT) else ["tests"])
                package = package[:len(package) - node.level + 1] or ["tests"]
                base = ".".join([*package, base] if base else package)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            at = next((i for i, part in enumerate(parts) if part.startswith("test_")), 0)
            if parts[0] == "tests" and at:
                found.append(f"{where}:{node.lineno} {'.'.join(parts[:at + 1])}")
                break
    return found


def test_no_test_module_imports_another():
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 50 and TESTS / "conftest.py" in files  # the check reads the real suite
    found = [hit for path in files for hit in _test_modules_imported(path)]
    assert found == []


def test_the_check_sees_a_test_module_imported(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text("from tests.test_browser import page\n"
                      "from tests import test_bulk_import as bulk, web_helpers\n"
                      "import tests.test_scorecard\n"
                      "from .test_web_work import work_world\n"
                      "from tests.web_helpers import web_fixture\n"
                      "from tests.web.test_web_work import work_world\n"
                      "from tests import browser_helpers\n", encoding="utf-8")
    assert _test_modules_imported(sample) == [
        "test_sample.py:1 tests.test_browser", "test_sample.py:2 tests.test_bulk_import",
        "test_sample.py:3 tests.test_scorecard", "test_sample.py:4 tests.test_web_work",
        "test_sample.py:6 tests.web.test_web_work"]


def test_every_feature_is_named_once_and_its_table_has_a_schema():
    """The installed features (workflow/installed.py) are the packages under workflow/ that
    declare one (`feature.py`), each declared once; each definition table a feature reads has
    its model (the declaration's `table_model`, its part of the published definition schema),
    and a feature that listens to the record path has the listener its declaration loads."""
    from workflow.core.feature import installed
    from workflow.definitions import load_registry
    from workflow.definitions.schema import definition_schema
    from workflow.services import hooks

    declared = sorted(p.parent.name for p in (ROOT / "workflow").glob("*/feature.py")
                      if p.parent.name != "core")  # (core/feature.py: the declaration's type)
    names = [f.name for f in installed()]
    assert sorted(names) == declared and len(set(names)) == len(names)
    for feature in installed():
        if feature.table:
            assert feature.table_model is not None, f"[{feature.table}] has no model"
            assert feature.table in definition_schema()["properties"], feature.table
        listener = ROOT / "workflow" / feature.name / "listener.py"
        assert listener.is_file() == (feature.listener is not None), feature.name
    for feature in installed():  # (the analysis's monitoring listens)
        listener = feature.listener() if feature.table and feature.listener else None
        if listener is not None:
            carrying = [d for d in load_registry().all() if d.raw.get(feature.table)]
            assert carrying and all(listener in hooks.listeners(d) for d in carrying), feature.name


def test_the_import_contracts_name_the_installed_features():
    """`.importlinter`'s lists of features are those `.ci/contracts.py` writes from the
    declarations (workflow/installed.py): a feature added or removed there is in the contracts."""
    import runpy

    contracts = runpy.run_path(str(ROOT / ".ci" / "contracts.py"))
    now = (ROOT / ".importlinter").read_text(encoding="utf-8")
    assert contracts["written"](now) == now
    # and the writer really writes: a feature missing from the lists is put back
    from workflow.installed import SHIPPED

    dropped = now.replace(f"    workflow.{SHIPPED[-1].name}\n", "", 1)
    assert dropped != now and contracts["written"](dropped) == now



# The rules of recording that once had two or three owners: each refused in one place, the
# pure core (core/machine.py for the event's own rules, core/decide.py for the case's).
ONE_OWNER = ("rule.unknown_event", "rule.prerequisite", "rule.not_allowed", "rule.case_closed")


def _refusals(paths: list[Path], keys: tuple[str, ...]) -> dict[str, list[str]]:
    """Where each refusal key is given as `key="…"` in the source."""
    found: dict[str, list[str]] = {key: [] for key in keys}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for key in keys:
            if f'key="{key}"' in text:
                found[key].append(path.relative_to(ROOT).as_posix()
                                  if path.is_relative_to(ROOT) else path.name)
    return found


def test_a_rule_of_recording_is_refused_only_in_the_core_and_once():
    found = _refusals(_python(CODE), ONE_OWNER)
    assert found == {"rule.unknown_event": ["workflow/core/machine.py"],
                     "rule.prerequisite": ["workflow/core/machine.py"],
                     "rule.not_allowed": ["workflow/core/machine.py"],
                     "rule.case_closed": ["workflow/core/decide.py"]}
    for key in ONE_OWNER:  # and once in its module
        text = (ROOT / found[key][0]).read_text(encoding="utf-8")
        assert text.count(f'key="{key}"') == 1, key


def test_the_check_sees_a_rule_refused_outside_the_core(tmp_path):
    stray = tmp_path / "service.py"
    stray.write_text('raise RuleViolation("x", key="rule.prerequisite")\n', encoding="utf-8")
    assert _refusals([stray], ONE_OWNER)["rule.prerequisite"] == ["service.py"]


# -- the service layer is typed where the adapters call it --------------------------------------
# `from workflow import services as svc` gives its use cases lazily (PEP 562); the same names are
# imported under `if TYPE_CHECKING:` so that mypy checks every `svc.NAME(...)` call.


def _type_checked_names(path: Path) -> dict[str, str]:
    """The names the `if TYPE_CHECKING:` block of `path` imports, each with its module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in tree.body:
        if (isinstance(node, ast.If) and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"):
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module:
                    names.update({a.asname or a.name: stmt.module for a in stmt.names})
    return names


def test_the_services_names_are_the_same_to_the_type_checker_and_at_run_time():
    from workflow import services

    typed = _type_checked_names(ROOT / "workflow" / "services" / "__init__.py")
    lazy = {name: f"workflow.{module}" for name, module in services._MODULE_OF.items()}
    assert typed == lazy


def test_the_check_sees_a_name_given_lazily_but_not_typed(tmp_path):
    stub = tmp_path / "services.py"
    stub.write_text("if TYPE_CHECKING:\n    from workflow.services.lists import overdue as overdue\n",
                    encoding="utf-8")
    assert _type_checked_names(stub) == {"overdue": "workflow.services.lists"}
    assert "due_within" not in _type_checked_names(stub)
