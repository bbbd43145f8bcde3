"""Telegram end to end through a local HTTP server playing the Bot API (tests/support/fake_telegram.py):
delivery to a linked chat, 429 with retry_after, 403 (blocked) and linking with /start CODE.

The demo is loaded on 19 March 2025 and the worker runs on Thursday 20 March 2025 (a working
day): Timur (English) has two overdue stages, Asel (Kazakh) two, Erlan is the admin.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from sqlmodel import Session, select

from notifications.channels import Outgoing, PermanentFailure, TemporaryFailure
from notifications.telegram import TelegramChannel, TelegramSettings
from tests.support.fake_telegram import TOKEN, FakeBotApi
from tests.support.features import needs
from tests.support.smtp_server import SmtpSink, write_config
from workflow import services as svc
from workflow.reminders import outbox
from workflow.reminders import planner as reminders
from workflow.reminders.worker import Worker, build_channels
from workflow.settings import load_notify_settings, load_settings
from workflow.storage.models import OutboxMessage, User

LOADED, WORKDAY = date(2025, 3, 19), date(2025, 3, 20)
LOCALES = Path(__file__).resolve().parents[2] / "notifications" / "locales"


def template(language: str, key: str) -> str:
    """A digest text as the catalogue (notifications/locales/LANG/LC_MESSAGES/digest.po) has it."""
    with (LOCALES / language / "LC_MESSAGES" / "digest.po").open("rb") as fh:
        return read_po(fh)[key].string


def tg_config(tmp_path: Path, api: FakeBotApi, channels: str = '["telegram"]',
              smtp_port: int = 1) -> Path:
    return write_config(tmp_path / "merzim-telegram.toml", smtp_port, channels, extra=f"""
[telegram]
base_url = "{api.base_url}"
rate_per_second = 200

[outbox]
backoff_seconds = 0.2""")


def notify(cfg: Path, token: str = TOKEN):
    return load_notify_settings(load_settings(path=cfg, env={}),
                                env={"MERZIM_TELEGRAM_TOKEN": token})


def user(engine, login: str) -> User:
    with Session(engine) as s:
        return s.exec(select(User).where(User.login == login)).one()


def set_chat(engine, make_ctx, login: str, chat: str) -> None:
    with Session(engine) as s:
        svc.update_user(s, make_ctx(LOADED), login, telegram_chat_id=chat)
        s.commit()


@pytest.fixture
def cli(tmp_path: Path, db_url: str):
    """Run the console script like conftest's merzim_db, with extra environment variables."""
    from tests.support.cli_runner import Merzim

    workdir = tmp_path / "cwd-tg"
    workdir.mkdir(exist_ok=True)
    merzim = Merzim(workdir, db_url=db_url)

    def run(*args: str, today: date | None = None, config: Path | None = None,
            env: dict[str, str] | None = None) -> dict:
        proc = merzim(*args, today=today, config=config, env=env)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    return run


