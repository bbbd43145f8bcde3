"""A case's plan from its facts, one transaction each: its records and given dates read, every
stage's due date and status re-planned (`sync`: done stages included, I-12) and the state
replayed from the records that stand; merzim's own deadlines switched off per organisation;
the bulk re-plan of one case and the hand-over to another officer."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from sqlalchemy import event as sa_event
from sqlmodel import Session

from workflow.core import deadlines, periods
from workflow.core.deadlines import Facts, Planner, Record
from workflow.core.decide import replan as replan_rows
from workflow.core.definition import PERIOD_DATES, Definition
from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.core.machine import (
    derive_state,
)
from workflow.i18n import Translator
from workflow.services import final_report, hooks, visibility
from workflow.services.context import Context
from workflow.services.facts import refresh as refresh_fact
from workflow.services.lookup import get_case, get_user, org_of
from workflow.services.processes import definition_of
from workflow.services.visibility import DISCLOSED
from workflow.storage import audit
from workflow.storage.models import (
    EVENT,
    HANDOVER,
    NOT_DONE_RECORD,
    OPEN,
    Case,
    EventRecord,
    Organisation,
    Stage,
    User,
)
from workflow.storage.queries import cases as case_queries

# -- facts, planning, state ---------------------------------------------------------------------


def records_of(s: Session, case: Case) -> list[EventRecord]:
    return case_queries.records(s, case.id)


def facts_of(s: Session, case: Case, rows: list[EventRecord] | None = None) -> Facts:
    """The case's given dates, the records that stand (in order) and stages not done."""
    rows = records_of(s, case) if rows is None else rows
    standing = [r for r in rows if r.voided_by_id is None]
    return Facts(case.given(),
                 tuple(Record(r.event, r.on, (r.evidence or {}).get("period"))
                       for r in standing if r.kind == EVENT),
                 {r.event: r.on for r in standing if r.kind == NOT_DONE_RECORD})


def period_dates(ctx: Context, definition: Definition, period: periods.Period,
                 levels: int = 0) -> dict[str, date]:
    """The named dates a recurring obligation's case has: its period's bounds and due date;
    a final report's due date moved back for the `levels` bodies above that take it in
    (B-21, services/final_report.py)."""
    start_key, end_key, due_key = PERIOD_DATES
    due = periods.due_date(ctx.calendar, period, definition.recurrence.due)
    if levels and final_report.is_final_report(definition):
        due = final_report.shifted(ctx, due, levels)
    return {start_key: period.start, end_key: period.end, due_key: due}


def _refresh_period_dates(s: Session, ctx: Context, defn: Definition, case: Case,
                          subject: Organisation | None = None) -> None:
    """A recurring obligation's due date follows the calendar and the settings as they stand
    (a decree moves a day off onto a period's last day, the operator changes the declaration
    deadline): its period dates are computed again whenever the case is re-planned."""
    dates = case.dates or {}
    fresh = fresh_dates(ctx, defn, case.period, dates,
                        final_report.levels_of(s, ctx, defn, subject))
    if fresh is not dates:
        case.dates = fresh
        s.add(case)


def fresh_dates(ctx: Context, defn: Definition, period: str | None, dates: dict[str, Any],
                levels: int = 0) -> dict[str, Any]:
    """A case's named dates with a recurring obligation's period dates as the calendar and the
    settings give them now; `dates` itself when nothing changed (one rule for `sync` and the
    bulk re-plan, services/replanning.py). `levels`: a final report's bodies above (B-21)."""
    if not period or defn.recurrence is None:
        return dates
    try:
        parsed = periods.parse(period)
    except UsageError:
        return dates
    fresh = {k: v.isoformat() for k, v in period_dates(ctx, defn, parsed, levels).items()}
    if any(dates.get(k) != v for k, v in fresh.items()):
        return {**dates, **fresh}
    return dates


def stages_of(s: Session, case: Case) -> dict[str, Stage]:
    return {st.key: st for st in case_queries.stages(s, case.id)}


