"""Reporting periods of the quarterly monitoring and their deadlines (pure, real calendar).

Every expected date is written by hand from the Kazakh production calendar
(`merzim calendar show YEAR --json`), not computed:

* 2025: 5 Jan is a Sunday but a working day (worked instead of Friday 3 Jan); 5 Apr is a
  Saturday -> Mon 7 Apr; 5 Jul is a Saturday, Sun 6 Jul, Mon 7 Jul is Capital Day moved off
  the Sunday -> Tue 8 Jul; 5 Oct is a Sunday -> Mon 6 Oct.
* 2026: 5 Jan is a Monday (1-2 Jan and 7 Jan are off, not the 5th); 5 Apr is a Sunday ->
  Mon 6 Apr; 5 Jul is a Sunday and Mon 6 Jul is Capital Day -> Tue 7 Jul; 5 Oct is a Monday.
* 2027 (no transfer decree yet: the holiday and weekend-shift rules): 5 Jan is a Tuesday;
  5 Apr, 5 Jul are Mondays; 5 Oct is a Tuesday.
* 2028: 5 Jan is a Wednesday (3-4 Jan are the shifted New Year days).
* 2024: 5 Apr and 5 Jul are Fridays; 5 Oct is a Saturday -> Mon 7 Oct.
"""

from __future__ import annotations

from datetime import date

import pytest

from workflow.core.errors import ConfigError
from workflow.monitoring import rules as mon

pytestmark = pytest.mark.unit  # pure: no database, no process


def d(text: str) -> date:
    return date.fromisoformat(text)


# a quarter -> the day its report is due, by hand (above)
REPORT_DUE = {
    "2024Q1": "2024-04-05", "2024Q2": "2024-07-05", "2024Q3": "2024-10-07", "2024Q4": "2025-01-05",
    "2025Q1": "2025-04-07", "2025Q2": "2025-07-08", "2025Q3": "2025-10-06", "2025Q4": "2026-01-05",
    "2026Q1": "2026-04-06", "2026Q2": "2026-07-07", "2026Q3": "2026-10-05", "2026Q4": "2027-01-05",
    "2027Q1": "2027-04-05", "2027Q2": "2027-07-05", "2027Q3": "2027-10-05", "2027Q4": "2028-01-05",
}
# a quarter's first and last day
QUARTER_DAYS = {1: ("01-01", "03-31"), 2: ("04-01", "06-30"), 3: ("07-01", "09-30"),
                4: ("10-01", "12-31")}
# note signed -> its periods: the first quarter, and how many
CASES = {
    # 2024Q4: the 2024Q4 report falls on the worked Sunday 5 January 2025 and stays there.
    "2024-12-10": ("2024Q4", 5),
    # 29 February (leap day): the year runs to 28 Feb 2025, which lies inside 2025Q1.
    "2024-02-29": ("2024Q1", 5),
    # 2025Q1, mid-quarter: five quarters, 2025Q1 .. 2026Q1.
    "2025-02-14": ("2025Q1", 5),
    # 2025Q2, the last day of the quarter: the one-day quarter 2025Q2 is a period too.
    "2025-06-30": ("2025Q2", 5),
    # 2025Q3, the first day of the quarter: [1 Jul 2025, 1 Jul 2026) is exactly four quarters.
    "2025-07-01": ("2025Q3", 4),
    # 2025Q4: the acceptance case.
    "2025-11-20": ("2025Q4", 5),
    # 2026Q1, the first day of the quarter (and of the year, a holiday): four quarters.
    "2026-01-01": ("2026Q1", 4),
    # 2026Q1, the last day of the quarter.
    "2026-03-31": ("2026Q1", 5),
    # 2026Q2, the first day of the quarter: four quarters.
    "2026-04-01": ("2026Q2", 4),
    # 2026Q2, mid-quarter.
    "2026-05-15": ("2026Q2", 5),
    # 2026Q3, mid-quarter.
    "2026-08-10": ("2026Q3", 5),
    # 2026Q4, the last day of the quarter and of the year.
    "2026-12-31": ("2026Q4", 5),
}


def quarters(first: str, count: int) -> list[tuple[str, date, date, date]]:
    """(period, start, end, report due) of `count` quarters from `first` on."""
    labels = sorted(REPORT_DUE)
    periods = []
    for label in labels[labels.index(first):labels.index(first) + count]:
        start, end = QUARTER_DAYS[int(label[5])]
        periods.append((label, d(f"{label[:4]}-{start}"), d(f"{label[:4]}-{end}"),
                        d(REPORT_DUE[label])))
    return periods


