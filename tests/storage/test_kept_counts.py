"""The counts kept by the writes (workflow/kept/counts.py) equal a recount of the stages after
random writes -- cases opened, events recorded and voided, stages closed as not done, cases
withdrawn and restored, dates corrected, register files imported (one rolled back unfinished),
a re-planning -- and so do the
overdue and due counts the lists read from them, on SQLite and PostgreSQL; two writers at once
on PostgreSQL leave them exact; `merzim audit recount` counts them again."""

from __future__ import annotations

import importlib
import json
import random
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, text, update
from sqlmodel import Session, col, select

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import commit
from tests.support.cli_runner import wide_cli
from tests.support.random_writes import COI, TODAY, RandomWrites, gift_rows
from tests.support.register_rows import interrupted_import
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.imports import registers as ri
from workflow.kept import counts as kept
from workflow.services import lists
from workflow.storage.db import session as open_session
from workflow.storage.models import OPEN, AuditRecord, OpenStageCount, Stage, table_of

CAL = KazakhstanCalendar()
REGISTRY = load_registry()
ORGS = (("AK", None), ("AK-EDU", "AK"), ("AK-HEALTH", "AK"), ("AK-EDU-SCH", "AK-EDU"),
        ("MF", None))


def ctx_of(today: date = TODAY, actor: str = "test") -> svc.Context:
    return svc.Context(CAL, REGISTRY, today, actor=actor, language="en")


def world(s: Session) -> None:
    ctx = ctx_of()
    for code, parent in ORGS:
        svc.add_org(s, ctx, code, code, "akimat" if parent is None else "department", parent)
    svc.add_user(s, ctx, "asel", "Asel", "officer", "AK-EDU")


def live(s: Session, ctx: svc.Context, org: str | None, process: str | None = None
         ) -> tuple[dict[str, int], int]:
    """The overdue stages by path and the stages due within 5 working days, counted from the
    stages (what the lists counted before the counts were kept)."""
    by_path = lists._count_by_path(s, org, lists._past_due(s, ctx, process))
    due = lists._count_rows(s, org, lists._due_conditions(ctx, 5, process))
    return by_path, due


def assert_exact(eng) -> None:
    """The kept rows equal a recount, and the lists' counts read from them equal the counts
    of the stages, for several days and subtrees."""
    with open_session(eng) as s:
        assert kept.differences(s) == []
        for today in (TODAY - timedelta(days=20), TODAY, TODAY + timedelta(days=40)):
            ctx = ctx_of(today)
            for org in (None, "AK", "AK-EDU", "MF"):
                for process in (None, COI):
                    by_path, due = live(s, ctx, org, process)
                    assert lists.count_overdue_by_path(s, ctx, org, process=process) == by_path
                    assert lists.count_overdue(s, ctx, org, process=process) == sum(
                        by_path.values())
                    assert lists.count_due(s, ctx, org, 5, process=process) == due


class Writer(RandomWrites):
    """The random writes of the counts' tests: in AK's subtree and MF; now and then a
    re-planning, which counts every organisation again."""

    def __init__(self, eng, rng: random.Random):
        super().__init__(eng, rng, ("AK-EDU", "AK-HEALTH", "AK-EDU-SCH", "MF"),
                         lambda: ctx_of(TODAY, actor="cli:test"))

    def replan(self, s, ctx):
        svc.replan_all(s, ctx)

    def actions(self):
        return [self.replan] if self.rng.random() < 0.03 else [*super().actions(),
                                                               self.imports, self.not_done]


@pytest.mark.parametrize("seed", [7, 2026])
def test_kept_counts_equal_a_recount_after_random_writes(db, seed):
    commit(db, world)
    writer = Writer(db, random.Random(seed))
    done = writer.run(60, lambda n, done: assert_exact(db), every=15, imports_every=20)
    assert {"open", "record", "withdraw", "imports", "not_done"} <= set(done)
    with open_session(db) as s:  # the writes left overdue stages to count
        assert lists.count_overdue(s, ctx_of(), "AK") > 0


def test_an_unfinished_import_is_counted_when_it_ends_and_not_after_its_roll_back(
        db, monkeypatch):
    """The stages of an unfinished import are in no count until it is resumed; rolled back,
    they are in none."""
    commit(db, world)
    rows = gift_rows(random.Random(3), 30)
    monkeypatch.setattr(ri, "BATCH", 10)
    stopped = interrupted_import(db, rows, "gift", monkeypatch, after=1,
                                 ctx=ctx_of(actor="cli:importer"))
    with open_session(db) as s:
        assert lists.count_overdue(s, ctx_of(), "AK") == 0
    assert_exact(db)
    with open_session(db) as s:
        ri.roll_back(s, ctx_of(actor="cli:importer"), "gift", stopped["id"])
        s.commit()
    assert_exact(db)
    with open_session(db) as s:
        ri.import_file(s, ctx_of(actor="cli:importer"), "gift", rows)
        s.commit()
        assert lists.count_overdue(s, ctx_of(), "AK") > 0
    assert_exact(db)


