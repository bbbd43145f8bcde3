"""A register file imported in bulk: checked whole first, then written in short batches
(`merzim case import`; docs/imports.md, "Register imports").

1. **Check (reads only).** The organisations, the responsible officers, each subject's first
   active officer and the cases a row could repeat (those of the same process and subjects)
   are read in a few queries for the whole file. Each row then goes through the checks
   `open_checked`, `open_case` and `record_event` run, by the same functions
   (`check_opening`, `repeat_key`, `check_responsible`, `check_record`), and its stages
   through the same planner (`bulk.first_plan`). Every refused row is named; nothing has
   been written.
2. **Write, `BATCH` rows per transaction.** Each batch takes the writers' lock, reads again
   what its rows depend on — of the cases, only those another writer opened or changed since
   the check (`_catch_up`): nothing when no one else wrote — (planning them again if another
   writer changed it), inserts its
   cases and stages in bulk and appends one piece of the audit chain (a `case.open` record
   per case, as `open_case` writes), then commits. A row naming an event has it recorded by
   `record_event`, the one path of every record, in its batch. Other writers wait for one
   batch, not for the file.
3. **All or nothing.** A file of more than one batch is an import with an id
   (`case.import.start` in the audit log, with the file's digest). Each batch notes the
   range of case ids it wrote in `import_pending` (`ImportPending`, a row or two a batch):
   until the import's last batch commits, every list, count, export, feed, score, reminder,
   search and duplicate check leaves those cases and their stages out
   (`queries.live_case`, `queries.standing`), as it leaves out a withdrawn case. The last
   batch deletes the import's rows and appends `case.import.done`: the cases and stages stay
   as they were inserted, never written a second time (the stages of a programme the import
   made are inserted held, `HELD`, and given back: a few rows). An import interrupted
   between batches is finished with `resume` (the same file, checked again) or withdrawn
   with `rollback`.
4. **One writer.** While an import writes, it holds a lease (the `lease` table, renewed in
   every batch's transaction, `LEASE_SECONDS` long; given up when it ends, fails or stops):
   a resume or a roll-back is refused while another holds it, on any node, and a batch
   whose import another has taken over, resumed or rolled back meanwhile writes nothing. A
   writer that died leaves its lease to expire: then the import can be resumed or rolled back.

A definition whose feature opens its cases itself (the analysis: its opener plans it) is
imported the same way when that feature offers a planner of whole files (`hooks.bulk_opener`:
the rows checked and planned without writing, then written a slice per batch, as above). A
case another case's event opens on the way (a row's event that opens a follow-up) is written
in the batch of its row, in its range and withdrawn with it. A definition whose features
open or re-plan its cases themselves without such a planner is imported row by row in one
transaction (`registers.import_cases`). A recurring obligation's sheet of done work (an office
that joined mid-year, B-25) opens nothing: its rows are recorded on the periods already opened
(`workflow/imports/done_work.py`), in these batches, with the same lease, progress, resume and
roll-back; each of its batches notes the records it made (`RECORDED`, the import's cases being
the back-filled ones, never hidden), a resume goes on after them and a roll-back voids them.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any, NamedTuple, cast

from sqlalchemy import delete, func, update
from sqlalchemy import select as rows_of
from sqlmodel import Session, col, select

from calendars.errors import CalendarError
from workflow.core import deadlines
from workflow.core.dates import parse_day
from workflow.core.deadlines import Facts, Record, StagePlan, without_dues
from workflow.core.definition import BUILTIN_EVIDENCE, Definition
from workflow.core.errors import MerzimError, NotFound, RuleViolation, UsageError
from workflow.core.facts import probable_keys, probable_person
from workflow.core.machine import clean_evidence
from workflow.imports import cells as import_cells
from workflow.imports import done_work
from workflow.services import bulk, facts, hooks
from workflow.services.bulk import RowRefused, chunks, first_plan, new_ids, stage_tuples
from workflow.services.case_opening import POSSIBLE_REPEAT, probable_refusal
from workflow.services.cases import (
    Opening,
    cancelled_states,
    case_row,
    check_opening,
    check_organisations,
    check_record,
    opened_payload,
    record_event,
    repeat_key,
    responsible_among,
    switched_off,
)
from workflow.services.context import Context
from workflow.services.processes import keep_version
from workflow.services.recording import void_record
from workflow.services.registers import Cells, Imported, cell_text, check_columns, row_cells
from workflow.storage import audit
from workflow.storage.bulkinsert import insert_rows
from workflow.storage.models import (
    OPEN,
    AuditRecord,
    Case,
    ImportPending,
    Lease,
    Organisation,
    Stage,
    User,
    table_of,
)
from workflow.storage.queries import cases as case_queries
from workflow.storage.queries import imports as import_queries
from workflow.storage.queries import live_case
from workflow.storage.queries.accounts import active_officer_rows

BATCH = 500  # rows per transaction
LEASE_SECONDS = 60.0  # how long a writer's lease lasts past its last batch
PENDING_AT = "0001-01-01T00:00:00+00:00"  # the mark of a case of an unfinished import
MAX_NAMED = 200  # refused rows named in one refusal (the count of the others is given)
START, DONE, ROLLBACK = "case.import.start", "case.import.done", "case.import.rollback"
RECORDED = "case.import.recorded"  # a batch of a sheet of done work: the records it made

Progress = Callable[[str, int, int], None]  # (import id, rows written, rows in the file)


def planner(ctx: Context, defn: Definition) -> Any:
    """The planner of whole files of the feature that opens this definition's cases, when it
    plans every row of them (None: no such feature, or rows it would not plan)."""
    found = hooks.bulk_opener(defn)
    return found if found is not None and found.covers(ctx, defn) else None


def in_bulk(defn: Definition, ctx: Context) -> bool:
    """Whether a register of this definition is imported in batches: no feature opens or
    re-plans its cases, or the one that opens them plans whole files."""
    if planner(ctx, defn) is not None:
        return True
    return hooks.opener(defn) is None and not hooks.listeners(defn)


class Columns:
    """A written case's columns as attributes (`Imported.case`): the batch's own row, not a
    copy (a file of 10,000 rows would hold every case twice until its page is shown)."""

    __slots__ = ("_columns",)

    def __init__(self, columns: dict[str, Any]):
        self._columns = columns

    def __getattr__(self, name: str) -> Any:
        try:
            return self._columns[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"Columns(id={self._columns.get('id')!r})"


PEOPLE = "people"  # `earlier`'s key of a subject's rows with a fact identity (B-26)


def pending_reason(import_id: str) -> str:
    return f"import {import_id} not finished"


# -- phase 1: the whole file checked ---------------------------------------------------------


class _Standing(NamedTuple):
    """A standing entry a row may probably repeat: all a refusal names of it (the kind and
    year it shares with the row are its key in `_Known.people`)."""

    id: int
    person_name: str | None


@dataclass
class _Known:
    """What the rows depend on in the database, as plain rows (compared again per batch)."""

    orgs: dict[str, Any] = field(default_factory=dict)  # code → (id, code, path, kind)
    users: dict[str, Any] = field(default_factory=dict)  # login → (id, login, organisation_id)
    officers: dict[int, Any] = field(default_factory=dict)  # subject id → first active officer
    # subject id → its repeats (each stored case's repeat key, as `_fingerprint`: 16 bytes
    # for a key of ten objects, and a subject may hold tens of thousands) → the case
    stored: dict[int, dict[bytes, int]] = field(default_factory=dict)
    # subject id → repeats whose person the importer may not see (never named: `repeats`)
    hidden: dict[int, dict[bytes, list[int]]] = field(default_factory=dict)
    # subject id → (kind and year, a key of `probable_keys`) → the standing entries of a
    # register with a fact identity whose person the importer sees, each its id and person
    # as written (`_Standing`): a row's probable repeats (B-26) among them
    people: dict[int, dict[tuple, list[_Standing]]] = field(default_factory=dict)
    # the newest case and audit record when the cases were read: a batch reads again only the
    # cases of the subjects another writer touched after them (`_catch_up`)
    case_mark: int = 0
    audit_mark: int = 0


@dataclass
class _Ready:
    """One row checked and planned, not yet written."""

    row: int
    subject: Any
    case: dict[str, Any]  # the case row's columns (`case_row`'s)
    stages: dict[str, StagePlan]
    payload: str  # the `case.open` audit payload, canonical JSON
    event: tuple[str, date, dict[str, str]] | None = None


@dataclass
class Checked:
    """A register file checked (phase 1), ready to write. Of a file opened as any case, what
    the batches need again and nothing more: the file's rows as read, what they depend on in
    the database and the plans by facts; each batch reads its rows' cells and checks and plans
    them again (`_generic_batch`), so that no more than a batch of cells, plans, case rows and
    audit payloads is ever held. Of a file the feature's planner plans, its plan."""

    defn: Definition
    known: _Known
    digest: str
    total: int  # the rows the file writes
    rows: list[dict[str, Any]] = field(default_factory=list)  # a file opened as any case
    repeats: bool = False  # whether a row can repeat a case (`_repeats_possible`)
    plans: dict = field(default_factory=dict)  # the planner's results by facts (it is pure)
    ready: list[Any] = field(default_factory=list)  # a file the feature's planner plans: its rows
    planner: Any = None  # the feature's planner of the file (`planner`), if it plans it
    planned: Any = None  # what it checked and planned
    events: dict[int, tuple[str, date, dict[str, str]]] = field(default_factory=dict)
    records: bool = False  # a sheet of done work: its rows recorded on opened periods



