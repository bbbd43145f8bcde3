"""The connections a dispatch run keeps (workflow/reminders/outbox.py: `Claims`, `Marks`),
against a real SMTP server on loopback, on SQLite and PostgreSQL:

* each claim is one `UPDATE … RETURNING`; where the database cannot return rows from an
  UPDATE (SQLite before 3.35) the claim reads them back by its token, with the same outcome;
* a claim returns the columns a send needs with their types (a date, not SQLite's text);
* the marks' or the claims' connection ended by the server in the middle of a run
  (PostgreSQL: `pg_terminate_backend`) is replaced once: every message arrives once and
  every row ends 'sent'.

The demo is loaded on 19 March 2025; the messages are the digests of Thursday 20 March 2025.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, select

from notifications.channels import Outgoing
from notifications.email import EmailChannel
from tests.smtp_server import SmtpSink
from workflow import services as svc
from workflow.reminders import outbox
from workflow.reminders import planner as reminders
from workflow.settings import NotifySettings, load_notify_settings, load_settings
from workflow.storage.models import OutboxMessage

LOADED, WORKDAY = date(2025, 3, 19), date(2025, 3, 20)
SENDER = "merzim@example.kz"


@pytest.fixture
def server():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def digests(db, make_ctx, tmp_path):
    """plan(port, extra) -> NotifySettings; the outbox then holds the day's email digests."""

    def plan(port: int, extra: int = 25) -> NotifySettings:
        from workflow.services.demo import load_demo

        cfg = tmp_path / "merzim.toml"
        cfg.write_text(f"""
[reminders]
channels = ["email"]
[email]
host = "127.0.0.1"
port = {port}
security = "none"
from = "{SENDER}"
timeout = 5
[outbox]
batch = 10
""", encoding="utf-8")
        ns = load_notify_settings(load_settings(path=cfg, env={}), env={})
        ctx = make_ctx(LOADED)
        with Session(db) as s:
            load_demo(s, ctx)
            for i in range(extra):
                svc.add_user(s, ctx, f"manager{i}", f"Manager {i}", "manager", "AK-ALM",
                             f"manager{i}@example.kz", "en")
            s.commit()
        with Session(db) as s:
            reminders.plan_reminders(s, make_ctx(WORKDAY), ns)
            s.commit()
        return ns

    return plan


def rows(engine) -> list[OutboxMessage]:
    with Session(engine) as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")
                           .order_by(OutboxMessage.id)))


def expected_ids(engine) -> Counter[str]:
    return Counter(outbox.message_id(r, SENDER) for r in rows(engine))


class Ending(EmailChannel):
    """The email channel; after its `at`-th message, `end()` runs once (between that send and
    its mark)."""

    def __init__(self, settings, at: int, end):
        super().__init__(settings)
        self.at, self.end, self.n = at, end, 0

    def send(self, msg: Outgoing) -> None:
        super().send(msg)
        self.n += 1
        if self.n == self.at:
            self.end()


def test_a_claim_returns_the_columns_a_send_needs_typed(db, digests, server):
    ns = digests(server.port, extra=3)
    claims = outbox.Claims(db)
    try:
        got = claims.claim(ns.outbox, 1e12, uuid.uuid4().hex, ("email",))
    finally:
        claims.close()
    want = [r for r in rows(db)][:ns.outbox.batch]
    assert [r.id for r in got] == [r.id for r in want]  # the oldest first
    for g, w in zip(got, want, strict=True):
        assert (g.local_day, g.address, g.subject, g.body_text, g.body_html, g.attempts,
                g.recipient_id, g.stages) == (w.local_day, w.address, w.subject, w.body_text,
                                              w.body_html, 0, w.recipient_id, w.stages)
        assert isinstance(g.local_day, date)
        assert outbox.message_id(g, SENDER) == outbox.message_id(w, SENDER)
    assert {r.status for r in rows(db) if r.id in {g.id for g in got}} == {"sending"}


def test_a_database_without_update_returning_claims_the_same(db, digests, server,
                                                             monkeypatch):
    ns = digests(server.port)
    want = expected_ids(db)
    monkeypatch.setattr(db.dialect, "update_returning", False)  # SQLite before 3.35

    stats = outbox.dispatch(db, ns.outbox, {"email": EmailChannel(ns.smtp)}, SENDER)

    assert stats.sent == sum(want.values()) > ns.outbox.batch
    assert server.counts() == want
    assert {r.status for r in rows(db)} == {"sent"}


@pytest.mark.parametrize("which", ["marks", "claims"])
def test_a_connection_ended_by_the_server_mid_run_is_replaced(db, digests, server, which):
    if db.dialect.name != "postgresql":
        pytest.skip("the server ending a connection: PostgreSQL (pg_terminate_backend)")
    pids: list[int] = []  # the backends of this test's engine, in the order they connected

    @event.listens_for(db, "connect")
    def _backend(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("SELECT pg_backend_pid()")
        pids.append(cur.fetchone()[0])
        cur.close()
        dbapi_conn.rollback()

    ns = digests(server.port)
    want = expected_ids(db)
    ended: list[bool] = []

    def end() -> None:  # the run's connection whose last statement was a claim, or a mark
        last = "UPDATE outbox SET status = 'sending'%" if which == "claims" else (
            "UPDATE outbox SET status = $1%")
        with db.connect() as conn:
            ended.extend(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid = ANY(:pids) AND pid <> pg_backend_pid() AND query LIKE :last"),
                {"pids": pids, "last": last}).scalars())
            conn.commit()

    # the 12th send: in the second claimed batch (of 10), after both connections were used
    stats = outbox.dispatch(db, ns.outbox, {"email": Ending(ns.smtp, 12, end)}, SENDER)

    assert ended == [True]  # the one connection, in the middle of the run
    assert stats.sent == sum(want.values())
    assert server.counts() == want  # each once: nothing lost, nothing repeated
    assert {r.status for r in rows(db)} == {"sent"}
