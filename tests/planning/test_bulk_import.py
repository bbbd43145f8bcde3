"""A schedule import plans thousands of analyses at once without holding the write
lock while it checks them, on SQLite and PostgreSQL.

Every row is checked and planned first (phase 1: reads only), then everything is written in
one short transaction (phase 2). The due dates are the one-by-one path's, because both run
the same checks and the same planner (compared row for row on 1,200 random rows, their cases,
stages, programmes, audit payloads and case pages, in tests/planning/test_bulk_equivalence.py); a
refused row anywhere stores nothing; the audit chain gets one `case.open` record per case and
still verifies.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select, text

from calendars.errors import CalendarError
from tests.support.bulk_helpers import commit, row_choices
from tests.support.databases import dump_tables
from workflow import services as svc
from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.planning import bulk as planning_bulk
from workflow.planning import service as planning_svc
from workflow.storage import audit
from workflow.storage.db import session as open_session
from workflow.storage.db import upgrade
from workflow.storage.models import AuditRecord

TODAY = date(2026, 6, 1)
SEED = 20261201


# -- helpers ------------------------------------------------------------------------------------


def national(s, ctx) -> dict:
    """Five akimats with eight departments each; most departments have an officer (some two),
    some none; a few subjects had an external analysis in 2025."""
    tree: dict = {"subjects": [], "objects": {}, "officers": {}, "external": {}}
    for a in range(5):
        akimat = f"AK{a}"
        svc.add_org(s, ctx, akimat, f"Akimat {a}", "akimat")
        tree["subjects"].append(akimat)
        tree["objects"][akimat] = [akimat]
        for d in range(8):
            dept = f"{akimat}-D{d}"
            svc.add_org(s, ctx, dept, f"Department {a}.{d}", "department", akimat)
            tree["subjects"].append(dept)
            tree["objects"][dept] = [dept]
            tree["objects"][akimat].append(dept)
            if d % 4 != 3:
                logins = [f"officer-{a}-{d}-{k}" for k in range(1 + d % 2)]
                for login in logins:
                    svc.add_user(s, ctx, login, f"Officer {login}", "officer", dept)
                tree["officers"][dept] = logins
            if d % 5 == 1:
                completed = date(2025, 3 + d, 15)
                planning_svc.add_external(s, ctx, dept, completed, "Agency report")
                tree["external"][dept] = completed
    return tree


def random_rows(tree: dict, n: int, seed: int = SEED) -> list[planning_bulk.AnalysisRow]:
    """Valid rows: starts over 2025-2027 (weekends included), 40 % with an explicit end (some
    longer than 30 working days), responsible officers named or not, the one-year rule
    overridden with a reason where it would refuse the row, and a second analysis of the same
    subject and object confirmed with a reason where it may overlap an earlier row (a period
    without an end counted as 60 days, longer than any 30 working days: a reason where there
    is no duplicate is ignored)."""
    rng = random.Random(seed)
    rows = []
    periods: dict[tuple[str, str], list[tuple[date, date]]] = {}
    for i in range(n):
        subject = rng.choice(tree["subjects"])
        obj = rng.choice(tree["objects"][subject])
        start = date(2025, 1, 1) + timedelta(days=rng.randrange(3 * 365))
        end = start + timedelta(days=rng.randrange(0, 70)) if rng.random() < 0.4 else None
        ext = tree["external"].get(subject)
        follow_up = ext is not None and start < ext.replace(year=ext.year + 1)
        reason, responsible, duplicate = row_choices(rng, tree, periods, subject, obj, start, end,
                                                     follow_up)
        rows.append(planning_bulk.AnalysisRow(i + 2, subject, obj, start, end, reason, responsible,
                                              duplicate))
    return rows


class Statements:
    """The SQL statements an engine sends, by kind, in order (a `before_cursor_execute`
    listener): SELECT, INSERT, UPDATE, DELETE or OTHER; a PostgreSQL `COPY ... FROM STDIN`
    (how the bulk path inserts there) counts as an INSERT."""

    def __init__(self, eng):
        self.eng, self.kinds, self.texts = eng, [], []

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        word = statement.lstrip().split(None, 1)[0].upper()
        if word == "COPY" and "FROM STDIN" in statement.upper():
            word, statement = "INSERT", "INSERT INTO " + statement.split(None, 1)[1]
        self.kinds.append(word if word in ("SELECT", "INSERT", "UPDATE", "DELETE") else "OTHER")
        self.texts.append(" ".join(statement.split()))

    def __enter__(self):
        event.listen(self.eng, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.eng, "before_cursor_execute", self._seen)

    def writes(self) -> list[int]:
        return [i for i, k in enumerate(self.kinds) if k in ("INSERT", "UPDATE", "DELETE")]


@pytest.fixture
def ctx(make_ctx):
    return make_ctx(TODAY, actor="cli:planner")


def national_world(engine) -> dict:
    """The "bulk-national" template recipe: a migrated database in which `national` was built
    (one unit of work, as the planner on TODAY); its tree. Built once per test process and
    backend, copied for each test that uses `tree` (TEMPLATE_RECIPES, conftest)."""
    from calendars import KazakhstanCalendar
    from workflow.definitions import load_definition

    upgrade(engine)
    ctx = svc.Context(KazakhstanCalendar(), load_definition(), TODAY, actor="cli:planner",
                      language="en")
    return commit(engine, lambda s: national(s, ctx))


TEMPLATE_RECIPES = {"tree": ("bulk-national", national_world)}


@pytest.fixture
def tree(db_built) -> dict:
    """`national`'s tree, built in the test's database (a copy of the "bulk-national"
    template)."""
    return db_built[1]


def test_rows_of_a_subject_with_a_programme_reuse_it_and_new_years_get_one(db, ctx, tree):
    first = planning_bulk.AnalysisRow(2, "AK0-D0", "AK0-D0", date(2026, 3, 2))
    commit(db, lambda s: planning_bulk.plan_analyses(s, ctx, [first]))
    again = [planning_bulk.AnalysisRow(2, "AK0-D0", "AK0-D0", date(2026, 9, 1)),
             planning_bulk.AnalysisRow(3, "AK0-D0", "AK0-D0", date(2027, 3, 1)),
             planning_bulk.AnalysisRow(4, "AK0-D0", "AK0-D0", date(2027, 9, 1))]
    commit(db, lambda s: planning_bulk.plan_analyses(s, ctx, again))
    with open_session(db) as s:
        org = svc.get_org(s, "AK0-D0")
        progs = svc.programmes_under(s, org)
        assert [(p.year, n) for p, _, n in progs] == [(2027, 2), (2026, 2)]
        for prog, _, _ in progs:  # each programme has its schedule stage, once
            assert svc.programme_stage(s, ctx, prog) is not None


# -- validate first, then write in one short transaction ----------------------------------------


def test_every_write_comes_after_every_row_is_checked_and_the_writes_are_few(db, ctx, tree):
    rows = random_rows(tree, 500, seed=SEED + 1)
    with open_session(db) as s, Statements(db) as sent:
        checked = planning_bulk.check_analyses(s, ctx, rows)
        phase1 = len(sent.kinds)
        planning_bulk.write_analyses(s, ctx, checked)
        s.commit()
    assert sent.writes(), sent.kinds
    # phase 1 reads only, in a few queries whatever the number of rows
    assert set(sent.kinds[:phase1]) == {"SELECT"} and phase1 <= 10, sent.kinds[:phase1]
    # phase 2: the lock, the same few reads again, then bulk inserts (not one per row)
    first_write = min(sent.writes())
    assert first_write > phase1
    assert len(sent.kinds) - phase1 < 40, collections.Counter(t[:60] for t in sent.texts)
    assert all(k == "SELECT" or k == "OTHER" for k in sent.kinds[phase1:first_write])


def test_the_whole_import_in_one_call_sends_no_write_before_its_last_check(db, ctx, tree):
    """plan_analyses as one call: the statement stream is reads, then writes; after the first
    write only the audit chain's tail is read (under the lock taken before the writes)."""
    rows = random_rows(tree, 300, seed=SEED + 2)
    with open_session(db) as s, Statements(db) as sent:
        planning_bulk.plan_analyses(s, ctx, rows)
        s.commit()
    first = min(sent.writes())
    later_reads = [t for k, t in zip(sent.kinds[first:], sent.texts[first:], strict=True)
                   if k == "SELECT"]
    assert all("FROM audit_log" in t or "pg_advisory_xact_lock" in t for t in later_reads), \
        later_reads
    tables = {t.split("INSERT INTO ", 1)[1].split()[0].strip('"') for k, t in
              zip(sent.kinds, sent.texts, strict=True) if k == "INSERT"}
    assert tables <= {"programme", "stage", "process_case", "audit_log", "process_definition",
                      "list_version", "open_stage_count"}