class FileRefused(RowRefused):
    """Refused rows of a register file, every one named ("Row N: why", one a line): nothing is
    stored. The exit code is the first one's."""

    def __init__(self, refused: list[RowRefused]):
        first = refused[0]
        super().__init__(first.row, first.error)
        self.refused = refused
        self.message = "\n".join(r.message for r in refused[:MAX_NAMED])

    def render(self, translate) -> str:
        lines = [r.render(translate) for r in self.refused[:MAX_NAMED]]
        if len(self.refused) > MAX_NAMED:
            lines.append(MerzimError(key="error.rows_more", n=len(self.refused) - MAX_NAMED)
                         .render(translate))
        return "\n".join(lines)


class ImportUnfinished(MerzimError):
    """A batch refused or failed after earlier batches of the import were written: they stay
    hidden until the import is resumed or rolled back."""

    exit_code = 1

    def __init__(self, import_id: str, process: str, written: int, total: int,
                 error: Exception, records: bool = False):
        detail = error.message if isinstance(error, MerzimError) else str(error)
        # a sheet of done work's finished batches stand recorded (on opened cases, never
        # hidden): the message says so, and what undoes them
        super().__init__(f"import {import_id} unfinished ({written}/{total} rows): {detail}",
                         key="error.import_unfinished_records" if records
                         else "error.import_unfinished", id=import_id, process=process,
                         written=written, total=total, detail=detail)
        self.error = error
        if isinstance(error, MerzimError):
            self.exit_code = error.exit_code

    def render(self, translate) -> str:
        error = self.error
        detail = error.render(translate) if isinstance(error, MerzimError) else str(error)
        return MerzimError(key=self.key, **{**self.params, "detail": detail}).render(translate)


def digest(rows: list[dict[str, Any]]) -> str:
    """The file's content as the import read it: a resumed import must be given the same.
    The SHA-256 of the rows' canonical JSON, taken a row at a time (the same bytes as the
    whole list's: `[`, the rows' own canonical JSON between commas, `]`), so that the file's
    text is never built whole."""
    h = hashlib.sha256(b"[")
    for i, row in enumerate(rows):
        if i:
            h.update(b",")
        h.update(audit.canonical(row).encode("utf-8"))
    h.update(b"]")
    return h.hexdigest()


def _repeats_possible(defn: Definition, dated: bool) -> bool:
    """Whether a row can repeat a case: one has a named date (`dated`), or a date has a
    default."""
    return dated or any(d.default is not None for d in defn.dates.values())


@dataclass
class _Names:
    """What rows name in the database: organisations' codes (subjects and objects), subjects'
    codes, logins, and whether any names a date."""

    codes: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    logins: set[str] = field(default_factory=set)
    dated: bool = False


def _names_of(defn: Definition, rows: list[dict[str, Any]]) -> _Names:
    """What rows name, read from their cells as `row_cells` reads them (only those cells: the
    database is read for the whole file before its rows are read whole)."""
    names = _Names()
    given, _ = _keys(defn)
    for row in rows:
        subject = cell_text(row, "subject")
        if subject is not None:
            names.subjects.add(subject)
            names.codes.add(subject)
        obj = cell_text(row, "object")
        if obj is not None:
            names.codes.add(obj)
        login = cell_text(row, "responsible")
        if login is not None:
            names.logins.add(login)
        if not names.dated:
            names.dated = any(cell_text(row, k) is not None for k in given)
    return names


