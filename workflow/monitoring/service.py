"""Use cases after the note: risks, recommendations, the action plan, quarterly monitoring,
positions exposed to corruption risk. Each runs in the caller's transaction; a refusal raises
before the caller commits, so nothing is stored."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any, Literal, overload

from sqlmodel import Session, col, select

from workflow.core import limits
from workflow.core.dates import not_in_future, parse_day
from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.core.machine import MAX_TEXT, clean_evidence
from workflow.core.signers import ROLE_FIELD, justification_signed
from workflow.imports.columns import day
from workflow.imports.headers import Header, keyed, names
from workflow.monitoring import levels
from workflow.monitoring import rules as mon
from workflow.services.context import Context
from workflow.services.lookup import get_analysis, get_org, org_of
from workflow.services.organisations import local_name
from workflow.services.processes import definition_of
from workflow.storage import audit
from workflow.storage.models import (
    DONE_LATE,
    DONE_ON_TIME,
    NOT_DONE,
    OPEN,
    OVERDUE,
    Case,
    ExternalAnalysis,
    MonitoringReport,
    Organisation,
    PlanItem,
    Position,
    Recommendation,
    Risk,
    Stage,
    Subdivision,
)
from workflow.storage.queries import in_subtree

MAX_CAUSES = 2000  # a risk's causes and conditions: a paragraph or two of the note

FULFILLED = "fulfilled"
NOT_STARTED, IN_PROGRESS, NOT_FULFILLED = "not_started", "in_progress", "not_fulfilled"
STATUSES = (NOT_STARTED, IN_PROGRESS, FULFILLED, NOT_FULFILLED)  # a review's verdicts
PLAN_COLUMNS = ("measure", "completion_form", "deadline", "responsible")
PLAN_OPTIONAL = ("person", "recommendation")
# the headings an office's action plan writes for its columns, beside their labels
PLAN_ALSO = {
    "measure": ("Наименование мероприятия", "Мероприятия", "Іс-шаралар", "Іс-шараның атауы"),
    "completion_form": ("Форма завершения мероприятия", "Аяқталу нысаны"),
    "deadline": ("Срок", "Срок исполнения мероприятия", "Сроки исполнения", "Мерзімі",
                 "Орындалу мерзімі"),
    "responsible": ("Ответственный исполнитель", "Ответственные исполнители",
                    "Жауапты орындаушы", "Жауапты орындаушылар"),
    "person": ("Исполнитель", "Орындаушы"),
    "recommendation": ("Рекомендация №", "Ұсыным №"),
}


def read_plan(rows: list[dict[str, Any]], language: str) -> tuple[list[dict[str, str]], Header]:
    """An action plan's file as every import reads one (`imports.headers.keyed`): headers
    by their labels in any of the three languages or the headings offices write, any case,
    spacing and punctuation; "№ п/п" and phone columns left out (the header says which).
    Refused naming the headers no column has and the columns missing."""
    return keyed(rows, names("plan.col_", (*PLAN_COLUMNS, *PLAN_OPTIONAL), PLAN_ALSO),
                 PLAN_COLUMNS, "plan.import_header", "plan.col_", language)


@overload
def _text(value: str | None, field: str, required: Literal[True] = True,
          limit: int = MAX_TEXT) -> str: ...
@overload
def _text(value: str | None, field: str, required: bool, limit: int = MAX_TEXT) -> str | None: ...
def _text(value: str | None, field: str, required: bool = True, limit: int = MAX_TEXT) -> str | None:
    """`value` stripped, refused when longer than `limit` or empty and `required`; None: empty."""
    value = (value or "").strip()
    if not value:
        if required:
            raise UsageError(f"{field} is empty", key="error.empty_field", field=field)
        return None
    if len(value) > limit:
        raise RuleViolation(f"{field} too long", key="rule.too_long", field=field, limit=limit)
    return value


def _stage(s: Session, analysis: Case, key: str) -> Stage | None:
    return s.exec(select(Stage).where(Stage.case_id == analysis.id, Stage.key == key)).first()


def _reopen(s: Session, analysis: Case, key: str) -> None:
    """The stage open again (its report or review voided), if it stands."""
    st = _stage(s, analysis, key)
    if st is not None:
        st.status, st.done_on, st.evidence = OPEN, None, None
        s.add(st)


def _add_stage(s: Session, analysis: Case, key: str, due: date) -> Stage:
    subject = org_of(s, analysis.subject_id)
    st = Stage(case_id=analysis.id, key=key, subject_id=subject.id, subject_path=subject.path,
               due_date=due, projected=False, status=OPEN)
    s.add(st)
    return st


def _complete(st: Stage | None, on: date, evidence: dict[str, Any]) -> None:
    if st is None:
        return
    st.done_on = on
    st.status = DONE_ON_TIME if st.due_date is None or on <= st.due_date else DONE_LATE
    st.evidence = {"date": on.isoformat(), **evidence}


def fulfil_measure(stage: Any, fulfilled: tuple[date, dict[str, Any]] | None) -> None:
    """The one rule of a plan measure's stage (`plan_item:<id>`) and its recommendation:
    while the recommendation is fulfilled (`fulfilled`: the day of the verdict and its
    evidence) the stage is done, on time when that day is not after the measure's deadline,
    else late; so it is overdue nowhere (status, lists, counts, digests, escalations, the
    monitoring report), which all read the stage. A verdict changed from fulfilled opens it
    again. A stage closed as not done stays so. The re-plan of one case and the bulk re-plan
    call it (listener.py); `stage` changed in place."""
    if fulfilled is not None and stage.status in (OPEN, DONE_ON_TIME, DONE_LATE):
        on, evidence = fulfilled
        status = DONE_ON_TIME if stage.due_date is None or on <= stage.due_date else DONE_LATE
        if (stage.status, stage.done_on) != (status, on):
            stage.status, stage.done_on = status, on
            stage.evidence = {"date": on.isoformat(), **evidence}
    elif fulfilled is None and stage.status in (DONE_ON_TIME, DONE_LATE):
        stage.status, stage.done_on, stage.evidence = OPEN, None, None


def verdict_on(s: Session, rec: Recommendation, day: date
               ) -> tuple[str, date | None, dict[str, Any]]:
    """The verdict on a recommendation as it stood on `day`: of the verdicts recorded (its
    trail in the audit chain), the last one dated on or before `day` (status, date,
    evidence); ("not_started", None, {}) when none was."""
    from workflow.storage.queries import audit as audit_queries

    found: tuple[str, date | None, dict[str, Any]] = ("not_started", None, {})
    for r in audit_queries.trail_of(s, "recommendation", str(rec.id),
                                    ("recommendation.status",)):
        payload = json.loads(r.payload)
        on = date.fromisoformat(str(payload.get("on"))[:10])
        if on <= day:
            found = (str(payload.get("status")), on, dict(payload.get("evidence") or {}))
    return found


def measure_on(status: str, due: date | None, done_on: date | None,
               verdict: tuple[str, date | None, dict[str, Any]] | None, day: date) -> str:
    """A measure's status as it stood at the end of `day` (the last day of a reporting
    period), from its stage as it stands (`status` as shown, "overdue" being open; its due
    and done dates) and its recommendation's verdict on that day (`verdict_on`; None: it
    serves none): what was done later was open then, and `fulfil_measure` decides the rest
    as it does today; overdue when still open and due on or before `day`."""
    row = SimpleNamespace(status=OPEN if status == OVERDUE else status, due_date=due,
                          done_on=done_on, evidence=None)
    if row.status in (DONE_ON_TIME, DONE_LATE, NOT_DONE) and (done_on is None or done_on > day):
        row.status, row.done_on = OPEN, None
    fulfilled = None
    if verdict is not None and verdict[0] == FULFILLED and verdict[1] is not None:
        fulfilled = (verdict[1], verdict[2])
    fulfil_measure(row, fulfilled)
    if row.status == OPEN and due is not None and due <= day:
        return OVERDUE
    return row.status


def keys(definition) -> dict[str, str]:
    """The events and stage keys of the definition's monitoring (its [monitoring] table, as
    its model read it; empty: none)."""
    table = definition.features.get("monitoring")
    return table.model_dump(exclude_none=True) if table is not None else {}


def note_date(s: Session, ctx: Context, analysis: Case) -> date | None:
    """The date of the record that starts the reporting periods (the signed note)."""
    definition = definition_of(s, ctx, analysis)
    opened_by = keys(definition).get("opened_by")
    spec = definition.events.get(opened_by) if opened_by else None
    st = _stage(s, analysis, spec.completes) if spec and spec.completes else None
    return st.done_on if st else None


def report(s: Session, analysis: Case, period: str) -> MonitoringReport:
    row = s.exec(select(MonitoringReport).where(MonitoringReport.analysis_id == analysis.id,
                                                MonitoringReport.period == period)).first()
    if row is None:
        known = [r.period for r in s.exec(select(MonitoringReport).where(
            MonitoringReport.analysis_id == analysis.id).order_by(col(MonitoringReport.period)))]
        raise RuleViolation("unknown period", key="rule.unknown_period", period=period,
                            known=", ".join(known) or "-")
    return row


def periods_from(ctx: Context, definition, on: date) -> list:
    """The reporting periods of a note signed on `on`, per the definition's interpretations
    (I-8: calendar quarters, or quarters counted from the note)."""
    interp = definition.interpretations
    return mon.periods(ctx.calendar, on, int(interp.get("monitoring_years", 1)),
                       day=int(interp.get("monitoring_report_day", mon.REPORT_DAY)),
                       how=interp.get("roll", "following"),
                       months=int(interp.get("monitoring_period_months", 3)),
                       counting=str(interp.get("monitoring_periods", "calendar")))


def period_end(s: Session, ctx: Context, analysis: Case, period: str) -> date:
    """The last day of a reporting period of the analysis."""
    return _bounds(s, ctx, analysis, definition_of(s, ctx, analysis), period)[1]


def period_bounds(s: Session, ctx: Context, analysis: Case, period: str) -> tuple[date, date]:
    """The first and last day of a reporting period of the analysis."""
    return _bounds(s, ctx, analysis, definition_of(s, ctx, analysis), period)


def _bounds(s: Session, ctx: Context, analysis: Case, definition, period: str
            ) -> tuple[date, date]:
    months = int(definition.interpretations.get("monitoring_period_months", 3))
    return mon.bounds(period, note_date(s, ctx, analysis), months)


def after_event(s: Session, ctx: Context, analysis: Case, event: str, on: date,
                evidence: dict[str, Any]) -> None:
    """The monitoring side of an event recorded by services.cases.record_event."""
    defn = definition_of(s, ctx, analysis)
    k = keys(defn)
    if not k:
        return
    interp = defn.interpretations
    if event == k.get("justified_by"):
        check_justification(ctx, k, evidence)
    if event == k.get("plan_approved_by"):
        check_measures(s, k, analysis, evidence)
    if event == k.get("opened_by"):
        for p in periods_from(ctx, defn, on):
            s.add(MonitoringReport(analysis_id=analysis.id, period=p.label))
            _add_stage(s, analysis, f"{k['report_stage']}:{p.label}", p.report_due)
    elif event == k.get("report_event"):
        row = report(s, analysis, evidence["period"])
        if row.received_on is not None:
            raise RuleViolation("already received", key="rule.already_recorded",
                                event=f"{event} {row.period}",
                                date=row.received_on.isoformat())
        start, _end = _bounds(s, ctx, analysis, defn, row.period)
        if on < start:
            raise RuleViolation("report before its period", key="rule.report_too_early",
                                period=row.period, date=on.isoformat(), start=start.isoformat())
        row.received_on = on
        s.add(row)
        _complete(_stage(s, analysis, f"{k['report_stage']}:{row.period}"), on, evidence)
        _add_stage(s, analysis, f"{k['review_stage']}:{row.period}", mon.review_due(
            ctx.calendar, on, int(interp.get("monitoring_review_working_days",
                                             mon.REVIEW_WORKING_DAYS))))
    elif event == k.get("review_event"):
        row = report(s, analysis, evidence["period"])
        if row.received_on is None:
            raise RuleViolation("not received", key="rule.review_before_report", period=row.period)
        if row.reviewed_on is not None:
            raise RuleViolation("already reviewed", key="rule.already_recorded",
                                event=f"{event} {row.period}",
                                date=row.reviewed_on.isoformat())
        if on < row.received_on:
            raise RuleViolation("review before receipt", key="rule.date_before",
                                event=event, date=on.isoformat(),
                                other=k["report_event"], other_date=row.received_on.isoformat())
        row.reviewed_on = on
        s.add(row)
        _complete(_stage(s, analysis, f"{k['review_stage']}:{row.period}"), on, evidence)
    elif event == k.get("close_event"):
        # I-8: after the monitoring year (once the last period's report is overdue) the note
        # closes the analysis even when a period's report never came: what is still open is
        # closed as not done. Before that, every period must be reviewed first.
        open_periods = [r.period for r in s.exec(select(MonitoringReport).where(
            MonitoringReport.analysis_id == analysis.id, col(MonitoringReport.reviewed_on).is_(None)))]
        noted = note_date(s, ctx, analysis)
        periods = periods_from(ctx, defn, noted) if noted else []
        free = periods[-1].report_due + timedelta(days=1) if periods else None
        if open_periods and (free is None or on < free):
            raise RuleViolation("periods not reviewed", key="rule.periods_open",
                                periods=", ".join(sorted(open_periods)),
                                until=free.isoformat() if free else "-")
    s.flush()


def check_measures(s: Session, k: dict[str, str], analysis: Case,
                   evidence: dict[str, Any]) -> None:
    """Refuse the approval of the action plan while a risk of the analysis has no measure in
    it (a recommendation against the risk that a plan item serves: D-6), naming the risks by
    their number in the note, unless the record gives the reason (`unmeasured_reason`)."""
    missing = unmeasured(s, analysis.id)
    reason = k.get("unmeasured_reason")
    if missing and not (reason and str(evidence.get(reason) or "").strip()):
        raise RuleViolation("risks without a measure", key="rule.risks_unmeasured",
                            n=len(missing), risks=numbered(missing),
                            field=reason or "")


def check_justification(ctx: Context, k: dict[str, str], evidence: dict[str, Any]) -> None:
    """Refuse a justification note signed by anyone but the head of apparatus unless a reason
    confirms an acting head (I-16); the package's approver warnings stay as they are."""
    if justification_signed(k, evidence) is False:
        from workflow.i18n import Translator

        t = Translator(ctx.language)  # the roles in the reader's words
        given = str(evidence.get(ROLE_FIELD) or "").strip()
        raise RuleViolation("justification note not signed by the head of apparatus",
                            key="rule.justification_signer",
                            role=t(f"approver.{k['justification_signer']}"),
                            given=t(f"approver.{given}") if given else "-",
                            field=k.get("acting_reason", ""))


