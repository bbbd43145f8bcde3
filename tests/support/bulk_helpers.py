"""What the bulk-planning tests share (tests/planning/test_bulk_import.py,
tests/planning/test_bulk_equivalence.py,
tests/planning/test_duplicates.py): a unit of work committed, a second fresh database of the same backend,
what an import leaves behind, and what a random row of a schedule says besides its dates."""

from __future__ import annotations

import contextlib
import json
import random
from datetime import date, timedelta
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


def stored(eng, audited: tuple[str, ...] = ("case.open",)) -> dict:
    """What an import leaves behind, without the clock's timestamps: the case rows (by column,
    but their creation timestamp), every stage (by case and key), the programmes and the
    payloads of the audit records of the actions `audited`."""
    meta = MetaData()
    meta.reflect(bind=eng)
    case, stage, prog, log = (meta.tables[t] for t in ("process_case", "stage", "programme",
                                                      "audit_log"))

    def plain(row):
        return tuple(json.loads(v) if isinstance(v, str) and v[:1] in "{[" else v for v in row)

    with eng.connect() as conn:
        columns = [c for c in case.c if c.name != "created_at"]
        cases = [dict(zip([c.name for c in columns], plain(r), strict=True))
                 for r in conn.execute(select(*columns).order_by(case.c.id))]
        stages = sorted((plain(r) for r in conn.execute(
            select(*[c for c in stage.c if c.name != "id"]))), key=repr)
        programmes = [tuple(r) for r in conn.execute(select(prog).order_by(prog.c.id))]
        payloads = [(r.action, r.entity, r.entity_id, json.loads(r.payload))
                    for r in conn.execute(select(log).where(log.c.action.in_(audited))
                                          .order_by(log.c.id))]
    return {"cases": cases, "stages": stages, "programmes": programmes, "audit": payloads}


def row_choices(rng: random.Random, tree: dict, periods: dict, subject: str, obj: str,
                start: date, end: date | None,
                follow_up: bool) -> tuple[str | None, str | None, str | None]:
    """A random schedule row's reason, responsible officer and duplicate reason: the one-year
    rule overridden where it would refuse the row (`follow_up`), else one in twenty planned
    with the agency; one of the subject's officers (`tree["officers"]`) named for three in ten;
    a second analysis of the same subject and object confirmed where it may overlap an earlier
    row (`periods`, extended by this one; a period without an end counted as 60 days)."""
    reason = None
    if follow_up:
        reason = "Follow-up asked by the agency"
    elif rng.random() < 0.05:
        reason = "Planned with the agency"
    officers = tree["officers"].get(subject, [])
    responsible = rng.choice(officers) if officers and rng.random() < 0.3 else None
    last = end or start + timedelta(days=60)
    earlier = periods.setdefault((subject, obj), [])
    duplicate = ("Second analysis asked by the agency"
                 if any(a <= last and start <= b for a, b in earlier) else None)
    earlier.append((start, last))
    return reason, responsible, duplicate
