"""The calendar's flat lookup tables give the answers of a plain day-by-day walk.

The reference here does not touch the tables: it walks one day at a time and asks the
year rules (`calendars.rules.is_working` over `compute_year`) about each day, stopping
with `CalendarRangeError` where the calendar's years end. The fast path must agree with
it on random dates and steps across the calendar's whole range, both directions, on the
shipped data (decree transfers included) and with an operator's overrides.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workalendar.core import UnsupportedDateType

from calendars import CalendarRangeError, KazakhstanCalendar
from calendars.rules import compute_year, is_working

pytestmark = pytest.mark.slow  # every day of the calendar's range against the plain walk

ONE = timedelta(days=1)


class PlainWalk:
    """Working days by the rules alone, one day at a time (slow, obviously right)."""

    def __init__(self, cal: KazakhstanCalendar):
        self.data = cal.data
        self.first = date(cal.data.first_year, 1, 1)
        self.last = date(cal.data.last_year, 12, 31)
        self.years = {}

    def working(self, day: date) -> bool:
        if not self.first <= day <= self.last:
            raise CalendarRangeError(day)
        if day.year not in self.years:
            self.years[day.year] = compute_year(self.data, day.year)
        return is_working(day, self.years[day.year])

    def add(self, day: date, delta: int) -> date:
        self.working(day)  # a start outside the years is refused even for a step of 0
        step = ONE if delta > 0 else -ONE
        left = abs(delta)
        while left:
            day += step
            if self.working(day):
                left -= 1
        return day

    def between(self, start: date, end: date, include_start: bool) -> int:
        if start == end:
            return 0
        start, end = min(start, end), max(start, end)
        count = int(include_start and self.working(start))
        self.working(start)
        day = start
        while day < end:
            day += ONE
            count += self.working(day)
        return count


def outcome(fn, *args):
    """The value of `fn(*args)`, or the range error it raises (both sides must agree on either)."""
    try:
        return fn(*args)
    except CalendarRangeError:
        return CalendarRangeError


# -- calendars under test: shipped, and with each kind of override ------------------------

SHIPPED = KazakhstanCalendar()
LAST = SHIPPED.last_year
OVERRIDDEN = KazakhstanCalendar(overrides={
    # A decree for a year without one: Friday 8 January off, Sunday 10 January worked.
    "transfers": [{"day_off": date(2027, 1, 8), "worked": date(2027, 1, 10),
                   "reference": "test decree"}],
    "days_off": [{"date": date(2026, 3, 13), "reference": "test one-off day off"},
                 {"date": date(2002, 1, 4), "reference": "first week of the data"}],
    "working_days": [{"date": date(2025, 6, 14), "reference": "test working Saturday"},
                     {"date": date(LAST, 12, 28), "reference": "last week of the data"}],
    # A Kurban Ait for the year after the shipped data extends the calendar by a year.
    "kurban_ait": [{"date": date(LAST + 1, 5, 16), "reference": "test announcement"}],
    "decrees": [{"year": 2028, "reference": "test: a decree that moves nothing"}],
})
CALENDARS = {"shipped": SHIPPED, "overridden": OVERRIDDEN}
WALKS = {name: PlainWalk(cal) for name, cal in CALENDARS.items()}


def span(cal: KazakhstanCalendar, margin: int = 60):
    """Dates from a little before the calendar's first day to a little after its last."""
    return st.dates(min_value=date(cal.first_year, 1, 1) - timedelta(days=margin),
                    max_value=date(cal.last_year, 12, 31) + timedelta(days=margin))


def near_edges(cal: KazakhstanCalendar):
    """Dates within a few weeks of either end, where steps run out of data."""
    first, last = date(cal.first_year, 1, 1), date(cal.last_year, 12, 31)
    return st.one_of(
        st.dates(min_value=first - timedelta(days=10), max_value=first + timedelta(days=40)),
        st.dates(min_value=last - timedelta(days=40), max_value=last + timedelta(days=10)),
    )


steps = st.one_of(st.integers(min_value=-40, max_value=40),
                  st.integers(min_value=-600, max_value=600))
fast = settings(max_examples=400, deadline=None)


each_calendar = pytest.mark.parametrize("name", sorted(CALENDARS))


