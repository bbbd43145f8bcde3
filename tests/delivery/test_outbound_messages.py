"""P-28, message by message: what merzim writes to the outbox about a case about a person —
the daily digest (and its escalation to a manager), the "deadlines moved" notice, the mention
notice and the Telegram bot's answers — names the case (its number, procedure, stage, due date,
organisation) and links to its page, never the person's name or position, even for the officer
who sees her on the page. All of them are built from the one outbound description of a case
(workflow/reminders/outbound.py); a comment on a case about a person is not quoted.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import commit
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.reminders.outbound import OutboundCase, outbound_case
from workflow.reminders.planner import notify_moved, plan_reminders
from workflow.services import comments
from workflow.settings import load_notify_settings, load_settings
from workflow.storage.models import Case, OutboxMessage, Stage

CAL = KazakhstanCalendar()
REGISTRY = load_registry()
RECEIVED = date(2026, 3, 2)  # a Monday: the gift is to be handed over by 9 March (7 days)
DUE = date(2026, 3, 10)  # 9 March is a holiday (8 March moved): the next working day
NAME, POSITION = "Dinara Qupiyaeva-GIFT", "POSITION-QUPIYA-7"
PUBLIC = "https://merzim.example.kz"


def ctx_of(day: date = RECEIVED, actor: str = "test"):
    return svc.Context(CAL, REGISTRY, day, actor=actor, language="en", public_url=PUBLIC)


def world(s) -> dict[str, int]:
    """A committee with two officers (Asel in Kazakh, Dana in Russian, both on e-mail and
    Telegram) and a manager above (Gulnar, Kazakh); a gift case about a person and a case about
    no one."""
    ctx = ctx_of(actor="cli:setup")
    svc.add_org(s, ctx, "MF", "Ministry of Finance", "central_body")
    svc.add_org(s, ctx, "MF-KGD", "State Revenue Committee", "committee", parent_code="MF")
    svc.add_user(s, ctx, "asel", "Asel Nurpeisova", "officer", "MF-KGD", email="asel@x.kz")
    svc.add_user(s, ctx, "dana", "Dana Serikbayeva", "officer", "MF-KGD", email="dana@x.kz",
                 language="ru")
    svc.add_user(s, ctx, "gulnar", "Gulnar Abenova", "manager", "MF", email="gulnar@x.kz",
                 language="kk")
    for login, chat in (("asel", "101"), ("dana", "102"), ("gulnar", "103")):
        user = svc.get_user(s, login)
        user.telegram_chat_id = chat  # (as her own /start CODE binds it)
        s.add(user)
    gift = svc.open_case(s, ctx, "gift", "MF-KGD", person=NAME, position=POSITION,
                         dates={"received": RECEIVED}, responsible="asel")
    plain = svc.open_case(s, ctx, "declaration_law_change", "MF-KGD",
                          dates={"entry_into_force": RECEIVED}, responsible="asel")
    return {"gift": gift.id, "plain": plain.id}


@pytest.fixture
def ns(tmp_path: Path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[reminders]\nchannels = ["email", "telegram"]\n\n[web]\n'
                   f'public_url = "{PUBLIC}"\n', encoding="utf-8")
    return load_notify_settings(load_settings(cfg, env={}), env={}, require_secrets=False)


def leaks(text: str) -> list[str]:
    return [x for x in (NAME, POSITION) if x in text]


def outbox(db, digest_prefix: str = "") -> list[OutboxMessage]:
    with Session(db) as s:
        return [m for m in s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
                if m.digest.startswith(digest_prefix)]


def assert_names_no_person(rows: list[OutboxMessage]) -> None:
    assert rows
    for m in rows:
        for part in (m.subject, m.body_text, m.body_html):
            assert leaks(part) == [], (m.channel, m.digest, part)


def test_the_outbound_description_of_a_case_about_a_person_holds_no_person(db):
    cases = commit(db, world)
    with Session(db) as s:
        gift = outbound_case(s, ctx_of(), s.get(Case, cases["gift"]))
        plain = outbound_case(s, ctx_of(), s.get(Case, cases["plain"]))
    assert [f.name for f in dataclasses.fields(OutboundCase) if "person" in f.name] == \
        ["about_person"]  # no field a name or a position could travel in
    assert leaks(repr(gift)) == []
    assert gift.about_person and gift.quote(f"ask {NAME}") is None
    assert gift.process_name("en") and gift.subject_in("ru") == "State Revenue Committee"
    assert not plain.about_person and plain.quote("as agreed") == "as agreed"


def test_a_digest_and_its_escalation_name_the_case_not_the_person(db, ns):
    """The officer's digest on the due day and the manager's escalation a working day after:
    the gift's stage, its case number and link, no name or position."""
    cases = commit(db, world)
    for day in (DUE, CAL.add_working_days(DUE, 1)):
        commit(db, lambda s, day=day: plan_reminders(s, ctx_of(day), ns))
    rows = outbox(db, "daily")
    assert_names_no_person(rows)
    link = f"{PUBLIC}/cases/{cases['gift']}"
    with Session(db) as s:
        told = {svc.user_by_id(s, m.recipient_id).login for m in rows if link in m.body_text}
    assert {"asel", "gulnar"} <= told  # not vacuous: the officer, and the manager escalated
    assert {m.channel for m in rows} == {"email", "telegram"}


