"""The reminder policy on the real Kazakh calendar: who hears of what, on which day.

Every date is a literal checked by hand against `merzim calendar show YEAR`:

* 2024: 7-9 May off (8 May transferred to Saturday 4 May, a worked Saturday);
  21, 22 and 25 March off (Nauryz).
* 2025: 1-3 January off (3 January by decree, worked Sunday 5 January), 7 January
  (Orthodox Christmas), 10 March (8 March moved off a Saturday), 21, 24 and 25 March
  (Nauryz, 22-23 March moved off the weekend), 6 June (Kurban Ait).

The first part calls `notifications.policy.plan_digests` directly; the second drives the
worker's planning with the clock frozen by freezegun, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlmodel import Session, select

from notifications.policy import (
    DUE_SOON,
    DUE_TODAY,
    ESCALATION,
    OVERDUE,
    Recipient,
    ReminderSettings,
    StageItem,
    plan_digests,
)
from notifications.render import render_digest
from tests.support.features import module_of, needs
from workflow import services as svc
from workflow.definitions import DEFINITIONS, parse_document
from workflow.reminders import planner as reminders
from workflow.reminders.worker import Worker
from workflow.services import Context
from workflow.settings import load_notify_settings, load_settings
from workflow.storage.models import OutboxMessage

ALMATY = ZoneInfo("Asia/Almaty")
DEFAULT = ReminderSettings()  # before 5, 1, 0; overdue daily; escalate one level up from day 1

# An organisation tree /1/ (ministry) > /1/2/ (committee) > /1/2/3/ (department), and a
# sibling department /1/2/9/.
OFFICER = Recipient(1, "Aliya Officer", "officer", "en", "/1/2/3/", "aliya@example.kz")
OWN_MANAGER = Recipient(2, "Bolat Own", "manager", "ru", "/1/2/3/", "bolat@example.kz")
PARENT_MANAGER = Recipient(3, "Dana Parent", "manager", "kk", "/1/2/", "dana@example.kz")
GRAND_MANAGER = Recipient(4, "Erlan Grand", "manager", "en", "/1/", "erlan@example.kz")
SIBLING_MANAGER = Recipient(5, "Gulnar Sibling", "manager", "ru", "/1/2/9/", "gulnar@example.kz")
SIBLING_OFFICER = Recipient(6, "Marat Sibling", "officer", "kk", "/1/2/9/", "marat@example.kz")
ADMIN = Recipient(7, "Nurlan Admin", "admin", "ru", "/1/", "nurlan@example.kz")
PEOPLE = [OFFICER, OWN_MANAGER, PARENT_MANAGER, GRAND_MANAGER, SIBLING_MANAGER, SIBLING_OFFICER,
          ADMIN]

NAMES = {"order": {"kk": "Бұйрық", "ru": "Приказ", "en": "Order"},
         "analytic_note": {"kk": "Анықтама", "ru": "Справка", "en": "Analytic note"},
         "publication": {"kk": "Жариялау", "ru": "Публикация", "en": "Publication"},
         "action_plan": {"kk": "Жоспар", "ru": "План", "en": "Action plan"}}


def item(due: date, key: str = "order", analysis: int = 1, responsible: int | None = 1,
         path: str = "/1/2/3/", before: tuple[int, ...] | None = None) -> StageItem:
    return StageItem(analysis_id=analysis, stage_key=key, stage_names=NAMES[key], due=due,
                     subject_code="DEPT", subject_name="Department", object_code="DEPT",
                     subject_path=path, responsible_id=responsible, before=before)


def days(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def lines_for(calendar, items, first: date, last: date, who: int = 1,
              settings: ReminderSettings = DEFAULT) -> dict[date, list[tuple[str, int]]]:
    """(kind, working days) of each line recipient `who` gets, for every day that has any."""
    out = {}
    for d in days(first, last):
        for digest in plan_digests(items, PEOPLE, d, calendar, settings):
            if digest.recipient.id == who:
                out[d] = [(ln.kind, ln.working_days) for ln in digest.lines]
    return out


# -- before the due date: 5, 1 and 0 working days --------------------------------------------


def test_due_after_nauryz_reminded_5_1_0_working_days_before(calendar):
    """Due Wednesday 26 March 2025, the day after Nauryz (21, 24, 25 March off)."""
    got = lines_for(calendar, [item(date(2025, 3, 26))], date(2025, 3, 1), date(2025, 3, 31))
    assert got == {
        date(2025, 3, 14): [(DUE_SOON, 5)],   # Fri; 17, 18, 19, 20, 26 remain
        date(2025, 3, 20): [(DUE_SOON, 1)],   # Thu before Nauryz: the last working day before
        date(2025, 3, 26): [(DUE_TODAY, 0)],
        date(2025, 3, 27): [(OVERDUE, 1)],
        date(2025, 3, 28): [(OVERDUE, 2)],
        date(2025, 3, 31): [(OVERDUE, 3)],
    }


def test_monday_deadline_after_may_holidays_is_reminded_on_friday(calendar):
    """Due Monday 13 May 2024 after 7-9 May off: Friday 10 May is '1 working day before', and
    the worked Saturday 4 May counts when going back 5 working days (to Thursday 2 May)."""
    got = lines_for(calendar, [item(date(2024, 5, 13))], date(2024, 4, 22), date(2024, 5, 13))
    assert got == {
        date(2024, 5, 2): [(DUE_SOON, 5)],    # 3, 4 (Sat, worked), 6, 10, 13
        date(2024, 5, 10): [(DUE_SOON, 1)],   # Friday
        date(2024, 5, 13): [(DUE_TODAY, 0)],  # Monday
    }


@pytest.mark.parametrize(("due", "one_before", "why"), [
    (date(2024, 5, 13), date(2024, 5, 10), "Monday after 7-9 May 2024 off: Friday"),
    (date(2025, 3, 11), date(2025, 3, 7), "Tuesday after Monday 10 March 2025 off: Friday"),
    (date(2025, 6, 9), date(2025, 6, 5), "Monday after Friday 6 June 2025 (Kurban Ait): Thursday"),
    (date(2024, 3, 26), date(2024, 3, 20), "Tuesday after Nauryz 2024 (21, 22, 25 off): Wednesday"),
    (date(2024, 5, 6), date(2024, 5, 4), "Monday 6 May 2024: the worked Saturday before it"),
    (date(2025, 1, 6), date(2025, 1, 5), "Monday 6 January 2025: the worked Sunday before it"),
])
def test_one_working_day_before_skips_days_off(calendar, due, one_before, why):
    got = lines_for(calendar, [item(due)], one_before, due)
    assert got == {one_before: [(DUE_SOON, 1)], due: [(DUE_TODAY, 0)]}, why


def test_worked_saturday_sends_and_ordinary_saturday_does_not(calendar):
    assert calendar.is_working_day(date(2024, 5, 4))  # Saturday, worked for 8 May
    items = [item(date(2024, 5, 6)), item(date(2024, 4, 26), key="analytic_note", analysis=2)]
    saturday = plan_digests(items, PEOPLE, date(2024, 5, 4), calendar, DEFAULT)
    officer = next(d for d in saturday if d.recipient.id == OFFICER.id)
    assert [(ln.kind, ln.working_days, ln.item.stage_key) for ln in officer.lines] == [
        (OVERDUE, 5, "analytic_note"),  # due 26 April: 29, 30 April, 2, 3, 4 May (1 May off)
        (DUE_SOON, 1, "order"),
    ]
    assert plan_digests(items, PEOPLE, date(2024, 5, 11), calendar, DEFAULT) == []  # a Saturday


@pytest.mark.parametrize(("day", "why"), [
    (date(2025, 3, 22), "Saturday"),
    (date(2025, 3, 23), "Sunday"),
    (date(2025, 3, 21), "Nauryz"),
    (date(2025, 3, 24), "Nauryz, moved off Saturday 22 March"),
    (date(2025, 3, 10), "8 March moved off Saturday"),
    (date(2025, 1, 3), "day off by decree (worked on Sunday 5 January)"),
    (date(2025, 1, 7), "Orthodox Christmas"),
    (date(2024, 5, 8), "day off transferred to Saturday 4 May"),
])
def test_nothing_is_planned_on_a_day_off(calendar, day, why):
    assert not calendar.is_working_day(day), why
    # Plenty to say: long overdue, due that very day, due within the next two weeks.
    items = [item(day - timedelta(days=40), key="analytic_note", analysis=9)]
    items += [item(day + timedelta(days=n), analysis=10 + n) for n in range(0, 15)]
    assert plan_digests(items, PEOPLE, day, calendar, DEFAULT) == [], why
    assert plan_digests(items, PEOPLE, day, calendar, ReminderSettings(before=tuple(range(20)),
                                                                       escalate_levels=5)) == []


# -- after the due date: every working day, and escalation ------------------------------------


def test_overdue_every_working_day_with_the_count(calendar):
    """Due Friday 20 December 2024; the new-year holidays, the decree day off (3 January) and
    the worked Sunday (5 January) decide which days the officer hears of it."""
    items = [item(date(2024, 12, 20))]
    expected = {
        date(2024, 12, 23): 1, date(2024, 12, 24): 2, date(2024, 12, 25): 3,
        date(2024, 12, 26): 4, date(2024, 12, 27): 5, date(2024, 12, 30): 6,
        date(2024, 12, 31): 7, date(2025, 1, 5): 8, date(2025, 1, 6): 9,
        date(2025, 1, 8): 10, date(2025, 1, 9): 11, date(2025, 1, 10): 12,
    }
    first, last = date(2024, 12, 21), date(2025, 1, 12)
    assert lines_for(calendar, items, first, last) == {d: [(OVERDUE, n)] for d, n in expected.items()}
    for manager in (OWN_MANAGER, PARENT_MANAGER):
        assert lines_for(calendar, items, first, last, who=manager.id) == {
            d: [(ESCALATION, n)] for d, n in expected.items()}
    for nobody in (GRAND_MANAGER, SIBLING_MANAGER, SIBLING_OFFICER, ADMIN):
        assert lines_for(calendar, items, first, last, who=nobody.id) == {}


def _recipients(digests) -> dict[int, list[tuple[str, int]]]:
    return {d.recipient.id: [(ln.kind, ln.working_days) for ln in d.lines] for d in digests}


def test_escalation_reaches_the_parent_but_not_the_grandparent(calendar):
    # Due Thursday 20 March 2025; Wednesday 26 March is the first working day after it.
    items = [item(date(2025, 3, 20))]
    got = _recipients(plan_digests(items, PEOPLE, date(2025, 3, 26), calendar, DEFAULT))
    assert got == {OFFICER.id: [(OVERDUE, 1)], OWN_MANAGER.id: [(ESCALATION, 1)],
                   PARENT_MANAGER.id: [(ESCALATION, 1)]}


@pytest.mark.parametrize(("levels", "managers"), [
    (0, {OWN_MANAGER.id}),
    (1, {OWN_MANAGER.id, PARENT_MANAGER.id}),
    (2, {OWN_MANAGER.id, PARENT_MANAGER.id, GRAND_MANAGER.id}),
    (7, {OWN_MANAGER.id, PARENT_MANAGER.id, GRAND_MANAGER.id}),
])
def test_escalate_levels(calendar, levels, managers):
    settings = ReminderSettings(escalate_levels=levels)
    got = _recipients(plan_digests([item(date(2025, 3, 20))], PEOPLE, date(2025, 3, 27),
                                   calendar, settings))
    assert set(got) == {OFFICER.id} | managers
    assert all(lines == [(ESCALATION, 2)] for rid, lines in got.items() if rid != OFFICER.id)


def test_escalate_after_counts_working_days(calendar):
    """escalate_after = 3: due Thursday 20 March 2025, managers hear of it on Friday 28 March
    (26, 27, 28 March are the working days after it), not before."""
    settings = ReminderSettings(escalate_after=3)
    items = [item(date(2025, 3, 20))]
    escalated = {d for d in days(date(2025, 3, 21), date(2025, 4, 1))
                 if any(dg.recipient.role == "manager"
                        for dg in plan_digests(items, PEOPLE, d, calendar, settings))}
    assert escalated == {date(2025, 3, 28), date(2025, 3, 31), date(2025, 4, 1)}


def test_overdue_daily_off_keeps_the_escalation(calendar):
    settings = ReminderSettings(overdue_daily=False)
    items = [item(date(2025, 3, 20)), item(date(2025, 3, 27), key="action_plan", analysis=2)]
    got = _recipients(plan_digests(items, PEOPLE, date(2025, 3, 26), calendar, settings))
    assert got == {OFFICER.id: [(DUE_SOON, 1)], OWN_MANAGER.id: [(ESCALATION, 1)],
                   PARENT_MANAGER.id: [(ESCALATION, 1)]}


@pytest.mark.parametrize("responsible", [None, 99], ids=["none named", "inactive"])
def test_stage_without_an_active_responsible_goes_to_the_subjects_officers(calendar, responsible):
    """No officer named, or hers is inactive (not among the recipients): every active officer
    of the subject organisation is reminded instead, and the managers still hear of it. The
    sibling department's officer is not."""
    overdue = item(date(2025, 3, 20), responsible=responsible)
    got = _recipients(plan_digests([overdue], PEOPLE, date(2025, 3, 26), calendar, DEFAULT))
    assert got == {OFFICER.id: [(OVERDUE, 1)], OWN_MANAGER.id: [(ESCALATION, 1)],
                   PARENT_MANAGER.id: [(ESCALATION, 1)]}
    soon = item(date(2025, 3, 27), responsible=responsible)  # one working day ahead
    got = _recipients(plan_digests([soon], PEOPLE, date(2025, 3, 26), calendar, DEFAULT))
    assert got == {OFFICER.id: [(DUE_SOON, 1)]}
    second = Recipient(8, "Second Officer", "officer", "kk", "/1/2/3/", "second@example.kz")
    got = _recipients(plan_digests([soon], [*PEOPLE, second], date(2025, 3, 26), calendar,
                                   DEFAULT))
    assert got == {OFFICER.id: [(DUE_SOON, 1)], second.id: [(DUE_SOON, 1)]}


