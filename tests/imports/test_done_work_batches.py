"""A sheet of done work longer than a batch (B-25; workflow/imports/done_work.py): a district
that joined in July records its January-June events, 1,260 rows, through the register
import's batches (here `BATCH` = 20 rows a transaction, as the register import's tests
make it, so that three batches are a sheet of 60 rows). Every row is recorded once on its opened period;
an import stopped after a batch resumes from where it stopped without recording a row twice;
rolled back, exactly what it recorded is voided and the stages are as before; the same sheet
imported again is refused naming the records it would repeat, nothing stored. Through the
command line and the web, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, func, select

from tests.support.databases import dump_tables
from tests.support.done_work_sheets import (
    CAL,
    DISTRICT,
    ETHICS,
    JOINED,
    REGISTRY,
    as_csv,
    case_count,
    district_cli,
    sheet_rows,
    stages,
    standing,
    written,
)
from tests.support.import_helpers import FOLLOW, but_kept, confirm, upload
from tests.support.web_helpers import TODAY, Web, csrf_of, joining_fixture
from workflow import services as svc
from workflow.i18n import Translator
from workflow.imports import progress as import_progress
from workflow.imports import registers as ri
from workflow.imports import usecase
from workflow.storage import audit
from workflow.storage.models import EventRecord, Organisation, User
from workflow.tabular import read_rows

BATCH = 20  # rows a transaction in these tests (the import's is 500): the same code, a short sheet
ROWS = 2 * BATCH + 20  # three batches


@pytest.fixture(autouse=True)
def short_batches(monkeypatch):
    monkeypatch.setattr(ri, "BATCH", BATCH)


class Stopped(Exception):
    """The writer went down after a batch."""


def stopped(eng, ctx: svc.Context, who: usecase.Importer, rows: list[dict[str, Any]],
            batches: int, import_id: str | None = None, language: str = "en") -> str:
    """The sheet written by the import use case until its batch number `batches` committed,
    then the writer stopped (as a process that dies between batches): the import's id."""
    seen: list[str] = []

    def progress(found: str, done: int, total: int) -> None:
        seen.append(found)
        if done < total and done >= batches * ri.BATCH:
            raise Stopped

    with Session(eng) as s, pytest.raises(Stopped):
        usecase.write(s, ctx, who, ETHICS, rows, language, import_id=import_id,
                      progress=progress)
    return seen[-1]


def progress_of(eng, import_id: str) -> import_progress.Progress:
    with Session(eng) as s:
        return import_progress.progress(s, import_id)


def audit_ok(eng) -> bool:
    with Session(eng) as s:
        return audit.verify(s).ok


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli(merzim_db):
    return district_cli(merzim_db)