@pytest.mark.parametrize("bad, error, fragment", [
    (planning_bulk.AnalysisRow(0, "AK1-D2", "NOPE", date(2026, 3, 2)), NotFound, "NOPE"),
    (planning_bulk.AnalysisRow(0, "AK1-D2", "AK1-D2", date(2026, 3, 2), date(2026, 2, 27)),
     RuleViolation, "before start"),
    (planning_bulk.AnalysisRow(0, "AK1-D1", "AK1-D1", date(2026, 3, 2)), RuleViolation,
     "external analysis rule"),
    (planning_bulk.AnalysisRow(0, "AK1-D2", "AK1-D2", date(2026, 3, 2), responsible="officer-0-0-0"),
     RuleViolation, "another organisation"),
    (planning_bulk.AnalysisRow(0, "AK1-D2", "AK1-D2", date(2026, 3, 2), responsible="nobody"),
     NotFound, "nobody"),
    (planning_bulk.AnalysisRow(0, "AK1-D2", "AK1-D2", date(2030, 12, 1)), CalendarError, "outside"),
])
def test_a_refused_last_row_stores_nothing_and_sends_no_write(db, ctx, tree, bad, error,
                                                               fragment):
    rows = random_rows(tree, 400, seed=SEED + 3)
    bad = planning_bulk.AnalysisRow(len(rows) + 2, *[getattr(bad, f) for f in (
        "subject", "object", "start", "end", "override_reason", "responsible")],
        duplicate_reason="A random row may overlap it")  # refused for its own fault only
    before = dump_tables(db)
    with open_session(db) as s, Statements(db) as sent:
        with pytest.raises(svc.RowRefused) as refused:
            planning_bulk.plan_analyses(s, ctx, [*rows, bad])
        s.rollback()
    assert refused.value.row == bad.row and isinstance(refused.value.error, error)
    assert refused.value.exit_code == getattr(error, "exit_code", UsageError.exit_code)
    assert fragment in str(refused.value.error), refused.value.error
    assert sent.writes() == [], sent.kinds
    assert dump_tables(db) == before


