"""Our calendar against two outside sources, day by day.

python-holidays (country KZ, release 0.109) models the same rules with a reference to
each decree: every difference from it must be explained in KNOWN_DISAGREEMENTS.
workalendar 17.0.0's own Kazakhstan is out of date: the test pins the days it gets wrong.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from holidays.countries.kazakhstan import KazakhstanStaticHolidays

from calendars import KazakhstanCalendar

pytestmark = pytest.mark.unit  # pure: no database, no process

FIRST, LAST = date(2002, 1, 1), date(2028, 12, 31)

# {date: why python-holidays 0.109 and we answer differently}. Empty: none known.
KNOWN_DISAGREEMENTS: dict[date, str] = {}


def every_day(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def python_holidays_worked_days() -> set[date]:
    """Weekend (or moved) days that python-holidays' transfer decrees make working days.

    Each entry is (day-off month, day, worked month, day[, worked year]); a year holds
    one such tuple or a tuple of them.
    """
    worked = set()
    for year, entries in KazakhstanStaticHolidays.special_public_holidays.items():
        if not isinstance(entries[0], tuple):
            entries = (entries,)
        for entry in entries:
            worked_year = entry[4] if len(entry) > 4 else year
            worked.add(date(worked_year, entry[2], entry[3]))
    return worked


def test_python_holidays_is_the_release_the_cross_check_was_written_for():
    assert holidays.__version__.startswith("0.109")


def test_python_holidays_decrees_include_the_cross_year_transfer_of_2014():
    assert date(2013, 12, 28) in python_holidays_worked_days()
    assert date(2025, 1, 5) in python_holidays_worked_days()


def test_every_day_2002_to_2028_agrees_with_python_holidays():
    ours = KazakhstanCalendar()
    kz = holidays.KZ(years=range(FIRST.year, LAST.year + 1))
    worked = python_holidays_worked_days()
    disagreements = {}
    for day in every_day(FIRST, LAST):
        theirs = day in worked or (day.weekday() < 5 and day not in kz)
        mine = ours.is_working_day(day)
        if mine != theirs:
            disagreements[day] = (
                f"ours {'working' if mine else 'off'}, python-holidays "
                f"{'working' if theirs else 'off'} ({kz.get(day) or 'weekend'})"
            )
    assert set(disagreements) == set(KNOWN_DISAGREEMENTS), disagreements


def test_kurban_ait_dates_agree_with_python_holidays_2006_to_2028():
    ours = KazakhstanCalendar()
    kz = holidays.KZ(years=range(2006, 2029), language="en_US")
    for year in range(2006, 2029):
        kurban = ours.data.kurban_ait[year].date
        assert "Eid al-Adha" in kz.get(kurban, ""), (year, kurban)


# workalendar 17.0.0's Kazakhstan in 2025, against kz-calendar.md: no decree transfer
# (3 Jan off, 5 Jan worked), no weekend shift (10 Mar, 24-25 Mar, 7 Jul, 1 Sep, 27 Oct),
# Kurban Ait missing (6 Jun), abolished holidays still kept (1 Dec, 17 Dec).
WORKALENDAR_WRONG_IN_2025 = {
    date(2025, 1, 3), date(2025, 1, 5),
    date(2025, 3, 10), date(2025, 3, 24), date(2025, 3, 25),
    date(2025, 6, 6), date(2025, 7, 7), date(2025, 9, 1), date(2025, 10, 27),
    date(2025, 12, 1), date(2025, 12, 17),
}


@pytest.mark.filterwarnings("ignore:Please take note that, due to arbitrary decisions")
def test_workalendar_own_kazakhstan_is_wrong_on_the_days_the_rules_name_in_2025():
    from workalendar.asia import Kazakhstan

    ours, theirs = KazakhstanCalendar(), Kazakhstan()
    differ = {
        day for day in every_day(date(2025, 1, 1), date(2025, 12, 31))
        if ours.is_working_day(day) != theirs.is_working_day(day)
    }
    assert differ == WORKALENDAR_WRONG_IN_2025
