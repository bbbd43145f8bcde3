"""A manager's overview of a subtree, counted in SQL: overdue stages and the on-time rate per
organisation (folded to the scope's direct subordinates), the last twelve months of late stages
by lateness, and the open deadlines of a month, day by day (a day's stages: lists.due_on)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col

from workflow.services import joining, lists
from workflow.services.cases import working_days_left
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import local_name
from workflow.storage.models import DONE_ON_TIME, OPEN, Organisation, Stage
from workflow.storage.queries import overview as queries

MONTHS = 12
# lateness in working days: (bucket key, first day, last day or None)
BUCKETS = (("b1", 1, 5), ("b2", 6, 20), ("b3", 21, None))


@dataclass(frozen=True, slots=True)
class OrgFigures:
    """One bar of the overview: an organisation and the figures of its whole subtree (`own`:
    the scope itself, its own stages only)."""

    code: str
    name: str
    path: str
    own: bool
    leaf: bool
    overdue: int = 0
    done: int = 0
    on_time: int = 0
    before_joining: int = 0  # open, due before the organisation joined (B-25): not overdue

    @property
    def rate(self) -> float | None:
        """Stages done on time / stages done (None when nothing was done)."""
        return self.on_time / self.done if self.done else None


@dataclass(frozen=True, slots=True)
class MonthLate:
    """The stages due in one month that were missed: still open (overdue today) and done late,
    each by lateness bucket."""

    month: date  # its first day
    overdue: dict[str, int] = field(default_factory=lambda: {b[0]: 0 for b in BUCKETS})
    done_late: dict[str, int] = field(default_factory=lambda: {b[0]: 0 for b in BUCKETS})

    @property
    def total(self) -> int:
        return sum(self.overdue.values()) + sum(self.done_late.values())


def month_start(day: date, back: int = 0) -> date:
    """The first day of the month `back` months before `day`'s."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def next_month(first: date) -> date:
    return month_start(first, -1)


def window_start(today: date) -> date:
    """The first day of the twelve months that end with today's (the trend's and the rate's)."""
    return month_start(today, MONTHS - 1)


def bucket(days_late: int) -> str:
    for key, lo, hi in BUCKETS:
        if days_late >= lo and (hi is None or days_late <= hi):
            return key
    return BUCKETS[0][0]


def _scope(s: Session, org_code: str, only_path: str | None) -> tuple[Organisation, list]:
    """The scope organisation and the WHERE of its stages (an officer: her own organisation)."""
    org = get_org(s, org_code)
    return org, queries.scope(org, only_path)


def _child_path(scope_path: str, path: str) -> str:
    """The path of the scope's direct subordinate that `path` lies under (or the scope's)."""
    if path == scope_path:
        return path
    return path[:path.index("/", len(scope_path)) + 1]


def by_organisation(s: Session, ctx: Context, org_code: str,
                    only_path: str | None = None) -> list[OrgFigures]:
    """Overdue stages today and stages done in the twelve months, per direct subordinate of the
    organisation (its own stages as one more row), grouped in SQL by organisation; only the
    organisations with something to show, in path order. The stages before joining (B-25)
    are counted apart, not as overdue."""
    scope, where = _scope(s, org_code, only_path)
    # the overdue and "before joining" stages as the overdue list counts them (one owner)
    overdue = lists.count_overdue_by_path(s, ctx, scope.code, only_path=only_path)
    before = lists.count_before_joining_by_path(s, ctx, scope.code, only_path)
    done = queries.done_by_path(s, where, window_start(ctx.today), ctx.today)
    figures: dict[str, dict[str, int]] = {}
    for path, n in overdue.items():
        row = figures.setdefault(_child_path(scope.path, path), {})
        row["overdue"] = row.get("overdue", 0) + n
    for path, n in before.items():
        row = figures.setdefault(_child_path(scope.path, path), {})
        row["before_joining"] = row.get("before_joining", 0) + n
    for path, status, n in done:
        row = figures.setdefault(_child_path(scope.path, path), {})
        row["done"] = row.get("done", 0) + n
        if status == DONE_ON_TIME:
            row["on_time"] = row.get("on_time", 0) + n
    if not figures:
        return []
    orgs, parents = queries.organisations_at(s, figures)
    out = [OrgFigures(o.code, local_name(o.name, o.name_kk, o.name_ru, ctx.language), o.path,
                      own=o.path == scope.path, leaf=o.id not in parents, **figures[o.path])
           for o in orgs]
    return sorted(out, key=lambda f: f.path)


def late_by_month(s: Session, ctx: Context, org_code: str,
                  only_path: str | None = None) -> list[MonthLate]:
    """The twelve months ending with today's: the stages due in each that are overdue today
    or were done late, by working days late (1–5, 6–20, more than 20). Counted in SQL by due
    date and completion date; the working days are the calendar's. A stage before joining
    (B-25) is not overdue: left out while it is."""
    _scope_org, where = _scope(s, org_code, only_path)
    where = [*where, or_(col(Stage.status) != OPEN, joining.ordinary(s, ctx))]
    first = window_start(ctx.today)
    rows = queries.late_by_due_date(s, where, first, ctx.today)
    months = {month_start(ctx.today, back): MonthLate(month_start(ctx.today, back))
              for back in range(MONTHS - 1, -1, -1)}
    for due, done_on, status, n in rows:
        if due is None:  # (none: the WHERE bounds the due date)
            continue
        month = months[month_start(due)]
        # (working_days_left is None for no due date only)
        if status == OPEN:
            late = -(working_days_left(ctx.calendar, due, ctx.today) or 0)
            month.overdue[bucket(late)] += n
        elif done_on is not None and done_on > due:
            late = -(working_days_left(ctx.calendar, due, done_on) or 0)
            month.done_late[bucket(late)] += n
    return list(months.values())


def due_by_day(s: Session, ctx: Context, org_code: str, first: date,
               only_path: str | None = None) -> dict[date, int]:
    """Open stages due on each day of the month that starts on `first`, counted in SQL."""
    _scope_org, where = _scope(s, org_code, only_path)
    last = next_month(first) - timedelta(days=1)
    rows = queries.open_by_day(s, where, first, last)
    return {day: n for day, n in rows if day is not None}  # (all: the WHERE bounds the day)

