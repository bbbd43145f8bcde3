"""CSV and XLSX: reading imported tables and writing exported ones (one copy for CLI and web)."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from workflow.core.errors import UsageError

# A spreadsheet reads a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _illegal_free(text: str) -> str:
    """Text without the control characters XLSX cannot hold (openpyxl refuses them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


def table_xlsx(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    """An XLSX sheet; every text cell is stored as text, never as a formula."""
    wb = Workbook()
    ws = wb.active
    ws.title = _illegal_free(title)[:31] or "Sheet"
    for values in [header, *rows]:
        ws.append([_illegal_free(v) if isinstance(v, str) else v for v in values])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl took "=..." for a formula
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col in ws.columns:
        width = max(len(str(c.value or "")) for c in col)
        ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 60)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_cell(value: Any) -> Any:
    """One CSV cell: dates in ISO form, text that a spreadsheet would run as a formula
    neutralised with a leading apostrophe (OWASP's recommendation); numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def table_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in [header, *rows]:
        writer.writerow([csv_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


def read_rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, comma or semicolon) or XLSX file, with the header checked.

    Blank rows (every cell empty, as spreadsheets leave them) are skipped; each row keeps its
    number in the file under "_row" (the header is row 1), so a refusal names the row the
    officer sees in the spreadsheet. A quoted CSV cell may span lines."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file", key="error.no_file", path=str(path))
    suffix = path.suffix.lower()
    numbered: list[tuple[int, list[str]]] = []
    try:
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            ws = load_workbook(path, read_only=True, data_only=True).active
            for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
                numbered.append((n, ["" if v is None else (
                    v.date().isoformat() if hasattr(v, "date") and callable(v.date) else str(v)
                ).strip() for v in row]))
        else:
            text = path.read_text(encoding="utf-8-sig")
            dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;")
            reader = csv.reader(io.StringIO(text, newline=""), dialect)
            first = 1
            for row in reader:
                numbered.append((first, [c.strip() for c in row]))
                first = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error, OSError, ValueError, KeyError) as exc:
        raise UsageError(f"{path}: cannot read ({exc})", key="error.bad_file", path=str(path),
                         detail=str(exc)) from None
    numbered = [(n, row) for n, row in numbered if any(row)]
    if not numbered:
        raise UsageError(f"{path}: empty file", key="error.empty_file", path=str(path))
    header = [h.strip().lower() for h in numbered[0][1]]
    missing = [c for c in required if c not in header]
    if missing:
        raise UsageError(f"{path}: missing columns", key="error.missing_columns",
                         path=str(path), columns=", ".join(missing))
    return [{**dict(zip(header, row + [""] * (len(header) - len(row)), strict=False)), "_row": n}
            for n, row in numbered[1:]]
