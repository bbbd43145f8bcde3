"""What a case decides when an officer records something on it (pure: the definition, the
case's facts, the calendar and today in; a decision or a refusal out).

Every rule of recording has one owner in the core: the event's own (an event the process
does not have, a prerequisite not yet recorded, a state that does not accept it, its date and
evidence) in core/machine.py, the case's here (a closed case, an event already recorded or not
for the subject's kind, a date before its floor or after its ceiling, a stage that cannot be
closed as not done, a record that cannot be voided). The services load a case,
ask for the decision, store it and re-plan the case with `replan` — the one re-plan that
recording, voiding, closing a stage as not done, a case's `sync` and the re-plan of every
open case in bulk (services/replanning.py) share. Refusals are `RuleViolation`s (`UsageError`
for the command line's unknown event) with the catalogue keys and parameters the messages
name (workflow/i18n/locales/*/LC_MESSAGES/merzim.po).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflow.core import deadlines
from workflow.core.dates import not_in_future
from workflow.core.deadlines import Facts, Planner, Record
from workflow.core.definition import Definition, Event
from workflow.core.errors import RuleViolation, UsageError
from workflow.core.machine import (
    CaseMachine,
    check_event,
    check_prerequisites,
    derive_state,
    not_allowed,
    unknown_event,
)
from workflow.core.names import name_in

# The kinds of a case's records (the storage's EventRecord.kind holds these values).
EVENT, NOT_DONE_RECORD, VOID = "event", "not_done", "void"

Moved = tuple[str, date | None, date]  # (stage, old due, new due) of an open deadline


# -- the rules, each once -----------------------------------------------------------------------


def check_known_event(definition: Definition, event: str, language: str) -> None:
    """An event the process does not have, as a usage error (the command line's exit 2)
    listing the events it has, each with its name in the reader's language."""
    if event in definition.events:
        return
    error = unknown_event(definition, event)
    raise UsageError(error.message, key=error.key, event=event,
                     known="; ".join(f"«{name_in(spec.names, language)}» ({key})"
                                     for key, spec in definition.events.items()))


def check_open(definition: Definition, case_id: int | None, state: str, language: str) -> None:
    """A closed case (its state final) accepts nothing more."""
    if state in definition.final_states:
        raise RuleViolation(f"case {case_id} is {state}", key="rule.case_closed", id=case_id,
                            state=name_in(definition.states[state], language, state))


def next_events(defn: Definition, state: str, recorded: Mapping[str, date],
                closed: frozenset[str] = frozenset(), kind: str | None = None) -> list[str]:
    """What may be recorded next: the events the state accepts that are not yet recorded
    (repeatable ones always), whose prerequisites are recorded, that are for the subject's
    kind and do not complete a stage already closed (the caller's `closed`: done, not done or
    not applicable — "no conflict" is not offered once the recommendation is recorded; a
    repeatable one is: the month's second explanatory event after the first did the stage), the
    case-closing ones last. The one rule the CLI, the web form and the service share."""
    machine = CaseMachine(defn, state)
    allowed = [e for e in machine.allowed()
               if (defn.events[e].repeatable or e not in recorded)
               and all(p in recorded for p in defn.prerequisites(defn.events[e]))
               and defn.for_kind(defn.events[e], kind)
               and (defn.events[e].repeatable or defn.events[e].completes not in closed)]
    return sorted(allowed, key=lambda e: defn.events[e].terminal)


def too_early(defn: Definition, planner: Planner, event: str, today: date) -> bool:
    """Whether every date the event could have today is refused by its floor (a note or a
    positions list before the start): such an event is not offered yet."""
    spec = defn.events[event]
    floors = [spec.not_before, *(defn.dates[n].not_before for n in spec.sets)]
    for name in floors:
        value = planner.date(name) if name else None
        if value is not None and not value.projected and value.date > today:
            return True
    return False


# -- recording an event -------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordDecision:
    """An event accepted: its spec, the record to add and the state it leads to."""

    spec: Event
    record: Record
    state: str


def decide_record(definition: Definition, facts: Facts, calendar: Any, today: date,
                  subject_kind: str | None, case_id: int | None, event: str, on: date,
                  evidence: Mapping[str, str], language: str,
                  kind_name: Callable[[str], str] = str) -> RecordDecision:
    """Whether event `event` on `on` with `evidence` may be recorded on a case with these
    facts: the state, the event's prerequisites, kinds, date floors and evidence, in the
    order an officer can act on them (a closed case; an event already recorded; not for the
    subject's kind; "X needs Y first" before "not now"; then the date and the evidence).
    `kind_name` names a kind of subject in the reader's language."""
    defn = definition
    recorded = facts.recorded()
    planner = Planner(defn, calendar, facts)
    state = derive_state(defn, facts.records, planner.dates(), today)
    check_open(defn, case_id, state, language)
    spec = defn.events.get(event)
    if spec is None:
        raise unknown_event(defn, event)
    if event in recorded and not spec.repeatable:
        raise RuleViolation(f"{event} is already recorded", key="rule.already_recorded",
                            event=event, date=recorded[event].isoformat())
    if not defn.for_kind(spec, subject_kind):
        raise RuleViolation(f"{event} is not for a subject of kind {subject_kind}",
                            key="rule.not_for_kind", event=event,
                            kind=kind_name(f"org_kind.{subject_kind}"),
                            kinds=", ".join(kind_name(f"org_kind.{k}")
                                            for k in spec.subject_kinds))
    check_prerequisites(defn, spec, recorded)
    machine = CaseMachine(defn, state)
    if event not in machine.allowed():
        raise not_allowed(event, state, name_in(defn.states[state], language, state),
                          (e for e in next_events(defn, state, recorded, kind=subject_kind)
                           if not too_early(defn, planner, e, today)))
    new_state = machine.fire(event)
    floors = {}
    for name in spec.sets:
        floor_name = defn.dates[name].not_before
        floor = planner.date(floor_name) if floor_name else None
        if floor is not None and not floor.projected:
            floors[name] = floor.date
        for later in (d for d in defn.dates.values() if d.not_before == name):
            actual = planner.actual(later.key)
            if actual is not None and on > actual:  # an actual start after the actual end
                raise RuleViolation(f"{name} {on} is after {later.key} {actual}",
                                    key="rule.date_ceiling", event=event, date=on.isoformat(),
                                    ceiling=actual.isoformat())
    if spec.not_before:  # e.g. the positions list is approved after the start (I-6)
        floor = planner.date(spec.not_before)
        if floor is not None and not floor.projected:
            floors[spec.not_before] = floor.date
    check_event(defn, event, on, evidence, recorded, today, floors)
    return RecordDecision(spec, Record(event, on, evidence.get("period")), new_state)


# -- closing a stage as not done ----------------------------------------------------------------


def decide_not_done(definition: Definition, stages: Mapping[str, Any], stage: str, on: date,
                    today: date) -> None:
    """Whether stage `stage` (of the case's stage rows `stages`, by key) may be closed as not
    done on `on`: not in the future, a stage of the definition the case has (not a
    programme's), still open. (A closed case and the reason are checked first, by
    `check_open` and the service.)"""
    not_in_future(on, today)
    current = stages.get(stage)
    if definition.stage_spec(stage) is None or current is None \
            or stage in definition.programme_stages:
        raise RuleViolation(f"no stage {stage!r}", key="rule.unknown_stage", stage=stage,
                            known=", ".join(k for k in stages if ":" not in k))
    if current.status != deadlines.OPEN:
        raise RuleViolation(f"{stage} is not open", key="rule.stage_not_open", stage=stage,
                            status=current.status)


# -- voiding a record ---------------------------------------------------------------------------


def decide_void(definition: Definition, records: Iterable[Any], target: str) -> Any:
    """The record `target` names (an event key, a stage closed as not done, or a record
    number) among the case's records in order, refused when none or several stand, or when a
    later standing event needs it (its prerequisite). Returns the record to void."""
    rows = [r for r in records if r.kind != VOID and r.voided_by_id is None]
    if target.isdigit():
        matches = [r for r in rows if r.id == int(target)]
    else:
        matches = [r for r in rows if r.event == target]
    if not matches:
        raise RuleViolation(f"nothing recorded as {target!r}", key="rule.nothing_to_void",
                            target=target, known=", ".join(dict.fromkeys(r.event for r in rows))
                            or "-")
    if len(matches) > 1:
        raise RuleViolation(f"{target} is recorded more than once", key="rule.void_ambiguous",
                            target=target, ids=", ".join(str(r.id) for r in matches))
    victim = matches[-1]
    if victim.kind == EVENT:
        for later in rows:
            spec = definition.events.get(later.event)
            if later.kind == EVENT and later.id != victim.id and spec is not None \
                    and victim.event in definition.prerequisites(spec):
                raise RuleViolation(f"{later.event} needs {victim.event}",
                                    key="rule.void_needed_by", event=victim.event,
                                    other=later.event)
    return victim


# -- re-planning --------------------------------------------------------------------------------


def standing_records(defn: Definition, records: Iterable[Any]) -> tuple[dict[str, Any],
                                                                         dict[str, Any]]:
    """Of a case's records in order, those that stand (not voided): for each stage, the first
    record of an event that completes it, and the last not-done record naming it."""
    completing: dict[str, Any] = {}
    notes: dict[str, Any] = {}
    for r in records:
        if r.voided_by_id is not None:
            continue
        if r.kind == EVENT and r.event in defn.events \
                and (completes := defn.events[r.event].completes):
            completing.setdefault(completes, r)
        elif r.kind == NOT_DONE_RECORD:
            notes[r.event] = r
    return completing, notes


def done_evidence(record: Any) -> dict[str, Any]:
    """What a done stage keeps as its evidence: the completing record's date and evidence."""
    return {"date": record.on.isoformat(), **(record.evidence or {})}


def apply_plan(defn: Definition, plan: dict[str, Any], rows: dict[str, Any],
               completing: dict[str, Any], notes: dict[str, Any],
               new_row: Callable[[str], Any], evidence_of: Callable[[Any], Any],
               ) -> tuple[dict[str, Any], list[Moved]]:
    """A case's plan (`Planner.stages()`) written onto its stage rows, by key: due date,
    projected, status, done date and evidence (`evidence_of` the completing record for a done
    stage, the note for one not done); a stage of the definition no longer planned and open,
    or a stage the definition no longer has, becomes not applicable (the per-period stages,
    keys with ":", are their owner's). `rows` are changed in place; a planned stage with no
    row gets one from `new_row(key)`. Returns those new rows and (stage, old due, new due) of
    each open deadline that moved."""
    moved: list[Moved] = []
    new: dict[str, Any] = {}
    for key, sp in plan.items():
        stage = rows.get(key)
        if stage is None:
            stage = new[key] = new_row(key)
        if (stage.status == deadlines.OPEN and sp.status == deadlines.OPEN
                and stage.due_date is not None and sp.due is not None
                and stage.due_date != sp.due):
            moved.append((key, stage.due_date, sp.due))
        stage.due_date, stage.projected, stage.status = sp.due, sp.projected, sp.status
        stage.done_on = sp.done_on
        if key in completing and sp.status in deadlines.DONE:
            stage.evidence = evidence_of(completing[key])
        elif key in notes and sp.status == deadlines.NOT_DONE:
            stage.evidence = {"date": notes[key].on.isoformat(), "note": notes[key].note}
        else:
            stage.evidence = None
    for key, stage in rows.items():
        if key in plan or key in defn.stages or ":" in key:
            continue  # dynamic stages (monitoring periods, plan measures) are kept by their owner
        stage.status = deadlines.NOT_APPLICABLE
    for key, stage in rows.items():  # a stage that is no longer planned (its opener voided)
        if key in defn.stages and key not in plan and stage.status == deadlines.OPEN:
            stage.status = deadlines.NOT_APPLICABLE
    return new, moved


def close_period_stages(defn: Definition, rows: dict[str, Any], notes: dict[str, Any]) -> None:
    """The per-period stages (keys the definition does not name) closed as not done by a
    standing note, or open again when their note was voided; `rows` changed in place."""
    for key, stage in rows.items():
        if key in defn.stages:
            continue
        if key in notes and stage.status == deadlines.OPEN:
            stage.status, stage.done_on = deadlines.NOT_DONE, notes[key].on
            stage.evidence = {"date": notes[key].on.isoformat(), "note": notes[key].note}
        elif key not in notes and stage.status == deadlines.NOT_DONE:
            stage.status, stage.done_on, stage.evidence = deadlines.OPEN, None, None


def closed_status(defn: Definition, records: tuple[Record, ...], state: str) -> str | None:
    """What a stage still open becomes in a case in `state` (None: it stays open). A closed
    case accepts nothing more: what is still open can no longer be done; after a `terminal`
    event (cancel) it is not applicable instead."""
    if state not in defn.final_states:
        return None
    terminal = any(defn.events[r.event].terminal for r in records if r.event in defn.events)
    return deadlines.NOT_APPLICABLE if terminal else deadlines.NOT_DONE


@dataclass
class Replanned:
    """A case re-planned: its state, the stage rows to add, the open deadlines that moved,
    and the rows (of both) a closed case closed."""

    state: str
    new: dict[str, Any]
    moved: list[Moved]
    closed: list[Any]


def replan(defn: Definition, calendar: Any, facts: Facts, today: date, records: Iterable[Any],
           rows: dict[str, Any], new_row: Callable[[str], Any],
           evidence_of: Callable[[Any], Any] = done_evidence,
           off: frozenset[str] = frozenset(),
           features: Callable[[dict[str, Any]], list[Moved]] | None = None) -> Replanned:
    """One case re-planned from its facts onto its stage rows, the one rule of a case's
    `sync` (ORM rows) and the bulk re-plan (rows in memory): the planner's stages (with no
    due date for the stages of `off`, their organisation having switched off merzim's own,
    I-17) written by `apply_plan`; `features(new)` re-plans the features' own stages (services
    .hooks) and returns the deadlines it moved; the per-period stages closed by their notes;
    the state replayed; what is still open closed when the case is. `records`: all the
    case's records in order (voided ones included); `rows` are changed in place."""
    planner = Planner(defn, calendar, facts)
    plan = deadlines.without_dues(planner.stages(), off)
    completing, notes = standing_records(defn, records)
    new, moved = apply_plan(defn, plan, rows, completing, notes, new_row, evidence_of)
    if features is not None:
        moved += features(new)
    close_period_stages(defn, rows, notes)
    state = derive_state(defn, facts.records, planner.dates(), today)
    closing = closed_status(defn, facts.records, state)
    closed = []
    if closing is not None:
        for stage in (*rows.values(), *new.values()):
            if stage.status == deadlines.OPEN:
                stage.status = closing
                closed.append(stage)
    return Replanned(state, new, moved, closed)