def test_what_another_writer_changed_between_the_phases_is_planned_with(db, ctx, tree):
    """Phase 2 reads the facts again under the lock: an external analysis added meanwhile
    refuses the row it concerns, and nothing is written."""
    rows = [planning_bulk.AnalysisRow(2, "AK2-D0", "AK2-D0", date(2026, 9, 1)),
            planning_bulk.AnalysisRow(3, "AK2-D2", "AK2-D2", date(2026, 9, 1))]
    before = dump_tables(db)
    with open_session(db) as s:
        checked = planning_bulk.check_analyses(s, ctx, rows)
        commit(db, lambda other: planning_svc.add_external(other, ctx, "AK2-D2", date(2026, 2, 1)))
        changed = dump_tables(db)
        with pytest.raises(svc.RowRefused) as refused:
            planning_bulk.write_analyses(s, ctx, checked)
        s.rollback()
    assert refused.value.row == 3 and refused.value.error.key == "rule.external_year"
    assert changed != before and dump_tables(db) == changed


# -- the audit chain ---------------------------------------------------------------------------


def test_the_audit_chain_gets_one_case_open_record_per_case_in_row_order_and_verifies(
        db, ctx, tree):
    rows = random_rows(tree, 300, seed=SEED + 4)
    planned = commit(db, lambda s: planning_bulk.plan_analyses(s, ctx, rows))
    commit(db, lambda s: planning_svc.plan_analysis(s, ctx, "AK3-D0", "AK3-D0", date(2026, 9, 1)))
    with open_session(db) as s:
        result = audit.verify(s)
        opened = list(s.exec(select(AuditRecord).where(
            AuditRecord.action == "case.open").order_by(AuditRecord.id)).scalars())
    assert result.ok, result
    assert [r.entity_id for r in opened[:-1]] == [str(p.analysis.id) for p in planned]
    assert {r.actor for r in opened} == {"cli:planner"}
    first = json.loads(opened[0].payload)
    assert first["subject"] == rows[0].subject and first["start"] == rows[0].start.isoformat()
    assert set(first) == {"process", "version", "subject", "object", "dates", "period",
                          "fields", "person", "start", "end", "override_reason", "warnings"}


# -- the command line ---------------------------------------------------------------------------


def _schedule(path: Path, rows: list[planning_bulk.AnalysisRow], extra: str = "") -> str:
    lines = ["subject,object,start,end,override_reason,responsible,duplicate_reason"]
    lines += [f"{r.subject},{r.object},{r.start},{r.end or ''},{r.override_reason or ''},"
              f"{r.responsible or ''},{r.duplicate_reason or ''}" for r in rows]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return str(path)


