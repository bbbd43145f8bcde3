"""The audit chain holds when many threads and processes append at once (SQLite and PostgreSQL).

Before the fix, two users downloading exports in a loop on SQLite forked the chain: both read
the same tail, both appended after it, and `audit verify` reported tampering from then on.
"""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import workflow.kept  # noqa: F401  (every append is handed to the kept figures)
from workflow.storage import audit
from workflow.storage.db import make_engine
from workflow.storage.models import AuditRecord

THREADS, PROCESSES, EACH = 6, 4, 25


def _append_many(url: str, who: str, n: int) -> None:
    """One writer: its own engine, one transaction per record (like one request each)."""
    eng = make_engine(url)
    try:
        for i in range(n):
            with Session(eng) as s:
                audit.append(s, who, "export.overdue", "organisation", "MF", {"i": i})
                s.commit()
    finally:
        eng.dispose()


def _chain_is_whole(url: str, expected: int) -> None:
    eng = make_engine(url)
    try:
        with Session(eng) as s:
            result = audit.verify(s)
            assert result.ok, result
            assert result.checked == expected
            distinct = s.exec(select(func.count(func.distinct(AuditRecord.prev_hash)))).one()
            assert distinct == expected  # no two records share a predecessor
    finally:
        eng.dispose()


def test_threads_appending_at_once_keep_one_chain(db_url):
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            _append_many(db_url, f"web:user{k}", EACH)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _chain_is_whole(db_url, THREADS * EACH)


@pytest.mark.slow
def test_processes_appending_at_once_keep_one_chain(db_url):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(db_url, f"cli:p{k}", EACH))
             for k in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    _chain_is_whole(db_url, PROCESSES * EACH)


def test_an_append_after_other_writes_in_its_transaction_still_serialises(db_url):
    """A use case writes first (the row it changes), then appends: the tail is read under the lock."""
    from workflow.storage.models import Organisation

    errors: list[BaseException] = []

    def run(k: int) -> None:
        eng = make_engine(db_url)
        try:
            for i in range(10):
                with Session(eng) as s:
                    s.add(Organisation(code=f"T{k}-{i}", name="x", kind="akimat", path="/"))
                    s.flush()
                    audit.append(s, f"t{k}", "org.add", "organisation", f"T{k}-{i}", {})
                    s.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            eng.dispose()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _chain_is_whole(db_url, 40)


def test_a_fork_cannot_be_stored(db):
    with Session(db) as s:
        first = audit.append(s, "test", "a", "x", 1, {})
        s.commit()
        s.add(AuditRecord(at=first.at, actor="intruder", action="b", entity="x", entity_id="2",
                          payload="{}", prev_hash=first.prev_hash, hash="f" * 64))
        with pytest.raises(IntegrityError):
            s.commit()


@pytest.mark.slow
def test_a_log_forked_before_the_upgrade_keeps_its_records_and_refuses_new_forks(tmp_path):
    from alembic import command

    from tests.support.databases import dump_tables
    from workflow.storage.db import alembic_config, upgrade

    eng = make_engine(f"sqlite:///{tmp_path / 'forked.db'}")
    command.upgrade(alembic_config(eng), "0004")
    with Session(eng) as s:  # two records after one predecessor, as the old race stored them
        for who in ("web:a", "web:b"):
            s.add(AuditRecord(at="t", actor=who, action="export", entity="x", entity_id="1",
                              payload="{}", prev_hash=audit.GENESIS, hash=who * 8))
        s.commit()
    before = dump_tables(eng)["audit_log"]
    upgrade(eng)
    assert dump_tables(eng)["audit_log"] == before
    with Session(eng) as s:
        rec = audit.append(s, "test", "a", "x", 1, {})
        s.commit()
        s.add(AuditRecord(at="t", actor="intruder", action="b", entity="x", entity_id="2",
                          payload="{}", prev_hash=rec.prev_hash, hash="f" * 64))
        with pytest.raises(IntegrityError):
            s.commit()
    eng.dispose()


@pytest.mark.slow
def test_several_merzim_processes_writing_at_once_leave_audit_verify_intact(merzim_db, db_url):
    """The acceptance check: concurrent writers from several processes (the CLI here), then
    `merzim audit verify` passes."""
    from concurrent.futures import ThreadPoolExecutor

    assert merzim_db("init").returncode == 0
    assert merzim_db("org", "add", "ROOT", "--name", "Root", "--kind", "akimat").returncode == 0

    def add(i: int):
        return merzim_db("org", "add", f"O{i}", "--name", f"Org {i}", "--kind", "department",
                         "--parent", "ROOT")

    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(add, range(12)))
    assert [r.returncode for r in runs] == [0] * 12, [r.stderr for r in runs if r.returncode]
    run = merzim_db("audit", "verify")
    assert run.returncode == 0, run.stderr
    assert "13 records checked" in run.stdout  # init writes none; ROOT and the twelve
