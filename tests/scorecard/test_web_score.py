"""The scores on the dashboard: the subtree as a sortable table with its XLSX export, one
subject in words with its sources as footnotes, in the reader's language; a viewer sees only
their subtree (officers their own organisation). The demo for TODAY, on both backends."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.support.features import needs
from tests.support.web_helpers import (
    TODAY,
    Web,
    world_fixture,  # noqa: F401 - the `world` fixture
)
from workflow.i18n import Translator

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEAR = TODAY.year


def table(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]


def subjects(html: str, testid: str = "score-summary") -> list[str]:
    """The subjects' codes in the order of the summary (or of another table of the page)."""
    return re.findall(r'<tr data-subject="([^"]+)"', table(html, testid))


def totals(html: str) -> list[float]:
    """The summary's totals, as shown (a decimal comma, a minus sign in kk and ru)."""
    found = re.findall(r'data-total="[^"]*"><strong>([^<]+)</strong>', table(html,
                                                                              "score-summary"))
    assert found, "no total in the summary"
    return [float(x.replace("−", "-").replace(",", ".")) for x in found]


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
    # the subtree's figures summed, whatever the page holds
    whole = page["totals"]
    assert whole["subjects"] == len(codes)
    assert whole["total"] == round(sum(c["total"] for c in page["items"]), 2)
    assert whole["lowest"] == min(c["total"] for c in page["items"])
    first = api.get(f"/api/v1/scores?year={YEAR}&subtree=true&limit=1").json()
    assert len(first["items"]) == 1 and first["totals"] == whole
    assert api.get(f"/api/v1/scores?year={YEAR}").json()["totals"] is None
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


def test_a_subjects_page_has_its_projects_subtotals(world: Web):
    b = world.browser("asel")  # the officer of the education department
    r = b.get(f"/score/AK-ALM-EDU?year={YEAR}")
    assert r.status_code == 200
    # the four projects' subtotals, then each project's indicators in its own <details>,
    # all closed until ?project=N opens one
    assert r.text.count('<tr data-project="') == 4
    details = re.findall(r'<details class="score-project" id="project-(\d)" data-project="\d" '
                         r'(open)?>', r.text)
    assert details == [("1", ""), ("2", ""), ("3", ""), ("4", "")]
    opened = b.get(f"/score/AK-ALM-EDU?year={YEAR}&project=3").text
    assert re.findall(r'id="project-(\d)" data-project="\d" open>', opened) == ["3"]
    assert 'data-indicator="3.3.1"' in opened.split('id="project-3"', 1)[1].split("</details>")[0]


@needs("forms")  # the subject's page links its report forms
def test_a_subjects_page_has_its_report_forms(world: Web):
    b = world.browser("asel")  # the officer of the education department
    r = b.get(f"/score/AK-ALM-EDU?year={YEAR}")
    assert r.status_code == 200
    links = re.findall(r'href="(/forms/\d\.xlsx\?[^"]+)"', r.text)
    # appendices 2, 3, 5 and 6, each in kk and ru: 1 and 4 are the regional akimat's only
    assert [re.match(r"/forms/(\d)", link).group(1) for link in links] == [
        "2", "2", "3", "3", "5", "5", "6", "6"]
    form = b.get(links[0].replace("&amp;", "&"))  # appendix 2 in Kazakh
    assert form.status_code == 200 and form.headers["content-type"] == XLSX
    cells = [c for row in load_workbook(io.BytesIO(form.content)).active.iter_rows(
        values_only=True) for c in row if c]
    assert any("№2 қосымша" in str(c) for c in cells)


