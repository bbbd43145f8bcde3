"""Joining mid-year (B-25), pure: whether a stage of an organisation that joined merzim during
the year is "before joining -- to confirm" rather than overdue.

An office that adopts merzim in July has its year so far opened (the periods that fell due
since January): they are its real obligations, but a stage of them that fell due before the
day it joined and is still open says only that nothing is recorded *in merzim* yet. Only the
cases opened on or after that day (the back-filled periods, by their `typed_on`) are such;
a case the organisation had before keeps its overdue stages. For a
settable number of working days after joining (the Kazakh calendar) such a stage is counted
apart from overdue, in every list, summary, digest, reminder and notice, while the office
records what it already did (on its real dates: on time or late by them) or marks it not done.
After that window it is ordinary again: overdue if still open.

This module decides; `workflow/storage/queries/joining.py` gives the same rule as the SQL
condition the lists use, and every surface asks one or the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from calendars import KazakhstanCalendar
from workflow.core.deadlines import OPEN

BEFORE_JOINING = "before_joining"  # shown, not stored: an open stage due before joining
DEFAULT_CONFIRM_DAYS = 20  # config.toml [deadlines] joining_confirm_days


def confirm_until(cal: KazakhstanCalendar, joined_on: date, days: int) -> date:
    """The first day the earlier stages are ordinary again: `days` working days after the
    day the organisation joined."""
    return cal.add_working_days(joined_on, days)


def confirming(cal: KazakhstanCalendar, joined_on: date | None, today: date, days: int) -> bool:
    """Whether an organisation that joined on `joined_on` is still confirming its year so far
    today (None: it did not join mid-year)."""
    return joined_on is not None and today < confirm_until(cal, joined_on, days)


def before_joining(cal: KazakhstanCalendar, status: str, due: date | None,
                   opened_on: date | None, joined_on: date | None, today: date,
                   days: int) -> bool:
    """Whether a stage (its stored status and due date, the day its case was opened) of an
    organisation that joined on `joined_on` is "before joining -- to confirm" today: still
    open, of a case opened on or after the day it joined (a back-filled period, not one it
    had before), due before that day, within `days` working days of joining."""
    return (status == OPEN and _fell_before(due, opened_on, joined_on)
            and confirming(cal, joined_on, today, days))


def among_confirming(orgs: Mapping[int, date], subject_id: int | None, due: date | None,
                     opened_on: date | None) -> bool:
    """Whether an open stage (its organisation's id, its due date, the day its case was
    opened) is before joining, given the organisations confirming today (id -> the day each
    joined: `confirming` of each, as `workflow/storage/queries/joining.py` reads them)."""
    return _fell_before(due, opened_on, orgs.get(subject_id) if subject_id is not None else None)


def _fell_before(due: date | None, opened_on: date | None, joined_on: date | None) -> bool:
    """Due before the day its organisation joined, of a case opened on or after that day."""
    return (joined_on is not None and due is not None and due < joined_on
            and opened_on is not None and opened_on >= joined_on)
