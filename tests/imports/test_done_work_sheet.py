"""A sheet of done work as an office keeps it (B-25; workflow/imports/done_work.py,
workflow/imports/cells.py): a sheet of events held has no "event" column, so the officer gives
the column one value for every row ("every row: Мероприятие проведено") once, and the next
sheet with the same headers is read with it; a row put on a unit that has no opened period is
refused naming the unit and the period in words and saying how to open its year, never a field
name, in kk, ru and en, with nothing stored. On the command line and the web, on SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from tests.support.databases import dump_tables
from tests.support.done_work_sheets import DISTRICT, ETHICS, case_count, district_cli, standing
from tests.support.import_helpers import but_kept, upload
from tests.support.web_helpers import TODAY, Web, csrf_of, joining_fixture
from workflow.i18n import Translator, period_name
from workflow.storage.models import ImportMapping

UNIT = "AK-D9-ED"  # a department of the district: its year not opened
APPARATUS = "AK-D9-AP"  # the akim's apparatus: the obligation is not its own
# Her sheet: the unit under "Подразделение", no event column (every row is an event held)
MAP = ("--map", "Уполномоченный по этике=commissioner")  # her own header, mapped once
HEADER = ["№ п/п", "Подразделение", "Дата события", "Тема мероприятия",
          "Численность аудитории (участников)", "Уполномоченный по этике"]


def _sheet(tmp_path: Path, rows: list[list[str]], name: str = "done.csv") -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows([[str(i), *row] for i, row in enumerate(rows, start=1)])
    return path


def _rows(org: str, months: range, topic: str = "Этика") -> list[list[str]]:
    return [[org, f"{15:02d}.{m:02d}.2026", f"{topic} {m}", str(10 + m), "А. Уполномоченный"]
            for m in months]


@pytest.fixture
def cli(merzim_db):
    run = district_cli(merzim_db)
    # added after the district's year was opened: its own year is not
    for code_, name, kind in ((UNIT, "Отдел образования", "department"),
                              (APPARATUS, "Аппарат акима", "akim_apparatus")):
        code, _out, err = run("org", "add", code_, "--name", name, "--kind", kind, "--parent",
                              DISTRICT)
        assert code == 0, err
    return run


def _mappings(eng) -> list[tuple[str, str]]:
    with Session(eng) as s:
        return sorted((m.header_folded, m.field) for m in s.exec(select(ImportMapping)))


def test_a_sheet_without_an_event_column_imports_with_one_value_for_every_row(
        cli, db, tmp_path):
    path = _sheet(tmp_path, _rows(DISTRICT, range(1, 4)))
    cases = case_count(db)
    # without the value: every row names no event; refused, nothing stored
    before = dump_tables(db)
    code, _out, err = cli("case", "import", ETHICS, str(path), "--org", DISTRICT, *MAP)
    assert code != 0 and "Traceback" not in err
    assert Translator("en")("import.error_done_no_event") in err.replace("\n", " "), err
    assert dump_tables(db) == before
    # a value the column cannot take, or a column the register has not: refused in her
    # language naming both, nothing stored
    for lang in ("en", "ru", "kk"):
        code, _out, err = cli("case", "import", ETHICS, str(path), "--org", DISTRICT,
                              "--every", "event=Собрание", lang=lang)
        assert code == 2 and "Traceback" not in err, err
        t = Translator(lang)
        assert t("import.every_refused", column="\x00", value="Собрание",
                 rule="\x01").split("\x00")[0] in err, err
        assert "Собрание" in err and t("import.rule_choice") in err, err
        code, _out, err = cli("case", "import", ETHICS, str(path), "--org", DISTRICT,
                              "--every", "colour=blue", lang=lang)
        assert code == 2 and "Traceback" not in err, err
        assert t("import.every_unknown_field", field="colour", known="\x00").split("\x00")[0] \
            in err, err
        code, _out, err = cli("case", "import", ETHICS, str(path), "--org", DISTRICT,
                              "--every", "subject=AK", lang=lang)
        assert code == 2 and "Traceback" not in err, err
        assert dump_tables(db) == before, lang

    # the event by its name in her language, once: every row recorded on its period
    code, out, err = cli("case", "import", ETHICS, str(path), "--org", DISTRICT,
                         "--every", "event=Мероприятие проведено", *MAP, "--json")
    assert code == 0, err
    assert json.loads(out)["done_work"] is True
    found = standing(db, DISTRICT)
    assert [t for _c, _on, t in found] == ["Этика 1", "Этика 2", "Этика 3"]
    assert case_count(db) == cases  # nothing opened
    assert ("*event", "event_held") in _mappings(db)  # kept with her organisation's mapping

    # the next sheet with the same headers asks nothing: the value is remembered
    code, out, err = cli("case", "import", ETHICS,
                         str(_sheet(tmp_path, _rows(DISTRICT, range(4, 7)), "next.csv")),
                         "--org", DISTRICT, "--json")
    assert code == 0, err
    assert len(standing(db, DISTRICT)) == 6
    # a sheet that has the column reads its own, the remembered value aside
    other = tmp_path / "own.csv"
    other.write_text("subject,event,on,topic,audience,commissioner\n"
                     f"{DISTRICT},event_held,2026-06-20,Own,5,B. Commissioner\n", encoding="utf-8")
    code, _out, err = cli("case", "import", ETHICS, str(other), "--org", DISTRICT)
    assert code == 0, err
    assert len(standing(db, DISTRICT)) == 7


def test_a_row_on_a_unit_without_an_opened_period_names_the_unit_and_how_to_open_its_year(
        cli, db, tmp_path):
    path = _sheet(tmp_path, [*_rows(DISTRICT, range(1, 3)), *_rows(UNIT, range(3, 4)),
                             *_rows(APPARATUS, range(4, 5))])
    before = dump_tables(db)
    for lang in ("en", "ru", "kk"):
        code, _out, err = cli("case", "import", ETHICS, str(path), "--org", DISTRICT,
                              "--every", "event=event_held", *MAP, lang=lang)
        assert code != 0 and "Traceback" not in err
        assert "period_start" not in err and "«on»" not in err, err
        said = err.replace("\n", " ")
        assert "Отдел образования" in said and "Аппарат акима" in said, err
        assert period_name("2026M03", lang) in said and period_name("2026M04", lang) in said
        assert f"merzim obligations sync --from 2026-01-01 --org {UNIT}" in said, err
        year = Translator(lang)("backfill.web_title")
        assert year in said, err
        assert Translator(lang)("org_kind.akim_apparatus") in said, err
        assert dump_tables(db) == before, lang
    # its year opened, the same sheet imports
    cli.ok("obligations", "sync", "--from", "2026-01-01", "--org", UNIT)
    code, _out, err = cli("case", "import", ETHICS,
                          str(_sheet(tmp_path, [*_rows(DISTRICT, range(1, 3)),
                                                *_rows(UNIT, range(3, 4))], "ok.csv")),
                          "--org", DISTRICT, "--every", "event=event_held", *MAP)
    assert code == 0, err
    assert len(standing(db, UNIT)) == 1 and len(standing(db, DISTRICT)) == 2


# -- the web --------------------------------------------------------------------------------------

ORG = "AK-ALM-NEW"  # a district joining today, under AK-ALM
FORM = f"/registers/{ETHICS}/import"
site_fixture = joining_fixture("site", ORG, "ru")


def _csv(rows: list[list[str]]) -> bytes:
    lines = [",".join(HEADER), *(",".join([str(i), *r]) for i, r in enumerate(rows, 1))]
    return ("\n".join(lines) + "\n").encode()


def _confirm(browser, page: str):
    """The preview's confirm form sent as the browser sends it: every hidden field of it."""
    form = page.split('data-testid="import-confirm-form"', 1)[1].split("</form>", 1)[0]
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    return browser.post(f"{FORM}/confirm", data={k: html.unescape(v) for k, v in data.items()})


