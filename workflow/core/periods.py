"""Periods of recurring obligations and of monitoring: months, quarters, half-years, years.

A period has a label ("2026M03", "2026Q1", "2026H2", "2026"), bounds, and a due date from
the definition's rule: the last working day of the period (P-3), the Nth of a month after it
(monitoring reports, 000:L497-501), or a fixed date of the period's year or a later one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from calendars import KazakhstanCalendar
from workflow.core.dates import add_months, roll
from workflow.core.definition import PeriodDue
from workflow.core.errors import UsageError

MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
LABEL = re.compile(r"^(\d{4})(?:(Q)([1-4])|(H)([12])|(M|P)(\d{1,2}))?$")


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    kind: str
    label: str


def _make(year: int, index: int, kind: str) -> Period:
    months = MONTHS[kind]
    start = date(year, months * (index - 1) + 1, 1)
    end = add_months(start, months) - timedelta(days=1)
    label = {"month": f"{year}M{index:02d}", "quarter": f"{year}Q{index}",
             "half_year": f"{year}H{index}", "year": f"{year}"}[kind]
    return Period(start, end, kind, label)


def period_of(day: date, kind: str) -> Period:
    """The period of `kind` that contains `day`."""
    return _make(day.year, (day.month - 1) // MONTHS[kind] + 1, kind)


def next_period(period: Period) -> Period:
    return period_of(period.end + timedelta(days=1), period.kind)


def parse(label: str) -> Period:
    """'2026Q1', '2026H2', '2026M03' (or the older '2026P3'), '2026' -> the period (a frozen
    value, kept for the labels already parsed: a country's evaluation parses ~100,000)."""
    if isinstance(label, str) and label in _PARSED:
        return _PARSED[label]
    period = _parse(label)
    if len(_PARSED) < 100_000:
        _PARSED[label] = period
    return period


_PARSED: dict[str, Period] = {}


def _parse(label: str) -> Period:
    m = LABEL.match((label or "").strip())
    if not m:
        raise UsageError(f"{label!r} is not a period", key="error.bad_period", value=label)
    year = int(m.group(1))
    if m.group(2):
        return _make(year, int(m.group(3)), "quarter")
    if m.group(4):
        return _make(year, int(m.group(5)), "half_year")
    if m.group(6):
        month = int(m.group(7))
        if not 1 <= month <= 12:
            raise UsageError(f"{label!r} is not a period", key="error.bad_period", value=label)
        return _make(year, month, "month")
    return _make(year, 1, "year")


def between(first: date, last: date, kind: str) -> list[Period]:
    """Every period of `kind` that intersects [first, last]."""
    out, period = [], period_of(first, kind)
    while period.start <= last:
        out.append(period)
        period = next_period(period)
    return out


def due_date(cal: KazakhstanCalendar, period: Period, rule: PeriodDue) -> date:
    """When a period's obligation is due under the definition's rule, moved off a day off by
    the one date rule (`dates.roll`): the duty is of its period's year, so under the date rule
    (P-24) a 31 December of that year moves back to its last working day, any other date on a
    day off forward to the next working day (I-1)."""
    return roll(cal, nominal_due(period, rule), rule.roll, period.end.year)


def nominal_due(period: Period, rule: PeriodDue) -> date:
    """The date a period's rule gives before it is moved off a day off."""
    if rule.rule == "period_end":
        return period.end
    if rule.rule == "month_after":
        first = add_months(period.end.replace(day=1), rule.months)
        last_day = (add_months(first, 1) - timedelta(days=1)).day
        return first.replace(day=min(rule.day, last_day))
    return date(period.end.year + rule.year_offset, rule.month, rule.day)