def test_named_active_officer_alone_is_reminded(calendar):
    second = Recipient(8, "Second Officer", "officer", "kk", "/1/2/3/", "second@example.kz")
    got = _recipients(plan_digests([item(date(2025, 3, 27), responsible=8)], [*PEOPLE, second],
                                   date(2025, 3, 26), calendar, DEFAULT))
    assert got == {second.id: [(DUE_SOON, 1)]}


def test_subject_without_officers_only_escalates(calendar):
    got = _recipients(plan_digests([item(date(2025, 3, 20), responsible=None, path="/1/2/7/")],
                                   PEOPLE, date(2025, 3, 26), calendar, DEFAULT))
    assert got == {PARENT_MANAGER.id: [(ESCALATION, 1)]}


# -- one digest per recipient ---------------------------------------------------------------


def test_one_digest_per_recipient_overdue_first(calendar):
    today = date(2025, 3, 26)
    items = [
        item(date(2025, 4, 2), key="order", analysis=11),            # 5 working days left
        item(date(2025, 3, 26), key="publication", analysis=12),     # due today
        item(date(2025, 3, 20), key="analytic_note", analysis=13),   # 1 working day overdue
        item(date(2025, 3, 14), key="action_plan", analysis=14),     # 5 working days overdue
        item(date(2025, 3, 27), key="order", analysis=15),           # 1 working day left
        item(date(2025, 3, 31), key="order", analysis=16),           # 3 left: not today
        item(date(2025, 3, 19), key="order", analysis=17, responsible=6, path="/1/2/9/"),
    ]
    digests = plan_digests(items, PEOPLE, today, calendar, DEFAULT)
    assert [d.recipient.id for d in digests] == sorted({d.recipient.id for d in digests})
    by_id = {d.recipient.id: d for d in digests}
    assert set(by_id) == {OFFICER.id, OWN_MANAGER.id, PARENT_MANAGER.id, SIBLING_OFFICER.id,
                          SIBLING_MANAGER.id}
    officer = by_id[OFFICER.id]
    assert officer.day == today
    assert [(ln.kind, ln.working_days, ln.item.analysis_id) for ln in officer.lines] == [
        (OVERDUE, 5, 14), (OVERDUE, 1, 13), (DUE_TODAY, 0, 12), (DUE_SOON, 1, 15),
        (DUE_SOON, 5, 11)]
    assert officer.counts() == {OVERDUE: 2, DUE_TODAY: 1, DUE_SOON: 2}
    # The committee's manager hears of both departments' overdue stages, in one digest.
    assert [(ln.kind, ln.item.analysis_id) for ln in by_id[PARENT_MANAGER.id].lines] == [
        (ESCALATION, 14), (ESCALATION, 17), (ESCALATION, 13)]

    text = render_digest(officer)
    assert text.subject == "merzim 2025-03-26: 2 overdue, 1 due today, 2 due soon"
    order = [text.text.index(s) for s in ("Overdue:", "Due today:", "Due soon:")]
    assert order == sorted(order)
    for n in (11, 12, 13, 14, 15):
        assert f"analysis #{n}" in text.text and f"analysis #{n}" in text.html
    assert "analysis #16" not in text.text
    assert "Action plan — Department → DEPT, analysis #14: due 2025-03-14, overdue by 5 working days" \
        in text.text
    # The manager's digest is in Kazakh, with the stage names in Kazakh.
    kk = render_digest(by_id[PARENT_MANAGER.id])
    assert kk.subject == "merzim 26.03.2025: сіздің ұйымдарыңызда мерзімі өткен: 3"
    assert "Жоспар — Department → DEPT, №14 талдау" in kk.text


