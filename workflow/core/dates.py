"""Day arithmetic shared by every due rule (one copy): months, years, rolling off days off,
and a due rule applied to a date (pure functions over the Kazakh calendar); and a date as
someone typed it, read (one copy for the command line and the pages).

The calendar and the due rule are annotations only: the command line reads a date without
loading the calendar (`merzim --version` loads neither)."""

from __future__ import annotations

import calendar as _months
import re
from datetime import date, timedelta
from typing import TYPE_CHECKING

from workflow.core.errors import UsageError

if TYPE_CHECKING:
    from calendars import KazakhstanCalendar
    from workflow.core.definition import DueRule


# Every date merzim is given (a case's named dates, a record's date, a date field or evidence)
# lies in these years: "0001-01-01" or "9999-12-31" is a typing mistake, never a deadline's
# anchor. The calendar's own years are narrower (`error.date_outside`).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only: no "２０２６-…"


def parse_day(text: str, what: str, *, strip: bool = True) -> date:
    """A date typed as YYYY-MM-DD in ASCII digits (blanks around it ignored; `strip=False`:
    taken as is, for a value of the address), between FIRST_DAY and LAST_DAY; else the usage
    error `error.bad_date` (or `error.date_out_of_bounds`) naming `what` (the option or the
    field) and the text as typed. Not the other forms `date.fromisoformat` reads ("20260101",
    "2026-W01-1")."""
    day = read_day(text.strip() if strip and isinstance(text, str) else text)
    if day is None:
        raise UsageError(f"{what}: {text!r} is not a date (YYYY-MM-DD)", key="error.bad_date",
                         what=what, value=text)
    return check_day(day, what)


def read_day(text: object) -> date | None:
    """`text` as a date if it is written YYYY-MM-DD in ASCII digits (any year), else None."""
    if not isinstance(text, str) or not _ISO_DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def in_bounds(day: date) -> bool:
    """Whether `day` lies between FIRST_DAY and LAST_DAY."""
    return FIRST_DAY <= day <= LAST_DAY


def check_day(day: date, what: str) -> date:
    """`day`, or the usage error `error.date_out_of_bounds` when it lies outside FIRST_DAY …
    LAST_DAY (the one check of every date given, whatever the adapter parsed it with)."""
    if not in_bounds(day):
        raise UsageError(f"{what}: {day.isoformat()} is not between {FIRST_DAY} and {LAST_DAY}",
                         key="error.date_out_of_bounds", what=what, value=day.isoformat(),
                         first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
    return day


def add_months(day: date, months: int) -> date:
    """Same day `months` later (or earlier); the 31st becomes the month's last day (Civil Code)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _months.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February (Civil Code, art. 173)."""
    year = day.year + years
    return date(year, day.month, min(day.day, _months.monthrange(year, day.month)[1]))


# How a calendar date on a day off moves (a due rule's `roll`): "date_rule" is the one date
# rule of the sources' dates (P-24): to the next working day (I-1, Civil Code art. 173), except
# the last day of a calendar year for a duty of that year, which moves back to the year's last
# working day. "following" and "preceding" always move forward or back (P-3's period ends,
# merzim's own dates); "none" leaves the date where it falls.
DATE_RULE, FOLLOWING, PRECEDING, NO_ROLL = "date_rule", "following", "preceding", "none"
ROLLS = (DATE_RULE, FOLLOWING, PRECEDING, NO_ROLL)
# Why a due date is not the date its rule gave (`moved_reason`): moved forward to the next
# working day (I-1), back to the year's last working day (P-24, P-3 for a year's end), or back
# to the last working day before it (P-3, merzim's own dates).
MOVED_FORWARD, MOVED_TO_YEAR_END, MOVED_BACK = "following", "year_end", "preceding"


def roll(cal: KazakhstanCalendar, day: date, how: str, duty_year: int | None = None) -> date:
    """Move a calendar-date deadline off a non-working day by `how` (see ROLLS). `duty_year`:
    the calendar year the duty belongs to (a recurring obligation's period), which the date
    rule keeps a 31 December in; None for a day count from an event (the rule then moves
    forward, I-1). The one function every due date's move goes through."""
    if how == NO_ROLL or cal.is_working_day(day):
        return day
    if how == DATE_RULE:
        year_end = duty_year is not None and day == date(duty_year, 12, 31)
        how = PRECEDING if year_end else FOLLOWING
    step = timedelta(days=-1 if how == PRECEDING else 1)
    while not cal.is_working_day(day):
        day += step
    return day


def moved_reason(nominal: date, due: date) -> str:
    """Why `due` is not `nominal`, the date the rule gave: MOVED_FORWARD (I-1), MOVED_TO_YEAR_END
    (a 31 December moved back to the year's last working day: P-24, P-3), MOVED_BACK (the last
    working day before it); "" when it did not move."""
    if due == nominal:
        return ""
    if due > nominal:
        return MOVED_FORWARD
    if (nominal.month, nominal.day) == (12, 31) and due.year == nominal.year:
        return MOVED_TO_YEAR_END
    return MOVED_BACK


def not_in_future(day: date, today: date) -> None:
    """Refuse a date after today: what is recorded has happened (one copy of the rule)."""
    from workflow.core.errors import RuleViolation

    if day > today:
        raise RuleViolation(f"{day} is in the future", key="rule.future_date",
                            date=day.isoformat(), today=today.isoformat())


def apply_rule(cal: KazakhstanCalendar, anchor: date, rule: DueRule) -> date:
    """Move `anchor` by the rule's offset in its unit and direction."""
    sign = -1 if rule.direction == "before" else 1
    n = sign * rule.offset
    if rule.unit == "working_days":
        if rule.inclusive:  # I-4: the anchor day is the first when it is a working day
            first = anchor if cal.is_working_day(anchor) else cal.add_working_days(anchor, sign)
            return cal.add_working_days(first, n - sign)
        return cal.add_working_days(anchor, n)
    if rule.unit == "calendar_days":
        moved = anchor + timedelta(days=n)
    elif rule.unit == "weeks":
        moved = anchor + timedelta(weeks=n)
    elif rule.unit == "months":
        moved = add_months(anchor, n)
    else:  # years
        moved = add_years(anchor, n)
    return roll(cal, moved, rule.roll)  # a day count: no duty year (P-24: forward, I-1)


def working_days_inclusive(cal: KazakhstanCalendar, start: date, end: date) -> int:
    """Working days from `start` to `end`, both included (I-4)."""
    return cal.get_working_days_delta(start, end, include_start=True)