def _read_known(s: Session, defn: Definition, names: _Names,
                ctx: Context | None = None, cases: bool = True) -> _Known:
    """The organisations, users, first officers and (`cases`) cases of the same process the
    rows name: a query per 500 of each, whatever the number of rows and the subjects' history
    (the repeats whose person the importer may not see apart, `ctx.shows_person`)."""
    known = _Known()
    if cases:  # read first: what commits after them is read again by the batches
        known.case_mark, known.audit_mark = case_queries.newest_marks(s)
    for part in chunks(sorted(names.codes)):
        for org in s.execute(rows_of(col(Organisation.id), col(Organisation.code),
                                     col(Organisation.path), col(Organisation.kind))
                             .where(col(Organisation.code).in_(part))):
            known.orgs[org.code] = org
    for part in chunks(sorted(names.logins)):
        for user in s.execute(rows_of(col(User.id), col(User.login), col(User.organisation_id))
                              .where(col(User.login).in_(part))):
            known.users[user.login] = user
    subject_ids = sorted({known.orgs[c].id for c in names.subjects if c in known.orgs})
    for part in chunks(subject_ids):
        for officer in active_officer_rows(s, part):
            known.officers.setdefault(int(officer.organisation_id or 0), SimpleNamespace(
                id=officer.id, login=officer.login, organisation_id=officer.organisation_id))
    if cases and _repeats_possible(defn, names.dated):  # (no named date: none repeats one)
        _read_cases(s, defn, subject_ids, known, ctx)
    return known


def _read_cases(s: Session, defn: Definition, subject_ids: list[int], known: _Known,
                ctx: Context | None) -> None:
    """The cases of the process of these subjects a row could repeat, into `known`."""
    cancelled = cancelled_states(defn)
    for part in chunks(subject_ids):
        for case in s.execute(rows_of(col(Case.id), col(Case.subject_id), col(Case.object_id),
                                      col(Case.dates), col(Case.person_name), col(Case.fields),
                                      col(Case.state), col(Case.responsible_id))
                           .where(col(Case.process) == defn.key, col(Case.subject_id).in_(part),
                                  live_case()).order_by(col(Case.id))):
            key = repeat_key(case.dates, case.person_name, case.fields, defn)
            if key is None or case.state in cancelled:
                continue
            mark = _fingerprint((case.subject_id, case.object_id, key))
            if ctx is None or ctx.shows_person(case, defn):
                known.stored.setdefault(case.subject_id, {}).setdefault(mark, case.id)
                if key[0] == "fact":
                    mine = known.people.setdefault(case.subject_id, {})
                    standing = _Standing(case.id, case.person_name)
                    for near in _near(defn, case.person_name, case.fields, case.dates):
                        mine.setdefault(near, []).append(standing)
            else:  # the duplicate rule's: never named to one who may not see the person
                known.hidden.setdefault(case.subject_id, {}).setdefault(mark, []).append(
                    case.id)


def _catch_up(s: Session, ctx: Context, checked: Checked) -> None:
    """Before a batch, under the writers' lock: the repeats of the subjects another writer
    touched since the last read, read again into `checked.known` (the batch checks its rows
    against them)."""
    known = checked.known
    if not checked.repeats:
        return
    subjects = {o.id for o in known.orgs.values()}
    since = case_queries.touched_subjects(s, checked.defn.key, known.case_mark,
                                          known.audit_mark, (DONE,))
    touched = sorted(subjects if since is None else subjects & since)
    if touched:
        again = _Known()
        _read_cases(s, checked.defn, touched, again, ctx)
        for i in touched:
            known.stored[i] = again.stored.get(i, {})
            known.hidden[i] = again.hidden.get(i, {})
            known.people[i] = again.people.get(i, {})


def _org(known: _Known, code: str):
    org = known.orgs.get(code)
    if org is None:
        raise NotFound(f"no organisation {code!r}", key="notfound.org", code=code)
    return org


def _check_rows(s: Session, ctx: Context, defn: Definition, cells: list[Cells],
                known: _Known, refused: list[RowRefused], keep: bool = True,
                plans: dict | None = None, earlier: dict[Any, Any] | None = None
                ) -> list[_Ready]:
    """Each row through the checks of one-by-one opening, in the same order; refused rows are
    added to `refused` (a refused row is no earlier row for the duplicate check). `keep`
    False: the rows checked, nothing built for writing them (the list is empty). `plans` (by
    facts: the planner is pure) and `earlier` (the fingerprint of a (subject, object, repeat
    key) → the row that has it) carried from the file's earlier rows, if given."""
    plans = {} if plans is None else plans
    earlier = {} if earlier is None else earlier
    cancelled = cancelled_states(defn)
    ready: list[Any] = []
    for c in cells:
        try:
            item = _check_row(s, ctx, defn, c, known, plans, earlier, cancelled, keep)
        except (MerzimError, CalendarError, ValueError) as exc:
            refused.append(RowRefused(c.row, import_cells.explained(defn, c.dates, exc)))
            continue
        if keep:
            ready.append(item)
    return ready


def _plan(ctx: Context, defn: Definition, plans: dict, facts: Facts):
    key = (tuple(sorted(facts.given.items())), facts.records)
    if key not in plans:
        plans[key] = first_plan(ctx, defn, facts)
    return plans[key]


def _near(defn: Definition, person: str | None, fields: dict[str, Any] | None,
          dates: dict[str, Any] | None) -> list[tuple]:
    """Where an entry's probable repeats are looked for (B-26): its kind and year with each of
    its name's `probable_keys` (those found share its kind and year: `probable_person` decides)."""
    rule = facts.rule_of(defn)
    counted = rule.kind_year(fields, dates) if rule is not None else None
    return [] if counted is None else [(counted, k) for k in probable_keys(person)]


def _fingerprint(parts: tuple) -> bytes:
    """A (subject, object, repeat key) as 16 bytes (BLAKE2b of its text; the key holds only
    ids and strings, so equal keys have equal texts): what a row is compared with the stored
    cases and the file's earlier rows by, held for every one of them while the file is
    checked and written (the key itself is ten objects)."""
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).digest()


