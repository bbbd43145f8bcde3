"""A command imports what it needs when it needs it: the modules a fresh
process holds after `merzim ...` are checked, not the time it took; and the table that says
which module holds which command agrees with the commands the modules define."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys

import pytest
import typer

from tests.support.cli_runner import merzim_env, run_merzim
from workflow.cli import COMMANDS, MODULES, build_app, commands_for, main
from workflow.cli.help_i18n import walk

pytestmark = pytest.mark.slow  # each command in a fresh interpreter

# Loaded by a command that needs a database, a web server, a spreadsheet or the scheduler only.
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "fastapi", "starlette", "jinja2", "openpyxl",
         "babel", "pydantic", "psycopg", "uvicorn", "apscheduler", "argon2", "smtplib",
         "workflow.services", "workflow.storage", "workflow.reminders", "web")
# Not even the calendar, the command modules or rich for the version.
NOT_FOR_THE_VERSION = (*HEAVY, "calendars", "workalendar", "rich", "workflow.cli.calendar",
                       "workflow.cli.engine")

PROBE = """
import json, sys
from workflow.cli import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code or 0
sys.stdout.flush()
common = sys.modules.get("workflow.cli.common")  # the definitions the command parsed, if any
registry = common.STATE.__dict__.get("_registry") if common else None
sqlmodel = sys.modules.get("sqlmodel")  # the tables whose models were built, if any
tables = None if sqlmodel is None else sorted(sqlmodel.SQLModel.metadata.tables)
import gc  # the collector: running after the command, the imports set aside from its passes
print("\\n@@" + json.dumps({"code": code, "modules": sorted(sys.modules), "tables": tables,
                            "parsed": None if registry is None else registry.parsed(),
                            "gc": [gc.isenabled(), gc.get_freeze_count()]}))
