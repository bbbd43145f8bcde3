"""Queries of the recurring obligations' cases (`services/obligations.py`): which periods
are opened, an organisation's cases of a year."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from workflow.storage.models import Case
from workflow.storage.queries import live_case


def opened_periods(s: Session, process: str, labels: Collection[str]) -> set[Any]:
    """The (period, subject id) of every case of the process opened for one of the periods."""
    return set(s.exec(select(Case.period, Case.subject_id).where(
        Case.process == process, col(Case.period).in_(labels))).all())


def period_cases(s: Session, subject_id: int | None, first: date, last: date) -> list[Case]:
    """The organisation's cases of a period (not withdrawn) dated `first` to `last`, by date
    and process."""
    return list(s.exec(select(Case).where(Case.subject_id == subject_id,
                                          col(Case.period).is_not(None),
                                          live_case(),  #
                                          Case.case_date >= first, Case.case_date <= last)
                       .order_by(col(Case.case_date), col(Case.process))))


def case_of_period(s: Session, process: str, subject_id: int | None, period: str
                   ) -> Case | None:
    """The organisation's case of the process for the period (withdrawn or not), or None."""
    return s.exec(select(Case).where(Case.process == process, Case.subject_id == subject_id,
                                     Case.period == period)).first()
