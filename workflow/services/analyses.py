"""The internal analysis's own use cases: planning an analysis (a case of the default process)
with its planning rules, programmes and their schedule, external analyses.

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
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from workflow.core.dates import add_years, not_in_future
from workflow.core.deadlines import DONE_ON_TIME, Facts, Planner
from workflow.core.definition import NON_STATE_KINDS
from workflow.core.errors import ConfigError, RuleViolation, UsageError
from workflow.core.machine import MAX_TEXT, check_evidence, clean_evidence
from workflow.services.cases import check_opening, duplicate_cases, open_case, too_long
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.storage import audit
from workflow.storage.models import OPEN, Case, ExternalAnalysis, Organisation, Programme, Stage
from workflow.storage.queries import in_subtree


@dataclass
class Planned:
    """A planned analysis: its case (the ORM row when planned one at a time; from a bulk
    import, the stored columns as attributes — read the row with a session to change it), the
    warnings, and the row of an imported file."""

    analysis: Case | SimpleNamespace
    warnings: list[dict[str, Any]] = field(default_factory=list)
    row: int | None = None  # the row of an imported file


def _planning(ctx: Context) -> dict[str, str]:
    planning = ctx.definition.raw.get("planning") or {}
    if not planning.get("start"):
        raise ConfigError(f"{ctx.definition.key}: [planning] needs start")
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
            for key in ctx.definition.programme_stages]


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
    return s.exec(select(ExternalAnalysis.completed_on)
                  .where(ExternalAnalysis.subject_id == subject.id)
                  .order_by(ExternalAnalysis.completed_on.desc()).limit(1)).first()


def check_plan(ctx: Context, subject: Organisation, start: date, end: date | None,
               override_reason: str | None, external: date | None
               ) -> tuple[dict[str, date], list[dict[str, Any]]]:
    """The planning rules of one analysis, without the database (`external`: the subject's
    latest external analysis): its given dates (the end defaulted from the start) and its
    warnings, or the refusal. `plan_analysis` and the bulk import share them."""
    defn, cal = ctx.definition, ctx.calendar
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
    defn = ctx.definition
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
             .where(Case.process == ctx.definition.key, Case.subject_id.in_(ids),
                    Case.object_id.is_not(None), Case.state.not_in(withdrawn_states(ctx)),
                    col(Case.withdrawn_at).is_(None))  # a withdrawn analysis (issue 29) counts not
             .order_by(Case.id))
    for row in s.exec(query):
        given = {k: date.fromisoformat(v) for k, v in (row.dates or {}).items() if v}
        period = period_of(ctx, given)
        if period is not None:
            out.setdefault((row.subject_id, row.object_id), []).append(Span(row.id, *period))
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
    defn = ctx.definition
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


def open_checked(s: Session, ctx: Context, process: str, subject_code: str,
                 object_code: str | None = None, person: str | None = None,
                 position: str | None = None, fields: dict[str, str] | None = None,
                 dates: dict[str, date] | None = None, responsible: str | None = None,
                 duplicate_reason: str | None = None) -> Planned:
    """Open a case from the generic forms (`merzim case open`, the web's, the API's): a case of
    the planned process (an analysis) is planned as `plan_analysis` plans it (its programme of
    the year, the duplicate and external-analysis rules, the warnings); any other process
    opens as `open_case` opens it."""
    defn = ctx.registry.get(process)
    planning = defn.raw.get("planning") or {}
    dates = dict(dates or {})
    if defn.key != ctx.definition.key or not planning or not object_code \
            or planning.get("start") not in dates:
        # a second case of the same process, subject, person and dates: confirmed with a
        # reason (issue 29), as a second analysis of the same period is
        same = duplicate_cases(s, ctx, process, subject_code, object_code, person, position,
                               fields, dates, duplicate_reason)
        return Planned(open_case(s, ctx, process, subject_code, object_code, person, position,
                                 fields, dates, responsible=responsible,
                                 audit_extra=({"duplicate_of": same,
                                               "duplicate_reason": duplicate_reason}
                                              if same else None)),
                       [{"code": "duplicate_case_confirmed", "duplicate_of": same,
                         "reason": duplicate_reason}] if same else [])
    check_opening(ctx, defn, get_org(s, object_code), person, position, fields, dates)
    return plan_analysis(s, ctx, subject_code, object_code, dates[planning["start"]],
                         dates.get(planning.get("end")), None, responsible,
                         duplicate_reason=duplicate_reason)


def record_schedule(s: Session, ctx: Context, subject_code: str, year: int, on: date,
                    evidence: dict[str, str | None], stage_key: str | None = None) -> Stage:
    """Record a programme stage of a subject's year (the schedule's approval)."""
    subject = get_org(s, subject_code)
    not_in_future(on, ctx.today)
    evidence = clean_evidence(evidence)
    defn = ctx.definition
    stage_key = stage_key or next(iter(defn.programme_stages))
    spec = defn.programme_stages[stage_key]
    for fld in spec.requires:
        if not evidence.get(fld):
            raise RuleViolation(f"{stage_key} needs {fld}", key="rule.missing_evidence",
                                event=stage_key, field=fld)
    check_evidence(defn, evidence)
    prog = ensure_programme(s, ctx, subject, year)
    stage = s.exec(select(Stage).where(Stage.programme_id == prog.id,
                                       Stage.key == stage_key)).one()
    if stage.status != OPEN:
        raise RuleViolation(f"{stage_key} already recorded", key="rule.already_recorded",
                            event=stage_key, date=str(stage.done_on))
    stage.done_on, stage.status = on, DONE_ON_TIME
    stage.evidence = {"date": on.isoformat(), **evidence}
    s.add(stage)
    s.flush()
    audit.append(s, ctx.actor, "programme.schedule", "programme", prog.id,
                 {"subject": subject_code, "year": year, "on": on, "evidence": evidence})
    return stage


def programmes_under(s: Session, org: Organisation, year: int | None = None
                     ) -> list[tuple[Programme, Organisation, int]]:
    """The programmes of an organisation's subtree (newest year first) with their case counts."""
    query = (select(Programme, Organisation)
             .join(Organisation, Organisation.id == Programme.subject_id)
             .where(in_subtree(Organisation.path, org)))
    if year:
        query = query.where(Programme.year == year)
    out = []
    for prog, subject in s.exec(query.order_by(Programme.year.desc(), Organisation.path)):
        n = s.exec(select(func.count(Case.id)).where(Case.programme_id == prog.id)).one()
        out.append((prog, subject, n))
    return out


def programme_cases(s: Session, prog: Programme) -> list[Case]:
    """A programme's analyses, by start."""
    return list(s.exec(select(Case).where(Case.programme_id == prog.id,
                                          col(Case.withdrawn_at).is_(None))  # (issue 29)
                       .order_by(Case.case_date, Case.id)))


def programme_stage(s: Session, ctx: Context, prog: Programme) -> Stage | None:
    """The programme's own stage (the schedule's approval)."""
    return s.exec(select(Stage).where(Stage.programme_id == prog.id,
                                      Stage.key.in_(list(ctx.definition.programme_stages)))
                  ).first()
