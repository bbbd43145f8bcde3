"""Opening a case of any process definition: its opening values checked (person, fields,
dates, the organisation kinds it applies to), its row and first stages, and a second case of
the same (the duplicate rule, confirmed with a reason)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlmodel import Session

from workflow.core import limits
from workflow.core.dates import check_day, not_in_future, parse_day
from workflow.core.deadlines import Facts, Planner
from workflow.core.definition import Definition
from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.core.facts import fact_key, person_key
from workflow.core.limits import is_whole, ungrouped, whole_number
from workflow.core.machine import (
    MAX_TEXT,
)
from workflow.services import facts
from workflow.services.case_plan import sync
from workflow.services.context import Context
from workflow.services.lookup import get_org, get_user
from workflow.services.processes import definition_of, keep_version
from workflow.storage import audit
from workflow.storage.models import (
    Case,
    Organisation,
    User,
)
from workflow.storage.queries import cases as case_queries
from workflow.storage.queries.audit import trail_of

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
            value = ungrouped(value)
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
        if spec.required_for(out) and key not in out:
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


def _date_required(name: str, spec: Any) -> UsageError:
    """The refusal of a required date not given: the date in words of the reader's language
    (its names), never its key."""
    refusal = UsageError(f"date {name} is required", key="error.date_required", name=name)
    if spec.names:
        refusal.labels["name"] = dict(spec.names)
    return refusal


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
            raise _date_required(name, spec)
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


def responsible_among(users: Mapping[str, User], officers: Mapping[int, User],
                      login: str | None, subject: Organisation) -> User | None:
    """The responsible officer of a case of `subject` opened from a file's row: the user of
    `login` among `users` (NotFound when none), else the subject's own officer; checked."""
    if login:
        owner = users.get(login)
        if owner is None:
            raise NotFound(f"no user {login!r}", key="notfound.user", login=login)
    else:
        owner = officers.get(subject.id)
    check_responsible(owner, subject)
    return owner


def default_responsible(s: Session, subject: Organisation) -> User | None:
    """The subject's first active officer: responsible when none is named."""
    return case_queries.first_officer(s, subject.id)


def case_row(ctx: Context, defn: Definition, opening: Opening, subject: Organisation,
             obj: Organisation | None, owner: User | None, period: str | None = None,
             programme_id: int | None = None, override_reason: str | None = None,
             case_date: date | None = None, fact_reason: str | None = None,
             fact_source: int | None = None) -> dict[str, Any]:
    """The columns of the case row of a checked opening; a register entry's fact identity
    (services/facts.py; `fact_reason`: a second's, which distinguishes it) and the procedure's
    case it is opened from (`fact_source`)."""
    dates = opening.dates
    first = min(dates.values()) if dates else ctx.today
    return dict(process=defn.key, process_version=defn.version, programme_id=programme_id,
                subject_id=subject.id, object_id=obj.id if obj else None,
                person_name=opening.person, person_position=opening.position,
                fields=opening.values or None,
                dates={k: v.isoformat() for k, v in dates.items()}, period=period,
                case_date=case_date or first, state=defn.initial_state,
                responsible_id=owner.id if owner else None, override_reason=override_reason,
                cancel_reason=None, created_at=audit.now_iso(), typed_on=ctx.today,
                fact_key=fact_key(subject.id, facts.identity(defn, opening.person,
                                                             opening.values, dates),
                                  fact_reason),
                fact_source=fact_source)


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
              audit_extra: dict[str, Any] | None = None, fact_reason: str | None = None,
              fact_source: int | None = None) -> Case:
    """Open a case of `process` for a subject organisation: parties, fields and named dates
    checked against the definition, every stage planned, an audit record written. A register
    entry carries the fact it records (`case_row`): refused (`rule.fact_standing`, naming it)
    while another entry of that fact stands, unless `fact_reason` makes it a second."""
    defn = ctx.registry.get(process)
    subject = get_org(s, subject_code)
    obj = get_org(s, object_code) if object_code else None
    opening = check_opening(ctx, defn, obj, person, position, fields, dates)
    owner = get_user(s, responsible) if responsible else default_responsible(s, subject)
    check_responsible(owner, subject)
    keep_version(s, ctx, defn)
    case = Case(**case_row(ctx, defn, opening, subject, obj, owner, period, programme_id,
                           override_reason, case_date, fact_reason, fact_source))
    s.add(case)
    facts.standing_flush(s, [case], defn.name(ctx.language))
    sync(s, ctx, case, defn)
    audit.append(s, ctx.actor, "case.open", "case", case.id,
                 opened_payload(defn, opening, subject, obj, period, audit_extra))
    return case