def periods_of(s: Session, ctx: Context, analysis_id: int | str) -> list[dict[str, Any]]:
    """An analysis's reporting periods with their report and review deadlines and dates."""
    analysis = get_analysis(s, analysis_id)
    k = keys(definition_of(s, ctx, analysis))
    stages = {st.key: st for st in s.exec(select(Stage).where(Stage.case_id == analysis.id))}
    rows = []
    for r in s.exec(select(MonitoringReport).where(MonitoringReport.analysis_id == analysis.id)
                    .order_by(col(MonitoringReport.period))):
        rep = stages.get(f"{k.get('report_stage')}:{r.period}")
        rev = stages.get(f"{k.get('review_stage')}:{r.period}")
        rows.append({"period": r.period, "report_due": rep.due_date if rep else None,
                     "received_on": r.received_on, "review_due": rev.due_date if rev else None,
                     "reviewed_on": r.reviewed_on})
    return rows


def before_void(s: Session, ctx: Context, analysis: Case, record) -> None:
    """Undo the monitoring side of a record being voided: the periods its note opened (while
    no report was received), a period's receipt or review (while not reviewed)."""
    k = keys(definition_of(s, ctx, analysis))
    if not k:
        return
    reports = list(s.exec(select(MonitoringReport).where(
        MonitoringReport.analysis_id == analysis.id)))
    period = (record.evidence or {}).get("period")
    if record.event == k.get("opened_by"):
        if any(r.received_on for r in reports):
            raise RuleViolation("reports received", key="rule.void_needed_by",
                                event=record.event, other=k["report_event"])
        for r in reports:
            st = _stage(s, analysis, f"{k['report_stage']}:{r.period}")
            if st is not None:
                s.delete(st)
            s.delete(r)
    elif record.event == k.get("report_event") and period:
        row = report(s, analysis, period)
        if row.reviewed_on is not None:
            raise RuleViolation("report reviewed", key="rule.void_needed_by",
                                event=record.event, other=k["review_event"])
        row.received_on = None
        s.add(row)
        _reopen(s, analysis, f"{k['report_stage']}:{period}")
        review = _stage(s, analysis, f"{k['review_stage']}:{period}")
        if review is not None:
            s.delete(review)
    elif record.event == k.get("review_event") and period:
        row = report(s, analysis, period)
        row.reviewed_on = None
        s.add(row)
        _reopen(s, analysis, f"{k['review_stage']}:{period}")
    s.flush()


