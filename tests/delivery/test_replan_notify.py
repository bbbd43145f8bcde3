"""Journey 5: a decree moves a day off; the operator adds it to the configuration and runs
`merzim replan`, which re-plans every open deadline and tells the owners of the deadlines that
moved — by the channels of [reminders], through the outbox, so the worker delivers each message
once (here to a real SMTP server on loopback).

The dates are those of tests/cli/test_cli_engine.py: a decree making Wednesday 8 April 2026 a day
off moves the discussion announcement of an analysis from 2 March to 10 April 2026 from
27 March to 26 March and its public discussion from 3 April to 2 April; the discussion
announcement of an analysis from 2 March with the default end from 2 April to 1 April.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from calendars import KazakhstanCalendar
from tests.support.cli_runner import ok_json
from tests.support.databases import dump_tables
from tests.support.features import module_of
from tests.support.smtp_server import SmtpSink, write_config
from workflow import services as svc
from workflow.definitions import load_definition
from workflow.reminders import planner as reminders
from workflow.settings import NotifySettings, load_notify_settings, load_settings
from workflow.storage.models import Case, OutboxMessage, Stage, User

planning_svc = module_of("planning", "service")  # the analyses are planned by it

TODAY = date(2026, 2, 2)  # a Monday
SENDER = "merzim@example.kz"
DECREE = """
[[calendar.days_off]]
date = 2026-04-08
reference = "Government resolution (test)"
"""


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


def config(tmp_path: Path, port: int, decree: bool, channels: str = '["email"]') -> Path:
    return write_config(tmp_path / ("decree.toml" if decree else "plain.toml"), port, channels,
                        DECREE if decree else "", sender=SENDER)


@pytest.fixture
def world(db, make_ctx):
    """Two departments; the education analysis has a named owner, the health one has none (its
    department's two officers own it); a third analysis is not touched by the decree."""
    ctx = make_ctx(TODAY)
    with Session(db) as s:
        svc.add_org(s, ctx, "AK", "Akimat of Abai region", "akimat")
        svc.add_org(s, ctx, "AK-EDU", "Education department", "department", "AK")
        svc.add_org(s, ctx, "AK-HLTH", "Health department", "department", "AK")
        svc.add_user(s, ctx, "aigerim", "Aigerim Nurlanovna", "officer", "AK-EDU",
                     "aigerim@example.kz", "kk")
        svc.add_user(s, ctx, "asel", "Asel Bekova", "officer", "AK-EDU", "asel@example.kz", "ru")
        svc.add_user(s, ctx, "nurlan", "Nurlan Iskakov", "manager", "AK", "nurlan@example.kz",
                     "kk")
        edu = planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU", date(2026, 3, 2), date(2026, 4, 10),
                                responsible="aigerim").analysis.id
        svc.add_user(s, ctx, "marat", "Marat Ospanov", "officer", "AK-HLTH", "marat@example.kz",
                     "ru")
        svc.add_user(s, ctx, "dina", "Dina Karimova", "officer", "AK-HLTH", "dina@example.kz",
                     "en")
        # No owner named (its first officer's, then left unassigned): both officers own it.
        # (A case planned before the department had officers is handed to the first one when
        # she arrives: services/unanswered.py.)
        hlth = planning_svc.plan_analysis(s, ctx, "AK-HLTH", "AK-HLTH", date(2026, 3, 2)).analysis.id
        s.get(Case, hlth).responsible_id = None
        later = planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU", date(2026, 6, 1), date(2026, 7, 10),
                                  responsible="asel").analysis.id
        s.commit()
    return {"edu": edu, "hlth": hlth, "later": later}


def moved_rows(db) -> list[tuple[OutboxMessage, User]]:
    with Session(db) as s:
        return list(s.exec(select(OutboxMessage, User)
                           .join(User, User.id == OutboxMessage.recipient_id)
                           .where(OutboxMessage.digest.like("moved-%"))
                           .order_by(OutboxMessage.id)))


