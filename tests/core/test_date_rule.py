"""One date rule (P-24): a date the sources give that falls on a day off moves to the next
working day (I-1, Civil Code art. 173), except the last day of a calendar year for a duty of
that year, which moves back to the year's last working day. One function (`dates.roll`) owns
the rule, every due date goes through it, and each moved date says why; the command line
prints merzim's own mark (I-17) and the source of every deadline, as the web does.

Dates by hand from the Kazakh calendar (kz-calendar.md; python-holidays KZ 0.109 agrees, the
cross-check below):
* 2028: Fri 29 Dec working, Sat 30 Dec and Sun 31 Dec off; 2029: Mon 1 and Tue 2 Jan off
  (New Year), Wed 3 Jan the first working day.
* 2028: Sat 15 Apr, Sun 16 Apr off, Mon 17 Apr working.
* 2022: Sat 31 Dec off, Fri 30 Dec working.
* 2026: Sat 31 Jan off -> Mon 2 Feb; 2027: Sun 31 Jan -> Mon 1 Feb.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest

from calendars import KazakhstanCalendar
from workflow.core import dates, periods
from workflow.core.deadlines import Facts, Planner
from workflow.definitions.schema import parse_definition

CAL = KazakhstanCalendar()
DEFINITIONS = Path(__file__).resolve().parents[2] / "workflow" / "definitions"


@pytest.fixture(scope="module")
def registry():
    from workflow.definitions import load_registry

    return load_registry()


def due(registry, key: str, label: str) -> date:
    return periods.due_date(CAL, periods.parse(label), registry.get(key).recurrence.due)


# -- the rule, pure ------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "duty_year", "expected"), [
    (date(2028, 12, 31), 2028, date(2028, 12, 29)),  # the year's last day, a duty of 2028: back
    (date(2028, 12, 31), None, date(2029, 1, 3)),    # a day count ending there: forward (I-1)
    (date(2028, 12, 31), 2027, date(2029, 1, 3)),    # a duty of another year: forward
    (date(2028, 12, 30), 2028, date(2029, 1, 3)),    # not the last day: forward
    (date(2028, 4, 15), 2027, date(2028, 4, 17)),    # Saturday: forward
    (date(2022, 12, 31), 2022, date(2022, 12, 30)),
    (date(2027, 12, 31), 2027, date(2027, 12, 31)),  # a Friday, a working day: stays
    (date(2026, 1, 31), 2025, date(2026, 2, 2)),
])
def test_the_date_rule(day, duty_year, expected):
    assert dates.roll(CAL, day, dates.DATE_RULE, duty_year) == expected
    assert dates.moved_reason(day, expected) == (
        "" if day == expected else dates.MOVED_TO_YEAR_END if expected < day
        else dates.MOVED_FORWARD)


def test_the_other_rolls_are_unchanged():
    assert dates.roll(CAL, date(2028, 12, 31), dates.FOLLOWING, 2028) == date(2029, 1, 3)
    assert dates.roll(CAL, date(2028, 12, 31), dates.PRECEDING) == date(2028, 12, 29)
    assert dates.roll(CAL, date(2026, 8, 15), dates.PRECEDING) == date(2026, 8, 14)
    assert dates.roll(CAL, date(2028, 12, 31), dates.NO_ROLL, 2028) == date(2028, 12, 31)
    assert dates.moved_reason(date(2026, 8, 15), date(2026, 8, 14)) == dates.MOVED_BACK
    assert dates.moved_reason(date(2026, 3, 31), date(2026, 3, 31)) == ""


# -- the acceptance dates -------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "label", "expected"), [
    ("declaration_publication", "2028", date(2028, 12, 29)),  # Sun 31 Dec (Sat 30 Dec) -> Fri
    ("declaration_publication", "2022", date(2022, 12, 30)),  # Sat 31 Dec -> Fri 30 Dec
    ("declaration_publication", "2023", date(2023, 12, 29)),  # Sun 31 Dec -> Fri 29 Dec
    ("declaration_publication", "2027", date(2027, 12, 31)),  # Fri 31 Dec
    ("national_report_input", "2027", date(2028, 4, 17)),     # Sat 15 Apr 2028 -> Mon 17 Apr
    ("national_report_input", "2022", date(2023, 4, 17)),     # Sat 15 Apr 2023 -> Mon 17 Apr
    ("law_compliance_report", "2025", date(2026, 2, 2)),      # Sat 31 Jan 2026 -> Mon 2 Feb
    ("law_compliance_report", "2026", date(2027, 2, 1)),      # Sun 31 Jan 2027 -> Mon 1 Feb
    ("offence_reconciliation", "2022", date(2022, 12, 30)),   # B-1: the year's last WD
])
def test_the_sources_dates_fall_due_by_the_rule(registry, key, label, expected):
    assert due(registry, key, label) == expected


def test_version_1_of_the_declaration_publication_keeps_its_date():
    """A case opened under version 1 keeps version 1's date (it moved 31 December forward)."""
    text = (DEFINITIONS / "versions" / "declaration_publication.v1.toml").read_text("utf-8")
    old = parse_definition(tomllib.loads(text), "declaration_publication.v1.toml")
    assert old.version == 1
    assert periods.due_date(CAL, periods.parse("2028"), old.recurrence.due) == date(2029, 1, 3)


