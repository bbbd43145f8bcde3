"""Joining mid-year (B-25) for the use cases: the day an organisation joined (set when its
year so far is opened, for it and for the organisations under it whose year so far the same
back-fill opened; for one added later under an organisation still confirming, the day it is
added) and, from the one rule (`workflow/core/joining.py`, its SQL in
`workflow/storage/queries/joining.py`), which of its stages are "before joining -- to
confirm" today. The lists, the overview, the case page and the work page ask here."""

from __future__ import annotations

import json
import threading
import weakref
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from workflow.core import joining as rule
from workflow.kept import figures
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.storage import audit
from workflow.storage.models import Case, Organisation, Stage
from workflow.storage.queries import joining as queries
from workflow.storage.queries.audit import trail_of

_MEMO = "merzim.joining"
JOINED = "organisation.joined"  # the audit log's action of an organisation's day of joining
SHOWN_UNDER = 50  # the organisations under one that joined, named on its page at most


# who confirms her year so far, per database (engine), kept across requests by the version of
# who joined when (kept/figures.py `confirming`: `organisations`, moved by every write about an
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
    version = figures.versions_of(s, "confirming")
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


def join(s: Session, ctx: Context, org: Organisation, day: date, since: date
         ) -> list[Organisation]:
    """`org` joins on `day` (its year so far opened from `since`), and with it every
    organisation under it whose year so far the same back-fill opened (a case of a period
    that began before `day`, opened on or after it: `queries.backfilled_under`) and that has
    no day of its own, or the one it had joined with `org` before (a day given anew moves
    them together). Each change audited (`organisation.joined`, naming the one it joined
    with), in the caller's transaction; the organisations whose day changed."""
    previous = org.joined_on
    changed = []
    if mark_joined(s, org, day):
        changed.append(org)
        audit.append(s, ctx.actor, JOINED, "organisation", org.code,
                     {"joined_on": day, "from": since})
    for unit in queries.backfilled_under(s, org, day, previous):
        if mark_joined(s, unit, day):
            changed.append(unit)
            audit.append(s, ctx.actor, JOINED, "organisation", unit.code,
                         {"joined_on": day, "from": since, "with": org.code})
    return changed


def confirming_above(s: Session, ctx: Context, path: str) -> Organisation | None:
    """The nearest organisation above the one at `path` that joined mid-year, when it is
    still confirming its year so far today; else None."""
    return _still_confirming(ctx, queries.confirming_above(s, path))


def _still_confirming(ctx: Context, nearest_first: list[Organisation]) -> Organisation | None:
    """The nearest of those above that joined mid-year, when still confirming today."""
    if nearest_first and rule.confirming(ctx.calendar, nearest_first[0].joined_on, ctx.today,
                                         ctx.joining_confirm_days):
        return nearest_first[0]
    return None


def join_on_addition(s: Session, ctx: Context, orgs: list[Organisation]) -> list[str]:
    """The organisations just added (stored, their paths set) that lie under one still
    confirming its year so far (`confirming_above`) join too, on the day they are added:
    their own earlier periods, opened afterwards, could be recorded in merzim no sooner, and
    their days to confirm count from then (B-25). One statement, each audited
    (`organisation.joined`, naming the one above it joined under); their codes."""
    joined = queries.joined_above_all(s, (org.path for org in orgs))  # bounded statements
    records, ids = [], []
    for org in orgs:
        above = _still_confirming(ctx, queries.above_among(org.path, joined))
        if above is None:
            continue
        ids.append(org.id)
        org.joined_on = ctx.today
        records.append((JOINED, "organisation", org.code, audit.canonical(
            {"joined_on": ctx.today, "with": above.code})))
    if ids:
        s.execute(update(Organisation).where(col(Organisation.id).in_(ids))
                  .values(joined_on=ctx.today))
        forget(s)
        audit.append_many(s, ctx.actor, records)
    return [code for _a, _e, code, _p in records]


def joining_of(s: Session, org: Organisation) -> dict[str, Any] | None:
    """Who joined when, for the organisation's page: the day it joined, who made it join (the
    audit record's actor), the organisation it joined with (its code, or None), and the
    organisations under it that joined (each with its day, the first `SHOWN_UNDER`); None when
    neither it nor any under it joined mid-year."""
    under = queries.joined_under(s, org, SHOWN_UNDER)
    if org.joined_on is None and not under:
        return None
    record = None
    if org.joined_on is not None:
        records = trail_of(s, "organisation", org.code, (JOINED,))
        record = records[-1] if records else None
    payload = json.loads(record.payload) if record is not None else {}
    return {"on": org.joined_on, "by": record.actor if record is not None else None,
            "with": payload.get("with"), "under": [(o, o.joined_on) for o in under]}


def joined_together(s: Session, code: str) -> tuple[date | None, list[str]]:
    """The day the organisation `code` joined, and the codes of those under it that joined
    on that day (with it), in the tree's order: what a back-fill answers."""
    org = get_org(s, code)
    under = queries.joined_under(s, org, SHOWN_UNDER)
    return org.joined_on, [o.code for o in under if o.joined_on == org.joined_on]
