"""An organisation's year of obligations on the dashboard: month by month,
each stage with its due date, status in words, done date and case link, in the reader's
language; an XLSX/CSV export with the columns of `merzim obligations list`; a viewer sees only
the organisations of her subtree. The demo for TODAY (19 November 2025) with every shipped
definition, its obligations opened as `merzim init --demo` does and, further, up to 1 January
2027; on both backends."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from tests.support.databases import BACKENDS
from tests.support.web_helpers import (
    CALENDAR,
    TODAY,
    Web,
    en,
    refusal_of,
    synced_demo,
)
from workflow import services as svc
from workflow.definitions import REGISTERS, load_registry
from workflow.i18n import Translator
from workflow.services import obligations

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EDU = "AK-ALM-EDU"  # asel's department (kind "department"); nurlan manages the akimat above
DONE = ("coi_quarterly_analysis", "2025Q4")  # recorded on TODAY in the fixture: done on time
SECTION = re.compile(r'<section class="month" data-month="(\d+)">(.*?)</section>', re.S)
ROW = re.compile(r'<tr class="(\w+)" data-case="(\d+)" data-process="(\w+)" data-period="(\w+)">'
                 r"(.*?)</tr>", re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
# The CLI's columns (workflow/cli/cases.py, `obligations list --file`), in English
CLI_HEADER = ["Month", "Name", "Period", "Stage", "Due", "Status", "Done on"]
# The registers of projects No. 2-4 that recur add rows of their own (documentolog_course, …)
REGISTER_KEYS = {k for k, item in load_registry().loaded.items() if item.path.parent == REGISTERS}


@pytest.fixture(name="year", scope="module", params=BACKENDS)
def year_fixture(request, tmp_path_factory) -> Iterator[Web]:
    """The demo with every shipped definition: obligations opened for TODAY (the demo's sync)
    and on through 1 January 2027; the education department's Q4 2025 conflict-of-interest
    analysis recorded on TODAY. Only read (or refused) by the tests."""
    tmp_dir = tmp_path_factory.mktemp("web-obligations")

    def prepare(s, ctx):
        obligations.sync(s, ctx, through=date(2027, 1, 1))
        done = next(r["case"] for r in obligations.year_of(s, ctx, EDU, 2025)
                    if (r["process"], r["period"]) == DONE)
        svc.record_event(s, ctx, done, "analysed", TODAY, {})

    with synced_demo(request.param, tmp_dir, prepare, cache=True) as web:
        yield web


def main_of(page: str) -> str:
    return page.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def rows_of(page: str) -> list[dict]:
    """Every row of the page's month sections, in order."""
    out = []
    for month, section in SECTION.findall(page):
        for status, case, process, period, cells in ROW.findall(section):
            # (the first cell: the row's checkbox of the bulk bar)
            _select, name, period_name, stage, due, status_text, done, link = [
                text_of(c) for c in CELL.findall(cells)]
            out.append({"month": int(month), "status": status, "case": int(case),
                        "process": process, "period": period, "name": name,
                        "period_name": period_name, "stage": stage, "due": due,
                        "status_text": status_text, "done": done, "link": link,
                        "href": f'href="/cases/{case}"' in cells})
    return out


def dues(rows: list[dict], process: str) -> list[tuple[str, str, int]]:
    return [(r["period"], r["due"], r["month"]) for r in rows if r["process"] == process]


def test_officer_sees_her_year_month_by_month(year: Web):
    b = year.browser("asel")
    r = b.get("/obligations")  # her organisation, the year of today
    assert r.status_code == 200
    page = main_of(r.text)
    assert "Obligations of Education Department, 2025" in page
    assert [int(m) for m, _ in SECTION.findall(page)] == list(range(1, 13))
    rows = rows_of(page)
    # every obligation of a department, none of an akimat or a QSE
    assert len([r for r in rows if r["process"] not in REGISTER_KEYS]) == 13
    assert {r["process"] for r in rows} & {"akim_commission_meeting",
                                          "qse_training_events"} == set()
    # Q4 and H2 2025 end on Wednesday 31 December 2025, a working day (P-3)
    assert dues(rows, "coi_quarterly_analysis") == [("2025Q4", "2025-12-31", 12)]
    assert dues(rows, "whistleblower_awareness") == [("2025Q4", "2025-12-31", 12)]
    assert dues(rows, "coi_training") == [("2025H2", "2025-12-31", 12)]
    # the monthly ethics event: Friday 28 November, then Wednesday 31 December
    assert dues(rows, "ethics_explanatory_event") == [("2025M11", "2025-11-28", 11),
                                                      ("2025M12", "2025-12-31", 12)]
    # the declaration reminder: 15 September less a month, Friday 15 August; opened late
    assert dues(rows, "declaration_reminder") == [("2025", "2025-08-15", 8)]
    # the national report input of 2025 is due on 15 April 2026: not among 2025's
    assert dues(rows, "national_report_input") == []

    by_key = {(r["process"], r["period"]): r for r in rows}
    late = by_key[("declaration_reminder", "2025")]
    assert (late["status"], late["status_text"], late["done"]) == ("overdue", "OVERDUE", "—")
    done = by_key[DONE]
    assert (done["status"], done["status_text"], done["done"]) == (
        "done_on_time", "done on time", TODAY.isoformat())
    assert done["name"] == "Quarterly conflict-of-interest analysis"
    assert done["period_name"] == "Q4 2025" and done["stage"] == "Analyse conflicts of interest"
    ethics = by_key[("ethics_explanatory_event", "2025M11")]
    assert (ethics["status_text"], ethics["period_name"]) == ("open", "November 2025")
    assert by_key[("coi_training", "2025H2")]["period_name"] == "H2 2025"
    assert all(r["href"] and r["link"] == f"#{r['case']}" for r in rows)
    assert b.get(f"/cases/{done['case']}").status_code == 200  # the link opens the case

    summary = text_of(re.search(r'data-testid="obligations-summary">(.*?)</p>', page, re.S)[1])
    assert summary == (f"In total: {len(rows)} obligations · OVERDUE: 1 · "
                       f"open: {len(rows) - 2} · done on time: 1")
    assert "Nothing due this month." in page  # January to July: nothing
    # the export buttons submit the filters on screen (the organisation and the year shown)
    assert 'formaction="/obligations.xlsx"' in page
    assert re.search(r'<option value="AK-ALM-EDU"[^>]*selected', page)
    assert re.search(r'<option value="2025"[^>]*selected', page)
    # her organisation is the only one she may choose
    assert re.findall(r'<option value="([^"]+)"', page.split('name="year"')[0]) == [EDU]


def test_quarters_end_on_their_last_working_day(year: Web):
    b = year.browser("asel")
    rows = rows_of(main_of(b.get(f"/obligations?org={EDU}&year=2026").text))
    # 2026: Tue 31 March, Tue 30 June, Wed 30 September, Thu 31 December (P-3)
    assert dues(rows, "coi_quarterly_analysis") == [
        ("2026Q1", "2026-03-31", 3), ("2026Q2", "2026-06-30", 6), ("2026Q3", "2026-09-30", 9),
        ("2026Q4", "2026-12-31", 12)]
    assert dues(rows, "national_report_input") == [("2025", "2026-04-15", 4)]  # a Wednesday
    assert all(r["status"] == "open" for r in rows)
    rows = rows_of(main_of(b.get(f"/obligations?org={EDU}&year=2027").text))
    # 2027: Q1 ends Wednesday 31 March; the reporting year 2026's input, Thursday 15 April
    assert dues(rows, "coi_quarterly_analysis") == [("2027Q1", "2027-03-31", 3)]
    assert dues(rows, "national_report_input") == [("2026", "2027-04-15", 4)]
    # "as of" a later day, what was open is overdue (the page only reads)
    rows = rows_of(main_of(b.get("/obligations?year=2025&as_of=2026-01-05").text))
    assert {r["status"] for r in rows} == {"overdue", "done_on_time"}


def test_manager_sees_a_subordinate_organisation(year: Web):
    own = rows_of(main_of(year.browser("asel").get(f"/obligations?org={EDU}").text))
    b = year.browser("nurlan")  # manager of the akimat
    r = b.get(f"/obligations?org={EDU}&year=2025")
    assert r.status_code == 200
    assert rows_of(main_of(r.text)) == own
    page = main_of(b.get("/obligations").text)  # his own: the akimat
    assert "Obligations of Akimat of Almaty region, 2025" in page
    akimat = rows_of(page)
    assert dues(akimat, "akim_commission_meeting") == [("2025Q4", "2025-12-31", 12)]
    choices = re.findall(r'<option value="([^"]+)"', page.split('name="year"')[0])
    assert choices[0] == "AK-ALM" and EDU in choices and "QS-ZHETYSU" in choices
    assert not any(code.startswith("MF") for code in choices)
    qse = rows_of(main_of(b.get("/obligations?org=QS-ZHETYSU&year=2026").text))
    assert {r["process"] for r in qse} - REGISTER_KEYS == {"qse_training_events",
                                                          "national_report_input"}
    assert 'href="/obligations"' in b.get("/overdue").text  # in the menu


@pytest.mark.parametrize("login, hidden", [("gulnar", EDU), ("asel", "AK-ALM"),
                                           ("asel", "AK-ALM-HLTH"), ("nurlan", "MF-KGD-ALM")])
def test_outside_the_subtree_is_the_404_of_an_unknown_organisation(year: Web, login, hidden):
    b = year.browser(login)
    before = year.dump()
    for path in ("/obligations", "/obligations.xlsx", "/obligations.csv"):
        shown = b.get(f"{path}?org={hidden}&year=2025")
        missing = b.get(f"{path}?org=NO-SUCH-ORG&year=2025")
        assert shown.status_code == missing.status_code == 404, path
        assert shown.text == missing.text.replace("NO-SUCH-ORG", hidden)
    assert year.dump() == before


def test_the_xlsx_export_holds_the_rows_of_the_page(year: Web):
    b = year.browser("nurlan")
    rows = rows_of(main_of(b.get(f"/obligations?org={EDU}&year=2026").text))
    r = b.get(f"/obligations.xlsx?org={EDU}&year=2026")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert "obligations-AK-ALM-EDU-2026.xlsx" in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet.title == f"{EDU} 2026"
    values = [list(v) for v in sheet.iter_rows(values_only=True)]
    assert values[0] == CLI_HEADER
    day = lambda v: v.date().isoformat() if isinstance(v, datetime) else v  # noqa: E731
    assert [[m, name, period, stage, day(due), status, day(done)]
            for m, name, period, stage, due, status, done in values[1:]] == [
        [r["month"], r["name"], r["period_name"], r["stage"], r["due"], r["status_text"],
         None if r["done"] == "—" else r["done"]] for r in rows]
    assert len(rows) > 20  # a whole year: 4 quarters, 2 halves, 12 months, the yearly ones

    c = b.get(f"/obligations.csv?org={EDU}&year=2026")
    assert c.status_code == 200 and c.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
    assert table[0] == CLI_HEADER
    assert [(line[0], line[2], line[4]) for line in table[1:]] == [
        (str(r["month"]), r["period_name"], r["due"]) for r in rows]  # periods by name


@pytest.mark.parametrize("lang, words", [
    ("kk", ("Желтоқсан", "Барлығы: {n} міндеттеме", "2025 ж. 4-тоқсан", "2025 ж. қараша",
            "Білім басқармасы")),
    ("ru", ("Декабрь", "Всего: {n} обязательств", "4-й квартал 2025 г.", "Ноябрь 2025 г.",
            "Управление образования"))])
def test_kazakh_and_russian_pages_hold_no_raw_keys(year: Web, lang, words):
    b = year.client(lang=lang)
    assert year.post_login(b, "asel").status_code == 303
    r = b.get("/obligations")
    assert r.status_code == 200
    body = text_of(main_of(r.text))
    for word in words:  # {n}: the rows of the page (the registers' obligations included)
        word = word.format(n=len(rows_of(main_of(r.text))))
        assert word in body, word
    t = Translator(lang)
    assert t("obligations_page.nav") in r.text
    assert t("status.done_on_time") in body and t("status.overdue") in body
    assert "Quarterly conflict-of-interest analysis" not in body
    assert not re.search(r"\b[a-z]+_[a-z_]+\b|\b[a-z_]+\.[a-z_]+\b", body), body
    x = b.get("/obligations.xlsx")
    header = next(load_workbook(io.BytesIO(x.content)).active.iter_rows(values_only=True))
    assert list(header)[:2] == [t("obligations.col_month"), t("process.col_name")]


BAD_INT, OUTSIDE = "error.bad_int", "error.year_outside"


@pytest.mark.parametrize("value, key", [("abc", BAD_INT), ("99999", OUTSIDE), ("1999", OUTSIDE),
                                        ("-1", OUTSIDE), ("2025.5", BAD_INT), ("\u200b", BAD_INT),
                                        (str(2**70), "error.out_of_range")])
def test_a_wrong_year_is_a_clear_refusal(year: Web, value, key):
    b = year.browser("asel")
    before = year.dump()
    params = {"year": value}
    # in a page's words: the web variant of the message, the field named in words
    expected = en(f"web.{key}", what=en("web.what.year"), value=value, year=value,
                  first=CALENDAR.first_year, last=CALENDAR.last_year)
    for path in ("/obligations", "/obligations.xlsx", "/obligations.csv"):
        r = b.get(path, params=params)
        assert r.status_code == 422, (path, r.status_code)
        assert r.headers["content-type"].startswith("text/html")
        assert "Traceback" not in r.text
        assert refusal_of(r.text) == expected
    assert year.dump() == before


def test_an_unknown_export_format_is_refused(year: Web):
    r = year.browser("asel").get("/obligations.pdf")
    assert r.status_code == 422 and "Traceback" not in r.text