def dynamic_due(ctx: Context, definition, key: str, note: date | None = None,
                received_on: date | None = None) -> date | None:
    """The due date a per-period stage (`report:2026Q1`, `review:2026Q1`) has with the current
    calendar: a report's from its period (counted from the note signed on `note`), a review's
    from the report's receipt. None: a stage whose due date the calendar does not give (a
    review whose report has not come, a plan measure). The one rule the re-planning of one case
    and the bulk re-plan share (workflow/monitoring/listener.py)."""
    k = keys(definition)
    interp = definition.interpretations
    kind, _, period = key.partition(":")
    if not period:
        return None
    if kind == k.get("report_stage"):
        months = int(interp.get("monitoring_period_months", 3))
        _, end = mon.bounds(period, note, months)
        return mon.report_due(ctx.calendar, end,
                              int(interp.get("monitoring_report_day", mon.REPORT_DAY)),
                              how=interp.get("roll", "following"))
    if kind == k.get("review_stage") and received_on is not None:
        return mon.review_due(ctx.calendar, received_on,
                              int(interp.get("monitoring_review_working_days",
                                             mon.REVIEW_WORKING_DAYS)))
    return None


# -- risks and recommendations ----------------------------------------------------------------


def _owner(s: Session, analysis_id: int | None, external_id: int | None):
    if (analysis_id is None) == (external_id is None):
        raise UsageError("give an analysis or an external analysis", key="error.owner")
    if analysis_id is not None:
        return get_analysis(s, analysis_id), None
    ext = s.get(ExternalAnalysis, external_id)
    if ext is None:
        raise NotFound(f"no external analysis {external_id}", key="notfound.external",
                       id=external_id)
    return None, ext


