"""Email reuses one SMTP session across the messages of a dispatch run, against a real SMTP
server (aiosmtpd) on loopback that counts the sessions it serves, on SQLite and PostgreSQL:

* a run of many digests goes over one session, closed (QUIT) when the run ends;
* a server that ends sessions after a few messages (421, as aiosmtpd's command limit does) or
  drops them without a word costs no message: each arrives exactly once, the run reconnects;
* a session dropped after the server took a message but before its reply arrived repeats that
  one message (SMTP cannot tell; at most one repeat per dropped session, same Message-ID);
* a permanent refusal (550) is still permanent, and the session goes on for the next message;
* a server that is gone is a temporary failure for the outbox to retry, as before.

The demo is loaded on 19 March 2025; the messages are the digests of Thursday 20 March 2025.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session

from notifications.channels import Outgoing, PermanentFailure, TemporaryFailure
from notifications.email import EmailChannel, SmtpSettings
from tests.support.digest_helpers import SENDER, expected_ids, plan_digests, rows
from tests.support.features import needs
from tests.support.smtp_server import SmtpSink, _Handler
from workflow.reminders import outbox
from workflow.reminders import planner as reminders
from workflow.settings import NotifySettings

# -- a server that counts its sessions and can end them ------------------------------------------


class _CountingHandler(_Handler):
    """tests.support.smtp_server's handler, plus session counts and ways of ending a session."""

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        sink = self.sink
        with sink.lock:
            sink.mails += 1
            n = sink.mails
        if n in sink.drop_at_mail:  # the connection just goes away, no reply
            server.transport.abort()
            return "421 4.3.0 (never seen: the connection is gone)"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        status = await super().handle_DATA(server, session, envelope)  # the message is kept
        with self.sink.lock:
            self.sink.data += 1
            n = self.sink.data
        if n in self.sink.drop_after_data:  # took the message, then the line dropped
            server.transport.abort()
        return status

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802
        with self.sink.lock:
            self.sink.quits += 1
        return "221 Bye"


class CountingSink(SmtpSink):
    """SmtpSink that counts sessions (connections) and QUITs, and drops sessions on demand.

    drop_at_mail: the n-th MAIL FROM (counted over the server's life) is answered by closing
    the connection; drop_after_data: the n-th message is taken, then the connection closed
    before the reply; command_call_limit={"MAIL": k}: aiosmtpd answers the (k+1)-th MAIL of a
    session with "421 4.7.0 MAIL sent too many times" and closes it.
    """

    def __init__(self, *, drop_at_mail: tuple[int, ...] = (),
                 drop_after_data: tuple[int, ...] = (), **kwargs):
        super().__init__(**kwargs)
        self.lock = threading.Lock()
        self.sessions = self.mails = self.data = self.quits = 0
        self.drop_at_mail, self.drop_after_data = set(drop_at_mail), set(drop_after_data)

    def start(self) -> CountingSink:
        if self._controller is None:
            sink = self

            class _Counting(Controller):
                def factory(self):
                    with sink.lock:
                        sink.sessions += 1
                    return super().factory()

            self._controller = _Counting(_CountingHandler(self), hostname="127.0.0.1",
                                         port=self.port, **self.controller_kwargs)
            self._controller.start()
            with self.lock:  # start() connects once itself to see the server is up
                self.sessions = 0
        return self


@pytest.fixture
def sink():
    servers: list[CountingSink] = []

    def make(**kwargs) -> CountingSink:
        servers.append(CountingSink(**kwargs).start())
        return servers[-1]

    yield make
    for s in servers:
        s.stop()


# -- the outbox: a demo day's digests plus extra managers ----------------------------------------


@pytest.fixture
def digests(db, make_ctx, tmp_path):
    """plan(port, extra) -> NotifySettings; the outbox then holds the day's email digests."""

    def plan(port: int, extra: int = 30) -> NotifySettings:
        return plan_digests(db, make_ctx, tmp_path, port, extra,
                            "backoff_seconds = 0.2\nmax_attempts = 8\nbatch = 20")

    return plan


def dispatch(engine, ns: NotifySettings, channel: EmailChannel,
             clock=None) -> outbox.DispatchStats:
    if clock is None:
        return outbox.dispatch(engine, ns.outbox, {"email": channel}, SENDER)
    return outbox.dispatch(engine, ns.outbox, {"email": channel}, SENDER, clock=clock)


# -- one session for a run ----------------------------------------------------------------------


@needs("planning")
def test_a_run_of_many_digests_goes_over_one_session_closed_at_the_end(db, digests, sink):
    server = sink()
    ns = digests(server.port, extra=40)
    want = expected_ids(db)
    assert len(want) > 40 and len(want) > ns.outbox.batch  # several claimed batches
    channel = EmailChannel(ns.smtp)

    stats = dispatch(db, ns, channel)

    assert stats.sent == len(want) and stats.retried == stats.failed == 0
    assert server.counts() == want  # every digest exactly once
    assert (server.sessions, server.quits, channel.sessions) == (1, 1, 1)
    assert {r.status for r in rows(db)} == {"sent"}
    # The next run opens its own session (the last one was closed with QUIT).
    assert dispatch(db, ns, channel).sent == 0
    assert server.sessions == 1  # nothing due: no session at all


@needs("planning")
def test_a_second_run_opens_a_new_session(db, digests, sink, make_ctx):
    server = sink()
    ns = digests(server.port, extra=5)
    channel = EmailChannel(ns.smtp)
    first = dispatch(db, ns, channel).sent
    with Session(db) as s:  # the next working day's digests
        reminders.plan_reminders(s, make_ctx(date(2025, 3, 26)), ns)
        s.commit()
    second = dispatch(db, ns, channel).sent
    assert first and second
    assert server.counts() == expected_ids(db)
    assert (server.sessions, server.quits) == (2, 2)