def test_a_stage_changed_behind_merzims_back_is_found_and_the_recount_mends_it(
        db, db_url, tmp_path):
    """The check tells a kept row that differs from a recount; `merzim audit recount` counts
    them again and says how many differed, in the reader's language (the operator's mend
    after a restore of an older backup)."""
    commit(db, world)
    writer = Writer(db, random.Random(11))
    for _ in range(5):
        with open_session(db) as s:
            writer.open(s, ctx_of())
            s.commit()
    with open_session(db) as s:  # not through merzim: no write noted it
        s.execute(update(Stage).where(col(Stage.status) == OPEN).values(
            due_date=TODAY - timedelta(days=400)))
        s.commit()
    with open_session(db) as s:
        differed = len(kept.differences(s))
    assert differed > 0
    run = wide_cli(db_url, tmp_path, TODAY)
    code, out, err = run("audit", "recount", "--json")
    assert (code, json.loads(out), err) == (0, {"differed": differed}, "")
    assert_exact(db)
    for lang, words in (("en", "rows that differed: 0"), ("ru", "расходившихся строк: 0"),
                        ("kk", "сәйкес келмеген жолдар: 0")):
        code, out, err = run("audit", "recount", lang=lang)
        assert (code, err) == (0, "") and words in out, out
    with open_session(db) as s:  # each recount is in the audit chain, with what it found
        assert [r.payload for r in s.exec(select(AuditRecord).where(
            AuditRecord.action == "counts.recount").order_by(col(AuditRecord.id)))] == [
            f'{{"differed":{differed}}}', '{"differed":0}', '{"differed":0}', '{"differed":0}']


def test_two_writers_at_once_keep_the_counts_exact(db):
    """PostgreSQL: two writers open and record cases of the same organisations at the same
    time; the counts stay equal to a recount."""
    if db.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite has one writer)")
    commit(db, world)
    first = Writer(db, random.Random(0))  # the definitions stored before the race (each once)
    assert [first.step(first.open), first.step(first.imports)] == ["open", "imports"]
    errors: list[BaseException] = []
    written: list[str] = []
    barrier = threading.Barrier(2)

    def run(seed: int) -> None:
        try:
            writer = Writer(db, random.Random(seed))
            barrier.wait()
            for n in range(30):  # every other write opens a case
                written.append(writer.step(writer.open if n % 2 else None))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(seed,)) for seed in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert written.count("open") >= 10
    assert_exact(db)


def test_the_migration_fills_the_counts_of_a_database_it_upgrades(db):
    """Migration 0033 fills the table from the stages it finds (the stages of an unfinished
    import left out): what a recount gives."""
    commit(db, world)
    writer = Writer(db, random.Random(5))
    for n in range(12):
        writer.step(writer.imports if n % 4 == 3 else None)
    fill = importlib.import_module("workflow.storage.migrations.versions.0033_open_stage_count")
    with open_session(db) as s:
        assert kept.differences(s) == []
        s.execute(delete(table_of(OpenStageCount)))
        s.commit()
    with open_session(db) as s:
        assert kept.differences(s)
        s.execute(text(fill.FILL))
        s.commit()
    assert_exact(db)


def test_a_writes_commit_adds_changes_and_removes_its_organisations_rows(db):
    """A write's commit makes its organisations' rows equal a recount -- a day's row added,
    its count moved up and down, the row gone when its last stage goes -- and moves the
    versions of its scopes with them: on PostgreSQL in one statement (kept/commit.py), on
    SQLite in three (the rows removed, counted, the versions moved)."""
    from sqlalchemy import event

    commit(db, world)
    sent: list[str] = []

    def kept_statement(_conn, _cursor, statement, *_args) -> None:
        if "open_stage_count" in statement or "list_version" in statement:
            sent.append(statement)

    def write(do) -> None:
        with open_session(db) as s:
            got = do(s, ctx_of())
            sent.clear()
            event.listen(db, "before_cursor_execute", kept_statement)
            try:
                s.commit()
            finally:
                event.remove(db, "before_cursor_execute", kept_statement)
            assert len(sent) == (1 if db.dialect.name == "postgresql" else 3), sent
            return got

    def opened(s, ctx):
        return svc.open_case(s, ctx, COI, "AK-HEALTH", person="P",
                             dates={"notified": TODAY - timedelta(days=30)}).id

    def rows() -> list[tuple]:
        with open_session(db) as s:
            org = svc.get_org(s, "AK-HEALTH")
            return sorted(s.execute(select(OpenStageCount.due_date, OpenStageCount.n).where(
                OpenStageCount.subject_id == org.id)).all())

    first = write(opened)
    once = rows()
    assert once and all(n == 1 for _, n in once)
    assert_exact(db)
    second = write(opened)  # the same days: each row's count moves to 2
    assert rows() == [(day, 2) for day, _ in once]
    assert_exact(db)
    write(lambda s, ctx: svc.withdraw_case(s, ctx, second, "opened twice"))
    assert rows() == once
    write(lambda s, ctx: svc.withdraw_case(s, ctx, first, "opened by mistake"))
    assert rows() == []  # the last stages gone: their rows too
    assert_exact(db)