def add_risk(s: Session, ctx: Context, description: str, process: str | None = None,
             subdivision: str | None = None, analysis_id: int | None = None,
             external_id: int | None = None, causes: str | None = None,
             likelihood: Any = None, consequence: Any = None) -> Risk:
    """Record a corruption risk of an analysis (or an external one) with the causes and
    conditions that favour it and, when assessed, its likelihood and consequence (grades of
    `levels.criteria()`, both or neither): the one way a risk is written (command line, web,
    demo)."""
    analysis, ext = _owner(s, analysis_id, external_id)
    grades = levels.criteria().check(likelihood, consequence)
    risk = Risk(analysis_id=analysis.id if analysis else None, external_id=ext.id if ext else None,
                description=_text(description, "description"),
                process=_text(process, "process", False),
                subdivision=_text(subdivision, "subdivision", False, limits.TITLE),
                causes=_text(causes, "causes", False, MAX_CAUSES),
                likelihood=grades[0], consequence=grades[1])
    s.add(risk)
    s.flush()
    audit.append(s, ctx.actor, "risk.add", "risk", risk.id,
                 {"analysis": analysis_id, "external": external_id, "description": risk.description,
                  "causes": risk.causes, "likelihood": risk.likelihood,
                  "consequence": risk.consequence})
    return risk


