"""The internal analysis's own use cases: planning an analysis (a case of the default process)
with its planning rules, programmes and their schedule, external analyses.

Which dates `--start` and `--end` fill, the length limit and the external-analysis gap come
from the definition's `[planning]` table and interpretations, not from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from workflow.core.dates import add_years, not_in_future, working_days_inclusive
from workflow.core.deadlines import DONE_ON_TIME, Facts, Planner
from workflow.core.definition import NON_STATE_KINDS
from workflow.core.errors import ConfigError, RuleViolation, UsageError
from workflow.core.machine import MAX_TEXT, check_evidence, clean_evidence
from workflow.services.cases import open_case
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.storage import audit
from workflow.storage.models import OPEN, Case, ExternalAnalysis, Organisation, Programme, Stage
from workflow.storage.queries import in_subtree


@dataclass
class Planned:
    analysis: Case
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
    if end is not None and planning.get("length_limit"):
        limit = int(interp.get(planning["length_limit"], 30))
        length = working_days_inclusive(cal, start, end)
        if length > limit:
            warnings.append({"code": "too_long", "working_days": length, "limit": limit})
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


def plan_analysis(s: Session, ctx: Context, subject_code: str, object_code: str, start: date,
                  end: date | None = None, override_reason: str | None = None,
                  responsible: str | None = None) -> Planned:
    """Plan one analysis: check the planning rules, open its case with every stage planned."""
    defn = ctx.definition
    subject = get_org(s, subject_code)
    get_org(s, object_code)
    external = last_external(s, subject) if _planning(ctx).get("external_gap") else None
    dates, warnings = check_plan(ctx, subject, start, end, override_reason, external)
    prog = ensure_programme(s, ctx, subject, start.year)
    case = open_case(s, ctx, defn.key, subject_code, object_code, dates=dates,
                     responsible=responsible, programme_id=prog.id,
                     override_reason=override_reason, case_date=start,
                     audit_extra=plan_audit(ctx, dates, override_reason, warnings))
    return Planned(case, warnings)


def plan_audit(ctx: Context, dates: dict[str, date], override_reason: str | None,
               warnings: list[dict[str, Any]]) -> dict[str, Any]:
    """What the audit record of a planned analysis adds to the opened case's."""
    planning = _planning(ctx)
    end_key = planning.get("end")
    return {"start": dates[planning["start"]], "end": dates.get(end_key) if end_key else None,
            "override_reason": override_reason, "warnings": warnings}


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
    return list(s.exec(select(Case).where(Case.programme_id == prog.id)
                       .order_by(Case.case_date, Case.id)))


def programme_stage(s: Session, ctx: Context, prog: Programme) -> Stage | None:
    """The programme's own stage (the schedule's approval)."""
    return s.exec(select(Stage).where(Stage.programme_id == prog.id,
                                      Stage.key.in_(list(ctx.definition.programme_stages)))
                  ).first()
