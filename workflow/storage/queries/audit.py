"""Queries of the audit log's records (what `storage/audit.py` appends and verifies):
payloads of an action, an entity's trail (`services/files.py`, `withdrawal.py`)."""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session, col, select

from workflow.storage.models import AuditRecord


def payloads_of(s: Session, action: str) -> list[str]:
    """The payload (JSON text) of every audit record of the action, in the database's order."""
    return list(s.exec(select(AuditRecord.payload).where(AuditRecord.action == action)))


def trail_of(s: Session, entity: str, entity_id: str, actions: Collection[str]
             ) -> list[AuditRecord]:
    """The audit records of the entity with one of the actions, oldest first."""
    return list(s.exec(select(AuditRecord).where(
        AuditRecord.entity == entity, AuditRecord.entity_id == entity_id,
        col(AuditRecord.action).in_(actions))
        .order_by(col(AuditRecord.id))))


def whole_trail_of(s: Session, entity: str, entity_id: str) -> list[AuditRecord]:
    """Every audit record of the entity, oldest first (a case's history)."""
    return list(s.exec(select(AuditRecord).where(
        AuditRecord.entity == entity, AuditRecord.entity_id == entity_id)
        .order_by(col(AuditRecord.id))))


def last_id_of(s: Session, entity: str, entity_id: str, actions: Collection[str]) -> int:
    """The id of the entity's last audit record with one of the actions (0: none)."""
    return s.exec(select(AuditRecord.id).where(
        AuditRecord.entity == entity, AuditRecord.entity_id == entity_id,
        col(AuditRecord.action).in_(actions))
        .order_by(col(AuditRecord.id).desc()).limit(1)).first() or 0


def head_id(s: Session) -> int:
    """The id of the chain's last record (0 for an empty chain): the primary key's index."""
    return s.exec(select(AuditRecord.id).order_by(col(AuditRecord.id).desc()).limit(1)
                  ).first() or 0
