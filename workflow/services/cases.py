"""Use cases of the engine, one transaction each: plan, record, query, import.

Every function takes an open Session and an `Engine` context (calendar, definition,
today, actor); the caller commits. A refusal raises before anything is written,
and the caller rolls back, so a refused action changes nothing.
"""

from __future__ import annotations

import calendar as _months
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from calendars import KazakhstanCalendar
from workflow.core import monitoring as periods
from workflow.core.deadlines import Due, Facts, analysis_length, default_end, plan_stages
from workflow.core.errors import RuleViolation, UsageError
from workflow.core.machine import MAX_TEXT, AnalysisMachine, check_event
from workflow.services import monitoring as monitoring_service
from workflow.services.context import Context
from workflow.services.lookup import get_analysis, get_org, get_user
from workflow.services.organisations import local_name, org_name
from workflow.storage import audit
from workflow.storage.models import (
    DONE_LATE,
    DONE_ON_TIME,
    NOT_APPLICABLE,
    OPEN,
    OVERDUE,
    Analysis,
    EventRecord,
    ExternalAnalysis,
    MonitoringReport,
    Organisation,
    Programme,
    Stage,
    User,
)
from workflow.storage.queries import subtree_range

# -- organisations ---------------------------------------------------------------------------


# -- users -------------------------------------------------------------------------------------


# -- external analyses and the one-year rule ---------------------------------------------------


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February (Civil Code, art. 173)."""
    year = day.year + years
    return date(year, day.month, min(day.day, _months.monthrange(year, day.month)[1]))


def add_external(s: Session, ctx: Context, subject_code: str, completed_on: date,
                 reference: str | None = None) -> ExternalAnalysis:
    subject = get_org(s, subject_code)
    if completed_on > ctx.today:
        raise RuleViolation(f"{completed_on} is in the future", key="rule.future_date",
                            date=completed_on.isoformat(), today=ctx.today.isoformat())
    ext = ExternalAnalysis(subject_id=subject.id, completed_on=completed_on, reference=reference)
    s.add(ext)
    s.flush()
    audit.append(s, ctx.actor, "external.add", "external_analysis", ext.id,
                 {"subject": subject_code, "completed_on": completed_on, "reference": reference})
    return ext


# -- planning -----------------------------------------------------------------------------------


@dataclass
class Planned:
    analysis: Analysis
    warnings: list[dict[str, Any]] = field(default_factory=list)


def ensure_programme(s: Session, subject: Organisation, year: int) -> Programme:
    prog = s.exec(select(Programme).where(Programme.subject_id == subject.id,
                                          Programme.year == year)).first()
    if prog is None:
        prog = Programme(subject_id=subject.id, year=year)
        s.add(prog)
        s.flush()
        for key in PROGRAMME_STAGES:
            s.add(Stage(programme_id=prog.id, key=key, subject_id=subject.id,
                        subject_path=subject.path, status=OPEN))
        s.flush()
    return prog


PROGRAMME_STAGES = ("schedule",)


def plan_analysis(s: Session, ctx: Context, subject_code: str, object_code: str, start: date,
                  end: date | None = None, override_reason: str | None = None,
                  responsible: str | None = None) -> Planned:
    """Plan one analysis: check the rules, store it with every stage's due date."""
    defn, cal = ctx.definition, ctx.calendar
    interp = defn.interpretations
    subject, obj = get_org(s, subject_code), get_org(s, object_code)
    if end is None:
        end = default_end(cal, start, int(interp.get("default_analysis_working_days", 30)))
    if end < start:
        raise RuleViolation(f"end {end} is before start {start}", key="rule.end_before_start",
                            date=end.isoformat(), start=start.isoformat())
    if override_reason is not None and (not override_reason.strip()
                                        or len(override_reason) > MAX_TEXT):
        raise UsageError("the override reason must be 1-500 characters",
                         key="error.bad_reason", limit=MAX_TEXT)
    warnings: list[dict[str, Any]] = []
    limit = int(interp.get("max_analysis_working_days", 30))
    length = analysis_length(cal, start, end)
    if length > limit:
        warnings.append({"code": "too_long", "working_days": length, "limit": limit})
    if not cal.is_working_day(start):
        warnings.append({"code": "start_not_working", "date": start, "reason": cal.reason(start)})
    gap = int(interp.get("external_analysis_gap_years", 1))
    last_ext = s.exec(select(ExternalAnalysis).where(ExternalAnalysis.subject_id == subject.id)
                      .order_by(ExternalAnalysis.completed_on.desc()).limit(1)).first()
    if last_ext is not None:
        earliest = add_years(last_ext.completed_on, gap)
        if start < earliest:
            if not override_reason:
                raise RuleViolation(
                    "external analysis rule", key="rule.external_year", subject=subject.code,
                    external=last_ext.completed_on.isoformat(), earliest=earliest.isoformat())
            warnings.append({"code": "external_overridden", "earliest": earliest,
                             "reason": override_reason})
    owner = get_user(s, responsible) if responsible else s.exec(
        select(User).where(User.organisation_id == subject.id, User.role == "officer",
                           User.active).order_by(User.id)).first()
    if owner is not None and owner.organisation_id != subject.id:
        raise RuleViolation("responsible officer of another organisation",
                            key="rule.responsible_elsewhere", login=owner.login,
                            subject=subject.code)
    prog = ensure_programme(s, subject, start.year)
    analysis = Analysis(definition=defn.key, programme_id=prog.id, subject_id=subject.id,
                        object_id=obj.id, planned_start=start, planned_end=end,
                        state=defn.initial_state, responsible_id=owner.id if owner else None,
                        override_reason=override_reason, created_at=audit.now_iso())
    s.add(analysis)
    s.flush()
    for key in defn.stages:
        s.add(Stage(analysis_id=analysis.id, key=key, subject_id=subject.id,
                    subject_path=subject.path, status=OPEN))
    s.flush()
    replan(s, ctx, analysis)
    audit.append(s, ctx.actor, "analysis.plan", "analysis", analysis.id,
                 {"subject": subject.code, "object": obj.code, "start": start, "end": end,
                  "override_reason": override_reason, "warnings": warnings})
    return Planned(analysis, warnings)


