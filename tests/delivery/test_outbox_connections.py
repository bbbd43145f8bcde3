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
from datetime import date

import pytest
from sqlalchemy import event, text

from notifications.channels import Outgoing
from notifications.email import EmailChannel
from tests.support.digest_helpers import SENDER, expected_ids, plan_digests, rows
from tests.support.features import needs
from tests.support.smtp_server import SmtpSink
from workflow.reminders import outbox
from workflow.settings import NotifySettings


@pytest.fixture
def server():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def digests(db, make_ctx, tmp_path):
    """plan(port, extra) -> NotifySettings; the outbox then holds the day's email digests."""

    def plan(port: int, extra: int = 25) -> NotifySettings:
        return plan_digests(db, make_ctx, tmp_path, port, extra, "batch = 10")

    return plan


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


@needs("planning")
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


@needs("planning")
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
