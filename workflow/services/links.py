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

No fact is doubled or dropped (P-25): the confirmation applies the duplicate rule (a standing
entry of the same organisation, person, kind and dates, linked to no other case, is offered to
be linked instead: `link_to`, or a second is opened with a reason); a link joins only cases of
the same organisation and person whose kinds the link tables match (`values`), one procedure
per entry; it is undone with a reason (`unlink_cases`, `case.unlink` in both trails); a case
whose partner was linked to another meanwhile is not restored (`restore_conflict`); voiding
the record that opened an entry names the entry (`opened_by_record`; withdrawal.py's
`void_with_linked` withdraws it when asked).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from sqlmodel import Session

from workflow.core.case_links import OUTCOME_DAY, LinkSpec
from workflow.core.decide import decide_void
from workflow.core.definition import Definition
from workflow.core.errors import RuleViolation, UsageError
from workflow.core.facts import person_key, probable_same
from workflow.core.machine import MAX_TEXT
from workflow.core.names import name_in
from workflow.services import facts
from workflow.services.case_opening import cancelled_states, repeat_key
from workflow.services.cases import guard_standing, open_case, records_of
from workflow.services.context import Context
from workflow.services.lookup import get_case
from workflow.services.processes import definition_of
from workflow.storage import audit
from workflow.storage.models import (
    EVENT,
    Case,
    CaseLink,
    EvidenceFile,
    Organisation,
    User,
)
from workflow.storage.queries import cases as case_queries
from workflow.storage.queries import files as file_queries
from workflow.storage.queries import links as link_queries

MADE, MADE_BY, LINKED = "made", "made_by", "linked"  # a link's role, seen from one case
LINK_ACTION, UNLINK_ACTION = "case.link", "case.unlink"
ATTACH = "file.attach"  # (services/files.py's action: a file carried over is attached)


@dataclass(frozen=True, slots=True)
class Offer:
    """A register entry a case's outcome offers: the register, the outcome's record and day,
    and the standing entries that are already this fact (`same`: link one instead)."""

    process: str
    process_name: str
    event: str
    event_name: str
    record: int
    on: date
    same: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "on": self.on.isoformat(), "same": list(self.same)}


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
    """The `[[link]]` tables that apply to a case: its version's, then the current file's
    whose outcome event its version has and that open a register by another outcome (a case
    opened before a link was added is offered it all the same)."""
    defn = definition_of(s, ctx, case)
    if case.process not in ctx.registry.loaded:
        return defn.links
    own = {(sp.on, sp.opens) for sp in defn.links}
    return defn.links + tuple(sp for sp in ctx.registry.get(case.process).links
                              if sp.on in defn.events and (sp.on, sp.opens) not in own)


def _specs_to(s: Session, ctx: Context, case, process: str) -> list[LinkSpec]:
    """The link tables of a case's process that open `process`, by its version's file or the
    current one (a case opened before its file had links is linked after the fact all the
    same)."""
    current = (ctx.registry.get(case.process).links if case.process in ctx.registry.loaded
               else ())
    out: list[LinkSpec] = []
    for sp in (*definition_of(s, ctx, case).links, *current):
        if sp.opens == process and sp not in out:
            out.append(sp)
    return out


def _fits(spec: LinkSpec, entry) -> bool:
    """Whether an entry is the kind of fact the link opens: it has every fixed value."""
    fields = entry.fields or {}
    return all(fields.get(k) == v for k, v in spec.values.items())


def _person(name: str | None) -> str:
    return person_key(name)  # (case, spacing and punctuation aside: core/facts.py)


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
    return sorted((c for c in others.values() if c.withdrawn_at is None
                   and (process is None or c.process == process)), key=lambda c: c.id)


def _taken(s: Session, source, entry) -> Any:
    """The standing case that stops `source` and `entry` being linked: a case of the entry's
    register already linked to the procedure's case, or any case already linked to the entry
    (one procedure per entry); None when neither is."""
    for case, process in ((source, entry.process), (entry, None)):
        for other in _standing_other(s, case.id, process):
            if other.id not in (source.id, entry.id):
                return case, other
    return None


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
        if record is None or _standing_other(s, case.id, spec.opens) \
                or any(o.process == spec.opens for o in out):
            continue
        target = ctx.registry.get(spec.opens)
        _fields, dates = _carried(defn, target, case, spec, record, fact_day_of(ctx, defn))
        same = tuple(c.id or 0 for c in same_entries(s, ctx, case, spec, dates, _fields))
        out.append(Offer(spec.opens, target.name(ctx.language), spec.on,
                         name_in(defn.events[spec.on].names, ctx.language, spec.on),
                         record.id or 0, record.on, same))
    return out


