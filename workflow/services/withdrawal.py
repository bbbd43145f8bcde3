"""A case opened by mistake withdrawn, and a case's whole history.

Withdrawal is the engine's, not a definition's state: any case of any process can be withdrawn,
with a reason, by whoever may record on it. The case row keeps when, by whom and why
(`withdrawn_at`, `withdrawn_by`, `withdrawn_reason`); its open stages become not applicable,
so it leaves every list, reminder, digest, feed and count that reads open stages, and the
queries over cases (lists, scores, exports, the public page) leave it out by its mark. Its
records, files and stages stay; the audit chain holds a `case.withdraw` record. A withdrawn
case accepts nothing more (`cases.guard_standing`) and is never re-planned (`cases.sync`).

A withdrawal is undone (`restore_case`) until the end of the calendar year it was made in —
the year whose lists, reports and score it changed — with a reason: the stages it closed open
again, the case is re-planned, and the audit chain holds a `case.restore` record; after that
year it is refused (a new case is opened instead). A case linked to another (P-22,
services/links.py) asks about the other when it is withdrawn: `with_linked` withdraws both;
it is not restored while the other is linked to a third case in its place (two entries of one
gift, two procedures of one entry: P-25).

The history (`case_history`) is every record (event, not done, void), file (attached, voided),
assignment of the responsible officer, the opening, each withdrawal and its undoing, and each
link to another case (which made which), with who and when, in the order they happened:
nothing voided is left out, it is marked. Every other audit record about the case is in it
too, read from the trail alone (services/case_trail.py): each correction with its values' old
and new, a file made public or private, a linked entry withdrawn with a void, each view of a
person's case and each refused attempt. Each entry names its audit `action`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from workflow.core import deadlines
from workflow.core.definition import Definition
from workflow.core.errors import RuleViolation, UsageError
from workflow.core.machine import MAX_TEXT
from workflow.core.names import name_in
from workflow.i18n import Translator
from workflow.services import case_trail
from workflow.services import files as files_service
from workflow.services.cases import guard_standing, records_of, stages_of, sync
from workflow.services.context import Context
from workflow.services.facts import check_restore, lock_sources, standing_flush
from workflow.services.lookup import get_case
from workflow.services.processes import definition_of
from workflow.storage import audit
from workflow.storage.models import EVENT, HANDOVER, NOT_DONE_RECORD, OPEN, VOID, Case
from workflow.storage.queries.audit import trail_of, whole_trail_of

OPENED, ASSIGNED, FILE, FILE_VOID, WITHDRAWN, RESTORED, LINKED, UNLINKED = (
    "opened", "assigned", "file", "file_void", "withdrawn", "restored",
    "linked", "unlinked")  # the history's own kinds
WITHDRAW, RESTORE, LINK, UNLINK = (
    "case.withdraw", "case.restore", "case.link", "case.unlink")  # their audit actions
OPEN_ACTION, EVENT_ACTION, ATTACH_ACTION, FILE_VOID_ACTION = (
    "case.open", "event.", "file.attach", "file.void")
RECORD_ACTIONS = {NOT_DONE_RECORD: "stage.not_done", VOID: "record.void"}  # else event.KEY
TABLED = (*RECORD_ACTIONS.values(), ATTACH_ACTION, FILE_VOID_ACTION)  # shown from their rows


def _reason(reason: str | None) -> str:
    text = " ".join((reason or "").split()) if reason else ""
    if not text:
        raise UsageError("a reason is required", key="error.reason_required")
    if len(reason or "") > MAX_TEXT or "\x00" in (reason or ""):
        raise UsageError(f"reason must be at most {MAX_TEXT} characters", key="error.too_long",
                         field="reason", limit=MAX_TEXT)
    return (reason or "").strip()


def withdraw_case(s: Session, ctx: Context, case_id: int | str, reason: str,
                  with_linked: bool = False) -> Case:
    """Withdraw a case opened by mistake: refused, nothing stored, for an unknown case, an
    empty or too long reason, or a case already withdrawn. Its open stages become not
    applicable; the withdrawal is audited with the stages it closed. `with_linked`: the cases
    linked to it (P-22) that still stand are withdrawn with it, for the same reason."""
    _reason(reason)
    lock_sources(s, [case_id])  # two withdrawals at once: the second finds the first
    case = get_case(s, case_id)
    guard_standing(case)
    others = []
    if with_linked:
        from workflow.services.links import standing_linked

        others = standing_linked(s, case)
    _withdraw(s, ctx, case, reason, [o.id for o in others])
    for other in others:
        _withdraw(s, ctx, other, reason, [], with_case=case.id)
    return case


def _withdraw(s: Session, ctx: Context, case: Case, reason: str, also: list[int | None],
              with_case: int | None = None) -> None:
    closed = []
    for key, stage in sorted(stages_of(s, case).items()):
        if stage.status == OPEN:
            stage.status = deadlines.NOT_APPLICABLE
            s.add(stage)
            closed.append(key)
    case.withdrawn_at = audit.now_iso()
    case.withdrawn_by = ctx.actor
    case.withdrawn_reason = reason.strip()
    s.add(case)
    s.flush()
    audit.append(s, ctx.actor, WITHDRAW, "case", case.id,
                 {"reason": case.withdrawn_reason, "process": case.process,
                  "state": case.state, "stages_closed": closed,
                  **({"linked_withdrawn": also} if also else {}),
                  **({"with_case": with_case} if with_case is not None else {})})


@dataclass(frozen=True, slots=True)
class Voided:
    """A void of a case's record and the entries it opened: withdrawn with it, or left
    standing (named, so the reader decides)."""

    case: Any
    withdrawn: tuple[int, ...]
    standing: tuple[int, ...]


def void_with_linked(s: Session, ctx: Context, case_id: int | str, target: str, note: str,
                     withdraw_linked: bool = False,
                     may_withdraw: Callable[[Any], None] | None = None) -> Voided:
    """Void a record (`recording.void_record`, refused as it is) and name the register
    entries it opened that nothing else backs; `withdraw_linked` withdraws them in the same
    step, for the void's reason, each audited as withdrawn with the case (`may_withdraw`
    refuses one the caller may not record on: nothing is stored)."""
    from workflow.services.links import opened_by_record
    from workflow.services.recording import void_record

    # the case locked and read again first: an entry opened from the record on another node
    # a moment before is among those it names (and withdraws)
    lock_sources(s, [case_id])
    entries = opened_by_record(s, ctx, case_id, target)
    case = void_record(s, ctx, case_id, target, note)
    withdrawn: list[int] = []
    if withdraw_linked:
        for entry in entries:
            if may_withdraw is not None:
                may_withdraw(entry)
            withdraw_case(s, ctx, entry.id or 0, note)
            audit.append(s, ctx.actor, "case.void_linked", "case", case.id,
                         {"entry": entry.id, "process": entry.process, "note": note})
            withdrawn.append(entry.id or 0)
    standing = tuple(e.id or 0 for e in entries if (e.id or 0) not in withdrawn)
    return Voided(case, tuple(withdrawn), standing)


def restore_case(s: Session, ctx: Context, case_id: int | str, reason: str) -> Case:
    """Undo a withdrawal, with a reason, until the end of the calendar year it was made in.
    Refused, nothing stored: no or a too long reason, a case not withdrawn, a withdrawal of an
    earlier year. The stages the withdrawal closed open again and the case is re-planned from
    its facts (due dates, state, stages done meanwhile); audited with the withdrawal it undoes.
    Refused too: a case linked to one that is now linked to another in its place (restored,
    one fact would be two: `rule.restore_linked_elsewhere`, naming both), and an entry whose fact
