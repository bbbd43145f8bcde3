"""The rule of "before joining -- to confirm" (B-25), pure: an open stage of a back-filled case,
due before the day its organisation joined, while it confirms (N working days of the Kazakh
calendar after joining); anything else is ordinary."""

from __future__ import annotations

from datetime import date

from calendars import KazakhstanCalendar
from workflow.core.deadlines import DONE_LATE, NOT_DONE, OPEN
from workflow.core.joining import among_confirming, before_joining, confirm_until, confirming

CAL = KazakhstanCalendar()
JOINED = date(2026, 3, 2)  # a Monday; 8 March (a Sunday) moves its day off to Monday 9 March


def test_the_window_counts_working_days_of_the_kazakh_calendar():
    # 5 working days from Monday 2 March: 3, 4, 5, 6 and (9 March off) Tuesday 10 March
    assert confirm_until(CAL, JOINED, 5) == date(2026, 3, 10)
    assert confirming(CAL, JOINED, date(2026, 3, 9), 5)
    assert not confirming(CAL, JOINED, date(2026, 3, 10), 5)
    assert not confirming(CAL, None, JOINED, 5)  # never joined mid-year
    assert not confirming(CAL, JOINED, JOINED, 0)  # 0: overdue at once


def test_only_an_open_back_filled_stage_due_before_joining():
    def rule(status=OPEN, due=date(2026, 1, 30), opened=JOINED, joined=JOINED,
             today=date(2026, 3, 5)) -> bool:
        return before_joining(CAL, status, due, opened, joined, today, 20)

    assert rule()
    assert not rule(status=DONE_LATE) and not rule(status=NOT_DONE)  # recorded, not done
    assert not rule(due=JOINED)  # due on the day it joined: ordinary
    assert not rule(due=None)
    assert not rule(opened=date(2026, 2, 1))  # a case it had before joining keeps its lateness
    assert not rule(opened=None)
    assert not rule(joined=None)  # an organisation from the start
    last = CAL.add_working_days(confirm_until(CAL, JOINED, 20), -1)
    assert rule(today=last)  # the last working day of the window
    assert not rule(today=confirm_until(CAL, JOINED, 20))  # the window has passed


def test_the_sql_side_reads_the_same_rule():
    orgs = {7: JOINED}
    assert among_confirming(orgs, 7, date(2026, 1, 30), JOINED)
    assert not among_confirming(orgs, 8, date(2026, 1, 30), JOINED)  # another organisation
    assert not among_confirming(orgs, 7, date(2026, 3, 3), JOINED)
    assert not among_confirming(orgs, 7, date(2026, 1, 30), date(2026, 1, 5))
    assert not among_confirming(orgs, None, date(2026, 1, 30), JOINED)
