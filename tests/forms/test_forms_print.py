"""The report forms as an officer prints and signs them (B-19, shared/domain/projects-2-4.md):
A4 landscape, one page wide, the table's heading row repeated on every printed page, one fact a
paragraph ("Name: value" a line, in the seed's order) in a sheet row of its own beside its fixed
row's label, dates as dd.mm.yyyy. Read back with openpyxl, then printed: appendix 2 converted
to PDF by LibreOffice (Debian's libreoffice-calc-nogui; .ci/run installs it) and the PDF read
with pypdf.

The world is tests/support/registers_world.py's, with more facts of 2026 recorded through the command
line so that appendix 2 runs over several pages: two more offence notices (row 2.1.1 holds
three), a tainted hire (2.4.1) and six more breaches of restrictions (2.5.1-2.5.5); and a
regional akimat of its own with 30 offence notices of a year (`crowded`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.support.cli_runner import Merzim
from tests.support.databases import BACKENDS, database_from_template
from tests.support.features import needs
from tests.support.libreoffice import libreoffice, print_pdf
from tests.support.registers_world import (
    D2026,
    REG,
    _open,
    _record,
    cells,
    choice,
    name,
    produce,
    world_in,
)
from workflow.forms import rules
from workflow.forms import service as forms
from workflow.forms.texts import layouts
from workflow.forms.xlsx import write_xlsx

A4 = (842, 595)  # points, landscape
BREACHES = [("conflict_of_interest", "2026-03-01"), ("conflict_of_interest", "2026-04-02"),
            ("insider_information", "2026-05-03"), ("foreign_account", "2026-06-04"),
            ("reward_or_gift", "2026-07-05"), ("incompatible_activity", "2026-08-06")]
# the persons appendix 2 names in each of its rows, in the order the row lists them
PERSONS = {
    1: ["=cmd, Chief specialist", "Print Notice 2, Leading specialist",
        "Print Notice 3, Leading specialist"],
    2: ["Supervisor Bekov, Head of department"],
    4: ["Print Hire 1, Specialist"],
    5: ["Side Worker, Specialist", "Print Breach 6, Chief specialist of the department"],
    6: ["Print Breach 1, Chief specialist of the department",
        "Print Breach 2, Chief specialist of the department"],
    7: ["Print Breach 3, Chief specialist of the department"],
    8: ["Gift Taker, Head", "Print Breach 5, Chief specialist of the department"],
    9: ["Print Breach 4, Chief specialist of the department"],
}


def _more_facts(m: Merzim) -> None:
    for i, (category, place) in enumerate([("administrative", "Taldykorgan"),
                                           ("criminal", "Kaskelen")], start=2):
        n = _open(m, "offence_notice", "AK", D2026, f"Print Notice {i}", "Leading specialist",
                  {"category": category, "place": place, "damage": str(i * 100000)},
                  {"detected": f"2026-0{i + 2}-1{i}"})
        _record(m, n, "notice_sent", f"2026-0{i + 2}-2{i}", D2026, letter=f"PR-{i}")
    for i, (kind, day) in enumerate(BREACHES, start=1):
        needed = ({"additional_activity": f"Paid work for TOO Print-{i}"}
                  if kind == "incompatible_activity" else
                  {"circumstances": f"Audited a relative's company Print-{i}"}
                  if kind == "conflict_of_interest" else {})
        _open(m, "restriction_breach", "AK", D2026, f"Print Breach {i}",
              "Chief specialist of the department",
              {"kind": kind, "detected_independently": "yes" if i % 2 else "no", **needed},
              {"detected": day})
    _open(m, "tainted_hire", "AK", D2026, "Print Hire 1", "Specialist", {},
          {"hired": "2026-02-02"})


@pytest.fixture(scope="module", params=BACKENDS, name="world")
def world_fixture(request, tmp_path_factory) -> Iterator[dict[str, Any]]:
    yield from world_in(request, tmp_path_factory, "printed", _more_facts)



def paragraph(process: str, lang: str, person: str, values: dict[str, str]) -> str:
    """A fact as the form writes it: the person, then each value "name: value" on a line of its
    own, in the [form] columns' order (the seed's)."""
    columns = REG.get(process).raw["form"]["columns"]
    return "\n".join([person] + [f"{name(process, k, lang)}: {values[k]}"
                                 for k in columns if k in values])


def heading_row(path: Path, n: int) -> int:
    """The row of the table's heading: the one whose first cell is the first column's name."""
    first = layouts().appendices[n].columns[0].name.kk
    ws = load_workbook(path).active
    found = [c.row for c in ws["A"] if c.value == first]
    assert len(found) == 1, (n, found)
    return found[0]


# -- the workbook, read back --------------------------------------------------------------------------


@needs("planning")
@pytest.mark.parametrize("n", list(forms.appendices()))
def test_every_form_is_set_up_for_a4_landscape_one_page_wide(world, n):
    path = produce(world, n, "kk")
    ws = load_workbook(path).active
    setup = ws.page_setup
    assert (int(setup.paperSize), setup.orientation) == (9, "landscape")  # 9: A4 (ECMA-376)
    assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    row = heading_row(path, n)
    assert ws.print_title_rows == f"${row}:${row}"  # the heading repeated on every page
    margins = ws.page_margins
    assert 0.4 <= margins.left == margins.right <= 1 and 0.5 <= margins.top <= 1.2
    assert ws.oddFooter.center.text == "&P / &N"  # page 1 / 3


def test_the_sheet_model_names_its_heading_rows():
    for n in forms.appendices():
        sheet = rules.lay_out(layouts(), rules.FormData(n, "ru", 2026, "Org"))
        assert sheet.heading_rows is not None
        first, last = sheet.heading_rows
        assert first == last
        headings = [c for c in sheet.cells if c.style == "th"]
        assert {c.row for c in headings} == {first}
        assert [c.value for c in headings] == [c.name.ru for c in layouts().appendices[n].columns]


@needs("planning")
def test_a_text_cell_holds_one_paragraph_a_fact(world):
    path = produce(world, 2, "kk")
    got = cells(path)
    p = "offence_notice"
    first = paragraph(p, "kk", "=cmd, Chief specialist", {
        "category": choice(p, "category", "criminal", "kk"), "detected": "10.03.2026",
        "place": "Konaev", "damage": "250\u00a0000", "notified": "12.03.2026",
        "letter": "12-34/567"})
    second = paragraph(p, "kk", "Print Notice 2, Leading specialist", {
        "category": choice(p, "category", "administrative", "kk"), "detected": "12.04.2026",
        "place": "Taldykorgan", "damage": "200\u00a0000", "notified": "22.04.2026",
        "letter": "PR-2"})
    # row 2.1.1's three facts a sheet row each, numbered, its label merged down beside them
    assert (got["B14"], got["B15"]) == (f"1) {first}", f"2) {second}")
    assert got["B16"].startswith("3) Print Notice 3, Leading specialist\n")
    assert got["A14"].startswith("2.1.1 ") and "A15" not in got and "A16" not in got
    assert {"A14:A16", "A20:A21", "A22:A23", "A25:A26"} <= {
        str(r) for r in load_workbook(path).active.merged_cells.ranges}
    # a row of one fact: its paragraph, unnumbered (2.5.3)
    b = "restriction_breach"
    assert got["A24"].startswith("2.5.3 ")
    assert got["B24"] == paragraph(b, "kk", "Print Breach 3, Chief specialist of the department", {
        "kind": choice(b, "kind", "insider_information", "kk"), "detected": "03.05.2026"})
    # a table with a column of its own for the person (appendix 5): the text cell its values
    ru = cells(produce(world, 5, "ru"))
    e = "ethics_explanatory_event"
    assert ru["C16"] == f"{name(e, 'event_held', 'ru')}: 10.12.2026\n" \
                        f"{name(e, 'topic', 'ru')}: Gifts and conflicts\n" \
                        f"{name(e, 'audience', 'ru')}: 25"


@needs("planning")
def test_every_row_is_as_tall_as_its_text(world):
    ws = load_workbook(produce(world, 2, "ru")).active
    for row in range(14, 28):  # the nine fixed rows' 14 sheet rows: a fact each
        text = str(ws[f"B{row}"].value)
        height = ws.row_dimensions[row].height
        lines = text.count("\n") + 1
        assert height is not None and 15 * lines <= height <= 409, (row, lines, height)
    assert ws["B28"].value is None


def test_a_row_taller_than_excel_allows_stays_at_409_points():
    sheet = rules.Sheet("x", (10, 40))
    sheet.table_row([1, "\n".join(f"line {i}" for i in range(60))])
    sheet.table_row([2, "one\n\ntwo"])
    ws = load_workbook(io.BytesIO(write_xlsx(sheet))).active
    assert (ws.row_dimensions[1].height, ws.row_dimensions[2].height) == (409, 45)


@needs("planning")
def test_every_date_a_form_prints_is_dd_mm_yyyy(world):
    texts = []
    for n in forms.appendices():
        for lang in ("kk", "ru"):
            texts += [str(v) for v in cells(produce(world, n, lang)).values()]
    text = "\n".join(texts)
    assert not re.search(r"\d{4}-\d{1,2}-\d{1,2}", text)  # no ISO date
    for found in re.findall(r"\b(?:\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}[./]\d{1,2}[./]\d{1,2})\b",
                           text):
        assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", found), found
    for day in ("10.03.2026", "12.03.2026", "01.04.2026", "20.04.2026", "01.06.2026",
                "02.02.2026", "20.11.2026", "06.08.2026", "05.05.2026", "01.10.2026"):
        assert day in text, day


# -- printed through LibreOffice ---------------------------------------------------------------------


def _print(xlsx: Path, out: Path) -> Path:
    """The workbook printed to PDF by LibreOffice."""
    program = libreoffice("libreoffice-calc-nogui", "the forms are")
    return print_pdf([xlsx], out, program, timeout=120)[xlsx.stem]


def _squeezed(text: str) -> str:
    """A text without its spaces and line breaks: a cell's text wraps where the page says."""
    return "".join(text.split())