@needs("planning")
def test_worker_links_a_chat_and_delivers(cli, api, db, demo, tmp_path):
    """`merzim user set --telegram-chat` and `merzim user telegram-link` then two
    `merzim worker --once` runs: digests go to the chats, '/start CODE' binds chat 999 to Asel,
    an unknown code binds nothing, and no update is handled twice."""
    cfg = tg_config(tmp_path, api)
    env = {"MERZIM_TELEGRAM_TOKEN": TOKEN}
    assert cli("user", "set", "timur", "--telegram-chat", "123", "--json")["telegram_chat_id"] == "123"
    link = cli("user", "telegram-link", "asel", "--json")
    code = link["code"]
    assert link["login"] == "asel" and len(code) >= 6 and link["command"] == f"/start {code}"
    first_id = api.queue_update(999, f"/start {code}", first_name="Asel")
    api.queue_update(555, "/start ZZZZ9999")
    last_id = api.queue_update(777, "hello bot")

    run = cli("worker", "--once", "--json", today=WORKDAY, config=cfg, env=env)
    # Planned before polling: Timur has a chat, Asel not yet.
    assert (run["planned"], run["linked"], run["sent"], run["failed"]) == (1, 1, 1, 0), run
    timur = api.sent_to(123)
    assert len(timur) == 1 and timur[0]["disable_web_page_preview"] is True
    with Session(db) as s:
        row = s.exec(select(OutboxMessage).where(OutboxMessage.address == "123")).one()
    assert (row.channel, row.status, row.local_day) == ("telegram", "sent", WORKDAY)
    assert timur[0]["text"] == f"{row.subject}\n\n{row.body_text}"  # subject, then the text
    assert row.subject.startswith("merzim 2025-03-20: ") and "overdue" in row.subject
    assert "Good morning, Timur Akhmetov." in row.body_text  # in English, Timur's language
    assert "Publish the note and the plan" in row.body_text
    assert [m["text"] for m in api.sent_to(999)] == [
        template("kk", "link.done").format(name="Asel Nurpeisova")]
    assert [m["text"] for m in api.sent_to(555)] == [template("kk", "link.unknown")]
    assert api.sent_to(777) == []
    asel = user(db, "asel")
    assert (asel.telegram_chat_id, asel.telegram_active) == ("999", True)
    with Session(db) as s:
        assert s.exec(select(User).where(User.telegram_chat_id == "555")).all() == []
    assert api.offsets == [None] and first_id < last_id

    again = cli("worker", "--once", "--json", today=WORKDAY, config=cfg, env=env)
    assert (again["planned"], again["linked"], again["sent"]) == (1, 0, 1), again
    assert api.offsets == [None, last_id + 1]
    assert api.pending_updates() == []  # confirmed by the offset
    to_asel = [m["text"] for m in api.sent_to(999)]
    assert len(to_asel) == 2 and to_asel[1].startswith("merzim 20.03.2025: мерзімі өткен: ")
    assert "Қайырлы таң, Asel Nurpeisova." in to_asel[1]  # in Kazakh, Asel's language
    assert len(api.sent_to(555)) == 1 and len(api.sent_to(123)) == 1  # nothing twice


def test_code_is_used_once(db, demo, api, tmp_path):
    from workflow.reminders.telegram_link import create_link, poll_updates

    with Session(db) as s:
        code = create_link(s, s.exec(select(User).where(User.login == "marat")).one(), "test")
        s.commit()
    channel = TelegramChannel(notify(tg_config(tmp_path, api)).telegram)
    api.queue_update(31, f"/start {code.lower()}")  # codes are not case-sensitive
    assert poll_updates(db, channel) == 1
    api.queue_update(32, f"/start {code}")  # another chat tries the same code
    assert poll_updates(db, channel) == 0
    assert user(db, "marat").telegram_chat_id == "31"
    assert api.sent_to(32)[0]["text"] == template("kk", "link.unknown")
    assert api.sent_to(31)[0]["text"] == template("ru", "link.done").format(name="Marat Ospanov")
    assert poll_updates(db, channel) == 0 and len(api.calls_of("sendMessage")) == 2


def _plan(engine, make_ctx, ns, day: date) -> list[OutboxMessage]:
    with Session(engine) as s:
        rows = reminders.plan_reminders(s, make_ctx(day), ns)
        s.commit()
        for r in rows:
            s.refresh(r)
            s.expunge(r)
    return rows


def _row(engine, row_id: int) -> OutboxMessage:
    with Session(engine) as s:
        return s.get(OutboxMessage, row_id)