def sync(s: Session, ctx: Context, case: Case, definition: Definition | None = None,
         rows: list[EventRecord] | None = None) -> list[tuple[str, date | None, date]]:
    """Re-plan the case from its facts: stage rows created, updated or retired, the state
    replayed. Returns (stage, old due, new due) for the open stages whose deadline moved.
    A withdrawn case is not re-planned: its stages stay as the withdrawal left them.
    `rows`: the case's records as the caller holds them (all of them, in order), else read.
    The records and stages it leaves are kept for the case's view in the same transaction
    (`planned_rows`): a record and the page or status after it read them once."""
    if case.withdrawn_at is not None:
        return []
    defn = definition or definition_of(s, ctx, case)
    subject = org_of(s, case.subject_id)
    _refresh_period_dates(s, ctx, defn, case, subject)
    rows = records_of(s, case) if rows is None else rows
    facts = facts_of(s, case, rows)
    existing = stages_of(s, case)

    def new_stage(key: str) -> Stage:
        return Stage(case_id=case.id, key=key, subject_id=subject.id,
                     subject_path=subject.path, status=OPEN)

    def features(new: dict[str, Stage]) -> list[tuple[str, date | None, date]]:
        s.add_all(new.values())  # (the rows of `existing` are the session's: their changes are)
        return hooks.replanned(s, ctx, case, defn, existing, new)  # the features' own stages

    planned = replan_rows(defn, ctx.calendar, facts, ctx.today, rows, existing, new_stage,
                          off=switched_off(ctx, defn, subject.code if subject else None),
                          features=features)
    moved, case.state = planned.moved, planned.state
    every = {**existing, **planned.new}
    s.add(case)
    refresh_fact(s, defn, case, defn.name(ctx.language))  # its fact follows (B-23), flushed
    s.flush()
    _keep_rows(s, case, subject, rows, every)
    return moved


_PLANNED = "merzim.planned_rows"  # case id -> (subject, records, stages) as sync left them


def _keep_rows(s: Session, case: Case, subject: Organisation | None,
               rows: list[EventRecord], stages: dict[str, Stage]) -> None:
    """Keep what sync read and wrote for the case's view; forgotten by any later flush that
    adds, changes or deletes a record or a stage, and at the transaction's end."""
    kept = s.info.get(_PLANNED)
    if kept is None:
        kept = s.info[_PLANNED] = {}
        if not s.info.get(_PLANNED + ".listening"):
            s.info[_PLANNED + ".listening"] = True
            sa_event.listen(s, "before_flush", _forget_on_write)
            for name in ("after_commit", "after_rollback", "after_soft_rollback"):
                sa_event.listen(s, name, _forget)
            sa_event.listen(s, "do_orm_execute", _forget_on_statement)
    kept[case.id] = (subject, list(rows), dict(stages))


def planned_rows(s: Session, case: Case
                 ) -> tuple[Organisation | None, list[EventRecord], dict[str, Stage]] | None:
    """The subject, records and stages sync left for this case in this transaction, if
    nothing wrote a record or a stage since."""
    return (s.info.get(_PLANNED) or {}).get(case.id)


def _forget(s: Session, *_: Any) -> None:
    s.info.pop(_PLANNED, None)


def _forget_on_write(s: Session, *_: Any) -> None:
    if any(isinstance(o, (EventRecord, Stage, Case))
           for o in (*s.new, *s.dirty, *s.deleted)):
        _forget(s)


def _forget_on_statement(state: Any) -> None:
    if not state.is_select:  # an UPDATE or DELETE through the session
        _forget(state.session)


def switched_off(ctx: Context, defn: Definition, org_code: str | None) -> frozenset[str]:
    """The stages of a case of `org_code` with no due date because its organisation switched
    off the deadlines merzim sets (config.toml [deadlines] own_off, I-17): those its
    definition marks, and those the current version marks (a case opened under an earlier
    version follows the mark too)."""
    if not ctx.own_deadlines_off(org_code):
        return frozenset()
    keys = deadlines.own_keys(defn)
    latest = ctx.registry.loaded.get(defn.key)
    if latest is not None:
        keys |= deadlines.own_keys(latest.definition) & defn.stages.keys()
    return keys


def due_basis(ctx: Context, process: str, key: str, period: str | None = None,
              due: date | None = None) -> str:
    """Who sets a stage's due date, as the process's current definition marks it, for a case
    of `period` whose stage is due on `due`: "" the sources, else the interpretation ("I-2"),
    "merzim" (I-17), or a subdivision's final report's "B-21" (the one rule:
    `core.deadlines.due_basis`, which every list, page, command and digest shows)."""
    loaded = ctx.registry.loaded.get(process)
    if loaded is None:
        return ""
    return deadlines.due_basis(loaded.definition, ctx.calendar, key, period, due)


