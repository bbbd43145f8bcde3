"""Queries of the case search (`services/search.py`): the cases of a subtree matching what
SQL can check, and what the results show (overdue counts, typed fields and dates)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import exists, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from workflow.storage.models import OPEN, Case, Organisation, Stage
from workflow.storage.queries import in_subtree, live_case, select_columns


def state_condition(state: str, timers: Sequence[tuple[str, Sequence[str]]]) -> Any:
    """The SQL condition "the case's stored state is `state`, or one a time-driven transition
    of its process may leave" (`timers`: each process with the states its timers leave)."""
    condition = col(Case.state) == state
    for process, sources in timers:
        if sources:
            condition = condition | ((col(Case.process) == process) & col(Case.state).in_(sources))
    return condition


def found_rows(s: Session, scope: Organisation, *, only_path: str | None = None,
               number: int | None = None, process: str | None = None,
               subject: Organisation | None = None, object_id: int | None = None,
               person: bool = False, state: Any = None, overdue_on: date | None = None,
               tagged_number: int | None = None, ordinary: Any = None) -> list[Any]:
    """Rows (id, process, process_version, subject_id, responsible_id, the subject's code,
    name, name_kk, name_ru and path, the object's code, name, name_kk and name_ru, period,
    case_date, state, person_name, person_position) of the cases, not withdrawn, of the
    subtree of `scope` (exactly the organisation at `only_path` if given) that have the
    number, the process, a subject in the subtree of `subject`, the object, a person (when
    `person`), the `state` condition (`state_condition`), a stage open and due before
    `overdue_on` (and `ordinary`: not before joining), and the number `tagged_number`
    ("#12"), each when given; newest first."""
    subject_org, obj = aliased(Organisation), aliased(Organisation)
    sql = (select_columns(Case.id, Case.process, Case.process_version, Case.subject_id,
                          Case.responsible_id, subject_org.code, subject_org.name,
                          subject_org.name_kk, subject_org.name_ru, subject_org.path, obj.code,
                          obj.name, obj.name_kk, obj.name_ru, Case.period, Case.case_date,
                          Case.state, Case.person_name, Case.person_position)
           .join(subject_org, col(subject_org.id) == Case.subject_id)
           .outerjoin(obj, col(obj.id) == Case.object_id)
           .where(in_subtree(subject_org.path, scope),
                  live_case()))  # a withdrawn case is found no more
    if only_path is not None:
        sql = sql.where(subject_org.path == only_path)
    if number is not None:
        sql = sql.where(Case.id == number)
    if process:
        sql = sql.where(Case.process == process)
    if subject is not None:
        sql = sql.where(in_subtree(subject_org.path, subject))
    if object_id is not None:
        sql = sql.where(Case.object_id == object_id)
    if person:
        sql = sql.where(col(Case.person_name).is_not(None))
    if state is not None:
        sql = sql.where(state)
    if overdue_on is not None:  # (`ordinary`: not before joining, B-25)
        sql = sql.where(exists().where(col(Stage.case_id) == Case.id, col(Stage.status) == OPEN,
                                       col(Stage.due_date) < overdue_on,
                                       *([] if ordinary is None else [ordinary])))
    if tagged_number is not None:
        sql = sql.where(Case.id == tagged_number)
    return list(s.exec(sql.order_by(col(Case.id).desc())))


def overdue_counts(s: Session, ids: Sequence[int], today: date, ordinary: Any = None
                   ) -> dict[int, int]:
    """How many stages of each case are open and due before `today` (and `ordinary`, when
    given: not before joining, a condition naming the case), by case id (one grouped COUNT; a
    case with none is not named)."""
    sql = select(col(Stage.case_id), func.count()).where(
        col(Stage.case_id).in_(ids), Stage.status == OPEN, col(Stage.due_date) < today)
    if ordinary is not None:
        sql = sql.join(Case, col(Case.id) == Stage.case_id).where(ordinary)
    rows = s.exec(sql.group_by(col(Stage.case_id)))
    return {case_id: n for case_id, n in rows.all() if case_id is not None}  # (all: WHERE IN)


def fields_and_dates(s: Session, ids: Sequence[int]) -> list[Any]:
    """Rows (id, fields, dates) of the cases `ids` (one query: the caller chunks)."""
    return list(s.exec(select_columns(Case.id, Case.fields, Case.dates)
                       .where(col(Case.id).in_(ids))))


def stage_evidence(s: Session, ids: Sequence[int], key: str) -> list[Any]:
    """Rows (case id, evidence) of the stage `key` of the cases `ids` (one query: the caller
    chunks)."""
    return list(s.exec(select_columns(Stage.case_id, Stage.evidence)
                       .where(col(Stage.case_id).in_(ids), Stage.key == key)))
