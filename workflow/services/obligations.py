"""Recurring obligations: one case per enabled recurring definition, organisation (of the kinds
it applies to) and period, opened ahead of time for the current and the next period.

Idempotent: a case is identified by (definition, organisation, period) under a unique index,
so running `sync` twice, or from two workers at once, opens each period's case once.

An officer opens the case of an earlier period the sync did not open (`open_period`: from the
calendar's first year up to the next period) the way the sync opens one (`_open_target`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from workflow.core import periods
from workflow.core.deadlines import Facts, without_dues
from workflow.core.definition import PERIOD_DATES, Definition, Recurrence
from workflow.core.errors import KeyList, RuleViolation, UsageError
from workflow.services import bulk, final_report, joining, visibility
from workflow.services.cases import (
    case_row,
    check_opening,
    check_responsible,
    current_state,
    open_case,
    opened_payload,
    period_dates,
    shown_status,
    stages_of,
    switched_off,
)
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import org_name
from workflow.services.processes import keep_version
from workflow.storage import audit
from workflow.storage.models import Case, Organisation, User
from workflow.storage.queries.accounts import active_officers
from workflow.storage.queries.obligations import case_of_period, opened_periods, period_cases
from workflow.storage.queries.organisations import kind_rows


def _recurrence(definition: Definition) -> Recurrence:
    if definition.recurrence is None:
        raise ValueError(f"{definition.key} is not a recurring obligation")
    return definition.recurrence


def periods_to_open(definition: Definition, today: date, through: date | None = None,
                    cal=None, since: date | None = None) -> list[periods.Period]:
    """The current period, the next one, and every later one that starts by `through`; and,
    given the calendar, the earlier ones not yet due (in January-April the previous reporting
    year's national report input is still to be sent), or, given `since` (the back-fill of an
    office that adopts merzim mid-year), every earlier one due on or after `since`: those
    that fell due on the office since that day (the months and quarters since it, and last
    year's items due this year, such as last year's national report input due 15 April)."""
    recurrence = _recurrence(definition)
    kind = recurrence.period
    current = periods.period_of(today, kind)
    earlier: list[periods.Period] = []
    if cal is not None:
        first = since if since is not None and since < today else today
        before = periods.period_of(current.start - timedelta(days=1), kind)
        while ((len(earlier) < 12 if since is None else before.start.year >= cal.first_year)
               and periods.due_date(cal, before, recurrence.due) >= first):
            earlier.insert(0, before)
            before = periods.period_of(before.start - timedelta(days=1), kind)
    out = [*earlier, current, periods.next_period(current)]
    while through is not None and periods.next_period(out[-1]).start <= through:
        out.append(periods.next_period(out[-1]))
    return out


@dataclass(frozen=True)
class _Target:
    """One case to open: a recurring obligation, one of its periods, an organisation."""

    definition: Definition
    period: periods.Period
    org: Any  # the organisation's id, code, path and kind
    levels: int = 0  # a final report's bodies above that take it in (B-21)


def _targets(s: Session, ctx: Context, through: date | None, since: date | None = None,
             within: str | None = None) -> list[_Target]:
    """The cases missing, in the order they are opened (obligation, period, organisation by
    path): the organisations (those of the subtree at the path `within`, when given), then
    per obligation the cases of the periods to open (not the earlier ones, which accumulate
    over the years, unless a back-fill asks for those due since `since`)."""
    recurring = ctx.registry.recurring()
    if not recurring:
        return []
    every = kind_rows(s)  # Rows
    kind_of = {o.id: o.kind for o in every}
    orgs = every if within is None else [o for o in every if o.path.startswith(within)]
    out = []
    for definition in recurring:
        kinds = set(_recurrence(definition).applies_to)
        targets = [o for o in orgs if o.kind in kinds]
        if not targets:
            continue
        levels = ({o.id: final_report.levels(o.path, kind_of, ctx.consolidating_kinds)
                   for o in targets} if final_report.is_final_report(definition) else {})
        wanted = periods_to_open(definition, ctx.today, through, ctx.calendar, since)
        have = opened_periods(s, definition.key, [p.label for p in wanted])
        for period in wanted:
            out += [_Target(definition, period, org, levels.get(org.id, 0)) for org in targets
                    if (period.label, org.id) not in have]
    return out


def _opened(ctx: Context, target: _Target, case_id: int, due: date | None = None
            ) -> dict[str, Any]:
    if due is None:
        due = period_dates(ctx, target.definition, target.period,
                           target.levels)[PERIOD_DATES[2]]
    return {"id": case_id, "process": target.definition.key, "org": target.org.code,
            "period": target.period.label, "due": due}


def sync(s: Session, ctx: Context, through: date | None = None, one_by_one: bool = False,
         since: date | None = None, org_code: str | None = None) -> list[dict[str, Any]]:
    """Open the missing cases of every enabled recurring obligation; returns those opened.

    In bulk: under the writers' lock, the organisations, their officers and the
    cases already open are read in a few queries; each (obligation, period) is checked and
    planned once, by `open_case`'s checks and the planner `sync` uses (`bulk.first_plan`),
    since every organisation's case of it has the same named dates; the cases, their stages
    and one `case.open` audit record per case (`open_case`'s payload) are written in a few
    statements. `one_by_one` opens each case through `open_case` instead (the path it
    replaces, kept as the reference the equivalence test compares with, and the fallback
    should a case appear meanwhile that the lock does not cover).

    The back-fill (`since`, with `org_code` for one organisation and the organisations under
    it): also every earlier period due on or after `since` (`periods_to_open`), each with its
    own period's dates; a case stays unique per obligation, organisation and period, so a
    second run opens nothing. Its reminders start on the day it is opened (the case's
    `typed_on`, see `workflow/reminders/planner.py`), not as a flood of escalations."""
    if through is not None and through < ctx.today:
        raise UsageError("--through is before today", key="error.through_past",
                         through=through.isoformat(), today=ctx.today.isoformat())
    within = None
    if since is not None:
        check_backfill_from(ctx, since)
    if org_code is not None:
        within = get_org(s, org_code).path  # notfound.org
    audit.serialise(s)  # a concurrent sync waits here, then reads the cases this one opened
    targets = _targets(s, ctx, through, since, within)
    if one_by_one:
        opened = _open_each(s, ctx, targets)
    else:
        try:
            with s.begin_nested():
                opened = _open_in_bulk(s, ctx, targets)
        except IntegrityError:  # a case opened meanwhile by a writer that did not queue
            opened = _open_each(s, ctx, _targets(s, ctx, through, since, within))
    if opened:
        payload: dict[str, Any] = {"opened": len(opened), "through": through}
        if since is not None or org_code is not None:
            payload.update({"from": since, "org": org_code})
        audit.append(s, ctx.actor, "obligations.sync", "case", "*", payload)
    return opened


def may_open_year(s: Session, user: User | None, org: Any) -> bool:
    """Whether `user` may open the year so far of the organisation `org` (B-25): its own
    officer, a manager or an administrator of it or of an organisation above it (who sees its
    cases: services/visibility.py `reaches`); None, the operator at the command line."""
    if user is None:
        return True
    own = s.get(Organisation, user.organisation_id)
    return bool(user.active and own is not None
                and visibility.reaches(user, own.path, org.path))


def open_year_so_far(s: Session, ctx: Context, org_code: str, since: date,
                     user: User | None = None, joined_on: date | None = None
                     ) -> list[dict[str, Any]]:
    """The year so far of an organisation that joins merzim mid-year (B-25): every recurring
    obligation's case for every period due since `since`, for it and those under it (`sync`),
    and the day it joined (`joined_on`, else the one it has, else today), from which its
    earlier open stages are "before joining -- to confirm" a while (workflow/core/joining.py);
    the organisations under it whose year so far this back-fill opened (a district's отделы,
    its enterprises) join with it on that day (`joining.join`). `user` (None: the operator)
    must be one who may (`may_open_year`); a refusal stores nothing. Each day joined is
    audited. The writers' lock is taken before the organisation is read: two writers opening
    its year at once (on two nodes) open it once, and the second finds the day the first set
    (one `organisation.joined` record each)."""
    audit.serialise(s)
    org = get_org(s, org_code)  # notfound.org
    s.refresh(org)  # read under the lock, should this session have read it before
    if not may_open_year(s, user, org):
        raise RuleViolation(f"{user.login if user else ''} may not open the year of {org.code}",
                            key="joining.error_not_allowed", org=org.code)
    check_backfill_from(ctx, since)
    day = joined_on or org.joined_on or ctx.today
    if day > ctx.today or day < since:
        raise UsageError("the day joined is after today or before --from",
                         key="joining.error_bad_day", day=day.isoformat(),
                         since=since.isoformat(), today=ctx.today.isoformat())
    opened = sync(s, ctx, since=since, org_code=org.code)
    joining.join(s, ctx, org, day, since)
    return opened


def check_backfill_from(ctx: Context, since: date) -> None:
    """A back-fill's first day: not after today, not before the calendar's first year."""
    if since > ctx.today:
        raise UsageError("--from is after today", key="error.backfill_from_future",
                         since=since.isoformat(), today=ctx.today.isoformat())
    first = ctx.calendar.first_year
    if since.year < first:
        raise UsageError(f"{since.year} is before the calendar's first year {first}",
                         key="error.year_outside", year=since.year, first=first,
                         last=ctx.calendar.last_year)


def opened_by_period(ctx: Context, opened: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a sync opened, per obligation and period (in the order opened): the obligation's
    key and name in the reader's language, the period, its due date and the organisations
    whose case was opened."""
    out: dict[tuple[str, str, date], dict[str, Any]] = {}
    for row in opened:
        key = (row["process"], row["period"], row["due"])  # a final report's due: by level
        item = out.get(key)
        if item is None:
            definition = ctx.registry.get(row["process"])
            item = out[key] = {"process": row["process"],
                               "process_name": definition.name(ctx.language),
                               "period": row["period"], "due": row["due"], "orgs": []}
        item["orgs"].append(row["org"])
    return list(out.values())


def _open_target(s: Session, ctx: Context, t: _Target, responsible: str | None = None) -> Case:
    """One period's case through `open_case`: the period's named dates (its bounds and due
    date), the period's label (the unique key with the obligation and the organisation), the
    period's first day as the case's date, and `open_case`'s `case.open` audit record."""
    return open_case(s, ctx, t.definition.key, t.org.code,
                     dates=period_dates(ctx, t.definition, t.period, t.levels),
                     period=t.period.label, case_date=t.period.start, responsible=responsible)


def _open_each(s: Session, ctx: Context, targets: list[_Target]) -> list[dict[str, Any]]:
    """Each case through `open_case`, one at a time (a case opened meanwhile is skipped)."""
    opened = []
    for t in targets:
        try:
            with s.begin_nested():  # a concurrent sync may have opened it meanwhile
                case = _open_target(s, ctx, t)
        except IntegrityError:
            continue
        opened.append(_opened(ctx, t, case.id))
    return opened


# -- one period's case, opened by an officer --------------------------------------------------


def period_to_record(ctx: Context, definition: Definition, label: str) -> periods.Period:
    """The period `label` of a recurring obligation an officer may open the case of: a period
    of the obligation's kind ("2026Q2" for a quarterly one, "2026M05" for a monthly one) from
    the calendar's first year up to the next period (the one `sync` opens ahead of time).
    Earlier years are allowed: in January an officer records last year's fourth quarter. A
    later period is the sync's (`--through`), refused here."""
    recurrence = definition.recurrence
    if recurrence is None or not recurrence.enabled:
        error = UsageError(f"{definition.key} is not a recurring obligation",
                           key="error.not_recurring", process=definition.key)
        error.labels["process"] = dict(definition.names)
        raise error
    period = periods.parse(label)  # error.bad_period
    current = periods.period_of(ctx.today, recurrence.period)
    if period.kind != recurrence.period:
        error = UsageError(f"{label!r} is not a {recurrence.period} period",
                           key="error.period_kind", value=label, kind=recurrence.period,
                           example=current.label)
        error.labels["kind"] = f"period.{recurrence.period}"
        raise error
    first = ctx.calendar.first_year
    if period.start.year < first:
        raise UsageError(f"{period.start.year} is before the calendar's first year {first}",
                         key="error.year_outside", year=period.start.year, first=first,
                         last=ctx.calendar.last_year)
    last = periods.next_period(current)
    if period.start > last.start:
        raise RuleViolation(f"{period.label} is after the next period {last.label}",
                            key="rule.period_later", value=period.label, last=last.label)
    return period


def periods_to_record(ctx: Context, definition: Definition) -> tuple[list[periods.Period],
                                                                      periods.Period]:
    """The periods the web's form offers for a recurring obligation, the latest first: those
    of this year and the last one up to the next period (`period_to_record` takes any from
    the calendar's first year); and the current one, chosen by default."""
    kind = _recurrence(definition).period
    current = periods.period_of(ctx.today, kind)
    first = date(max(ctx.today.year - 1, ctx.calendar.first_year), 1, 1)
    return periods.between(first, periods.next_period(current).start, kind)[::-1], current


def open_period(s: Session, ctx: Context, process: str, org_code: str, label: str,
                responsible: str | None = None) -> tuple[Case, bool]:
    """The case of a recurring obligation for an organisation and a period (`period_to_record`
    says which), opened as `sync` opens it (`_open_target`) or, when it exists (withdrawn or
    not), that one: (the case, whether it was opened now). Refused, nothing written, for a
    definition that does not recur, a period it does not have or may not open here, and an
    organisation of a kind the obligation does not apply to."""
    definition = ctx.registry.get(process)
    period = period_to_record(ctx, definition, label)
    org = get_org(s, org_code)
    recurrence = _recurrence(definition)
    if org.kind not in recurrence.applies_to:
        error = RuleViolation(f"{process} does not apply to an organisation of kind {org.kind}",
                              key="rule.obligation_not_for_kind", process=process,
                              kind=org.kind, kinds=", ".join(recurrence.applies_to))
        error.labels.update(process=dict(definition.names), kind=f"org_kind.{org.kind}",
                            kinds=KeyList(error.params["kinds"], {
                                k: f"org_kind.{k}" for k in recurrence.applies_to}))
        raise error
    audit.serialise(s)  # a sync running meanwhile waits, then finds this case (and vice versa)
    existing = case_of_period(s, process, org.id, period.label)
    if existing is not None:
        return existing, False
    return _open_target(s, ctx, _Target(definition, period, org), responsible), True


# the subject in the canonical audit payload shared by an (obligation, period)'s cases
_ANY_SUBJECT = SimpleNamespace(code="\x00subject\x00")
_ANY_SUBJECT_JSON = json.dumps(_ANY_SUBJECT.code, ensure_ascii=False)


def _open_in_bulk(s: Session, ctx: Context, targets: list[_Target]) -> list[dict[str, Any]]:
    """Every case at once: checked and planned per (obligation, period), written in bulk. The
    queries come first; the rows are then made as the inserts ask for them (on PostgreSQL
    while the server writes the block before)."""
    if not targets:
        return []
    officers = first_officers(s, {t.org.id for t in targets})
    case_ids = bulk.new_ids(s, Case, len(targets))
    plans: dict[tuple[str, str, int], tuple] = {}
    for t in targets:
        defn, label = t.definition, t.period.label
        if (defn.key, label, t.levels) in plans:
            continue
        dates = period_dates(ctx, defn, t.period, t.levels)
        opening = check_opening(ctx, defn, None, dates=dates)
        keep_version(s, ctx, defn)
        planned, state = bulk.first_plan(ctx, defn, Facts(dict(opening.dates)))
        # the columns every case of the (obligation, period) shares (`case_row`'s), and
        # `open_case`'s audit payload as canonical JSON with a placeholder for the subject
        shared = case_row(ctx, defn, opening, t.org, None, None, label,
                          case_date=t.period.start)
        shared["state"] = state
        plans[(defn.key, label, t.levels)] = (planned, dates[PERIOD_DATES[2]], shared, audit.canonical(
            opened_payload(defn, opening, _ANY_SUBJECT, None, label)))
    stages: list[tuple] = []
    records: list[tuple[str, str, Any, str]] = []
    opened: list[dict[str, Any]] = []
    created_at = audit.now_iso()  # the cases of one insert, opened at one moment
    subjects: dict[str, str] = {}  # an organisation's code as JSON, made once

    def cases():  # each case's row; its stages, audit record and summary kept for after
        for t, case_id in zip(targets, case_ids, strict=True):
            defn, code = t.definition, t.org.code
            planned, due, shared, payload = plans[(defn.key, t.period.label, t.levels)]
            owner = officers.get(t.org.id)
            check_responsible(owner, t.org)
            yield dict(shared, id=case_id, subject_id=t.org.id,
                       responsible_id=owner.id if owner else None, created_at=created_at)
            stages.extend(bulk.stage_tuples(case_id, t.org, without_dues(  # I-17
                planned, switched_off(ctx, defn, code)).values()))
            subject = subjects.get(code)
            if subject is None:
                subject = subjects[code] = json.dumps(code, ensure_ascii=False)
            records.append(("case.open", "case", case_id,
                            payload.replace(_ANY_SUBJECT_JSON, subject, 1)))
            opened.append(_opened(ctx, t, case_id, due))

    bulk.write_cases(s.connection(), cases(), stages)  # the cases, then the stages made
    audit.append_many(s, ctx.actor, records)
    return opened


def first_officers(s: Session, org_ids: set[int]) -> dict[int, User]:
    """Each organisation's first active officer (`open_case`'s default responsible), in
    chunks of ids: a query per 500 organisations."""
    out: dict[int, User] = {}
    ids = sorted(org_ids)
    for i in range(0, len(ids), bulk.CHUNK):
        for user in active_officers(s, ids[i:i + bulk.CHUNK]):
            out.setdefault(user.organisation_id, user)
    return out


def year_of(s: Session, ctx: Context, org_code: str, year: int) -> list[dict[str, Any]]:
    """An organisation's obligations of a year, month by month: every stage of a recurring
    obligation due in the year (the national report input of the reporting year 2026 is among
    2027's, due 15 April 2027), with its status as shown today ("overdue", "before_joining":
    `shown_status`)."""
    if not 1 <= year <= 9999:
        raise UsageError(key="error.bad_int", what="--year", value=year)
    org = get_org(s, org_code)
    recurring = {d.key: d for d in ctx.registry.all() if d.recurrence is not None}
    rows = []
    # from the year before: a case of a period may be due the next year
    for case in period_cases(s, org.id, date(max(year - 1, 1), 1, 1), date(year, 12, 31)):
        definition = recurring.get(case.process)
        if definition is None:
            continue
        state = current_state(s, ctx, case, definition)
        for key, stage in stages_of(s, case).items():
            if (stage.due_date or case.case_date).year != year:
                continue
            shown = shown_status(stage, ctx.today,
                                 joining.stage_before_joining(ctx, stage, case, org))
            rows.append({"case": case.id, "process": case.process,
                         "process_name": definition.name(ctx.language), "period": case.period,
                         "month": (stage.due_date or case.case_date).month, "stage": key,
                         "stage_name": definition.stage_name(key, ctx.language),
                         "due": stage.due_date, "status": shown, "done_on": stage.done_on,
                         "state": state, "organisation": org.code,
                         "organisation_name": org_name(org, ctx.language)})
    rows.sort(key=lambda r: (r["due"] or date.max, r["process"], r["case"]))
    return rows