# -- a second case of the same ------------------------------------------------------------------


def _same_person(name: str | None) -> str:
    return person_key(name)  # (case, spacing and punctuation aside: core/facts.py)


def repeat_key(dates: dict[str, Any] | None, person: str | None,
               fields: dict[str, Any] | None, defn: Definition | None = None) -> tuple | None:
    """What makes a case a repeat of another of the same process, subject and object. An
    entry of a register with a fact identity: the fact it records (`facts.identity`, B-23:
    person, kind and counting year, whatever dates were typed). Any other case: its named
    dates (those with a value), its person (spaces and letter case aside) and its fields.
    None: no named date, never a repeat. `duplicate_cases`, the confirmation of a linked
    entry (`links.same_entries`) and the register import compare cases by it."""
    if defn is not None and facts.rule_of(defn) is not None:
        fact = facts.identity(defn, person, fields, dates)
        return ("fact", fact) if fact is not None else None
    given = tuple(sorted((k, str(v)) for k, v in (dates or {}).items() if v))
    if not given:
        return None
    return given, _same_person(person), audit.canonical(fields or {})


def cancelled_states(defn: Definition) -> set[str]:
    """The states a terminal event leads to: a case in one is repeated by no other."""
    return {e.dest for e in defn.events.values() if e.terminal and e.dest}


@dataclass(frozen=True)
class Repeats:
    """The cases a new one would repeat: those whose person the caller sees (`shown`: the
    duplicate rule names them) and the others (`hidden`: never named to her)."""

    shown: list[int]
    hidden: list[int]


POSSIBLE_REPEAT = "possible_repeat_of"  # the `case.open` payload's ids of hidden repeats


def repeats(s: Session, ctx: Context, process: str, subject_code: str,
            object_code: str | None = None, person: str | None = None,
            position: str | None = None, fields: dict[str, str] | None = None,
            dates: dict[str, date] | None = None, reason: str | None = None) -> Repeats:
    """The cases a new one would repeat: of the same process, subject and object,
    about the same person (spaces and letter case aside), with the same named dates and the
    same fields (two gifts of one person on one day, one reported by the person and one
    found, are two cases); a case with no named date is never a repeat; neither withdrawn
    nor cancelled. Some the caller sees: refused naming the first
    (`rule.duplicate_case`, with its number for a link) unless `reason` confirms it; the
    caller adds the ids and the reason to the audit record of the opened case. Read under
    the writers' lock (two officers opening the same notice at once cannot both pass it).

    No oracle on a protected person: a case whose person the caller may not see
    (`Context.shows_person`: a whistleblower's, seen by its responsible officer alone) is
    neither named nor a reason to refuse, so the answer to a guessed name is the same whether
    or not it matches. The new case is opened as any other; its audit record names the hidden
    ones (`possible_repeat_of`), and each of them shows it as a possible repeat to those who
    see its person (`possible_repeats`), its responsible officer deciding what to do."""
    if reason is not None and (not reason.strip() or len(reason) > MAX_TEXT
                               or "\x00" in reason):
        raise UsageError("the duplicate reason must be 1-500 characters",
                         key="error.bad_duplicate_reason", limit=MAX_TEXT)
    defn = ctx.registry.get(process)
    subject = get_org(s, subject_code)
    obj = get_org(s, object_code) if object_code else None
    opening = check_opening(ctx, defn, obj, person, position, fields, dates)
    key = repeat_key({k: v.isoformat() for k, v in opening.dates.items()}, opening.person,
                     opening.values, defn)
    if key is None:  # no date to compare (a register's entry without one): never a repeat
        return Repeats([], [])
    cancelled = cancelled_states(defn)
    audit.serialise(s)
    parties = [c for c in case_queries.same_parties(s, defn.key, subject.id,
                                                    obj.id if obj else None)
               if c.id is not None and c.state not in cancelled]
    same = [c for c in parties if repeat_key(c.dates, c.person_name, c.fields, defn) == key]
    shown = [int(c.id or 0) for c in same if ctx.shows_person(c, defn)]
    if shown and not reason:
        raise RuleViolation(f"repeats case #{shown[0]}", key="rule.duplicate_case",
                            id=shown[0], process=defn.key, subject=subject.code)
    # a probable repeat (B-26: the name differs by initials, word order, a missing
    # patronymic or Kazakh letters): shown beside the standing entry the same way
    given = {k: v.isoformat() for k, v in opening.dates.items()}
    exact = {c.id for c in same}
    likely = [c for c in parties if c.id not in exact
              and facts.probable(defn, opening.person, opening.values, given, c)]
    seen = [c for c in likely if ctx.shows_person(c, defn)]
    if seen and not reason:
        raise probable_refusal(seen[0], defn.key, subject.code)
    shown += [int(c.id or 0) for c in seen]
    return Repeats(shown, [int(c.id or 0) for c in [*same, *likely]
                           if int(c.id or 0) not in shown])


