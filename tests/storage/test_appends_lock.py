"""PostgreSQL: a transaction that writes takes the appends' lock (storage/audit.py `serialise`)
before its first write, so that two writers never wait for each other: one that had updated a
stage and then waited for the lock held by another, which in turn waited for that stage, was a
deadlock (a re-planning updating every stage before appending; a record flushing its stage
before the chain's tail is read). Every statement that writes a table of the chain's writes,
in random writes of every kind the kept figures' tests draw (the re-planning among them), is
sent with the lock held; the tables that writes without a record keep (sessions, the outbox's
marks, the kept figures themselves) are the declared exceptions."""

from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import event
from sqlmodel import SQLModel

from tests.support.bulk_helpers import commit
from tests.support.person_figures import FigureWriter, world
from workflow import services as svc
from workflow.storage import audit

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)
_HELD = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
         "AND pid = pg_backend_pid() AND classid::bigint = %s")


class EveryWriter(FigureWriter):
    """The kept figures' writes with the counts' own: the re-planning, stages not done."""

    def replan(self, s, ctx):
        svc.replan_all(s, ctx)

    def actions(self):
        return [*super().actions(), self.replan, self.not_done]


def test_every_write_of_the_chains_tables_is_sent_under_the_appends_lock(db):
    if db.dialect.name != "postgresql":
        pytest.skip("the appends' advisory lock is PostgreSQL's (SQLite has one writer)")
    commit(db, world)
    assert set(SQLModel.metadata.tables) >= audit.UNCHAINED, "an exception names no table"
    free = audit.UNCHAINED
    unlocked: list[str] = []
    written: set[str] = set()

    def check(conn, cursor, statement, parameters, context, executemany):
        found = _WRITE.match(statement)
        if found is None or found.group(1) in free:
            return
        table = found.group(1)
        written.add(table)
        held = cursor.connection.execute(_HELD, (audit.LOCK_ID,)).fetchone()[0]
        if not held:
            unlocked.append(f"{table}: {statement[:80]}")

    event.listen(db, "before_cursor_execute", check)
    try:
        writer = EveryWriter(db, random.Random(11))
        done = writer.run(70, lambda n, done: None, imports_every=15)
        for action in (writer.replan, writer.not_done, writer.open, writer.record,
                       writer.entry, writer.view):
            done.append(writer.step(action))
    finally:
        event.remove(db, "before_cursor_execute", check)
    assert unlocked == [], sorted(set(unlocked))[:10]
    assert {"replan", "not_done", "open", "record", "imports", "entry", "view"} <= set(done), done
    assert {"stage", "process_case", "audit_log"} <= written, written