@needs("planning")
def test_appendix_2_prints_on_a4_landscape_pages_one_page_wide(world, tmp_path):
    xlsx = produce(world, 2, "kk")
    pdf = PdfReader(_print(xlsx, tmp_path / "print"))
    pages = [_squeezed(page.extract_text()) for page in pdf.pages]
    assert len(pages) > 1, "appendix 2 with this world runs over more than one page"
    for page in pdf.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        if int(page.get("/Rotate", 0)) % 180:
            width, height = height, width
        assert abs(width - A4[0]) <= 2 and abs(height - A4[1]) <= 2, (width, height)
    layout = layouts().appendices[2]
    first, last = (_squeezed(c.name.kk) for c in (layout.columns[0], layout.columns[-1]))
    for i, text in enumerate(pages, start=1):
        # the heading on every page, the first column's and the last's: no column is cut off
        # onto a page of its own, the pages are as many as the rows need
        assert first in text and last in text, i
        assert f"{i}/{len(pages)}" in text  # the page number in the footer
    # each row's label printed once, every fact it lists printed on its page or after (a fact a
    # sheet row, never cut: test_a_row_of_thirty_notices_prints_every_one)
    for row, persons in PERSONS.items():
        label = _squeezed(f"{layout.rows[row - 1].code} {layout.rows[row - 1].name.kk}")[:30]
        on = [i for i, text in enumerate(pages) if label in text]
        assert len(on) == 1, (row, on)
        for person in persons:
            assert _squeezed(person) in "".join(pages[on[0]:]), (row, person)
    assert _squeezed("12-34/567") in pages[0] and _squeezed("PR-3") in pages[0]