def _check_row(s: Session, ctx: Context, defn: Definition, c: Cells, known: _Known,
               plans: dict, earlier: dict[Any, Any], cancelled: set[str],
               keep: bool = True) -> _Ready | None:
    # `open_checked` → `duplicate_cases`: the organisations, the definition, the repeats
    subject = _org(known, c.subject)
    obj = _org(known, c.object) if c.object else None
    opening: Opening = check_opening(ctx, defn, obj, c.person, c.position, c.fields, c.dates)
    key = repeat_key({k: v.isoformat() for k, v in opening.dates.items()}, opening.person,
                     opening.values, defn)
    mark = _fingerprint((subject.id, obj.id if obj else None, key)) if key is not None else b""
    if key is not None:
        same = known.stored.get(subject.id, {}).get(mark)
        if same is not None:
            raise RuleViolation(f"repeats case #{same}", key="rule.duplicate_case", id=same,
                                process=defn.key, subject=subject.code)
        row = earlier.get(mark)
        if row is not None:
            raise RuleViolation(f"repeats row {row}", key="rule.duplicate_register_row",
                                row=row, subject=subject.code)
        if key[0] == "fact":  # a probable repeat (B-26): named as the duplicate rule names it
            # (those found under a `_near` key share the row's kind and year: the names decide)
            nears = _near(defn, opening.person, opening.values,
                          {k: v.isoformat() for k, v in opening.dates.items()})
            stored = known.people.get(subject.id, {})
            for other in (o for near in nears for o in stored.get(near, ())):
                if probable_person(opening.person, other.person_name):
                    raise probable_refusal(other, defn.key, subject.code)
            for row, person in (o for near in nears
                                for o in earlier.get((PEOPLE, subject.id, near), ())):
                if probable_person(opening.person, person):
                    raise RuleViolation(f"probably repeats row {row}",
                                        key="rule.probable_register_row", row=row,
                                        subject=subject.code, person=person or "")
    # `open_case`: the responsible officer
    owner = responsible_among(known.users, known.officers, c.responsible, subject)
    stages, state = _plan(ctx, defn, plans, Facts(dict(opening.dates)))
    event = _check_event(s, ctx, defn, c, subject, dict(opening.dates))
    after = state if event is None else _plan(ctx, defn, plans, Facts(
        dict(opening.dates), (Record(event[0], event[1], event[2].get("period")),)))[1]
    if key is not None and after not in cancelled:
        earlier.setdefault(mark, c.row)
        if key[0] == "fact":
            # the row's number and person as read: held for every row of the file
            mine = (c.row, opening.person)
            for near in _near(defn, opening.person, opening.values,
                              {k: v.isoformat() for k, v in opening.dates.items()}):
                earlier.setdefault((PEOPLE, subject.id, near), []).append(mine)
    if not keep:  # checked: the case row and its audit payload are built when it is written
        return None
    hidden = known.hidden.get(subject.id, {}).get(mark) if key is not None else None
    # a repeat of one whose person the importer may not see stands beside it (B-23: a second,
    # its responsible officer deciding), never refused: that would name the person
    case = case_row(ctx, defn, opening, subject, obj, owner,
                    fact_reason=f"{POSSIBLE_REPEAT} {hidden}" if hidden else None)
    case["state"] = state
    if after in cancelled:  # an entry cancelled (its row's event) records no fact
        case["fact_key"] = None
    return _Ready(c.row, subject, case,
                  without_dues(stages, switched_off(ctx, defn, subject.code)),  # I-17
                  audit.canonical(opened_payload(defn, opening, subject, obj, None,
                                                 {POSSIBLE_REPEAT: hidden} if hidden else None)),
                  event)


def _check_event(s: Session, ctx: Context, defn: Definition, c: Cells, subject: Any,
                 dates: dict[str, date]) -> tuple[str, date, dict[str, str]] | None:
    """`registers._one` → `record_event`: the row's event on the new case (of named dates
    `dates`), checked as `record_event` checks it; None when the row names none."""
    if c.event is None:
        if c.evidence or c.on:
            raise UsageError("evidence without an event", key="error.row_evidence_no_event")
        return None
    if c.on is None:
        raise UsageError("event without a date", key="error.row_event_no_date",
                         event=c.event)
    on = parse_day(c.on, "on")
    evidence = clean_evidence(dict(c.evidence))
    try:  # named in the reader's words, as `record_event`'s refusals are
        check_record(ctx, defn, None, Facts(dates), ctx.kind_for(defn.key, subject), c.event,
                     on, evidence)
        if any(spec.type == "organisation" for k, spec in defn.evidence.items()
               if k in evidence):
            check_organisations(s, defn, subject, evidence)  # (a read per such row)
    except MerzimError as exc:
        raise defn.name_keys(exc) from None
    return (c.event, on, dict(c.evidence))  # recorded by `record_event`, as given


def _check_planned(s: Session, ctx: Context, defn: Definition, found: Any, cells: list[Cells],
                   refused: list[RowRefused]) -> tuple[Any, dict[int, tuple]]:
    """The rows planned by the feature's planner `found`, and their events checked (by row)."""
    planned = found.check(s, ctx, defn, cells, refused)
    by_row = {c.row: c for c in cells}
    events: dict[int, tuple] = {}
    for item in planned.ready:
        c = by_row[item.row.row]
        dates = {k: date.fromisoformat(v) for k, v in (item.case.get("dates") or {}).items()
                 if v}
        try:
            event = _check_event(s, ctx, defn, c, item.subject, dates)
        except (MerzimError, CalendarError, ValueError) as exc:
            refused.append(RowRefused(c.row, import_cells.explained(defn, dates, exc)))
            continue
        if event is not None:
            events[c.row] = event
    return planned, events


def _keys(defn: Definition) -> tuple[list[str], list[str]]:
    """The dates a row may give and the evidence it may carry (`row_cells`'s)."""
    given = [k for k, d in defn.dates.items() if d.given != "none"]
    return given, list(dict.fromkeys((*BUILTIN_EVIDENCE, *defn.evidence)))


def _cells(defn: Definition, rows: list[dict[str, Any]], first: int,
           refused: list[RowRefused]) -> list[Cells]:
    """The cells of `rows` (the first the file's row `first`, numbered as `check_file`
    numbers them); a row whose cells cannot be read is added to `refused`."""
    given, evidence_keys = _keys(defn)
    out: list[Cells] = []
    for i, row in enumerate(rows, start=first):
        n = int(row.get("_row", i))
        try:
            out.append(row_cells(defn, row, n, given, evidence_keys))
        except (MerzimError, ValueError) as exc:
            refused.append(RowRefused(n, exc))
    return out


