"""The cases list's search: cases found by number, process, subject, object, person, state,
overdue stages and words, newest first; with one process chosen (a register), by its own fields
and given dates too (`FieldFilter`).

The structural filters are SQL; the words and the person are matched in Python (case-folded
the same on SQLite and PostgreSQL, in Kazakh and Russian too), and a person is matched only
where the caller may see it (`sees_person`), so that a search never tells, even by a count,
that a case is about someone its reader may not see. A register's fields and dates are matched
in Python as well (stored as JSON); a filter on a *personal* field (one that may name a person)
matches only the cases whose person the caller sees, by the same rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from workflow.core.definition import Definition
from workflow.services import joining
from workflow.services.cases import current_state
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import local_name
from workflow.services.processes import definition_of
from workflow.storage.models import Case
from workflow.storage.queries import search as queries

MAX_TERM = 200  # characters of a searched word or name


@dataclass(frozen=True)
class FieldFilter:
    """A filter on a register's own field (`source` "field") or date given at opening ("date"):
    a choice is that key (`value`), a text contains `value` (case-folded), a whole number or a
    date lies between `low` and `high` (each end optional, both included). A case without the
    value never matches."""

    source: str  # "field" | "date"
    key: str
    type: str  # text | choice | integer | date
    value: str | None = None
    low: Any = None
    high: Any = None
    personal: bool = False  # matched only where the caller sees the case's person

    def matches(self, fields: dict[str, Any], dates: dict[str, Any], person_shown: bool) -> bool:
        if self.personal and not person_shown:
            return False
        raw = (fields if self.source == "field" else dates).get(self.key)
        if raw is None or raw == "":
            return False
        if self.type == "choice":
            return str(raw) == self.value
        if self.type == "text":
            return (self.value or "").casefold() in str(raw).casefold()
        try:
            value: Any = (int(raw) if self.type == "integer" else
                          raw if isinstance(raw, date) else date.fromisoformat(str(raw)))
        except (TypeError, ValueError):
            return False
        return ((self.low is None or value >= self.low)
                and (self.high is None or value <= self.high))


@dataclass
class CaseQuery:
    """What the cases list is asked for (every filter optional; `fields` only with `process`)."""

    number: int | None = None
    process: str | None = None
    subject: str | None = None  # an organisation code: its subtree
    object: str | None = None  # an organisation code: exactly that object
    person: str | None = None
    state: str | None = None
    overdue: bool = False
    words: str | None = None
    fields: tuple[FieldFilter, ...] = ()


@dataclass
class Found:
    """One case found: what the list shows, and what the visibility rule reads (`subject_id`,
    `responsible_id`, as on a Case)."""

    id: int
    process: str
    process_version: int
    subject_id: int
    responsible_id: int | None
    subject: str
    subject_names: tuple[str, ...]
    subject_path: str
    object: str | None
    object_names: tuple[str, ...]
    period: str | None
    case_date: date
    state: str
    person_name: str | None = field(default=None, repr=False)
    person_position: str | None = field(default=None, repr=False)

    def name_of(self, names: tuple[str, ...], language: str) -> str:
        en, kk, ru = names
        return local_name(en, kk, ru, language)


def _words(text: str | None) -> list[str]:
    return [w.casefold() for w in (text or "").split()]


def _timer_sources(defn: Definition) -> tuple[str, ...]:
    """The states a time-driven transition may leave (a stored state there may be stale)."""
    return tuple({src for t in defn.timers for src in t.source})


def _state_condition(ctx: Context, state: str, process: str | None) -> Any:
    """Cases whose stored state is `state`, or may have become it by a date since stored."""
    return queries.state_condition(state, [(defn.key, _timer_sources(defn))
                                           for defn in ctx.registry.all()
                                           if not (process and defn.key != process)])


def find_cases(s: Session, ctx: Context, scope_code: str, query: CaseQuery,  # noqa: C901
               sees_person: Callable[[Found, str], bool], only_path: str | None = None,
               ) -> list[Found]:
    """Every case of the subtree of `scope_code` (or exactly the organisation at `only_path`)
    that matches `query`, newest first. `sees_person(found, visibility)`: whether the caller
    may see the person of a case (a person is searched, by name or by words, only there)."""
    if query.process:
        ctx.registry.get(query.process)  # an unknown process is refused, not an empty list
    scope = get_org(s, scope_code)
    subject = get_org(s, query.subject) if query.subject else None
    object_id = get_org(s, query.object).id if query.object else None
    person, words = _words(query.person), _words(query.words)
    # "#12" in the search box is case 12 exactly (not every number that holds a 12)
    numbers = {int(w[1:]) for w in words if w[:1] == "#" and w[1:].isdigit()}
    words = [w for w in words if not (w[:1] == "#" and w[1:].isdigit())]
    if len(numbers) > 1 or any(n >= 2**63 for n in numbers):
        return []
    rows = queries.found_rows(
        s, scope, only_path=only_path, number=query.number, process=query.process or None,
        subject=subject, object_id=object_id, person=bool(query.person),
        state=_state_condition(ctx, query.state, query.process) if query.state else None,
        overdue_on=ctx.today if query.overdue else None,
        tagged_number=numbers.pop() if numbers else None,
        ordinary=joining.ordinary(s, ctx) if query.overdue else None)
    found: list[Found] = []
    person_shown: dict[int, bool] = {}
    visibility: dict[tuple[str, int], str] = {}
    for row in rows:
        (ident, process, version, subject_id, responsible_id, code, name, name_kk, name_ru,
         path, obj_code, obj_name, obj_kk, obj_ru, period, case_date, state, person_name,
         position) = row
        item = Found(ident, process, version, subject_id, responsible_id, code,
                     (name, name_kk, name_ru), path, obj_code, (obj_name, obj_kk, obj_ru),
                     period, case_date, state, person_name, position)
        shown = False
        if person_name:
            if (process, version) not in visibility:
                defn = definition_of(s, ctx, item)  # reads .process, .process_version
                visibility[(process, version)] = (defn.parties.person_visibility
                                                  if defn.parties.person != "none" else "")
            shown = bool(visibility[(process, version)]) and sees_person(
                item, visibility[(process, version)])
        if person and not (shown and _all_in(person, [person_name, position])):
            continue
        if words and not _all_in(words, _haystack(ctx, item, shown)):
            continue
        found.append(item)
        person_shown[ident] = shown
    if query.fields and query.process:
        entries = entries_of(s, [f.id for f in found])
        found = [f for f in found if all(
            flt.matches(*entries.get(f.id, ({}, {})), person_shown[f.id])
            for flt in query.fields)]
    if query.state:
        found = [f for f in found if state_of(s, ctx, f) == query.state]
    return found


def _all_in(words: list[str], haystack: list[str | None]) -> bool:
    """Every word is part of one of the texts (case-folded)."""
    texts = [h.casefold() for h in haystack if h]
    return all(any(w in t for t in texts) for w in words)


def _haystack(ctx: Context, item: Found, person_shown: bool) -> list[str | None]:
    """What the words of the search box are looked for in: the number, the process's names
    and its stages' names (in every language: "publication" finds the cases that have that
    stage; with "overdue only", those late on it), the subject's and the object's codes and
    names, the period; the person only when shown."""
    defn = ctx.registry.loaded.get(item.process)
    names = [*defn.definition.names.values(),
             *(n for st in defn.definition.stages.values() for n in st.names.values())] \
        if defn else []
    return [str(item.id), f"#{item.id}", item.process, *names, item.subject,
            *item.subject_names, item.object, *item.object_names, item.period,
            *((item.person_name, item.person_position) if person_shown else ())]


def state_of(s: Session, ctx: Context, item: Found) -> str:
    """Today's state of a case found: the stored one, unless a time-driven transition may have
    moved it since (then replayed, without writing)."""
    defn = definition_of(s, ctx, item)
    if item.state not in _timer_sources(defn):
        return item.state
    case = s.get_one(Case, item.id)
    return current_state(s, ctx, case, defn)


def overdue_counts(s: Session, ctx: Context, ids: list[int]) -> dict[int, int]:
    """How many stages of each case are overdue today (one grouped COUNT; a stage before
    joining, B-25, is not)."""
    if not ids:
        return {}
    confirming = joining.confirming_orgs(s, ctx)
    return queries.overdue_counts(s, ids, ctx.today,
                                  joining.ordinary(s, ctx) if confirming else None)


def entries_of(s: Session, ids: list[int]) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    """Each case's typed fields and the named dates it was opened with, by id (a register's
    columns in its export), read in chunks."""
    out: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for i in range(0, len(ids), 500):
        for case_id, fields, dates in queries.fields_and_dates(s, ids[i:i + 500]):
            out[case_id] = (fields or {}, dates or {})
    return out


def stage_evidence_of(s: Session, ids: list[int], key: str) -> dict[int, dict[str, Any]]:
    """Each case's evidence of its stage `key` (a register's counted stage: its export's
    columns), by id, read in chunks; a case whose stage holds none is not named."""
    out: dict[int, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):
        for case_id, evidence in queries.stage_evidence(s, ids[i:i + 500], key):
            if evidence:
                out[case_id] = evidence
    return out
