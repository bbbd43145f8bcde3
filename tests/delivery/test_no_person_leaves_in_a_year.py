"""Acceptance for P-28: a year of the demo's messages through a real SMTP server (aiosmtpd) and a
local HTTP server playing the Telegram Bot API, and not one of them carries the name or the
position of a person a case is about.

The demo is loaded on 19 March 2025 (its offences, breaches, hires, gifts, conflicts of
interest, foreign accounts, each with a named person); the test's world adds, on that day and
again in mid-September, a case of each procedure about a person (conflict of interest, gift,
unknowing funds, trust management, foreign account, whistleblower) with stages falling due in
the weeks after, comments on them that name the person and mention a colleague, invitations,
two cases handed over to another officer, a "deadlines moved" notice, and every linked person
asking the bot /case N for every case about a person (once each) and /overdue and /due (every
sixth step). `merzim worker --once` runs on each step's day: it
opens the periods' obligations, plans the digests, answers the bot and sends the outbox.

Steps: every week (the first working day on or after the same weekday) for a year, plus each
protected stage's due day and the working day before it. A stage stays in its officer's digest
every working day once overdue and in the managers' escalations, and its due-soon reminders
fall 5, 1 and 0 working days before its due date: a weekly step meets every overdue stage and
the protected stages' own reminder days are added, so the year is covered in about 75 worker
cycles instead of 250 that would show the same texts again (about a second each).

The names and positions looked for are read from the database at the end: every case whose
definition has a person party (procedures and registers alike), with the typed fields its
definition marks `personal`. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from tests.support.cli_runner import Merzim
from tests.support.fake_telegram import TOKEN
from tests.support.smtp_server import SmtpSink, write_config
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.reminders.planner import notify_moved
from workflow.reminders.telegram_link import create_link
from workflow.services import comments
from workflow.services.invitations import invite
from workflow.settings import load_notify_settings, load_settings
from workflow.storage.models import OPEN, Case, Stage, User

pytestmark = pytest.mark.slow  # a year of worker cycles

LOADED = date(2025, 3, 19)
MIDYEAR = date(2025, 9, 15)
YEAR_END = date(2026, 3, 19)
PUBLIC = "https://merzim.example.kz"
REGISTRY = load_registry()
# the test's own cases about a person: (key, process, subject, named dates given, responsible)
OURS = (("COI", "conflict_of_interest", "AK-ALM-EDU", ("notified",), "asel"),
        ("GIFT", "gift", "MF-KK-ALM", ("received",), "bolat"),
        ("FUNDS", "unknowing_funds", "AK-ALM-EDU", ("discovered",), "asel"),
        ("TRUST", "trust_management", "MF-KGD-ALM", ("appointed",), "aigerim"),
        ("FOREIGN", "foreign_account", "MF-KGD-ALM", ("found",), "aigerim"),
        ("WB", "whistleblower_protection", "AK-ALM-EDU", ("application_received", "reported"),
         "asel"))
# who else may see a case of the subject's person and is mentioned by its officer
COLLEAGUE = {"AK-ALM-EDU": "erlan", "MF-KGD-ALM": "dauren"}
CONTROL = "CONTROL-QUOTED-7731"  # a comment on a case about no one: quoted, so the check reads


def person_of(key: str, batch: int) -> tuple[str, str]:
    return f"Arman Qupiyaev-{key}-{batch}", f"POSITION-QUPIYA-{key}-{batch}"


def add_cases(s: Session, ctx: svc.Context, batch: int) -> list[int]:
    """The six cases about a person opened on ctx.today, each with a comment by its officer
    naming the person and mentioning a colleague (the operator's mention of its officer for the
    cases no colleague may see)."""
    ids = []
    for key, process, subject, named, responsible in OURS:
        name, position = person_of(key, batch)
        case = svc.open_case(s, ctx, process, subject, person=name, position=position,
                             dates={d: ctx.today for d in named}, responsible=responsible)
        ids.append(case.id)
        officer = svc.get_user(s, responsible)
        colleague = COLLEAGUE.get(subject) if key != "WB" else None
        if colleague:
            comments.add_comment(s, ctx, case.id, officer,
                                 f"@{colleague} please see to {name} ({position}) this week.")
        comments.add_comment(s, ctx, case.id, None,
                             f"@{responsible} the file of {name}, {position}, is complete.")
    return ids


def protected(s: Session) -> tuple[set[str], list[int]]:
    """Every name, position and personal field of a case about a person, and those cases."""
    strings: set[str] = set()
    ids = []
    for case in s.exec(select(Case)):
        loaded = REGISTRY.loaded.get(case.process)
        if loaded is None or loaded.definition.parties.person == "none":
            continue
        ids.append(case.id)
        strings |= {v for v in (case.person_name, case.person_position) if v}
        personal = {k for k, f in loaded.definition.fields.items() if f.personal}
        strings |= {str(v) for k, v in (case.fields or {}).items()
                    if k in personal and isinstance(v, str) and len(v) > 3}
    return strings, ids


def working(calendar, day: date) -> date:
    """`day`, or the next working day after it."""
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def reminder_days(s: Session, cases: list[int], calendar) -> set[date]:
    """Each open stage's due day and the working day before it (on a working day)."""
    days = set()
    for due in s.exec(select(col(Stage.due_date)).where(Stage.status == OPEN,
                                                   Stage.case_id.in_(cases))):  # type: ignore[union-attr]
        if due is not None:
            days |= {working(calendar, due),
                     calendar.sub_working_days(working(calendar, due), 1)}
    return days


