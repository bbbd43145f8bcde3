"""One fact entered once (P-22): a procedure's case whose outcome is a fact of a register (a
gift not handed over, a conflict of interest not settled, a foreign account not closed: a
breach of a restriction) and the register entry it is, linked.

The procedure's `[[link]]` tables say which outcome opens which register and what the entry
takes over (core/case_links.py: data, never keys in this code). Recorded, the outcome is
offered (`offers`); one confirmation opens the entry (`open_linked`) with the case's person
and position, the fixed values, the carried dates and fields, and the case's files (the same
content, new rows of the entry, each audited), and links the two (`case_link`). An entry
entered before the procedure's outcome, or by hand, is linked after the fact (`link_cases`).
Both cases' audit trails say which made which (`case.link`, with the role), so each history
shows it. The score counts the register entry only: the procedure has no `[scorecard]`, it
is the entry's history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from workflow.core.case_links import OUTCOME_DAY, LinkSpec
from workflow.core.definition import Definition
from workflow.core.errors import RuleViolation, UsageError
from workflow.core.names import name_in
from workflow.services.cases import guard_standing, open_case, records_of
from workflow.services.context import Context
from workflow.services.lookup import get_case
from workflow.services.processes import definition_of
from workflow.storage import audit
from workflow.storage.models import (
    EVENT,
    CaseLink,
    EvidenceFile,
    Organisation,
    User,
    saved_id,
)
from workflow.storage.queries import files as file_queries
from workflow.storage.queries import links as link_queries

MADE, MADE_BY, LINKED = "made", "made_by", "linked"  # a link's role, seen from one case
LINK_ACTION = "case.link"
ATTACH = "file.attach"  # (services/files.py's action: a file carried over is attached)


@dataclass(frozen=True, slots=True)
class Offer:
    """A register entry a case's outcome offers: the register, the outcome's record and day."""

    process: str
    process_name: str
    event: str
    event_name: str
    record: int
    on: date

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "on": self.on.isoformat()}


@dataclass(frozen=True, slots=True)
class Linked:
    """A case at the other end of a link: its number, process, state, whether it is withdrawn,
    the role (`made`: this case opened it; `made_by`: it opened this one; `linked`: linked after
    the fact), its person (None where the reader may not see it) and the outcome that made it."""

    id: int
    process: str
    process_name: str
    state: str
    state_name: str
    role: str
    withdrawn: bool
    person: str | None
    event: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def links_for(s: Session, ctx: Context, case) -> tuple[LinkSpec, ...]:
    """The `[[link]]` tables that apply to a case: its version's, or (a case opened with a
    version before the links) the current file's whose outcome event its version has."""
    defn = definition_of(s, ctx, case)
    if defn.links or case.process not in ctx.registry.loaded:
        return defn.links
    return tuple(sp for sp in ctx.registry.get(case.process).links if sp.on in defn.events)


def _opens(s: Session, ctx: Context, case) -> set[str]:
    """The registers a case's process opens, by its version's file or the current one (a case
    opened before its file had links is linked after the fact all the same)."""
    current = (ctx.registry.get(case.process).links if case.process in ctx.registry.loaded
               else ())
    return {sp.opens for sp in (*definition_of(s, ctx, case).links, *current)}


def _outcome(s: Session, case, spec: LinkSpec):
    """The standing record of the link's outcome event, the newest, or None."""
    found = [r for r in records_of(s, case)
             if r.kind == EVENT and r.event == spec.on and r.voided_by_id is None]
    return found[-1] if found else None


def _standing_other(s: Session, case_id: int | None, process: str | None = None) -> list[Any]:
    """The cases linked to this one that are not withdrawn (of a process, when given)."""
    links = link_queries.links_of(s, case_id)
    ids = {lk.to_case_id if lk.from_case_id == case_id else lk.from_case_id for lk in links}
    others = link_queries.cases_by_id(s, ids)
    return [c for c in others.values() if c.withdrawn_at is None
            and (process is None or c.process == process)]


def standing_linked(s: Session, case) -> list[Any]:
    """The cases linked to this one that still stand (what its withdrawal asks about)."""
    return sorted(_standing_other(s, case.id), key=lambda c: c.id)


def left_to_officer(ctx: Context, offer_process: str, definition: Definition) -> list[str]:
    """The register's fields a link of `definition` to it neither sets nor carries: what the
    confirmation asks (every one optional unless the register requires it)."""
    target = ctx.registry.get(offer_process)
    given = {k for sp in definition.links if sp.opens == offer_process
             for k in (*sp.values, *sp.carry)}
    return [k for k in target.fields if k not in given]


