"""End to end: the shipped procedures and obligations are loaded by
default and run from the command line and the service layer with the due dates their rules
give, for random dates of 2025-2027 (holidays, transfers and year ends included).

Expected dates are computed here independently of the planner: working days are counted one
day at a time with `is_working_day`, months are added by hand (31 Aug + 6 months = 28/29 Feb)
and a calendar-day deadline on a day off rolls to the next working day (I-1). The two worked
examples of the issue are written out as literal dates.
"""

from __future__ import annotations

import calendar as month_calendar
import random
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from calendars import KazakhstanCalendar
from tests.support.cli_runner import json_cli
from workflow import services as svc
from workflow.definitions import REGISTERS, load_registry

CAL = KazakhstanCalendar()
REGISTRY = load_registry()

# procedures.md: every process key (the yearly contract-concentration analysis is shipped as
# contract_concentration_analysis, the report it opens keeps contract_concentration)
SPEC_KEYS = {
    "internal_risk_analysis",
    "conflict_of_interest", "gift", "unknowing_funds", "trust_management", "foreign_account",
    "whistleblower_protection", "declaration_law_change", "contract_concentration",
    "coi_quarterly_analysis", "whistleblower_awareness", "coi_training", "culture_events",
    "procurement_training", "foreign_accounts_request", "declaration_publication",
    "publication_explanatory_event", "declaration_reminder", "contract_concentration_analysis",
    "national_report_input", "akim_commission_meeting", "ethics_explanatory_event",
    "civil_servant_training", "qse_training_events",
    # the enterprise policy (003) and the Concept's action plan (004): their own tests
    "policy_forms", "corrupt_act_report", "candidate_check", "counterparty_check",
    "internal_act_expertise", "action_plan_item", "enterprise_conflict_of_interest",
}


def add_wd(day: date, n: int) -> date:
    """n working days after `day`, never counting `day` itself."""
    while n:
        day += timedelta(days=1)
        if CAL.is_working_day(day):
            n -= 1
    return day


def rolled(day: date) -> date:
    while not CAL.is_working_day(day):
        day += timedelta(days=1)
    return day


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def last_working_day(year: int, month: int) -> date:
    day = date(year, month, month_calendar.monthrange(year, month)[1])
    while not CAL.is_working_day(day):
        day -= timedelta(days=1)
    return day


def random_days(seed: int, n: int) -> list[date]:
    rnd = random.Random(seed)
    first, last = date(2025, 1, 1), date(2027, 12, 31)
    return [first + timedelta(days=rnd.randrange((last - first).days + 1)) for _ in range(n)]


def dues(view: dict) -> dict[str, str]:
    return {st["key"]: st["due"] for st in view["stages"]}


def test_the_expected_dates_here_agree_with_the_issue_examples():
    # a gift received on Saturday 1 March 2025: the 7th day, 8 March, is a holiday, 9 March a
    # Sunday and 10 March the day off moved from 8 March => Tuesday 11 March 2025
    assert rolled(date(2025, 3, 1) + timedelta(days=7)) == date(2025, 3, 11)
    # a notice received on Thursday 19 March 2026: 20 March, then 21-22 March weekend,
    # 23-25 March Nauryz days off, 26, 27 March => forwarded by Friday 27 March 2026
    assert add_wd(date(2026, 3, 19), 3) == date(2026, 3, 27)
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)


# -- the command line ------------------------------------------------------------------------------


@pytest.fixture
def cli(merzim_db):
    run = json_cli(merzim_db, "2027-12-31", quiet=True)
    assert merzim_db("init").returncode == 0
    assert merzim_db("org", "add", "MF", "--name", "Ministry", "--kind",
                     "central_body").returncode == 0
    return run


def test_process_list_names_the_internal_analysis_and_every_procedure(cli):
    listed = cli("process", "list")
    registers = {k for k, item in REGISTRY.loaded.items() if item.path.parent == REGISTERS}
    assert {p["key"] for p in listed} - registers == SPEC_KEYS
    assert all(set(p["names"]) == {"kk", "ru", "en"} for p in listed)
    recurs = {p["key"]: (p.get("recurrence"), p.get("enabled")) for p in listed}
    assert recurs["coi_training"] == ("half_year", True)
    assert recurs["gift"] == (None, None)


