"""The scores on the dashboard: the subtree as a sortable table with its XLSX export, one
subject in words with its sources as footnotes, in the reader's language; a viewer sees only
their subtree (officers their own organisation). The demo for TODAY, on both backends."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.web_helpers import (
    TODAY,
    Web,
    world_fixture,  # noqa: F401 - the `world` fixture
)
from workflow.i18n import Translator

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEAR = TODAY.year


def subjects(html: str) -> list[str]:
    return re.findall(r'<tr data-subject="([^"]+)"', html)


def totals(html: str) -> list[float]:
    return [float(x.replace("−", "-").replace(",", "."))
            for x in re.findall(r'<td class="num"><strong>([^<]+)</strong>', html)]


def test_manager_sees_the_subtree_sorted_and_exported(world: Web):
    b = world.browser("nurlan")  # manager of the akimat
    r = b.get(f"/score?year={YEAR}")
    assert r.status_code == 200
    rows = subjects(r.text)
    assert rows[0] == "AK-ALM" and "AK-ALM-EDU" in rows and "QS-ZHETYSU" in rows
    assert "AK-ALM-APP" not in rows  # the akim's apparatus is a subdivision, not a subject
    assert not any(code.startswith("MF") for code in rows)
    ordered = b.get(f"/score?year={YEAR}&sort=total&dir=desc").text
    assert totals(ordered) == sorted(totals(ordered), reverse=True)
    assert sorted(subjects(ordered)) == sorted(rows)
    ascending = b.get(f"/score?year={YEAR}&sort=total&dir=asc").text
    assert totals(ascending) == sorted(totals(ascending))
    by_indicator = b.get(f"/score?year={YEAR}&sort=1.3.3&dir=desc")
    assert by_indicator.status_code == 200 and sorted(subjects(by_indicator.text)) == sorted(rows)

    x = b.get(f"/score.xlsx?year={YEAR}")
    assert x.status_code == 200 and x.headers["content-type"] == XLSX
    sheet = [list(row) for row in load_workbook(io.BytesIO(x.content)).active.iter_rows(
        values_only=True)]
    assert [row[0] for row in sheet[1:]] == rows  # one row per subject, codes first
    assert sheet[0][-4:] == ["Awards", "Deductions", "Total", "Status"]
    assert all(isinstance(row[-2], int | float) for row in sheet[1:])


def test_a_subject_in_words_with_footnotes_in_kazakh(world: Web):
    b = world.browser("nurlan")
    b.cookies.set("merzim_lang", "kk")
    r = b.get(f"/score/AK-ALM?year={YEAR}")
    assert r.status_code == 200
    kk, en = Translator("kk"), Translator("en")
    assert kk("score.title.1.1.3") in r.text and en("score.title.1.1.3") not in r.text
    # 001:L181-185: the akim's apparatus and the two regional departments
    assert "3 бөлімшеден" in r.text
    assert 'id="source-1"' in r.text and "001:L27–33" in r.text
    body = r.text.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    assert not re.search(r"\w+=\w+", re.sub(r"<[^>]+>", " ", body))  # no raw key=value


def test_the_ministry_counts_its_apparatus(world: Web):
    b = world.browser("gulnar")  # manager of the ministry
    r = b.get(f"/score/MF?year={YEAR}")
    assert r.status_code == 200
    # 001:L176-180: 2 apparatus units, 2 committees and their 3 territorial departments
    assert "of 7 subdivisions" in r.text


def test_an_officer_sees_only_her_organisation(world: Web):
    b = world.browser("asel")  # officer of the akimat's education department
    r = b.get(f"/score?year={YEAR}")
    assert subjects(r.text) == ["AK-ALM-EDU"]
    assert b.get(f"/score?org=AK-ALM&year={YEAR}").status_code == 404
    assert b.get(f"/score/AK-ALM?year={YEAR}").status_code == 404
    assert b.get(f"/score/AK-ALM-EDU?year={YEAR}").status_code == 200
    assert b.get("/score?year=abc").status_code == 422  # a usage error, as on the other pages


def test_the_scores_api_gives_projects_1_to_4_to_whom_may_see_them(world: Web):
    """GET /api/v1/scores: one subject (default the caller's organisation) or, with
    subtree=true, every subject under it; each with its indicators of projects 1-4, the
    projects' subtotals and the total, as the dashboard's table has them; an officer sees her
    own organisation only; another tree's organisation does not exist; a year outside the
    calendar is refused."""
    api = world.api("nurlan")  # manager of the akimat
    r = api.get(f"/api/v1/scores?year={YEAR}&subtree=true&limit=500")
    assert r.status_code == 200, r.text
    page = r.json()
    codes = [c["subject"] for c in page["items"]]
    assert codes == subjects(world.browser("nurlan").get(f"/score?year={YEAR}").text)
    assert page["total"] == len(codes)
    akimat = page["items"][0]
    assert [p["project"] for p in akimat["projects"]] == [1, 2, 3, 4]
    assert akimat["total"] == round(sum(p["subtotal"] for p in akimat["projects"]), 2)
    keys = {i["key"] for i in akimat["indicators"]}
    assert {"1.1.1", "2.1.1", "2.2.1", "3.3.1", "4.1.1", "4.3.1"} <= keys
    assert all({"points", "inputs", "text", "title"} <= set(i) for i in akimat["indicators"])
    # the same in Russian words: the numbers are the same
    ru = api.get(f"/api/v1/scores?year={YEAR}&lang=ru").json()["items"][0]
    assert ru["total"] == akimat["total"] and ru["heading"] != akimat["heading"]
    # paged
    assert [c["subject"] for c in api.get(
        f"/api/v1/scores?year={YEAR}&subtree=true&limit=2&offset=1").json()["items"]] \
        == codes[1:3]
    # an officer: her own organisation, subtree or not
    officer = world.api("asel").get(f"/api/v1/scores?year={YEAR}&subtree=true").json()
    assert [c["subject"] for c in officer["items"]] == ["AK-ALM-EDU"]
    # another tree: not found; a year outside the calendar: refused
    assert api.get(f"/api/v1/scores?org=MF&year={YEAR}").status_code == 404
    bad = api.get("/api/v1/scores?year=1900")
    assert bad.status_code == 422 and bad.json()["error"] == "error.year_outside"
    assert world.client().get("/api/v1/scores").status_code == 401


def test_a_subjects_page_has_its_projects_subtotals_and_its_report_forms(world: Web):
    b = world.browser("asel")  # the officer of the education department
    r = b.get(f"/score/AK-ALM-EDU?year={YEAR}")
    assert r.status_code == 200
    assert r.text.count('<li data-project="') == 4
    links = re.findall(r'href="(/forms/\d\.xlsx\?[^"]+)"', r.text)
    assert len(links) == 12  # appendices 1-6, each in kk and ru
    form = b.get(links[2].replace("&amp;", "&"))  # appendix 2 in Kazakh
    assert form.status_code == 200 and form.headers["content-type"] == XLSX
    cells = [c for row in load_workbook(io.BytesIO(form.content)).active.iter_rows(
        values_only=True) for c in row if c]
    assert any("№2 қосымша" in str(c) for c in cells)
