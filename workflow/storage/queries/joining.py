"""The SQL side of "before joining -- to confirm" (B-25, `workflow/core/joining.py`): the
organisations confirming their year so far today, and the condition on a stage's organisation
and due date the lists, summaries, reminders and notices apply, from the same rule."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, false, not_, or_
from sqlmodel import Session, col, select

from calendars import KazakhstanCalendar
from workflow.core.joining import confirming
from workflow.storage.models import Case, Organisation, Stage


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
