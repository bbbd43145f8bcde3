"""The outbox under failure, against a real SMTP server (aiosmtpd) on loopback:

* the SMTP server is down for a while: rows wait with a growing backoff, and every message
  arrives exactly once when it is back;
* a row that keeps failing becomes `failed`, is shown by `merzim outbox` and sent again after
  `merzim outbox retry`;
* a worker killed with SIGKILL in the middle of dispatching is restarted: every message
  arrives, at most one of them twice; SIGTERM stops a worker cleanly;
* two workers on one PostgreSQL never send a message twice, and two planners write each
  outbox row once (SQLite runs a single worker: those tests are skipped there).

The demo is loaded on 19 March 2025; the messages are the digests of Thursday 20 March 2025.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from notifications.email import EmailChannel
from tests.support.cli_runner import SCRIPT, merzim_env, run_merzim
from tests.support.digest_helpers import demo_with_managers
from tests.support.features import needs
from tests.support.races import in_threads
from tests.support.smtp_server import SmtpSink
from workflow.reminders import outbox
from workflow.reminders import planner as reminders
from workflow.settings import load_notify_settings, load_settings
from workflow.storage.db import make_engine
from workflow.storage.models import AuditRecord, OutboxMessage

WORKDAY = date(2025, 3, 20)  # the demo is loaded the day before (tests/support/digest_helpers.py)
SENDER = "merzim@example.kz"


# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def demo(db, make_ctx):
    """The demo plus `extra` managers of the Almaty region akimat (each gets a digest)."""

    def load(extra: int = 0) -> None:
        demo_with_managers(db, make_ctx, extra)

    return load


def write_config(tmp_path: Path, port: int, **sections: dict) -> Path:
    """A config file for email to 127.0.0.1:`port`; `sections` add or override keys."""
    base = {
        "reminders": {"channels": ["email"]},
        "email": {"host": "127.0.0.1", "port": port, "security": "none", "from": SENDER,
                  "timeout": 5},
        "outbox": {"backoff_seconds": 0.2, "max_backoff_seconds": 30, "max_attempts": 8},
    }
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    lines = []
    for name, values in base.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
        lines.append("")
    cfg = tmp_path / "merzim-outbox.toml"
    cfg.write_text("\n".join(lines), encoding="utf-8")
    return cfg


def settings(cfg: Path):
    return load_notify_settings(load_settings(path=cfg, env={}), env={})


def plan(engine, make_ctx, ns, day: date = WORKDAY) -> list[int]:
    with Session(engine) as s:
        rows = reminders.plan_reminders(s, make_ctx(day), ns)
        s.commit()
        return [r.id for r in rows]


def rows_by_id(engine) -> dict[int, OutboxMessage]:
    with Session(engine) as s:
        return {r.id: r for r in s.exec(select(OutboxMessage).order_by(OutboxMessage.id))}


def expected_ids(engine) -> set[str]:
    return {outbox.message_id(r, SENDER) for r in rows_by_id(engine).values()
            if r.channel == "email"}


def cli_env(db_url: str, config: Path | None, today: date | None = WORKDAY) -> dict[str, str]:
    return merzim_env(db_url=db_url, today=today, config=config)


def cli(db_url: str, *args: str, config: Path | None = None, cwd: Path) -> dict:
    proc = run_merzim(args, env=cli_env(db_url, config), cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def spawn(db_url: str, *args: str, config: Path, log: Path) -> subprocess.Popen:
    """Start `merzim ARGS` in the background, its output in `log`."""
    with log.open("ab") as out:
        return subprocess.Popen([str(SCRIPT), *args], cwd=log.parent,
                                env=cli_env(db_url, config), stdout=out, stderr=out)


@contextlib.contextmanager
def worker(db_url: str, config: Path, log: Path) -> Iterator[subprocess.Popen]:
    """`merzim worker` running in the background, its output in `log`; killed on leaving if
    it is still running."""
    proc = spawn(db_url, "worker", config=config, log=log)
    try:
        yield proc
    finally:
        stop(proc)


def workers_once(db_url: str, config: Path, logs: list[Path]) -> list[dict]:
    """`merzim worker --once --json` started at once in as many processes as `logs`, each
    writing to its log, which must all exit 0: what each said."""
    procs = [spawn(db_url, "worker", "--once", "--json", config=config, log=log) for log in logs]
    try:
        assert [p.wait(120) for p in procs] == [0] * len(procs), [lg.read_text() for lg in logs]
    finally:
        for p in procs:
            stop(p)
    return [json.loads(lg.read_text()) for lg in logs]


def wait_until(predicate, timeout: float, what: str, step: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


# -- an SMTP outage ------------------------------------------------------------------------------


@needs("planning")
def test_outage_backoff_then_each_message_once(db, demo, make_ctx, tmp_path):
    demo()
    sink = SmtpSink()  # its port is chosen but nothing listens yet: connections are refused
    ns = settings(write_config(tmp_path, sink.port))
    ids = plan(db, make_ctx, ns)
    assert len(ids) >= 5
    channels = {"email": EmailChannel(ns.smtp)}
    now = [1_750_000_000.0]
    t0 = now[0]

    def dispatch():
        return outbox.dispatch(db, ns.outbox, channels, SENDER, clock=lambda: now[0])

    delays = []
    # due at t0, then 0.2 s and 0.4 s after each attempt (a millisecond of slack each time)
    for attempt, at in ((1, 0.0), (2, 0.201), (3, 0.602)):
        now[0] = t0 + at - 0.05  # just before: nothing is due yet (except the first round)
        if attempt > 1:
            assert dispatch().retried == 0
        now[0] = t0 + at
        stats = dispatch()
        assert (stats.sent, stats.retried, stats.failed) == (0, len(ids), 0)
        rows = rows_by_id(db)
        for row in rows.values():
            assert (row.status, row.attempts) == ("pending", attempt)
            assert row.last_error.startswith("SMTP ") and "refused" in row.last_error.lower()
        delays.append({round(r.next_attempt_at - now[0], 6) for r in rows.values()})
    assert delays == [{0.2}, {0.4}, {0.8}]  # exponential: 0.2 s doubling

    sink.start()  # the server is back, on the same port
    try:
        now[0] = t0 + 1.5  # the last attempt was at t0 + 0.602, plus 0.8
        stats = dispatch()
        assert (stats.sent, stats.retried, stats.failed) == (len(ids), 0, 0)
        assert sink.counts() == Counter({mid: 1 for mid in expected_ids(db)})
        assert {(r.status, r.attempts, r.last_error) for r in rows_by_id(db).values()} == {
            ("sent", 4, None)}
        now[0] += 3600
        assert dispatch().sent == 0 and len(sink.messages) == len(ids)
    finally:
        sink.stop()


@needs("planning")
def test_refused_recipient_fails_at_once(db, demo, make_ctx, tmp_path):
    demo()
    with SmtpSink(refuse=("asel@example.kz",)) as sink:
        ns = settings(write_config(tmp_path, sink.port))
        ids = plan(db, make_ctx, ns)
        stats = outbox.dispatch(db, ns.outbox, {"email": EmailChannel(ns.smtp)}, SENDER)
        assert (stats.sent, stats.failed, stats.retried) == (len(ids) - 1, 1, 0)
        failed = [r for r in rows_by_id(db).values() if r.status == "failed"]
        assert [(r.address, r.attempts) for r in failed] == [("asel@example.kz", 1)]
        assert "refused" in failed[0].last_error
        assert "asel@example.kz" not in {m.rcpt_tos[0] for m in sink.messages}


@needs("planning")
def test_failed_rows_are_shown_and_retried_by_the_operator(db, db_url, demo, make_ctx, tmp_path):
    demo()
    sink = SmtpSink()
    cfg = write_config(tmp_path, sink.port, outbox={"max_attempts": 3, "backoff_seconds": 0.2})
    ns = settings(cfg)
    ids = plan(db, make_ctx, ns)
    channels = {"email": EmailChannel(ns.smtp)}
    now = [1_750_000_000.0]
    for step in (0.0, 0.25, 0.45):  # three attempts, after backoffs of 0.2 and 0.4 s
        now[0] += step
        outbox.dispatch(db, ns.outbox, channels, SENDER, clock=lambda: now[0])
    now[0] += 3600
    assert outbox.dispatch(db, ns.outbox, channels, SENDER, clock=lambda: now[0]).retried == 0

    shown = cli(db_url, "outbox", "--json", cwd=tmp_path)["messages"]
    assert sorted(m["id"] for m in shown) == sorted(ids)
    for m in shown:
        assert (m["status"], m["attempts"], m["channel"], m["day"]) == ("failed", 3, "email",
                                                                         WORKDAY.isoformat())
        assert m["error"].startswith("SMTP ") and "refused" in m["error"].lower()

    assert cli(db_url, "outbox", "retry", "--json", cwd=tmp_path) == {"requeued": len(ids)}
    with sink:
        run = cli(db_url, "worker", "--once", "--json", config=cfg, cwd=tmp_path)
        assert (run["planned"], run["sent"], run["failed"]) == (0, len(ids), 0)
        assert sink.counts() == Counter({mid: 1 for mid in expected_ids(db)})
    assert {r.status for r in rows_by_id(db).values()} == {"sent"}


@needs("planning")
def test_retry_goes_to_the_corrected_address_and_is_audited(db, db_url, demo, make_ctx, tmp_path):
    """The operator fixes a refused address with `merzim user set --email` and retries: the
    message goes to the new address. A recipient left without an address stays failed."""
    demo()
    with SmtpSink(refuse=("asel@example.kz", "marat@example.kz")) as sink:
        cfg = write_config(tmp_path, sink.port)
        ns = settings(cfg)
        plan(db, make_ctx, ns)
        outbox.dispatch(db, ns.outbox, {"email": EmailChannel(ns.smtp)}, SENDER)
        failed = {r.address: r.id for r in rows_by_id(db).values() if r.status == "failed"}
        assert set(failed) == {"asel@example.kz", "marat@example.kz"}

        cli(db_url, "user", "set", "asel", "--email", "asel.n@example.kz", "--json", cwd=tmp_path)
        cli(db_url, "user", "set", "marat", "--email", "", "--json", cwd=tmp_path)
        assert cli(db_url, "outbox", "retry", "--json", cwd=tmp_path) == {"requeued": 1}
        rows = rows_by_id(db)
        assert (rows[failed["asel@example.kz"]].status,
                rows[failed["asel@example.kz"]].address) == ("pending", "asel.n@example.kz")
        assert rows[failed["marat@example.kz"]].status == "failed"

        run = cli(db_url, "worker", "--once", "--json", config=cfg, cwd=tmp_path)
        assert (run["sent"], run["failed"]) == (1, 0)
        assert sink.messages[-1].rcpt_tos == ("asel.n@example.kz",)
    with Session(db) as s:
        (record,) = s.exec(select(AuditRecord).where(AuditRecord.action == "outbox.retry")).all()
        assert record.entity_id == "*" and json.loads(record.payload) == {"ids": [], "n": 1}


# -- crashes -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_mid_dispatch_then_restart(db, db_url, demo, make_ctx, tmp_path):
    """`merzim worker` (APScheduler, batch 1, lease 2 s) against a server that takes 0.3 s per
    message is killed with SIGKILL after a few messages; restarted, it sends the rest. Every
    message arrives, at most one twice (the one whose send was interrupted)."""
    demo(extra=6)
    with Session(db) as s:
        ns_probe = settings(write_config(tmp_path, 25))
        n = len(reminders.preview(s, make_ctx(WORKDAY), ns_probe))
    assert n >= 10
    with SmtpSink(delay=0.3) as sink:
        cfg = write_config(tmp_path, sink.port, outbox={"batch": 1, "lease_seconds": 2},
                           worker={"dispatch_seconds": 0.2, "catch_up_minutes": 60})
        log = tmp_path / "worker.log"
        with worker(db_url, cfg, log) as first:
            wait_until(lambda: len(sink.messages) >= 3, 60, "3 messages from the first worker")
            first.send_signal(signal.SIGKILL)
            assert first.wait(10) == -signal.SIGKILL
        rows = rows_by_id(db)
        assert len(rows) == n  # the first worker planned everything before it died
        assert sum(r.status == "sent" for r in rows.values()) < n, "killed too late"

        with worker(db_url, cfg, log) as second:
            wait_until(lambda: all(r.status == "sent" for r in rows_by_id(db).values()), 60,
                       "every row sent after the restart")
            second.send_signal(signal.SIGTERM)
            assert second.wait(15) == 0, log.read_text()
        counts = sink.counts()
        expected = expected_ids(db)
        assert set(counts) == expected, "every message arrives, nothing else"
        assert sum(c - 1 for c in counts.values()) <= 1, f"repeated: {counts}"
        assert "worker stopped" in log.read_text()


@pytest.mark.slow
def test_sigterm_mid_dispatch_stops_cleanly(db, db_url, demo, make_ctx, tmp_path):
    """SIGTERM while a backlog is being sent: the worker finishes the message in hand, claims
    no more and exits 0 within seconds, leaving no row half-sent; `worker --once` then sends
    the rest, nothing twice."""
    demo(extra=6)
    with SmtpSink(delay=0.3) as sink:
        cfg = write_config(tmp_path, sink.port, outbox={"batch": 1},
                           worker={"dispatch_seconds": 0.2, "catch_up_minutes": 60})
        log = tmp_path / "worker.log"
        with worker(db_url, cfg, log) as proc:
            wait_until(lambda: len(sink.messages) >= 2, 60, "2 messages")
            proc.send_signal(signal.SIGTERM)
            started = time.monotonic()
            assert proc.wait(10) == 0, log.read_text()
            assert time.monotonic() - started < 8  # the message in hand, then exit
        assert "worker stopped" in log.read_text()
        rows = rows_by_id(db).values()
        statuses = Counter(r.status for r in rows)
        assert set(statuses) == {"sent", "pending"} and statuses["pending"] > 0, statuses
        assert statuses["sent"] == len(sink.messages) == len(set(sink.message_ids()))

        rest = cli(db_url, "worker", "--once", "--json", config=cfg, cwd=tmp_path)
        assert rest["sent"] == statuses["pending"]
        assert sink.counts() == Counter({mid: 1 for mid in expected_ids(db)})


# -- several workers on one database ------------------------------------------------------------


def _postgres_only(db_url: str) -> None:
    # On SQLite two planners racing both insert the same key and the second fails with an
    # IntegrityError (no row is written twice, but that worker's cycle stops).
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL (FOR UPDATE SKIP LOCKED, advisory lock); "
                    "SQLite runs a single worker")


def test_two_worker_processes_send_each_message_once(db, db_url, demo, make_ctx, tmp_path):
    _postgres_only(db_url)
    demo(extra=8)
    with SmtpSink(delay=0.3) as sink:
        cfg = write_config(tmp_path, sink.port, outbox={"batch": 1})
        ids = plan(db, make_ctx, settings(cfg))
        assert len(ids) >= 10
        results = workers_once(db_url, cfg, [tmp_path / f"w{i}.json" for i in range(2)])
        assert sum(r["sent"] for r in results) == len(ids), results
        assert sink.counts() == Counter({mid: 1 for mid in expected_ids(db)})
        assert {r.status for r in rows_by_id(db).values()} == {"sent"}


def test_two_dispatchers_share_the_rows(db, db_url, demo, make_ctx, tmp_path):
    """Two dispatchers with engines of their own, started together, both send and no
    message twice (rows claimed with FOR UPDATE SKIP LOCKED)."""
    _postgres_only(db_url)
    demo(extra=8)
    with SmtpSink(delay=0.2) as sink:
        ns = settings(write_config(tmp_path, sink.port, outbox={"batch": 1}))
        ids = plan(db, make_ctx, ns)
        results: dict[int, outbox.DispatchStats] = {}
        start = threading.Barrier(2)

        def run(k: int) -> None:
            engine = make_engine(db_url)
            try:
                start.wait()
                results[k] = outbox.dispatch(engine, ns.outbox, {"email": EmailChannel(ns.smtp)},
                                             SENDER)
            finally:
                engine.dispose()

        in_threads(run, 2, 60)
        assert results[0].sent > 0 and results[1].sent > 0, results
        assert results[0].sent + results[1].sent == len(ids)
        assert sink.counts() == Counter({mid: 1 for mid in expected_ids(db)})


def test_concurrent_planners_write_each_row_once(db, db_url, demo, make_ctx, tmp_path):
    """Two `worker --once` processes plan the same day at the same time (the SMTP server is
    down, so the rows stay pending): each outbox row is written once."""
    _postgres_only(db_url)
    demo(extra=8)
    cfg = write_config(tmp_path, SmtpSink().port, outbox={"backoff_seconds": 600})
    with Session(db) as s:
        n = len(reminders.preview(s, make_ctx(WORKDAY), settings(cfg)))
    results = workers_once(db_url, cfg, [tmp_path / f"p{i}.json" for i in range(2)])
    assert sum(r["planned"] for r in results) == n, results
    rows = rows_by_id(db).values()
    keys = [(r.recipient_id, r.channel, r.local_day, r.digest) for r in rows]
    assert len(keys) == len(set(keys)) == n


def test_a_planner_holding_the_lock_keeps_others_out(db, db_url, demo, make_ctx, tmp_path):
    """While another planner holds the PostgreSQL advisory lock, a worker plans nothing; once
    it is released, the next cycle plans the day."""
    _postgres_only(db_url)
    demo()
    cfg = write_config(tmp_path, SmtpSink().port, outbox={"backoff_seconds": 600})
    with db.connect() as conn:
        assert conn.execute(text("SELECT pg_try_advisory_lock(:k, hashtext(current_schema()))"),
                            {"k": reminders.PLANNER_LOCK}).scalar()
        try:
            blocked = cli(db_url, "worker", "--once", "--json", config=cfg, cwd=tmp_path)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k, hashtext(current_schema()))"),
                         {"k": reminders.PLANNER_LOCK})
    assert blocked["planned"] == 0 and rows_by_id(db) == {}
    assert len(plan(db, make_ctx, settings(cfg))) == len(rows_by_id(db)) > 0  # lock released
