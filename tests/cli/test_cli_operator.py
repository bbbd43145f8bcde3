"""The command line as the operator's tool: the audit names the operating-
system user whatever the environment claims, an unknown event is a usage error that lists the
events by name, a period may be typed in lower case, and exports take `ID FILE` / `ORG FILE`.

The installed `merzim` runs as a subprocess on SQLite and PostgreSQL, on the demo data.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import inspect, text

from tests.support.cli_demo_helpers import DEMO_DAY, demo_loaded, init_demo
from tests.support.cli_runner import ok
from tests.support.databases import database_from_template, dump_tables, postgres_schema
from tests.support.features import needs
from workflow.storage.db import make_engine

TODAY = DEMO_DAY  # the day the template's demo was loaded on
OS_USER = pwd.getpwuid(os.geteuid()).pw_name


@pytest.fixture
def run(tmp_path: Path, db_url):
    """`run(*args, lang="en", **env)`: merzim on the test database, today pinned, with extra
    environment variables (USER, MERZIM_ACTOR…)."""
    from tests.support.cli_runner import Merzim

    workdir = tmp_path / "cwd-operator"
    workdir.mkdir(exist_ok=True)
    merzim = Merzim(workdir, db_url=db_url, today=TODAY, env={"COLUMNS": "200"})

    def call(*args: str, lang: str = "en", **extra: str):
        return merzim(*args, lang=lang, env=extra)

    return call


@pytest.fixture
def db_built(backend, tmp_path):
    """This module's database: a copy of the "cli-demo" template, what `merzim init --demo`
    stores on TODAY (tests/support/cli_demo_helpers.py: built once per test process and backend,
    instead of `init --demo` before every test; the first test below checks the copy)."""
    with database_from_template(backend, tmp_path, recipe=demo_loaded,
                                recipe_name="cli-demo") as built:
        yield built


@pytest.fixture
def demo(db_built) -> dict:
    """The demo, loaded in the test's database: what `init --demo --json` printed."""
    return db_built[1]