def same_entries(s: Session, ctx: Context, case, spec: LinkSpec,
                 dates: dict[str, date], fields: dict[str, Any] | None = None) -> list[Case]:
    """The duplicate rule for an entry the case would open: the standing entries of the
    register that are the same fact (`case_opening.repeat_key`: for a register with a fact
    identity, the organisation, person, kind and counting year, whatever dates were typed,
    B-23; else the person and the dates it carries) with the link's fixed values, neither
    cancelled nor linked to another case — the same fact, entered already (by hand, or from a
    case withdrawn since); then the probable repeats (B-26, `facts.probable`: the person's
    name differing by initials, word order, a missing patronymic or Kazakh letters), shown
    beside it the same way."""
    target = ctx.registry.get(spec.opens)
    cancelled = cancelled_states(target)
    person = _person(case.person_name)
    fact = repeat_key({k: v.isoformat() for k, v in dates.items()}, case.person_name,
                      {**(fields or {}), **spec.values}, target) \
        if facts.rule_of(target) is not None else None
    out: list[Case] = []
    for other in case_queries.same_parties(s, spec.opens, case.subject_id, None):
        if other.state in cancelled or not _fits(spec, other):
            continue
        if fact is not None:
            if repeat_key(other.dates, other.person_name, other.fields, target) != fact \
                    and not facts.probable(target, case.person_name,
                                           {**(fields or {}), **spec.values},
                                           {k: v.isoformat() for k, v in dates.items()}, other):
                continue
        elif _person(other.person_name) != person \
                or any(other.given().get(k) != v for k, v in dates.items()):
            continue
        if [c for c in _standing_other(s, other.id) if c.id != case.id]:
            continue
        out.append(other)
    return sorted(out, key=lambda c: _person(c.person_name) != person)  # the same fact first


def _carried(defn: Definition, target: Definition, case, spec: LinkSpec, record,
             fact_day: str | None = None) -> tuple[dict[str, str], dict[str, date]]:
    """The entry's fields and dates: the fixed values, then what is carried from the case (a
    named date given or set, a field, the outcome record's evidence, or the outcome's day).
    The counting date of a register with a fact identity is the procedure's fact's day
    (B-27, `[process] fact_day`, `fact_day_of`), whatever the case's version carried."""
    fields = dict(spec.values)
    dates: dict[str, date] = {}
    given = case.given()
    rule = facts.rule_of(target)
    day = fact_day or defn.fact_day
    if rule is not None and day is not None and given.get(day) is not None:
        spec = replace(spec, carry={**spec.carry, rule.year_of: (day,)})
    for key, names in spec.carry.items():
        value: Any = None
        for mine in names:  # the first the case has
            if mine == OUTCOME_DAY:
                value = record.on
            elif mine in given:
                value = given[mine]
            elif mine in (case.fields or {}):
                value = case.fields[mine]
            else:
                value = (record.evidence or {}).get(mine)
            if value not in (None, ""):
                break
        if value in (None, ""):
            continue
        if key in target.dates:
            dates[key] = value if isinstance(value, date) else date.fromisoformat(str(value))
        else:
            fields[key] = value.isoformat() if isinstance(value, date) else str(value)
    return fields, dates


