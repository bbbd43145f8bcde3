"""Queries of one case and its rows (`services/cases.py`): its records and stages, the cases a
new one would repeat or an event opens, the subject's default officer, a list of cases."""

from __future__ import annotations

from sqlmodel import Session, col, select

from workflow.storage.models import Case, EventRecord, Organisation, Stage, User
from workflow.storage.queries import in_subtree


def records(s: Session, case_id: int | None) -> list[EventRecord]:
    """The case's records in the order they were made (voided ones and voids included)."""
    return list(s.exec(select(EventRecord).where(EventRecord.case_id == case_id)
                       .order_by(col(EventRecord.id))))


def with_parties(s: Session, case_id: int) -> tuple[Case, Organisation | None, User | None] | None:
    """The case, its subject and its responsible officer, in one query."""
    found = s.exec(select(Case, Organisation, User)
                   .join(Organisation, col(Case.subject_id) == Organisation.id, isouter=True)
                   .join(User, col(Case.responsible_id) == User.id, isouter=True)
                   .where(Case.id == case_id)).first()
    return (found[0], found[1], found[2]) if found is not None else None


def stages(s: Session, case_id: int | None) -> list[Stage]:
    """The case's stage rows (in no order)."""
    return list(s.exec(select(Stage).where(Stage.case_id == case_id)))


def first_officer(s: Session, organisation_id: int | None) -> User | None:
    """The organisation's first active officer (by id)."""
    return s.exec(select(User).where(User.organisation_id == organisation_id,
                                     User.role == "officer", col(User.active))
                  .order_by(col(User.id))).first()


def same_parties(s: Session, process: str, subject_id: int | None,
                 object_id: int | None) -> list[Case]:
    """The cases of a process with this subject and object (none: without one) that are not
    withdrawn, oldest first: those a new case could repeat."""
    query = select(Case).where(Case.process == process, Case.subject_id == subject_id,
                               col(Case.withdrawn_at).is_(None)).order_by(col(Case.id))
    query = query.where(col(Case.object_id).is_(None) if object_id is None
                        else Case.object_id == object_id)
    return list(s.exec(query))


def of_subject(s: Session, process: str, subject_id: int | None) -> list[Case]:
    """The cases of a process of one subject that are not withdrawn."""
    return list(s.exec(select(Case).where(Case.process == process,
                                          Case.subject_id == subject_id,
                                          col(Case.withdrawn_at).is_(None))))


def org_below(s: Session, code: str, scope: Organisation) -> Organisation | None:
    """The organisation with this code in the scope's subtree (the scope included), or None."""
    return s.exec(select(Organisation).where(Organisation.code == code,
                                             in_subtree(Organisation.path, scope))).first()


def listed(s: Session, process: str | None, scope: Organisation | None,
           limit: int) -> list[tuple[Case, Organisation]]:
    """Cases (not withdrawn: a withdrawn case is in no list) with their subject, of a process
    and in a subtree when given, newest first, at most `limit`."""
    query = (select(Case, Organisation).join(Organisation, col(Organisation.id) == Case.subject_id)
             .where(col(Case.withdrawn_at).is_(None)))
    if process:
        query = query.where(Case.process == process)
    if scope is not None:
        query = query.where(in_subtree(Organisation.path, scope))
    return list(s.exec(query.order_by(col(Case.id).desc()).limit(limit)).all())
