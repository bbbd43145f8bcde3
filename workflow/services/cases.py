"""Cases of any process definition, one transaction each: open, record an event, close a
stage as not done, void a record, re-plan, hand over, and show one case.

Every function takes an open Session and a `Context`; the caller commits. A refusal raises
before anything is written and the caller rolls back, so a refused action changes nothing.
After every change the case is re-planned from its facts (`sync`): each stage's due date and
status, done stages included (I-12), and the state replayed from the records that stand.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import event as sa_event
from sqlmodel import Session

from workflow.core import deadlines, limits, periods
from workflow.core.dates import check_day, moved_reason, not_in_future, parse_day
from workflow.core.deadlines import Facts, Planner, Record
from workflow.core.decide import (  # the rules of recording and the one re-plan
    check_open,
    closed_status,  # noqa: F401 - the bulk paths' closing rule (services/bulk.py)
    decide_not_done,
    decide_record,
    decide_void,
    next_events,
)
from workflow.core.decide import replan as replan_rows
from workflow.core.decide import too_early as _too_early
from workflow.core.definition import PERIOD_DATES, Definition
from workflow.core.errors import MerzimError, RuleViolation, UsageError
from workflow.core.limits import is_whole, whole_number
from workflow.core.machine import (
    MAX_TEXT,
    check_evidence,
    clean_evidence,
    derive_state,
)
from workflow.core.names import name_in
from workflow.services import hooks
from workflow.services.context import Context
from workflow.services.lookup import get_case, get_org, get_user
from workflow.services.organisations import org_name
from workflow.services.processes import definition_of, keep_version
from workflow.services.recorded import evidence_values, field_values
from workflow.services.views import (
    CaseDate,
    CaseRecord,
    CaseRow,
    CaseSetting,
    CaseStage,
    CaseView,
    Person,
    Withdrawn,
)
from workflow.storage import audit
from workflow.storage.models import (
    EVENT,
    HANDOVER,
    NOT_DONE_RECORD,
    OPEN,
    OVERDUE,
    VOID,
    Case,
    EventRecord,
    Organisation,
    Stage,
    User,
)
from workflow.storage.queries import cases as case_queries

PERSON_FIELDS = ("person_name", "person_position")
T = TypeVar("T")


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


def period_dates(ctx: Context, definition: Definition, period: periods.Period
                 ) -> dict[str, date]:
    """The named dates a recurring obligation's case has: its period's bounds and due date."""
    start_key, end_key, due_key = PERIOD_DATES
    return {start_key: period.start, end_key: period.end,
            due_key: periods.due_date(ctx.calendar, period, definition.recurrence.due)}


def _refresh_period_dates(s: Session, ctx: Context, defn: Definition, case: Case) -> None:
    """A recurring obligation's due date follows the calendar and the settings as they stand
    (a decree moves a day off onto a period's last day, the operator changes the declaration
    deadline): its period dates are computed again whenever the case is re-planned."""
    dates = case.dates or {}
    fresh = fresh_dates(ctx, defn, case.period, dates)
    if fresh is not dates:
        case.dates = fresh
        s.add(case)


def fresh_dates(ctx: Context, defn: Definition, period: str | None, dates: dict[str, Any]
                ) -> dict[str, Any]:
    """A case's named dates with a recurring obligation's period dates as the calendar and the
    settings give them now; `dates` itself when nothing changed (one rule for `sync` and the
    bulk re-plan, services/replanning.py)."""
    if not period or defn.recurrence is None:
        return dates
    try:
        parsed = periods.parse(period)
    except UsageError:
        return dates
    fresh = {k: v.isoformat() for k, v in period_dates(ctx, defn, parsed).items()}
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
    _refresh_period_dates(s, ctx, defn, case)
    rows = records_of(s, case) if rows is None else rows
    facts = facts_of(s, case, rows)
    subject = s.get(Organisation, case.subject_id)
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


def due_basis(ctx: Context, process: str, key: str) -> str:
    """Who sets a stage's due date: "" the sources, else the interpretation ("I-2") or
    "merzim" (I-17), as the process's current definition marks it."""
    loaded = ctx.registry.loaded.get(process)
    spec = loaded.definition.stage_spec(key) if loaded is not None else None
    return spec.due_basis if spec is not None and spec.own_deadline else ""


def current_state(s: Session, ctx: Context, case: Case, defn: Definition | None = None) -> str:
    """The state as of today (time-driven transitions taken), without writing."""
    defn = defn or definition_of(s, ctx, case)
    facts = facts_of(s, case)
    return derive_state(defn, facts.records, Planner(defn, ctx.calendar, facts).dates(),
                        ctx.today)


# -- opening ------------------------------------------------------------------------------------