another standing entry records (`rule.fact_standing`, services/facts.py: whatever the order
of withdrawals, restorings and confirmations, on any node)."""
    text = _reason(reason)
    lock_sources(s, [case_id])
    case = get_case(s, case_id)
    if case.withdrawn_at is None:
        raise RuleViolation(f"case {case.id} is not withdrawn", key="rule.case_not_withdrawn",
                            id=case.id)
    year = int(case.withdrawn_at[:4])
    if ctx.today.year > year:
        raise RuleViolation(f"case {case.id} was withdrawn in {year}: a withdrawal can be "
                            f"undone until 31 December {year}", key="rule.restore_year_over",
                            id=case.id, on=case.withdrawn_at[:10], year=year)
    from workflow.services.links import restore_conflict

    clash = restore_conflict(s, case)
    if clash is not None:
        raise RuleViolation(f"case {case.id}: case {clash[0]} is linked to case {clash[1]} "
                            f"in its place", key="rule.restore_linked_elsewhere", id=case.id,
                            partner=clash[0], other=clash[1])
    last = [a for a in trail_of(s, "case", str(case.id), (WITHDRAW,))]
    closed: list[str] = []
    if last:
        try:
            closed = list(json.loads(last[-1].payload).get("stages_closed") or [])
        except ValueError:
            closed = []
    stages = stages_of(s, case)
    for key in closed:
        stage = stages.get(key)
        if stage is not None and stage.status == deadlines.NOT_APPLICABLE:
            stage.status = OPEN
            s.add(stage)
    undone = {"at": case.withdrawn_at, "by": case.withdrawn_by, "reason": case.withdrawn_reason}
    case.withdrawn_at = case.withdrawn_by = case.withdrawn_reason = None
    s.add(case)
    # standing again, it records its fact again: refused while another entry does (B-23),
    # and a second while another second does, whatever the reasons' words
    name = definition_of(s, ctx, case).name(ctx.language)
    with s.no_autoflush:
        check_restore(s, case, name)
    standing_flush(s, [case], name)
    moved = sync(s, ctx, case)
    audit.append(s, ctx.actor, RESTORE, "case", case.id,
                 {"reason": text, "process": case.process, "state": case.state,
                  "withdrawal": undone, "stages_opened": closed, "moved": moved})
    return case


def record_label(defn: Definition, record: Any, lang: str) -> str:
    """What a record is about, in words, by its kind: an event's name, the stage closed as
    not done, or (a void) what the voided record was about."""
    kind = record["kind"] if isinstance(record, dict) else record.kind
    key = record["event"] if isinstance(record, dict) else record.event
    if kind == NOT_DONE_RECORD or key not in defn.events:
        return defn.stage_name(key, lang)
    return name_in(defn.events[key].names, lang, key)


def case_history(s: Session, ctx: Context, case: Case, show_person: bool = True,
                 show_files: bool = True) -> list[dict[str, Any]]:
    """Everything that happened to the case, oldest first, each entry with `at` (when it was
    written, ISO), `actor`, `kind` (event, not_done, void, opened, assigned, file, file_void,
    withdrawn, restored, linked, unlinked) and what it is about: `record` (its number), `name` (the
    event, the stage, or what a void voided, in the reader's words; a link: the other case's
    process), `on` (the date it says), `void` (voided since: `voided_by`, the void's number),
    `voids` (a void: the record it voided), `note` (a withdrawal's or its undoing's reason),
    `evidence`; a file's `file` and `file_name`; an assignment's `from` and `to`; a link's
    `other` (the other case) and `role` (made, made_by, linked: services/links.py); a link
    undone's `other` and `note` (the reason); each entry's `action` (the audit log's); and
    the kinds read from the trail alone (`case_trail.trail_entry`: corrected, with its
    `changes`, file_public, void_linked, viewed, file_downloaded, refused). Without
    `show_person` (a person's case seen by someone else) notes, evidence and reasons are left
    out; without `show_files`, file names."""
    defn = definition_of(s, ctx, case)
    lang = ctx.language
    rows = records_of(s, case)
    by_id = {r.id: r for r in rows}
    out: list[dict[str, Any]] = []
    whole = whole_trail_of(s, "case", str(case.id))
    own = (OPEN_ACTION, HANDOVER, WITHDRAW, RESTORE, LINK, UNLINK)
    trail = [a for a in whole if a.action in own]
    opened = next((a for a in trail if a.action == OPEN_ACTION), None)
    out.append({"kind": OPENED, "action": OPEN_ACTION, "at": case.created_at,
                "actor": opened.actor if opened else None, "on": case.case_date})
    t = Translator(lang)
    out += [case_trail.trail_entry(defn, a, lang, t, show_person, show_files) for a in whole
            if a.action not in own and a.action not in TABLED
            and not a.action.startswith(EVENT_ACTION)]
    withdrawals = 0
    for a in trail:
        if a.action == OPEN_ACTION:
            continue
        try:
            payload = json.loads(a.payload)
        except ValueError:
            payload = {}
        if a.action == HANDOVER:
            out.append({"kind": ASSIGNED, "action": a.action, "at": a.at, "actor": a.actor,
                        "from": payload.get("from"), "to": payload.get("to")})
        elif a.action in (WITHDRAW, RESTORE):
            withdrawals += a.action == WITHDRAW
            out.append({"kind": WITHDRAWN if a.action == WITHDRAW else RESTORED,
                        "action": a.action, "at": a.at,
                        "actor": a.actor,
                        "note": payload.get("reason") if show_person else None})
        else:  # a link: which case made which (P-22), or a link undone, with its reason
            other = payload.get("process")
            names = ctx.registry.get(other).names if other in ctx.registry.loaded else {}
            out.append({"kind": LINKED if a.action == LINK else UNLINKED,
                        "action": a.action, "at": a.at,
                        "actor": a.actor, "other": payload.get("other"),
                        "role": payload.get("role"), "name": name_in(names, lang, other or ""),
                        **({"note": payload.get("reason") if show_person else None}
                           if a.action == UNLINK else {})})
    for r in rows:
        entry: dict[str, Any] = {
            "kind": r.kind if r.kind in (EVENT, NOT_DONE_RECORD, VOID) else EVENT,
            "action": RECORD_ACTIONS.get(r.kind) or EVENT_ACTION + r.event,
            "at": r.recorded_at, "actor": r.actor, "record": r.id, "on": r.on,
            "void": r.voided_by_id is not None, "voided_by": r.voided_by_id,
            "note": r.note if show_person else None,
            "evidence": (r.evidence or None) if show_person else None}
        if r.kind == VOID:
            target = by_id.get(r.voids_id) if r.voids_id is not None else None
            entry["voids"] = r.voids_id
            entry["voids_kind"] = target.kind if target is not None else None
            entry["voids_on"] = target.on if target is not None else None
            entry["name"] = record_label(defn, target, lang) if target is not None \
                else defn.stage_name(r.event, lang)
        else:
            entry["name"] = record_label(defn, r, lang)
        out.append(entry)
    for f in files_service.list_files(s, case):
        record = by_id.get(f["record"]) if f["record"] else None
        about = {"file": f["id"], "file_name": f["name"] if show_files else None,
                 "record": f["record"],
                 "name": record_label(defn, record, lang) if record is not None else None}
        out.append({"kind": FILE, "action": ATTACH_ACTION, "at": f["uploaded_at"], "actor": f["uploaded_by"],
                    "void": f["void"], **about})
        if f["void"]:
            out.append({"kind": FILE_VOID, "action": FILE_VOID_ACTION, "at": f["voided_at"],
                        "actor": f["voided_by"],
                        "note": f["void_reason"] if show_person else None, **about})
    if case.withdrawn_at is not None and not withdrawals:  # withdrawn before it was audited
        out.append({"kind": WITHDRAWN, "action": WITHDRAW, "at": case.withdrawn_at,
                    "actor": case.withdrawn_by,
                    "note": case.withdrawn_reason if show_person else None})
    order = {OPENED: 0}
    out.sort(key=lambda e: (e["at"] or "", order.get(e["kind"], 1)))
    return out