@pytest.mark.slow
def test_conflict_gift_and_foreign_account_from_the_cli_on_random_dates(cli):
    # a fixed day first (19 March 2026, before the Nauryz days off), then random days of 2025-2027
    for i, notified in enumerate([date(2026, 3, 19), *random_days(13, 3)]):
        opened = cli("case", "open", "conflict_of_interest", "--subject", "MF", "--person",
                     f"Employee {i}", "--date", f"notified={notified}")
        assert dues(opened)["forward"] == add_wd(notified, 3).isoformat(), notified
        forwarded = min(add_wd(notified, i + 1), date(2027, 12, 31))
        after = cli("record", str(opened["id"]), "forwarded", "--date", forwarded.isoformat())
        assert dues(after)["recommendation"] == add_wd(forwarded, 10).isoformat(), forwarded
    for received in [date(2025, 3, 1), *random_days(17, 3)]:
        opened = cli("case", "open", "gift", "--subject", "MF", "--person", "Recipient",
                     "--date", f"received={received}")
        assert dues(opened)["hand_over"] == rolled(received + timedelta(days=7)).isoformat()
    assert dues(cli("case", "open", "gift", "--subject", "MF", "--person", "R", "--date",
                    "received=2025-03-01"))["hand_over"] == "2025-03-11"
    for found in random_days(19, 3):
        opened = cli("case", "open", "foreign_account", "--subject", "MF", "--person", "Holder",
                     "--date", f"found={found}")
        assert dues(opened)["notify"] == add_wd(found, 2).isoformat(), found
        assert dues(opened)["closure_proof"] == rolled(add_months(found, 6)).isoformat(), found


def test_obligations_through_2027_are_due_on_the_last_working_day_of_each_quarter(cli):
    synced = cli("obligations", "sync", "--through", "2027-12-31", today="2026-11-22")
    assert synced["opened"]
    again = cli("obligations", "sync", "--through", "2027-12-31", today="2026-11-22")
    assert again["opened"] == []
    rows = cli("obligations", "list", "--org", "MF", "--year", "2027",
               today="2026-11-22")["obligations"]
    quarter_ends = [last_working_day(2027, m).isoformat() for m in (3, 6, 9, 12)]
    assert quarter_ends == ["2027-03-31", "2027-06-30", "2027-09-30", "2027-12-31"]
    for key in ("coi_quarterly_analysis", "whistleblower_awareness"):
        assert [(r["period"], r["due"]) for r in rows if r["process"] == key] == list(zip(
            ("2027Q1", "2027Q2", "2027Q3", "2027Q4"), quarter_ends, strict=True)), key
    # the reporting year 2026 is due on Thursday 15 April 2027, a working day
    assert [(r["period"], r["due"]) for r in rows if r["process"] == "national_report_input"] \
        == [("2026", "2027-04-15")]
    # the ethics commissioner's events: the last working day of every month of 2027
    assert [r["due"] for r in rows if r["process"] == "ethics_explanatory_event"] == [
        last_working_day(2027, m).isoformat() for m in range(1, 13)]
    # an akimat's meeting and a quasi-state entity's training are not a ministry's
    assert not {r["process"] for r in rows} & {"akim_commission_meeting", "qse_training_events"}


# -- the service layer: many random dates, both backends -------------------------------------------


@pytest.fixture
def world(db):
    ctx = svc.Context(CAL, REGISTRY, date(2027, 12, 31), actor="test", language="en")
    with Session(db) as s:
        svc.add_org(s, ctx, "MF", "Ministry", "central_body", None)
        s.commit()
    return db, ctx


def test_every_procedure_on_random_dates_gives_its_rule(world):
    db, ctx = world
    view = lambda s, case: {st.key: st.due for st in  # noqa: E731
                            svc.case_view(s, ctx, case).stages}
    with Session(db) as s:
        for day in random_days(23, 40):
            got = view(s, svc.open_case(s, ctx, "conflict_of_interest", "MF", person="P",
                                        dates={"notified": day}))
            # P-1: the recommendation counts from the projected forwarding
            assert got["forward"] == add_wd(day, 3)
            assert got["recommendation"] == add_wd(add_wd(day, 3), 10)
            assert got["measures"] == add_wd(add_wd(add_wd(day, 3), 10), 10)
            got = view(s, svc.open_case(s, ctx, "unknowing_funds", "MF", person="P",
                                        dates={"discovered": day}))
            assert got["transfer_to_budget"] == rolled(day + timedelta(weeks=2)), day
            got = view(s, svc.open_case(s, ctx, "trust_management", "MF", person="P",
                                        dates={"appointed": day}))
            assert got["trust_agreement"] == rolled(day + timedelta(days=30)), day
            got = view(s, svc.open_case(s, ctx, "whistleblower_protection", "MF", person="P",
                                        dates={"application_received": day}))
            decision = rolled(day + timedelta(days=30))
            assert (got["decision"], got["protocol_to_agency"]) == (decision,
                                                                    add_wd(decision, 3)), day
            got = view(s, svc.open_case(s, ctx, "declaration_law_change", "MF",
                                        dates={"entry_into_force": day}))
            assert got["staff_notice"] == add_wd(day, 30), day
            got = view(s, svc.open_case(s, ctx, "contract_concentration", "MF",
                                        dates={"completed": day}))
            assert got["report_to_head"] == rolled(day + timedelta(days=3)), day
        s.rollback()


