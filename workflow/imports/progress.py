"""What a register import from the web needs beyond the import itself (web/imports_page.py):
a file tried without storing anything, and how far an import has come.

* `refused_rows`: every row opened as the import opens it, each refused row undone alone,
  then the whole rolled back — the preview of a file whose definition's features open its
  cases themselves (the analysis: its opener plans it), which `register_import.check_file`
  cannot check without writing.
* `progress`: an import's rows written of its rows, read from the database (its start and
  end in the audit log, its written cases by their mark, its writer's lease), so any node can
  tell, and whether it is being written now or stopped before its end.
* `may_finish`: who may resume or roll back an unfinished import: the one who began it, or an
  administrator who sees every organisation it has written a case (or, a sheet of done work,
  a record) of.

The rows are tried in one transaction under the writers' lock (SQLite's write lock,
PostgreSQL's audit lock), as the import itself would write them; a refused row is rolled back
to its savepoint, so the later rows see the earlier accepted ones (a duplicate of an earlier
row is refused, as in the import) and never a refused one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from workflow.imports import registers as register_import
from workflow.services import registers
from workflow.services.bulk import RowRefused
from workflow.services.context import Context
from workflow.storage import audit
from workflow.storage.models import AuditRecord, Case, Organisation, User
from workflow.storage.queries.imports import cases_of_records, import_payloads


def refused_rows(s: Session, ctx: Context, process: str, rows: list[dict[str, Any]],
                 most: int) -> list[RowRefused]:
    """Every refused row of `rows` (at most `most` of them: the trial stops there), with
    nothing stored whatever happens."""
    refused: list[RowRefused] = []
    try:
        audit.serialise(s)  # the transaction begun, so that each row's savepoint is inside it
        for row in rows:
            point = s.begin_nested()
            try:
                registers.import_cases(s, ctx, process, [row])
                point.commit()
            except RowRefused as exc:
                point.rollback()
                refused.append(exc)
                if len(refused) >= most:
                    break
    finally:
        s.rollback()
    return refused


# an import's state as its progress page says it
NONE, RUNNING, ROLLED_BACK, FINISHED = "none", "running", "rolled_back", "finished"


@dataclass(frozen=True)
class Progress:
    """How far an import has come: `state` none (not begun: still being checked, or never
    confirmed), running, done or rolled_back; its rows written of its rows."""

    state: str
    process: str | None
    written: int
    total: int
    writing: bool = False  # running: a writer holds its lease now (else it stopped)


def progress(s: Session, import_id: str) -> Progress:
    """An import's progress: its records in the audit log (read by the log's entity index)
    and, while it runs, its cases written so far (marked as of an unfinished import)."""
    found = s.exec(select(AuditRecord.action, AuditRecord.payload)
                   .where(AuditRecord.entity == "import", AuditRecord.entity_id == import_id)
                   .order_by(col(AuditRecord.id))).all()
    start = next((json.loads(p) for a, p in found if a == register_import.START), None)
    if start is None:
        return Progress(NONE, None, 0, 0)
    total = int(start.get("rows", 0))
    actions = {a for a, _ in found}
    if register_import.DONE in actions:
        return Progress(FINISHED, start.get("process"), total, total)
    if register_import.ROLLBACK in actions:
        return Progress(ROLLED_BACK, start.get("process"), 0, total)
    written = register_import.written_count(s, import_id)
    return Progress(RUNNING, start.get("process"), int(written), total,
                    register_import.writing(s, import_id))


def is_records(s: Session, import_id: str) -> bool:
    """Whether the import is of a sheet of done work (its start record says so)."""
    return any(p.get("records") for p in import_payloads(s, import_id, register_import.START))


def importer(s: Session, import_id: str) -> str | None:
    """Who began an import (its start record's actor; None: not begun)."""
    return s.exec(select(AuditRecord.actor).where(
        AuditRecord.entity == "import", AuditRecord.entity_id == import_id,
        AuditRecord.action == register_import.START)).first()


def may_finish(s: Session, import_id: str, actor: str, admin: bool,
               sees: Callable[[Organisation], bool]) -> bool:
    """Whether `actor` may resume or roll back the import: the one who began it; or an
    administrator (`admin`) who sees (`sees`) the organisation of every case it has written
    and, when it has written none, the organisation of the one who began it."""
    began = importer(s, import_id)
    if began is None:
        return False
    if began == actor:
        return True
    if not admin:
        return False
    recorded = register_import.recorded_ids(s, import_id)  # a sheet of done work's records
    subjects = select(Case.subject_id).where(
        col(Case.id).in_(register_import.written_ids(import_id))
        | col(Case.id).in_(cases_of_records(recorded))).distinct()
    orgs = s.exec(select(Organisation).where(col(Organisation.id).in_(subjects))).all()
    if not orgs:
        login = began.split(":", 1)[-1]
        orgs = s.exec(select(Organisation).join(User, col(User.organisation_id) ==
                                                col(Organisation.id))
                      .where(User.login == login)).all()
    return bool(orgs) and all(sees(org) for org in orgs)