def test_the_projects_chosen_the_columns_never_share_a_header_and_the_export_follows(world: Web):
    """?project=N (or all, the default): the indicator table and the export hold that project's
    indicators and subtotal only; the summary keeps every project; each column of a table has
    a heading of its own (1.3.3 and 1.3.3 risks, 1.4.1 and 1.4.1 deduction); the organisation
    is picked from a list of those the viewer may see."""
    b = world.browser("nurlan")  # manager of the akimat
    b.cookies.set("merzim_lang", "en")  # (the module's browser: another test chose kk)
    page = b.get(f"/score?year={YEAR}").text
    for testid in ("score-summary", "score-tree"):
        heads = re.findall(r'data-sort="[^"]+">([^<]+)</a>', table(page, testid))
        assert len(heads) == len(set(heads)), (testid, heads)
    grid = re.findall(r'data-sort="([^"]+)">([^<]+)</a>', table(page, "score-tree"))
    assert ("1.3.3", "1.3.3") in grid and ("1.3.3-risks", "1.3.3 risks") in grid
    assert ("1.4.1-penalty", "1.4.1 deduction") in grid and ("4.3.1", "4.3.1") in grid
    assert [k for k, _label in grid if k.startswith("p")] == ["p1", "p2", "p3", "p4"]
    assert subjects(page, "score-tree") == subjects(page)
    assert re.findall(r'data-sort="(p\d)"', table(page, "score-summary")) == ["p1", "p2", "p3",
                                                                             "p4"]
    # the organisation filter: a text field holding the chosen one's code, its suggestions
    # the first organisations of the subtree (a national subtree's thousands are not listed)
    assert re.search(r'<input type="search" name="org" value="AK-ALM"', page)
    picker = page.split('data-testid="org-choices">', 1)[1].split("</datalist>", 1)[0]
    assert 'value="AK-ALM-EDU"' in picker and 'value="MF"' not in picker

    two = b.get(f"/score?year={YEAR}&project=2").text
    keys = [k for k, _label in re.findall(r'data-sort="([^"]+)">([^<]+)</a>',
                                          table(two, "score-tree"))]
    assert keys[0] == "subject" and keys[-1] == "p2"
    assert keys[1:-1] and all(k.startswith("2.") for k in keys[1:-1]), keys
    assert re.findall(r'data-sort="(p\d)"', table(two, "score-summary")) == ["p1", "p2", "p3",
                                                                            "p4"]
    x = b.get(f"/score.xlsx?year={YEAR}&project=2&sort=total&dir=asc")
    assert x.status_code == 200
    sheet = [list(row) for row in load_workbook(io.BytesIO(x.content)).active.iter_rows(
        values_only=True)]
    head = sheet[0]
    assert head[:3] == ["Organisation", "Subject", "Kind"]
    assert [h.split(" ")[0] for h in head[3:-5]] == [k.split("-")[0] for k in keys[1:-1]]
    assert head[-5:] == ["Project No. 2", "Awards", "Deductions", "Total", "Status"]
    assert [row[-2] for row in sheet[1:]] == sorted(row[-2] for row in sheet[1:])
    c = b.get(f"/score.csv?year={YEAR}&project=2&sort=total&dir=asc")
    assert c.status_code == 200 and c.text.splitlines()[0].split(",")[-5] == "Project No. 2"


def test_an_unknown_project_is_refused_in_the_readers_language(world: Web):
    b = world.browser("nurlan")
    b.cookies.set("merzim_lang", "en")
    before = world.dump()
    for url in (f"/score?year={YEAR}&project=5", f"/score.xlsx?year={YEAR}&project=x",
                f"/score/AK-ALM?year={YEAR}&project=0"):
        r = b.get(url)
        assert r.status_code == 422, (url, r.status_code)
        assert "Traceback" not in r.text
    b.cookies.set("merzim_lang", "ru")
    ru = b.get(f"/score?year={YEAR}&project=5")
    assert ru.status_code == 422 and "не входит в список 1, 2, 3, 4, all" in ru.text
    assert world.dump() == before


def test_a_subject_is_found_by_name_or_code_and_the_whole_comes_first(world: Web):
    b = world.browser("nurlan")  # manager of the akimat
    whole = b.get(f"/score?year={YEAR}").text
    every = subjects(whole)
    shown = re.search(r'data-testid="score-whole" data-subjects="(\d+)"', whole)
    assert shown and int(shown.group(1)) == len(every)
    found = b.get(f"/score?year={YEAR}&q=alm-edu").text
    assert subjects(found) == [c for c in every if "alm-edu" in c.casefold()] == ["AK-ALM-EDU"]
    none = b.get(f"/score?year={YEAR}&q=no-such-subject")
    assert none.status_code == 200 and 'data-testid="score-search-none"' in none.text
    assert 'data-testid="score-summary"' not in none.text
    assert b.get(f"/score?year={YEAR}&page=0").status_code == 422  # not a page: refused