def facts_of(s: Session, analysis: Analysis) -> Facts:
    events = {e.event: e.on for e in s.exec(
        select(EventRecord).where(EventRecord.analysis_id == analysis.id))}
    return Facts({"planned_start": analysis.planned_start, "planned_end": analysis.planned_end},
                 events)


def stages_of(s: Session, analysis: Analysis) -> dict[str, Stage]:
    return {st.key: st for st in s.exec(select(Stage).where(Stage.analysis_id == analysis.id))}


def replan(s: Session, ctx: Context, analysis: Analysis) -> list[tuple[str, date | None, date]]:
    """Recompute the due dates of open stages; return (stage, old, new) for those that moved."""
    dues = plan_stages(ctx.definition, ctx.calendar, facts_of(s, analysis))
    moved = []
    for key, stage in stages_of(s, analysis).items():
        if stage.status != OPEN:
            continue
        if key in dues:
            due = dues[key]
        elif (day := _monitoring_due(s, ctx, analysis, key)) is not None:
            due = Due(day, False)
        else:
            continue
        if stage.due_date != due.date or stage.projected != due.projected:
            if stage.due_date is not None and stage.due_date != due.date:
                moved.append((key, stage.due_date, due.date))
            stage.due_date, stage.projected = due.date, due.projected
            s.add(stage)
    s.flush()
    return moved


def _monitoring_due(s: Session, ctx: Context, analysis: Analysis, key: str) -> date | None:
    """A monitoring stage's due date ('monitoring_report:2026Q3') with the current calendar."""
    kind, _, period = key.partition(":")
    interp = ctx.definition.interpretations
    if kind == "monitoring_report":
        _, end = periods.quarter_bounds(*periods.parse_label(period))
        return periods.report_due(ctx.calendar, end,
                                     int(interp.get("monitoring_report_day", periods.REPORT_DAY)),
                                     how=interp.get("roll", "following"))
    if kind == "monitoring_review":
        row = s.exec(select(MonitoringReport).where(MonitoringReport.analysis_id == analysis.id,
                                                    MonitoringReport.period == period)).first()
        days = int(interp.get("monitoring_review_working_days", periods.REVIEW_WORKING_DAYS))
        return periods.review_due(ctx.calendar, row.received_on, days) if row and row.received_on else None
    return None


def replan_all(s: Session, ctx: Context) -> list[dict[str, Any]]:
    """Re-plan every open analysis (after a calendar change); report each deadline that moved."""
    moved = []
    open_ids = select(Stage.analysis_id).where(Stage.status == OPEN)
    active = s.exec(select(Analysis).where(Analysis.id.in_(open_ids)).order_by(Analysis.id))
    for analysis in active:
        for key, old, new in replan(s, ctx, analysis):
            moved.append({"analysis": analysis.id, "stage": key, "old": old, "new": new,
                          "responsible_id": analysis.responsible_id})
    if moved:
        audit.append(s, ctx.actor, "calendar.replan", "analysis", "*", {"moved": moved})
    return moved


