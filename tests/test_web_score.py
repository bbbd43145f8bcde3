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
