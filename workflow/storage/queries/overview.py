"""Queries of a manager's overview (`services/overview.py`): the stages of a subtree counted
in SQL, grouped by organisation path, by due date and completion, by day; the organisations
the counts name."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from workflow.storage.models import DONE_LATE, DONE_ON_TIME, OPEN, Case, Organisation, Stage
from workflow.storage.queries import in_subtree, live_case


def scope(org: Organisation, only_path: str | None) -> list[Any]:
    """The WHERE of the stages of the organisation's subtree (`only_path`: of exactly that
    organisation, an officer's), joined with their case: a withdrawn case's stages count
    nowhere."""
    conditions = [in_subtree(Stage.subject_path, org), live_case()]
    if only_path is not None:
        conditions.append(Stage.subject_path == only_path)
    return conditions


def done_by_path(s: Session, where: list[Any], first: date, last: date
                 ) -> list[tuple[str, str, int]]:
    """(organisation path, status, stages) of the stages done (on time or late) from `first`
    to `last`."""
    return list(s.exec(select(Stage.subject_path, Stage.status, func.count())
                       .select_from(Stage).join(Case, col(Stage.case_id) == Case.id)
                       .where(*where, col(Stage.status).in_((DONE_ON_TIME, DONE_LATE)),
                              col(Stage.done_on) >= first, col(Stage.done_on) <= last)
                       .group_by(Stage.subject_path, Stage.status)).all())


def organisations_at(s: Session, paths: Collection[str]) -> tuple[list[Organisation], set[Any]]:
    """The organisations at these paths, and the ids of those among them that have a
    subordinate."""
    orgs = list(s.exec(select(Organisation).where(col(Organisation.path).in_(list(paths)))).all())
    parents = set(s.exec(select(Organisation.parent_id).where(
        col(Organisation.parent_id).in_([o.id for o in orgs])).distinct()).all())
    return orgs, parents


def late_by_due_date(s: Session, where: list[Any], first: date, today: date
                     ) -> list[tuple[date | None, date | None, str, int]]:
    """(due date, done on, status, stages) of the stages due from `first` to before `today`
    that are still open or were done late."""
    return list(s.exec(select(col(Stage.due_date), col(Stage.done_on), Stage.status, func.count())
                       .select_from(Stage).join(Case, col(Stage.case_id) == Case.id)
                       .where(*where, col(Stage.due_date) >= first, col(Stage.due_date) < today,
                              col(Stage.status).in_((OPEN, DONE_LATE)))
                       .group_by(col(Stage.due_date), col(Stage.done_on), Stage.status)).all())


def open_by_day(s: Session, where: list[Any], first: date, last: date
                ) -> list[tuple[date | None, int]]:
    """(due date, open stages) of each day from `first` to `last`."""
    return list(s.exec(select(col(Stage.due_date), func.count()).select_from(Stage)
                       .join(Case, col(Stage.case_id) == Case.id)
                       .where(*where, Stage.status == OPEN, col(Stage.due_date) >= first,
                              col(Stage.due_date) <= last)
                       .group_by(col(Stage.due_date))).all())
