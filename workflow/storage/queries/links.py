"""Queries of the links between cases (`services/links.py`, P-22): a case's links either way
(those not undone), the cases at their other end, one pair, and the entries procedures'
outcomes opened."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

from workflow.storage.models import Case, CaseLink


def links_of(s: Session, case_id: int | None) -> list[CaseLink]:
    """The links whose one end is the case (either way) and that are not undone, oldest
    first."""
    return list(s.exec(select(CaseLink).where(or_(
        col(CaseLink.from_case_id) == case_id, col(CaseLink.to_case_id) == case_id),
        col(CaseLink.unlinked_at).is_(None)).order_by(col(CaseLink.id))))


def pair(s: Session, first: int | None, second: int | None) -> CaseLink | None:
    """The link between two cases, whichever way it goes (undone or not), or None."""
    return s.exec(select(CaseLink).where(or_(
        (col(CaseLink.from_case_id) == first) & (col(CaseLink.to_case_id) == second),
        (col(CaseLink.from_case_id) == second) & (col(CaseLink.to_case_id) == first)))).first()


def cases_by_id(s: Session, ids: Collection[int]) -> dict[int, Case]:
    """The cases of these ids, by id."""
    if not ids:
        return {}
    return {c.id: c for c in s.exec(select(Case).where(col(Case.id).in_(sorted(ids))))
            if c.id is not None}


def made_by_outcomes(s: Session, processes: Collection[str]) -> list[tuple[CaseLink, Case, Case]]:
    """The standing links by which a case of one of `processes` opened a register entry from
    its outcome (the link's event), with both cases standing: (link, the procedure's case, the
    entry), oldest first."""
    if not processes:
        return []
    entry = aliased(Case)
    return [(lk, case, other) for lk, case, other in s.exec(
        select(CaseLink, Case, entry)
        .join(Case, col(Case.id) == col(CaseLink.from_case_id))
        .join(entry, col(entry.id) == col(CaseLink.to_case_id))
        .where(col(CaseLink.event).is_not(None), col(CaseLink.unlinked_at).is_(None),
               col(Case.process).in_(sorted(processes)), col(Case.withdrawn_at).is_(None),
               col(entry.withdrawn_at).is_(None))
        .order_by(col(CaseLink.id))).all()]
