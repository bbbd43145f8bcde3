"""The entries of the registers of some organisations for some years, read in a bounded number
of queries whatever the number of organisations: per 500 organisations one query of the cases
(each with its register's counted stage) and one of their standing records.

A recurring register's cases are read for the periods of the years asked for; the others (facts,
standing documents, certificates) whatever the day they are dated, since the year of an entry is
its register's rule (B-17), not the day it was opened or typed in. Withdrawn cases are never
read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ARRAY, Integer, Text, and_, any_, bindparam, cast, null, or_
from sqlalchemy import case as sa_case
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from workflow.core.definition import Definition
from workflow.core.register_spec import YEAR_DATE, YEAR_VALIDITY
from workflow.registers.entries import CaseRow, Entry, RecordRow, entry_of
from workflow.storage.models import EVENT, NOT_DONE_RECORD, Case, EventRecord, Stage
from workflow.storage.queries import live_case

CHUNK = 500  # organisations per IN (...) list


def registers_of(definitions: Iterable[Definition], keys: Iterable[str] | None = None
                 ) -> list[Definition]:
    """The register definitions (a `[scorecard]` naming an indicator), optionally only some."""
    wanted = set(keys) if keys is not None else None
    return [d for d in definitions if d.scorecard is not None and d.scorecard.is_register
            and (wanted is None or d.key in wanted)]


def _in(s: Session, column: Any, ids: list[int]) -> Any:
    """`column IN (ids)`; on PostgreSQL one array parameter (`= ANY(:ids)`)."""
    if s.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


def _select(*columns: Any) -> Any:
    """A SELECT of columns read as rows (not ORM objects)."""
    return sa_select(*columns)


def as_text(column: Any) -> Any:
    """A JSON column read as its text (decoded by `Decoded`, not by the driver)."""
    return cast(column, Text)


class Decoded:
    """JSON texts (`as_text` columns) decoded once per distinct text: a subtree's 100,000
    stages and records repeat a few evidences ("{}", one form's fields); the driver decoded
    each anew (with its encoding detected, in Python). What it gives is shared between the
    rows of the same text: read, never changed."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    def __call__(self, text: str | None) -> Any:
        if text is None:
            return None
        try:
            return self.seen[text]
        except KeyError:
            found = self.seen[text] = json.loads(text)  # ("null": None, kept too)
            return found


def _day(text: str | None) -> date | None:
    """The day of a wall-clock stamp: the day typed in of a row made before `typed_on`, which
    keeps merzim's today (`MERZIM_TODAY` on a demo or a rehearsal)."""
    return date.fromisoformat(text[:10]) if text else None


def _given(dates: Any) -> dict[str, date]:
    return {k: date.fromisoformat(v) for k, v in (dates or {}).items() if v}


def read_cases(s: Session, registers: Sequence[Definition], orgs: dict[int, str],
               first_year: int, last_year: int, columns_of_forms: bool = False,
               ids: Sequence[int] | None = None) -> list[CaseRow]:
    """The register cases of the organisations `orgs` (id -> code) that may count in
    `first_year` .. `last_year` (with `ids`: those cases, whatever their year), each with its
    counted stage and standing records, in the order of the organisations' chunks, then by
    id."""
    if not registers or not orgs or (ids is not None and not ids):
        return []
    recurring = [d.key for d in registers if d.recurrence is not None]
    others = [d.key for d in registers if d.recurrence is None]
    counted = {d.key: d.scorecard.counted for d in registers
               if d.scorecard is not None and d.scorecard.counted}
    # a period label starts with its year: "2026", "2026Q3", "2026H1", "2026M05"
    in_years = and_(col(Case.period) >= str(first_year), col(Case.period) < str(last_year + 1))
    which = or_(and_(col(Case.process).in_(recurring or [""]), in_years),
                col(Case.process).in_(others or [""]))
    if ids is not None:  # those cases (a page of a register's list), of any year
        which = and_(col(Case.process).in_([d.key for d in registers]), _in(s, col(Case.id),
                                                                           list(ids)))
    # the JSON columns decoded only for the registers that read them (values by role, the
    # named dates of a year rule or a validity, a form's columns): most cases are recurring
    # obligations that read neither
    forms = columns_of_forms
    with_fields = [d.key for d in registers if d.scorecard is None or d.scorecard.fields
                   or (forms and d.form is not None)]
    with_dates = [d.key for d in registers if d.scorecard is None
                  or d.scorecard.year in (YEAR_DATE, YEAR_VALIDITY)
                  or (forms and d.form is not None)]
    columns = [Case.id, Case.process, Case.process_version, Case.subject_id, Case.state,
               sa_case((col(Case.process).in_(with_fields or [""]), as_text(Case.fields))
                       ).label("fields"),
               sa_case((col(Case.process).in_(with_dates or [""]), as_text(Case.dates))
                       ).label("dates"),
               Case.period, Case.case_date, Case.created_at, Case.typed_on,
               Case.person_name, Case.person_position, Case.responsible_id]
    stage_columns = ([col(Stage.status).label("stage_status"),
                      col(Stage.due_date).label("stage_due"),
                      col(Stage.done_on).label("stage_done_on")] if counted else
                     [null().label("stage_status"), null().label("stage_due"),
                      null().label("stage_done_on")])
    conn = s.connection()
    decoded = Decoded()
    givens: dict[str, dict[str, date]] = {}  # the named dates of each text, read once

    def given(text: str | None) -> dict[str, date]:
        if text is None:
            return {}
        found = givens.get(text)
        if found is None:
            found = givens[text] = _given(decoded(text))
        return found

    ids = list(orgs)
    out: list[CaseRow] = []
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        where = (which, _in(s, col(Case.subject_id), chunk), live_case())
        query = _select(*columns, *stage_columns)
        if counted:  # the register's counted stage: one (case, key) of the unique index
            query = query.outerjoin(Stage, and_(col(Stage.case_id) == Case.id,
                                                col(Stage.key) == sa_case(counted,
                                                                          value=Case.process)))
        rows = conn.execute(query.where(*where).order_by(Case.id)).all()
        records: dict[int, list[RecordRow]] = {}
        not_done: dict[int, list[RecordRow]] = {}
        for r in conn.execute(_select(EventRecord.id, EventRecord.case_id, EventRecord.kind,
                                        EventRecord.event, EventRecord.on,
                                        as_text(EventRecord.evidence).label("evidence"),
                                        EventRecord.note,
                                        EventRecord.recorded_at, EventRecord.typed_on)
                              .join(Case, col(Case.id) == col(EventRecord.case_id))
                              .where(*where,
                                     col(EventRecord.kind).in_([EVENT, NOT_DONE_RECORD]),
                                     col(EventRecord.voided_by_id).is_(None))
                              .order_by(col(EventRecord.on),
                                                col(EventRecord.id))).all():
            evidence = dict(decoded(r.evidence) or {})
            if r.note and "note" not in evidence:
                evidence["note"] = r.note
            (records if r.kind == EVENT else not_done).setdefault(r.case_id, []).append(
                RecordRow(r.id, r.event, r.on, evidence,
                          r.typed_on or _day(r.recorded_at)))
        for c in rows:
            out.append(CaseRow(
                id=c.id, process=c.process, process_version=c.process_version, subject_id=c.subject_id,
                org=orgs[c.subject_id], state=c.state,
                fields=dict(decoded(c.fields) or {}) if c.fields is not None else {},
                given=given(c.dates), period=c.period, case_date=c.case_date,
                created_on=c.typed_on or _day(c.created_at) or c.case_date, person_name=c.person_name,
                person_position=c.person_position, stage_status=c.stage_status,
                stage_due=c.stage_due, stage_done_on=c.stage_done_on,
                records=tuple(records.get(c.id, ())), responsible_id=c.responsible_id,
                not_done=tuple(not_done.get(c.id, ()))))
    return out


def read_entries(s: Session, definitions: Iterable[Definition], orgs: dict[int, str],
                 first_year: int, last_year: int | None = None,
                 keys: Iterable[str] | None = None, columns_of_forms: bool = False
                 ) -> list[Entry]:
    """The entries of the registers (all, or those of `keys`) of the organisations `orgs`
    (id -> code) that count in any year of `first_year` .. `last_year`, in the order read;
    `columns_of_forms`: with every field and named date a report form may write (else only
    those the entries' values and years read)."""
    last_year = first_year if last_year is None else last_year
    registers = registers_of(definitions, keys)
    by_key = {d.key: d for d in registers}
    out = []
    for case in read_cases(s, registers, orgs, first_year, last_year, columns_of_forms):
        entry = entry_of(by_key[case.process], case)
        if entry is not None and (entry.counts_in(first_year) if first_year == last_year
                                  else any(entry.counts_in(y)
                                           for y in range(first_year, last_year + 1))):
            out.append(entry)
    return out


def entries_of_cases(s: Session, definitions: Iterable[Definition], cases: Sequence[Any]
                     ) -> dict[int, Entry | None]:
    """The entry each case of a register gives (a list's page of cases: each with `id`,
    `process` and `subject_id`), by id, whatever its year; None: a case left out of every
    count (cancelled, entered by mistake). In two queries."""
    by_key = {d.key: d for d in registers_of(definitions, {c.process for c in cases})}
    orgs = {c.subject_id: str(c.subject_id) for c in cases}
    ids = [c.id for c in cases if c.process in by_key]
    out: dict[int, Entry | None] = dict.fromkeys(ids)
    for case in read_cases(s, list(by_key.values()), orgs, 0, 9999, ids=ids):
        out[case.id] = entry_of(by_key[case.process], case)
    return out