def current_state(s: Session, ctx: Context, case: Case, defn: Definition | None = None) -> str:
    """The state as of today (time-driven transitions taken), without writing."""
    defn = defn or definition_of(s, ctx, case)
    facts = facts_of(s, case)
    return derive_state(defn, facts.records, Planner(defn, ctx.calendar, facts).dates(),
                        ctx.today)


# -- re-planning and hand-over --------------------------------------------------------------------


def replan(s: Session, ctx: Context, case: Case) -> list[tuple[str, date | None, date]]:
    """Re-plan one case (the calendar or an interpretation changed)."""
    return sync(s, ctx, case)


def assign_responsible(s: Session, ctx: Context, case_id: int | str, login: str,
                       by: User | None = None) -> Case:
    """Hand a case over to another officer of its subject (an officer left or changed
    duties): she is reminded of its stages from now on. `by`: the account handing it over
    (None: the command line's operator), who must see the case (else it is not found) and may
    hand it over (services/visibility.py `handover_refusal`, P-26: a case whose person only
    its responsible officer sees is handed over by her alone or, when she has left, by an
    administrator). Refused, nothing stored, for a user of another organisation, an inactive
    account or one that is not an officer; when its organisation has no active officer at
    all, the refusal says so (the one it gets is handed its cases nobody answers for:
    services/unanswered.py). A protected case's hand-over is audited as a
    disclosure naming who now sees the person, and its previous responsible officer is told
    (never the person's name)."""
    case = get_case(s, case_id)
    defn = definition_of(s, ctx, case)
    previous = s.get(User, case.responsible_id) if case.responsible_id else None
    if by is not None:
        if not visibility.may_see_case(s, by, case):
            raise NotFound(f"case {case_id} not found", key="notfound.analysis", id=case_id)
        refusal = visibility.handover_refusal(by, case, defn, previous)
        if refusal is not None:
            raise refusal
    subject = org_of(s, case.subject_id)
    if case_queries.first_officer(s, subject.id) is None:  # said so, whoever was named
        raise RuleViolation(f"{subject.code} has no active officer",
                            key="rule.responsible_none", subject=subject.code)
    user = get_user(s, login)
    if not visibility.answers_here(user, subject.id):
        raise RuleViolation("responsible officer of another organisation",
                            key="rule.responsible_elsewhere", login=user.login,
                            subject=subject.code)
    if not user.active:
        raise RuleViolation("inactive account", key="rule.responsible_inactive",
                            login=user.login)
    if previous is not None and previous.id == user.id:
        return case
    case.responsible_id = user.id
    s.add(case)
    s.flush()
    audit.append(s, ctx.actor, HANDOVER, "case", case.id,
                 {"from": previous.login if previous else None, "to": user.login})
    if visibility.protected(defn):
        audit.append(s, ctx.actor, DISCLOSED, "case", case.id,
                     {"seen_by": user.login, "before": previous.login if previous else None,
                      "why": "handover"})
        if previous is not None:  # (a confirmation, when she handed it over herself)
            _tell_previous(s, ctx, case, previous, user)
    return case


def _tell_previous(s: Session, ctx: Context, case: Case, previous: User, now: User) -> None:
    """The previous responsible officer of a protected case is told it was handed over, in
    her language, on each channel her preferences keep: the case's number and whom it went
    to, never its person (P-28)."""
    from workflow.reminders.outbound import outbound_case
    from workflow.reminders.planner import enqueue
    from workflow.services.comments import channels_of

    tr = Translator(previous.language)
    subject = tr("handover.told_subject", id=case.id)
    text = tr("handover.told_body", id=case.id, name=now.full_name)
    html = "<html><body><p>" + escape(text) + "</p></body></html>"
    url = outbound_case(s, ctx, case).url(ctx.public_url)
    if url:  # the case's page ([web] public_url), as a mention notice links it
        text += f"\n\n{url}"
        html = html.replace("</body>", f'<p><a href="{escape(url)}">{escape(url)}</a></p></body>')
    for channel, address in channels_of(s, previous):
        enqueue(s, previous.id, channel, ctx.today, f"handover:{case.id}:{now.id}", address,
                subject[:500], text, html)
