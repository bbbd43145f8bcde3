"""The SQL side of "before joining -- to confirm" (B-25, `workflow/core/joining.py`): the
organisations confirming their year so far today, and the condition on a stage's organisation
and due date the lists, summaries, reminders and notices apply, from the same rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, exists, false, not_, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from calendars import KazakhstanCalendar
from workflow.core.joining import confirming
from workflow.storage.models import Case, Organisation, Stage
from workflow.storage.queries import in_subtree


def confirming_orgs(s: Session, cal: KazakhstanCalendar, today: date, days: int
                    ) -> dict[int, date]:
    """Organisation id -> the day it joined, of those still confirming today (`confirming`).
    Those that joined longer ago than any window can last are not read."""
    earliest = today - timedelta(days=2 * days + 31)  # N working days span fewer than 2N+31
    rows = s.exec(select(Organisation.id, col(Organisation.joined_on)).where(
        col(Organisation.joined_on).is_not(None), col(Organisation.joined_on) > earliest))
    return {oid: on for oid, on in rows
            if on is not None and confirming(cal, on, today, days)}


def before_joining(orgs: dict[int, date]) -> Any:
    """The SQL condition "this stage fell due before its organisation joined, which is
    confirming, and its case was opened on or after that day" (`among_confirming`) -- of open
    stages, the rule's "before joining". It names the case's `typed_on`: the statement joins
    the case table (every list of stages does)."""
    if not orgs:
        return false()
    by_day: dict[date, list[int]] = {}
    for oid, on in orgs.items():
        by_day.setdefault(on, []).append(oid)
    return or_(*(and_(col(Stage.subject_id).in_(sorted(ids)), col(Stage.due_date).is_not(None),
                      col(Stage.due_date) < on, col(Case.typed_on).is_not(None),
                      col(Case.typed_on) >= on)
                 for on, ids in sorted(by_day.items())))


def ordinary(orgs: dict[int, date]) -> Any:
    """The SQL condition "this stage is not before joining" (`before_joining` negated; every
    stage when no organisation is confirming)."""
    return not_(before_joining(orgs)) if orgs else ~false()


def backfilled_under(s: Session, org: Organisation, day: date, previous: date | None
                     ) -> list[Organisation]:
    """The organisations under `org` (not itself) whose year so far was opened with its own:
    each has a period's case opened on or after `day` (its `typed_on`) of a period that began
    before it, and no case opened before `day` of that period or an earlier one (it did not
    use merzim then: a unit that did keeps its overdue); and either no day of joining of its
    own or `previous`, the day `org` had joined before (they joined with it). In the tree's
    order."""
    earlier = aliased(Case)
    backfilled = aliased(Case)
    had_before = exists().where(
        col(earlier.subject_id) == col(backfilled.subject_id), col(earlier.period).is_not(None),
        or_(col(earlier.typed_on).is_(None), col(earlier.typed_on) < day),
        col(earlier.case_date) <= col(backfilled.case_date))
    opened_now = exists().where(
        col(backfilled.subject_id) == col(Organisation.id), col(backfilled.period).is_not(None),
        col(backfilled.typed_on).is_not(None), col(backfilled.typed_on) >= day,
        col(backfilled.case_date) < day, ~had_before)
    own: Any = col(Organisation.joined_on).is_(None)
    if previous is not None:
        own = or_(own, col(Organisation.joined_on) == previous)
    return list(s.exec(select(Organisation).where(
        in_subtree(col(Organisation.path), org), Organisation.id != org.id, own, opened_now)
        .order_by(col(Organisation.path))))


def joined_under(s: Session, org: Organisation, limit: int) -> list[Organisation]:
    """The first `limit` organisations under `org` (not itself) that joined mid-year, in the
    tree's order."""
    return list(s.exec(select(Organisation).where(
        in_subtree(col(Organisation.path), org), Organisation.id != org.id,
        col(Organisation.joined_on).is_not(None)).order_by(col(Organisation.path))
        .limit(limit)))


def _above(path: str) -> list[int]:
    """The ids of the organisations above the one at `path`, the root first."""
    return [int(p) for p in path.strip("/").split("/")[:-1] if p.isdigit()]


def joined_among(s: Session, ids: Iterable[int]) -> dict[int, Organisation]:
    """Of the organisations `ids`, those that joined mid-year, by id: a statement per 500."""
    wanted, found = sorted(set(ids)), {}
    for at in range(0, len(wanted), 500):
        found.update({o.id: o for o in s.exec(select(Organisation).where(
            col(Organisation.id).in_(wanted[at:at + 500]),
            col(Organisation.joined_on).is_not(None)))})
    return found


def confirming_above(s: Session, path: str) -> list[Organisation]:
    """The organisations above the one at `path` that joined mid-year, nearest first."""
    return above_among(path, joined_among(s, _above(path)))


def above_among(path: str, joined: dict[int, Organisation]) -> list[Organisation]:
    """Of `joined` (`joined_among`), those above the one at `path`, nearest first."""
    return [joined[i] for i in reversed(_above(path)) if i in joined]


def joined_above_all(s: Session, paths: Iterable[str]) -> dict[int, Organisation]:
    """The organisations above any of `paths` that joined mid-year, by id (`above_among`
    picks each path's): a statement per 500 of them, whatever the number of paths."""
    return joined_among(s, {i for path in paths for i in _above(path)})