def test_a_sheet_of_three_batches_is_recorded_once_from_the_command_line(cli, db, tmp_path):
    rows = sheet_rows(DISTRICT, 2026, 6, ROWS)
    path = written(tmp_path, rows)
    cases = case_count(db)
    code, out, err = cli("case", "import", ETHICS, str(path), "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["done_work"] is True and len(answer["opened"]) == ROWS
    assert f"{2 * BATCH}/{ROWS} rows written" in err and f"{ROWS}/{ROWS} rows written" in err
    found = standing(db, DISTRICT)
    assert len(found) == ROWS and {t for _c, _on, t in found} == {r["topic"] for r in rows}
    assert case_count(db) == cases  # nothing opened
    done = [(p, st, on) for p, _k, st, on in stages(db, DISTRICT) if p <= "2026M06"]
    assert len(done) == 6 and all(st.startswith("done") for _p, st, _on in done), done
    # the same sheet again: refused naming the records it repeats, nothing stored
    before = dump_tables(db)
    for lang in ("en", "ru", "kk"):
        code, _out, err = cli("case", "import", ETHICS, str(path), lang=lang)
        assert code != 0 and "Traceback" not in err
        said = Translator(lang)("import.error_done_recorded", id="\x00", record="\x01")
        assert said.split("\x01")[1] in err, err[:500]  # every row named, in her language
        assert err.count(said.split("\x01")[1]) == min(ROWS, ri.MAX_NAMED)
        assert dump_tables(db) == before, lang
    assert standing(db, DISTRICT) == found


def test_a_stopped_sheet_rolls_back_exactly_and_resumes_once_from_the_command_line(
        cli, db, tmp_path):
    rows = sheet_rows(DISTRICT, 2026, 6, ROWS)
    path = written(tmp_path, rows)
    as_read = read_rows(path, (), as_written=True)
    ctx = svc.Context(CAL, REGISTRY, JOINED, actor="cli:operator", language="en")
    before_stages, before_records = stages(db, DISTRICT), standing(db, DISTRICT)

    # stopped after two batches, then rolled back: what it recorded is voided, all of it
    import_id = stopped(db, ctx, usecase.Importer(), as_read, 2)
    found = progress_of(db, import_id)
    assert (found.state, found.written, found.total) == (import_progress.RUNNING, 2 * BATCH, ROWS)
    assert len(standing(db, DISTRICT)) == 2 * BATCH
    assert stages(db, DISTRICT) != before_stages
    code, out, err = cli("case", "import", ETHICS, "--rollback", import_id, "--json")
    assert code == 0, err
    assert json.loads(out) == {"rolled_back": import_id, "voided": 2 * BATCH}
    assert standing(db, DISTRICT) == before_records
    assert stages(db, DISTRICT) == before_stages
    assert progress_of(db, import_id).state == import_progress.ROLLED_BACK
    with Session(db) as s:
        voids = s.exec(select(func.count()).select_from(EventRecord).where(
            EventRecord.kind == "void")).one()
    assert voids == 2 * BATCH
    code, _out, err = cli("case", "import", ETHICS, "--rollback", import_id, lang="ru")
    assert code != 0 and "Traceback" not in err  # ended: nothing more to undo

    # the same sheet, stopped after its first batch, resumed: every row recorded once
    import_id = stopped(db, ctx, usecase.Importer(), as_read, 1)
    assert progress_of(db, import_id).written == BATCH
    code, out, err = cli("case", "import", ETHICS, str(path), "--resume", import_id, "--json")
    assert code == 0, err
    assert [o["row"] for o in json.loads(out)["opened"]] == list(range(BATCH + 2, ROWS + 2))
    found = standing(db, DISTRICT)
    assert len(found) == ROWS and len(set(found)) == ROWS
    assert {t for _c, _on, t in found} == {r["topic"] for r in rows}
    assert progress_of(db, import_id).state == import_progress.FINISHED
    assert audit_ok(db)


# -- the web --------------------------------------------------------------------------------------

ORG = "AK-ALM-NEW"  # a district joining today, under AK-ALM
FORM = f"/registers/{ETHICS}/import"
site_fixture = joining_fixture("site", ORG, "en")


def _finish(site: Web, browser, preview: str, import_id: str, action: str):
    token = preview.split('name="token" value="', 1)[1].split('"', 1)[0]
    return browser.post(f"{FORM}/confirm", data={"csrf": site.csrf(browser), "token": token,
                                                 "import_id": import_id, "action": action})


def test_a_sheet_of_three_batches_from_the_web_rolls_back_resumes_and_records_once(
        site: Web, tmp_path):
    zhanar = site.browser("zhanar")
    page = zhanar.get(f"/orgs/{ORG}")
    assert zhanar.post(f"/orgs/{ORG}/backfill", data={
        "since": f"{TODAY.year}-01-01", "csrf": csrf_of(page.text)}).status_code == 200
    rows = sheet_rows(ORG, TODAY.year, 10, ROWS)
    data = as_csv(rows)
    path = tmp_path / "sheet.csv"
    path.write_bytes(data)
    as_read = read_rows(path, (), as_written=True)
    with Session(site.engine) as s:
        org_id = s.exec(select(Organisation.id).where(Organisation.code == ORG)).one()
    zhanar_account = User(login="zhanar", full_name="zhanar", role="officer",
                          organisation_id=org_id)
    who = usecase.Importer(zhanar_account, ORG, org_id, "zhanar")
    ctx = svc.Context(CAL, REGISTRY, TODAY, actor="web:zhanar", language="en")
    before_stages, before_records = stages(site.engine, ORG), standing(site.engine, ORG)
    en = Translator("en")

    # previewed, then its writer stopped after a batch; rolled back from the web
    preview = upload(zhanar, data, "sheet.csv", FORM)
    assert preview.status_code == 200, preview.text[-2000:]
    assert en.n("import.would_record", ROWS) in preview.text
    import_id = FOLLOW.search(preview.text).group(2)
    assert stopped(site.engine, ctx, who, as_read, 1, import_id) == import_id
    assert len(standing(site.engine, ORG)) == BATCH
    r = _finish(site, zhanar, preview.text, import_id, "rollback")
    assert r.status_code == 200, r.text[-2000:]
    assert en.n("import.rolled_back_records", BATCH, id=import_id) in r.text
    assert standing(site.engine, ORG) == before_records
    assert stages(site.engine, ORG) == before_stages

    # again: stopped after two batches, resumed from the web: every row recorded once
    preview = upload(zhanar, data, "sheet.csv", FORM)
    assert preview.status_code == 200, preview.text[-2000:]
    import_id = FOLLOW.search(preview.text).group(2)
    stopped(site.engine, ctx, who, as_read, 2, import_id)
    r = _finish(site, zhanar, preview.text, import_id, "resume")
    assert r.status_code == 200, r.text[-2000:]
    assert f"{ROWS} / {ROWS}" in r.text
    found = standing(site.engine, ORG)
    assert len(found) == ROWS and len(set(found)) == ROWS
    assert {t for _c, _on, t in found} == {r["topic"] for r in rows}
    assert progress_of(site.engine, import_id).state == import_progress.FINISHED

    # the same sheet a third time: refused at its preview, each repeated row named
    before = site.dump()
    refused = upload(zhanar, data, "sheet.csv", FORM)
    assert refused.status_code == 409 and "Traceback" not in refused.text
    assert "already recorded on case #" in refused.text.replace("&#35;", "#")
    assert but_kept(site.dump()) == but_kept(before)
    assert audit_ok(site.engine)


def test_a_whole_sheet_confirmed_from_the_web_records_every_row(site: Web):
    zhanar = site.browser("zhanar")
    page = zhanar.get(f"/orgs/{ORG}")
    assert zhanar.post(f"/orgs/{ORG}/backfill", data={
        "since": f"{TODAY.year}-01-01", "csrf": csrf_of(page.text)}).status_code == 200
    rows = sheet_rows(ORG, TODAY.year, 10, ROWS)
    cases = case_count(site.engine)
    preview = upload(zhanar, as_csv(rows), "sheet.csv", FORM)
    assert preview.status_code == 200, preview.text[-2000:]
    done = confirm(zhanar, preview.text, FORM)
    assert done.status_code == 200, done.text[-2000:]
    assert Translator("en").n("import.recorded", ROWS) in done.text
    found = standing(site.engine, ORG)
    assert len(found) == ROWS and len(set(found)) == ROWS
    assert case_count(site.engine) == cases