def test_a_day_count_ending_on_the_years_last_day_moves_forward(registry):
    """A gift received on Sunday 24 December 2028 is handed over within 7 calendar days: 31
    December, a Sunday; a day count is not a date of the year's duty, so I-1 moves it forward
    to Wednesday 3 January 2029 (1 and 2 January are New Year)."""
    gift = registry.get("gift")
    (stage,) = [k for k, st in gift.stages.items() if st.due is not None
                and st.due.unit == "calendar_days"][:1]
    (anchor,) = gift.stages[stage].due.anchors
    planner = Planner(gift, CAL, Facts({anchor: date(2028, 12, 24)}))
    assert planner.due(stage).date == date(2029, 1, 3)
    assert planner.unrolled(stage) == date(2028, 12, 31)


# -- every definition uses the rule ----------------------------------------------------------------


def _last_working_day(day: date) -> date:
    while not CAL.is_working_day(day):
        day -= timedelta(days=1)
    return day


def test_every_shipped_recurring_date_follows_the_rule(registry):
    """For every shipped recurring obligation, every period 2018-2028: a period's end is its
    last working day (P-3); a date of the sources (a fixed date, a day of a month after the
    period) follows the date rule: never moved out of its year when it is the year's last day
    and the duty is of that year, else forward. merzim's own earlier dates (`roll =
    "preceding"`: the declaration reminder, the commission's schedule) move back."""
    checked = set()
    for d in registry.all():
        if d.recurrence is None:
            continue
        rule = d.recurrence.due
        for year in range(2018, 2029):
            for period in periods.between(date(year, 1, 1), date(year, 12, 31),
                                          d.recurrence.period):
                nominal = periods.nominal_due(period, rule)
                got = periods.due_date(CAL, period, rule)
                if rule.rule == "period_end" or rule.roll == dates.PRECEDING:
                    assert got == _last_working_day(nominal), (d.key, period.label)
                    continue
                assert rule.roll in (dates.DATE_RULE, dates.FOLLOWING), d.key
                assert got == dates.roll(CAL, nominal, dates.DATE_RULE, period.end.year), (
                    d.key, period.label)
                if nominal == date(period.end.year, 12, 31):
                    # the divergence the rule removes: such a date says `date_rule`
                    assert rule.roll == dates.DATE_RULE, d.key
                    assert got.year == nominal.year, (d.key, period.label)
                checked.add(d.key)
    assert {"declaration_publication", "national_report_input",
            "law_compliance_report"} <= checked


# -- cross-check: python-holidays (tests/calendar/test_calendar_crosscheck.py's source) ---------------------


def _python_holidays_worked_days() -> set[date]:
    """Weekend days python-holidays' transfer decrees make working days (as
    tests/calendar/test_calendar_crosscheck.py reads them)."""
    from holidays.countries.kazakhstan import KazakhstanStaticHolidays

    worked = set()
    for year, entries in KazakhstanStaticHolidays.special_public_holidays.items():
        for entry in entries if isinstance(entries[0], tuple) else (entries,):
            worked.add(date(entry[4] if len(entry) > 4 else year, entry[2], entry[3]))
    return worked


def test_the_rule_agrees_with_python_holidays_2018_to_2028(registry):
    assert holidays.__version__.startswith("0.109")
    kz = holidays.KZ(years=range(2018, 2029))
    worked = _python_holidays_worked_days()

    def working(day: date) -> bool:
        return day in worked or (day.weekday() < 5 and day not in kz)

    def forward(day: date) -> date:
        while not working(day):
            day += timedelta(days=1)
        return day

    def back(day: date) -> date:
        while not working(day):
            day -= timedelta(days=1)
        return day

    for year in range(2018, 2029):
        assert due(registry, "declaration_publication", str(year)) == back(date(year, 12, 31))
    for year in range(2018, 2028):
        assert due(registry, "national_report_input", str(year)) == forward(
            date(year + 1, 4, 15))
        assert due(registry, "law_compliance_report", str(year)) == forward(
            date(year + 1, 1, 31))