def test_cli_import_refuses_a_bad_row_in_one_line_and_plans_a_good_file(
        db, ctx, tree, merzim_db, tmp_path):
    rows = random_rows(tree, 300, seed=SEED + 5)
    before = dump_tables(db)
    env = {"today": TODAY.isoformat()}
    cases = [  # the file, its exit code, what the one line names
        (_schedule(tmp_path / "nope.csv", rows, "AK0,NOPE,2026-03-02,,,\n"), 4,
         ["Row 302", "NOPE"]),
        (_schedule(tmp_path / "order.csv", rows[:5], "AK0,NOPE,2026-03-02,,,\n"
                   "AK0,AK0,31.02.2026,,,\n"), 4, ["Row 7", "NOPE"]),
        (_schedule(tmp_path / "date.csv", rows[:5], "AK0,AK0,31.02.2026,,,\n"
                   "AK0,NOPE,2026-03-02,,,\n"), 2, ["Row 7", "31.02.2026"]),
        (_schedule(tmp_path / "calendar.csv", rows[:5], "AK0,AK0,2031-03-03,,,\n"), 2,
         ["Row 7", "2031"]),
    ]
    for path, code, fragments in cases:
        run = merzim_db("analysis", "import", path, **env)
        assert run.returncode == code, (run.returncode, run.stdout, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in run.stderr and run.stdout == "", run.stderr
        for fragment in fragments:
            assert fragment in lines[0], (fragment, lines[0])
    assert dump_tables(db) == before

    good = _schedule(tmp_path / "good.csv", rows)
    run = merzim_db("analysis", "import", good, "--json", **env)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    out = json.loads(run.stdout)
    assert list(out) == ["planned"]
    assert [p["row"] for p in out["planned"]] == list(range(2, 302))
    assert all(set(p) == {"row", "id", "warnings"} for p in out["planned"])
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM process_case")).scalar() == 300
    verify = merzim_db("audit", "verify", "--json")
    assert verify.returncode == 0 and json.loads(verify.stdout)["ok"], verify.stdout
    again = [dataclasses.replace(r, duplicate_reason="Planned again") for r in rows[:2]]
    shown = merzim_db("analysis", "import", _schedule(tmp_path / "two.csv", again), **env)
    assert shown.returncode == 0 and "2 analyses planned." in shown.stdout, shown


def test_cli_import_reads_an_office_russian_schedule_as_it_is(db, ctx, tree, merzim_db,
                                                             tmp_path):
    """The office's own schedule: a "№ п/п" column, the definition's Russian labels in any
    case, ";" between cells, dates as dd.mm.yyyy: planned as the keys' file would be, the
    running number named as not imported."""
    rows = random_rows(tree, 6, seed=SEED + 9)
    lines = ["№ п/п;ОРГАНИЗАЦИЯ;объект;Начало анализа;Окончание  анализа;override_reason;"
             "Ответственный сотрудник;duplicate_reason"]
    lines += [f"{i};{r.subject};{r.object};{r.start:%d.%m.%Y};"
              f"{r.end.strftime('%d.%m.%Y') if r.end else ''};{r.override_reason or ''};"
              f"{r.responsible or ''};{r.duplicate_reason or ''}" for i, r in enumerate(rows, 1)]
    path = tmp_path / "график.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = merzim_db("analysis", "import", str(path), "--json", today=TODAY.isoformat(),
                    lang="ru")
    assert run.returncode == 0, run.stderr
    assert "“№ п/п”" in run.stderr and "Traceback" not in run.stderr
    planned = json.loads(run.stdout)["planned"]
    assert [p["row"] for p in planned] == list(range(2, 8))
    with open_session(db) as s:
        opened = {int(r.entity_id): json.loads(r.payload) for r in s.scalars(
            select(AuditRecord).where(AuditRecord.action == "case.open"))}
    assert [(opened[p["id"]]["subject"], opened[p["id"]]["start"]) for p in planned] == [
        (r.subject, r.start.isoformat()) for r in rows]
    assert [opened[p["id"]]["end"] for p in planned if rows[p["row"] - 2].end] == [
        r.end.isoformat() for r in rows if r.end]


def test_an_import_without_rows_stores_nothing(db, ctx, tree):
    before = dump_tables(db)
    assert commit(db, lambda s: planning_bulk.plan_analyses(s, ctx, [])) == []
    assert dump_tables(db) == before