@needs("planning")
def test_429_retry_after_is_honoured(db, demo, api, tmp_path, make_ctx):
    set_chat(db, make_ctx, "timur", "123")
    set_chat(db, make_ctx, "asel", "456")
    ns = notify(tg_config(tmp_path, api))
    rows = {r.address: r for r in _plan(db, make_ctx, ns, WORKDAY)}
    assert set(rows) == {"123", "456"}
    api.fail_chat("123", 429, retry_after=7, times=1)
    channels = {"telegram": TelegramChannel(ns.telegram)}
    now = [1_750_000_000.0]

    def clock() -> float:
        return now[0]

    stats = outbox.dispatch(db, ns.outbox, channels, clock=clock)
    assert (stats.sent, stats.retried, stats.failed) == (1, 1, 0)
    assert len(api.sent_to(456)) == 1 and api.sent_to(123) == []
    waiting = _row(db, rows["123"].id)
    assert waiting.status == "pending" and waiting.next_attempt_at == now[0] + 7
    assert "429" in waiting.last_error and "Too Many Requests" in waiting.last_error

    now[0] += 6.9  # not yet
    assert outbox.dispatch(db, ns.outbox, channels, clock=clock).sent == 0
    assert len(api.calls_of("sendMessage")) == 2
    now[0] += 0.1
    assert outbox.dispatch(db, ns.outbox, channels, clock=clock).sent == 1
    assert len(api.sent_to(123)) == 1 and len(api.sent_to(456)) == 1
    done = _row(db, rows["123"].id)
    assert (done.status, done.sent_at, done.last_error) == ("sent", now[0], None)


@needs("planning")
def test_403_marks_the_chat_inactive_and_tells_the_admin(db, demo, api, tmp_path, make_ctx):
    set_chat(db, make_ctx, "timur", "123")
    api.fail_chat("123", 403)
    with SmtpSink() as sink:
        ns = notify(tg_config(tmp_path, api, '["email", "telegram"]', sink.port))
        almaty = ZoneInfo("Asia/Almaty")
        today = [datetime(2025, 3, 20, 10, 0, tzinfo=almaty)]
        worker = Worker(db, ns, make_ctx, lambda: today[0], build_channels(ns))
        result = worker.cycle()
        timur = user(db, "timur")
        with Session(db) as s:
            rows = {(r.channel, r.address, r.digest): r for r in s.exec(select(OutboxMessage))}
        failed = rows["telegram", "123", "daily"]
        assert failed.status == "failed" and failed.attempts == 1
        assert "403" in failed.last_error and "blocked" in failed.last_error
        assert (timur.telegram_chat_id, timur.telegram_active) == ("123", False)
        notice = rows["email", "erlan@example.kz", f"blocked-{timur.id}"]
        assert notice.status == "sent"
        emails = [r for r in rows.values() if r.channel == "email"]
        assert result["sent"] == len(emails) and result["failed"] == 1
        assert sink.wait_for(len(emails), timeout=5)
        to_erlan = [m.message for m in sink.messages if m.rcpt_tos == ("erlan@example.kz",)]
        assert len(to_erlan) == 1  # Erlan (an admin) has no digest of his own that day
        assert to_erlan[0]["Subject"] == ("merzim: Telegram-чат пользователя Timur Akhmetov "
                                          "заблокирован")
        assert "merzim user telegram-link timur" in to_erlan[0].get_body(("plain",)).get_content()

        # The next working day: email as usual, nothing to the blocked chat, no second notice.
        today[0] = datetime(2025, 3, 26, 10, 0, tzinfo=almaty)
        worker.cycle()
        with Session(db) as s:
            later = list(s.exec(select(OutboxMessage).where(
                OutboxMessage.local_day == date(2025, 3, 26))))
        assert later and {r.channel for r in later} == {"email"}
        assert len(api.calls_of("sendMessage")) == 1

    # Linking the chat again makes it active.
    set_chat(db, make_ctx, "timur", "123")
    assert user(db, "timur").telegram_active is True


def test_long_digest_is_cut_to_the_api_limit_and_rate_is_paced(api):
    channel = TelegramChannel(TelegramSettings(token=TOKEN, base_url=api.base_url,
                                               rate_per_second=10))
    channel.send(Outgoing("<m1>", "42", "merzim 2025-03-20: мерзімі өткен: 900",
                          "• Бұйрық — ұзын жол\n" * 600, "<p>ignored</p>"))
    sent = api.sent_to(42)[0]["text"]
    assert len(sent) == 4096 and sent.endswith("…") and sent.startswith("merzim 2025-03-20")
    start = time.monotonic()
    for n in range(5):
        channel.send(Outgoing(f"<m{n}>", "43", "s", "t", ""))
    assert time.monotonic() - start >= 0.35  # 10 a second: 5 calls span at least 4 intervals
    assert len(api.sent_to(43)) == 5