def test_the_override_fixture_moves_days_and_extends_the_years():
    assert OVERRIDDEN.last_year == LAST + 1
    assert not OVERRIDDEN.is_working_day(date(2027, 1, 8))
    assert OVERRIDDEN.is_working_day(date(2027, 1, 10))
    assert not OVERRIDDEN.is_working_day(date(2026, 3, 13))
    assert OVERRIDDEN.is_working_day(date(2025, 6, 14))
    assert SHIPPED.is_working_day(date(2027, 1, 8)) and not SHIPPED.is_working_day(
        date(2027, 1, 10))


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_every_day_of_the_range_is_working_exactly_when_the_rules_say(name):
    cal, walk = CALENDARS[name], WALKS[name]
    day, last = date(cal.first_year, 1, 1), date(cal.last_year, 12, 31)
    while day <= last:
        assert cal.is_working_day(day) is walk.working(day), day
        day += ONE


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_a_decree_transfer_moves_the_answer_of_the_fast_path(name):
    # 2025: Friday 3 January off, Sunday 5 January worked (decree of 2024).
    cal = CALENDARS[name]
    assert cal.add_working_days(date(2025, 1, 2), 1) == date(2025, 1, 5)
    assert cal.sub_working_days(date(2025, 1, 6), 1) == date(2025, 1, 5)
    assert cal.get_working_days_delta(date(2025, 1, 2), date(2025, 1, 6)) == 2


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_from_every_day_of_the_range_short_steps_equal_the_plain_walk(name):
    # Every start day (a leap day, a moved day off, the first and last weeks included).
    cal, walk = CALENDARS[name], WALKS[name]
    day, last = date(cal.first_year, 1, 1), date(cal.last_year, 12, 31)
    while day <= last:
        for delta in (0, 1, -1, 2, -2, 23, -23):
            assert outcome(cal.add_working_days, day, delta) == outcome(
                walk.add, day, delta), (day, delta)
        assert outcome(cal.sub_working_days, day, 2) == outcome(
            walk.add, day, -2), day
        for gap in (1, -1, 9):
            other = day + timedelta(days=gap)
            for include_start in (False, True):
                assert outcome(cal.get_working_days_delta, day, other, include_start) == (
                    outcome(walk.between, day, other, include_start)), (day, gap)
        day += ONE


@each_calendar
@pytest.mark.parametrize(("method", "walked"), [
    pytest.param("add_working_days", lambda delta: delta, id="add-across-the-whole-range"),
    pytest.param("sub_working_days", lambda delta: -abs(delta), id="sub-backwards"),
])
@fast
@given(data=st.data(), delta=steps)
def test_adding_or_subtracting_working_days_equals_the_plain_walk(name, method, walked, data,
                                                                  delta):
    """`add_working_days` walks as the plain walk does; `sub_working_days` walks backwards."""
    cal, walk = CALENDARS[name], WALKS[name]
    day = data.draw(st.one_of(span(cal), near_edges(cal)))
    assert outcome(getattr(cal, method), day, delta) == outcome(walk.add, day, walked(delta))


@each_calendar
@fast
@given(data=st.data(), gap=st.integers(min_value=-700, max_value=700),
       include_start=st.booleans())
def test_working_days_between_equals_the_plain_count(name, data, gap, include_start):
    cal, walk = CALENDARS[name], WALKS[name]
    start = data.draw(st.one_of(span(cal), near_edges(cal)))
    try:
        end = start + timedelta(days=gap)
    except OverflowError:
        return
    assert outcome(cal.get_working_days_delta, start, end, include_start) == outcome(
        walk.between, start, end, include_start)


@each_calendar
@fast
@given(data=st.data())
def test_is_working_day_equals_the_rules_or_refuses_outside_the_years(name, data):
    cal, walk = CALENDARS[name], WALKS[name]
    day = data.draw(span(cal, margin=400))
    assert outcome(cal.is_working_day, day) == outcome(walk.working, day)


# -- the checked path: other argument types and the errors, as before -----------------------