# -- sessions that end in the middle of a run -------------------------------------------------------


@needs("planning")
def test_a_server_ending_sessions_after_seven_messages_costs_no_message(db, digests, sink):
    # aiosmtpd's own command limit: the 8th MAIL FROM of a session gets 421 and a hang-up.
    server = sink(command_call_limit={"MAIL": 7, "*": 1000})
    ns = digests(server.port, extra=40)
    want = expected_ids(db)
    channel = EmailChannel(ns.smtp)

    stats = dispatch(db, ns, channel)

    assert stats.sent == len(want) and stats.retried == stats.failed == 0
    assert server.counts() == want  # each exactly once
    sessions = -(-len(want) // 7)
    assert server.sessions == channel.sessions == sessions
    assert {r.status for r in rows(db)} == {"sent"}
    assert all(r.attempts == 1 for r in rows(db))


@needs("planning")
def test_sessions_dropped_without_a_word_cost_no_message(db, digests, sink):
    server = sink(drop_at_mail=(3, 10, 11, 25))  # the 11th: the first MAIL on a new session
    ns = digests(server.port, extra=30)
    want = expected_ids(db)
    channel = EmailChannel(ns.smtp)
    now = [1_750_000_000.0]

    stats = dispatch(db, ns, channel, clock=lambda: now[0])

    # The 10th and the 11th MAIL were the same message on two sessions in a row: it failed
    # twice and went back to the outbox for a retry; every other message arrived once.
    assert (stats.sent, stats.retried, stats.failed) == (len(want) - 1, 1, 0)
    assert server.sessions == 5  # the first, then one after each drop
    waiting = [r for r in rows(db) if r.status == "pending"]
    assert [(r.attempts, "SMTPServerDisconnected" in r.last_error) for r in waiting] == [
        (1, True)]
    now[0] += 1  # its backoff (0.2 s) has passed: the next run sends it
    assert dispatch(db, ns, channel, clock=lambda: now[0]).sent == 1
    assert server.counts() == want  # each exactly once
    assert server.sessions == 6
    assert {r.status for r in rows(db)} == {"sent"}


@needs("planning")
def test_a_session_dropped_after_the_server_took_a_message_repeats_that_one_only(
        db, digests, sink):
    server = sink(drop_after_data=(5, 17))
    ns = digests(server.port, extra=30)
    want = expected_ids(db)
    channel = EmailChannel(ns.smtp)

    stats = dispatch(db, ns, channel)

    assert stats.sent == len(want) and stats.retried == stats.failed == 0
    got = server.counts()
    assert set(got) == set(want)
    repeated = [m for m, n in got.items() if n > 1]
    ids = server.message_ids()
    assert repeated == [ids[4], ids[16]]  # the 5th and the 17th, once more each, same id
    assert all(got[m] == 2 for m in repeated)
    assert server.sessions == 3


# -- refusals and outages -------------------------------------------------------------------------


@needs("planning")
def test_a_permanent_refusal_stays_permanent_and_the_session_goes_on(db, digests, sink):
    server = sink(refuse=("manager3@example.kz",))
    ns = digests(server.port, extra=10)
    channel = EmailChannel(ns.smtp)

    stats = dispatch(db, ns, channel)

    assert stats.failed == 1 and stats.retried == 0
    refused = [r for r in rows(db) if r.address == "manager3@example.kz"]
    assert [(r.status, r.attempts) for r in refused] == [("failed", 1)]
    assert "550" in refused[0].last_error
    assert len(server.messages) == len(rows(db)) - 1
    assert server.sessions == 1  # the refusal did not end the session


def test_a_server_that_is_gone_is_a_temporary_failure_and_the_session_is_retried_once():
    gone = SmtpSink()  # a port nobody listens on
    channel = EmailChannel(SmtpSettings(host="127.0.0.1", port=gone.port, security="none",
                                        sender=SENDER, timeout=2))
    with pytest.raises(TemporaryFailure) as caught:
        channel.send(Outgoing("<m1@example.kz>", "a@example.kz", "s", "t", "<p>t</p>"))
    assert "failed twice" in str(caught.value)
    assert "ConnectionRefusedError" in str(caught.value)
    assert channel.sessions == 0


def test_a_refused_recipient_on_its_own_is_permanent(sink):
    server = sink(refuse=("x@example.kz",))
    with EmailChannel(SmtpSettings(host="127.0.0.1", port=server.port, security="none",
                                   sender=SENDER, timeout=5)) as channel:
        with pytest.raises(PermanentFailure):
            channel.send(Outgoing("<m1@example.kz>", "x@example.kz", "s", "t", "<p>t</p>"))
        channel.send(Outgoing("<m2@example.kz>", "y@example.kz", "s", "t", "<p>t</p>"))
    assert server.message_ids() == ["<m2@example.kz>"]
    assert (server.sessions, server.quits) == (1, 1)


def test_an_old_session_is_replaced_before_the_next_message(sink):
    server = sink()
    now = [1000.0]
    settings = SmtpSettings(host="127.0.0.1", port=server.port, security="none", sender=SENDER,
                            timeout=5, reuse_seconds=300)
    with EmailChannel(settings, clock=lambda: now[0]) as channel:
        for i in range(3):
            channel.send(Outgoing(f"<m{i}@example.kz>", "a@example.kz", "s", "t", "<p>t</p>"))
            now[0] += 200  # the third message finds a session 400 s old
    assert server.wait_for(3)
    assert (server.sessions, server.quits) == (2, 2)
