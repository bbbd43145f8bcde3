"""Telegram both ways, end to end through `merzim worker --once` and a local
HTTP server playing the Bot API (tests/support/fake_telegram.py): a linked person asks the bot /overdue,
/due and /case N and gets, in her language, only what she may see and never a person's name
or position (P-28); a reminder carries its cases' links and snooze buttons; a snooze pressed is stored
(reminder_hold) and the next day's digest leaves the stages out.

The demo is loaded on 19 March 2025; the worker runs on Thursday 20 March 2025 (a working day):
Timur (English, an officer) has two overdue stages, Asel (Kazakh) two."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.support.fake_telegram import TOKEN, FakeBotApi
from tests.support.features import needs
from tests.support.smtp_server import write_config
from workflow import services as svc
from workflow.storage.models import Case, Organisation, OutboxMessage, ReminderHold, User

pytestmark = needs("planning")  # the cases it reads are the analyses the planning plans

LOADED, WORKDAY, NEXT = date(2025, 3, 19), date(2025, 3, 20), date(2025, 3, 21)
PUBLIC = "https://merzim.example.kz"


@pytest.fixture
def worker(tmp_path: Path, db_url: str, api):
    """`merzim worker --once --json` on a day, with Telegram at the fake Bot API."""
    from tests.support.cli_runner import Merzim

    cfg = write_config(tmp_path / "tg.toml", 1, '["telegram"]', extra=f"""
[telegram]
base_url = "{api.base_url}"
rate_per_second = 200

