"""Every year 2018-2026 of the Kazakh calendar, worked out by hand from docs kz-calendar.md.

The expected lists below were written day by day from the rules, not generated:
Law No. 267-II holidays in their valid years, a holiday on Saturday or Sunday moved to
the next working day (never 7 January or Kurban Ait), the transfer decrees of each
year, and Kurban Ait on its announced date.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from calendars import CalendarRangeError, KazakhstanCalendar
from calendars.model import HOLIDAY, RELIGIOUS, TRANSFER, WEEKEND_SHIFT

pytestmark = pytest.mark.unit  # pure: no database, no process


@pytest.fixture(scope="module")
def cal() -> KazakhstanCalendar:
    return KazakhstanCalendar()


# Monday-Friday days off of each year, in date order.
NON_WORKING_WEEKDAYS = {
    2018: [
        date(2018, 1, 1), date(2018, 1, 2),  # New Year (Mon, Tue); 7 Jan is a Sunday
        date(2018, 3, 8),  # Women's Day (Thu)
        date(2018, 3, 9),  # transfer: worked Saturday 3 March
        date(2018, 3, 21), date(2018, 3, 22), date(2018, 3, 23),  # Nauryz (Wed-Fri)
        date(2018, 4, 30),  # transfer: worked Saturday 28 April
        date(2018, 5, 1),  # Unity Day (Tue)
        date(2018, 5, 7),  # Defender Day (Mon)
        date(2018, 5, 8),  # transfer: worked Saturday 5 May
        date(2018, 5, 9),  # Victory Day (Wed)
        date(2018, 7, 6),  # Capital Day (Fri)
        date(2018, 8, 21),  # Kurban Ait (Tue)
        date(2018, 8, 30),  # Constitution Day (Thu)
        date(2018, 8, 31),  # transfer: worked Saturday 25 August
        date(2018, 12, 3),  # First President's Day, Saturday 1 December moved
        date(2018, 12, 17),  # Independence Day, second day (Mon)
        date(2018, 12, 18),  # Independence Day, Sunday 16 December moved past 17 December
        date(2018, 12, 31),  # transfer: worked Saturday 29 December
    ],
    2019: [
        date(2019, 1, 1), date(2019, 1, 2),  # New Year (Tue, Wed)
        date(2019, 1, 7),  # Orthodox Christmas (Mon)
        date(2019, 3, 8),  # Women's Day (Fri)
        date(2019, 3, 21), date(2019, 3, 22),  # Nauryz (Thu, Fri)
        date(2019, 3, 25),  # Nauryz, Saturday 23 March moved
        date(2019, 5, 1), date(2019, 5, 7), date(2019, 5, 9),  # Unity, Defender, Victory
        date(2019, 5, 10),  # transfer: worked Saturday 4 May
        date(2019, 7, 8),  # Capital Day, Saturday 6 July moved
        date(2019, 8, 30),  # Constitution Day (Fri); Kurban Ait 11 Aug is a Sunday
        date(2019, 12, 2),  # First President's Day, Sunday 1 December moved
        date(2019, 12, 16), date(2019, 12, 17),  # Independence Day (Mon, Tue)
    ],
    2020: [
        date(2020, 1, 1), date(2020, 1, 2),  # New Year (Wed, Thu)
        date(2020, 1, 3),  # transfer: worked Sunday 5 January
        date(2020, 1, 7),  # Orthodox Christmas (Tue)
        date(2020, 3, 9),  # Women's Day, Sunday 8 March moved
        date(2020, 3, 23),  # Nauryz (Mon)
        date(2020, 3, 24), date(2020, 3, 25),  # Nauryz, Saturday 21 and Sunday 22 moved
        date(2020, 5, 1), date(2020, 5, 7),  # Unity Day (Fri), Defender Day (Thu)
        date(2020, 5, 8),  # decree: Victory Day's day off moved from Monday 11 May
        date(2020, 7, 6),  # Capital Day (Mon)
        date(2020, 7, 31),  # Kurban Ait (Fri)
        date(2020, 8, 31),  # Constitution Day, Sunday 30 August moved
        date(2020, 12, 1),  # First President's Day (Tue)
        date(2020, 12, 16), date(2020, 12, 17),  # Independence Day (Wed, Thu)
        date(2020, 12, 18),  # transfer: worked Sunday 20 December
    ],
    2021: [
        date(2021, 1, 1),  # New Year (Fri)
        date(2021, 1, 4),  # New Year, Saturday 2 January moved
        date(2021, 1, 7),  # Orthodox Christmas (Thu)
        date(2021, 3, 8),  # Women's Day (Mon)
        date(2021, 3, 22), date(2021, 3, 23),  # Nauryz (Mon, Tue)
        date(2021, 3, 24),  # Nauryz, Sunday 21 March moved past 22-23
        date(2021, 5, 3),  # Unity Day, Saturday 1 May moved
        date(2021, 5, 7),  # Defender Day (Fri)
        date(2021, 5, 10),  # Victory Day, Sunday 9 May moved
        date(2021, 7, 5),  # transfer: worked Saturday 3 July
        date(2021, 7, 6),  # Capital Day (Tue)
        date(2021, 7, 20),  # Kurban Ait (Tue)
        date(2021, 8, 30),  # Constitution Day (Mon)
        date(2021, 12, 1),  # First President's Day (Wed), its last year
        date(2021, 12, 16), date(2021, 12, 17),  # Independence Day (Thu, Fri), last two-day year
    ],
    2022: [
        date(2022, 1, 3), date(2022, 1, 4),  # New Year, Saturday 1 and Sunday 2 January moved
        date(2022, 1, 7),  # Orthodox Christmas (Fri)
        date(2022, 3, 7),  # transfer: worked Saturday 5 March
        date(2022, 3, 8),  # Women's Day (Tue)
        date(2022, 3, 21), date(2022, 3, 22), date(2022, 3, 23),  # Nauryz (Mon-Wed)
        date(2022, 5, 2),  # Unity Day, Sunday 1 May moved
        date(2022, 5, 9),  # Victory Day (Mon)
        date(2022, 5, 10),  # Defender Day, Saturday 7 May moved past 9 May
        date(2022, 7, 6),  # Capital Day (Wed); Kurban Ait 9 July is a Saturday
        date(2022, 8, 29),  # transfer: worked Saturday 27 August
        date(2022, 8, 30),  # Constitution Day (Tue)
        date(2022, 10, 24),  # transfer: worked Saturday 22 October
        date(2022, 10, 25),  # Republic Day (Tue), restored from 2022
        date(2022, 12, 16),  # Independence Day (Fri), one day only from 2022
    ],
    2023: [
        date(2023, 1, 2),  # New Year (Mon)
        date(2023, 1, 3),  # New Year, Sunday 1 January moved past 2 January
        date(2023, 3, 8),  # Women's Day (Wed); 7 Jan is a Saturday, not moved
        date(2023, 3, 21), date(2023, 3, 22), date(2023, 3, 23),  # Nauryz (Tue-Thu)
        date(2023, 5, 1),  # Unity Day (Mon)
        date(2023, 5, 8),  # Defender Day, Sunday 7 May moved
        date(2023, 5, 9),  # Victory Day (Tue)
        date(2023, 6, 28),  # Kurban Ait (Wed)
        date(2023, 7, 6),  # Capital Day (Thu)
        date(2023, 7, 7),  # transfer: worked Saturday 1 July
        date(2023, 8, 30),  # Constitution Day (Wed)
        date(2023, 10, 25),  # Republic Day (Wed)
        date(2023, 12, 18),  # Independence Day, Saturday 16 December moved
    ],
    2024: [
        date(2024, 1, 1), date(2024, 1, 2),  # New Year (Mon, Tue); 7 Jan is a Sunday
        date(2024, 3, 8),  # Women's Day (Fri)
        date(2024, 3, 21), date(2024, 3, 22),  # Nauryz (Thu, Fri)
        date(2024, 3, 25),  # Nauryz, Saturday 23 March moved
        date(2024, 5, 1),  # Unity Day (Wed)
        date(2024, 5, 7),  # Defender Day (Tue)
        date(2024, 5, 8),  # transfer: worked Saturday 4 May
        date(2024, 5, 9),  # Victory Day (Thu)
        date(2024, 7, 8),  # Capital Day, Saturday 6 July moved; Kurban Ait 16 June is a Sunday
        date(2024, 8, 30),  # Constitution Day (Fri)
        date(2024, 10, 25),  # Republic Day (Fri)
        date(2024, 12, 16),  # Independence Day (Mon)
    ],
    2025: [
        date(2025, 1, 1), date(2025, 1, 2),  # New Year (Wed, Thu)
        date(2025, 1, 3),  # transfer: worked Sunday 5 January
        date(2025, 1, 7),  # Orthodox Christmas (Tue)
        date(2025, 3, 10),  # Women's Day, Saturday 8 March moved
        date(2025, 3, 21),  # Nauryz (Fri)
        date(2025, 3, 24), date(2025, 3, 25),  # Nauryz, Saturday 22 and Sunday 23 moved
        date(2025, 5, 1), date(2025, 5, 7), date(2025, 5, 9),  # Unity, Defender, Victory
        date(2025, 6, 6),  # Kurban Ait (Fri)
        date(2025, 7, 7),  # Capital Day, Sunday 6 July moved
        date(2025, 9, 1),  # Constitution Day, Saturday 30 August moved
        date(2025, 10, 27),  # Republic Day, Saturday 25 October moved
        date(2025, 12, 16),  # Independence Day (Tue)
    ],
    2026: [
        date(2026, 1, 1), date(2026, 1, 2),  # New Year (Thu, Fri)
        date(2026, 1, 7),  # Orthodox Christmas (Wed)
        date(2026, 3, 9),  # Women's Day, Sunday 8 March moved
        date(2026, 3, 23),  # Nauryz (Mon)
        date(2026, 3, 24), date(2026, 3, 25),  # Nauryz, Saturday 21 and Sunday 22 moved
        date(2026, 5, 1), date(2026, 5, 7),  # Unity Day (Fri), Defender Day (Thu)
        date(2026, 5, 11),  # Victory Day, Saturday 9 May moved
        date(2026, 5, 27),  # Kurban Ait (Wed, expected)
        date(2026, 7, 6),  # Capital Day (Mon); no Constitution Day in 2026
        date(2026, 10, 26),  # Republic Day, Sunday 25 October moved
        date(2026, 12, 16),  # Independence Day (Wed)
    ],
}

# Saturdays and Sundays worked by decree.
WORKED_WEEKEND_DAYS = {
    2018: [date(2018, 3, 3), date(2018, 4, 28), date(2018, 5, 5), date(2018, 8, 25),
           date(2018, 12, 29)],
    2019: [date(2019, 5, 4)],
    2020: [date(2020, 1, 5), date(2020, 12, 20)],  # Monday 11 May is worked, but is no weekend
    2021: [date(2021, 7, 3)],
    2022: [date(2022, 3, 5), date(2022, 8, 27), date(2022, 10, 22)],
    2023: [date(2023, 7, 1)],
    2024: [date(2024, 5, 4)],
    2025: [date(2025, 1, 5)],
    2026: [],
}


# -- every year, complete ---------------------------------------------------------------


@pytest.mark.parametrize("year", sorted(NON_WORKING_WEEKDAYS))
def test_year_has_exactly_the_hand_counted_weekdays_off(cal, year):
    assert [d.date for d in cal.non_working_weekdays(year)] == NON_WORKING_WEEKDAYS[year]


@pytest.mark.parametrize("year", sorted(WORKED_WEEKEND_DAYS))
def test_year_works_exactly_the_decreed_weekend_days(cal, year):
    assert [d.date for d in cal.working_weekend_days(year)] == WORKED_WEEKEND_DAYS[year]


@pytest.mark.parametrize("year", sorted(NON_WORKING_WEEKDAYS))
def test_every_other_day_of_the_year_follows_the_five_day_week(cal, year):
    off, worked = set(NON_WORKING_WEEKDAYS[year]), set(WORKED_WEEKEND_DAYS[year])
    day = date(year, 1, 1)
    while day.year == year:
        expected = day in worked or (day.weekday() < 5 and day not in off)
        assert cal.is_working_day(day) is expected, day
        day = day.fromordinal(day.toordinal() + 1)


@pytest.mark.parametrize("year", range(2018, 2027))
def test_every_year_from_2018_to_2026_has_its_decree_loaded(cal, year):
    assert cal.decree_notice(year) is None


# -- named facts ------------------------------------------------------------------------


def test_2025_is_the_acceptance_year(cal):
    off = cal.non_working_weekdays(2025)
    assert [(d.date, d.kind) for d in off] == [
        (date(2025, 1, 1), HOLIDAY),
        (date(2025, 1, 2), HOLIDAY),
        (date(2025, 1, 3), TRANSFER),
        (date(2025, 1, 7), RELIGIOUS),
        (date(2025, 3, 10), WEEKEND_SHIFT),
        (date(2025, 3, 21), HOLIDAY),
        (date(2025, 3, 24), WEEKEND_SHIFT),
        (date(2025, 3, 25), WEEKEND_SHIFT),
        (date(2025, 5, 1), HOLIDAY),
        (date(2025, 5, 7), HOLIDAY),
        (date(2025, 5, 9), HOLIDAY),
        (date(2025, 6, 6), RELIGIOUS),
        (date(2025, 7, 7), WEEKEND_SHIFT),
        (date(2025, 9, 1), WEEKEND_SHIFT),
        (date(2025, 10, 27), WEEKEND_SHIFT),
        (date(2025, 12, 16), HOLIDAY),
    ]
    assert [d.date for d in cal.working_weekend_days(2025)] == [date(2025, 1, 5)]


def test_2025_sunday_5_january_is_worked_for_friday_3_january(cal):
    assert cal.is_working_day(date(2025, 1, 5))
    assert not cal.is_working_day(date(2025, 1, 3))
    worked = cal.working_weekend_days(2025)[0]
    assert "G24G0000436" in worked.reference
    assert "3 January 2025" in worked.reason("en")


def test_2025_nauryz_on_weekend_moves_to_monday_and_tuesday(cal):
    assert not cal.is_working_day(date(2025, 3, 21))  # Friday, first day of Nauryz
    assert not cal.is_working_day(date(2025, 3, 24))  # Saturday 22 March moved
    assert not cal.is_working_day(date(2025, 3, 25))  # Sunday 23 March moved
    assert cal.is_working_day(date(2025, 3, 26))
    names = {d.date: d.name("en") for d in cal.non_working_weekdays(2025)}
    assert names[date(2025, 3, 24)] == "Nauryz (day off moved from 22 March 2025)"
    assert names[date(2025, 3, 25)] == "Nauryz (day off moved from 23 March 2025)"


# Days worked and days off, each fact by its name.
NAMED_DAYS = [
    pytest.param([], [date(2025, 3, 10)],
                 id="2025-womens-day-on-saturday-gives-monday-10-march-off"),
    pytest.param([], [date(2025, 7, 7), date(2025, 9, 1), date(2025, 10, 27)],
                 id="2025-capital-constitution-and-republic-days-on-weekends-move-to-monday"),
    pytest.param([date(2025, 6, 9)], [date(2025, 6, 6)], id="2025-kurban-ait-friday-6-june-is-off"),
    pytest.param([date(2025, 12, 1), date(2025, 12, 17)], [date(2025, 12, 16)],
                 id="2025-first-president-day-and-17-december-are-ordinary-working-days"),
    # 7 January 2018 and 2024 are Sundays, 2023 a Saturday: the Monday after is worked.
    pytest.param([date(2018, 1, 8), date(2023, 1, 9), date(2024, 1, 8)], [],
                 id="orthodox-christmas-on-a-weekend-is-not-moved"),
    # 11 Aug 2019 Sunday, 9 Jul 2022 Saturday, 16 Jun 2024 Sunday.
    pytest.param([date(2019, 8, 12), date(2022, 7, 11), date(2024, 6, 17)], [],
                 id="kurban-ait-on-a-weekend-is-not-moved"),
    pytest.param([date(2023, 7, 1)], [date(2023, 7, 7)],
                 id="2023-saturday-1-july-is-worked-for-friday-7-july"),
    pytest.param([date(2024, 5, 4)], [date(2024, 5, 8)],
                 id="2024-saturday-4-may-is-worked-for-wednesday-8-may"),
    pytest.param([date(2018, 12, 19)], [date(2018, 12, 17), date(2018, 12, 18)],
                 id="2018-independence-day-on-sunday-moves-past-the-second-day-to-tuesday"),
    pytest.param([date(2018, 10, 25), date(2019, 10, 25)], [date(2022, 10, 25)],
                 id="republic-day-is-a-working-day-from-2009-to-2021"),
]


@pytest.mark.parametrize(("worked", "off"), NAMED_DAYS)
def test_named_days_are_worked_or_off(cal, worked, off):
    for day in worked:
        assert cal.is_working_day(day), day
    for day in off:
        assert not cal.is_working_day(day), day


def test_2020_decree_moves_victory_day_off_from_monday_11_may_to_friday_8_may(cal):
    assert not cal.is_working_day(date(2020, 5, 8))
    assert cal.is_working_day(date(2020, 5, 11))
    assert not cal.is_holiday(date(2020, 5, 11))
    assert cal.is_holiday(date(2020, 5, 9))  # Victory Day itself, a Saturday
    assert "in exchange for the day off on 8 May 2020" in cal.reason(date(2020, 5, 11))


def test_2026_has_no_constitution_day_on_30_august_nor_on_15_march(cal):
    assert not cal.is_holiday(date(2026, 8, 30))
    assert not cal.is_holiday(date(2026, 3, 15))
    assert cal.is_working_day(date(2026, 3, 16))
    assert cal.is_working_day(date(2026, 8, 31))


def test_constitution_day_is_15_march_from_2027(cal):
    assert cal.is_holiday(date(2027, 3, 15))
    assert not cal.is_working_day(date(2027, 3, 15))  # a Monday
    assert not cal.is_holiday(date(2027, 8, 30))


def test_a_transfer_crosses_the_year_boundary_saturday_2013_12_28_for_friday_2014_01_03(cal):
    assert cal.is_working_day(date(2013, 12, 28))
    assert not cal.is_working_day(date(2014, 1, 3))
    assert date(2013, 12, 28) in [d.date for d in cal.working_weekend_days(2013)]
    assert date(2014, 1, 3) in [d.date for d in cal.non_working_weekdays(2014)]
    assert cal.add_working_days(date(2013, 12, 27), 1) == date(2013, 12, 28)
    assert cal.add_working_days(date(2014, 1, 2), 1) == date(2014, 1, 6)


# -- the workalendar API -----------------------------------------------------------------


def test_a_holiday_on_saturday_is_a_holiday_but_the_day_off_is_the_monday(cal):
    saturday, monday = date(2025, 3, 8), date(2025, 3, 10)
    assert cal.is_holiday(saturday)
    assert not cal.is_working_day(saturday)
    assert cal.is_holiday(monday)
    assert not cal.is_working_day(monday)


def test_an_ordinary_weekend_is_no_holiday_and_no_working_day(cal):
    assert not cal.is_holiday(date(2025, 3, 15))
    assert not cal.is_working_day(date(2025, 3, 15))


def test_holidays_of_a_year_are_dated_labels_in_date_order(cal):
    found = cal.holidays(2025)
    assert found == sorted(found)
    assert all(isinstance(d, date) and isinstance(label, str) for d, label in found)
    assert (date(2025, 3, 8), "International Women's Day") in found
    assert (date(2025, 3, 10),
            "International Women's Day (day off moved from 8 March 2025)") in found
    assert (date(2025, 1, 3), "Day off (transferred from 5 January 2025)") in found
    assert date(2025, 1, 5) not in {d for d, _ in found}
    # The weekdays among them are exactly the year's non-working weekdays.
    assert [d for d, _ in found if d.weekday() < 5] == NON_WORKING_WEEKDAYS[2025]


def test_holiday_labels_follow_the_calendar_language():
    labels = dict(KazakhstanCalendar(language="ru").holidays(2025))
    assert labels[date(2025, 12, 16)] == "День Независимости"
    labels = dict(KazakhstanCalendar(language="kk").holidays(2025))
    assert labels[date(2025, 12, 16)] == "Тәуелсіздік күні"


def test_one_working_day_after_friday_3_may_2024_is_the_worked_saturday(cal):
    assert cal.add_working_days(date(2024, 5, 3), 1) == date(2024, 5, 4)


def test_one_working_day_after_20_march_2025_skips_nauryz_to_26_march(cal):
    assert cal.add_working_days(date(2025, 3, 20), 1) == date(2025, 3, 26)


def test_adding_working_days_never_counts_the_start_day(cal):
    assert cal.add_working_days(date(2025, 3, 26), 1) == date(2025, 3, 27)
    assert cal.add_working_days(date(2025, 3, 22), 1) == date(2025, 3, 26)  # from a Saturday
    assert cal.add_working_days(date(2025, 3, 20), 5) == date(2025, 4, 1)


def test_counting_back_skips_the_same_days(cal):
    assert cal.add_working_days(date(2025, 3, 26), -1) == date(2025, 3, 20)
    assert cal.sub_working_days(date(2025, 3, 26), 1) == date(2025, 3, 20)
    assert cal.sub_working_days(date(2025, 3, 26), -1) == date(2025, 3, 20)  # sign ignored
    assert cal.sub_working_days(date(2024, 5, 6), 1) == date(2024, 5, 4)  # worked Saturday
    assert cal.sub_working_days(date(2025, 1, 8), 2) == date(2025, 1, 5)  # worked Sunday
    assert cal.sub_working_days(date(2025, 1, 8), 3) == date(2024, 12, 31)


def test_adding_zero_working_days_returns_the_day_itself_even_a_holiday(cal):
    assert cal.add_working_days(date(2025, 3, 22), 0) == date(2025, 3, 22)
    assert cal.add_working_days(date(2025, 3, 24), 0) == date(2025, 3, 24)
    assert cal.sub_working_days(date(2025, 3, 24), 0) == date(2025, 3, 24)


def test_working_days_between_counts_after_the_start_up_to_the_end(cal):
    assert cal.get_working_days_delta(date(2025, 3, 20), date(2025, 3, 26)) == 1
    assert cal.get_working_days_delta(date(2025, 3, 26), date(2025, 3, 20)) == 1  # any order
    assert cal.get_working_days_delta(date(2025, 3, 20), date(2025, 3, 20)) == 0
    assert cal.get_working_days_delta(date(2025, 1, 1), date(2025, 1, 31)) == 20
    assert cal.get_working_days_delta(date(2025, 1, 1), date(2025, 12, 31)) == 246


def test_include_start_counts_the_first_day_only_when_it_is_working(cal):
    start, end = date(2025, 3, 20), date(2025, 3, 26)
    assert cal.get_working_days_delta(start, end, include_start=True) == 2
    holiday = date(2025, 3, 21)
    assert cal.get_working_days_delta(holiday, end, include_start=True) == 1
    assert cal.get_working_days_delta(start, start, include_start=True) == 0  # as workalendar


def test_datetimes_are_taken_as_their_dates(cal):
    moment = datetime(2025, 3, 20, 17, 30)
    assert cal.is_working_day(moment)
    assert not cal.is_working_day(datetime(2025, 3, 24, 9, 0))
    assert cal.is_holiday(datetime(2025, 3, 24, 9, 0))
    assert cal.add_working_days(moment, 1) == date(2025, 3, 26)
    assert type(cal.add_working_days(moment, 1)) is date
    assert cal.get_working_days_delta(moment, datetime(2025, 3, 26, 8, 0)) == 1


def test_keep_datetime_keeps_the_time_of_day(cal):
    moment = datetime(2025, 3, 20, 17, 30)
    assert cal.add_working_days(moment, 1, keep_datetime=True) == datetime(2025, 3, 26, 17, 30)
    assert cal.sub_working_days(datetime(2025, 3, 26, 9, 15), 1, keep_datetime=True) == (
        datetime(2025, 3, 20, 9, 15))
    assert cal.add_working_days(moment, 0, keep_datetime=True) == moment
    assert cal.add_working_days(date(2025, 3, 20), 1, keep_datetime=True) == date(2025, 3, 26)


def test_extra_working_days_and_extra_holidays_apply_to_one_call(cal):
    saturday = date(2025, 3, 29)
    assert cal.is_working_day(saturday, extra_working_days=[saturday])
    assert not cal.is_working_day(date(2025, 3, 27), extra_holidays=[date(2025, 3, 27)])
    assert cal.is_holiday(date(2025, 3, 27), extra_holidays=[date(2025, 3, 27)])
    # extra working days win over extra holidays, as workalendar documents
    assert cal.is_working_day(saturday, extra_working_days=[saturday], extra_holidays=[saturday])
    assert cal.add_working_days(date(2025, 3, 20), 1, extra_holidays=[date(2025, 3, 26)]) == (
        date(2025, 3, 27))
    assert cal.add_working_days(date(2025, 3, 20), 1, extra_working_days=[date(2025, 3, 22)]) == (
        date(2025, 3, 22))
    assert cal.sub_working_days(date(2025, 3, 26), 1, extra_holidays=[date(2025, 3, 20)]) == (
        date(2025, 3, 19))
    assert cal.get_working_days_delta(date(2025, 3, 20), date(2025, 3, 28),
                                      extra_holidays=[date(2025, 3, 27)]) == 2
    assert cal.get_working_days_delta(date(2025, 3, 20), date(2025, 3, 28),
                                      extra_working_days=[date(2025, 3, 22)]) == 4
    # ... and leave the calendar as it was
    assert not cal.is_working_day(saturday)
    assert cal.add_working_days(date(2025, 3, 20), 1) == date(2025, 3, 26)


def test_extra_days_accept_datetimes(cal):
    assert cal.is_working_day(date(2025, 3, 29), extra_working_days=[datetime(2025, 3, 29, 8)])
    assert not cal.is_working_day(date(2025, 3, 27), extra_holidays=[datetime(2025, 3, 27, 8)])


def test_2027_answers_by_the_rules_and_says_no_decree_is_loaded(cal):
    assert cal.decree_notice(2027) == (
        "2027: no transfer decree loaded; days follow the holiday and weekend-shift rules")
    assert cal.decree_notice(2025) is None
    assert cal.decree_notice(2026) is None  # loaded, and it moves nothing
    assert not cal.is_working_day(date(2027, 1, 4))  # Saturday 2 January 2027 moved


def test_dates_outside_the_data_raise_a_range_error(cal):
    assert (cal.first_year, cal.last_year) == (2002, 2030)
    with pytest.raises(CalendarRangeError, match="2001-12-31 is outside"):
        cal.is_working_day(date(2001, 12, 31))
    with pytest.raises(CalendarRangeError, match="2031-01-01 is outside"):
        cal.add_working_days(date(2031, 1, 1), 1)
    with pytest.raises(CalendarRangeError, match="outside the calendar's years 2002-2030"):
        cal.add_working_days(date(2030, 12, 20), 10)
    with pytest.raises(CalendarRangeError, match="outside"):
        cal.sub_working_days(date(2002, 1, 10), 10)
    with pytest.raises(CalendarRangeError, match="outside"):
        cal.get_working_days_delta(date(2025, 1, 1), date(2031, 1, 1))
    with pytest.raises(CalendarRangeError, match="1990 is outside"):
        cal.non_working_weekdays(1990)
    with pytest.raises(CalendarRangeError):
        cal.holidays(2050)
    with pytest.raises(CalendarRangeError):
        cal.decree_notice(2031)


def test_the_last_working_days_of_the_data_are_still_reachable(cal):
    last = cal.add_working_days(date(2030, 12, 30), 1)
    assert last == date(2030, 12, 31)
    assert cal.is_working_day(last)
    assert cal.sub_working_days(date(2002, 1, 4), 1) == date(2002, 1, 3)
