"""The append-only audit log: each record carries the hash of the previous one."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from workflow.storage.models import AuditRecord

GENESIS = "0" * 64
LOCK_ID = 7_243_001  # PostgreSQL advisory lock serialising appends to the chain


def canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def record_hash(prev_hash: str, at: str, actor: str, action: str, entity: str, entity_id: str,
                payload: str) -> str:
    material = "\x1f".join((prev_hash, at, actor, action, entity, entity_id, payload))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def append(session: Session, actor: str, action: str, entity: str, entity_id: Any,
           payload: Any) -> AuditRecord:
    """Add one record at the end of the chain (in the caller's transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"),
                        {"k": LOCK_ID})  # per schema: tenants and test schemas do not queue
    last = session.exec(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1)).first()
    prev = last.hash if last else GENESIS
    at, body, eid = now_iso(), canonical(payload), str(entity_id)
    rec = AuditRecord(at=at, actor=actor, action=action, entity=entity, entity_id=eid,
                      payload=body, prev_hash=prev,
                      hash=record_hash(prev, at, actor, action, entity, eid, body))
    session.add(rec)
    session.flush()
    return rec


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str | None = None


def verify(session: Session) -> Verification:
    """Recompute the chain; name the first record whose hash or link does not hold."""
    prev = GENESIS
    count = 0
    for rec in session.exec(select(AuditRecord).order_by(AuditRecord.id)):
        count += 1
        if rec.prev_hash != prev:
            return Verification(False, count, rec.id, "link to the previous record is broken")
        expected = record_hash(rec.prev_hash, rec.at, rec.actor, rec.action, rec.entity,
                               rec.entity_id, rec.payload)
        if rec.hash != expected:
            return Verification(False, count, rec.id, "content does not match its hash")
        prev = rec.hash
    return Verification(True, count)