def test_her_sheet_of_events_held_imports_from_the_web_after_one_value_for_every_row(
        site: Web):
    zhanar = site.browser("zhanar")
    page = zhanar.get(f"/orgs/{ORG}")
    assert zhanar.post(f"/orgs/{ORG}/backfill", data={
        "since": f"{TODAY.year}-01-01", "csrf": csrf_of(page.text)}).status_code == 200
    rows = [[ORG, f"15.{m:02d}.{TODAY.year}", f"Тема {m}", "12", "А. Уполномоченный"]
            for m in range(1, 4)]
    before = site.dump()
    # her own header asked about (once), nothing stored
    asked = upload(zhanar, _csv(rows), "sheet.csv", FORM)
    assert asked.status_code == 200 and 'data-testid="import-map-form"' in asked.text
    assert but_kept(site.dump()) == but_kept(before)
    form = {"csrf": site.csrf(zhanar), "file": "sheet.csv",
            "header_0": "Уполномоченный по этике", "field_0": "commissioner"}
    token = asked.text.split('name="token" value="', 1)[1].split('"', 1)[0]
    # mapped, her rows name no event: refused, and the event offered one value for every row
    refused = zhanar.post(f"{FORM}/map", data={**form, "token": token})
    assert refused.status_code == 409 and "Traceback" not in refused.text
    assert 'data-testid="import-every-field" data-column="event"' in refused.text
    assert ">Event held<" in refused.text  # the event by its name in her language
    assert but_kept(site.dump()) == but_kept(before)
    token = refused.text.split('name="token" value="', 1)[1].split('"', 1)[0]
    # a value that is not the column's: refused in her language, nothing stored
    bad = zhanar.post(f"{FORM}/map", data={**form, "token": token, "header_e0": "*event",
                                          "field_e0": "Собрание"})
    assert bad.status_code == 422 and "Traceback" not in bad.text
    assert "Собрание" in bad.text
    assert Translator("en")("import.rule_choice") in bad.text.replace("&#39;", "'")
    assert but_kept(site.dump()) == but_kept(before)
    # the event chosen once: ready, then recorded
    refused = zhanar.post(f"{FORM}/map", data={
        **form, "token": upload(zhanar, _csv(rows), "sheet.csv", FORM).text.split(
            'name="token" value="', 1)[1].split('"', 1)[0]})
    every = refused.text.split('data-testid="import-every-form"', 1)[1].split("</form>", 1)[0]
    data = {k: html.unescape(v) for k, v in re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)"', every)}
    assert data["header_e0"] == "*event"
    ready = zhanar.post(f"{FORM}/map", data={**data, "field_e0": "event_held"})
    assert ready.status_code == 200, ready.text[-2000:]
    assert Translator("en").n("import.would_record", 3) in ready.text
    assert 'data-testid="import-every-given"' in ready.text
    done = _confirm(zhanar, ready.text)
    assert done.status_code == 200, done.text[-2000:]
    assert [t for _c, _on, t in standing(site.engine, ORG)] == ["Тема 1", "Тема 2", "Тема 3"]
    with Session(site.engine) as s:
        assert s.exec(select(func.count()).select_from(ImportMapping).where(
            ImportMapping.header_folded == "*event")).one() == 1
    # her next sheet, the same headers: nothing asked, ready to confirm
    more = [[ORG, f"15.{m:02d}.{TODAY.year}", f"Тема {m}", "12", "А. Уполномоченный"]
            for m in range(4, 6)]
    preview = upload(zhanar, _csv(more), "more.csv", FORM)
    assert preview.status_code == 200, preview.text[-2000:]
    assert _confirm(zhanar, preview.text).status_code == 200
    assert len(standing(site.engine, ORG)) == 5
