"""Recurring obligations: one case per enabled recurring definition, organisation (of the kinds
it applies to) and period, opened ahead of time for the current and the next period.

Idempotent: a case is identified by (definition, organisation, period) under a unique index,
so running `sync` twice, or from two workers at once, opens each period's case once.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workflow.core import periods
from workflow.core.definition import PERIOD_DATES, Definition
from workflow.core.errors import UsageError
from workflow.services.cases import current_state, open_case, period_dates, stages_of
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import org_name
from workflow.storage import audit
from workflow.storage.models import Case, Organisation


def periods_to_open(definition: Definition, today: date, through: date | None = None,
                    cal=None) -> list[periods.Period]:
    """The current period, the next one, and every later one that starts by `through`; and,
    given the calendar, the earlier ones not yet due (in January-April the previous reporting
    year's national report input is still to be sent)."""
    kind = definition.recurrence.period
    current = periods.period_of(today, kind)
    earlier: list[periods.Period] = []
    if cal is not None:
        before = periods.period_of(current.start - timedelta(days=1), kind)
        while (len(earlier) < 12
               and periods.due_date(cal, before, definition.recurrence.due) >= today):
            earlier.insert(0, before)
            before = periods.period_of(before.start - timedelta(days=1), kind)
    out = [*earlier, current, periods.next_period(current)]
    while through is not None and periods.next_period(out[-1]).start <= through:
        out.append(periods.next_period(out[-1]))
    return out


def sync(s: Session, ctx: Context, through: date | None = None) -> list[dict[str, Any]]:
    """Open the missing cases of every enabled recurring obligation; returns those opened."""
    if through is not None and through < ctx.today:
        raise UsageError("--through is before today", key="error.through_past",
                         through=through.isoformat(), today=ctx.today.isoformat())
    opened = []
    orgs = list(s.exec(select(Organisation).order_by(Organisation.path)))
    for definition in ctx.registry.recurring():
        kinds = set(definition.recurrence.applies_to)
        targets = [o for o in orgs if o.kind in kinds]
        if not targets:
            continue
        for period in periods_to_open(definition, ctx.today, through, ctx.calendar):
            have = set(s.exec(select(Case.subject_id).where(
                Case.process == definition.key, Case.period == period.label)))
            for org in targets:
                if org.id in have:
                    continue
                try:
                    with s.begin_nested():  # a concurrent sync may have opened it meanwhile
                        case = open_case(s, ctx, definition.key, org.code,
                                         dates=period_dates(ctx, definition, period),
                                         period=period.label, case_date=period.start)
                except IntegrityError:
                    continue
                opened.append({"id": case.id, "process": definition.key, "org": org.code,
                               "period": period.label,
                               "due": period_dates(ctx, definition, period)[PERIOD_DATES[2]]})
    if opened:
        audit.append(s, ctx.actor, "obligations.sync", "case", "*",
                     {"opened": len(opened), "through": through})
    return opened


def year_of(s: Session, ctx: Context, org_code: str, year: int) -> list[dict[str, Any]]:
    """An organisation's obligations of a year, month by month: every stage of a recurring
    obligation due in the year (the national report input of the reporting year 2026 is among
    2027's, due 15 April 2027), with its status."""
    if not 1 <= year <= 9999:
        raise UsageError(key="error.bad_int", what="--year", value=year)
    org = get_org(s, org_code)
    recurring = {d.key: d for d in ctx.registry.all() if d.recurrence is not None}
    rows = []
    query = (select(Case).where(Case.subject_id == org.id, Case.period.is_not(None),
                                Case.case_date >= date(max(year - 1, 1), 1, 1),  # due next year
                                Case.case_date <= date(year, 12, 31))
             .order_by(Case.case_date, Case.process))
    for case in s.exec(query):
        definition = recurring.get(case.process)
        if definition is None:
            continue
        state = current_state(s, ctx, case, definition)
        for key, stage in stages_of(s, case).items():
            if (stage.due_date or case.case_date).year != year:
                continue
            shown = ("overdue" if stage.status == "open" and stage.due_date is not None
                     and stage.due_date < ctx.today else stage.status)
            rows.append({"case": case.id, "process": case.process,
                         "process_name": definition.name(ctx.language), "period": case.period,
                         "month": (stage.due_date or case.case_date).month, "stage": key,
                         "stage_name": definition.stage_name(key, ctx.language),
                         "due": stage.due_date, "status": shown, "done_on": stage.done_on,
                         "state": state, "organisation": org.code,
                         "organisation_name": org_name(org, ctx.language)})
    rows.sort(key=lambda r: (r["due"] or date.max, r["process"], r["case"]))
    return rows
