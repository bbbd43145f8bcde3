"""A case opened by mistake withdrawn, and a case's whole history (issue 29, points 3 and 4).

Withdrawal is the engine's, not a definition's state: any case of any process can be withdrawn,
with a reason, by whoever may record on it. The case row keeps when, by whom and why
(`withdrawn_at`, `withdrawn_by`, `withdrawn_reason`); its open stages become not applicable,
so it leaves every list, reminder, digest, feed and count that reads open stages, and the
queries over cases (lists, scores, exports, the public page) leave it out by its mark. Its
records, files and stages stay; the audit chain holds a `case.withdraw` record. A withdrawn
case accepts nothing more (`cases.guard_standing`) and is never re-planned (`cases.sync`).

The history (`case_history`) is every record (event, not done, void), file (attached, voided),
assignment of the responsible officer, the opening and the withdrawal, with who and when, in
the order they happened: nothing voided is left out, it is marked.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from workflow.core import deadlines
from workflow.core.definition import Definition
from workflow.core.errors import UsageError
from workflow.core.machine import MAX_TEXT
from workflow.core.names import name_in
from workflow.services import files as files_service
from workflow.services.cases import guard_standing, records_of, stages_of
from workflow.services.context import Context
from workflow.services.lookup import get_case
from workflow.services.processes import definition_of
from workflow.storage import audit
from workflow.storage.models import EVENT, HANDOVER, NOT_DONE_RECORD, OPEN, VOID, Case
from workflow.storage.queries.audit import trail_of

OPENED, ASSIGNED, FILE, FILE_VOID, WITHDRAWN = (
    "opened", "assigned", "file", "file_void", "withdrawn")  # the history's own kinds


def withdraw_case(s: Session, ctx: Context, case_id: int | str, reason: str) -> Case:
    """Withdraw a case opened by mistake: refused, nothing stored, for an unknown case, an
    empty or too long reason, or a case already withdrawn. Its open stages become not
    applicable; the withdrawal is audited with the stages it closed."""
    text = " ".join((reason or "").split()) if reason else ""
    if not text:
        raise UsageError("a reason is required", key="error.reason_required")
    if len(reason) > MAX_TEXT or "\x00" in reason:
        raise UsageError(f"reason must be at most {MAX_TEXT} characters", key="error.too_long",
                         field="reason", limit=MAX_TEXT)
    audit.serialise(s)  # two withdrawals at once: the second finds the first
    case = get_case(s, case_id)
    s.refresh(case)
    guard_standing(case)
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
    audit.append(s, ctx.actor, "case.withdraw", "case", case.id,
                 {"reason": case.withdrawn_reason, "process": case.process,
                  "state": case.state, "stages_closed": closed})
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
    withdrawn) and what it is about: `record` (its number), `name` (the event, the stage, or
    what a void voided, in the reader's words), `on` (the date it says), `void` (voided
    since: `voided_by`, the void's number), `voids` (a void: the record it voided), `note`,
    `evidence`; a file's `file` and `file_name`; an assignment's `from` and `to`. Without
    `show_person` (a person's case seen by someone else) notes, evidence and reasons are left
    out; without `show_files`, file names."""
    defn = definition_of(s, ctx, case)
    lang = ctx.language
    rows = records_of(s, case)
    by_id = {r.id: r for r in rows}
    out: list[dict[str, Any]] = []
    trail = trail_of(s, "case", str(case.id), ("case.open", HANDOVER))
    opened = next((a for a in trail if a.action == "case.open"), None)
    out.append({"kind": OPENED, "at": case.created_at,
                "actor": opened.actor if opened else None, "on": case.case_date})
    for a in trail:
        if a.action != HANDOVER:
            continue
        try:
            payload = json.loads(a.payload)
        except ValueError:
            payload = {}
        out.append({"kind": ASSIGNED, "at": a.at, "actor": a.actor,
                    "from": payload.get("from"), "to": payload.get("to")})
    for r in rows:
        entry: dict[str, Any] = {
            "kind": r.kind if r.kind in (EVENT, NOT_DONE_RECORD, VOID) else EVENT,
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
        out.append({"kind": FILE, "at": f["uploaded_at"], "actor": f["uploaded_by"],
                    "void": f["void"], **about})
        if f["void"]:
            out.append({"kind": FILE_VOID, "at": f["voided_at"], "actor": f["voided_by"],
                        "note": f["void_reason"] if show_person else None, **about})
    if case.withdrawn_at is not None:
        out.append({"kind": WITHDRAWN, "at": case.withdrawn_at, "actor": case.withdrawn_by,
                    "note": case.withdrawn_reason if show_person else None})
    order = {OPENED: 0}
    out.sort(key=lambda e: (e["at"] or "", order.get(e["kind"], 1)))
    return out