def test_whistleblower_protection_window_is_three_years_from_the_report(world):
    db, ctx = world
    with Session(db) as s:
        case = svc.open_case(s, ctx, "whistleblower_protection", "MF", person="P",
                             dates={"application_received": date(2025, 3, 3),
                                    "reported": date(2025, 2, 28)})
        dates = svc.case_view(s, ctx, case).dates
        # Fri 28 Feb 2025 + 3 years = Mon 28 Feb 2028, a working day
        assert dates["protected_until"].date == date(2028, 2, 28)


def test_recording_the_yearly_contract_analysis_opens_its_report_case(world):
    db, ctx = world
    with Session(db) as s:
        svc.add_user(s, ctx, "asel", "Asel", "officer", "MF", "asel@example.kz", "en")
        yearly = svc.open_case(s, ctx, "contract_concentration_analysis", "MF",
                               dates={"period_start": date(2026, 1, 1),
                                      "period_end": date(2026, 12, 31),
                                      "period_due": date(2026, 12, 31)}, period="2026")
        s.commit()
        # Fri 11 Dec 2026 + 3 calendar days = Mon 14 Dec 2026 (P-4)
        svc.record_event(s, ctx, yearly.id, "analysed", date(2026, 12, 11))
        s.commit()
        reports = svc.list_cases(s, ctx, "contract_concentration", "MF")
        assert len(reports) == 1
        report = svc.get_case(s, reports[0].id)
        view = svc.case_view(s, ctx, report)
        assert view.dates["completed"].date == date(2026, 12, 11)
        assert dues(view.as_dict()) == {"report_to_head": date(2026, 12, 14)}
        assert view.responsible == "asel"
        # voided and recorded again on the same day: the open report is not opened twice
        svc.void_record(s, ctx, yearly.id, "analysed", "wrong record")
        svc.record_event(s, ctx, yearly.id, "analysed", date(2026, 12, 11))
        s.commit()
        assert len(svc.list_cases(s, ctx, "contract_concentration", "MF")) == 1


def test_in_february_the_previous_reporting_year_is_opened_too(world):
    db, ctx = world
    from workflow.services import obligations

    february = svc.Context(CAL, REGISTRY, date(2026, 2, 10), actor="test", language="en")
    with Session(db) as s:
        opened = obligations.sync(s, february)
        s.commit()
    # the reporting year 2025 is due on Wed 15 April 2026, still ahead on 10 February 2026
    assert sorted((o["period"], o["due"]) for o in opened
                  if o["process"] == "national_report_input") == [
        ("2025", date(2026, 4, 15)), ("2026", date(2027, 4, 15)), ("2027", date(2028, 4, 17))]
    # a quarter already ended is not opened (its due date has passed)
    assert sorted(o["period"] for o in opened if o["process"] == "coi_quarterly_analysis") == [
        "2026Q1", "2026Q2"]


def test_a_decree_moves_an_open_obligation_when_it_is_re_planned(world):
    from workflow.services import obligations

    db, ctx = world
    today = svc.Context(CAL, REGISTRY, date(2027, 1, 11), actor="test", language="en")
    with Session(db) as s:
        obligations.sync(s, today)
        s.commit()
    # a decree makes Wednesday 31 March 2027 a day off: the first quarter's last working day
    # becomes Tuesday 30 March 2027
    decreed = KazakhstanCalendar(overrides={"days_off": [
        {"date": date(2027, 3, 31), "reference": "Government resolution (test)"}]})
    after = svc.Context(decreed, REGISTRY, date(2027, 1, 11), actor="operator", language="en")
    with Session(db) as s:
        moved = svc.replan_all(s, after)
        s.commit()
        rows = obligations.year_of(s, after, "MF", 2027)
    first_quarter = {r["process"]: r["due"] for r in rows if r["period"] == "2027Q1"}
    assert first_quarter["coi_quarterly_analysis"] == date(2027, 3, 30)
    assert first_quarter["whistleblower_awareness"] == date(2027, 3, 30)
    assert {(m["stage"], m["old"], m["new"]) for m in moved} >= {
        ("analysis", date(2027, 3, 31), date(2027, 3, 30))}
    # opened later, March's monthly event is due on the new last working day too
    with Session(db) as s:
        march = svc.Context(decreed, REGISTRY, date(2027, 2, 15), actor="worker", language="en")
        opened = obligations.sync(s, march)
    assert [o["due"] for o in opened if o["period"] == "2027M03"
            and o["process"] == "ethics_explanatory_event"] == [date(2027, 3, 30)]


