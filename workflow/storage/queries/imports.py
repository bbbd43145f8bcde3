"""Queries of the imports (`workflow/imports/`): an organisation's remembered column names
for a register, read and kept."""

from __future__ import annotations

from sqlmodel import Session, select

from workflow.storage.models import ImportMapping


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