"""


@pytest.fixture(autouse=True, scope="module")
def _catalogues_read_once():
    """What Babel read of each catalogue, kept beside it as after any earlier run: a command
    then reads the catalogues without Babel (a fresh clone's first command reads them with it,
    workflow/i18n: load)."""
    from workflow.i18n import LOCALES, read_catalogue

    for path in LOCALES.glob("*/LC_MESSAGES/*.po"):
        read_catalogue(path)


def probe(args: list[str], cwd, lang: str | None = None) -> tuple[int, str, dict]:
    """`merzim ARGS` in a fresh interpreter: (exit code, output, what it imported and the
    keys of the definitions it parsed)."""
    env = merzim_env(lang=lang, extra={"COLUMNS": "120"})
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=env,
                            capture_output=True, text=True, encoding="utf-8", timeout=120)
    out, _, tail = result.stdout.rpartition("\n@@")
    assert tail, (result.stdout, result.stderr)
    found = json.loads(tail)
    return found["code"], out + result.stderr, found


def run(args: list[str], cwd, lang: str | None = None) -> tuple[int, str, set[str]]:
    """`merzim ARGS` in a fresh interpreter: (exit code, output, the modules it imported)."""
    code, out, found = probe(args, cwd, lang)
    return code, out, set(found["modules"])


def imported(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


@pytest.mark.parametrize(("args", "lang", "code", "shown"), [
    (["calendar", "add", "2026-03-20", "3"], "kk", 0, "2026-03-30"),
    (["calendar", "add", "2026-03-20", "3"], "en", 0, "2026-03-30"),
    (["--lang", "ru", "calendar", "add", "--help"], None, 0, "Использование:"),
    (["calendar", "add", "--help"], "en", 0, "Usage:"),
    (["calendar", "is-working", "2026-03-23", "--json"], "en", 0, '"working": false'),
    (["calendar", "add", "2026-03-20", "many"], "kk", 2, "N"),
    (["calendar", "add", "1900-01-01", "1"], "en", 2, "2002"),
], ids=["add-kk", "add-en", "add-help-ru", "add-help-en", "is-working", "bad-number",
        "outside-the-calendar"])
def test_a_calendar_command_loads_no_database_web_or_pydantic(tmp_path, args, lang, code, shown):
    got, out, modules = run(args, tmp_path, lang)
    assert (got, shown in out) == (code, True), out
    assert imported(modules, HEAVY) == []
    assert "workflow.cli.calendar" in modules and "workflow.cli.engine" not in modules


@pytest.mark.parametrize("lang", ["kk", "en"])
def test_the_version_loads_neither_the_calendar_nor_a_command(tmp_path, lang):
    code, out, modules = run(["--version"], tmp_path, lang)
    assert code == 0 and out.startswith("merzim ")
    assert imported(modules, NOT_FOR_THE_VERSION) == []


def test_the_top_level_help_lists_every_command_without_loading_a_database(tmp_path):
    code, out, modules = run(["--help"], tmp_path, "en")
    assert code == 0
    for name in COMMANDS:
        assert f" {name} " in out, name
    assert imported(modules, HEAVY) == []


def test_the_definition_schema_loads_no_database_and_reads_no_definition(tmp_path):
    """The schema is the tables' models' (pydantic), read from no file and no database."""
    code, found_out, found = probe(["process", "schema"], tmp_path, "en")
    assert code == 0 and '"$schema"' in found_out, found_out
    heavy = tuple(p for p in HEAVY if p != "pydantic")
    assert imported(set(found["modules"]), (*heavy, "workflow.i18n.describe")) == []
    assert not found["parsed"]


def test_status_loads_the_database_but_no_web_spreadsheet_scheduler_or_babel(tmp_path):
    code, out, _ = run(["init"], tmp_path, "en")
    assert code == 0, out
    code, out, modules = run(["status", "1"], tmp_path, "en")
    assert code == 4, out  # no analysis 1 yet: found out through the database
    assert "sqlalchemy" in modules and "workflow.services" in modules
    assert imported(modules, ("alembic", "fastapi", "starlette", "jinja2", "openpyxl", "babel",
                              "uvicorn", "apscheduler", "web")) == []


# The service modules that showing one case does not use (the package imports a use case's
# module when the use case is first asked for), argon2, which only accounts need, and on
# SQLite the PostgreSQL dialect (the models name no dialect option: storage/models._partial).
NOT_FOR_STATUS = ("workflow.planning.service", "workflow.planning.bulk", "workflow.services.bulk",
                  "workflow.services.lists", "workflow.services.replanning",
                  "workflow.scorecard.service", "workflow.services.accounts",
                  "workflow.services.users", "workflow.services.obligations",
                  "workflow.services.overview", "workflow.services.search",
                  "workflow.reminders", "argon2", "alembic", "fastapi", "starlette", "jinja2",
                  "openpyxl", "babel", "uvicorn", "apscheduler", "web",
                  "sqlalchemy.dialects.postgresql", "psycopg",
                  # the accounts' queries (services/lookup.py imports them in get_user) and
                  # the file store (services/cases.py imports it to void a record)
                  "workflow.storage.queries.accounts", "workflow.services.files",
                  "workflow.storage.filestore",
                  # the table models a case's timeline does not read (storage/models.py builds
                  # a module's models when one of its names is first asked for)
                  "workflow.storage.models_reminders", "workflow.storage.models_planning",
                  "workflow.storage.models_files", "workflow.storage.models_public",
                  "workflow.storage.models_accounts")


def test_status_of_a_case_loads_only_the_services_that_show_it(tmp_path):
    env = merzim_env(today="2026-11-23")
    built = run_merzim(["init", "--demo"], env=env, cwd=tmp_path)  # in this process: quicker
    assert built.returncode == 0, built.stderr
    code, out, found = probe(["status", "1"], tmp_path, "en")  # a fresh interpreter
    modules = set(found["modules"])
    assert code == 0, out
    assert out.startswith("Analysis #1: State Revenue Department, Almaty region"), out
    assert "Approve the order to conduct the analysis" in out
    assert "workflow.services.case_reading" in modules and "sqlalchemy" in modules
    assert imported(modules, NOT_FOR_STATUS) == []
    # of the 38 table models, those of a case and what its status reads (12: the pending
    # imports among them, which a case of an unfinished import is hidden by)
    assert len(found["tables"]) <= 12, found["tables"]
    # what the command imported was set aside from the collector's passes (cli/common.py,
    # importing()), and the collector runs again after it
    assert found["gc"][0] is True and found["gc"][1] > 10_000, found["gc"]
    # of the ~50 definitions, only the case's own is parsed (the others are indexed by key)
    assert found["parsed"] == ["internal_risk_analysis"]
    code, out, found = probe(["process", "list"], tmp_path, "en")  # every one, checked
    assert code == 0 and "gift" in out, out
    assert len(found["parsed"]) > 40 and "gift" in found["parsed"]


TABLES = """
import json, sys
from sqlmodel import SQLModel
import workflow.storage.models as models
before = sorted(SQLModel.metadata.tables)
case = models.Case  # builds the models of its module only
built = sorted(m for m in sys.modules if m.startswith("workflow.storage.models_"))
models.load_all()
print(json.dumps({"before": before, "built": built, "after": sorted(SQLModel.metadata.tables)}))
"""


def test_the_table_models_are_built_by_module_when_first_named_and_all_by_load_all():
    """`workflow.storage.models` names every table model and builds a module of them when one
    of its names is first asked for; `load_all()` builds them all (what Alembic's environment
    and the schema comparison need). A model added to a `models_*.py` module without its name
    in the facade would be missing from both: this fails. Each model is named as the facade's
    (SQLAlchemy orders a flush's INSERTs of unrelated tables by "module.Class")."""
    import importlib
    from pathlib import Path

    from sqlmodel import SQLModel

    from workflow.storage import models

    result = subprocess.run([sys.executable, "-c", TABLES], capture_output=True, text=True,
                            env=merzim_env(), timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["before"] == [] and found["built"] == ["workflow.storage.models_cases"]
    defined = {}
    for path in sorted(Path(models.__file__).parent.glob("models_*.py")):
        module = importlib.import_module(f"workflow.storage.{path.stem}")
        found_here = {name: value for name, value in vars(module).items()
                      if isinstance(value, type) and issubclass(value, SQLModel)
                      and value is not SQLModel}
        assert {value.__module__ for value in found_here.values()} == {models.__name__}
        defined |= dict.fromkeys(found_here, module.__name__)
    assert defined == models._DEFINED_IN
    assert set(defined) <= set(models.__all__)
    tables = {str(getattr(models, name).__tablename__) for name in defined}
    assert sorted(tables) == found["after"] and len(tables) == len(defined)


# -- the table of modules and commands -------------------------------------------------------


def tree(app: typer.Typer, top: str | None = None) -> list[tuple]:
    """Every command under `top` (all when None): its path, help and parameters."""
    return [(path, cmd.help, [(p.name, p.opts, p.help) for p in cmd.params])
            for path, cmd in walk(typer.main.get_command(app))
            if path and (top is None or path.split()[0] == top)]


def test_every_top_level_command_is_in_the_table_and_built_alone_it_is_whole():
    full = typer.main.get_command(build_app())
    assert sorted(full.commands) == sorted(COMMANDS)
    assert {module for modules in COMMANDS.values() for module in modules} == set(MODULES)
    whole = tree(build_app())
    for name in COMMANDS:
        alone = build_app((name,))
        assert list(typer.main.get_command(alone).commands) == [name]
        assert tree(alone) == [entry for entry in whole if entry[0].split()[0] == name], name


@pytest.mark.parametrize(("argv", "commands"), [
    (["calendar", "add", "2026-01-05", "3"], ("calendar",)),
    (["--lang", "kk", "calendar"], ("calendar",)),
    (["--lang=ru", "status", "1"], ("status",)),
    (["user", "set", "aigerim"], ("user",)),
    (["plan", "export", "1"], ("plan",)),
    (["--version"], ()),
    (["--lang", "kk", "--version"], ()),
    ([], None),
    (["--help"], None),
    (["--help", "calendar"], None),
    (["--lang"], None),
    (["nosuchcommand"], None),
    (["--bogus", "calendar"], None),
    (["--lang", "calendar"], None),  # "calendar" is the language here: click refuses it
])
def test_a_command_line_names_the_commands_it_needs(argv, commands):
    assert commands_for(argv) == commands


def test_main_called_again_keeps_nothing_of_the_previous_call(capsys, monkeypatch, tmp_path):
    """In one process (the tests run many commands so): a --lang, the settings and the help
    panels' titles of one call do not reach the next."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MERZIM_LANG", "en")
    monkeypatch.setenv("COLUMNS", "120")
    for argv, expected in ((["--lang", "ru", "calendar", "add", "--help"], "Аргументы"),
                           (["calendar", "add", "--help"], "Arguments"),
                           (["--lang", "kk", "status"], "'ANALYSIS' аргументі көрсетілмеген."),
                           (["status"], "Missing argument 'ANALYSIS'.")):
        with contextlib.suppress(SystemExit):
            main(argv)
        out = capsys.readouterr()
        assert expected in out.out + out.err, (argv, out)
    monkeypatch.setenv("MERZIM_LANG", "ru")
    with pytest.raises(SystemExit):
        main(["status"])
    assert "Не указан аргумент 'ANALYSIS'." in capsys.readouterr().err