def assess_risk(s: Session, ctx: Context, risk_id: int, likelihood: Any,
                consequence: Any, analysis_id: int | None = None) -> Risk:
    """A recorded risk's likelihood and consequence set (or corrected), both at once; audited
    with the grades it had. `analysis_id`: the risk must be that analysis's (else: not
    found)."""
    risk = s.get(Risk, risk_id)
    if risk is None or (analysis_id is not None and risk.analysis_id != analysis_id):
        raise NotFound(f"no risk {risk_id}", key="notfound.risk", id=risk_id)
    grades = levels.criteria().check(likelihood, consequence)
    if grades[0] is None:
        raise levels.labelled(UsageError("likelihood missing", key="risk.grade_pair",
                                         field="likelihood"))
    before = {"likelihood": risk.likelihood, "consequence": risk.consequence}
    risk.likelihood, risk.consequence = grades
    s.add(risk)
    s.flush()
    audit.append(s, ctx.actor, "risk.assess", "risk", risk.id,
                 {"likelihood": risk.likelihood, "consequence": risk.consequence,
                  "before": before})
    return risk


def ranked(risks: list[Risk]) -> list[levels.Assessed]:
    """The risks (in their order: their number is their place, from 1) assessed and ranked
    by the criteria file (`levels.rank`)."""
    return levels.rank([(n, r.likelihood, r.consequence) for n, r in enumerate(risks, start=1)])


def risks_in_order(s: Session, analysis_id: int) -> list[Risk]:
    """An analysis's risks in the order the note numbers them (from 1)."""
    return list(s.exec(select(Risk).where(Risk.analysis_id == analysis_id)
                       .order_by(col(Risk.id))))


def measured(s: Session, risks: list[Risk]) -> set[int]:
    """The ids of the risks a measure of the action plan answers (through a recommendation
    against the risk that a plan item serves)."""
    ids = [r.id for r in risks]
    if not ids:
        return set()
    rows = s.exec(select(Recommendation.risk_id)
                  .join(PlanItem, col(PlanItem.recommendation_id) == col(Recommendation.id))
                  .where(col(Recommendation.risk_id).in_(ids)))
    return set(rows)


