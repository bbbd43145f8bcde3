"""One Telegram poller at a time: several workers on one database poll
`getUpdates` only while they hold the poller's lease (a row of `lease`), each update is handled
in one transaction with the stored offset (handled once even if two pollers overlap), and when
the holder dies its lease expires and another worker takes over: no update handled twice or
lost. Two `merzim worker` processes against tests/support/fake_telegram.py; one is killed (SIGKILL)."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from notifications.render import link_reply
from notifications.telegram import TelegramChannel, TelegramSettings
from tests.support.databases import dump_tables
from tests.support.fake_telegram import FakeBotApi
from tests.support.processes import SCRIPT, env_for, terminate
from tests.support.smtp_server import write_config
from workflow.reminders.telegram_link import (
    LEASE,
    create_link,
    poll_updates,
    release_lease,
    take_lease,
)
from workflow.storage.models import Lease, User

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
def api():
    with FakeBotApi(TOKEN) as fake:
        yield fake


def test_the_lease_is_held_by_one_renewed_and_taken_over_when_it_expires(db):
    t = 1_800_000_000.0
    assert take_lease(db, "a", 10, now=t)
    assert not take_lease(db, "b", 10, now=t + 1)
    assert take_lease(db, "a", 10, now=t + 9)  # renewed: until t + 19
    assert not take_lease(db, "b", 10, now=t + 18)
    assert take_lease(db, "b", 10, now=t + 19.5)  # a stopped renewing: b takes over
    assert not take_lease(db, "a", 10, now=t + 20)
    release_lease(db, "b")
    assert take_lease(db, "a", 10, now=t + 21)
    with Session(db) as s:
        assert s.get(Lease, LEASE).holder == "a"


def test_a_poller_without_the_lease_does_not_poll_and_no_update_is_handled_twice(db, api,
                                                                                 make_ctx):
    from workflow.services.demo import load_demo

    with Session(db) as s:
        load_demo(s, make_ctx(date(2026, 2, 4)))
        code = create_link(s, s.exec(select(User).where(User.login == "asel")).one(), "test")
        s.commit()
    channel = TelegramChannel(TelegramSettings(token=TOKEN, base_url=api.base_url,
                                               rate_per_second=200))
    api.queue_update(41, f"/start {code}")
    assert take_lease(db, "b", 60)
    assert poll_updates(db, channel, holder="a") == 0 and api.offsets == []  # b holds it
    # a poller that read the same update before the other committed it (b's lease lapsed
    # meanwhile): the stored offset is beyond it, so it is not handled again, no reply sent
    assert poll_updates(db, channel, holder="b") == 1
    handled = _stored_offset(db) - 1
    stale = StaleApi([{"update_id": handled,
                       "message": {"text": f"/start {code}", "chat": {"id": 41}}}])
    before = dump_tables(db)
    assert poll_updates(db, stale) == 0 and stale.replies == []
    assert dump_tables(db) == before
    assert len(api.sent_to(41)) == 1


class StaleApi:
    """A Bot API that answers getUpdates with what it was given (as a poller that read before
    another committed would see), and keeps the replies."""

    def __init__(self, updates: list[dict]):
        self.updates, self.replies = updates, []

    def get_updates(self, offset):
        return self.updates

    def reply(self, chat: str, text: str) -> None:
        self.replies.append((chat, text))


def _stored_offset(db) -> int:
    with Session(db) as s:
        return int(s.exec(text("SELECT value FROM worker_state WHERE key = 'telegram_offset'"))
                   .scalar())


def _bound(db) -> dict[str, str]:
    with Session(db) as s:
        return {u.login: u.telegram_chat_id for u in s.exec(select(User)) if u.telegram_chat_id}


@pytest.mark.slow
def test_two_workers_one_poller_the_other_takes_over_when_it_is_killed(db_url, db, api,
                                                                        make_ctx, tmp_path):
    from workflow.services.demo import load_demo

    with Session(db) as s:
        load_demo(s, make_ctx(date(2026, 2, 4)))
        users = [u for u in s.exec(select(User).order_by(User.id)) if u.telegram_chat_id is None]
        codes = {u.login: create_link(s, u, "test") for u in users[:6]}
        # the reply to each /start (a reminder may also reach a chat once it is bound: the
        # worker's reminders run beside the poller, and the demo has stages due on its day)
        done = {u.login: link_reply(u.language, "done", u.full_name) for u in users[:6]}
        s.commit()
    config = write_config(tmp_path / "tg.toml", 1, '["telegram"]', extra=f"""
[telegram]
base_url = "{api.base_url}"
poll_seconds = 0.2
lease_seconds = 2
rate_per_second = 200
""")
    env = {**env_for(db_url), "MERZIM_CONFIG": str(config), "MERZIM_TELEGRAM_TOKEN": TOKEN}
    workers = [subprocess.Popen([str(SCRIPT), "worker"], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    chats = {login: 7000 + i for i, login in enumerate(codes)}
    logins = list(codes)

    def replied(login: str) -> int:
        """How many replies to her /start the person's chat got."""
        return [m["text"] for m in api.sent_to(chats[login])].count(done[login])

    try:
        for login in logins[:3]:
            api.queue_update(chats[login], f"/start {codes[login]}")
        # bound and answered: the reply goes after the binding's commit, and a poller killed in
        # between sends none (a courtesy, poll_updates' docstring), so the kill waits for both
        deadline = time.monotonic() + 60
        while not all(_bound(db).get(login) == str(chats[login]) and replied(login)
                      for login in logins[:3]):
            assert time.monotonic() < deadline, "the first updates were not handled"
            time.sleep(0.2)
        with Session(db) as s:
            holder = s.get(Lease, LEASE).holder
        pid = int(holder.split(":")[1])
        victim = next(w for w in workers if w.pid == pid)
        survivor = next(w for w in workers if w.pid != pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        for login in logins[3:]:
            api.queue_update(chats[login], f"/start {codes[login]}")
        deadline = time.monotonic() + 60
        while not all(_bound(db).get(login) == str(chats[login]) and replied(login)
                      for login in logins):
            assert time.monotonic() < deadline, "the other worker did not take over"
            assert survivor.poll() is None, survivor.communicate()
            time.sleep(0.2)
        with Session(db) as s:
            assert s.get(Lease, LEASE).holder.split(":")[1] == str(survivor.pid)
            bound = s.exec(text("SELECT count(*) FROM audit_log "
                                "WHERE action = 'user.telegram_bound'")).scalar()
        assert bound == len(logins)  # each update handled once
        for login in logins:
            assert replied(login) == 1, login  # one reply each
    finally:
        for w in workers:
            if w.poll() is None:
                terminate(w)