def test_replan_tells_each_owner_once_and_the_worker_delivers(merzim_db, db, world, sink,
                                                             tmp_path):
    decree = config(tmp_path, sink.port, decree=True)
    out = ok_json(merzim_db("replan", "--json", today=TODAY.isoformat(), config=decree))
    assert sorted((m["analysis"], m["stage"], m["old"], m["new"]) for m in out["moved"]) == [
        (world["edu"], "discussion_announcement", "2026-03-27", "2026-03-26"),
        (world["edu"], "public_discussion", "2026-04-03", "2026-04-02"),
        (world["hlth"], "discussion_announcement", "2026-04-02", "2026-04-01"),
    ]
    # aigerim owns the education analysis; the health one has no owner: both its officers.
    # asel (owner of the untouched analysis) and the manager hear nothing.
    assert out["messages_queued"] == 3
    rows = moved_rows(db)
    assert sorted(u.login for _r, u in rows) == ["aigerim", "dina", "marat"]
    assert all((r.channel, r.status, r.local_day) == ("email", "pending", TODAY) for r, _u in rows)

    # The same change re-planned again: nothing moves, nothing more is queued.
    again = ok_json(merzim_db("replan", "--json", today=TODAY.isoformat(), config=decree))
    assert again == {"moved": [], "messages_queued": 0}
    assert len(moved_rows(db)) == 3

    sent = ok_json(merzim_db("worker", "--once", "--json", today=TODAY.isoformat(), config=decree))
    assert sent["failed"] == 0 and sent["errors"] == []
    moved_mail = [m for m in sink.messages if m.rcpt_tos[0] != "nurlan@example.kz"
                  and ("moved" in m.message["Subject"] or "перенес" in m.message["Subject"]
                       or "ауыстырылды" in m.message["Subject"])]
    assert sorted(m.rcpt_tos for m in moved_mail) == [
        ("aigerim@example.kz",), ("dina@example.kz",), ("marat@example.kz",)]
    mail = {m.rcpt_tos[0]: m.message for m in moved_mail}
    assert mail["aigerim@example.kz"]["Subject"] == (
        "merzim 02.02.2026: күнтізбе өзгергендіктен 2 мерзім ауыстырылды")
    assert mail["marat@example.kz"]["Subject"] == (
        "merzim 02.02.2026: 1 срок перенесён из-за изменения календаря")
    assert mail["dina@example.kz"]["Subject"] == (
        "merzim 2026-02-02: 1 deadline moved by a calendar change")
    definition = load_definition()
    text = mail["aigerim@example.kz"].get_body(("plain",)).get_content()
    for key, old, new in (("discussion_announcement", "27.03.2026", "26.03.2026"),
                          ("public_discussion", "03.04.2026", "02.04.2026")):  # (kk: dd.mm.yyyy)
        assert f"{definition.stage_name(key, 'kk')} — Education department, " \
               f"№{world['edu']} талдау: {old} → {new}" in text
    text = mail["dina@example.kz"].get_body(("plain",)).get_content()
    assert (f"{definition.stage_name('discussion_announcement', 'en')} — Health department, "
            f"analysis #{world['hlth']}: 2026-04-02 → 2026-04-01") in text
    assert all(r.status == "sent" for r, _u in moved_rows(db))

    # The decree withdrawn: the deadlines move back and the owners are told again.
    plain = config(tmp_path, sink.port, decree=False)
    back = ok_json(merzim_db("replan", "--json", today=TODAY.isoformat(), config=plain))
    assert sorted((m["stage"], m["old"], m["new"]) for m in back["moved"]) == [
        ("discussion_announcement", "2026-03-26", "2026-03-27"),
        ("discussion_announcement", "2026-04-01", "2026-04-02"),
        ("public_discussion", "2026-04-02", "2026-04-03"),
    ]
    assert back["messages_queued"] == 3
    assert len(moved_rows(db)) == 6


def test_a_bad_reminders_config_refuses_replan_and_changes_nothing(merzim_db, db, world, sink,
                                                                    tmp_path):
    bad = config(tmp_path, sink.port, decree=True, channels='["fax"]')
    before = dump_tables(db)
    result = merzim_db("replan", today=TODAY.isoformat(), config=bad)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "fax" in result.stderr and "Traceback" not in result.stderr
    assert dump_tables(db) == before


def test_every_channel_and_the_inactive_owner(db, world, make_ctx, sink, tmp_path):
    """In process: with email and Telegram, a linked owner gets both; when the named owner's
    account is inactive, the subject's active officers are told instead."""
    with Session(db) as s:
        aigerim = s.exec(select(User).where(User.login == "aigerim")).one()
        aigerim.telegram_chat_id = "424242"
        asel_id = s.exec(select(User).where(User.login == "asel")).one().id
        aigerim_id = aigerim.id
        s.add(aigerim)
        s.commit()
    settings = load_settings(path=config(tmp_path, sink.port, decree=True,
                                         channels='["email", "telegram"]'), env={})
    ns: NotifySettings = load_notify_settings(settings, env={}, require_secrets=False)
    cal = KazakhstanCalendar(overrides=settings.calendar)
    ctx = svc.Context(cal, load_definition(), TODAY, actor="operator", language="en")
    with Session(db) as s:
        user = s.get(User, aigerim_id)
        user.active = False
        s.add(user)
        moved = svc.replan_all(s, ctx)
        queued = reminders.notify_moved(s, ctx, ns, moved)
        s.commit()
    got = sorted((u.login, r.channel) for r, u in moved_rows(db))
    # aigerim is inactive: her department's other officer, asel, is told of both moves;
    # the health officers have no Telegram chat: email only.
    assert got == [("asel", "email"), ("dina", "email"), ("marat", "email")]
    assert len(queued) == 3
    with Session(db) as s:
        row = s.exec(select(OutboxMessage).where(OutboxMessage.recipient_id == asel_id)).one()
        assert row.body_text.count(" → ") >= 2 and "Образования" not in row.body_text
        assert s.exec(select(Stage).where(Stage.case_id == world["edu"],
                                          Stage.key == "public_discussion")).one().due_date == \
            date(2026, 4, 2)

    # Active again and linked: both channels.
    with Session(db) as s:
        user = s.get(User, aigerim_id)
        user.active = True
        s.add(user)
        s.commit()
    with Session(db) as s:
        moved = [{"analysis": world["edu"], "stage": "public_discussion",
                  "old": date(2026, 4, 3), "new": date(2026, 4, 2), "responsible_id": aigerim_id}]
        queued = [(r.channel, r.address) for r in reminders.notify_moved(s, ctx, ns, moved)]
        s.commit()
    assert sorted(queued) == [("email", "aigerim@example.kz"), ("telegram", "424242")]
