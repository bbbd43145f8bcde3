"""Joining mid-year (B-25) for the use cases: the day an organisation joined (set when its
year so far is opened) and, from the one rule (`workflow/core/joining.py`, its SQL in
`workflow/storage/queries/joining.py`), which of its stages are "before joining -- to
confirm" today. The lists, the overview, the case page and the work page ask here."""

from __future__ import annotations

import threading
import weakref
from datetime import date
from typing import Any

from sqlmodel import Session

from workflow.core import joining as rule
from workflow.services.context import Context
from workflow.services.scopes import scoped_versions
from workflow.storage import versions
from workflow.storage.models import Case, Organisation, Stage
from workflow.storage.queries import joining as queries

_MEMO = "merzim.joining"


# who confirms her year so far, per database (engine), kept across requests by the version of
# who joined when (storage/versions.py: `organisations`, moved by every write about an
# organisation -- the day one joined is one -- and `*`), the day and the calendar
_KEPT: weakref.WeakKeyDictionary[Any, dict[tuple, tuple[Any, dict[int, date]]]] = (
    weakref.WeakKeyDictionary())
_KEPT_LOCK = threading.Lock()


def confirming_orgs(s: Session, ctx: Context) -> dict[int, date]:
    """The organisations confirming their year so far today (id -> the day each joined);
    read once per transaction and day, and kept across transactions until who joined when
    changes (a transaction that has written reads its own)."""
    key = (s.get_transaction(), ctx.today, ctx.joining_confirm_days)
    memo = s.info.get(_MEMO)
    if memo is None or memo[0] != key:
        memo = s.info[_MEMO] = (key, _kept_confirming(s, ctx))
    return memo[1]


def _kept_confirming(s: Session, ctx: Context) -> dict[int, date]:
    version = scoped_versions(s, (versions.EVERYTHING, versions.ORGANISATIONS))
    if version is None:
        return queries.confirming_orgs(s, ctx.calendar, ctx.today, ctx.joining_confirm_days)
    key = (version, ctx.today, ctx.joining_confirm_days, id(ctx.calendar))
    bind = s.get_bind()
    with _KEPT_LOCK:
        kept = _KEPT.setdefault(bind, {})
        found = kept.get(key)
    if found is not None and found[0] is ctx.calendar:
        return dict(found[1])
    answer = queries.confirming_orgs(s, ctx.calendar, ctx.today, ctx.joining_confirm_days)
    with _KEPT_LOCK:
        if len(kept) > 16:
            kept.clear()
        kept[key] = (ctx.calendar, dict(answer))
    return answer


def forget(s: Session) -> None:
    """Drop the memo (a write changed who joined when)."""
    s.info.pop(_MEMO, None)


def ordinary(s: Session, ctx: Context) -> Any:
    """The SQL condition of the stages that are not before joining (what overdue counts)."""
    return queries.ordinary(confirming_orgs(s, ctx))


def before_joining(s: Session, ctx: Context) -> Any:
    """The SQL condition of the stages before joining (with "open" and "due before today":
    what is counted apart from overdue)."""
    return queries.before_joining(confirming_orgs(s, ctx))


def stage_before_joining(ctx: Context, stage: Stage, case: Case, org: Organisation) -> bool:
    """Whether one stage of a case of the organisation `org` is before joining today (the case
    page)."""
    return rule.before_joining(ctx.calendar, stage.status, stage.due_date, case.typed_on,
                               org.joined_on, ctx.today, ctx.joining_confirm_days)


def confirm_until(ctx: Context, org: Organisation) -> date | None:
    """The first day the organisation's earlier stages are ordinary again (None: it did not
    join mid-year)."""
    if org.joined_on is None:
        return None
    return rule.confirm_until(ctx.calendar, org.joined_on, ctx.joining_confirm_days)


def mark_joined(s: Session, org: Organisation, day: date) -> bool:
    """Set the day the organisation joined, when it has none or `day` is given anew; whether
    it changed."""
    if org.joined_on == day:
        return False
    org.joined_on = day
    s.add(org)
    forget(s)
    return True
