"""Due dates: a definition's due rules evaluated with the Kazakh calendar (pure functions)."""

from __future__ import annotations

import calendar as _months
from dataclasses import dataclass
from datetime import date, timedelta

from calendars import KazakhstanCalendar
from workflow.core.definition import Anchor, Definition, DueRule


@dataclass(frozen=True)
class Due:
    """A stage's due date; projected while it rests on a date not yet recorded."""

    date: date
    projected: bool


def add_months(day: date, months: int) -> date:
    """Same day `months` later (or earlier); the 31st becomes the month's last day (Civil Code)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _months.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def roll(cal: KazakhstanCalendar, day: date, how: str) -> date:
    """Move a calendar-date deadline off a non-working day (I-1: 'following')."""
    if how == "none":
        return day
    step = timedelta(days=1 if how == "following" else -1)
    while not cal.is_working_day(day):
        day += step
    return day


def apply_rule(cal: KazakhstanCalendar, anchor: date, rule: DueRule) -> date:
    """Move `anchor` by the rule's offset in its unit and direction."""
    sign = -1 if rule.direction == "before" else 1
    n = sign * rule.offset
    if rule.unit == "working_days":
        return cal.add_working_days(anchor, n)
    if rule.unit == "calendar_days":
        moved = anchor + timedelta(days=n)
    elif rule.unit == "weeks":
        moved = anchor + timedelta(weeks=n)
    else:  # months
        moved = add_months(anchor, n)
    return roll(cal, moved, rule.roll)


@dataclass(frozen=True)
class Facts:
    """What is known of one analysis: its planned fields and the dates of recorded events."""

    planned: dict[str, date]
    events: dict[str, date]


def plan_stages(definition: Definition, cal: KazakhstanCalendar, facts: Facts) -> dict[str, Due]:
    """Every stage's due date, from actual dates where recorded and planned/projected ones otherwise."""
    memo: dict[str, Due | None] = {}

    def anchor_value(anchor: Anchor) -> Due | None:
        if anchor.event and anchor.event in facts.events:
            return Due(facts.events[anchor.event], False)
        if anchor.planned and facts.planned.get(anchor.planned):
            return Due(facts.planned[anchor.planned], False)
        if anchor.month_day:
            base = facts.planned.get("planned_start")
            if base is None:
                return None
            month, day = (int(x) for x in anchor.month_day.split("-"))
            return Due(date(base.year, month, day), False)
        if anchor.projected_from:
            stage_due = due_of(anchor.projected_from)
            return Due(stage_due.date, True) if stage_due else None
        return None

    def due_of(key: str) -> Due | None:
        if key in memo:
            return memo[key]
        rule = definition.stages[key].due
        result = None
        if rule is not None:
            values = [anchor_value(definition.anchors[a]) for a in rule.anchors]
            if all(v is not None for v in values):
                pick = max if rule.combine == "latest" else min
                base = pick(v.date for v in values)
                result = Due(apply_rule(cal, base, rule), any(v.projected for v in values))
        memo[key] = result
        return result

    return {key: due for key in definition.stages if (due := due_of(key)) is not None}


def default_end(cal: KazakhstanCalendar, start: date, working_days: int) -> date:
    """I-4: the `working_days`-th working day counted from `start`, `start` included if working."""
    first = start if cal.is_working_day(start) else cal.add_working_days(start, 1)
    return cal.add_working_days(first, working_days - 1)


def analysis_length(cal: KazakhstanCalendar, start: date, end: date) -> int:
    """Working days from `start` to `end`, both included (I-4)."""
    return cal.get_working_days_delta(start, end, include_start=True)
