"""What the bulk-planning tests share (tests/planning/test_bulk_import.py,
tests/planning/test_bulk_equivalence.py,
tests/planning/test_duplicates.py): a unit of work committed, a second fresh database of the same backend,
and what an import leaves behind."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from sqlalchemy import MetaData, select

from tests.support.databases import database_from_template
from workflow.storage.db import make_engine
from workflow.storage.db import session as open_session


def commit(eng, work):
    """`work(session)` in a session of its own, committed; what it returned."""
    with open_session(eng) as s:
        out = work(s)
        s.commit()
        return out


@contextlib.contextmanager
def another_database(db_url: str, tmp_path: Path):
    """A second fresh, migrated database of the same backend as `db_url` (a copy of the
    template: tests.support.databases.database_from_template)."""
    kind = "sqlite" if db_url.startswith("sqlite") else "postgres"
    with database_from_template(kind, tmp_path, "one-by-one.db") as (url, _nothing):
        eng = make_engine(url)
        try:
            yield eng
        finally:
            eng.dispose()


def stored(eng) -> dict:
    """What an import leaves behind, without the clock's timestamps: the case rows, every
    stage (by case and key), the programmes and the audit payloads."""
    meta = MetaData()
    meta.reflect(bind=eng)
    case, stage, prog, log = (meta.tables[t] for t in ("process_case", "stage", "programme",
                                                      "audit_log"))

    def plain(row):
        return tuple(json.loads(v) if isinstance(v, str) and v[:1] in "{[" else v for v in row)

    with eng.connect() as conn:
        cases = [plain(r) for r in conn.execute(
            select(*[c for c in case.c if c.name != "created_at"]).order_by(case.c.id))]
        stages = sorted((plain(r) for r in conn.execute(
            select(*[c for c in stage.c if c.name != "id"]))), key=repr)
        programmes = [tuple(r) for r in conn.execute(select(prog).order_by(prog.c.id))]
        payloads = [(r.action, r.entity, r.entity_id, json.loads(r.payload))
                    for r in conn.execute(select(log).where(log.c.action == "case.open")
                                          .order_by(log.c.id))]
    return {"cases": cases, "stages": stages, "programmes": programmes, "audit": payloads}