def test_a_datetime_is_taken_as_its_date_and_keeps_its_time_when_asked():
    cal = SHIPPED
    moment = datetime(2025, 1, 2, 15, 30)
    assert cal.add_working_days(moment, 1) == date(2025, 1, 5)
    assert cal.add_working_days(moment, 1, keep_datetime=True) == datetime(2025, 1, 5, 15, 30)
    assert cal.sub_working_days(datetime(2025, 1, 6, 9), 1) == date(2025, 1, 5)
    assert cal.add_working_days(moment, 0) == date(2025, 1, 2)
    assert cal.is_working_day(datetime(2025, 1, 3, 12)) is False
    assert cal.get_working_days_delta(moment, date(2025, 1, 6)) == 2
    assert cal.get_working_days_delta(datetime(2025, 1, 8), datetime(2025, 1, 5, 10),
                                      include_start=True) == 3  # 5 (worked), 6, 8 January (7th: Christmas)


def test_a_subclass_of_date_is_answered_as_a_plain_date():
    class Day(date):
        pass

    assert SHIPPED.add_working_days(Day(2025, 1, 2), 1) == date(2025, 1, 5)
    assert SHIPPED.is_working_day(Day(2025, 1, 5)) is True
    assert SHIPPED.get_working_days_delta(Day(2025, 1, 2), Day(2025, 1, 6)) == 2


def test_extra_days_of_one_call_use_the_walk_and_leave_the_tables_alone():
    cal = SHIPPED
    assert cal.add_working_days(date(2025, 1, 2), 1, extra_holidays=[date(2025, 1, 5)]) == (
        date(2025, 1, 6))
    assert cal.is_working_day(date(2025, 1, 4), extra_working_days=[date(2025, 1, 4)])
    assert cal.add_working_days(date(2025, 1, 2), 1) == date(2025, 1, 5)


@pytest.mark.parametrize("call, message", [
    (lambda c: c.add_working_days(date(2001, 12, 31), 1),
     "2001-12-31 is outside the calendar's years 2002-2030"),
    (lambda c: c.add_working_days(date(2031, 1, 1), 0),
     "2031-01-01 is outside the calendar's years 2002-2030"),
    (lambda c: c.add_working_days(date(2030, 12, 20), 30),
     "2030-12-20 +30 working days is outside the calendar's years 2002-2030"),
    (lambda c: c.sub_working_days(date(2002, 1, 10), 30),
     "2002-01-10 -30 working days is outside the calendar's years 2002-2030"),
    (lambda c: c.is_working_day(date(1999, 5, 5)),
     "1999-05-05 is outside the calendar's years 2002-2030"),
    (lambda c: c.get_working_days_delta(date(2030, 12, 1), date(2031, 1, 5)),
     "2031-01-05 is outside the calendar's years 2002-2030"),
    (lambda c: c.add_working_days(datetime(2031, 3, 1, 8), 1),
     "2031-03-01 is outside the calendar's years 2002-2030"),
])
def test_outside_the_years_the_same_error_as_before(call, message):
    assert (SHIPPED.first_year, SHIPPED.last_year) == (2002, 2030)
    with pytest.raises(CalendarRangeError) as caught:
        call(SHIPPED)
    assert str(caught.value) == message


def test_the_same_date_twice_is_zero_working_days_even_outside_the_years():
    assert SHIPPED.get_working_days_delta(date(1990, 1, 1), date(1990, 1, 1)) == 0


def test_what_is_not_a_date_is_refused_as_workalendar_refuses_it():
    with pytest.raises(UnsupportedDateType):
        SHIPPED.add_working_days("2025-01-02", 1)
    with pytest.raises(UnsupportedDateType):
        SHIPPED.is_working_day(["2025-01-02"])
    with pytest.raises(TypeError):
        SHIPPED.add_working_days(date(2025, 1, 2), 1.5)


def test_new_data_rebuilds_the_tables():
    cal = KazakhstanCalendar()
    assert cal.add_working_days(date(2027, 1, 7), 1) == date(2027, 1, 8)
    cal.data = OVERRIDDEN.data
    assert cal.last_year == LAST + 1
    assert cal.add_working_days(date(2027, 1, 7), 1) == date(2027, 1, 10)
    assert cal.is_working_day(date(LAST + 1, 6, 1)) is WALKS["overridden"].working(
        date(LAST + 1, 6, 1))
    cal.data = dataclasses.replace(OVERRIDDEN.data, extra_transfers=())
    assert cal.add_working_days(date(2027, 1, 7), 1) == date(2027, 1, 8)