# -- each moved date says why ------------------------------------------------------------------------


@pytest.fixture
def akimat(db, make_ctx):
    from workflow import services as svc
    from workflow.storage.db import session as open_session

    with open_session(db) as s:
        svc.add_org(s, make_ctx(date(2026, 1, 5)), "AK", "AK", "akimat", None)
        s.commit()
    return db


@pytest.mark.parametrize(("language", "note"), [
    ("en", "31 December 2028 is a Sunday: due Friday 29 December — moved back to the year's "
           "last working day (P-24)"),
    ("ru", "31 декабря 2028 г. — воскресенье: срок — пятница, 29 декабря (перенесён назад на "
           "последний рабочий день года, P-24)"),
    ("kk", "2028 жылғы 31 желтоқсан — жексенбі: мерзім — жұма, 29 желтоқсан (жылдың соңғы "
           "жұмыс күніне кері ауыстырылды, P-24)"),
])
def test_the_year_end_moved_back_says_so(akimat, language, note):
    from workflow import services as svc
    from workflow.definitions import load_registry
    from workflow.services import Context
    from workflow.services.cases import period_dates
    from workflow.storage.db import session as open_session

    ctx = Context(CAL, load_registry(), date(2028, 1, 10), actor="test", language=language)
    with open_session(akimat) as s:
        defn = ctx.registry.get("declaration_publication")
        case = svc.open_case(s, ctx, "declaration_publication", "AK",
                             dates=period_dates(ctx, defn, periods.parse("2028")), period="2028")
        s.commit()
        (stage,) = svc.case_view(s, ctx, case).stages
    assert (stage.due, stage.moved_from, stage.moved_note, stage.due_basis, stage.source) == (
        date(2028, 12, 29), date(2028, 12, 31), note, "", "002:L214-217; P-24")


# -- the command line: the mark, the source, the move ---------------------------------------------


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_status_overdue_and_due_print_the_mark_and_the_source(merzim_db):
    def run(*args: str, today: str, lang: str = "en") -> str:
        result = merzim_db(*args, today=today, lang=lang, env={"COLUMNS": "250"})
        assert result.returncode == 0, (args, result.stderr)
        return result.stdout

    run("org", "add", "MF", "--name", "Ministry", "--kind", "central_body", today="2028-01-10")
    run("obligations", "sync", "--through", "2028-12-31", today="2028-01-10")
    cases = {}
    for year in ("2027", "2028"):
        listed = json.loads(run("obligations", "list", "--org", "MF", "--year", year, "--json",
                                today="2028-01-10"))
        cases.update({(r["process"], r["period"]): (r["case"], r["due"])
                      for r in listed["obligations"]})
    report, report_due = cases[("law_compliance_report", "2027")]
    publication, publication_due = cases[("declaration_publication", "2028")]
    assert (report_due, publication_due) == ("2028-01-31", "2028-12-29")

    # status: under the table, each stage's source, merzim's own mark, why its date moved
    shown = _flat(run("status", str(report), today="2028-01-10"))
    assert "│ 2028-01-31 │" in shown
    assert ("Where the deadlines come from: Submit the report for the year: 000:L1810-1931; "
            "001:L432-434; B-4 — deadline set by merzim, B-4") in shown
    assert ("Откуда сроки: Представить отчёт (справку) за отчётный год: 000:L1810-1931; "
            "001:L432-434; B-4 — срок установлен merzim, B-4") in _flat(
        run("status", str(report), today="2028-01-10", lang="ru"))
    assert "B-4 — мерзімді merzim белгіледі, B-4" in _flat(run("status", str(report),
                                                           today="2028-01-10", lang="kk"))
    # a deadline of the sources: no mark, its source, and why it moved
    shown = _flat(run("status", str(publication), today="2028-01-10"))
    assert "│ 2028-12-29 │" in shown
    assert ("Publish the previous year's declaration data: 002:L214-217; P-24 — 31 December "
            "2028 is a Sunday: due Friday 29 December — moved back to the year's last working "
            "day (P-24)") in shown
    assert "deadline set by merzim" not in shown

    # the lists: the mark and the source of each row
    shown = _flat(run("overdue", "--org", "MF", "--process", "law_compliance_report",
                      today="2028-02-01"))
    assert "2028-01-31 (deadline set by merzim, B-4)" in shown
    assert "000:L1810-1931; 001:L432-434; B-4" in shown
    assert "1 overdue stage." in shown
    shown = _flat(run("due", "--org", "MF", "--within", "5", "--process",
                      "declaration_publication", today="2028-12-25"))
    assert "2028-12-29 " in shown and "002:L214-217; P-24" in shown
    assert "deadline set by merzim" not in shown