def check_file(s: Session, ctx: Context, process: str, rows: list[dict[str, Any]],
               recorded: list[int] | None = None) -> Checked:
    """Phase 1: read, check and plan every row; refused rows raise `FileRefused` naming each
    of them. Reads only. Of a file opened as any case, what its rows name is read first, then
    its rows are checked `BATCH` at a time, and no row's cells or plan is kept: its batches
    read and check them again when they are written. A file a feature's planner plans
    is planned whole, as that planner keeps it; so is a sheet of done work (`recorded`: the
    records its unfinished import has made, when it is resumed)."""
    defn = ctx.registry.get(process)
    if rows:
        check_columns(defn, list(rows[0]))
    refused: list[RowRefused] = []
    # a recurring obligation's sheet of done work: its rows recorded on the opened periods
    found = (done_work.Recorder(frozenset(recorded or ())) if done_work.applies(s, defn, rows)
             else planner(ctx, defn))
    if found is not None:
        cells = _cells(defn, rows, 2, refused)
        planned, events = _check_planned(s, ctx, defn, found, cells, refused)
        if refused:
            raise FileRefused(sorted(refused, key=lambda r: r.row))
        return Checked(defn, _Known(), digest(rows), len(planned.ready), ready=planned.ready,
                       planner=found, planned=planned, events=events,
                       records=isinstance(found, done_work.Recorder))
    names = _names_of(defn, rows)
    known = _read_known(s, defn, names, ctx)
    plans: dict[tuple, Any] = {}
    earlier: dict[Any, Any] = {}
    for start in range(0, len(rows), BATCH):
        cells = _cells(defn, rows[start:start + BATCH], 2 + start, refused)
        _check_rows(s, ctx, defn, cells, known, refused, False, plans, earlier)
    if refused:
        raise FileRefused(sorted(refused, key=lambda r: r.row))
    return Checked(defn, known, digest(rows), len(rows), rows=rows,
                   repeats=_repeats_possible(defn, names.dated), plans=plans)


# -- phase 2: batches ---------------------------------------------------------------------------


def _unhold(s: Session, ids: list[int]) -> None:
    """The held stages of the cases `ids` (an earlier version's import held them) and of their
    programmes (a programme an import made is inserted held) given back."""
    for part in chunks(ids, BATCH):
        _give_back(s, col(Stage.case_id).in_(part))
        _give_back(s, col(Stage.programme_id).in_(
            rows_of(col(Case.programme_id)).where(col(Case.id).in_(part),
                                                  col(Case.programme_id).is_not(None))))


def _lift(s: Session, import_id: str, low: int) -> None:
    """The mark of every case of the import lifted and their stages (and their programmes')
    given back (an import an earlier version wrote marked): a statement each, by the
    import's mark over the cases from `low` on, whatever the number of rows."""
    ours = (col(Case.id) >= low, col(Case.withdrawn_at) == PENDING_AT,
            col(Case.withdrawn_reason) == pending_reason(import_id))
    _give_back(s, col(Stage.case_id).in_(rows_of(col(Case.id)).where(*ours)))
    _give_back(s, col(Stage.programme_id).in_(rows_of(col(Case.programme_id)).where(
        *ours, col(Case.programme_id).is_not(None))))
    s.execute(update(Case).where(*ours).values(withdrawn_at=None, withdrawn_by=None,
                                               withdrawn_reason=None))


def _note(s: Session, import_id: str, ids: list[int]) -> None:
    """The cases `ids` a batch wrote noted as the unfinished import's: a row per run of
    consecutive ids (one, unless another writer took ids of the sequence meanwhile)."""
    runs: list[list[int]] = []
    for i in sorted(ids):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    insert_rows(s.connection(), table_of(ImportPending), ("import_id", "low", "high"),
                [(import_id, low, high) for low, high in runs])


def _ours(import_id: str) -> Any:
    """The ids of the cases the import `import_id` has written (SELECT), by its ranges."""
    return (rows_of(col(Case.id)).join(ImportPending, (col(Case.id) >= col(ImportPending.low))
                                       & (col(Case.id) <= col(ImportPending.high)))
            .where(col(ImportPending.import_id) == import_id))


def _end(s: Session, import_id: str, legacy: bool) -> None:
    """The import ended: the stages of the programmes it made given back, its ranges deleted
    (its cases and stages written once, as inserted); `legacy`: cases an earlier version
    wrote marked are lifted (`_lift`)."""
    _give_back(s, col(Stage.programme_id).in_(_ours(import_id).with_only_columns(
        col(Case.programme_id)).where(col(Case.programme_id).is_not(None))))
    s.execute(delete(ImportPending).where(col(ImportPending.import_id) == import_id))
    if legacy:
        _lift(s, import_id, 0)


HELD = "~"  # before a stage's status while its import is unfinished


def _is_held() -> Any:
    """A stage held: its status's first character, not a prefix match (`LIKE '~%'`), so that
    PostgreSQL finds the stages by their case (`uq_stage_case_key`), not by ranging over every
    held stage of the status index for each case (minutes for an import's 150,000 stages)."""
    return func.substr(col(Stage.status), 1, len(HELD)) == HELD


def _give_back(s: Session, where: Any) -> None:
    s.execute(update(Stage).where(where, _is_held())
              .values(status=func.substr(col(Stage.status), len(HELD) + 1)))


def _planned_batch(s: Session, ctx: Context, checked: Checked, start: int, stop: int,
                   written: list[int], head: list[tuple], tail: list[tuple],
                   import_id: str | None, recorded: list[int]) -> list[Imported]:
    """Rows [start, stop) of a file the feature's planner plans, written by it (`import_id`:
    the stages of the programmes it makes inserted held, `held_programmes`); their events
    recorded by `record_event` (the records' ids added to `recorded`)."""
    hold = import_id is not None
    try:
        events = {item.row.row for item in checked.ready[start:stop]
                  if item.row.row in checked.events}
        cases = checked.planner.write(s, ctx, checked.planned, start, stop, written, head,
                                      tail, held_programmes if hold else None, events)
    except RowRefused as exc:
        raise FileRefused(list(getattr(exc, "refused", [exc]))) from None  # every one named
    done = []
    for item, case in zip(checked.ready[start:stop], cases, strict=True):
        event = checked.events.get(item.row.row)
        if event is not None:
            recorded.append(int(record_event(s, ctx, case["id"], event[0], event[1],
                                             dict(event[2])).id))
        done.append(Imported(item.row.row, Columns(case), list(item.warnings),
                             event[0] if event is not None else None))
    return done