def offers(s: Session, ctx: Context, case) -> list[Offer]:
    """The register entries the case's recorded outcomes offer and it is not linked to yet."""
    if case.withdrawn_at is not None:
        return []
    defn = definition_of(s, ctx, case)
    out: list[Offer] = []
    for spec in links_for(s, ctx, case):
        record = _outcome(s, case, spec)
        if record is None or _standing_other(s, case.id, spec.opens):
            continue
        target = ctx.registry.get(spec.opens)
        out.append(Offer(spec.opens, target.name(ctx.language), spec.on,
                         name_in(defn.events[spec.on].names, ctx.language, spec.on),
                         record.id or 0, record.on))
    return out


def _carried(defn: Definition, target: Definition, case, spec: LinkSpec, record
             ) -> tuple[dict[str, str], dict[str, date]]:
    """The entry's fields and dates: the fixed values, then what is carried from the case (a
    named date given or set, a field, the outcome record's evidence, or the outcome's day)."""
    fields = dict(spec.values)
    dates: dict[str, date] = {}
    given = case.given()
    for key, mine in spec.carry.items():
        value: Any
        if mine == OUTCOME_DAY:
            value = record.on
        elif mine in given:
            value = given[mine]
        elif mine in (case.fields or {}):
            value = case.fields[mine]
        else:
            value = (record.evidence or {}).get(mine)
        if value in (None, ""):
            continue
        if key in target.dates:
            dates[key] = value if isinstance(value, date) else date.fromisoformat(str(value))
        else:
            fields[key] = value.isoformat() if isinstance(value, date) else str(value)
    return fields, dates


def _audit_pair(s: Session, ctx: Context, source, target, role: str,
                event: str | None, extra: dict[str, Any] | None = None) -> None:
    """Both trails say it: the source's with its role, the target's with the other side's."""
    back = {MADE: MADE_BY, LINKED: LINKED}[role]
    audit.append(s, ctx.actor, LINK_ACTION, "case", source.id,
                 {"other": target.id, "process": target.process, "role": role, "event": event,
                  **(extra or {})})
    audit.append(s, ctx.actor, LINK_ACTION, "case", target.id,
                 {"other": source.id, "process": source.process, "role": back, "event": event})


def open_linked(s: Session, ctx: Context, case_id: int | str, process: str | None = None,
                fields: dict[str, str] | None = None):
    """Open the register entry the case's outcome is, linked to it, with one confirmation;
    `fields`: the entry's fields the link leaves to the officer (whether the fact was detected
    independently, the measures …), checked as an opening. Refused, nothing stored: a
    withdrawn case, a case whose definition opens no register (or not that one), an outcome
    not recorded (or voided), an entry already linked, a field the link sets itself."""
    audit.serialise(s)  # two confirmations at once: the second finds the first's link
    case = get_case(s, case_id)
    s.refresh(case)
    guard_standing(case)
    defn = definition_of(s, ctx, case)
    specs = [sp for sp in links_for(s, ctx, case) if process in (None, sp.opens)]
    if not specs:
        raise UsageError(f"case {case.id} opens no register entry",
                         key="error.link_none", id=case.id, process=process or "—")
    with_outcome = [(sp, _outcome(s, case, sp)) for sp in specs]
    ready = [(sp, r) for sp, r in with_outcome if r is not None]
    if not ready:
        names = " | ".join(dict.fromkeys(
            name_in(defn.events[sp.on].names, ctx.language, sp.on) for sp in specs))
        raise RuleViolation(f"case {case.id}: {names} is not recorded",
                            key="rule.link_no_outcome", id=case.id, outcome=names)
    spec, record = ready[0]
    linked = _standing_other(s, case.id, spec.opens)
    if linked:
        raise RuleViolation(f"case {case.id} is linked to case {linked[0].id}",
                            key="rule.link_exists", id=case.id, other=linked[0].id)
    target_defn = ctx.registry.get(spec.opens)
    asked = {k: v for k, v in (fields or {}).items() if str(v or "").strip()}
    for key in asked:
        if key in spec.values or key in spec.carry:
            raise UsageError(f"{key} comes with the case", key="error.link_field_set",
                             field=name_in(target_defn.fields[key].names, ctx.language, key)
                             if key in target_defn.fields else key)
    carried, dates = _carried(defn, target_defn, case, spec, record)
    fields = {**asked, **carried}
    subject = s.get(Organisation, case.subject_id)
    owner = s.get(User, case.responsible_id) if case.responsible_id else None
    target = open_case(s, ctx, spec.opens, subject.code if subject else "",
                       person=case.person_name, position=case.person_position,
                       fields=fields, dates=dates,
                       responsible=owner.login if owner and owner.active else None,
                       audit_extra={"opened_by": {"case": case.id, "event": spec.on}})
    files = _carry_files(s, ctx, case, target) if spec.files else []
    s.add(CaseLink(from_case_id=saved_id(case), to_case_id=saved_id(target), event=spec.on,
                   created_by=ctx.actor, created_at=audit.now_iso()))
    s.flush()
    _audit_pair(s, ctx, case, target, MADE, spec.on, {"files": files})
    return target


