"""Recording on a case: an event with its date and evidence, a stage closed as not done, a record
voided, and the opening values corrected with a reason. The rules are the core's
(`core/decide.py`): a refusal raises before anything is written; after each change the case is
re-planned (`case_plan.sync`)."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from sqlmodel import Session

from workflow.core.deadlines import Facts
from workflow.core.decide import (  # the rules of recording and the one re-plan
    check_open,
    decide_not_done,
    decide_record,
    decide_void,
)
from workflow.core.definition import Definition
from workflow.core.errors import MerzimError, RuleViolation, UsageError
from workflow.core.machine import (
    MAX_TEXT,
    clean_evidence,
)
from workflow.services import hooks
from workflow.services.case_opening import _text, check_opening, open_case
from workflow.services.case_plan import facts_of, records_of, stages_of, sync
from workflow.services.context import Context
from workflow.services.lookup import get_case, org_of
from workflow.services.processes import definition_of
from workflow.storage import audit
from workflow.storage.models import (
    EVENT,
    NOT_DONE_RECORD,
    VOID,
    Case,
    EventRecord,
    Organisation,
    User,
)
from workflow.storage.queries import audit as audit_queries
from workflow.storage.queries import cases as case_queries

# -- recording ----------------------------------------------------------------------------------


def guard_standing(case: Case) -> None:
    """A withdrawn case accepts nothing more: no record, not-done, void, file or
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
    given = clean_evidence(evidence)
    rows = records_of(s, case)
    facts = facts_of(s, case, rows)
    subject = org_of(s, case.subject_id)
    spec, new_state = check_record(ctx, defn, case.id, facts, ctx.kind_for(defn.key, subject),
                                   event, on, given)
    check_organisations(s, defn, subject, given)
    if spec.repeatable and not repeat:
        files = [str(f.get("sha256")) for f in (audit_extra or {}).get("files", ())]
        earlier = repeated_record(s, ctx, case, rows, event, on, given, files)
        if earlier is not None:
            raise RuleViolation(f"{event} of {on} was just recorded (#{earlier.id})",
                                key="rule.repeat_event", event=event, date=on.isoformat(),
                                id=earlier.id)
    record = EventRecord(case_id=case.id, kind=EVENT, event=event, on=on,
                         evidence=given or None, actor=ctx.actor, recorded_at=audit.now_iso(),
                         typed_on=ctx.today)
    s.add(record)
    if spec.terminal:
        case.cancel_reason = given.get("note")
    s.flush()
    hooks.recorded(s, ctx, case, defn, record)
    moved = sync(s, ctx, case, defn, rows=[*rows, record])  # the records, read once
    follow_up = _open_follow_up(s, ctx, case, subject, spec, on)
    audit.append(s, ctx.actor, f"event.{event}", "case", case.id,
                 {"event": event, "on": on, "evidence": given, "state": case.state or new_state,
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


def check_organisations(s: Session, defn: Definition, subject: Organisation,
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
    note = _text(note, "note", MAX_TEXT) or ""
    if not note:
        raise UsageError("a reason is required", key="error.reason_required")
    on = on or ctx.today
    decide_not_done(defn, stages_of(s, case), stage, on, ctx.today)
    s.add(EventRecord(case_id=case.id, kind=NOT_DONE_RECORD, event=stage, on=on, note=note,
                      actor=ctx.actor, recorded_at=audit.now_iso(), typed_on=ctx.today))
    s.flush()
    sync(s, ctx, case, defn)
    audit.append(s, ctx.actor, "stage.not_done", "case", case.id,
                 {"stage": stage, "on": on, "note": note})
    return case


@_named_refusals
def void_record(s: Session, ctx: Context, case_id: int | str, target: str, note: str) -> Case:
    """Void a wrong record (an event key, a stage closed as not done, or a record number):
    it stays in the chain, marked void; the due dates and the state are re-planned. The case is
    locked and read again first (services/facts.py): an entry opened from the record on
    another node is opened before the void or not at all."""
    from workflow.services.facts import lock_sources

    lock_sources(s, [case_id])
    case = get_case(s, case_id)
    guard_standing(case)
    defn = definition_of(s, ctx, case)
    note = _text(note, "note", MAX_TEXT) or ""
    if not note:
        raise UsageError("a reason is required", key="error.reason_required")
    victim = decide_void(defn, records_of(s, case), target)
    if victim.kind == EVENT:
        hooks.voiding(s, ctx, case, defn, victim)
    void = EventRecord(case_id=case.id, kind=VOID, event=victim.event, on=ctx.today, note=note,
                       voids_id=victim.id, actor=ctx.actor, recorded_at=audit.now_iso(),
                       typed_on=ctx.today)
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


EDIT = "case.edit"


def case_revision(s: Session, case: Case) -> int:
    """The revision of a case's opening values: the number of the audit record of its last
    correction (`case.edit`), 0 while it has none. A form that sends every value carries it,
    and a correction made against another is refused (`edit_case`), so that two officers who
    loaded the form before each other's correction never silently revert it. It says nothing
    about the values themselves (a digest of them would let one who may not see the person
    test a guessed name against it)."""
    return audit_queries.last_id_of(s, "case", str(case.id), (EDIT,))


def stage_dues(s: Session, case: Case) -> dict[str, tuple[date | None, str]]:
    """Every stage's due date and status, as a re-plan may change them."""
    return {k: (st.due_date, st.status) for k, st in stages_of(s, case).items()}


def replanned(before: dict[str, tuple[date | None, str]], s: Session, case: Case
              ) -> dict[str, list[list[Any]]]:
    """What a re-plan changed since `before` (`stage_dues`), for the audit record: `moved`,
    (stage, old due, new due) of every stage whose due date moved, done stages included (an
    actual date re-plans every stage counted from it, I-12); `statuses`, (stage, old status,
    new status) of every stage whose status changed (a done stage on time becomes late)."""
    after = stage_dues(s, case)
    moved = [[k, before[k][0], due] for k, (due, _st) in after.items()
             if k in before and before[k][0] != due]
    statuses = [[k, before[k][1], status] for k, (_due, status) in after.items()
                if k in before and before[k][1] != status]
    return {"moved": moved, **({"statuses": statuses} if statuses else {})}


@_named_refusals
def edit_case(s: Session, ctx: Context, case_id: int | str, person: str | None = None,
              position: str | None = None, fields: dict[str, str] | None = None,
              dates: dict[str, date] | None = None, reason: str | None = None,
              version: int | None = None, revision: int | None = None) -> Case:
    """Correct a case's opening values: its person and position (None: unchanged,
    "": cleared), fields (an empty value clears one) and given dates, with a reason. The new
    values pass the same checks as an opening (`check_opening`) against the definition
    version the case uses (`version`, when the caller says which one it edited against, must
    be it); the case is re-planned from its facts (`sync`: due dates follow the given dates)
    and the change is audited (`case.edit`) with the old and new values and the moved dues.
    Refused, nothing stored: no reason or a too long one, a withdrawn or closed case, another
    version, nothing changed, a value its definition refuses, a planned analysis's dates, the
    kind or person of a linked case (`hooks.editing`: `links.guard_linked_edit`, B-24).

    `revision` (`case_revision`, as the form that sent the values read it): another one is
    refused (`rule.edit_stale`), someone having corrected the case since. The person and
    position are changed only by those who may see them (`Context.shows_person`): anyone
    else is refused (`rule.edit_person_hidden`) before they are compared with anything, in
    the same words whether or not the name given is the stored one. The audit's `moved`
    lists every stage whose due date moved, done ones included, and `statuses` the stages
    whose status the re-plan changed."""
    reason = _text(reason, "reason", MAX_TEXT)
    if not reason:
        raise UsageError("a reason is required", key="error.reason_required")
    # two corrections at once: the second compares with the first (the case's row locked
    # first, as the other writers of a case lock it: services/facts.py)
    from workflow.services.facts import lock_sources

    lock_sources(s, [case_id])
    case = get_case(s, case_id)
    s.refresh(case)
    defn = definition_of(s, ctx, case)
    _guard_open(ctx, defn, case)
    if (person is not None or position is not None) and not ctx.shows_person(case, defn):
        raise RuleViolation(f"case {case.id}: its person is not shown to the caller",
                            key="rule.edit_person_hidden", id=case.id)
    if revision is not None and revision != case_revision(s, case):
        raise RuleViolation(f"case {case.id} was corrected since", key="rule.edit_stale",
                            id=case.id)
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
    hooks.editing(s, ctx, case, defn, old["person"] if person is None else person, wanted)
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
    before = stage_dues(s, case)
    s.add(case)
    s.flush()
    sync(s, ctx, case, defn)
    audit.append(s, ctx.actor, EDIT, "case", case.id,
                 {"reason": reason, "version": case.process_version, "old": changed_old,
                  "new": changed_new, **replanned(before, s, case)})
    return case
