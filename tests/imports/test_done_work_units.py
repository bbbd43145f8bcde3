"""A district's officer imports her sheet of done work for her units (B-25;
services/visibility.py `records_done_work`, workflow/imports/usecase.py `Importer`): the sheet
of events held has no "event" column and names the district and its отделы under
"Подразделение"; after one mapping with one value for every row it records every row on the
period her back-fill opened for that unit. A row of an organisation outside her district is
refused naming the row and the organisation, in her language, and nothing is stored; any other
register file is still hers alone. From the command line (`case import --as`) and the web, on
SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import pytest

from tests.support.databases import dump_tables
from tests.support.done_work_sheets import DISTRICT, ETHICS, case_count, district_cli, standing
from tests.support.import_helpers import but_kept, upload
from tests.support.web_helpers import TODAY, Web, csrf_of, joining_fixture
from workflow.i18n import Translator

EDUCATION, FINANCE = "AK-D9-ED", "AK-D9-FIN"  # her district's отделы
OTHER = "AK-D8"  # a district beside hers
HEADER = ["№ п/п", "Подразделение", "Дата события", "Тема мероприятия",
          "Численность аудитории (участников)", "Уполномоченный по этике"]
MAP = ("--map", "Уполномоченный по этике=commissioner")
EVERY = ("--every", "event=Мероприятие проведено")


def _sheet(tmp_path: Path, rows: list[tuple[str, int]], name: str = "done.csv") -> Path:
    """Her sheet: one event a row, (organisation, month)."""
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows([[str(i), org, f"15.{m:02d}.2026", f"Этика {m}", "12",
                           "А. Уполномоченный"] for i, (org, m) in enumerate(rows, start=1)])
    return path


@pytest.fixture
def cli(merzim_db):
    # her back-fill opens her district's year and its отделы's; the district beside, its own
    run = district_cli(merzim_db, (EDUCATION, "Отдел образования", "department", DISTRICT),
                       (FINANCE, "Отдел финансов", "department", DISTRICT),
                       (OTHER, "District eight", "district_akimat", "AK"))
    run.ok("obligations", "sync", "--from", "2026-01-01", "--org", OTHER)
    return run


def test_her_units_sheet_imports_as_her_and_a_row_of_another_district_is_refused(
        cli, db, tmp_path):
    cases = case_count(db)
    mine = [(DISTRICT, 1), (DISTRICT, 2), (EDUCATION, 3), (FINANCE, 4)]
    before = dump_tables(db)
    # a row of the district beside hers: refused naming the row and the organisation
    bad = _sheet(tmp_path, [*mine, (OTHER, 5)], "bad.csv")
    for lang in ("en", "ru", "kk"):
        code, _out, err = cli("case", "import", ETHICS, str(bad), "--as", "aida", *EVERY, *MAP,
                              lang=lang)
        assert code != 0 and "Traceback" not in err, err
        t = Translator(lang)
        said = err.replace("\n", " ")
        assert t("import.row", row=6) in said, err
        assert t("notfound.org", code=OTHER) in said, err
        assert dump_tables(db) == before, lang
    # --as is her organisation's mapping: not with --org
    code, _out, err = cli("case", "import", ETHICS, str(bad), "--as", "aida", "--org", DISTRICT,
                          *EVERY, *MAP)
    assert code == 2 and Translator("en")("error.import_as_org") in err.replace("\n", " ")
    assert dump_tables(db) == before

    # her own sheet: every row on the period her back-fill opened for its unit
    code, out, err = cli("case", "import", ETHICS, str(_sheet(tmp_path, mine)), "--as", "aida",
                         *EVERY, *MAP)
    assert code == 0, err
    assert [t for _c, _on, t in standing(db, DISTRICT)] == ["Этика 1", "Этика 2"]
    assert [t for _c, _on, t in standing(db, EDUCATION)] == ["Этика 3"]
    assert [t for _c, _on, t in standing(db, FINANCE)] == ["Этика 4"]
    assert standing(db, OTHER) == []
    assert case_count(db) == cases  # nothing opened


def test_an_officer_opens_no_case_for_her_units(cli, db, tmp_path):
    """Only a sheet of done work reaches her units: a file that opens cases is hers alone."""
    path = tmp_path / "breaches.csv"
    path.write_text("subject,kind,person,position,detected\n"
                    f"{EDUCATION},insider_information,Ivanov Ivan,Head,2026-07-01\n",
                    encoding="utf-8")
    before = dump_tables(db)
    code, _out, err = cli("case", "import", "restriction_breach", str(path), "--as", "aida")
    assert code != 0 and "Traceback" not in err
    assert Translator("en")("notfound.org", code=EDUCATION) in err.replace("\n", " "), err
    assert dump_tables(db) == before


# -- the web --------------------------------------------------------------------------------------

ORG = "AK-ALM-NEW"  # a district joining today, under AK-ALM
UNIT = "AK-ALM-NEW-ED"
FORM = f"/registers/{ETHICS}/import"
site_fixture = joining_fixture("site", ORG, "ru", ((UNIT, "Отдел образования", "department"),))


def _csv(rows: list[tuple[str, int]]) -> bytes:
    lines = [",".join(HEADER), *(f"{i},{org},15.{m:02d}.{TODAY.year},Тема {m},12,"
                                 "А. Уполномоченный" for i, (org, m) in enumerate(rows, 1))]
    return ("\n".join(lines) + "\n").encode()


def _hidden(page: str, testid: str) -> dict[str, str]:
    form = page.split(f'data-testid="{testid}"', 1)[1].split("</form>", 1)[0]
    return {k: html.unescape(v) for k, v in re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}


def _mapped(site: Web, zhanar, rows: list[tuple[str, int]]):
    """Her sheet uploaded, her header mapped and the event given for every row."""
    asked = upload(zhanar, _csv(rows), "sheet.csv", FORM)
    assert 'data-testid="import-map-form"' in asked.text, asked.text[-2000:]
    token = asked.text.split('name="token" value="', 1)[1].split('"', 1)[0]
    return zhanar.post(f"{FORM}/map", data={
        "csrf": site.csrf(zhanar), "file": "sheet.csv", "token": token,
        "header_0": "Уполномоченный по этике", "field_0": "commissioner",
        "header_e0": "*event", "field_e0": "event_held"})


def test_her_units_sheet_imports_from_the_web_and_a_row_above_her_is_refused(site: Web):
    zhanar = site.browser("zhanar")
    page = zhanar.get(f"/orgs/{ORG}")
    assert zhanar.post(f"/orgs/{ORG}/backfill", data={
        "since": f"{TODAY.year}-01-01", "csrf": csrf_of(page.text)}).status_code == 200
    mine = [(ORG, 1), (ORG, 2), (UNIT, 3)]
    before = site.dump()
    for lang in ("kk", "ru", "en"):  # a row of the region above her district: refused
        zhanar.cookies.set("merzim_lang", lang)
        refused = _mapped(site, zhanar, [*mine, ("AK-ALM", 4)])
        assert refused.status_code == 409 and "Traceback" not in refused.text
        said = refused.text.split('data-testid="import-refused"', 1)[1].split("</div>", 1)[0]
        t = Translator(lang)
        assert 'data-row="5"' in said and 'data-row="4"' not in said, said
        assert html.unescape(said).count(t("notfound.org", code="AK-ALM")) == 1, said
        assert t("import.row", row=5) in html.unescape(said), said
        assert but_kept(site.dump()) == but_kept(before), lang
    t = Translator("en")

    ready = _mapped(site, zhanar, mine)
    assert ready.status_code == 200, ready.text[-2000:]
    assert t.n("import.would_record", 3) in html.unescape(ready.text)
    done = zhanar.post(f"{FORM}/confirm", data=_hidden(ready.text, "import-confirm-form"))
    assert done.status_code == 200, done.text[-2000:]
    assert [x for _c, _on, x in standing(site.engine, ORG)] == ["Тема 1", "Тема 2"]
    assert [x for _c, _on, x in standing(site.engine, UNIT)] == ["Тема 3"]