def unmeasured(s: Session, analysis_id: int) -> list[int]:
    """The numbers (in the note) of the analysis's risks no plan measure answers yet."""
    risks = risks_in_order(s, analysis_id)
    done = measured(s, risks)
    return [n for n, r in enumerate(risks, start=1) if r.id not in done]


def numbered(numbers: list[int]) -> str:
    """Risks named by their numbers in the note: "№1, №3"."""
    return ", ".join(f"№{n}" for n in numbers)


def risk_rows(s: Session, ctx: Context, analysis_id: int) -> list[dict[str, Any]]:
    """An analysis's risks by number: id, description, grades, level (its name in the
    context's language), rank, and whether a plan measure answers it."""
    from workflow.core.names import name_in
    from workflow.i18n import Translator

    analysis = get_analysis(s, analysis_id)
    risks = risks_in_order(s, analysis.id)
    done = measured(s, risks)
    t = Translator(ctx.language)
    return [{"no": a.no, "id": r.id, "description": r.description,
             "likelihood": a.likelihood, "consequence": a.consequence, "score": a.score,
             "level_key": a.level.key if a.level else None,
             "level": name_in(a.level.names, ctx.language, a.level.key) if a.level
             else t("risk.not_assessed"),
             "rank": a.rank, "measured": r.id in done}
            for r, a in zip(risks, ranked(risks), strict=True)]


def add_recommendation(s: Session, ctx: Context, risk_id: int, text: str) -> Recommendation:
    risk = s.get(Risk, risk_id)
    if risk is None:
        raise NotFound(f"no risk {risk_id}", key="notfound.risk", id=risk_id)
    rec = Recommendation(risk_id=risk.id, text=_text(text, "text"), status="not_started")
    s.add(rec)
    s.flush()
    audit.append(s, ctx.actor, "recommendation.add", "recommendation", rec.id,
                 {"risk": risk_id, "text": rec.text})
    return rec


def set_status(s: Session, ctx: Context, rec_id: int, status: str, on: date,
               evidence: dict[str, str | None]) -> Recommendation:
    """A review's verdict on one recommendation; 'fulfilled' needs the plan's completion form.
    The analysis is re-planned (the stages of the measures serving the recommendation are done
    while it is fulfilled: `fulfil_measure`) and the change audited on it too, so that its kept
    counts follow (storage/kept.py)."""
    rec = s.get(Recommendation, rec_id)
    if rec is None:
        raise NotFound(f"no recommendation {rec_id}", key="notfound.recommendation", id=rec_id)
    if status not in STATUSES:
        raise UsageError(f"unknown status {status!r}", key="error.bad_status", value=status,
                         known=", ".join(STATUSES))
    not_in_future(on, ctx.today)
    cleaned = clean_evidence(evidence)
    for field, value in cleaned.items():
        if len(value) > MAX_TEXT:
            raise RuleViolation("too long", key="rule.too_long", field=field, limit=MAX_TEXT)
    items = list(s.exec(select(PlanItem).where(PlanItem.recommendation_id == rec.id)))
    if status == FULFILLED:
        if not items:
            raise RuleViolation("no plan measure", key="rule.no_plan_measure", id=rec.id)
        form = cleaned.get("form", "")
        wanted = {i.completion_form.strip().casefold() for i in items}
        if form.casefold() not in wanted:
            raise RuleViolation("wrong completion form", key="rule.wrong_form", id=rec.id,
                                form=form or "-", wanted=" / ".join(i.completion_form for i in items))
        if not (cleaned.get("number") or cleaned.get("url")):
            raise RuleViolation("no confirming document", key="rule.missing_evidence",
                                event="fulfilled", field="number/url")
    rec.status, rec.status_on, rec.evidence = status, on, cleaned or None
    s.add(rec)
    s.flush()
    audit.append(s, ctx.actor, "recommendation.status", "recommendation", rec.id,
                 {"status": status, "on": on, "evidence": cleaned})
    for analysis_id in sorted({i.analysis_id for i in items if i.analysis_id is not None}):
        _replan_measures(s, ctx, get_analysis(s, analysis_id), rec, status)
    return rec


def _replan_measures(s: Session, ctx: Context, analysis: Case, rec: Recommendation,
                     status: str) -> None:
    """The analysis re-planned after a verdict on `rec` through the re-plan of every record
    (services.case_plan.sync, whose monitoring listener applies `fulfil_measure`), audited on
    the analysis with the stages whose status changed: the audit append is what recounts its
    kept counts (storage/kept.py)."""
    from workflow.services.case_plan import sync
    from workflow.services.recording import replanned, stage_dues

    before = stage_dues(s, analysis)
    sync(s, ctx, analysis)
    audit.append(s, ctx.actor, "recommendation.status", "analysis", analysis.id,
                 {"recommendation": rec.id, "status": status, **replanned(before, s, analysis)})


