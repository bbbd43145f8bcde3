"""Queries of the imports (`workflow/imports/`): an organisation's remembered column names
for a register, read and kept; the records a sheet of done work finds, and those an import
recorded."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select as rows_of
from sqlmodel import Session, col, select

from workflow.storage.models import (
    EVENT,
    AuditRecord,
    Case,
    EventRecord,
    ImportMapping,
    ImportPending,
)

CHUNK = 500  # ids per IN list


def mapping_of(s: Session, organisation_id: int, target: str) -> dict[str, str]:
    """The headers (folded) an organisation has mapped for `target` → the column each names
    (empty: ignored)."""
    return {m.header_folded: m.field for m in s.exec(
        select(ImportMapping).where(ImportMapping.organisation_id == organisation_id,
                                    ImportMapping.target == target))}


def keep_mapping(s: Session, organisation_id: int, target: str, mapping: dict[str, str],
                 by: str, at: str) -> dict[str, str]:
    """Store `mapping` (header folded → column) for the organisation and `target`, each
    header's row added or changed; answers what changed (header → column)."""
    stored = {m.header_folded: m for m in s.exec(
        select(ImportMapping).where(ImportMapping.organisation_id == organisation_id,
                                    ImportMapping.target == target,
                                    ImportMapping.header_folded.in_(sorted(mapping))))}  # type: ignore[attr-defined]
    changed: dict[str, str] = {}
    for header, field in sorted(mapping.items()):
        row = stored.get(header)
        if row is not None and row.field == field:
            continue
        if row is None:
            row = ImportMapping(organisation_id=organisation_id, target=target,
                                header_folded=header, field=field, updated_by=by,
                                updated_at=at)
        else:
            row.field, row.updated_by, row.updated_at = field, by, at
        s.add(row)
        changed[header] = field
    s.flush()
    return changed


def standing_events(s: Session, case_ids: list[int]) -> list[Any]:
    """The standing event records of the cases `case_ids` (id, case, event, day, evidence):
    what a sheet of done work must not record a second time."""
    out: list[Any] = []
    for part in chunks(sorted(set(case_ids))):
        out += s.execute(rows_of(col(EventRecord.id), col(EventRecord.case_id),
                                 col(EventRecord.event), col(EventRecord.on),
                                 col(EventRecord.evidence))
                         .where(col(EventRecord.case_id).in_(part),
                                col(EventRecord.kind) == EVENT,
                                col(EventRecord.voided_by_id).is_(None))
                         .order_by(col(EventRecord.id))).all()
    return out


def standing_of(s: Session, record_ids: list[int]) -> list[tuple[int, int]]:
    """Of the records `record_ids`, those that stand on a standing case: (record, case), the
    newest first (as an import's are voided: a later one may need an earlier one)."""
    out: list[tuple[int, int]] = []
    for part in chunks(sorted(set(record_ids))):
        out += [(int(r), int(c)) for r, c in s.execute(
            rows_of(col(EventRecord.id), col(EventRecord.case_id))
            .join(Case, col(Case.id) == col(EventRecord.case_id))
            .where(col(EventRecord.id).in_(part), col(EventRecord.voided_by_id).is_(None),
                   col(Case.withdrawn_at).is_(None)))]
    return sorted(out, reverse=True)


def cases_of_records(record_ids: list[int]) -> Any:
    """The cases the records `record_ids` are of (a SELECT of their ids)."""
    return rows_of(col(EventRecord.case_id)).where(col(EventRecord.id).in_(record_ids))


def import_payloads(s: Session, import_id: str, action: str) -> list[dict[str, Any]]:
    """The payloads of an import's audit records of `action`, in order (by the log's entity
    index)."""
    return [json.loads(p) for p in s.exec(
        select(AuditRecord.payload).where(AuditRecord.entity == "import",
                                          AuditRecord.entity_id == import_id,
                                          AuditRecord.action == action)
        .order_by(col(AuditRecord.id)))]


def chunks(values: list[int], size: int = CHUNK) -> list[list[int]]:
    """`values` in lists of at most `size` (a statement's bound parameters stay few)."""
    return [values[i:i + size] for i in range(0, len(values), size)]


def pending_of(s: Any, case_id: int) -> tuple[str, str] | None:
    """The unfinished import that has written the case `case_id` (hidden from every reader
    until it ends): (its id, its register), or None. `s`: a session or a connection."""
    found = s.execute(rows_of(col(ImportPending.import_id)).where(
        col(ImportPending.low) <= case_id, col(ImportPending.high) >= case_id)).first()
    if found is None:
        return None
    process = s.execute(rows_of(col(Case.process)).where(col(Case.id) == case_id)).first()
    return str(found[0]), str(process[0]) if process is not None else ""
