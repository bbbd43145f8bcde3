"""Properties of the calendar's fast arithmetic, checked against workalendar's day-by-day walk."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendars import CalendarRangeError, KazakhstanCalendar
from calendars.rules import compute_year, is_working

pytestmark = pytest.mark.unit  # pure: no database, no process

CAL = KazakhstanCalendar()

days = st.dates(min_value=date(2003, 1, 1), max_value=date(2029, 12, 31))
# Days from which 400 working days either way stay inside the data (2002-2030).
inner_days = st.dates(min_value=date(2004, 1, 1), max_value=date(2028, 12, 31))
steps = st.integers(min_value=-400, max_value=400)
positive_steps = st.integers(min_value=1, max_value=400)

calendar_settings = settings(max_examples=300, deadline=None)


def outcome(call):
    """The value of `call()`, or the range error it raises (both sides must agree on either)."""
    try:
        return call()
    except CalendarRangeError:
        return CalendarRangeError


@calendar_settings
@given(day=days, delta=steps)
def test_fast_add_working_days_equals_the_day_by_day_walk(day, delta):
    assert outcome(lambda: CAL.add_working_days(day, delta)) == outcome(
        lambda: CAL.walk_add_working_days(day, delta))


@calendar_settings
@given(day=days, delta=steps)
def test_fast_sub_working_days_equals_the_walk_backwards(day, delta):
    assert outcome(lambda: CAL.sub_working_days(day, delta)) == outcome(
        lambda: CAL.walk_add_working_days(day, -abs(delta)))


@calendar_settings
@given(start=days, end=days, include_start=st.booleans())
def test_fast_working_days_delta_equals_the_walk(start, end, include_start):
    assert CAL.get_working_days_delta(start, end, include_start) == (
        CAL.walk_working_days_delta(start, end, include_start))


@calendar_settings
@given(day=inner_days, delta=positive_steps)
def test_n_working_days_later_is_a_working_day_n_working_days_away(day, delta):
    later = CAL.add_working_days(day, delta)
    assert later > day
    assert CAL.is_working_day(later)
    assert CAL.get_working_days_delta(day, later) == delta


@calendar_settings
@given(day=inner_days, delta=positive_steps)
def test_n_working_days_earlier_is_a_working_day_n_working_days_away(day, delta):
    earlier = CAL.sub_working_days(day, delta)
    assert earlier < day
    assert CAL.is_working_day(earlier)
    # (earlier, day] holds the delta - 1 working days in between, and day itself if working.
    assert CAL.get_working_days_delta(earlier, day) == delta - 1 + CAL.is_working_day(day)


@calendar_settings
@given(day=inner_days, delta=positive_steps)
def test_going_forward_and_back_returns_to_a_working_day(day, delta):
    back = CAL.sub_working_days(CAL.add_working_days(day, delta), delta)
    if CAL.is_working_day(day):
        assert back == day
    else:
        # From a day off, the way back stops at the last working day before it.
        assert back == CAL.sub_working_days(day, 1)


@calendar_settings
@given(day=inner_days, delta=st.integers(min_value=1, max_value=15))
def test_a_step_of_n_is_n_steps_of_one(day, delta):
    walked = day
    for _ in range(delta):
        walked = CAL.add_working_days(walked, 1)
    assert walked == CAL.add_working_days(day, delta)


@calendar_settings
@given(day=st.dates(min_value=date(2002, 1, 1), max_value=date(2030, 12, 31)))
def test_the_index_agrees_with_the_year_rules_on_a_random_day(day):
    assert CAL.is_working_day(day) is is_working(day, compute_year(CAL.data, day.year))


@pytest.mark.parametrize("year", range(2002, 2031))
def test_the_index_agrees_with_the_year_rules_on_every_day_of_the_year(year):
    year_days = compute_year(CAL.data, year)
    assert year_days == CAL.year_days(year)
    day = date(year, 1, 1)
    while day.year == year:
        assert CAL.is_working_day(day) is is_working(day, year_days), day
        day += timedelta(days=1)


@settings(max_examples=40, deadline=None)
@given(day=st.dates(min_value=date(2003, 1, 1), max_value=date(2029, 12, 31)).filter(
    lambda d: d.weekday() >= 5), delta=steps)
def test_an_operator_working_saturday_or_sunday_keeps_fast_and_walk_equal(day, delta):
    if CAL.is_working_day(day):
        return  # already worked by decree; an override of it is refused
    cal = KazakhstanCalendar(overrides={
        "working_days": [{"date": day, "reference": "property test"}],
    })
    assert cal.is_working_day(day)
    start = day - timedelta(days=10)
    assert outcome(lambda: cal.add_working_days(start, delta)) == outcome(
        lambda: cal.walk_add_working_days(start, delta))
    assert cal.get_working_days_delta(start, day) == cal.walk_working_days_delta(start, day)