def _batch(s: Session, ctx: Context, checked: Checked, start: int, stop: int,
           import_id: str | None, head: list[tuple], tail: list[tuple],
           written: list[int] | None = None) -> list[Imported]:
    """Rows [start, stop) written in the session's transaction, under the writers' lock; the
    cases they open (and any another case's event opens on the way) noted as the import
    `import_id`'s, if any (`_note`)."""
    defn = checked.defn
    audit.serialise(s)
    keep_version(s, ctx, defn)  # refused before the batch writes anything
    hold = import_id is not None
    newest = case_queries.newest_marks(s)[0] if hold and checked.records else None
    recorded: list[int] = []
    if checked.planner is not None:
        done = _planned_batch(s, ctx, checked, start, stop, written or [], head, tail,
                              import_id, recorded)
    else:
        done = _generic_batch(s, ctx, checked, start, stop, head, tail, import_id)
    if hold and checked.records:  # a sheet of done work: the cases its events opened noted
        # as the import's (hidden until it ends, withdrawn if rolled back) and its records
        _note(s, import_id or "", _followed(s, defn, done, newest))
        audit.append(s, ctx.actor, RECORDED, "import", import_id or "",
                     {"process": defn.key, "rows": [start, stop], "records": recorded})
    elif hold:  # the cases written, and those their events opened, noted as the import's
        _note(s, import_id or "", [*(cast(int, d.case.id) for d in done),
                                   *_followed(s, defn, done)])
    return done


def _followed(s: Session, defn: Definition, done: list[Imported],
              after: int | None = None) -> list[int]:
    """The cases the rows' events opened in this transaction (a follow-up of another process,
    opened after the rows' own cases were inserted: a larger id, or one above `after`, the
    newest case before the batch; the writers' lock is held, so no other writer's case is
    seen meanwhile)."""
    processes = {e.opens_case[0] for e in defn.events.values() if e.opens_case}
    if not processes or not any(d.recorded for d in done):
        return []
    low = after if after is not None else max(cast(int, d.case.id) for d in done)
    return [int(i) for i in s.execute(rows_of(col(Case.id)).where(
        col(Case.id) > low, col(Case.process).in_(sorted(processes)),
        col(Case.withdrawn_at).is_(None)).order_by(col(Case.id))).scalars()]


def held(stages: list[tuple]) -> list[tuple]:
    """Stage rows (`bulk.STAGE_COLUMNS` order) inserted held (`HELD` before the status)."""
    at = bulk.STAGE_COLUMNS.index("status")
    return [(*row[:at], HELD + row[at], *row[at + 1:]) for row in stages]


def held_programmes(stages: list[tuple]) -> list[tuple]:
    """Stage rows inserted by an unfinished import: those of a programme (no case) held, given
    back when it ends (`_end`); a case's as they are (its range hides them)."""
    case = bulk.STAGE_COLUMNS.index("case_id")
    return [row if row[case] is not None else held([row])[0] for row in stages]


def _generic_batch(s: Session, ctx: Context, checked: Checked, start: int, stop: int,
                   head: list[tuple], tail: list[tuple], import_id: str | None = None
                   ) -> list[Imported]:
    """Rows [start, stop) of a file of a definition opened as any case (an import's, when
    `import_id`: written as any, its batch notes their range, `_batch`)."""
    defn = checked.defn
    refused: list[RowRefused] = []
    cells = _cells(defn, checked.rows[start:stop], 2 + start, refused)
    _catch_up(s, ctx, checked)  # the repeats another writer changed since: nothing else
    # the rows checked and planned again, against what they depend on now (the file's own
    # repeats were refused whole in phase 1; the earlier batches' cases are no repeats)
    fresh = _read_known(s, defn, _names_of(defn, checked.rows[start:stop]), ctx, cases=False)
    ready = _check_rows(s, ctx, defn, cells, _merge(checked.known, fresh), refused,
                        plans=checked.plans)
    if refused:
        raise FileRefused(sorted(refused, key=lambda r: r.row))
    case_ids = new_ids(s, Case, len(ready))
    stage_rows: list[tuple] = []
    for item, case_id in zip(ready, case_ids, strict=True):
        item.case["id"] = case_id
        stage_rows += stage_tuples(case_id, item.subject, item.stages.values())
    insert_rows(s.connection(), table_of(Case), bulk.CASE_COLUMNS,
                [tuple(item.case.get(c) for c in bulk.CASE_COLUMNS) for item in ready])
    insert_rows(s.connection(), table_of(Stage), bulk.STAGE_COLUMNS, stage_rows)
    audit.append_many(s, ctx.actor, [*head, *(("case.open", "case", item.case["id"],
                                               item.payload) for item in ready), *tail])
    done = []
    for item in ready:
        recorded = None
        if item.event is not None:
            event, on, evidence = item.event
            record_event(s, ctx, item.case["id"], event, on, evidence)
            recorded = event
        done.append(Imported(item.row, Columns(item.case), [], recorded))
    # what this batch wrote is no other writer's: the next batch reads only what comes after
    checked.known.case_mark, checked.known.audit_mark = case_queries.newest_marks(s)
    return done


def _merge(old: _Known, new: _Known) -> _Known:
    """Phase 1's facts (their repeats as caught up since) with those read again for a
    batch."""
    return _Known({**old.orgs, **new.orgs}, {**old.users, **new.users},
                  {**old.officers, **new.officers}, old.stored, old.hidden, old.people)


def _lease(import_id: str) -> str:
    return f"import:{import_id}"


def writing(s: Session, import_id: str, holder: str | None = None) -> bool:
    """Whether a writer other than `holder` holds the import's lease (is writing it now)."""
    lease = s.get(Lease, _lease(import_id))
    return lease is not None and lease.holder != holder and lease.expires_at > time.time()


def busy(import_id: str) -> UsageError:
    return UsageError(f"import {import_id} is still being written", key="error.import_writing",
                      id=import_id)