def test_per_stage_before_overrides_the_settings(calendar):
    """A stage with its own offsets (3 working days) ignores the default 5, 1, 0."""
    items = [item(date(2025, 3, 26), before=(3,)), item(date(2025, 3, 26), key="publication",
                                                        analysis=2, before=())]
    got = lines_for(calendar, items, date(2025, 3, 10), date(2025, 3, 27))
    assert got == {date(2025, 3, 18): [(DUE_SOON, 3)],                    # 19, 20, 26
                   date(2025, 3, 27): [(OVERDUE, 1), (OVERDUE, 1)]}       # overdue as usual


# -- through the database: a definition's per-stage offsets, and the worker's clock ------------

ORDER_DUE = date(2025, 3, 26)  # the order of an analysis starting 9 April 2025 (10 working days)


def _world(engine, calendar, definition, today: date = date(2025, 3, 3)) -> None:
    """A district akimat with a department; an officer and managers at three levels."""
    ctx = Context(calendar, definition, today, actor="test")
    with Session(engine) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        svc.add_org(s, ctx, "AK-D", "District", "district_akimat", "AK")
        svc.add_org(s, ctx, "AK-D-EDU", "Education", "department", "AK-D")
        svc.add_user(s, ctx, "aliya", "Aliya", "officer", "AK-D-EDU", "aliya@example.kz", "en")
        svc.add_user(s, ctx, "bolat", "Bolat", "manager", "AK-D-EDU", "bolat@example.kz", "ru")
        svc.add_user(s, ctx, "dana", "Dana", "manager", "AK-D", "dana@example.kz", "kk")
        svc.add_user(s, ctx, "erlan", "Erlan", "manager", "AK", "erlan@example.kz", "en")
        planning_svc = module_of("planning", "service")  # it plans the analysis
        planned = planning_svc.plan_analysis(s, ctx, "AK-D-EDU", "AK-D-EDU", date(2025, 4, 9))
        due = {k: st.due_date for k, st in svc.stages_of(s, planned.analysis).items()}
        assert due["order"] == due["start_announcement"] == ORDER_DUE
        s.commit()