def test_bad_chat_is_a_permanent_failure(api):
    channel = TelegramChannel(TelegramSettings(token=TOKEN, base_url=api.base_url,
                                               rate_per_second=100))
    api.fail_chat("13", 400)
    with pytest.raises(PermanentFailure, match="400"):
        channel.send(Outgoing("<m>", "13", "s", "t", ""))


@needs("planning")
def test_blocked_notice_for_a_name_with_a_line_break(db, demo, api, tmp_path, make_ctx):
    """A full name may hold a line break (`merzim user set --name` does not refuse one); the
    admin's notice, whose subject carries the name, is still sent, on one header line."""
    with Session(db) as s:
        svc.update_user(s, make_ctx(LOADED), "timur", full_name="Timur\nAkhmetov",
                        telegram_chat_id="123")
        s.commit()
    api.fail_chat("123", 403)
    with SmtpSink() as sink:
        ns = notify(tg_config(tmp_path, api, '["email", "telegram"]', sink.port))
        now = datetime(2025, 3, 20, 10, 0, tzinfo=ZoneInfo("Asia/Almaty"))
        result = Worker(db, ns, make_ctx, lambda: now, build_channels(ns)).cycle()
        assert result["failed"] == 1, result  # the blocked chat, nothing else
        with Session(db) as s:
            notice = s.exec(select(OutboxMessage).where(
                OutboxMessage.digest == f"blocked-{user(db, 'timur').id}")).one()
        assert notice.status == "sent", notice.last_error
        got = [m.message for m in sink.messages if m.rcpt_tos == ("erlan@example.kz",)]
        assert [m["Subject"] for m in got] == [
            "merzim: Telegram-чат пользователя Timur Akhmetov заблокирован"]


def test_blocked_notice_goes_to_the_admins_over_the_user(db, demo, make_ctx):
    """An admin hears of blocked chats in her own subtree only; a user no admin oversees is
    reported to every admin, so that someone hears of it."""
    ctx = make_ctx(LOADED)
    with Session(db) as s:
        svc.add_user(s, ctx, "mf-admin", "Mf Admin", "admin", "MF", "mf-admin@example.kz", "ru")
        svc.add_org(s, ctx, "OTHER", "Another body", "central_body")
        svc.add_user(s, ctx, "loner", "Lone Officer", "officer", "OTHER", "loner@example.kz", "en")
        s.commit()

    def told(login: str) -> list[str]:
        with Session(db) as s:
            target = s.exec(select(User).where(User.login == login)).one()
            reminders.tell_admins_blocked(s, target, LOADED)
            s.commit()
            rows = s.exec(select(OutboxMessage).where(
                OutboxMessage.digest == f"blocked-{target.id}"))
            return sorted(r.address for r in rows)

    assert told("timur") == ["erlan@example.kz"]          # QS-ZHETYSU, under the akimat
    assert told("aigerim") == ["mf-admin@example.kz"]     # MF-KGD-ALM, under the ministry
    assert told("loner") == ["erlan@example.kz", "mf-admin@example.kz"]
    assert told("timur") == ["erlan@example.kz"]          # once per day and user


def test_an_error_about_the_url_never_quotes_the_token():
    """urllib quotes the whole URL (with /bot<token>/) when it refuses one: the error merzim
    logs and stores is cleaned of the token."""
    channel = TelegramChannel(TelegramSettings(token=TOKEN, base_url="http://127.0.0.1:9/a\tb",
                                               rate_per_second=100))
    with pytest.raises(TemporaryFailure) as err:
        channel.send(Outgoing("<m>", "13", "s", "t", ""))
    assert TOKEN not in str(err.value) and "***" in str(err.value)