def _take(s: Session, import_id: str, holder: str) -> None:
    """The import's lease held by `holder` for `LEASE_SECONDS` more, in the batch's
    transaction (under the writers' lock); refused while another writer holds it."""
    if writing(s, import_id, holder):
        raise busy(import_id)
    lease = s.get(Lease, _lease(import_id))
    if lease is None:
        s.add(Lease(name=_lease(import_id), holder=holder,
                    expires_at=time.time() + LEASE_SECONDS))
    else:
        lease.holder, lease.expires_at = holder, time.time() + LEASE_SECONDS
        s.add(lease)
    s.flush()


def _let_go(s: Session, import_id: str, holder: str | None = None) -> None:
    """The import's lease given up (`holder`: only if it is still this writer's)."""
    query = delete(Lease).where(col(Lease.name) == _lease(import_id))
    if holder is not None:
        query = query.where(col(Lease.holder) == holder)
    s.execute(query)


def _stopped(s: Session, import_id: str, holder: str) -> None:
    """A writer that stops before the end gives its lease up at once (a process that dies
    leaves it to expire)."""
    try:
        s.rollback()
        _let_go(s, import_id, holder)
        s.commit()
    except Exception:  # noqa: BLE001 - the database gone too: the lease expires
        s.rollback()


def _still_ours(s: Session, import_id: str, begun: bool, holder: str) -> None:
    """Before a batch of an import with an id, under the writers' lock: the import not
    ended (rolled back meanwhile), not begun by another when this one has not, and its lease
    this writer's."""
    actions = set(s.exec(select(AuditRecord.action).where(
        AuditRecord.entity == "import", AuditRecord.entity_id == import_id)).all())
    if actions & {DONE, ROLLBACK}:
        raise UsageError(f"import {import_id} has ended", key="error.import_ended",
                         id=import_id, done=DONE in actions)
    if START in actions and not begun:
        raise UsageError("import already begun", key="import.ended", id=import_id)
    _take(s, import_id, holder)


Sink = Callable[[list[Imported]], None]  # each batch's rows as written


def write_file(s: Session, ctx: Context, checked: Checked, progress: Progress | None = None,
               import_id: str | None = None, written: list[int] | None = None,
               legacy: bool = False, sink: Sink | None = None) -> list[Imported]:
    """Phase 2: the checked rows written `BATCH` at a time, each batch committed. A file of
    one batch is one transaction; a longer one is an import with an id whose cases stay
    hidden (`import_pending`) until its last batch commits (`import_id`, `written`: a
    resumed import's, and the ids of the cases it has written; `legacy`: some of them marked
    by an earlier version). Returns the rows written; with a `sink`, each batch's are handed
    to it instead and none is kept (the web keeps their ids only)."""
    total = checked.total
    written = list(written or [])
    start = len(written)
    one = import_id is None and total <= BATCH
    if not one and import_id is None:
        import_id = uuid.uuid4().hex[:12]
    if total == 0:
        return []
    out: list[Imported] = []
    begun = start > 0
    sqlite = s.get_bind().dialect.name == "sqlite"
    holder = uuid.uuid4().hex
    s.commit()  # phase 1's reads end; each batch is a transaction of its own
    finished = one
    try:
        out = _write_batches(s, ctx, checked, progress, None if one else import_id, written,
                             start, begun, holder, out, sqlite, legacy, sink)
        finished = True
        return out
    finally:
        if not finished:  # failed, or stopped: its lease given up
            _stopped(s, import_id or "", holder)


def _write_batches(s: Session, ctx: Context, checked: Checked, progress: Progress | None,
                   import_id: str | None, written: list[int], start: int, begun: bool,
                   holder: str, out: list[Imported], sqlite: bool, legacy: bool = False,
                   sink: Sink | None = None) -> list[Imported]:
    """`write_file`'s batches, from row `start` on (`out`: the rows written, as they are;
    handed to `sink` instead, if given)."""
    total = checked.total
    one = import_id is None
    defn = checked.defn
    while start < total:
        stop = min(start + BATCH, total)
        last = stop >= total
        head = [] if begun else [(START, "import", import_id or "", audit.canonical(
            {"process": defn.key, "version": defn.version, "rows": total,
             "digest": checked.digest, "batch": BATCH,
             **({"records": True} if checked.records else {})}))]
        tail = [(DONE, "import", import_id or "", audit.canonical(
            {"process": defn.key, "rows": total}))] if last else []
        if one:
            head, tail = [], []
        try:
            held = time.perf_counter()
            if not one:
                audit.serialise(s)
                _still_ours(s, import_id or "", begun, holder)
            done = _batch(s, ctx, checked, start, stop, None if one else import_id, head, tail,
                          written)
            if last and not one:
                _end(s, import_id or "", legacy)
                _let_go(s, import_id or "")
            s.commit()
            held = time.perf_counter() - held
        except Exception as exc:
            s.rollback()
            if not begun or one:
                raise
            raise ImportUnfinished(import_id or "", defn.key, start, total, exc,
                                   records=checked.records) from exc
        begun = True
        written += [cast(int, d.case.id) for d in done]
        if sink is not None:
            sink(done)
        else:
            out += done
        del done
        start = stop
        if progress is not None:
            progress(import_id or "", start, total)
        if start < total and sqlite:
            # SQLite's busy handler wakes a waiting writer at intervals of up to 100 ms: a
            # pause as long as the batch held the lock (at most 0.1 s) lets it in, or the
            # next batch would take the lock again first. PostgreSQL queues the lock's
            # waiters in order: no pause.
            time.sleep(min(max(held, 0.005), 0.1))
    return out


def import_file(s: Session, ctx: Context, process: str, rows: list[dict[str, Any]],
                progress: Progress | None = None) -> list[Imported]:
    """A register file imported: checked whole, then written in batches (or, for a definition
    whose features open or re-plan its cases, row by row in one transaction)."""
    from workflow.services import registers

    defn = ctx.registry.get(process)
    if not in_bulk(defn, ctx):
        out = registers.import_cases(s, ctx, process, rows)
        if progress is not None:
            progress("", len(out), len(out))
        return out
    return write_file(s, ctx, check_file(s, ctx, process, rows), progress)


# -- an unfinished import: resumed or rolled back --------------------------------------------


def _start_of(s: Session, import_id: str) -> dict[str, Any]:
    """The start record's payload of an unfinished import (refused: unknown, finished)."""
    import json

    found = s.exec(select(AuditRecord.action, AuditRecord.payload)
                   .where(AuditRecord.entity == "import", AuditRecord.entity_id == import_id)
                   .order_by(col(AuditRecord.id))).all()
    start = next((json.loads(p) for a, p in found if a == START), None)
    if start is None:
        raise NotFound(f"no import {import_id!r}", key="notfound.import", id=import_id)
    ended = next((a for a, _ in found if a in (DONE, ROLLBACK)), None)
    if ended is not None:
        raise UsageError(f"import {import_id} is {ended}", key="error.import_ended",
                         id=import_id, done=ended == DONE)
    return start