def test_next_offers_no_second_way_to_complete_a_stage_already_done(world):
    db, ctx = world
    with Session(db) as s:
        case = svc.open_case(s, ctx, "conflict_of_interest", "MF", person="P",
                             dates={"notified": date(2027, 3, 1)})
        assert svc.case_view(s, ctx, case).next_events[:1] == ["forwarded"]
        svc.record_event(s, ctx, case.id, "forwarded", date(2027, 3, 2))
        assert {"recommended", "no_conflict"} <= set(svc.case_view(s, ctx, case).next_events)
        svc.record_event(s, ctx, case.id, "recommended", date(2027, 3, 10))
        # the recommendation is done: "no conflict" completes it too, so it is not offered
        assert set(svc.case_view(s, ctx, case).next_events) == {"measures_taken",
                                                                   "unsettled"}
        svc.record_event(s, ctx, case.id, "unsettled", date(2027, 3, 20))
        # the measures are done by "unsettled": only the transfer is left
        assert svc.case_view(s, ctx, case).next_events == ["transferred"]


def test_the_declaration_reminder_shows_when_its_deadline_was_last_confirmed(world, tmp_path):
    db, ctx = world
    period = {"period_start": date(2027, 1, 1), "period_end": date(2027, 12, 31),
              "period_due": date(2027, 8, 13)}
    with Session(db) as s:
        case = svc.open_case(s, ctx, "declaration_reminder", "MF", dates=period, period="2027")
        shown = svc.case_view(s, ctx, case)
        ru = svc.case_view(s, svc.Context(CAL, REGISTRY, ctx.today, language="ru"), case)
        s.rollback()
    assert [st.as_dict() for st in shown.settings] == [{"key": "declaration_deadline_confirmed",
                                  "name": "Deadline last confirmed", "value": "not confirmed"}]
    assert ru.settings[0].value == "не подтверждён"
    assert shown.dates["declaration_deadline"].date == date(2027, 9, 15)
    confirmed = load_registry(interpretations={"declaration_reminder": {
        "declaration_deadline_confirmed": "2026-01-15"}})
    with Session(db) as s:
        case = svc.open_case(s, svc.Context(CAL, confirmed, ctx.today), "declaration_reminder",
                             "MF", dates=period, period="2027")
        view = svc.case_view(s, svc.Context(CAL, confirmed, ctx.today), case)
        s.rollback()
    assert view.settings[0].value == "2026-01-15"


def test_definition_mistakes_in_opens_case_and_shown_are_refused_at_load(tmp_path):
    from workflow.core.errors import ConfigError
    from workflow.definitions import PROCEDURES

    text = (PROCEDURES / "contract_concentration_analysis.toml").read_text(encoding="utf-8")
    for old, new, message in (
            ('opens_case = { process = "contract_concentration", date = "completed" }',
             'opens_case = { process = "no_such", date = "completed" }', "no process 'no_such'"),
            ('date = "completed" }', 'date = "reported" }',
             "is not opened with a date 'reported'"),
            ('opens_case = { process = "contract_concentration", date = "completed" }',
             'opens_case = "contract_concentration"', "opens_case: must be a table")):
        folder = tmp_path / message.split()[0].strip("'")
        folder.mkdir()
        (folder / "mine.toml").write_text(
            text.replace('key = "contract_concentration_analysis"', 'key = "mine"')
            .replace(old, new), encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_registry((folder,))
    reminder = (PROCEDURES / "declaration_reminder.toml").read_text(encoding="utf-8")
    folder = tmp_path / "shown"
    folder.mkdir()
    (folder / "mine.toml").write_text(
        reminder.replace('key = "declaration_reminder"', 'key = "mine"')
        .replace("[shown.declaration_deadline_confirmed]", "[shown.no_such_setting]"),
        encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[shown.no_such_setting\]: unknown interpretation"):
        load_registry((folder,))