def fact_day_of(ctx: Context, defn: Definition) -> str | None:
    """The named date a procedure's fact occurred on (B-27): its version's `[process]
    fact_day`, else the current file's (a case opened before the day was declared counts by
    it all the same)."""
    if defn.fact_day is not None:
        return defn.fact_day
    current = ctx.registry.get(defn.key) if defn.key in ctx.registry.loaded else None
    return current.fact_day if current is not None else None


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
                fields: dict[str, str] | None = None, link_to: int | str | None = None,
                duplicate_reason: str | None = None):
    """Open the register entry the case's outcome is, linked to it, with one confirmation;
    `fields`: the entry's fields the link leaves to the officer (whether the fact was detected
    independently, the measures …), checked as an opening. The duplicate rule (`same_entries`):
    an entry that is this fact already is named and the confirmation refused, unless it links
    that entry instead (`link_to`, checked as `link_cases`) or confirms a second one with a
    reason (`duplicate_reason`, audited with the entries it repeats). A link's `record` is
    recorded on the new entry on the outcome's day. Refused, nothing stored: a withdrawn case,
    a case whose definition opens no register (or not that one), an outcome not recorded (or
    voided), an entry already linked, a field the link sets itself. Returns the entry."""
    # the procedure's case locked, then read again: a void or a confirmation on another node a
    # moment before is seen (services/facts.py)
    facts.lock_sources(s, [case_id])
    case = get_case(s, case_id)
    guard_standing(case)
    defn = definition_of(s, ctx, case)
    spec, record = _ready(s, ctx, case, defn, process)
    linked = _standing_other(s, case.id, spec.opens)
    if linked:
        raise RuleViolation(f"case {case.id} is linked to case {linked[0].id}",
                            key="rule.link_exists", id=case.id, other=linked[0].id)
    if link_to is not None and str(link_to).strip():
        entry = get_case(s, link_to)
        if entry.process != spec.opens:
            raise RuleViolation(f"{entry.process} is not {spec.opens}", key="rule.link_kinds",
                                first=defn.name(ctx.language),
                                second=definition_of(s, ctx, entry).name(ctx.language))
        link_cases(s, ctx, case.id, entry.id)
        return entry
    target_defn = ctx.registry.get(spec.opens)
    asked = {k: v for k, v in (fields or {}).items() if str(v or "").strip()}
    for key in asked:
        if key in spec.values or key in spec.carry:
            raise UsageError(f"{key} comes with the case", key="error.link_field_set",
                             field=name_in(target_defn.fields[key].names, ctx.language, key)
                             if key in target_defn.fields else key)
    carried, dates = _carried(defn, target_defn, case, spec, record, fact_day_of(ctx, defn))
    reason = _duplicate_reason(duplicate_reason)
    same = [c.id for c in same_entries(s, ctx, case, spec, dates, fields)]
    if same and reason is None:
        first = s.get(Case, same[0])
        if first is not None and _person(first.person_name) != _person(case.person_name):
            raise RuleViolation(f"case {case.id}: entry {same[0]} is probably this fact",
                                key="rule.link_probable", id=case.id, entry=same[0],
                                name=target_defn.name(ctx.language),
                                person=first.person_name or "")
        raise RuleViolation(f"case {case.id}: entry {same[0]} is this fact already",
                            key="rule.link_duplicate", id=case.id, entry=same[0],
                            name=target_defn.name(ctx.language))
    fields = {**asked, **carried}
    subject = s.get(Organisation, case.subject_id)
    owner = s.get(User, case.responsible_id) if case.responsible_id else None
    extra: dict[str, Any] = {"opened_by": {"case": case.id, "event": spec.on}}
    if same:
        extra.update({"duplicate_of": same, "duplicate_reason": reason})
    target = open_case(s, ctx, spec.opens, subject.code if subject else "",
                       person=case.person_name, position=case.person_position,
                       fields=fields, dates=dates,
                       responsible=owner.login if owner and owner.active else None,
                       audit_extra=extra, fact_reason=reason, fact_source=case.id)
    files = _carry_files(s, ctx, case, target) if spec.files else []
    s.add(CaseLink(from_case_id=case.id, to_case_id=target.id, event=spec.on,
                   created_by=ctx.actor, created_at=audit.now_iso()))
    s.flush()
    _audit_pair(s, ctx, case, target, MADE, spec.on, {"files": files})
    if spec.record is not None:
        from workflow.services.recording import record_event

        evidence = {k: (record.evidence or {}).get(mine)
                    for k, mine in spec.record_evidence.items()}
        record_event(s, ctx, target.id or 0, spec.record, record.on,
                     {k: str(v) for k, v in evidence.items() if v not in (None, "")},
                     audit_extra={"from": {"case": case.id, "record": record.id}})
    return target


def _ready(s: Session, ctx: Context, case, defn: Definition, process: str | None
           ) -> tuple[LinkSpec, Any]:
    """The link the confirmation opens and the standing record of its outcome: the first of
    the case's links (to `process`, when given) whose outcome is recorded."""
    specs = [sp for sp in links_for(s, ctx, case) if process in (None, sp.opens)]
    if not specs:
        raise UsageError(f"case {case.id} opens no register entry",
                         key="error.link_none", id=case.id, process=process or "—")
    ready = [(sp, r) for sp, r in ((sp, _outcome(s, case, sp)) for sp in specs)
             if r is not None]
    if not ready:
        names = " | ".join(dict.fromkeys(
            name_in(defn.events[sp.on].names, ctx.language, sp.on) for sp in specs))
        raise RuleViolation(f"case {case.id}: {names} is not recorded",
                            key="rule.link_no_outcome", id=case.id, outcome=names)
    return ready[0]