def pending_ids(s: Session, import_id: str, process: str | None = None) -> list[int]:
    """The cases an unfinished import has written, in row order (of `process` only: its
    rows' own, not the follow-ups their events opened)."""
    ours = _ours(import_id)
    if process is not None:
        ours = ours.where(col(Case.process) == process)
    return sorted({*(int(i) for i in s.execute(ours).scalars()),
                   *_legacy_ids(s, import_id, process)})


def written_ids(import_id: str) -> Any:
    """The ids of the cases an unfinished import has written (a SELECT: by its ranges, and
    those an earlier version marked)."""
    return _ours(import_id).union(rows_of(col(Case.id)).where(
        col(Case.withdrawn_at) == PENDING_AT,
        col(Case.withdrawn_reason) == pending_reason(import_id)))


def written_count(s: Session, import_id: str) -> int:
    """How many cases an unfinished import has written: its ranges' lengths (and the cases
    an earlier version marked)."""
    ranged = s.execute(rows_of(func.coalesce(func.sum(
        col(ImportPending.high) - col(ImportPending.low) + 1), 0)).where(
        col(ImportPending.import_id) == import_id)).scalar_one()
    marked = s.execute(rows_of(func.count()).select_from(Case).where(
        col(Case.withdrawn_at) == PENDING_AT,
        col(Case.withdrawn_reason) == pending_reason(import_id))).scalar_one()
    recorded = recorded_ids(s, import_id)  # a sheet of done work: its rows are its records
    return len(recorded) if recorded else int(ranged) + int(marked)


def recorded_ids(s: Session, import_id: str) -> list[int]:
    """The records an unfinished sheet of done work has made, in row order (its batches'
    `RECORDED` records)."""
    return [int(i) for p in import_queries.import_payloads(s, import_id, RECORDED)
            for i in p["records"]]


def _legacy_ids(s: Session, import_id: str, process: str | None = None) -> list[int]:
    """The cases of the import an earlier version wrote marked (`PENDING_AT`, the reason
    naming the import) rather than noting their range."""
    query = rows_of(col(Case.id)).where(col(Case.withdrawn_at) == PENDING_AT,
                                        col(Case.withdrawn_reason) == pending_reason(import_id))
    if process is not None:
        query = query.where(col(Case.process) == process)
    return [int(i) for i in s.execute(query.order_by(col(Case.id))).scalars()]


def resume(s: Session, ctx: Context, process: str, rows: list[dict[str, Any]], import_id: str,
           progress: Progress | None = None, sink: Sink | None = None) -> list[Imported]:
    """Finish an interrupted import from the same file: checked whole again (its written
    rows are hidden, so they repeat nothing), then the rows after the last written batch."""
    start = _start_of(s, import_id)
    if start["process"] != process:
        raise UsageError("another register's import", key="error.import_other_process",
                         id=import_id, process=start["process"])
    if writing(s, import_id):
        raise busy(import_id)  # (checked again under the lock, batch by batch)
    records = bool(start.get("records"))
    recorded = recorded_ids(s, import_id) if records else None
    checked = check_file(s, ctx, process, rows, recorded)
    if checked.digest != start["digest"] or checked.records != records:
        raise UsageError("not the file of this import", key="error.import_other_file",
                         id=import_id)
    # where it stopped: the cases it opened, or (a sheet of done work) the records it made
    written = recorded if recorded is not None else pending_ids(s, import_id, process)
    return write_file(s, ctx, checked, progress, import_id, written,
                      legacy=bool(_legacy_ids(s, import_id)), sink=sink)


def roll_back(s: Session, ctx: Context, process: str, import_id: str) -> int:
    """Withdraw every case an unfinished import has written, as `withdraw_case` withdraws
    one (open stages not applicable, a `case.withdraw` record each), and close the import;
    one transaction. Returns how many were withdrawn. Of a sheet of done work, the records
    it made are voided instead, as `void_record` voids one, newest first (the cases its
    events opened withdrawn as above): returns how many records were voided."""
    audit.serialise(s)
    start = _start_of(s, import_id)
    if start["process"] != process:
        raise UsageError("another register's import", key="error.import_other_process",
                         id=import_id, process=start["process"])
    if writing(s, import_id):
        raise busy(import_id)
    _let_go(s, import_id)
    ids = pending_ids(s, import_id)
    _end(s, import_id, False)  # its cases shown again, withdrawn below in the same transaction
    _unhold(s, ids)  # (to be closed as any withdrawn case's: the mark is replaced below)
    reason = f"import {import_id} rolled back"
    closed: dict[int, list[str]] = {}
    states: dict[int, str] = {}
    for part in chunks(ids):
        for case_id, key in s.execute(rows_of(col(Stage.case_id), col(Stage.key)).where(
                col(Stage.case_id).in_(part), col(Stage.status) == OPEN)
                .order_by(col(Stage.key))):
            closed.setdefault(case_id, []).append(key)
        states.update((i, state) for i, state in s.execute(
            rows_of(col(Case.id), col(Case.state)).where(col(Case.id).in_(part))))
        s.execute(update(Stage).where(col(Stage.case_id).in_(part), col(Stage.status) == OPEN)
                  .values(status=deadlines.NOT_APPLICABLE))
        s.execute(update(Case).where(col(Case.id).in_(part)).values(
            withdrawn_at=audit.now_iso(), withdrawn_by=ctx.actor, withdrawn_reason=reason))
    audit.append_many(s, ctx.actor, [
        ("case.withdraw", "case", i, audit.canonical(
            {"reason": reason, "process": process, "state": states.get(i),
             "stages_closed": closed.get(i, [])})) for i in ids])
    voided = 0
    if start.get("records"):
        for record, case_id in import_queries.standing_of(s, recorded_ids(s, import_id)):
            void_record(s, ctx, case_id, str(record), reason)
            voided += 1
    audit.append(s, ctx.actor, ROLLBACK, "import", import_id, {
        "process": process, "withdrawn": len(ids),
        **({"voided": voided} if start.get("records") else {})})
    return voided if start.get("records") else len(ids)