# -- the action plan ---------------------------------------------------------------------------


def known_subdivisions(s: Session, org: Organisation) -> dict[str, str]:
    """Names (case-folded) of the object's registered subdivisions and of its subtree's bodies."""
    names = {sd.name.casefold(): sd.name for sd in s.exec(
        select(Subdivision).where(Subdivision.organisation_id == org.id))}
    scope_org = org
    for o in s.exec(select(Organisation).where(in_subtree(Organisation.path, scope_org))):
        for n in (o.name, o.name_kk, o.name_ru, o.code):
            if n:
                names[n.casefold()] = n
    return names


def add_subdivision(s: Session, ctx: Context, org_code: str, name: str) -> Subdivision:
    org = get_org(s, org_code)
    name = _text(name, "name", True, limits.TITLE)
    if s.exec(select(Subdivision).where(Subdivision.organisation_id == org.id,
                                        Subdivision.name == name)).first():
        raise RuleViolation("exists", key="rule.subdivision_exists", name=name, org=org.code)
    sd = Subdivision(organisation_id=org.id, name=name)
    s.add(sd)
    s.flush()
    audit.append(s, ctx.actor, "subdivision.add", "organisation", org.id, {"name": name})
    return sd


def import_plan(s: Session, ctx: Context, rows: list[dict[str, str]], analysis_id: int | None = None,
                external_id: int | None = None) -> list[PlanItem]:
    """Add the plan's measures (all or none), its file read by `read_plan` (a deadline as
    dd.mm.yyyy or yyyy-mm-dd, or a spreadsheet's date); each bad row is refused naming its
    row number."""
    rows, _header = read_plan(rows, ctx.language)
    analysis, ext = _owner(s, analysis_id, external_id)
    org = org_of(s, analysis.object_id if analysis else ext.subject_id)
    names = known_subdivisions(s, org)
    items = []
    for i, row in enumerate(rows, start=2):
        n = row.get("_row", i)  # the row's number in the file, blank rows skipped
        try:
            measure = _text(row.get("measure"), "measure")
            form = _text(row.get("completion_form"), "completion_form", True, limits.TITLE)
            raw = (row.get("deadline") or "").strip()
            # as written (dd.mm.yyyy too); a spreadsheet's date-time: its day
            deadline = parse_day(day(raw) or day(raw[:10]) or raw[:10], "deadline")
            responsible = _text(row.get("responsible"), "responsible", True, limits.TITLE)
            if responsible.casefold() not in names:
                raise RuleViolation(key="rule.unknown_subdivision", name=responsible,
                                    org=org.code)
            rec_id = None
            if (row.get("recommendation") or "").strip():
                try:
                    rec_id = int(row["recommendation"])
                except ValueError:
                    raise UsageError(key="error.bad_int", what="recommendation",
                                     value=row["recommendation"]) from None
                rec = s.get(Recommendation, rec_id)
                risk = s.get(Risk, rec.risk_id) if rec else None
                if risk is None or (risk.analysis_id, risk.external_id) != (analysis_id, external_id):
                    raise NotFound(key="notfound.recommendation", id=rec_id)
        except (UsageError, RuleViolation, NotFound) as exc:
            raise type(exc)(key="error.row", row=n, detail=exc.render(_english)) from None
        item = PlanItem(analysis_id=analysis_id, external_id=external_id, recommendation_id=rec_id,
                        measure=measure, completion_form=form, deadline=deadline,
                        subdivision=names[responsible.casefold()],
                        person=_text(row.get("person"), "person", False, limits.PERSON_NAME))
        s.add(item)
        s.flush()
        if analysis is not None:
            _add_stage(s, analysis, f"{keys(definition_of(s, ctx, analysis))['plan_item_stage']}:{item.id}",
                           deadline)
        items.append(item)
    audit.append(s, ctx.actor, "plan.import", "analysis" if analysis else "external_analysis",
                 analysis_id or external_id, {"items": len(items)})
    s.flush()
    return items


def _english(key: str, default=None, **params):
    from workflow.i18n import Translator

    return Translator("en")(key, default=default, **params)