def _text(value: str | None, what: str, limit: int) -> str | None:
    """A typed text stripped (None when blank), refused when longer than `limit` (its column's
    length, core/limits.py) or holding a NUL: `error.too_long` names the field and the limit."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > limit or "\x00" in value:
        raise UsageError(f"{what} must be at most {limit} characters", key="error.too_long",
                         field=what, limit=limit)
    return value


def _fields(defn: Definition, given: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in given.items():
        spec = defn.fields.get(key)
        if spec is None:
            raise UsageError(f"unknown field {key!r}", key="error.unknown_field", field=key,
                             known=", ".join(defn.fields) or "-")
        value = (raw or "").strip()
        if not value:
            continue
        if spec.type == "integer":
            number = whole_number(value, spec.minimum, spec.maximum)
            if number is None:
                raise UsageError(key="error.int_out_of_bounds" if is_whole(value)
                                 else "error.bad_int", what=key, value=value,
                                 min=spec.minimum, max=spec.maximum)
            out[key] = number
        elif spec.type == "date":
            out[key] = parse_day(value, key).isoformat()
        elif spec.type == "choice" and value not in spec.choices:
            raise UsageError(f"{key}: {value!r} is not one of {', '.join(spec.choices)}",
                             key="error.bad_choice", field=key, value=value,
                             known=", ".join(spec.choices))
        else:
            out[key] = _text(value, key, MAX_TEXT)
    for key, spec in defn.fields.items():
        if spec.required and key not in out:
            raise UsageError(f"field {key} is required", key="error.field_required", field=key)
    return out


@dataclass(frozen=True)
class Opening:
    """A case checked against its definition, not yet written: its parties, fields and named
    dates (defaults of the given dates filled in)."""

    person: str | None
    position: str | None
    values: dict[str, Any]
    dates: dict[str, date]


def check_opening(ctx: Context, defn: Definition, obj: Organisation | None,
                  person: str | None = None, position: str | None = None,
                  fields: dict[str, str] | None = None,
                  dates: dict[str, date] | None = None) -> Opening:
    """The definition's checks of a case to open (parties, fields, named dates), without the
    database: `open_case` and the bulk import share them."""
    process = defn.key
    if obj is None and defn.parties.object == "required":
        raise UsageError("this process needs an object organisation", key="error.object_required",
                         process=process)
    if obj is not None and defn.parties.object == "none":
        raise UsageError("this process has no object organisation", key="error.no_object",
                         process=process)
    person = _text(person, "person", limits.PERSON_NAME)
    position = _text(position, "position", limits.PERSON_POSITION)
    if person is None and defn.parties.person == "required":
        raise UsageError("this process needs a person", key="error.person_required",
                         process=process)
    if (person or position) and defn.parties.person == "none":
        raise UsageError("this process names no person", key="error.no_person", process=process)
    values = _fields(defn, fields or {})
    dates = dict(dates or {})
    for name, day in dates.items():
        if name not in defn.dates or defn.dates[name].given == "none":
            known = [k for k, d in defn.dates.items() if d.given != "none"]
            raise UsageError(f"unknown date {name!r}", key="error.unknown_date", name=name,
                             known=", ".join(known) or "-")
        check_day(day, name)  # 1900-2100, whichever adapter read it
    for name, spec in defn.dates.items():
        if spec.given == "required" and name not in dates:
            raise UsageError(f"date {name} is required", key="error.date_required", name=name)
        if spec.past and name in dates:
            not_in_future(dates[name], ctx.today)
    # defaults of the given dates are stored as given: the case keeps what it was opened with
    planner = Planner(defn, ctx.calendar, Facts(dict(dates)))
    for name, spec in defn.dates.items():
        if spec.given != "none" and name not in dates and spec.default is not None:
            value = planner.date(name)
            if value is not None:
                dates[name] = value.date
    for name, spec in defn.dates.items():
        floor = dates.get(spec.not_before) if spec.not_before else None
        if name in dates and floor is not None and dates[name] < floor:
            raise RuleViolation(f"{name} {dates[name]} is before {spec.not_before} {floor}",
                                key="rule.date_floor", event=name, date=dates[name].isoformat(),
                                floor=floor.isoformat())
    return Opening(person, position, values, dates)


def check_responsible(owner: User | None, subject: Organisation) -> None:
    """The responsible officer belongs to the case's subject."""
    if owner is not None and owner.organisation_id != subject.id:
        raise RuleViolation("responsible officer of another organisation",
                            key="rule.responsible_elsewhere", login=owner.login,
                            subject=subject.code)


def default_responsible(s: Session, subject: Organisation) -> User | None:
    """The subject's first active officer: responsible when none is named."""
    return case_queries.first_officer(s, subject.id)


def case_row(ctx: Context, defn: Definition, opening: Opening, subject: Organisation,
             obj: Organisation | None, owner: User | None, period: str | None = None,
             programme_id: int | None = None, override_reason: str | None = None,
             case_date: date | None = None) -> dict[str, Any]:
    """The columns of the case row of a checked opening."""
    dates = opening.dates
    first = min(dates.values()) if dates else ctx.today
    return dict(process=defn.key, process_version=defn.version, programme_id=programme_id,
                subject_id=subject.id, object_id=obj.id if obj else None,
                person_name=opening.person, person_position=opening.position,
                fields=opening.values or None,
                dates={k: v.isoformat() for k, v in dates.items()}, period=period,
                case_date=case_date or first, state=defn.initial_state,
                responsible_id=owner.id if owner else None, override_reason=override_reason,
                cancel_reason=None, created_at=audit.now_iso())