def _duplicate_reason(reason: str | None) -> str | None:
    """A second entry's reason, when given: 1-500 characters."""
    if reason is None or not str(reason).strip():
        return None
    if len(reason) > MAX_TEXT or "\x00" in reason:
        raise UsageError("the duplicate reason must be 1-500 characters",
                         key="error.bad_duplicate_reason", limit=MAX_TEXT)
    return reason.strip()


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
    `[[link]]` joins, an entry whose kind is not the one the procedure's link opens (a gift's
    case and a foreign account's entry), cases of different organisations or persons, a
    procedure already linked to an entry of that register, an entry already linked to a
    procedure (one procedure per entry). A link undone before is linked again in its row.
    The entry then records the procedure's fact (`fact_source`): refused while another
    standing entry of that register does (`rule.fact_standing`)."""
    facts.lock_sources(s, [first, second])
    a, b = get_case(s, first), get_case(s, second)
    if a.id == b.id:
        raise UsageError(f"case {a.id} cannot be linked to itself", key="error.link_self",
                         id=a.id)
    guard_standing(a)
    guard_standing(b)
    da, db = definition_of(s, ctx, a), definition_of(s, ctx, b)
    if _specs_to(s, ctx, a, b.process):
        source, target, ds, dt = a, b, da, db
    elif _specs_to(s, ctx, b, a.process):
        source, target, ds, dt = b, a, db, da
    else:
        raise RuleViolation(f"{a.process} and {b.process} are not one fact",
                            key="rule.link_kinds", first=da.name(ctx.language),
                            second=db.name(ctx.language))
    if a.subject_id != b.subject_id:
        raise RuleViolation(f"cases {a.id} and {b.id} are of different organisations",
                            key="rule.link_subject", first=a.id, second=b.id)
    _check_kind(s, ctx, source, target, ds, dt)
    # the same person, or probably (B-26): linking is how the officer says it is one person
    if source.person_name and not probable_same(source.person_name, target.person_name):
        raise RuleViolation(f"cases {a.id} and {b.id} are about different persons",
                            key="rule.link_person", first=source.id, second=target.id)
    taken = _taken(s, source, target)
    if taken:
        raise RuleViolation(f"case {taken[0].id} is linked to case {taken[1].id}",
                            key="rule.link_exists", id=taken[0].id, other=taken[1].id)
    row = link_queries.pair(s, source.id, target.id)
    if row is None:
        row = CaseLink(from_case_id=source.id, to_case_id=target.id,
                       created_by=ctx.actor, created_at=audit.now_iso())
    row.from_case_id, row.to_case_id, row.event = source.id, target.id, None
    row.created_by, row.created_at = ctx.actor, audit.now_iso()
    row.unlinked_at = row.unlinked_by = row.unlink_reason = None
    s.add(row)
    target.fact_source = source.id
    s.add(target)
    facts.standing_flush(s, [target], dt.name(ctx.language))
    _audit_pair(s, ctx, source, target, LINKED, None)
    return row


def _check_kind(s: Session, ctx: Context, source, target, ds: Definition,
                dt: Definition) -> None:
    """The entry is the kind of fact one of the procedure's links opens (its fixed values:
    a gift is a 2.5.4 entry, a foreign account a 2.5.5 one), or refused naming both."""
    specs = _specs_to(s, ctx, source, target.process)
    if any(_fits(sp, target) for sp in specs):
        return
    lang = ctx.language

    def shown(values: dict[str, Any]) -> str:
        out = []
        for key, value in values.items():
            spec = dt.fields.get(key)
            out.append(name_in(spec.choice_names.get(value), lang, str(value))
                       if spec is not None and value is not None else str(value))
        return ", ".join(out) or "—"

    wanted = " | ".join(dict.fromkeys(shown(dict(sp.values)) for sp in specs))
    has = shown({k: (target.fields or {}).get(k) for sp in specs for k in sp.values})
    raise RuleViolation(f"entry {target.id} ({has}) is not the fact case {source.id} opens "
                        f"({wanted})", key="rule.link_kind_mismatch", entry=target.id,
                        case=source.id, name=ds.name(lang), has=has, wanted=wanted)


def unlink_cases(s: Session, ctx: Context, first: int | str, second: int | str,
                 reason: str) -> CaseLink:
    """Undo the link between two cases, with a reason: the row stays with who, when and why,
    and both trails say it (`case.unlink`), so each history shows it; the entry is counted by
    itself again and the procedure's outcome is offered again. Refused, nothing stored: no or
    a too long reason, cases not linked, a withdrawn case (its links are what restoring it
    checks)."""
    text = " ".join((reason or "").split())
    if not text:
        raise UsageError("a reason is required", key="error.reason_required")
    if len(reason) > MAX_TEXT or "\x00" in reason:
        raise UsageError(f"reason must be at most {MAX_TEXT} characters", key="error.too_long",
                         field="reason", limit=MAX_TEXT)
    text = reason.strip()
    facts.lock_sources(s, [first, second])
    a, b = get_case(s, first), get_case(s, second)
    row = link_queries.pair(s, a.id, b.id)
    if row is None or row.unlinked_at is not None:
        raise RuleViolation(f"cases {a.id} and {b.id} are not linked", key="rule.link_not_linked",
                            first=a.id, second=b.id)
    guard_standing(a)
    guard_standing(b)
    row.unlinked_at, row.unlinked_by, row.unlink_reason = audit.now_iso(), ctx.actor, text
    s.add(row)
    source, target = (a, b) if row.from_case_id == a.id else (b, a)
    if target.fact_source == source.id:  # the entry records no procedure's fact now
        target.fact_source = None
        s.add(target)
    s.flush()
    for mine, other in ((source, target), (target, source)):
        audit.append(s, ctx.actor, UNLINK_ACTION, "case", mine.id,
                     {"other": other.id, "process": other.process, "reason": text,
                      "event": row.event, "link": row.id})
    return row


def restore_conflict(s: Session, case) -> tuple[int, int] | None:
    """Whether restoring a withdrawn case would make two facts of one: a case linked to it
    that stands and is now linked to another in its place (the gift's case linked to a second
    entry, or the entry linked to a second procedure). (that case, the other) or None."""
    for lk in link_queries.links_of(s, case.id):
        partner = s.get(Case, lk.to_case_id if lk.from_case_id == case.id else lk.from_case_id)
        if partner is None or partner.withdrawn_at is not None:
            continue
        partner_is_procedure = lk.from_case_id == partner.id
        for other in _standing_other(s, partner.id):
            if other.id != case.id and (not partner_is_procedure
                                        or other.process == case.process):
                return partner.id or 0, other.id or 0
    return None


def backed_only_by(s: Session, ctx: Context, case, record) -> list[Case]:
    """The standing entries the case opened by `record`'s event that no other standing
    outcome backs: those voiding it would leave counted with nothing behind them."""
    if record is None or record.kind != EVENT:
        return []
    out: list[Case] = []
    for lk in link_queries.links_of(s, case.id):
        if lk.from_case_id != case.id:
            continue
        entry = s.get(Case, lk.to_case_id)
        if entry is None or entry.withdrawn_at is not None:
            continue
        if lk.event != record.event:  # (an entry linked after the fact stands on its own)
            continue
        events = {sp.on for sp in _specs_to(s, ctx, case, entry.process)}
        if any(r.kind == EVENT and r.event in events and r.voided_by_id is None
               and r.id != record.id for r in records_of(s, case)):
            continue
        out.append(entry)
    return out


def opened_by_record(s: Session, ctx: Context, case_id: int | str, target: str) -> list[Case]:
    """The entries voiding `target` (an event key or record number) would leave without the
    record that opened them (empty when the target is not a standing record)."""
    case = get_case(s, case_id)
    try:
        victim = decide_void(definition_of(s, ctx, case), records_of(s, case), target)
    except (RuleViolation, UsageError):
        return []
    return backed_only_by(s, ctx, case, victim)


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


def guard_linked_edit(s: Session, ctx: Context, case, person: str | None,
                      fields: dict[str, Any]) -> None:
    """B-24: while a case is linked, what makes it the fact the link joins is not corrected —
    the person of either case, and the entry's fixed values (its kind: a gift's 2.5.4) — or
    the entry would count as another fact (2.5.3) or someone else's. `person` and `fields`
    are the values a correction would store (services/recording.py's `edit_case`, the one
    path of every correction: the page, the API, the command line). Refused naming the
    partner, so that the link is undone first, with a reason (`unlink_cases`)."""
    old = case.fields or {}
    for other in _standing_other(s, case.id):
        fixed = {k for sp in _specs_to(s, ctx, other, case.process) for k in sp.values}
        changed = [k for k in sorted(fixed) if str(old.get(k) or "") != str(fields.get(k) or "")]
        if _person(person) != _person(case.person_name) or changed:
            defn = definition_of(s, ctx, other)
            raise RuleViolation(f"case {case.id} is linked to case {other.id}: its kind and "
                                f"person are not corrected while linked", key="rule.edit_linked",
                                id=case.id, other=other.id, name=defn.name(ctx.language))