def assign_responsible(s: Session, ctx: Context, analysis_id: int | str,
                       login: str) -> Analysis:
    """Hand an analysis over to another officer of its subject (an officer left or changed
    duties): she is reminded of its stages from now on. Refused, nothing stored, for a
    user of another organisation, an inactive account or one that is not an officer."""
    analysis = get_analysis(s, analysis_id)
    user = get_user(s, login)
    subject = s.get(Organisation, analysis.subject_id)
    if user.organisation_id != subject.id or user.role != "officer":
        raise RuleViolation("responsible officer of another organisation",
                            key="rule.responsible_elsewhere", login=user.login,
                            subject=subject.code)
    if not user.active:
        raise RuleViolation("inactive account", key="rule.responsible_inactive",
                            login=user.login)
    previous = s.get(User, analysis.responsible_id) if analysis.responsible_id else None
    if previous is not None and previous.id == user.id:
        return analysis
    analysis.responsible_id = user.id
    s.add(analysis)
    s.flush()
    audit.append(s, ctx.actor, "analysis.assign", "analysis", analysis.id,
                 {"from": previous.login if previous else None, "to": user.login})
    return analysis


# -- recording events ---------------------------------------------------------------------------


def record_event(s: Session, ctx: Context, analysis_id: int | str, event: str, on: date,
                 evidence: dict[str, str | None] | None = None) -> Analysis:
    """Record what happened; refused (nothing stored) when the rules do not allow it."""
    analysis = get_analysis(s, analysis_id)
    defn = ctx.definition
    evidence = {k: v.strip() for k, v in (evidence or {}).items() if v is not None and v.strip()}
    machine = AnalysisMachine(defn, analysis.state)
    facts = facts_of(s, analysis)
    if (event in facts.events and event in defn.events and defn.events[event].dest is None
            and not defn.events[event].repeatable):
        raise RuleViolation(f"{event} is already recorded", key="rule.already_recorded",
                            event=event, date=facts.events[event].isoformat())
    new_state = machine.fire(event)
    check_event(defn, event, on, evidence, facts.events, ctx.today,
                start=analysis.actual_start or analysis.planned_start)
    s.add(EventRecord(analysis_id=analysis.id, event=event, on=on, evidence=evidence or None,
                      actor=ctx.actor, recorded_at=audit.now_iso()))
    spec = defn.events[event]
    stages = stages_of(s, analysis)
    if event == "analysis_start":
        analysis.actual_start = on
    elif event == "analysis_end":
        analysis.actual_end = on
    if event == "cancel":
        analysis.cancel_reason = evidence.get("note")
        for stage in stages.values():
            if stage.status == OPEN:
                stage.status = NOT_APPLICABLE
                s.add(stage)
    analysis.state = new_state
    s.add(analysis)
    s.flush()
    moved = replan(s, ctx, analysis) if event != "cancel" else []
    if spec.completes and spec.completes in stages:
        stage = stages[spec.completes]
        stage.done_on = on
        stage.evidence = {"date": on.isoformat(), **evidence}
        stage.status = DONE_ON_TIME if stage.due_date is None or on <= stage.due_date else DONE_LATE
        stage.projected = False
        s.add(stage)
    s.flush()
    monitoring_service.after_event(s, ctx, analysis, event, on, evidence)
    audit.append(s, ctx.actor, f"event.{event}", "analysis", analysis.id,
                 {"event": event, "on": on, "evidence": evidence, "state": new_state,
                  "moved": moved})
    return analysis


