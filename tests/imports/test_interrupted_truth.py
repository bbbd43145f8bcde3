"""Interrupted imports tell the truth (docs/imports.md, "Register imports"): an entry an
unfinished import wrote is hidden from every list, so a typed entry of the same fact is
refused naming that import and how to finish or roll it back — never only a case no list
shows; a sheet of done work stopped between batches says that the events its finished
batches recorded stand and count until it is resumed or rolled back (its help says the same);
and a resumed sheet counts the events it recorded, not cases opened. On SQLite and
PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from tests.support.done_work_sheets import (
    CAL,
    DISTRICT,
    ETHICS,
    JOINED,
    REGISTRY,
    district_cli,
    sheet_rows,
    standing,
    written,
)
from tests.support.register_rows import WriterGone, stopped_after_a_batch
from tests.support.web_helpers import CALENDAR, TODAY, Web
from workflow import services as svc
from workflow.core.errors import RuleViolation
from workflow.definitions import load_registry
from workflow.i18n import Translator
from workflow.imports import registers as ri
from workflow.imports import usecase
from workflow.tabular import read_rows

BREACH = "restriction_breach"  # a register of facts: organisation, person, kind and year
DETECTED = TODAY.replace(day=3)


def _ctx() -> svc.Context:
    return svc.Context(CALENDAR, load_registry(), TODAY, actor="web:asel", language="en")


def _breaches(n: int) -> list[dict]:
    return [{"subject": "AK-ALM-EDU", "person": f"Person {i}", "kind": "foreign_account",
             "detected": DETECTED.isoformat(), "responsible": "asel", "_row": i + 2}
            for i in range(n)]


def _interrupted(site: Web, n: int = 600) -> str:
    """`n` breaches written by an import up to its first batch (its writer gone): its id."""
    return stopped_after_a_batch(site.engine, _ctx(), BREACH, _breaches(n))


def test_a_typed_entry_of_a_hidden_pending_fact_is_refused_naming_the_unfinished_import(site):
    import_id = _interrupted(site)
    before = site.dump()
    with Session(site.engine) as s:
        hidden = ri.pending_ids(s, import_id)[0]
        with pytest.raises(RuleViolation) as refused:
            svc.open_checked(s, _ctx(), BREACH, "AK-ALM-EDU", person="Person 0",
                             fields={"kind": "foreign_account"},
                             dates={"detected": DETECTED})
        s.rollback()
    assert refused.value.key == "rule.fact_pending_import", refused.value
    assert refused.value.params["import"] == import_id
    assert refused.value.params["entry"] == hidden
    for lang in ("en", "ru", "kk"):
        said = refused.value.render(Translator(lang))
        assert import_id in said and f"--resume {import_id}" in said, said
        assert f"--rollback {import_id}" in said, said
    assert site.dump() == before  # nothing stored
    # resumed, the entry stands in the lists and the typed one is the ordinary repeat
    with Session(site.engine) as s:
        ri.resume(s, _ctx(), BREACH, _breaches(600), import_id)
        s.commit()
    with Session(site.engine) as s, pytest.raises(RuleViolation) as refused:
        svc.open_checked(s, _ctx(), BREACH, "AK-ALM-EDU", person="Person 0",
                         fields={"kind": "foreign_account"},
                         dates={"detected": DETECTED})
    assert refused.value.key != "rule.fact_pending_import"


# -- a sheet of done work, stopped and resumed --------------------------------------------------

BATCH = 20


@pytest.fixture
def short_batches(monkeypatch):
    monkeypatch.setattr(ri, "BATCH", BATCH)


@pytest.fixture
def cli(merzim_db, short_batches):
    return district_cli(merzim_db)


def test_a_stopped_sheet_says_its_events_stand_and_its_resume_counts_events(cli, db,
                                                                             tmp_path):
    rows = sheet_rows(DISTRICT, 2026, 6, 3 * BATCH)
    path = written(tmp_path, rows)
    ctx = svc.Context(CAL, REGISTRY, JOINED, actor="cli:operator", language="en")

    # after its first batch, another writer records a row of its second batch: that batch is
    # refused, the import stops; the message says what stands, in her language
    meanwhile = tmp_path / "meanwhile.csv"
    written(tmp_path, rows[BATCH:BATCH + 1], meanwhile.name)

    def progress(_found: str, done: int, total: int) -> None:
        if done == BATCH:
            with Session(db) as other:
                usecase.write(other, ctx, usecase.Importer(), ETHICS,
                              read_rows(meanwhile, (), as_written=True), "en")

    with Session(db) as s, pytest.raises(ri.ImportUnfinished) as stopped:
        usecase.write(s, ctx, usecase.Importer(), ETHICS, read_rows(path, (), as_written=True),
                      "en", import_id="a1b2c3d4e5f6", progress=progress)
    assert stopped.value.key == "error.import_unfinished_records"
    for lang in ("en", "ru", "kk"):
        said = stopped.value.render(Translator(lang))
        assert "--resume a1b2c3d4e5f6" in said and "--rollback a1b2c3d4e5f6" in said
        assert str(BATCH) in said
    assert len(standing(db, DISTRICT)) == BATCH + 1  # they stand, as it says
    # the help says the same of a sheet of done work
    code, out, _err = cli("case", "import", "--help")
    assert code == 0 and "stand" in " ".join(out.split()), out

    # resumed (the row recorded meanwhile taken out of the sheet, every other row as it was):
    # the answer counts the events it recorded, never "cases opened"
    code, out, err = cli("case", "import", ETHICS, "--rollback", "a1b2c3d4e5f6", "--json")
    assert code == 0, err
    assert json.loads(out) == {"rolled_back": "a1b2c3d4e5f6", "voided": BATCH}
    with Session(db) as s, pytest.raises(WriterGone):
        def stop(_found: str, done: int, total: int) -> None:
            if done < total:
                raise WriterGone
        usecase.write(s, ctx, usecase.Importer(), ETHICS,
                      read_rows(written(tmp_path, rows[:BATCH] + rows[BATCH + 1:], "rest.csv"),
                                (), as_written=True),
                      "en", import_id="b1b2c3d4e5f6", progress=stop)
    code, out, err = cli("case", "import", ETHICS, str(tmp_path / "rest.csv"), "--resume",
                         "b1b2c3d4e5f6")
    assert code == 0, err
    t = Translator("en")
    assert t.n("case.imported_records", 2 * BATCH - 1) in out, out
    assert t.n("case.imported", 2 * BATCH - 1) not in out
    assert len(standing(db, DISTRICT)) == 3 * BATCH