def email_texts(sink: SmtpSink) -> list[str]:
    """Subject and every text part of each message, decoded (a name in a base64 or
    quoted-printable body is found as well as in a plain one)."""
    out = []
    for received in sink.messages:
        msg = received.message
        parts = [str(msg["Subject"])]
        parts += [p.get_content() for p in msg.walk() if p.get_content_maintype() == "text"]
        out.append("\n".join(parts))
    return out


def telegram_texts(api) -> list[str]:
    return [m["text"] + "\n" + json.dumps(m.get("reply_markup", {}), ensure_ascii=False)
            for m in api.sent]


def test_a_year_of_messages_names_no_protected_person(db, db_url, api, tmp_path: Path,
                                                      calendar):
    from workflow.services.demo import load_demo

    def make_ctx(day: date) -> svc.Context:  # every shipped definition, as `merzim` has them
        return svc.Context(calendar, REGISTRY, day, actor="test-world", language="en",
                           public_url=PUBLIC)

    with Session(db) as s:
        load_demo(s, make_ctx(LOADED))
        s.commit()
    sink = SmtpSink().start()
    try:
        _a_year(db, db_url, api, make_ctx, tmp_path, calendar, sink)
    finally:
        sink.stop()


def _a_year(db, db_url, api, make_ctx, tmp_path, calendar, sink) -> None:  # noqa: C901
    cfg = write_config(tmp_path / "year.toml", sink.port, '["email", "telegram"]', extra=f"""
[telegram]
base_url = "{api.base_url}"
rate_per_second = 1000

[web]
public_url = "{PUBLIC}"
""")
    ns = load_notify_settings(load_settings(cfg, env={}), env={}, require_secrets=False)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    merzim = Merzim(workdir, db_url=db_url, config=cfg, env={"MERZIM_TELEGRAM_TOKEN": TOKEN})

    with Session(db) as s:
        _strings, demo_protected = protected(s)
    assert demo_protected, "the demo has cases about a person"
    def worker(day: date) -> None:
        proc = merzim("worker", "--once", "--json", today=day)
        assert proc.returncode == 0, (day, proc.stderr)
        result = json.loads(proc.stdout)
        assert result["failed"] == 0 and not result["errors"], (day, result)

    with Session(db) as s:  # a colleague of Aigerim's, then every active person links her
        ctx = make_ctx(LOADED)  # own chat (/start CODE, bound by the worker's poll)
        svc.add_user(s, ctx, "dauren", "Dauren Kassenov", "officer", "MF-KGD-ALM",
                     "dauren@example.kz", "ru")
        chats = {}
        for n, u in enumerate(s.exec(select(User).where(User.active).order_by(col(User.id)))):
            chats[u.login] = 7000 + n
            api.queue_update(7000 + n, f"/start {create_link(s, u, 'test-world')}")
        s.commit()
    worker(LOADED)
    assert len(api.sent) == len(chats)  # each chat told it is linked
    with Session(db) as s:
        ctx = make_ctx(LOADED)
        for u in s.exec(select(User).where(User.active)):
            invite(s, ctx, u, PUBLIC, 7)
        ours = add_cases(s, ctx, 1)
        # a comment on a case about no one (an internal analysis of the demo) is quoted
        plain = next(c for c in s.exec(select(Case).order_by(col(Case.id)))
                     if REGISTRY.loaded[c.process].definition.parties.person == "none"
                     and c.subject_id == svc.get_org(s, "AK-ALM-EDU").id)
        comments.add_comment(s, ctx, plain.id, None, f"@asel {CONTROL}")
        s.commit()
        days = reminder_days(s, ours + demo_protected, calendar)

    def ask_about(cases: list[int]) -> None:
        for chat in chats.values():
            for cid in cases:
                api.queue_update(chat, f"/case {cid}")

    ask_about(demo_protected + ours)
    weekly = {working(calendar, LOADED + timedelta(days=7 * k + 1)) for k in range(53)}
    steps = sorted(d for d in weekly | days if LOADED < d <= YEAR_END)
    done: set[date] = set()
    cycles = 0
    while steps:
        day = steps.pop(0)
        if day in done:
            continue
        done.add(day)
        if cycles % 6 == 0:  # every sixth step: each chat's /overdue and /due
            for chat in chats.values():
                api.queue_update(chat, "/overdue")
                api.queue_update(chat, "/due")
        if day >= MIDYEAR and not any(d >= MIDYEAR for d in done - {day}):
            with Session(db) as s:  # the second batch, hand-overs, a moved notice
                ctx = make_ctx(day)
                second = add_cases(s, ctx, 2)
                for cid in ours[3:5]:  # Aigerim's trust and foreign-account cases handed over
                    svc.assign_responsible(s, ctx, cid, "dauren")
                moved = [{"analysis": st.case_id, "case": st.case_id, "stage": st.key,
                          "old": st.due_date - timedelta(days=1), "new": st.due_date}
                         for st in s.exec(select(Stage).where(
                             Stage.status == OPEN, Stage.case_id.in_(  # type: ignore[union-attr]
                                 second + ours + demo_protected)))
                         if st.due_date is not None]
                assert notify_moved(s, ctx, ns, moved)
                s.commit()
                extra = reminder_days(s, second, calendar)
            steps = sorted(set(steps) | {d for d in extra if day < d <= YEAR_END})
            ours += second
            ask_about(second)
        worker(day)
        cycles += 1

    with Session(db) as s:
        strings, ids = protected(s)
    names = {n for n, _p in (person_of(k, b) for k, *_r in OURS for b in (1, 2))}
    assert names <= strings and len(strings) > 2 * len(names)
    mails, tgs = email_texts(sink), telegram_texts(api)
    found = sorted({(x, kind) for kind, texts in (("email", mails), ("telegram", tgs))
                    for t in texts for x in strings if x in t})
    print(f"\nP-28 year ({db.dialect.name}): {cycles} worker cycles, {len(mails)} e-mails and "
          f"{len(tgs)} Telegram messages captured, {len(strings)} protected strings of "
          f"{len(ids)} cases looked for, {len(found)} found")
    assert found == []
    # not vacuous: every case of ours, and the demo's own, reached both channels by link
    for cid in ours:
        link = f"{PUBLIC}/cases/{cid}"
        assert any(link in t for t in mails) and any(link in t for t in tgs), cid
    demo_told = {cid for cid in demo_protected for t in mails
                 if re.search(rf"{PUBLIC}/cases/{cid}(?!\d)", t)}
    assert demo_told, "the demo's own cases about a person were reminded of"
    assert any("mentioned you" in t or "упомянул" in t or "атап өтті" in t for t in mails)
    assert any(CONTROL in t for t in mails) and any(CONTROL in t for t in tgs)