@pytest.mark.parametrize("signed", sorted(CASES))
def test_periods_and_report_deadlines_for_a_note_signed_on(calendar, signed):
    got = [(p.label, p.start, p.end, p.report_due) for p in mon.periods(calendar, d(signed))]
    assert got == quarters(*CASES[signed])


def test_cases_cover_every_quarter_of_2025_and_2026():
    quarters = {mon.quarter_of(d(signed)) for signed in CASES}
    assert {(y, q) for y in (2025, 2026) for q in (1, 2, 3, 4)} <= quarters


def test_acceptance_note_of_20_november_2025():
    """Q4 2025 .. Q4 2026; reports due 5 Jan, 6 Apr, 7 Jul, 5 Oct 2026, 5 Jan 2027."""
    got = mon.periods(mon.KazakhstanCalendar(), date(2025, 11, 20))
    assert [p.label for p in got] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert [p.report_due for p in got] == [date(2026, 1, 5), date(2026, 4, 6), date(2026, 7, 7),
                                           date(2026, 10, 5), date(2027, 1, 5)]


def test_worked_sunday_5_january_2025_is_a_working_day_so_the_deadline_stays(calendar):
    assert date(2025, 1, 5).weekday() == 6
    assert calendar.is_working_day(date(2025, 1, 5))
    assert mon.report_due(calendar, date(2024, 12, 31)) == date(2025, 1, 5)


def test_report_deadline_rolled_backwards_with_preceding(calendar):
    # Sun 5 Apr 2026 -> Sat 4 Apr -> Fri 3 Apr; Sun 5 Jul 2026 -> Fri 3 Jul.
    assert mon.report_due(calendar, date(2026, 3, 31), how="preceding") == date(2026, 4, 3)
    assert mon.report_due(calendar, date(2026, 6, 30), how="preceding") == date(2026, 7, 3)
    # "none": the 5th as it is, even a Sunday.
    assert mon.report_due(calendar, date(2026, 3, 31), how="none") == date(2026, 4, 5)


def test_two_monitoring_years_give_nine_quarters(calendar):
    got = mon.periods(calendar, date(2025, 11, 20), years=2)
    assert [p.label for p in got] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4",
                                      "2027Q1", "2027Q2", "2027Q3", "2027Q4"]
    assert got[-1].report_due == date(2028, 1, 5)


# receipt -> review due (5 working days after the receipt), by hand.
REVIEWS = {
    # Nauryz: Fri 20 Mar 2026; Mon 23 - Wed 25 Mar off; 26, 27, 30, 31 Mar, 1 Apr.
    "2026-03-20": "2026-04-01",
    # New Year 2026: Tue 30 Dec 2025; 31 Dec, (1-2 Jan off, weekend) 5, 6, (7 Jan off) 8, 9 Jan.
    "2025-12-30": "2026-01-09",
    # New Year 2025: Mon 30 Dec 2024; 31 Dec, (1-3 Jan off, Sat 4) Sun 5 (worked), 6, (7 off) 8, 9.
    "2024-12-30": "2025-01-09",
    # On the report deadline: Mon 5 Jan 2026; 6, (7 off) 8, 9, 12, 13 Jan.
    "2026-01-05": "2026-01-13",
    # Independence Day: Fri 12 Dec 2025; 15, (16 off) 17, 18, 19, 22 Dec.
    "2025-12-12": "2025-12-22",
    # Capital Day week: Tue 7 Jul 2026; 8, 9, 10, 13, 14 Jul.
    "2026-07-07": "2026-07-14",
    # An ordinary week: Wed 7 Oct 2026; 8, 9, 12, 13, 14 Oct.
    "2026-10-07": "2026-10-14",
    # Received on a Saturday: Sat 4 Apr 2026; 6, 7, 8, 9, 10 Apr.
    "2026-04-04": "2026-04-10",
}


@pytest.mark.parametrize("received", sorted(REVIEWS))
def test_review_due_five_working_days_after_receipt(calendar, received):
    assert mon.review_due(calendar, d(received)) == d(REVIEWS[received])


