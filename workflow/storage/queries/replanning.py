"""Queries of the bulk re-planning (`services/replanning.py`): every case with an open
stage, its event records and its stages, in three SELECTs on the caller's connection. The
records and stages come as the database driver returns them (plain tuples, dates and JSON
as text): building SQLAlchemy's Row for each of a million rows was a fifth of re-planning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from workflow.storage.models import OPEN, Case, EventRecord, Stage, table_of


def _open_ids() -> Select[Any]:
    """The sub-select of the ids of the cases with an open stage."""
    st = table_of(Stage)
    return select(st.c.case_id).where(st.c.status == OPEN, st.c.case_id.is_not(None))


def raw_rows(conn: Connection, stmt: Any) -> Sequence[Any]:
    """Every row of `stmt` as the database driver returns it, a plain tuple (the columns read
    need no type processing)."""
    result = conn.execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def open_cases(conn: Connection) -> list[Any]:
    """Rows (id, process, process_version, dates, period, state, responsible_id, subject_id)
    of every case with an open stage, by id."""
    cs = table_of(Case)
    return list(conn.execute(select(cs.c.id, cs.c.process, cs.c.process_version, cs.c.dates,
                                    cs.c.period, cs.c.state, cs.c.responsible_id,
                                    cs.c.subject_id)
                             .where(cs.c.id.in_(_open_ids())).order_by(cs.c.id)).all())


def open_cases_records(conn: Connection) -> Sequence[Any]:
    """Driver tuples (case_id, id, kind, event, on as text, evidence as text, note,
    voided_by_id) of every event record of the cases with an open stage, by case and id."""
    er = table_of(EventRecord)
    return raw_rows(conn, select(er.c.case_id, er.c.id, er.c.kind, er.c.event,
                                 type_coerce(er.c.on, Text), type_coerce(er.c.evidence, Text),
                                 er.c.note, er.c.voided_by_id)
                    .where(er.c.case_id.in_(_open_ids())).order_by(er.c.case_id, er.c.id))


def open_cases_stages(conn: Connection) -> Sequence[Any]:
    """Driver tuples (case_id, id, key, due_date as text, projected, status, done_on as text,
    evidence as text) of every stage of the cases with an open stage, by case and id."""
    st = table_of(Stage)
    return raw_rows(conn, select(st.c.case_id, st.c.id, st.c.key, type_coerce(st.c.due_date, Text),
                                 st.c.projected, st.c.status, type_coerce(st.c.done_on, Text),
                                 type_coerce(st.c.evidence, Text))
                    .where(st.c.case_id.in_(_open_ids())).order_by(st.c.case_id, st.c.id))