def record_schedule(s: Session, ctx: Context, subject_code: str, year: int, on: date,
                    evidence: dict[str, str | None]) -> Stage:
    """Record the approval of a subject's schedule for a year (the programme's stage)."""
    subject = get_org(s, subject_code)
    if on > ctx.today:
        raise RuleViolation(f"{on} is in the future", key="rule.future_date",
                            date=on.isoformat(), today=ctx.today.isoformat())
    evidence = {k: v.strip() for k, v in evidence.items() if v and v.strip()}
    for fld in ctx.definition.programme_stages["schedule"].requires:
        if not evidence.get(fld):
            raise RuleViolation(f"schedule needs {fld}", key="rule.missing_evidence",
                                event="schedule", field=fld)
    prog = ensure_programme(s, subject, year)
    stage = s.exec(select(Stage).where(Stage.programme_id == prog.id,
                                       Stage.key == "schedule")).one()
    if stage.status != OPEN:
        raise RuleViolation("schedule already recorded", key="rule.already_recorded",
                            event="schedule", date=str(stage.done_on))
    stage.done_on, stage.status = on, DONE_ON_TIME
    stage.evidence = {"date": on.isoformat(), **evidence}
    s.add(stage)
    s.flush()
    audit.append(s, ctx.actor, "programme.schedule", "programme", prog.id,
                 {"subject": subject_code, "year": year, "on": on, "evidence": evidence})
    return stage


# -- reading ---------------------------------------------------------------------------------------


def shown_status(stage: Stage, today: date) -> str:
    if stage.status == OPEN and stage.due_date is not None and stage.due_date < today:
        return OVERDUE
    return stage.status


def working_days_left(cal: KazakhstanCalendar, due: date | None, today: date) -> int | None:
    """Working days until `due`; negative when overdue: by the working days since, at least 1
    (a stage due on Friday is already a working day late on Saturday)."""
    if due is None:
        return None
    n = cal.get_working_days_delta(today, due)
    return n if due >= today else -max(1, n)


def analysis_view(s: Session, ctx: Context, analysis: Analysis) -> dict[str, Any]:
    """The timeline of one analysis, as the CLI and the API show it."""
    subject, obj = s.get(Organisation, analysis.subject_id), s.get(Organisation, analysis.object_id)
    stages = stages_of(s, analysis)
    owner = s.get(User, analysis.responsible_id) if analysis.responsible_id else None
    rows = []
    dynamic = sorted((k for k in stages if k not in ctx.definition.stages),
                     key=lambda k: (stages[k].due_date or date.max, k))
    for key in [*ctx.definition.stages, *dynamic]:
        st = stages.get(key)
        if st is None:
            continue
        rows.append({
            "key": key,
            "name": ctx.definition.stage_name(key, ctx.language),
            "due": st.due_date,
            "projected": st.projected,
            "status": shown_status(st, ctx.today),
            "done_on": st.done_on,
            "working_days_left": (working_days_left(ctx.calendar, st.due_date, ctx.today)
                                  if st.status == OPEN else None),
            "evidence": st.evidence,
        })
    machine = AnalysisMachine(ctx.definition, analysis.state)
    recorded = facts_of(s, analysis).events
    return {
        "id": analysis.id,
        "state": analysis.state,
        "subject": subject.code,
        "object": obj.code,
        "subject_name": org_name(subject, ctx.language),
        "object_name": org_name(obj, ctx.language),
        "planned_start": analysis.planned_start,
        "planned_end": analysis.planned_end,
        "actual_start": analysis.actual_start,
        "actual_end": analysis.actual_end,
        "responsible": owner.login if owner else None,
        "next_events": [e for e in machine.allowed() if e != "cancel"
                        and not (e in recorded and ctx.definition.events[e].dest is None
                                 and not ctx.definition.events[e].repeatable)],
        "stages": rows,
    }


def _stage_query(s: Session, org_code: str | None, conditions: list, only_path: str | None,
                 columns: tuple) -> Any:
    """SELECT `columns` of the open stages matching `conditions` in the subtree of `org_code`
    (or of exactly the organisation at `only_path`: an officer's view)."""
    query = select(*columns).where(Stage.status == OPEN, *conditions)
    if org_code:
        lo, hi = subtree_range(get_org(s, org_code))
        query = query.where(Stage.subject_path >= lo, Stage.subject_path < hi)
    if only_path is not None:
        query = query.where(Stage.subject_path == only_path)
    return query


def _count_rows(s: Session, org_code: str | None, conditions: list,
                only_path: str | None = None) -> int:
    query = (_stage_query(s, org_code, conditions, only_path, (func.count(Stage.id),))
             .join(Analysis, Stage.analysis_id == Analysis.id))
    return s.exec(query).one()