def opened_payload(defn: Definition, opening: Opening, subject: Organisation,
                   obj: Organisation | None, period: str | None,
                   audit_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the audit record of an opened case says."""
    return {"process": defn.key, "version": defn.version, "subject": subject.code,
            "object": obj.code if obj else None, "dates": opening.dates, "period": period,
            "fields": opening.values, "person": bool(opening.person), **(audit_extra or {})}


def open_case(s: Session, ctx: Context, process: str, subject_code: str,
              object_code: str | None = None, person: str | None = None,
              position: str | None = None, fields: dict[str, str] | None = None,
              dates: dict[str, date] | None = None, period: str | None = None,
              responsible: str | None = None, programme_id: int | None = None,
              override_reason: str | None = None, case_date: date | None = None,
              audit_extra: dict[str, Any] | None = None) -> Case:
    """Open a case of `process` for a subject organisation: parties, fields and named dates
    checked against the definition, every stage planned, an audit record written."""
    defn = ctx.registry.get(process)
    subject = get_org(s, subject_code)
    obj = get_org(s, object_code) if object_code else None
    opening = check_opening(ctx, defn, obj, person, position, fields, dates)
    owner = get_user(s, responsible) if responsible else default_responsible(s, subject)
    check_responsible(owner, subject)
    keep_version(s, ctx, defn)
    case = Case(**case_row(ctx, defn, opening, subject, obj, owner, period, programme_id,
                           override_reason, case_date))
    s.add(case)
    s.flush()
    sync(s, ctx, case, defn)
    audit.append(s, ctx.actor, "case.open", "case", case.id,
                 opened_payload(defn, opening, subject, obj, period, audit_extra))
    return case


# -- a second case of the same ------------------------------------------------------------------


def _same_person(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


def repeat_key(dates: dict[str, Any] | None, person: str | None,
               fields: dict[str, Any] | None) -> tuple | None:
    """What makes a case a repeat of another of the same process, subject and object: its
    named dates (those with a value), its person (spaces and letter case aside) and its
    fields. None: no named date, never a repeat. `duplicate_cases` and the register import
    (`services.registers`) compare cases by it."""
    given = tuple(sorted((k, str(v)) for k, v in (dates or {}).items() if v))
    if not given:
        return None
    return given, _same_person(person), audit.canonical(fields or {})


def cancelled_states(defn: Definition) -> set[str]:
    """The states a terminal event leads to: a case in one is repeated by no other."""
    return {e.dest for e in defn.events.values() if e.terminal and e.dest}


def duplicate_cases(s: Session, ctx: Context, process: str, subject_code: str,
                    object_code: str | None = None, person: str | None = None,
                    position: str | None = None, fields: dict[str, str] | None = None,
                    dates: dict[str, date] | None = None, reason: str | None = None,
                    ) -> list[int]:
    """The cases a new one would repeat (issue 29): of the same process, subject and object,
    about the same person (spaces and letter case aside), with the same named dates and the
    same fields (two gifts of one person on one day, one reported by the person and one
    found, are two cases); a case with no named date is never a repeat; neither withdrawn
    nor cancelled. Some: refused naming the first
    (`rule.duplicate_case`, with its number for a link) unless `reason` confirms it; the
    caller adds the ids and the reason to the audit record of the opened case. Read under
    the writers' lock (two officers opening the same notice at once cannot both pass it)."""
    if reason is not None and (not reason.strip() or len(reason) > MAX_TEXT
                               or "\x00" in reason):
        raise UsageError("the duplicate reason must be 1-500 characters",
                         key="error.bad_duplicate_reason", limit=MAX_TEXT)
    defn = ctx.registry.get(process)
    subject = get_org(s, subject_code)
    obj = get_org(s, object_code) if object_code else None
    opening = check_opening(ctx, defn, obj, person, position, fields, dates)
    key = repeat_key({k: v.isoformat() for k, v in opening.dates.items()}, opening.person,
                     opening.values)
    if key is None:  # no date to compare (a register's entry without one): never a repeat
        return []
    cancelled = cancelled_states(defn)
    audit.serialise(s)
    same = [c.id for c in case_queries.same_parties(s, defn.key, subject.id,
                                                    obj.id if obj else None)
            if c.id is not None and c.state not in cancelled
            and repeat_key(c.dates, c.person_name, c.fields) == key]
    if same and not reason:
        raise RuleViolation(f"repeats case #{same[0]}", key="rule.duplicate_case", id=same[0],
                            process=defn.key, subject=subject.code)
    return same


# -- recording ----------------------------------------------------------------------------------


def guard_standing(case: Case) -> None:
    """A withdrawn case accepts nothing more (issue 29): no record, not-done, void, file or
    second withdrawal."""
    if case.withdrawn_at is not None:
        raise RuleViolation(f"case {case.id} is withdrawn", key="rule.case_withdrawn",
                            id=case.id, on=case.withdrawn_at[:10])


def _guard_open(ctx: Context, defn: Definition, case: Case) -> None:
    guard_standing(case)
    check_open(defn, case.id, case.state, ctx.language)


def _named_refusals(action):
    """A refusal of `action` names the events, stages, states and fields it is about by their
    names in the reader's language (the case's definition labels them), never by key."""
    @functools.wraps(action)
    def wrapper(s: Session, ctx: Context, case_id: int | str, *args, **kwargs):
        try:
            return action(s, ctx, case_id, *args, **kwargs)
        except MerzimError as exc:
            try:
                defn = definition_of(s, ctx, get_case(s, case_id))
            except MerzimError:
                raise exc from None
            raise defn.name_keys(exc)  # noqa: B904 - the same error, labelled

    return wrapper


def check_record(ctx: Context, defn: Definition, case_id: int | None, facts: Facts,
                 subject_kind: str | None, event: str, on: date, evidence: dict[str, str]
                 ) -> tuple[Any, str]:
    """The definition's checks of an event to record on a case with these facts, without the
    database (core/decide.py's `decide_record`, with the kinds named in the reader's
    language): `record_event` and the register import share them. Returns the event's spec
    and the state it leads to."""
    from workflow.i18n import Translator

    decision = decide_record(defn, facts, ctx.calendar, ctx.today, subject_kind, case_id, event,
                             on, evidence, ctx.language, kind_name=Translator(ctx.language))
    return decision.spec, decision.state


REPEAT_SECONDS = 60  # a repeatable event recorded again within this: confirmed first


def repeated_record(s: Session, ctx: Context, case: Case, rows: list[EventRecord], event: str,
                    on: date, evidence: dict[str, str], files: list[str]) -> EventRecord | None:
    """The record a repeatable event would repeat by mistake: one the same user
    recorded on the case within the last `REPEAT_SECONDS`, standing, of the same event, day,
    evidence and files (their SHA-256, in any order); None: none."""
    from datetime import UTC, datetime, timedelta

    from workflow.storage.queries import files as file_queries

    since = (datetime.now(UTC) - timedelta(seconds=REPEAT_SECONDS)).isoformat(
        timespec="microseconds")
    same = [r for r in rows if r.kind == EVENT and r.event == event and r.on == on
            and r.voided_by_id is None and r.actor == ctx.actor and r.recorded_at >= since
            and clean_evidence(r.evidence) == evidence]
    if not same:
        return None
    shas: dict[int | None, list[str]] = {}
    for f in file_queries.files_of_case(s, case.id):
        if f.voided_at is None:
            shas.setdefault(f.record_id, []).append(f.sha256)
    return next((r for r in reversed(same) if sorted(shas.get(r.id, [])) == sorted(files)),
                None)


@_named_refusals
def record_event(s: Session, ctx: Context, case_id: int | str, event: str, on: date,
                 evidence: dict[str, str | None] | None = None,
                 audit_extra: dict[str, Any] | None = None, repeat: bool = False
                 ) -> EventRecord:
    """Record what happened and return the record; refused (nothing stored) only by the
    definition's hard prerequisites, a state that does not accept it, a date in the future, or
    missing evidence.
    `audit_extra`: more for the record's audit entry (the files attached with it, their
    SHA-256: workflow.services.files).
    A repeatable event the same user recorded on the case within the last minute, with the
    same day, evidence and files, is refused (`rule.repeat_event`, naming the record) unless
    `repeat` confirms that it is another (a resend would count it twice)."""
    case = get_case(s, case_id)
    guard_standing(case)
    defn = definition_of(s, ctx, case)
    evidence = clean_evidence(evidence)
    rows = records_of(s, case)
    facts = facts_of(s, case, rows)
    subject = s.get(Organisation, case.subject_id)
    spec, new_state = check_record(ctx, defn, case.id, facts, ctx.kind_for(defn.key, subject),
                                   event, on, evidence)
    _check_organisations(s, defn, subject, evidence)
    if spec.repeatable and not repeat:
        files = [str(f.get("sha256")) for f in (audit_extra or {}).get("files", ())]
        earlier = repeated_record(s, ctx, case, rows, event, on, evidence, files)
        if earlier is not None:
            raise RuleViolation(f"{event} of {on} was just recorded (#{earlier.id})",
                                key="rule.repeat_event", event=event, date=on.isoformat(),
                                id=earlier.id)
    record = EventRecord(case_id=case.id, kind=EVENT, event=event, on=on,
                         evidence=evidence or None, actor=ctx.actor, recorded_at=audit.now_iso())
    s.add(record)
    if spec.terminal:
        case.cancel_reason = evidence.get("note")
    s.flush()
    hooks.recorded(s, ctx, case, defn, record)
    moved = sync(s, ctx, case, defn, rows=[*rows, record])  # the records, read once
    follow_up = _open_follow_up(s, ctx, case, subject, spec, on)
    audit.append(s, ctx.actor, f"event.{event}", "case", case.id,
                 {"event": event, "on": on, "evidence": evidence, "state": case.state or new_state,
                  "moved": moved, **({"opened_case": follow_up.id} if follow_up else {}),
                  **(audit_extra or {})})
    return record


def _open_follow_up(s: Session, ctx: Context, case: Case, subject: Organisation, spec,
                    on: date) -> Case | None:
    """An event that opens a case of another process (the yearly contract-concentration
    analysis opens its report to the first head, procedures.md): same subject and responsible
    officer, the event's date as the named date. A voided and re-recorded event does not open
    a second one while one opened with the same date is still open."""
    if spec.opens_case is None:
        return None
    process, name = spec.opens_case
    final = ctx.registry.get(process).final_states
    for other in case_queries.of_subject(s, process, subject.id):
        if (other.dates or {}).get(name) == on.isoformat() and other.state not in final:
            return None
    owner = s.get(User, case.responsible_id) if case.responsible_id else None
    return open_case(s, ctx, process, subject.code, dates={name: on},
                     responsible=owner.login if owner and owner.active else None,
                     audit_extra={"opened_by": {"case": case.id, "event": spec.key}})


def _check_organisations(s: Session, defn: Definition, subject: Organisation,
                         evidence: dict[str, str]) -> None:
    """Evidence of type organisation names an organisation of the subject's subtree (a
    cartogram section is one of the akimat's departments or districts, I-7)."""
    for key, value in evidence.items():
        spec = defn.evidence.get(key)
        if spec is None or spec.type != "organisation":
            continue
        found = case_queries.org_below(s, value, subject)
        if found is None or found.id == subject.id:
            raise RuleViolation(f"{value} is not under {subject.code}", key="rule.not_below",
                                code=value, subject=subject.code)
        evidence[key] = found.code


@_named_refusals
def record_not_done(s: Session, ctx: Context, case_id: int | str, stage: str, note: str,
                    on: date | None = None) -> Case:
    """Close an open stage as not done, with the reason (audited; the scorecard counts it)."""
    case = get_case(s, case_id)
    defn = definition_of(s, ctx, case)
    _guard_open(ctx, defn, case)
    note = _text(note, "note", MAX_TEXT)
    if not note:
        raise UsageError("a reason is required", key="error.reason_required")
    on = on or ctx.today
    decide_not_done(defn, stages_of(s, case), stage, on, ctx.today)
    s.add(EventRecord(case_id=case.id, kind=NOT_DONE_RECORD, event=stage, on=on, note=note,
                      actor=ctx.actor, recorded_at=audit.now_iso()))
    s.flush()
    sync(s, ctx, case, defn)
    audit.append(s, ctx.actor, "stage.not_done", "case", case.id,
                 {"stage": stage, "on": on, "note": note})
    return case


@_named_refusals
def void_record(s: Session, ctx: Context, case_id: int | str, target: str, note: str) -> Case:
    """Void a wrong record (an event key, a stage closed as not done, or a record number):
    it stays in the chain, marked void; the due dates and the state are re-planned."""
    case = get_case(s, case_id)
    guard_standing(case)
    defn = definition_of(s, ctx, case)
    note = _text(note, "note", MAX_TEXT)
    if not note:
        raise UsageError("a reason is required", key="error.reason_required")
    victim = decide_void(defn, records_of(s, case), target)
    if victim.kind == EVENT:
        hooks.voiding(s, ctx, case, defn, victim)
    void = EventRecord(case_id=case.id, kind=VOID, event=victim.event, on=ctx.today, note=note,
                       voids_id=victim.id, actor=ctx.actor, recorded_at=audit.now_iso())
    s.add(void)
    s.flush()
    victim.voided_by_id = void.id
    s.add(victim)
    if victim.kind == EVENT and defn.events.get(victim.event) and \
            defn.events[victim.event].terminal:
        case.cancel_reason = None
    s.flush()
    moved = sync(s, ctx, case, defn)
    audit.append(s, ctx.actor, "record.void", "case", case.id,
                 {"record": victim.id, "kind": victim.kind, "event": victim.event,
                  "on": victim.on, "note": note, "moved": moved})
    # imported here: the file store is not read to show a case (`merzim status`)
    from workflow.services import files as files_service

    files_service.void_with_record(s, ctx, case, victim.id, note)  # kept, marked void, audited
    return case


# -- correcting the opening -----------------------------------------------------------------------


def _opening_of(defn: Definition, case: Case) -> dict[str, Any]:
    """What a case was opened with, as an edit compares it: person, position, fields, and the
    dates given (not a recurring obligation's period dates, which no one gives)."""
    given = {k: v for k, v in (case.dates or {}).items()
             if k in defn.dates and defn.dates[k].given != "none"}
    return {"person": case.person_name, "position": case.person_position,
            "fields": dict(case.fields or {}), "dates": given}


@_named_refusals
def edit_case(s: Session, ctx: Context, case_id: int | str, person: str | None = None,
              position: str | None = None, fields: dict[str, str] | None = None,
              dates: dict[str, date] | None = None, reason: str | None = None,
              version: int | None = None) -> Case:
    """Correct a case's opening values (issue 43): its person and position (None: unchanged,
    "": cleared), fields (an empty value clears one) and given dates, with a reason. The new
    values pass the same checks as an opening (`check_opening`) against the definition
    version the case uses (`version`, when the caller says which one it edited against, must
    be it); the case is re-planned from its facts (`sync`: due dates follow the given dates)
    and the change is audited (`case.edit`) with the old and new values and the moved dues.
    Refused, nothing stored: no reason or a too long one, a withdrawn or closed case, another
    version, nothing changed, a value its definition refuses, a planned analysis's dates."""
    reason = _text(reason, "reason", MAX_TEXT)
    if not reason:
        raise UsageError("a reason is required", key="error.reason_required")
    audit.serialise(s)  # two corrections at once: the second compares with the first
    case = get_case(s, case_id)
    s.refresh(case)
    defn = definition_of(s, ctx, case)
    _guard_open(ctx, defn, case)
    if version is not None and version != case.process_version:
        raise RuleViolation(f"case {case.id} uses version {case.process_version}",
                            key="rule.edit_version", id=case.id,
                            version=case.process_version, given=version)
    if dates and hooks.opener(defn) is not None:  # an analysis's dates are its planning's
        raise RuleViolation(f"the dates of case {case.id} are planned",
                            key="rule.edit_planned_dates", id=case.id)
    old = _opening_of(defn, case)
    wanted = {k: "" if v is None else str(v) for k, v in old["fields"].items()}
    wanted.update(fields or {})
    given_dates = {k: date.fromisoformat(v) for k, v in old["dates"].items()}
    given_dates.update(dates or {})
    obj = s.get(Organisation, case.object_id) if case.object_id else None
    opening = check_opening(ctx, defn, obj,
                            old["person"] if person is None else person,
                            old["position"] if position is None else position,
                            wanted, given_dates)
    new: dict[str, Any] = {"person": opening.person, "position": opening.position,
                           "fields": opening.values,
                           "dates": {k: v.isoformat() for k, v in opening.dates.items()}}
    changed_old: dict[str, Any] = {}
    changed_new: dict[str, Any] = {}
    for part in ("person", "position"):
        if old[part] != new[part]:
            changed_old[part], changed_new[part] = old[part], new[part]
    for part in ("fields", "dates"):
        keys = [k for k in dict.fromkeys([*old[part], *new[part]])
                if old[part].get(k) != new[part].get(k)]
        if keys:
            changed_old[part] = {k: old[part].get(k) for k in keys}
            changed_new[part] = {k: new[part].get(k) for k in keys}
    if not changed_new:
        raise UsageError(f"case {case.id}: nothing to change", key="error.edit_unchanged",
                         id=case.id)
    old_days = [date.fromisoformat(v) for v in old["dates"].values()]
    derived = bool(old_days) and case.case_date == min(old_days)
    case.person_name, case.person_position = opening.person, opening.position
    case.fields = opening.values or None
    case.dates = {**{k: v for k, v in (case.dates or {}).items() if k not in old["dates"]},
                  **new["dates"]}
    if derived and opening.dates:
        case.case_date = min(opening.dates.values())  # the day it was dated by, moved with it
    s.add(case)
    s.flush()
    moved = sync(s, ctx, case, defn)
    audit.append(s, ctx.actor, "case.edit", "case", case.id,
                 {"reason": reason, "version": case.process_version, "old": changed_old,
                  "new": changed_new, "moved": moved})
    return case


# -- re-planning and hand-over --------------------------------------------------------------------


def replan(s: Session, ctx: Context, case: Case) -> list[tuple[str, date | None, date]]:
    """Re-plan one case (the calendar or an interpretation changed)."""
    return sync(s, ctx, case)


def assign_responsible(s: Session, ctx: Context, case_id: int | str, login: str) -> Case:
    """Hand a case over to another officer of its subject (an officer left or changed
    duties): she is reminded of its stages from now on. Refused, nothing stored, for a
    user of another organisation, an inactive account or one that is not an officer."""
    case = get_case(s, case_id)
    user = get_user(s, login)
    subject = s.get(Organisation, case.subject_id)
    if user.organisation_id != subject.id or user.role != "officer":
        raise RuleViolation("responsible officer of another organisation",
                            key="rule.responsible_elsewhere", login=user.login,
                            subject=subject.code)
    if not user.active:
        raise RuleViolation("inactive account", key="rule.responsible_inactive",
                            login=user.login)
    previous = s.get(User, case.responsible_id) if case.responsible_id else None
    if previous is not None and previous.id == user.id:
        return case
    case.responsible_id = user.id
    s.add(case)
    s.flush()
    audit.append(s, ctx.actor, HANDOVER, "case", case.id,
                 {"from": previous.login if previous else None, "to": user.login})
    return case


# -- reading one case ---------------------------------------------------------------------------


def shown_status(stage: Stage, today: date) -> str:
    if stage.status == OPEN and stage.due_date is not None and stage.due_date < today:
        return OVERDUE
    return stage.status


def working_days_left(cal, due: date | None, today: date) -> int | None:
    """Working days until `due`; negative when overdue: by the working days since, at least 1
    (a stage due on Friday is already a working day late on Saturday)."""
    if due is None:
        return None
    n = cal.get_working_days_delta(today, due)
    return n if due >= today else -max(1, n)


def _moved_from(ctx: Context, defn: Definition, case: Case, planner: Planner,
                key: str) -> date | None:
    """The date a stage's rule gave before its due date moved off a non-working day (I-1: to
    the next working day; P-3: back to the last one), or None when it did not move: its own
    calendar-date rule, or (a recurring obligation's stage due on its period's due date) the
    period's rule."""
    spec = defn.stages.get(key)
    if spec is None or spec.due is None:
        return None
    moved = planner.unrolled(key)
    if moved is not None or defn.recurrence is None or not case.period:
        return moved
    rule = spec.due
    if rule.anchors != (PERIOD_DATES[2],) or rule.offset != 0 or defn.recurrence.due.roll == "none":
        return None
    try:
        period = periods.parse(case.period)
    except UsageError:
        return None
    nominal = periods.due_date(ctx.calendar, period,
                               dataclasses.replace(defn.recurrence.due, roll="none"))
    due = planner.due(key)
    return nominal if due is not None and nominal != due.date else None


def long_date(t: Callable[..., str], day: date, year: bool = True) -> str:
    """A date in words in the reader's language ("15 April 2028", "15 апреля 2028 г.")."""
    return t("deadline.date" if year else "deadline.day_month", day=day.day, year=day.year,
             month=t(f"deadline.month.{day.month}"))


def moved_note(ctx: Context, nominal: date, due: date) -> str:
    """Why a due date is not the date its rule gave, naming the rule that moved it: "15 April
    2028 is a Saturday: due Monday 17 April — moved forward to the next working day (I-1)";
    a 31 December: moved back to the year's last working day (P-24); P-3 and merzim's own
    dates: the last working day before it."""
    t = _translator(ctx.language)
    off = ctx.calendar.year_days(nominal.year).off.get(nominal)
    if off is not None:
        why = t("deadline.off_holiday", name=off.name(ctx.language))
    elif nominal.weekday() >= 5:
        why = t(f"deadline.off_weekend.{nominal.weekday()}")
    else:
        why = t("deadline.off_holiday", name=ctx.calendar.reason(nominal))
    key = f"deadline.moved_{moved_reason(nominal, due)}"  # the date rule's reason (P-24)
    return t(key, day=long_date(t, nominal), why=why, weekday=t(f"deadline.weekday.{due.weekday()}"),
             due=long_date(t, due, year=due.year != nominal.year))


def case_view(s: Session, ctx: Context, case: Case, show_person: bool = True) -> CaseView:
    """One case as the CLI, the API and the page show it. `show_person` False: a case about a
    person seen by someone procedures.md does not name — its person, evidence and notes are
    left out (stages, due dates and statuses stay)."""
    defn = definition_of(s, ctx, case)
    kept = planned_rows(s, case)  # what a record just re-planned, else read
    subject = _stored(kept[0] if kept else s.get(Organisation, case.subject_id))
    obj = s.get(Organisation, case.object_id) if case.object_id else None
    stages = kept[2] if kept else stages_of(s, case)
    owner = s.get(User, case.responsible_id) if case.responsible_id else None
    rows_ = kept[1] if kept else records_of(s, case)
    facts = facts_of(s, case, rows_)
    planner = Planner(defn, ctx.calendar, facts)
    state = derive_state(defn, facts.records, planner.dates(), ctx.today)
    dynamic = sorted((k for k in stages if k not in defn.stages),
                     key=lambda k: (stages[k].due_date or date.max, k))
    rows = [_case_stage(ctx, defn, case, planner, key, stages[key], show_person)
            for key in [*defn.stages, *dynamic] if key in stages]
    dates = {}
    for name, spec in defn.dates.items():
        value, planned = planner.date(name), planner.date(name, planned=True)
        if value is None:
            continue
        dates[name] = CaseDate(value.date, value.projected, planned.date if planned else None,
                               name_in(spec.names, ctx.language, name))
    recorded = facts.recorded()
    closed = frozenset(k for k, st in stages.items()
                       if st.status in (deadlines.NOT_DONE, deadlines.NOT_APPLICABLE,
                                        *deadlines.DONE))
    planning = defn.raw.get("planning") or {}
    extra: dict[str, Any] = {}
    if planning:  # the internal analysis's own fields, as its commands and pages show them
        start, end = planning.get("start"), planning.get("end")
        extra["planned_start"] = dates[start].planned if start in dates else None
        extra["planned_end"] = dates[end].planned if end in dates else None
        if facts.records:
            extra["actual_start"] = next((r.on for r in reversed(facts.records)
                                          if start in defn.events[r.event].sets), None)
            extra["actual_end"] = next((r.on for r in reversed(facts.records)
                                        if end in defn.events[r.event].sets), None)
    return CaseView(
        id=_stored(case.id),
        process=defn.key,
        process_version=defn.version,
        process_name=defn.name(ctx.language),
        state=state,
        state_name=name_in(defn.states[state], ctx.language, state),
        subject=subject.code,
        subject_name=org_name(subject, ctx.language),
        object=obj.code if obj else None,
        object_name=org_name(obj, ctx.language) if obj else None,
        period=case.period,
        # a field that may name a person is hidden with the person (procedures.md)
        fields={k: v for k, v in (case.fields or {}).items()
                if show_person or not (k in defn.fields and defn.fields[k].personal)},
        dates=dates,
        responsible=owner.login if owner else None,
        next_events=[e for e in next_events(defn, state, recorded, closed,
                                            ctx.kind_for(defn.key, subject))
                     if not _too_early(defn, planner, e, ctx.today)],
        settings=[CaseSetting(k, name_in(v["names"], ctx.language, k),
                              (str(defn.interpretations.get(k, "")).strip()
                               or _translator(ctx.language)("case.setting_unset")))
                  for k, v in (defn.raw.get("shown") or {}).items()],
        warnings=([] if state in defn.final_states
                  else length_warnings(defn, ctx.calendar, planner)),
        stages=rows,
        withdrawn=(Withdrawn(case.withdrawn_at, case.withdrawn_by,
                             case.withdrawn_reason if show_person else None)
                   if case.withdrawn_at is not None else None),
        records=[CaseRecord(_stored(r.id), r.kind, r.event, r.on, r.note if show_person else None,
                            r.voided_by_id is not None,
                            (r.evidence or None) if show_person else None, r.voids_id, r.actor,
                            evidence_values(defn, r.evidence, ctx.language)
                            if show_person else ())
                 for r in rows_],
        person=(Person(case.person_name, case.person_position)
                if show_person and defn.parties.person != "none" else None),
        has_person=defn.parties.person != "none",
        has_planning=bool(planning),
        field_values=field_values(defn, {k: v for k, v in (case.fields or {}).items()
                                         if show_person or not (k in defn.fields
                                                                and defn.fields[k].personal)},
                                  ctx.language),
        **extra,
    )


def _stored(value: T | None) -> T:
    """A row's id, or a row a stored one names (never None once stored)."""
    if value is None:
        raise LookupError("a stored row has no id, or names a row that is missing")
    return value


def _case_stage(ctx: Context, defn: Definition, case: Case, planner: Planner, key: str,
                st: Stage, show_person: bool) -> CaseStage:
    """One stage row of the case view."""
    is_open = st.status == OPEN
    nominal = (_moved_from(ctx, defn, case, planner, key)
               if st.due_date and is_open else None)
    sspec = defn.stage_spec(key)
    return CaseStage(
        key=key,
        name=defn.stage_name(key, ctx.language),
        due=st.due_date,
        projected=st.projected,
        status=shown_status(st, ctx.today),
        done_on=st.done_on,
        working_days_left=(working_days_left(ctx.calendar, st.due_date, ctx.today)
                           if is_open else None),
        evidence=st.evidence if show_person else None,
        due_basis=due_basis(ctx, defn.key, key) if st.due_date else "",
        source=sspec.source if sspec is not None else "",
        moved_from=nominal,
        moved_note=(moved_note(ctx, nominal, st.due_date)
                    if nominal is not None and st.due_date is not None else None),
        values=evidence_values(defn, st.evidence, ctx.language) if show_person else (),
    )


def _translator(language: str):
    from workflow.i18n import Translator

    return Translator(language)


def audit_person_view(s: Session, ctx: Context, view: CaseView) -> None:
    """Every view of a case about a person is audited (procedures.md, last section)."""
    if view.has_person:
        audit_person_seen(s, ctx, view.id, view.person is not None)


def audit_person_seen(s: Session, ctx: Context, case_id: int, shown: bool) -> None:
    """A case about a person seen, with its person shown or hidden (procedures.md)."""
    audit.append(s, ctx.actor, "view.person_case", "case", case_id, {"person_shown": shown})


def too_long(defn: Definition, cal, start: date, end: date) -> list[dict[str, Any]]:
    """The recommended length (I-4) of an analysis from `start` to `end`: a warning, never a
    refusal (the one copy: planning and the case view share it)."""
    limit_key = (defn.raw.get("planning") or {}).get("length_limit")
    if not limit_key:
        return []
    limit = int(defn.interpretations.get(limit_key, 30))
    length = deadlines.case_length(cal, start, end)
    return ([{"code": "too_long", "working_days": length, "limit": limit}]
            if length > limit else [])


def length_warnings(defn: Definition, cal, planner: Planner) -> list[dict[str, Any]]:
    """The recommended length checked on the dates as they stand, actual ones included (I-12)."""
    planning = defn.raw.get("planning") or {}
    start, end = planning.get("start"), planning.get("end")
    first = planner.date(start) if start else None
    last = planner.date(end) if end else None
    if first is None or last is None:
        return []
    return too_long(defn, cal, first.date, last.date)


def analysis_view(s: Session, ctx: Context, case: Case) -> CaseView:
    """The timeline of one analysis (a case view)."""
    return case_view(s, ctx, case)


def list_cases(s: Session, ctx: Context, process: str | None = None, org_code: str | None = None,
               state: str | None = None, limit: int = 1000) -> list[CaseRow]:
    """Cases of a process, in an organisation's subtree, in a state (today's), newest first."""
    if process:
        ctx.registry.get(process)  # an unknown process is refused, not an empty list
    scope = get_org(s, org_code) if org_code else None
    out = []
    for case, org in case_queries.listed(s, process, scope, limit):
        defn = definition_of(s, ctx, case)
        now = current_state(s, ctx, case, defn)
        if state and now != state:
            continue
        out.append(CaseRow(_stored(case.id), case.process, org.code, org_name(org, ctx.language),
                           case.period, case.case_date, now,
                           name_in(defn.states[now], ctx.language, now)))
    return out


def check_record_evidence(defn: Definition, evidence: dict[str, str | None]) -> None:
    """Evidence fields are the definition's (for the web form's own checks)."""
    check_evidence(defn, clean_evidence(evidence))