def plan_rows(s: Session, analysis_id: int | None = None, external_id: int | None = None
              ) -> list[dict[str, Any]]:
    query = select(PlanItem).where(PlanItem.analysis_id == analysis_id,
                                   PlanItem.external_id == external_id).order_by(col(PlanItem.id))
    return [{"measure": i.measure, "completion_form": i.completion_form, "deadline": i.deadline,
             "responsible": i.subdivision, "person": i.person,
             "recommendation": i.recommendation_id} for i in s.exec(query)]


# -- positions ----------------------------------------------------------------------------------


def note_risks(s: Session, analysis_id: int) -> list[Risk]:
    """An analysis's risks in the order the analytic note numbers them (1, 2, …): the order
    they were recorded in. The one numbering the note, the plan and the positions list share."""
    return list(s.exec(select(Risk).where(Risk.analysis_id == analysis_id)
                       .order_by(col(Risk.id))))


RISK_NUMBER = re.compile(r"\s*[#№]?\s*(\d{1,6})\s*")


def add_position(s: Session, ctx: Context, analysis_id: int, title: str, subdivision: str,
                 risk: str) -> Position:
    """A position exposed to a corruption risk, on the analysis's list (appendix 4 of order
    No. 488). `risk` is the risk's number in the analytic note ("3", "№3"), or its words: words
    that are a recorded risk's description name that risk; other words are kept as written,
    the list then leaving the risk's number blank. A number the note does not have is refused
    naming how many risks it has."""
    analysis = get_analysis(s, analysis_id)
    title = _text(title, "position", True, limits.TITLE)
    subdivision = _text(subdivision, "subdivision", True, limits.TITLE)
    words = _text(risk, "risk")
    risks = note_risks(s, analysis.id)
    linked: Risk | None
    number = RISK_NUMBER.fullmatch(words)
    if number is not None:
        n = int(number.group(1))
        if not 1 <= n <= len(risks):
            raise UsageError(f"the note has no risk {n}", key="positions.error_risk_number",
                             number=n, count=len(risks))
        linked = risks[n - 1]
        words = linked.description
    else:
        folded = " ".join(words.split()).casefold()
        linked = next((r for r in risks
                       if " ".join(r.description.split()).casefold() == folded), None)
        if linked is not None:
            words = linked.description  # the risk as the note words it
    pos = Position(analysis_id=analysis.id, title=title, subdivision=subdivision, risk=words,
                   risk_id=linked.id if linked is not None else None)
    s.add(pos)
    s.flush()
    audit.append(s, ctx.actor, "position.add", "analysis", analysis.id,
                 {"position": pos.title, "subdivision": pos.subdivision,
                  "risk": risks.index(linked) + 1 if linked is not None else None})
    return pos


def positions_of(s: Session, analysis_id: int) -> list[dict[str, Any]]:
    """An analysis's list of positions as its document prints it: each with its subdivision
    and the risk by its number in the note (None when the risk is named in words only)."""
    numbers = {r.id: n for n, r in enumerate(note_risks(s, analysis_id), start=1)}
    rows = s.exec(select(Position).where(Position.analysis_id == analysis_id)
                  .order_by(col(Position.id)))
    return [{"no": n, "position": p.title, "subdivision": p.subdivision, "risk": p.risk,
             "risk_no": numbers.get(p.risk_id or 0)}
            for n, p in enumerate(rows, start=1)]


def positions_under(s: Session, org_code: str, language: str = "en") -> list[dict[str, Any]]:
    """The consolidated list of positions for a region or central body (its subtree)."""
    scope_org = get_org(s, org_code)
    spec = _default_definition().scorecard
    positions_stage = spec.stages.get("positions_approved") if spec is not None else None
    query = (select(Position, Case, Organisation)
             .join(Case, col(Case.id) == Position.analysis_id)
             .join(Organisation, col(Organisation.id) == Case.subject_id)
             .where(in_subtree(Organisation.path, scope_org))
             .order_by(col(Organisation.path), col(Position.id)))
    out = []
    numbers: dict[int, dict[int, int]] = {}
    for pos, analysis, org in s.exec(query):
        if analysis.id not in numbers:
            numbers[analysis.id] = {r.id: n for n, r in
                                    enumerate(note_risks(s, analysis.id), start=1)}
        approved = _stage(s, analysis, positions_stage) if positions_stage else None
        out.append({"organisation": org.code,
                    "organisation_name": local_name(org.name, org.name_kk, org.name_ru, language),
                    "analysis": analysis.id, "position": pos.title, "subdivision": pos.subdivision,
                    "risk": pos.risk, "risk_no": numbers[analysis.id].get(pos.risk_id or 0),
                    "approved_on": approved.done_on if approved else None})
    return out


def _default_definition():
    from workflow.definitions import load_definition

    return load_definition()