def _stage_rows(s: Session, ctx: Context, org_code: str | None, *conditions,
                only_path: str | None = None, limit: int | None = None,
                offset: int = 0) -> list[dict]:
    """Open stages matching `conditions` in the subtree, one SELECT with the subject,
    the object and the responsible officer joined in SQL and only the columns shown, in the
    order organisation path, due date, analysis, stage (a total order, so that pages taken
    with `limit`/`offset` neither repeat nor skip rows)."""
    subject, obj = aliased(Organisation), aliased(Organisation)
    query = (_stage_query(s, org_code, list(conditions), only_path, (
                Stage.id, Stage.key, Stage.due_date, Stage.projected, subject.code,
                subject.name, subject.name_kk, subject.name_ru, subject.path, Analysis.id,
                Analysis.planned_start, obj.code, User.login, User.full_name))
             .join(Analysis, Stage.analysis_id == Analysis.id)
             .join(subject, subject.id == Stage.subject_id)
             .join(obj, obj.id == Analysis.object_id)
             .outerjoin(User, User.id == Analysis.responsible_id))
    query = query.order_by(Stage.subject_path, Stage.due_date, Analysis.id, Stage.id)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    names: dict[str, str] = {}
    rows = []
    for (stage_id, key, due, projected, code, name, name_kk, name_ru, path,
         analysis_id, planned_start, object_code, login, full_name) in s.exec(query):
        if key not in names:
            names[key] = ctx.definition.stage_name(key, ctx.language)
        rows.append({
            "stage_id": stage_id,
            "organisation": code,
            "organisation_name": local_name(name, name_kk, name_ru, ctx.language),
            "subject_path": path,
            "year": planned_start.year,
            "analysis": analysis_id,
            "object": object_code,
            "stage": key,
            "stage_name": names[key],
            "due": due,
            "projected": projected,
            "working_days_left": working_days_left(ctx.calendar, due, ctx.today),
            "responsible": login,
            "responsible_name": full_name,
        })
    return rows


def _overdue_conditions(ctx: Context, stage: str | None, year: int | None) -> list | None:
    """The WHERE of an overdue list; None when no row can match (a year no date has)."""
    conditions: list = [Stage.due_date < ctx.today]
    if year is not None and not 1 <= year <= 9999:
        return None
    if stage:
        conditions.append(Stage.key == stage)
    if year:
        conditions += [Analysis.planned_start >= date(year, 1, 1),
                       Analysis.planned_start <= date(year, 12, 31)]
    return conditions


def overdue(s: Session, ctx: Context, org_code: str | None = None, stage: str | None = None,
            year: int | None = None, only_path: str | None = None, limit: int | None = None,
            offset: int = 0) -> list[dict[str, Any]]:
    """Open stages past their due date in the organisation's subtree, by organisation
    (optionally of one stage key, of analyses planned to start in one year; one page)."""
    conditions = _overdue_conditions(ctx, stage, year)
    if conditions is None:
        return []
    rows = _stage_rows(s, ctx, org_code, *conditions, only_path=only_path, limit=limit,
                       offset=offset)
    for row in rows:
        row["working_days_overdue"] = -row.pop("working_days_left")
    return rows


def count_overdue(s: Session, ctx: Context, org_code: str | None = None,
                  stage: str | None = None, year: int | None = None,
                  only_path: str | None = None) -> int:
    conditions = _overdue_conditions(ctx, stage, year)
    return 0 if conditions is None else _count_rows(s, org_code, conditions, only_path)


def _due_conditions(ctx: Context, within: int) -> list:
    if within < 0:
        raise UsageError("--within must be 0 or more", key="error.bad_within")
    horizon = ctx.calendar.add_working_days(ctx.today, within)
    return [Stage.due_date >= ctx.today, Stage.due_date <= horizon]


def due_within(s: Session, ctx: Context, org_code: str | None = None, within: int = 5,
               only_path: str | None = None, limit: int | None = None,
               offset: int = 0) -> list[dict[str, Any]]:
    """Open stages due from today up to `within` working days ahead."""
    return _stage_rows(s, ctx, org_code, *_due_conditions(ctx, within), only_path=only_path,
                       limit=limit, offset=offset)


def count_due(s: Session, ctx: Context, org_code: str | None = None, within: int = 5,
              only_path: str | None = None) -> int:
    return _count_rows(s, org_code, _due_conditions(ctx, within), only_path)


def count_stages(s: Session) -> int:
    return s.exec(select(func.count()).select_from(Stage)).one()


def open_stages(s: Session, ctx: Context, org_code: str | None = None) -> list[dict[str, Any]]:
    """Every open stage with a due date in the subtree (for calendar feeds)."""
    return _stage_rows(s, ctx, org_code, Stage.due_date.is_not(None))