def _settings(tmp_path: Path, body: str = ""):
    cfg = tmp_path / "reminders.toml"
    cfg.write_text(body, encoding="utf-8")
    return load_notify_settings(load_settings(path=cfg, env={}), env={})


def test_definition_stage_offsets_through_preview(db, calendar, tmp_path):
    """[stage.reminders] before = [8, 2] on the order stage of the process definition: the
    order is reminded 8 and 2 working days before, the start announcement (same due date)
    5, 1 and 0 working days before."""
    import tomllib

    doc = tomllib.loads((DEFINITIONS / "internal_risk_analysis.toml").read_text(encoding="utf-8"))
    for stage in doc["stage"]:
        if stage["key"] == "order":
            stage["reminders"] = {"before": [8, 2]}
    definition = parse_document(doc, "internal_risk_analysis.toml")
    assert definition.stages["order"].remind_before == (8, 2)
    assert definition.stages["start_announcement"].remind_before is None
    _world(db, calendar, definition)
    ns = _settings(tmp_path)
    got = {}
    with Session(db) as s:
        for d in days(date(2025, 3, 7), date(2025, 3, 27)):
            for digest in reminders.preview(s, Context(calendar, definition, d), ns):
                got[d, digest.recipient.name] = [
                    (ln.kind, ln.working_days, ln.item.stage_key) for ln in digest.lines]
    overdue_both = [(ESCALATION, 1, "order"), (ESCALATION, 1, "start_announcement")]
    assert got == {
        (date(2025, 3, 11), "Aliya"): [(DUE_SOON, 8, "order")],
        (date(2025, 3, 14), "Aliya"): [(DUE_SOON, 5, "start_announcement")],
        (date(2025, 3, 19), "Aliya"): [(DUE_SOON, 2, "order")],
        (date(2025, 3, 20), "Aliya"): [(DUE_SOON, 1, "start_announcement")],
        (date(2025, 3, 26), "Aliya"): [(DUE_TODAY, 0, "start_announcement")],
        (date(2025, 3, 27), "Aliya"): [(OVERDUE, 1, "order"), (OVERDUE, 1, "start_announcement")],
        (date(2025, 3, 27), "Bolat"): overdue_both,  # the department's manager
        (date(2025, 3, 27), "Dana"): overdue_both,   # the district's; not Erlan (two levels up)
    }


