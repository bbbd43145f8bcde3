"""Quarterly monitoring after the note (pure): reporting periods and their deadlines.

From the note's signing N, the reporting periods are the calendar quarters that intersect
[N, N + 1 year), or (setting `monitoring_periods = "from_note"`) the quarters counted from N
itself: [N, N + 3 months), [N + 3 months, N + 6 months)... (I-8). For each, the object's
subdivisions report by the 5th of the month after the period's last month (a calendar date,
rolled to the next working day per I-1), and the authorized person reviews within 5 working
days of the report's receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from calendars import KazakhstanCalendar
from workflow.core.dates import add_months, add_years, roll
from workflow.core.errors import ConfigError

REPORT_DAY = 5
REVIEW_WORKING_DAYS = 5


@dataclass(frozen=True)
class Period:
    """One reporting period: a calendar quarter (or half-year) with its report deadline."""

    label: str  # "2025Q4"
    start: date
    end: date
    report_due: date


def quarter_of(day: date, months: int = 3) -> tuple[int, int]:
    return day.year, (day.month - 1) // months + 1


def quarter_bounds(year: int, q: int, months: int = 3) -> tuple[date, date]:
    """The q-th period of `months` months of `year` (quarters by default)."""
    start = date(year, months * (q - 1) + 1, 1)
    last_q = 12 // months
    nxt = date(year + (q == last_q), 1 if q == last_q else months * q + 1, 1)
    return start, nxt - timedelta(days=1)


def label(year: int, q: int, months: int = 3) -> str:
    return f"{year}Q{q}" if months == 3 else f"{year}H{q}" if months == 6 else f"{year}P{q}"


def parse_label(text: str) -> tuple[int, int, int]:
    """'2025Q4' -> (2025, 4, 3); '2026H1' -> (2026, 1, 6)."""
    months = {"Q": 3, "H": 6, "P": 1}[text[4]]
    return int(text[:4]), int(text[5:]), months


COUNTINGS = ("calendar", "from_note")
COUNTED = "N"  # the letter of a period counted from the note: "2026N1" is the first


def counted_bounds(note_signed: date, n: int, months: int = 3) -> tuple[date, date]:
    """The n-th period of `months` months counted from the note's signing (from_note)."""
    return (add_months(note_signed, months * (n - 1)),
            add_months(note_signed, months * n) - timedelta(days=1))


def bounds(text: str, note_signed: date | None, months: int = 3) -> tuple[date, date]:
    """The first and last day of a period by its label ('2025Q4', or '2026N2' counted from the
    note signed on `note_signed`)."""
    if text[4] == COUNTED:
        if note_signed is None:
            raise ValueError(f"period {text} is counted from the note, which is not signed")
        return counted_bounds(note_signed, int(text[5:]), months)
    return quarter_bounds(*parse_label(text))


def report_due(cal: KazakhstanCalendar, period_end: date, day: int = REPORT_DAY,
               how: str = "following") -> date:
    """The `day`-th of the month after the period, moved off a non-working day (I-1)."""
    nxt = add_months(period_end.replace(day=1), 1)  # the month after the period's last month
    return roll(cal, date(nxt.year, nxt.month, day), how)


def periods(cal: KazakhstanCalendar, note_signed: date, years: int = 1, day: int = REPORT_DAY,
            how: str = "following", months: int = 3, counting: str = "calendar") -> list[Period]:
    """The calendar quarters (or periods of `months`) intersecting [note_signed, + years), or
    the periods counted from the note (`counting="from_note"`); each reported by the `day`-th
    of the month after the period's last month."""
    if months not in (1, 3, 6):
        raise ConfigError("monitoring_period_months must be 1, 3 or 6")
    if counting not in COUNTINGS:
        raise ConfigError(f"monitoring_periods must be one of {', '.join(COUNTINGS)} "
                          f"(not {counting!r})")
    stop = add_years(note_signed, years)  # exclusive
    if counting == "from_note":
        out, n = [], 1
        while add_months(note_signed, months * (n - 1)) < stop:
            start, end = counted_bounds(note_signed, n, months)
            out.append(Period(f"{note_signed.year}{COUNTED}{n}", start, end,
                              report_due(cal, end, day, how)))
            n += 1
        return out
    year, q = quarter_of(note_signed, months)
    last_q = 12 // months
    out = []
    while True:
        start, end = quarter_bounds(year, q, months)
        if start >= stop:
            break
        out.append(Period(label(year, q, months), start, end, report_due(cal, end, day, how)))
        year, q = (year + 1, 1) if q == last_q else (year, q + 1)
    return out


def review_due(cal: KazakhstanCalendar, received: date, days: int = REVIEW_WORKING_DAYS) -> date:
    """The review is due `days` working days after the report's receipt."""
    return cal.add_working_days(received, days)

