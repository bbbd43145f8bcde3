"""Recording an event together with the files that confirm it, all or nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session

from workflow.services.cases import record_event
from workflow.services.context import Context
from workflow.services.files import Upload, attach, discard, prepare, summary
from workflow.settings import FilesSettings
from workflow.storage.filestore import FileStore
from workflow.storage.models import Case, EventRecord


def record_with_files(s: Session, ctx: Context, store: FileStore, limits: FilesSettings,
                      case_id: int | str, event: str, on: date,
                      evidence: dict[str, str | None] | None,
                      uploads: Iterable[Upload], repeat: bool = False) -> EventRecord:
    """Record an event with the files that confirm it, all or nothing: a refused file refuses
    the record, a refused record stores no file. The record's audit entry names the files'
    SHA-256 too. `repeat`: a repeatable event recorded again on purpose
    (`cases.record_event`). Returns the record."""
    prepared = prepare(store, limits, uploads)
    if not prepared:
        return record_event(s, ctx, case_id, event, on, evidence, repeat=repeat)
    try:
        record = record_event(s, ctx, case_id, event, on, evidence,
                              audit_extra={"files": [summary(p) for p in prepared]},
                              repeat=repeat)
        case = s.get(Case, record.case_id)  # the session's own: no query
        assert case is not None
        attach(s, ctx, store, case, record.id, prepared)
    except BaseException:
        discard(store, prepared)
        raise
    return record