[web]
public_url = "{PUBLIC}/"
""")
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    merzim = Merzim(workdir, db_url=db_url)

    def run(day: date) -> dict:
        proc = merzim("worker", "--once", "--json", today=day, config=cfg,
                      env={"MERZIM_TELEGRAM_TOKEN": TOKEN})
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    return run


def link(db, make_ctx, login: str, chat: str) -> None:
    """Her chat bound as she binds it: her own '/start CODE' from it (the bot answers
    commands only in a chat its owner bound herself)."""
    from workflow.reminders.telegram_link import _bind, create_link

    with Session(db) as s:
        code = create_link(s, svc.get_user(s, login), "test")
        reply, bound = _bind(s, f"/start {code}", chat, None)
        assert bound == 1, reply
        s.commit()


def texts(api: FakeBotApi, chat: int) -> list[str]:
    return [m["text"] for m in api.sent_to(chat)]


def test_overdue_due_and_case_in_her_language_with_links(db, demo, api, worker, make_ctx):
    """Acceptance: a linked officer's /overdue gets her overdue stages (her own work, as "My
    work" lists it), each with its case's link, in her language; /due the next 5 working days;
    an unknown or a malformed /case a clear answer; an unlinked chat is told how to link; a
    text that is not a command gets no answer. Each update handled once."""
    link(db, make_ctx, "timur", "123")
    link(db, make_ctx, "asel", "456")
    api.queue_update(123, "/overdue")
    api.queue_update(456, "/overdue")
    api.queue_update(123, "/due")
    api.queue_update(123, "/case 99999")
    api.queue_update(123, "/case")
    api.queue_update(777, "/overdue")  # a chat nobody linked
    api.queue_update(123, "hello")  # not a command: no answer
    worker(WORKDAY)
    with Session(db) as s:  # the quarter's training event case the sync opened
        training = s.exec(select(Case.id).where(Case.process == "qse_training_events",
                                                Case.period == "2025Q1")).one()
    answers = texts(api, 123)
    assert answers[:4] == [
        "merzim: 2 overdue stages\n"
        "• List of positions exposed to corruption risk — Social-Entrepreneurial Corporation "
        "Zhetysu JSC, case #6: due 2025-02-17, 22 working days overdue\n"
        f"  {PUBLIC}/cases/6\n"
        "• Publish the note and the plan — Social-Entrepreneurial Corporation Zhetysu JSC, "
        "case #6: due 2025-03-05, 10 working days overdue\n"
        f"  {PUBLIC}/cases/6",
        "merzim: 1 stage due within 5 working days\n"
        "• Hold the training event — Social-Entrepreneurial Corporation Zhetysu JSC, "
        f"case #{training}: due 2025-03-31, 4 working days left\n"
        f"  {PUBLIC}/cases/{training}",
        "merzim: there is no case #99999 you may see.",
        "merzim: write the case number, for example /case 12."]
    # the day's digest (dispatched after the answers) carries the case links too
    assert len(answers) == 5 and answers[4].startswith("merzim 2025-03-20: 2 overdue")
    assert answers[4].count(f"\n      {PUBLIC}/cases/6\n") == 2
    assert texts(api, 456)[0] == (
        "merzim: мерзімі өткен 2 кезең\n"
        "• Талдамалық анықтамаға қол қою — Білім басқармасы, №2 іс: мерзімі 13.03.2025, "
        "5 жұмыс күнге кешіктірілді\n"
        f"  {PUBLIC}/cases/2\n"
        "• Сыбайлас жемқорлық тәуекелдеріне шалдыққан лауазымдардың тізбесі — Білім басқармасы, "
        "№2 іс: мерзімі 13.03.2025, 5 жұмыс күнге кешіктірілді\n"
        f"  {PUBLIC}/cases/2")
    assert texts(api, 777) == ["merzim: бұл чат есептік жазбаға байланыстырылмаған. Әкімшіден "
                               "код сұраңыз да, /start КОД жіберіңіз."]
    worker(WORKDAY)  # nothing handled twice, the digest not sent twice
    assert len(texts(api, 123)) == 5 and len(texts(api, 777)) == 1


def test_a_snooze_pressed_is_stored_and_the_next_digest_leaves_the_stages_out(
        db, demo, api, worker, make_ctx):
    link(db, make_ctx, "timur", "123")
    worker(WORKDAY)
    (digest,) = api.sent_to(123)
    with Session(db) as s:
        row = s.exec(select(OutboxMessage).where(OutboxMessage.channel == "telegram")).one()
        timur = s.exec(select(User).where(User.login == "timur")).one()
    stages = [tuple(x) for x in json.loads(row.stages or "")]
    assert [c for c, _k in stages] == [6, 6] and len(set(stages)) == 2  # the two overdue ones
    assert digest["reply_markup"] == {"inline_keyboard": [[
        {"text": "Snooze until tomorrow", "callback_data": f"snooze:{row.id}:1"},
        {"text": "Snooze until next week", "callback_data": f"snooze:{row.id}:7"}]]}
    # another chat pressing it, or a forged button: refused, nothing stored
    link(db, make_ctx, "asel", "456")
    api.queue_callback(456, f"snooze:{row.id}:7")
    api.queue_callback(123, f"snooze:{row.id}:30")
    worker(WORKDAY)
    with Session(db) as s:
        assert s.exec(select(ReminderHold)).all() == []
    assert texts(api, 456)[0] == ("merzim: бұл еске салғышты осы чаттан кейінге қалдыру мүмкін "
                                   "емес.")
    assert texts(api, 123)[-1] == "merzim: this reminder cannot be snoozed from this chat."
    api.queue_callback(123, f"snooze:{row.id}:7")
    worker(WORKDAY)
    assert texts(api, 123)[-1] == ("merzim: 2 stages snoozed; reminders about them resume on "
                                   "2025-03-27.")
    assert api.answered[-1] == {"callback_query_id": api.answered[-1]["callback_query_id"],
                                "text": texts(api, 123)[-1]}
    with Session(db) as s:
        holds = {(h.user_id, h.case_id, h.stage_key, h.until)
                 for h in s.exec(select(ReminderHold))}
    assert holds == {(timur.id, c, k, date(2025, 3, 27)) for c, k in stages}
    # the next working day: Timur's overdue stages are snoozed, no digest for him
    worker(NEXT)
    with Session(db) as s:
        mine = s.exec(select(OutboxMessage).where(OutboxMessage.recipient_id == timur.id,
                                                  OutboxMessage.local_day == NEXT)).all()
    assert mine == []


def test_no_person_name_she_may_not_see(db_url, api, worker, make_ctx):
    """The person-visibility world's cases (tests/support/person_helpers.py) on its day: a manager's
    /overdue lists the overdue stages of the department's cases about a person; no reply names
    a person or her position (P-28), whoever asks: not the manager, not the department's
    officer, not the whistleblower case's responsible officer -- /case says the case needs
    attention and links to its page."""
    from sqlmodel import create_engine

    from tests.support.person_helpers import PERSON, add_person_cases
    from tests.support.web_helpers import TODAY
    from workflow.services.demo import load_demo

    eng = create_engine(db_url)
    with Session(eng) as s:
        load_demo(s, make_ctx(TODAY))
        s.commit()
    ids = add_person_cases(eng)
    for login, chat in (("nurlan", "11"), ("asel", "12"), ("kairat", "13")):
        link(eng, make_ctx, login, chat)
    for chat in (11, 12, 13):
        api.queue_update(chat, "/overdue")
        api.queue_update(chat, "/due")
        api.queue_update(chat, f"/case {ids['coi']}")
        api.queue_update(chat, f"/case {ids['wb']}")
    worker(TODAY)
    names = [n for n, _pos in PERSON.values()] + [p for _n, p in PERSON.values()]
    said = {chat: "\n".join(texts(api, chat)) for chat in (11, 12, 13)}
    # the manager's (Kazakh) overdue list holds the cases' overdue stages, with their links
    overdue = texts(api, 11)[0]
    # the region's overdue stages, the district that joined mid-year's among them
    assert overdue.startswith("merzim: мерзімі өткен 19 кезең\n")
    assert f"№{ids['coi']} іс: мерзімі 23.10.2025, 18 жұмыс күнге кешіктірілді\n" \
           f"  {PUBLIC}/cases/{ids['coi']}\n" in overdue
    assert f"№{ids['wb']} іс: мерзімі 20.10.2025, 21 жұмыс күнге кешіктірілді" in overdue
    assert texts(api, 11)[2].startswith(f"№{ids['coi']} іс: ")  # /case: the case, no person
    # no reply names a person, not even to the officers who see her on the pages (P-28)
    for chat in (11, 12, 13):
        assert [n for n in names if n in said[chat]] == [], chat
    assert texts(api, 13)[2].startswith(f"Case #{ids['coi']}: ")  # kairat's /case: in English
    assert f"{PUBLIC}/cases/{ids['wb']}" in said[13]  # her /case: the case and its link
    eng.dispose()


def test_a_chat_its_owner_did_not_link_hears_nothing_about_a_case(db_url, api, worker,
                                                                  make_ctx):
    """P-27: the whistleblower's case's responsible officer linked her chat herself and has
    signed in; an administrator's people import that names his own chat for her leaves hers
    (and says so), and his chat asking /case about the whistleblower is told it is not linked,
    as is a chat an administrator typed in for a person who never signed in. Her own chat
    still gets the case."""
    from sqlmodel import create_engine

    from notifications.render import bot_text
    from tests.support.person_helpers import PERSON, add_person_cases
    from tests.support.web_helpers import TODAY
    from workflow.imports import people as invitations
    from workflow.services import accounts as auth
    from workflow.services.demo import load_demo

    eng = create_engine(db_url)
    with Session(eng) as s:
        load_demo(s, make_ctx(TODAY))
        s.commit()
    ids = add_person_cases(eng)
    link(eng, make_ctx, "kairat", "13")
    with Session(eng) as s:
        auth.set_password(s, svc.get_user(s, "kairat"), "kairats-password", "test-setup")
        s.commit()
        assert auth.authenticate(s, "kairat", "kairats-password").user is not None
        s.commit()
        kairat = svc.get_user(s, "kairat")
        org = s.get_one(Organisation, kairat.organisation_id).code
        done = invitations.import_people(
            s, make_ctx(TODAY, actor="web:admin"),
            [{"_row": 2, "login": "kairat", "name": kairat.full_name, "email": "admin@x.kz",
              "telegram": "66", "role": kairat.role, "organisation": org},
             {"_row": 3, "login": "asel", "name": "Asel", "email": "asel@x.kz",
              "telegram": "67", "role": "officer", "organisation": org}],
            update=True, base_url=PUBLIC, days=7)
        s.commit()
        assert [(k.login, k.fields) for k in done.kept] == [("kairat", ["email", "telegram"])]
        assert svc.get_user(s, "kairat").telegram_chat_id == "13"
        assert svc.get_user(s, "asel").telegram_chat_id == "67"  # she never signed in
    for chat in (66, 67, 13):
        api.queue_update(chat, f"/case {ids['wb']}")
        api.queue_update(chat, "/overdue")
    worker(TODAY)
    not_linked = bot_text("kk", "not_linked")
    assert texts(api, 66) == [not_linked, not_linked]
    # the administrator's chat for Asel: her reminders may go there, no answer about a case
    assert texts(api, 67).count(not_linked) == 2
    assert not any(f"№{ids['wb']} іс" in t for t in texts(api, 66) + texts(api, 67))
    names = [n for n, _pos in PERSON.values()] + [p for _n, p in PERSON.values()]
    for chat in (66, 67):
        assert [n for n in names if n in "\n".join(texts(api, chat))] == []
    # her own chat is answered (the case and its link), without the person (P-28)
    own = "\n".join(texts(api, 13))
    assert f"{PUBLIC}/cases/{ids['wb']}" in own
    assert [n for n in names if n in own] == []
    eng.dispose()
