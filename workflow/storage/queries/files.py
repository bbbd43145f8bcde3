"""Queries of the evidence files (`services/files.py`, `file_moving.py`)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from workflow.storage.models import EvidenceFile


def files_of_case(s: Session, case_id: int | None) -> list[EvidenceFile]:
    """Every file of the case (void ones too), by id."""
    return list(s.exec(select(EvidenceFile).where(EvidenceFile.case_id == case_id)
                       .order_by(col(EvidenceFile.id))))


def all_files(s: Session) -> list[EvidenceFile]:
    """Every file of every case, void ones too, by id (`audit verify`)."""
    return list(s.exec(select(EvidenceFile).order_by(col(EvidenceFile.id))))


def stored_names(s: Session) -> list[str]:
    """Every SHA-256 a file row names (void files too), once each, in order."""
    return list(s.exec(select(EvidenceFile.sha256).distinct()
                       .order_by(col(EvidenceFile.sha256))))