def one_line(result, code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def last_actor(engine) -> tuple[str, str]:
    with engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT actor, action FROM audit_log ORDER BY id DESC LIMIT 1")).one())


# -- the demo the tests start from -----------------------------------------------------------

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def without_stamps(engine) -> dict[str, list[tuple]]:
    """Every row of every table (tests.support.databases.dump_tables), the moments stamped when a row was
    written (date-times, ISO date-time texts) and the audit chain's hashes (over those moments)
    as "<stamp>", password hashes (of random passwords, salted at random) as "<password>"."""
    out = {}
    for table, rows in dump_tables(engine).items():
        names = [c["name"] for c in inspect(engine).get_columns(table)]
        out[table] = [tuple(
            "<stamp>" if isinstance(v, datetime) or (isinstance(v, str) and STAMP.match(v))
            or (table == "audit_log" and name in ("prev_hash", "hash"))
            else "<password>" if isinstance(v, str) and v.startswith("$argon2") else v
            for name, v in zip(names, row, strict=True)) for row in rows]
    return out


def sequences(engine) -> dict[str, tuple]:
    """PostgreSQL: where each sequence of the schema stands (the next id a table hands out)."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        return {name: (value,) for name, value in conn.execute(text(
            "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = current_schema()"))}


def test_the_demo_template_is_what_init_demo_stores_on_an_empty_database(
        backend, tmp_path, db_url, demo, run):
    """A copy of the "cli-demo" template against `merzim init --demo` run on an empty database
    of the same backend: what it printed, every row (the clock's columns aside), the ids, the
    sequences' positions; and the copy's audit chain verifies."""
    direct = contextlib.nullcontext(f"sqlite:///{tmp_path / 'direct.db'}") \
        if backend == "sqlite" else postgres_schema("merzim_direct")
    with direct as url:
        printed = init_demo(url, tmp_path)
        # the demo's web accounts get random passwords: the same accounts
        accounts = printed["demo"].pop("accounts")
        assert set(accounts) == set(demo["demo"]["accounts"])
        assert printed == {**demo, "demo": {k: v for k, v in demo["demo"].items()
                                            if k != "accounts"}}
        assert demo["demo"]["entries"] > 0
        built, copied = make_engine(url), make_engine(db_url)
        try:
            rows = without_stamps(copied)
            assert rows == without_stamps(built)
            assert rows["process_case"] and rows["audit_log"]
            assert sequences(copied) == sequences(built)
        finally:
            built.dispose()
            copied.dispose()
    assert json.loads(ok(run("audit", "verify", "--json")))["ok"] is True


# -- the audit's actor ------------------------------------------------------------------------


@needs("planning")
def test_the_audit_names_the_operating_system_user_whatever_the_environment_claims(
        run, demo, engine):
    ok(run("external", "add", "--subject", "AK-ALM", "--completed", "2025-01-10",
           USER="mallory", LOGNAME="mallory"))
    assert last_actor(engine) == (f"cli:{OS_USER}", "external.add")
    # MERZIM_ACTOR only says on whose behalf; the operating-system user stays the actor
    ok(run("external", "add", "--subject", "AK-ALM", "--completed", "2025-02-10",
           MERZIM_ACTOR="aigerim", USER="aigerim"))
    assert last_actor(engine) == (f"cli:{OS_USER} (for aigerim)", "external.add")
    ok(run("user", "revoke", "asel", MERZIM_ACTOR="x\x1b[2Jy" + "z" * 200))
    actor, action = last_actor(engine)
    assert action == "user.revoke" and actor.startswith(f"cli:{OS_USER} (for x[2Jyzzz")
    assert actor.isprintable() and actor.endswith("z)") and len(actor) <= 100
    ok(run("user", "revoke", "asel", MERZIM_ACTOR=OS_USER))
    assert last_actor(engine) == (f"cli:{OS_USER}", "user.revoke")


# -- unknown events, periods ------------------------------------------------------------------


@needs("planning")
def test_an_unknown_event_exits_2_naming_the_events_in_the_readers_language(run, demo, engine):
    before = dump_tables(engine)
    line = one_line(run("record", "1", "party", "--date", "2026-11-02"), 2)
    assert "party" in line and "«Order approved» (order)" in line
    assert "«Analytic note signed» (analytic_note)" in line
    ru = one_line(run("record", "1", "party", "--date", "2026-11-02", lang="ru"), 2)
    assert "Неизвестное событие party" in ru and "Приказ утверждён" in ru
    kk = one_line(run("record", "1", "party", "--date", "2026-11-02", lang="kk"), 2)
    assert "party" in kk and "» (order)" in kk and "Order approved" not in kk
    # a case that does not exist is still "not found", before any event is looked at
    assert "9999" in one_line(run("record", "9999", "party", "--date", "2026-11-02"), 4)
    assert dump_tables(engine) == before


@needs("planning")
@needs("monitoring")  # the `merzim monitoring` commands and its stages
def test_a_period_is_accepted_in_lower_case(run, demo):
    periods = json.loads(ok(run("monitoring", "periods", "1", "--json")))["periods"]
    pending = next(p["period"] for p in periods if p["received_on"] is None)
    assert pending == "2026N1"
    ok(run("record", "1", "monitoring_report", "--date", "2026-11-19", "--period", "2026n1",
           "--number", "12"))
    ok(run("record", "1", "monitoring_review", "--date", "2026-11-20", "--number", "13",
           "--evidence", "period= 2026n1 "))
    after = {p["period"]: p for p in json.loads(ok(run("monitoring", "periods", "1",
                                                       "--json")))["periods"]}
    assert (after["2026N1"]["received_on"], after["2026N1"]["reviewed_on"]) == (
        "2026-11-19", "2026-11-20")
    line = one_line(run("record", "1", "monitoring_report", "--date", "2026-11-20",
                        "--period", "2026q9", "--number", "1"), 3)
    assert "2026Q9" in line


# -- argument shapes --------------------------------------------------------------------------


@needs("planning")
@needs("monitoring")  # the `merzim plan` and `org subdivision` commands
def test_plan_export_and_import_take_the_id_then_the_file(run, demo, tmp_path):
    out = tmp_path / "plan.csv"
    ok(run("plan", "export", "1", str(out)))
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "measure,completion_form,deadline,responsible,person,recommendation"
    # the exported file imports again, into another analysis
    again = tmp_path / "again.csv"
    again.write_text(header + "\nTrain the staff,Letter,2026-12-30,Legal unit,,\n",
                     encoding="utf-8")
    ok(run("org", "subdivision", "AK-ALM-EDU", "Legal unit"))  # the object of analysis 2
    ok(run("org", "subdivision", "AK-ALM", "Legal unit"))
    assert json.loads(ok(run("plan", "import", "2", str(again), "--json")))["imported"] == 1
    ok(run("plan", "export", "2", str(out)))
    assert "Train the staff,Letter,2026-12-30,Legal unit" in out.read_text(encoding="utf-8-sig")
    # an external analysis's plan: --external ID FILE
    ext = json.loads(ok(run("external", "add", "--subject", "AK-ALM", "--completed",
                            "2025-06-15", "--json")))["id"]
    ok(run("plan", "import", "--external", str(ext), str(again)))
    ext_out = tmp_path / "ext.xlsx"
    ok(run("plan", "export", "--external", str(ext), str(ext_out)))
    assert [c.value for c in next(load_workbook(ext_out).active.iter_rows(min_row=2))][:2] == [
        "Train the staff", "Letter"]
    # mistakes of shape are usage errors
    assert "FILE" in one_line(run("plan", "export", "1"), 2)
    assert "--external" in one_line(run("plan", "export", str(out)), 2)
    assert "--external" in one_line(run("plan", "export", "1", str(out), "--analysis", "1"), 2)


@needs("monitoring")  # the `merzim plan` and `positions` commands
def test_the_older_shapes_still_work_with_a_note(run, demo, tmp_path):
    out = tmp_path / "old.csv"
    result = run("plan", "export", str(out), "--analysis", "1")
    assert result.returncode == 0 and out.exists()
    assert result.stderr.splitlines() == [
        "merzim plan export FILE --analysis ID is deprecated: use merzim plan export ID FILE."]
    xlsx = tmp_path / "positions.xlsx"
    result = run("positions", "export", "AK-ALM", "--file", str(xlsx))
    assert result.returncode == 0 and xlsx.exists()
    assert "merzim positions export ORG FILE" in result.stderr
    ru = run("plan", "export", str(out), "--analysis", "1", lang="ru")
    assert ru.returncode == 0 and "merzim plan export ID FILE" in ru.stderr
    assert "deprecated" not in ru.stderr


@needs("monitoring")  # the `merzim positions` commands
def test_positions_export_takes_the_organisation_then_the_file(run, demo, tmp_path):
    ok(run("positions", "add", "2", "--position", "Chief specialist", "--subdivision",
           "Procurement", "--risk", "Collusion"))
    xlsx = tmp_path / "positions.xlsx"
    shown = ok(run("positions", "export", "AK-ALM", str(xlsx)))
    rows = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    # headed in the reader's language; a risk named in words the note lacks: no number
    assert rows[0] == ("Organisation", "Analysis", "Position", "Subdivision",
                       "Risk No. in the note", "Corruption risk", "List approved on")
    assert [r[1:6] for r in rows[1:]] == [(2, "Chief specialist", "Procurement", None,
                                           "Collusion")]
    assert "Chief specialist" in shown
    assert json.loads(ok(run("positions", "export", "AK-ALM", "--json")))["org"] == "AK-ALM"