def test_a_moved_notice_names_the_case_not_the_person(db, ns):
    cases = commit(db, world)
    with Session(db) as s:
        stage = s.exec(select(Stage).where(Stage.case_id == cases["gift"])).first()
        moved = [{"analysis": cases["gift"], "case": cases["gift"], "stage": stage.key,
                  "old": DUE - timedelta(days=1), "new": DUE}]
        written = notify_moved(s, ctx_of(), ns, moved)
        s.commit()
    assert written
    rows = outbox(db, "moved-")
    assert_names_no_person(rows)
    assert all(f"{PUBLIC}/cases/{cases['gift']}" in m.body_text for m in rows)


def test_a_mention_on_a_case_about_a_person_does_not_quote_the_comment(db):
    """Asel mentions Dana in a comment naming the person: Dana's e-mail and Telegram notice
    say who mentioned her on which case (procedure, organisation), without the comment; on a
    case about no one the comment is quoted as before."""
    cases = commit(db, world)
    said = f"@dana please check the act for {NAME}, {POSITION}."
    commit(db, lambda s: comments.add_comment(s, ctx_of(actor="web:asel"), cases["gift"],
                                              svc.get_user(s, "asel"), said))
    rows = outbox(db, "mention:")
    assert {m.channel for m in rows} == {"email", "telegram"}
    assert_names_no_person(rows)
    assert "please check the act" not in rows[0].body_text
    assert rows[0].body_text.startswith(
        f"Asel Nurpeisova упомянул(а) вас в комментарии к делу №{cases['gift']} (")
    assert "State Revenue Committee" in rows[0].body_text
    link = f"{PUBLIC}/cases/{cases['gift']}"
    assert all(m.body_text.endswith(f"\n\n{link}") and f'href="{link}"' in m.body_html
               for m in rows)  # the case's page, where she reads the comment
    # a case about no one: the comment is quoted
    commit(db, lambda s: comments.add_comment(s, ctx_of(actor="web:asel"), cases["plain"],
                                              svc.get_user(s, "asel"), "@dana as agreed."))
    quoted = [m for m in outbox(db, "mention:") if m not in rows]
    assert quoted and all("@dana as agreed." in m.body_text for m in quoted)


def test_the_bot_names_no_person_even_to_the_officer_who_sees_her(db):
    """Asel is the gift case's responsible officer (the page shows her the person): the bot's
    /case, /overdue and /due answers name the case and link to it, never the person."""
    from web.kit import bot

    cases = commit(db, world)
    day = CAL.add_working_days(DUE, 1)  # the hand-over is overdue
    with Session(db) as s:
        asel = svc.get_user(s, "asel")
        answers = [bot.answer(s, ctx_of(day), asel, command, PUBLIC)
                   for command in (f"/case {cases['gift']}", "/overdue", "/due")]
        s.rollback()
    for text in answers:
        assert leaks(text) == [], text
    assert answers[0].startswith(f"№{cases['gift']} іс: ")  # (Asel reads Kazakh)
    assert f"{PUBLIC}/cases/{cases['gift']}" in answers[0]
    assert f"{PUBLIC}/cases/{cases['gift']}" in answers[1]
