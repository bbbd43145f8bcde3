"""The planning feature's use cases: planning an analysis (a case of the definition whose
`[planning]` table this feature reads: `planned_definition`) with its planning rules,
programmes and their schedule, external analyses.

Which dates `--start` and `--end` fill, the length limit and the external-analysis gap come
from the definition's `[planning]` table and interpretations, not from here.

No duplicates: an analysis of the same subject and object as one that still counts, whose
planned period (the `[planning]` start..end, both days included) overlaps it, is refused
naming that analysis, unless the officer confirms it with a reason (stored in the audit
record with the ids it duplicates, and returned as a `duplicate_confirmed` warning). An
analysis withdrawn by a terminal event (cancelled) no longer counts. A reason given when there
is no duplicate is checked (1-500 characters) but neither stored nor mentioned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from workflow.core.dates import add_years, not_in_future
from workflow.core.deadlines import DONE_ON_TIME, Facts, Planner
from workflow.core.definition import NON_STATE_KINDS, Definition
from workflow.core.errors import ConfigError, RuleViolation, UsageError
from workflow.core.machine import MAX_TEXT, check_evidence, clean_evidence
from workflow.definitions import Registry
from workflow.services.cases import check_opening, open_case, too_long
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.opening import Planned
from workflow.storage import audit
from workflow.storage.models import OPEN, Case, ExternalAnalysis, Organisation, Programme, Stage
from workflow.storage.queries import live_case


def planned_definition(ctx: Context) -> Definition:
    """The definition this feature plans (the internal analysis): the one of the registry whose
    `[planning]` table names the date `--start` gives (the first by key if several do; the
    registry's first when none does, which `_planning` then refuses)."""
    return planned_in(ctx.registry)


def planned_in(registry: Registry) -> Definition:
    """`planned_definition` of a registry (for a page or a command that has no context)."""
    found = [d for d in registry.all() if table_of(d).get("start")]
    return (found or registry.all())[0]


def table_of(defn: Definition) -> dict[str, str]:
    """A definition's `[planning]` table, as its model read it (empty: none)."""
    table = defn.features.get("planning")
    return table.model_dump(exclude_none=True) if table is not None else {}


def _planning(ctx: Context) -> dict[str, str]:
    defn = planned_definition(ctx)
    planning = table_of(defn)
    if not planning.get("start"):
        raise ConfigError(f"{defn.key}: [planning] needs start")
    return planning


def add_external(s: Session, ctx: Context, subject_code: str, completed_on: date,
                 reference: str | None = None) -> ExternalAnalysis:
    subject = get_org(s, subject_code)
    not_in_future(completed_on, ctx.today)
    ext = ExternalAnalysis(subject_id=subject.id, completed_on=completed_on, reference=reference)
    s.add(ext)
    s.flush()
    audit.append(s, ctx.actor, "external.add", "external_analysis", ext.id,
                 {"subject": subject_code, "completed_on": completed_on, "reference": reference})
    return ext


def programme_stages(ctx: Context, programme_id: int, subject: Organisation
                     ) -> list[dict[str, Any]]:
    """The stage rows of a new programme (the schedule's approval), open."""
    return [dict(case_id=None, programme_id=programme_id, key=key, subject_id=subject.id,
                 subject_path=subject.path, due_date=None, projected=False, status=OPEN,
                 done_on=None, evidence=None)
            for key in planned_definition(ctx).programme_stages]


def ensure_programme(s: Session, ctx: Context, subject: Organisation, year: int) -> Programme:
    """The subject's programme of the year, with its programme stages (the schedule)."""
    prog = s.exec(select(Programme).where(Programme.subject_id == subject.id,
                                          Programme.year == year)).first()
    if prog is None:
        prog = Programme(subject_id=subject.id, year=year)
        s.add(prog)
        s.flush()
        s.add_all(Stage(**row) for row in programme_stages(ctx, prog.id, subject))
        s.flush()
    return prog


def last_external(s: Session, subject: Organisation) -> date | None:
    """When the subject's latest external analysis was completed (None: never)."""
    return s.exec(select(col(ExternalAnalysis.completed_on))
                  .where(ExternalAnalysis.subject_id == subject.id)
                  .order_by(col(ExternalAnalysis.completed_on).desc()).limit(1)).first()


def check_plan(ctx: Context, subject: Organisation, start: date, end: date | None,
               override_reason: str | None, external: date | None
               ) -> tuple[dict[str, date], list[dict[str, Any]]]:
    """The planning rules of one analysis, without the database (`external`: the subject's
    latest external analysis): its given dates (the end defaulted from the start) and its
    warnings, or the refusal. `plan_analysis` and the bulk import share them."""
    defn, cal = planned_definition(ctx), ctx.calendar
    planning, interp = _planning(ctx), defn.interpretations
    start_key, end_key = planning["start"], planning.get("end")
    if end is None and end_key:
        value = Planner(defn, cal, Facts({start_key: start})).date(end_key)
        end = value.date if value else None
    if end is not None and end < start:
        raise RuleViolation(f"end {end} is before start {start}", key="rule.end_before_start",
                            date=end.isoformat(), start=start.isoformat())
    if override_reason is not None and (not override_reason.strip()
                                        or len(override_reason) > MAX_TEXT):
        raise UsageError("the override reason must be 1-500 characters",
                         key="error.bad_reason", limit=MAX_TEXT)
    warnings: list[dict[str, Any]] = []
    if end is not None:
        warnings += too_long(defn, cal, start, end)
    if not cal.is_working_day(start):
        warnings.append({"code": "start_not_working", "date": start, "reason": cal.reason(start)})
    if (planning.get("external_gap") and external is not None
            and subject.kind not in NON_STATE_KINDS):
        # the year after an external analysis binds a state body only (000:L174-180)
        gap = int(interp.get(planning["external_gap"], 1))
        earliest = add_years(external, gap)
        if start < earliest:
            if not override_reason:
                raise RuleViolation(
                    "external analysis rule", key="rule.external_year",
                    subject=subject.code, external=external.isoformat(),
                    earliest=earliest.isoformat())
            warnings.append({"code": "external_overridden", "earliest": earliest,
                             "reason": override_reason})
    return {start_key: start, **({end_key: end} if end_key and end else {})}, warnings


# -- no duplicates ------------------------------------------------------------------------------

DUPLICATE_CONFIRMED = "duplicate_confirmed"  # the code of the warning of a confirmed duplicate


@dataclass(frozen=True)
class Span:
    """An analysis as the duplicate rule sees it: its planned period and its id, or, for an
    earlier row of the same import (no id yet), its row and its position among the rows."""

    id: int | None
    start: date
    end: date
    row: int | None = None
    index: int | None = None


def date_keys(defn: Definition) -> tuple[str | None, str | None]:
    """The named dates a definition's `[planning]` table calls its start and its end."""
    planning = table_of(defn)
    return planning.get("start"), planning.get("end")


def period_of(ctx: Context, dates: dict[str, date]) -> tuple[date, date] | None:
    """An analysis's planned period from its named dates: the `[planning]` start to its end (the
    start alone when there is no end); None without a start."""
    planning = _planning(ctx)
    start = dates.get(planning["start"])
    if start is None:
        return None
    end = dates.get(planning["end"]) if planning.get("end") else None
    return start, max(start, end or start)


def withdrawn_states(ctx: Context) -> tuple[str, ...]:
    """The final states a terminal event leads to (cancelled): an analysis in one no longer
    counts as a duplicate."""
    defn = planned_definition(ctx)
    return tuple(sorted({e.dest for e in defn.events.values()
                         if e.terminal and e.dest and e.dest in defn.final_states}))


def analyses_of(s: Session, ctx: Context, subject_ids: Iterable[int]
                ) -> dict[tuple[int, int], tuple[Span, ...]]:
    """The analyses of these subjects that still count, by (subject id, object id), by id."""
    out: dict[tuple[int, int], list[Span]] = {}
    ids = sorted(set(subject_ids))
    if not ids:
        return {}
    query = (select(Case.id, Case.subject_id, Case.object_id, Case.dates)
             .where(Case.process == planned_definition(ctx).key, col(Case.subject_id).in_(ids),
                    col(Case.object_id).is_not(None), col(Case.state).not_in(withdrawn_states(ctx)),
                    live_case())  # a withdrawn analysis counts not
             .order_by(col(Case.id)))
    for case_id, subject_id, object_id, dates in s.exec(query):
        given = {k: date.fromisoformat(v) for k, v in (dates or {}).items() if v}
        period = period_of(ctx, given)
        if period is not None and object_id is not None:
            out.setdefault((subject_id, object_id), []).append(Span(case_id, *period))
    return {pair: tuple(spans) for pair, spans in out.items()}


def check_reason(reason: str | None) -> None:
    """A duplicate's reason, when given, is 1-500 characters."""
    if reason is not None and (not reason.strip() or len(reason) > MAX_TEXT):
        raise UsageError("the duplicate reason must be 1-500 characters",
                         key="error.bad_duplicate_reason", limit=MAX_TEXT)


def check_duplicate(ctx: Context, subject: Organisation, obj: Organisation,
                    dates: dict[str, date], reason: str | None, others: Sequence[Span]
                    ) -> list[Span]:
    """The duplicate rule, without the database (`others`: the analyses of the same subject and
    object that still count, earliest first): the analyses the new one overlaps, or the
    refusal naming the first of them when no reason confirms it."""
    check_reason(reason)
    period = period_of(ctx, dates)
    if period is None:
        return []
    start, end = period
    same = [o for o in others if o.start <= end and start <= o.end]
    if same and not reason:
        first = same[0]
        where = dict(subject=subject.code, object=obj.code, start=first.start.isoformat(),
                     end=first.end.isoformat())
        if first.id is None:
            raise RuleViolation(f"duplicates row {first.row} of the file",
                                key="rule.duplicate_row", row=first.row, **where)
        raise RuleViolation(f"duplicates analysis #{first.id}", key="rule.duplicate_analysis",
                            id=first.id, **where)
    return same


def duplicate_warning(same: Sequence[Span], reason: str | None) -> list[dict[str, Any]]:
    """The warning of a confirmed duplicate (none when there is no duplicate)."""
    if not same:
        return []
    return [{"code": DUPLICATE_CONFIRMED, "duplicate_of": [o.id for o in same], "reason": reason}]


def duplicate_audit(same: Sequence[Span], reason: str | None) -> dict[str, Any]:
    """What the audit record of a confirmed duplicate adds (nothing when there is none)."""
    if not same:
        return {}
    return {"duplicate_of": [o.id for o in same], "duplicate_reason": reason}


def _duplicates(s: Session, ctx: Context, subject: Organisation, obj: Organisation,
                dates: dict[str, date], reason: str | None) -> list[Span]:
    """The duplicate rule against what is stored, read under the writers' lock (two officers
    planning the same analysis at once cannot both pass it)."""
    audit.serialise(s)
    others = analyses_of(s, ctx, [subject.id]).get((subject.id, obj.id), ())
    return check_duplicate(ctx, subject, obj, dates, reason, others)


# -- planning -----------------------------------------------------------------------------------


def plan_analysis(s: Session, ctx: Context, subject_code: str, object_code: str, start: date,
                  end: date | None = None, override_reason: str | None = None,
                  responsible: str | None = None, duplicate_reason: str | None = None
                  ) -> Planned:
    """Plan one analysis: check the planning rules (no duplicate unless confirmed with
    `duplicate_reason`), open its case with every stage planned."""
    defn = planned_definition(ctx)
    subject = get_org(s, subject_code)
    obj = get_org(s, object_code)
    external = last_external(s, subject) if _planning(ctx).get("external_gap") else None
    dates, warnings = check_plan(ctx, subject, start, end, override_reason, external)
    same = _duplicates(s, ctx, subject, obj, dates, duplicate_reason)
    warnings += duplicate_warning(same, duplicate_reason)
    prog = ensure_programme(s, ctx, subject, start.year)
    case = open_case(s, ctx, defn.key, subject_code, object_code, dates=dates,
                     responsible=responsible, programme_id=prog.id,
                     override_reason=override_reason, case_date=start,
                     audit_extra=plan_audit(ctx, dates, override_reason, warnings,
                                            same, duplicate_reason))
    return Planned(case, warnings)


def plan_audit(ctx: Context, dates: dict[str, date], override_reason: str | None,
               warnings: list[dict[str, Any]], duplicates: Sequence[Span] = (),
               duplicate_reason: str | None = None) -> dict[str, Any]:
    """What the audit record of a planned analysis adds to the opened case's (a confirmed
    duplicate: the ids it duplicates and the reason)."""
    planning = _planning(ctx)
    end_key = planning.get("end")
    return {"start": dates[planning["start"]], "end": dates.get(end_key) if end_key else None,
            "override_reason": override_reason, "warnings": warnings,
            **duplicate_audit(duplicates, duplicate_reason)}


def plan_opened(s: Session, ctx: Context, defn: Definition, subject_code: str,
                object_code: str | None, person: str | None, position: str | None,
                fields: dict[str, str] | None, dates: dict[str, date],
                responsible: str | None, duplicate_reason: str | None) -> Planned | None:
    """A case opened from the generic forms (`services.opening.open_checked`, through
    `listener.OPENER`): a case of the planned definition (an analysis) with its object and its
    start is planned as `plan_analysis` plans it; None for any other (it opens as any case)."""
    planning = table_of(defn)
    if defn.key != planned_definition(ctx).key or not planning or not object_code \
            or planning.get("start") not in dates:
        return None
    check_opening(ctx, defn, get_org(s, object_code), person, position, fields, dates)
    return plan_analysis(s, ctx, subject_code, object_code, dates[planning["start"]],
                         dates.get(planning.get("end") or ""), None, responsible,
                         duplicate_reason=duplicate_reason)


def record_schedule(s: Session, ctx: Context, subject_code: str, year: int, on: date,
                    evidence: dict[str, str | None], stage_key: str | None = None) -> Stage:
    """Record a programme stage of a subject's year (the schedule's approval)."""
    subject = get_org(s, subject_code)
    not_in_future(on, ctx.today)
    cleaned = clean_evidence(evidence)
    defn = planned_definition(ctx)
    stage_key = stage_key or next(iter(defn.programme_stages))
    spec = defn.programme_stages[stage_key]
    for fld in spec.requires:
        if not cleaned.get(fld):
            raise RuleViolation(f"{stage_key} needs {fld}", key="rule.missing_evidence",
                                event=stage_key, field=fld)
    check_evidence(defn, cleaned)
    prog = ensure_programme(s, ctx, subject, year)
    stage = s.exec(select(Stage).where(Stage.programme_id == prog.id,
                                       Stage.key == stage_key)).one()
    if stage.status != OPEN:
        raise RuleViolation(f"{stage_key} already recorded", key="rule.already_recorded",
                            event=stage_key, date=str(stage.done_on))
    stage.done_on, stage.status = on, DONE_ON_TIME
    stage.evidence = {"date": on.isoformat(), **cleaned}
    s.add(stage)
    s.flush()
    audit.append(s, ctx.actor, "programme.schedule", "programme", prog.id,
                 {"subject": subject_code, "year": year, "on": on, "evidence": cleaned})
    return stage