def _rows(engine) -> list[tuple[str, date, str]]:
    from workflow.storage.models import User

    with Session(engine) as s:
        return [(u.login, r.local_day, r.channel) for r, u in s.exec(
            select(OutboxMessage, User).join(User, User.id == OutboxMessage.recipient_id)
            .order_by(OutboxMessage.local_day, User.login))]


def test_worker_plans_on_working_days_at_the_send_time(db, calendar, definition, tmp_path):
    """The worker's 'today' comes from the clock (freezegun), in Asia/Almaty (UTC+5)."""
    _world(db, calendar, definition)
    ns = _settings(tmp_path)
    worker = Worker(db, ns, lambda day: Context(calendar, definition, day, actor="worker"),
                    lambda: datetime.now(ALMATY), channels={})

    def plan_at(utc: str) -> int:
        with freeze_time(utc):
            return worker.plan_once()

    assert plan_at("2025-03-20 03:59:59") == 0  # 08:59:59 in Almaty: before 09:00
    assert _rows(db) == []
    assert plan_at("2025-03-20 04:00:00") == 1  # 09:00: Aliya, 1 working day before
    assert plan_at("2025-03-20 11:30:00") == 0  # the catch-up later that day: written once
    for utc in ("2025-03-21 06:00:00", "2025-03-22 06:00:00", "2025-03-23 06:00:00",
                "2025-03-24 06:00:00", "2025-03-25 06:00:00"):  # Nauryz and the weekend
        assert plan_at(utc) == 0, utc
    assert plan_at("2025-03-26 04:00:00") == 1  # due today
    assert plan_at("2025-03-27 04:00:00") == 3  # overdue: Aliya, Bolat and Dana (not Erlan)
    assert _rows(db) == [("aliya", date(2025, 3, 20), "email"),
                         ("aliya", date(2025, 3, 26), "email"),
                         ("aliya", date(2025, 3, 27), "email"),
                         ("bolat", date(2025, 3, 27), "email"),
                         ("dana", date(2025, 3, 27), "email")]