@pytest.mark.slow
@needs("planning")
def test_the_printed_forms_show_the_events_dates_and_the_registers_new_fields(world, tmp_path):
    """Appendix 6 prints each outreach event's day beside its time (000:L2133-2135); appendix 2
    prints 2.5.1's additional activity, 2.5.2's circumstances and 2.3.1's category and
    incidents (000:L1108-1110, L1127-1129, L854), each under its name, in kk and ru."""
    for lang in ("kk", "ru"):
        six = "".join(_squeezed(page.extract_text()) for page in PdfReader(
            _print(produce(world, 6, lang), tmp_path / f"six-{lang}")).pages)
        held = _squeezed(name("legal_outreach", "outreach_event", lang))
        for day, time in (("05.05.2026", "10:00, the akimat's hall"),
                          ("01.10.2026", "15:30, online")):
            assert f"{held}:{day}" in six and _squeezed(time) in six, (lang, day)
        two = "".join(_squeezed(page.extract_text()) for page in PdfReader(
            _print(produce(world, 2, lang), tmp_path / f"two-{lang}")).pages)
        b, m = "restriction_breach", "manager_liability"
        for process, key, value in (
                (b, "additional_activity", "Paid consulting"),
                (b, "additional_activity", "Paid work for TOO Print-6"),
                (b, "circumstances", "Audited a relative's company Print-1"),
                (b, "circumstances", "Audited a relative's company Print-2"),
                (m, "offence_category", "Grave crime"),
                (m, "incidents", "A bribe taken for a licence")):
            assert _squeezed(f"{name(process, key, lang)}: {value}") in two, (lang, key, value)


# -- a row of many facts, printed: each fact a sheet row of its own -------------------------------


NOTICES = 30
UNITS = [("RG", None, "akimat", "Region akimat", "Облыс әкімдігі"),
         ("RG-DEP", "RG", "department", "Regional education department", "Білім басқармасы"),
         ("RG-D1", "RG", "district_akimat", "Kegen district akimat", "Кеген ауданы әкімдігі")]


def letter(i: int) -> str:
    return f"NTC-{i:02d}/26"


