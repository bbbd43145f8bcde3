"""The same sheet of done work imported twice at once (two confirms on two nodes, one
PostgreSQL database): two writers with sessions of their own, released together by a barrier,
import the same sheet through the import use case (`usecase.write`, what the web's confirm and
`merzim case import` call), repeated, with sheets of one batch and of two. Each try ends with
every event recorded once: one writer records the sheet, the other is refused naming the
records it would repeat (each batch checks its rows again under the writers' lock)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, func, select

from tests.support.done_work_sheets import (
    CAL,
    DISTRICT,
    ETHICS,
    JOINED,
    REGISTRY,
    sheet_rows,
    standing,
    written,
)
from tests.support.races import at_once
from workflow import services as svc
from workflow.imports import registers as ri
from workflow.imports import usecase
from workflow.services import obligations
from workflow.storage import audit
from workflow.storage.models import EventRecord
from workflow.tabular import read_rows

BATCH = 20  # rows a transaction in this test (the import's is 500): the same code, short sheets
SIZES = (BATCH,) * 6 + (BATCH + 10,) * 2  # sheets of one batch, then of two


@pytest.fixture(autouse=True)
def short_batches(monkeypatch):
    monkeypatch.setattr(ri, "BATCH", BATCH)


def ctx(actor: str = "test") -> svc.Context:
    return svc.Context(CAL, REGISTRY, JOINED, actor=actor, language="en")


def test_the_same_sheet_imported_twice_at_once_records_each_event_once(db, tmp_path):
    if db.dialect.name != "postgresql":
        pytest.skip("a race of two writers on one PostgreSQL database")
    with Session(db) as s:
        svc.add_org(s, ctx(), "AK", "Region", "akimat", None)
        svc.add_org(s, ctx(), DISTRICT, "District nine", "district_akimat", "AK")
        obligations.open_year_so_far(s, ctx(), DISTRICT, date(2026, 1, 1))
        s.commit()
    recorded = 0
    for n, size in enumerate(SIZES):
        rows = [dict(r, topic=f"{r['topic']} of try {n}")
                for r in sheet_rows(DISTRICT, 2026, 6, size)]
        as_read = read_rows(written(tmp_path, rows, f"try{n}.csv"), (), as_written=True)

        def import_sheet(s, actor: str, as_read=as_read) -> None:
            usecase.write(s, ctx(actor), usecase.Importer(), ETHICS, [dict(r) for r in as_read],
                          "en")

        failed = at_once(db, [lambda s: import_sheet(s, "web:aida"),
                              lambda s: import_sheet(s, "web:aida-again")])
        recorded += size
        found = standing(db, DISTRICT)
        assert len(found) == recorded and len(set(found)) == recorded, (n, len(found))
        assert len(failed) == 1, (n, failed)
        refused = failed[0]
        assert isinstance(refused, ri.FileRefused), repr(refused)
        assert {r.error.key for r in refused.refused} == {"import.error_done_recorded"}
    with Session(db) as s:
        assert audit.verify(s).ok
        assert s.exec(select(func.count()).select_from(EventRecord)).one() == recorded
