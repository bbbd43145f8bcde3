"""A report form's sheet (rules.py's model: cells, merged ranges, the table's heading rows)
written as an XLSX workbook with openpyxl, set up to print as an officer signs it (B-19): A4
landscape, one page wide and as many tall as the rows need, the table's heading rows repeated
at the top of every printed page, the pages numbered. Every text is stored as text, never a
formula; each row is as high as its text needs (Excel's limit, 409 pt, at most: rules.py cuts
a longer fact over several rows), a cell merged down over rows (a fixed row's label) spread
over them."""

from __future__ import annotations

import io
import re
from typing import Any

from workflow.forms import rules

LINE_HEIGHT = rules.LINE_POINTS  # points per line of text at the default font (11 pt)
MAX_HEIGHT = rules.ROW_POINTS  # Excel's highest row, in points
# Margins in inches (openpyxl's unit): 1.5 cm at the sides and 2 cm at the top and bottom,
# the page number in the footer's 1 cm
MARGINS = {"left": 0.6, "right": 0.6, "top": 0.8, "bottom": 0.8, "header": 0.4, "footer": 0.4}


def _styles() -> dict[str, dict[str, Any]]:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = {"wrap_text": True, "vertical": "top"}
    return {
        "header": {"font": Font(size=9, italic=True),
                   "alignment": Alignment(horizontal="right", **wrap)},
        "name": {"font": Font(bold=True), "alignment": Alignment(horizontal="left", **wrap)},
        "sign": {"alignment": Alignment(horizontal="right", **wrap)},
        "title": {"font": Font(bold=True, size=12),
                  "alignment": Alignment(horizontal="center", wrap_text=True,
                                         vertical="center")},
        "th": {"font": Font(bold=True), "border": box,
               "fill": PatternFill("solid", fgColor="EEEEEE"),
               "alignment": Alignment(horizontal="center", wrap_text=True, vertical="center")},
        "td": {"border": box, "alignment": Alignment(horizontal="left", **wrap)},
        "label": {"font": Font(bold=True), "border": box,
                  "alignment": Alignment(horizontal="left", **wrap)},
        "note": {"font": Font(size=9, italic=True), "alignment": Alignment(**wrap)},
        "text": {"alignment": Alignment(**wrap)},
    }


def _page_setup(ws: Any, sheet: rules.Sheet) -> None:
    """A4 landscape, fit to the page's width (any number of pages tall), the table's heading
    rows at the top of every page, the page number and count in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for side, inches in MARGINS.items():
        setattr(ws.page_margins, side, inches)
    if sheet.heading_rows is not None:
        first, last = sheet.heading_rows
        ws.print_title_rows = f"{first}:{last}"
    ws.oddFooter.center.text = "&P / &N"
    ws.oddFooter.center.size = 9


def write_xlsx(sheet: rules.Sheet) -> bytes:
    """The sheet as an XLSX workbook: every text stored as text (a value starting with = + - @
    is never a formula), the merged ranges merged, the rows as high as their text needs, the
    page set up for printing (`_page_setup`)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    styles = _styles()
    wb = Workbook()
    ws = wb.active
    ws.title = ILLEGAL_CHARACTERS_RE.sub("", re.sub(r"[\[\]:*?/\\]", "", sheet.name))[:31] \
        or "Sheet"
    for i, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    merges = {(m.top, m.left): m for m in sheet.merges}
    heights: dict[int, int] = {}
    tall: list[tuple[rules.Merge, int]] = []  # a cell merged down: the lines it needs
    for c in sheet.cells:
        value = ILLEGAL_CHARACTERS_RE.sub("", c.value) if isinstance(c.value, str) else c.value
        cell = ws.cell(row=c.row, column=c.col)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl takes "=..." for a formula otherwise
        for attr, style in styles.get(c.style, styles["text"]).items():
            setattr(cell, attr, style)
        merge = merges.get((c.row, c.col))
        width = sum(sheet.widths[merge.left - 1:merge.right]) if merge else sheet.widths[c.col - 1]
        lines = rules.lines_needed(str(value), width)
        if merge and merge.bottom > merge.top:
            tall.append((merge, lines))
        else:
            heights[c.row] = max(heights.get(c.row, 1), lines)
    for merge, lines in tall:  # the rows it spans made higher, the last, if they are too low
        have = sum(heights.get(row, 1) for row in range(merge.top, merge.bottom + 1))
        if have < lines:
            heights[merge.bottom] = heights.get(merge.bottom, 1) + lines - have
    for m in sheet.merges:
        ws.merge_cells(start_row=m.top, start_column=m.left, end_row=m.bottom,
                       end_column=m.right)
    for row, lines in heights.items():
        if lines > 1:
            ws.row_dimensions[row].height = min(MAX_HEIGHT, LINE_HEIGHT * lines)
    _page_setup(ws, sheet)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