def account(what: str, end: str) -> str:
    """A text of nearly 500 characters (an entry's longest), ending with `end`."""
    return " ".join(f"{what} {i} of a long account." for i in range(1, 20))[:470] + f" {end}"


@pytest.fixture(scope="module", params=BACKENDS, name="crowded")
def crowded_fixture(request, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A regional akimat that takes in its department's and its district's facts (a
    consolidated form, B-18): 30 offence notices of 2026, ten recorded by each; the last
    written at such length (a long place, letter, response and recommendations) that its fact
    is longer than a sheet row can be."""
    tmp = tmp_path_factory.mktemp("crowded")
    (tmp / "cwd").mkdir()
    with database_from_template(request.param, tmp) as (url, _):
        m = Merzim(tmp / "cwd", db_url=url, today=D2026)
        for code, parent, kind, en, kk in UNITS:
            result = m("org", "add", code, "--name", en, "--name-kk", kk, "--name-ru", en,
                       "--kind", kind, *(["--parent", parent] if parent else []), today=D2026)
            assert result.returncode == 0, result.stderr
        start = date(2026, 1, 5)
        for i in range(1, NOTICES + 1):
            detected = start + timedelta(days=7 * i)
            sent = (detected + timedelta(days=2)).isoformat()
            long = i == NOTICES
            n = _open(m, "offence_notice", UNITS[i % 3][0], D2026, f"Offender {i:02d}",
                      "Chief specialist of the department",
                      {"category": "criminal" if i % 2 else "administrative",
                       "place": account("Place", "END-OF-PLACE") if long
                       else f"Street {i}, Almaty region", "damage": str(i * 10000)},
                      {"detected": detected.isoformat()})
            _record(m, n, "notice_sent", sent, D2026,
                    letter=account("Letter", letter(i)) if long else letter(i))
            if long:
                _record(m, n, "response_received", sent, D2026,
                        note=account("Response", "END-OF-RESPONSE"))
                _record(m, n, "recommendations_implemented", sent, D2026,
                        note=account("Measure", "END-OF-FACT"))
        yield {"m": m, "url": url, "tmp": tmp}


def test_a_row_of_thirty_notices_prints_every_one(crowded, tmp_path):
    xlsx = produce(crowded, 2, "kk", org="RG")
    ws = load_workbook(xlsx).active
    first = heading_row(xlsx, 2) + 1
    last = first + NOTICES  # the long fact over two sheet rows
    # row 2.1.1: the 30 facts a sheet row each, the label merged down over them; each sheet
    # row as high as its own text, none over 409 points
    assert f"A{first}:A{last}" in {str(r) for r in ws.merged_cells.ranges}
    texts = [str(ws[f"B{row}"].value) for row in range(first, last + 1)]
    heights = [ws.row_dimensions[row].height for row in range(first, last + 1)]
    for i in range(1, NOTICES + 1):
        assert sum(letter(i) in text for text in texts) == 1, i
    assert sum(re.match(r"\d+\) ", text) is not None for text in texts) == NOTICES
    long = next(k for k, text in enumerate(texts) if "END-OF-PLACE" in text)
    assert "END-OF-FACT" in texts[long + 1] and not re.match(r"\d+\) ", texts[long + 1])
    assert heights[long] is not None and 300 < heights[long] <= 409, heights[long]
    assert all(h is not None and 15 * 6 <= h <= 15 * 10 for k, h in enumerate(heights)
               if k not in (long, long + 1)), heights
    assert ws[f"B{last + 1}"].value == "Анықталған жоқ"  # 2.3.1: none
    pdf = PdfReader(_print(xlsx, tmp_path / "print"))
    pages = [_squeezed(page.extract_text()) for page in pdf.pages]
    assert len(pages) > 3
    layout = layouts().appendices[2]
    heading = [_squeezed(c.name.kk) for c in layout.columns]
    for i, (page, text) in enumerate(zip(pdf.pages, pages, strict=True), start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        if int(page.get("/Rotate", 0)) % 180:
            width, height = height, width
        assert abs(width - A4[0]) <= 2 and abs(height - A4[1]) <= 2, (i, width, height)
        assert all(h in text for h in heading), i  # the heading row on every page
        assert f"{i}/{len(pages)}" in text
    printed = "".join(pages)
    for i in range(1, NOTICES + 1):  # every notice printed, to its letter's number
        assert printed.count(_squeezed(letter(i))) == 1, i
    for end in ("END-OF-PLACE", "END-OF-RESPONSE", "END-OF-FACT"):
        assert end in printed, end
    for code, _, _, _, kk in UNITS[1:]:  # the subdivisions' facts, each named
        assert printed.count(_squeezed(f"Ұйым: {kk}")) == 10, code