def _carry_files(s: Session, ctx: Context, case, target) -> list[int]:
    """The case's standing files, the same content as files of the entry (each audited as
    attached, naming the case it came from); returns the new files' ids."""
    out: list[int] = []
    for f in file_queries.files_of_case(s, case.id):
        if f.voided_at is not None:
            continue
        row = EvidenceFile(case_id=target.id, record_id=None, sha256=f.sha256, name=f.name,
                           media_type=f.media_type, size=f.size, public=False,
                           uploaded_by=ctx.actor, uploaded_at=audit.now_iso())
        s.add(row)
        s.flush()
        audit.append(s, ctx.actor, ATTACH, "case", target.id,
                     {"file": row.id, "record": None, "name": f.name, "sha256": f.sha256,
                      "size": f.size, "media_type": f.media_type,
                      "from": {"case": case.id, "file": f.id}})
        out.append(row.id or 0)
    return out


def link_cases(s: Session, ctx: Context, first: int | str, second: int | str) -> CaseLink:
    """Link a register entry to the procedure's case it is the fact of, after the fact, in
    either order. Refused, nothing stored: the same case twice, a withdrawn case, two cases no
    `[[link]]` joins, cases of different organisations, either already linked that way."""
    audit.serialise(s)
    a, b = get_case(s, first), get_case(s, second)
    if a.id == b.id:
        raise UsageError(f"case {a.id} cannot be linked to itself", key="error.link_self",
                         id=a.id)
    guard_standing(a)
    guard_standing(b)
    da, db = definition_of(s, ctx, a), definition_of(s, ctx, b)
    if b.process in _opens(s, ctx, a):
        source, target = a, b
    elif a.process in _opens(s, ctx, b):
        source, target = b, a
    else:
        raise RuleViolation(f"{a.process} and {b.process} are not one fact",
                            key="rule.link_kinds", first=da.name(ctx.language),
                            second=db.name(ctx.language))
    if a.subject_id != b.subject_id:
        raise RuleViolation(f"cases {a.id} and {b.id} are of different organisations",
                            key="rule.link_subject", first=a.id, second=b.id)
    for case, process in ((source, target.process), (target, source.process)):
        linked = _standing_other(s, case.id, process)
        if linked:
            raise RuleViolation(f"case {case.id} is linked to case {linked[0].id}",
                                key="rule.link_exists", id=case.id, other=linked[0].id)
    row = CaseLink(from_case_id=saved_id(source), to_case_id=saved_id(target), event=None,
                   created_by=ctx.actor, created_at=audit.now_iso())
    s.add(row)
    s.flush()
    _audit_pair(s, ctx, source, target, LINKED, None)
    return row


def linked_cases(s: Session, ctx: Context, case,
                 sees: Callable[[Any, Definition], bool] | None = None) -> list[Linked]:
    """The cases linked to this one, each with its role seen from this one; a person only
    where `sees(other case, its definition)` allows (None: everyone may)."""
    links = link_queries.links_of(s, case.id)
    others = link_queries.cases_by_id(s, {lk.to_case_id if lk.from_case_id == case.id
                                          else lk.from_case_id for lk in links})
    out: list[Linked] = []
    for lk in links:
        mine = lk.from_case_id == case.id
        other = others.get(lk.to_case_id if mine else lk.from_case_id)
        if other is None:
            continue
        defn = definition_of(s, ctx, other)
        role = LINKED if lk.event is None else MADE if mine else MADE_BY
        shown = sees is None or sees(other, defn)
        out.append(Linked(other.id or 0, other.process, defn.name(ctx.language), other.state,
                          name_in(defn.states.get(other.state), ctx.language, other.state),
                          role, other.withdrawn_at is not None,
                          other.person_name if shown else None, lk.event))
    return out