def test_quarter_helpers():
    assert mon.quarter_of(date(2025, 11, 20)) == (2025, 4)
    assert mon.quarter_of(date(2026, 1, 1)) == (2026, 1)
    assert mon.quarter_of(date(2026, 6, 30)) == (2026, 2)
    assert mon.quarter_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 3, 31))
    assert mon.quarter_bounds(2024, 1) == (date(2024, 1, 1), date(2024, 3, 31))
    assert mon.quarter_bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    assert mon.add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert mon.add_years(date(2025, 11, 20), 1) == date(2026, 11, 20)


# -- the interpretations that change the periods (definition [interpretations]) --------------------


def test_half_year_periods(calendar):
    got = mon.periods(calendar, date(2025, 11, 20), months=6)
    assert [(p.label, p.start, p.end, p.report_due) for p in got] == [
        ("2025H2", date(2025, 7, 1), date(2025, 12, 31), date(2026, 1, 5)),
        ("2026H1", date(2026, 1, 1), date(2026, 6, 30), date(2026, 7, 7)),   # Sun 5, Mon 6 Jul off
        ("2026H2", date(2026, 7, 1), date(2026, 12, 31), date(2027, 1, 5)),
    ]
    # signed on the first day of a half-year: exactly two
    assert [p.label for p in mon.periods(calendar, date(2026, 1, 1), months=6)] == ["2026H1",
                                                                                  "2026H2"]


def test_monthly_periods(calendar):
    got = mon.periods(calendar, date(2025, 11, 20), months=1)
    assert [(p.label, p.report_due) for p in got] == [
        ("2025P11", date(2025, 12, 5)),   # Fri
        ("2025P12", date(2026, 1, 5)),    # Mon
        ("2026P1", date(2026, 2, 5)),     # Thu
        ("2026P2", date(2026, 3, 5)),     # Thu
        ("2026P3", date(2026, 4, 6)),     # Sun 5 Apr -> Mon
        ("2026P4", date(2026, 5, 5)),     # Tue
        ("2026P5", date(2026, 6, 5)),     # Fri
        ("2026P6", date(2026, 7, 7)),     # Sun 5, Capital Day Mon 6 -> Tue
        ("2026P7", date(2026, 8, 5)),     # Wed
        ("2026P8", date(2026, 9, 7)),     # Sat 5 Sep -> Mon 7
        ("2026P9", date(2026, 10, 5)),    # Mon
        ("2026P10", date(2026, 11, 5)),   # Thu
        ("2026P11", date(2026, 12, 7)),   # Sat 5 Dec -> Mon 7
    ]
    assert (got[1].start, got[1].end) == (date(2025, 12, 1), date(2025, 12, 31))
    assert (got[3].start, got[3].end) == (date(2026, 2, 1), date(2026, 2, 28))


def test_another_report_day(calendar):
    got = mon.periods(calendar, date(2025, 11, 20), day=10)
    assert [p.report_due for p in got] == [
        date(2026, 1, 12),   # Sat 10 Jan -> Mon 12
        date(2026, 4, 10),   # Fri
        date(2026, 7, 10),   # Fri
        date(2026, 10, 12),  # Sat 10 Oct -> Mon 12
        date(2027, 1, 11),   # Sun 10 Jan -> Mon 11
    ]


def test_another_review_length(calendar):
    # 3 working days after Fri 20 Mar 2026: (23-25 off) 26, 27, 30 Mar
    assert mon.review_due(calendar, date(2026, 3, 20), 3) == date(2026, 3, 30)
    assert mon.review_due(calendar, date(2026, 1, 12), 3) == date(2026, 1, 15)


def test_period_labels_and_bad_lengths(calendar):
    assert mon.parse_label("2025Q4") == (2025, 4, 3)
    assert mon.parse_label("2026H1") == (2026, 1, 6)
    assert mon.parse_label("2026P11") == (2026, 11, 1)
    assert mon.label(2026, 1, 6) == "2026H1" and mon.label(2026, 11, 1) == "2026P11"
    assert mon.quarter_bounds(*mon.parse_label("2026H2")) == (date(2026, 7, 1), date(2026, 12, 31))
    assert mon.quarter_bounds(*mon.parse_label("2026P2")) == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(ConfigError, match="1, 3 or 6"):
        mon.periods(calendar, date(2025, 11, 20), months=4)
    with pytest.raises(ConfigError, match="calendar, from_note"):
        mon.periods(calendar, date(2025, 11, 20), counting="quarterly")