def test_worker_today_is_the_local_day(db, calendar, definition, tmp_path):
    """Send time 03:00 local: at 22:30 UTC it is already tomorrow in Almaty."""
    _world(db, calendar, definition)
    ns = _settings(tmp_path, '[reminders]\nsend_time = "03:00"\n[email]\nsecurity = "none"\n')
    worker = Worker(db, ns, lambda day: Context(calendar, definition, day, actor="worker"),
                    lambda: datetime.now(ALMATY), channels={})
    with freeze_time("2025-03-20 22:30:00"):  # Friday 21 March 03:30 in Almaty: Nauryz
        assert worker.plan_once() == 0
    with freeze_time("2025-03-19 22:30:00"):  # Thursday 20 March 03:30 in Almaty
        assert worker.plan_once() == 1
    with freeze_time("2025-03-25 21:59:00"):  # 26 March 02:59 in Almaty: not yet
        assert worker.plan_once() == 0
    with freeze_time("2025-03-25 22:00:00"):  # 26 March 03:00 (UTC still on Nauryz, 25th)
        assert worker.plan_once() == 1
    assert [(day, login) for login, day, _ in _rows(db)] == [
        (date(2025, 3, 20), "aliya"), (date(2025, 3, 26), "aliya")]


@needs("monitoring")  # its reporting periods' stages
def test_stage_due_on_a_saturday_is_reminded_like_any_other(db, calendar, tmp_path):
    """With `roll = "none"` (I-1 as a setting), the first quarter's monitoring report of an
    analysis whose note was signed on 3 March 2025 is due on the 5th of April 2025, a Saturday
    (v3 has no end-of-analysis stage due on the planned end any more, and every working-day
    rule lands on a working day). The officer hears of it 5 working days before (Friday
    28 March: 31 March, 1-4 April and the Saturday itself count as 5), 1 before (Thursday
    3 April), 'due today' on Friday 4 April (no working day is left) and overdue from Monday
    7 April — through `workflow.reminders.planner.preview` exactly as `plan_digests` decides
    over every open stage."""
    from workflow.definitions import load_definition

    # calendar quarters (the I-8 setting): the 2025Q1 report is due on Saturday 5 April
    definition = load_definition(overrides={"roll": "none", "monitoring_periods": "calendar"})
    _world(db, calendar, definition)
    ctx = Context(calendar, definition, date(2025, 3, 3), actor="test")
    report = "monitoring_report:2025Q1"
    with Session(db) as s:
        planning_svc = module_of("planning", "service")  # it plans the analysis
        planned = planning_svc.plan_analysis(s, ctx, "AK-D-EDU", "AK-D-EDU", date(2025, 3, 3),
                                    date(2025, 4, 5))
        aid = planned.analysis.id
        svc.record_event(s, ctx, aid, "analytic_note", date(2025, 3, 3),
                         {"number": "АН-1", "signed_by": "Akim"})
        assert svc.stages_of(s, planned.analysis)[report].due_date == date(2025, 4, 5)
        s.commit()
    ns = _settings(tmp_path)
    got, everything = {}, {}
    with Session(db) as s:
        for d in days(date(2025, 3, 17), date(2025, 4, 8)):
            day_ctx = Context(calendar, definition, d)
            all_items = reminders.open_items(s, day_ctx, date(2030, 1, 1))
            for source, out in ((reminders.preview(s, day_ctx, ns), got),
                                (plan_digests(all_items, reminders.recipients(s), d, calendar,
                                              ns.policy), everything)):
                for digest in source:
                    lines = [(ln.kind, ln.working_days) for ln in digest.lines
                             if ln.item.analysis_id == aid and ln.item.stage_key == report
                             and digest.recipient.name == "Aliya"]
                    if lines:
                        out[d] = lines
    assert everything == {
        date(2025, 3, 28): [(DUE_SOON, 5)],
        date(2025, 4, 3): [(DUE_SOON, 1)],
        date(2025, 4, 4): [(DUE_TODAY, 0)],
        date(2025, 4, 7): [(OVERDUE, 1)],
        date(2025, 4, 8): [(OVERDUE, 2)],
    }
    assert got == everything