class Named(Protocol):
    """What a refusal names of a standing entry: a case, or an import's `_Standing`."""

    @property
    def id(self) -> int | None: ...

    @property
    def person_name(self) -> str | None: ...


def probable_refusal(entry: Named, process: str, subject: str) -> RuleViolation:
    """`rule.probable_repeat`: the standing entry a new one probably repeats (B-26), named
    with its person as written, to be opened and linked or confirmed with a reason."""
    return RuleViolation(f"probably repeats case #{entry.id} ({entry.person_name})",
                         key="rule.probable_repeat", id=entry.id, process=process,
                         subject=subject, person=entry.person_name or "")


def duplicate_cases(s: Session, ctx: Context, process: str, subject_code: str,
                    object_code: str | None = None, person: str | None = None,
                    position: str | None = None, fields: dict[str, str] | None = None,
                    dates: dict[str, date] | None = None, reason: str | None = None,
                    ) -> list[int]:
    """The cases a new one would repeat that the caller may name (`repeats`): refused
    naming the first unless `reason` confirms it."""
    return repeats(s, ctx, process, subject_code, object_code, person, position, fields,
                   dates, reason).shown


def possible_repeats(s: Session, ctx: Context, case: Case) -> list[int]:
    """The cases opened later as repeats of `case` by someone who could not see its person
    (their `case.open` audit record names it, `repeats`), for those who see its person (none
    for anyone else): put before its responsible officer, who decides. Withdrawn and
    cancelled cases are left out."""
    defn = definition_of(s, ctx, case)
    if defn.parties.person == "none" or not ctx.shows_person(case, defn):
        return []
    key = repeat_key(case.dates, case.person_name, case.fields, defn)
    if key is None or case.withdrawn_at is not None:
        return []
    cancelled = cancelled_states(defn)
    later = [c.id for c in case_queries.same_parties(s, case.process, case.subject_id,
                                                     case.object_id)
             if c.id is not None and c.id > (case.id or 0) and c.state not in cancelled
             and (repeat_key(c.dates, c.person_name, c.fields, defn) == key
                  or facts.probable(defn, case.person_name, case.fields, case.dates, c))]
    out = []
    for other in later:
        for record in trail_of(s, "case", str(other), ("case.open",)):
            try:
                named = json.loads(record.payload).get(POSSIBLE_REPEAT) or []
            except (ValueError, AttributeError):
                named = []
            if case.id in named:
                out.append(other)
                break
    return out
