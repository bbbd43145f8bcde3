"""CSV and XLSX: reading imported tables and writing exported ones (one copy for CLI and web)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from workflow.core.errors import UsageError

# A spreadsheet reads a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _illegal_free(text: str) -> str:
    """Text without the control characters XLSX cannot hold (openpyxl refuses them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


def table_xlsx(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    """An XLSX sheet; every text cell is stored as text, never as a formula; typed cells as
    their type (a date a date, formatted as one; a number a number), and an autofilter on the
    header row over every column and row."""
    from openpyxl import Workbook  # ~0.3 s of every start of `serve`: when first exporting
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _illegal_free(title)[:31] or "Sheet"
    for values in [header, *rows]:
        ws.append([_illegal_free(v) if isinstance(v, str) else v for v in values])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl took "=..." for a formula
            elif isinstance(cell.value, date):
                cell.number_format = "DD.MM.YYYY" if not isinstance(cell.value, datetime) \
                    else "DD.MM.YYYY HH:MM"
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col in ws.columns:
        width = max(len(str(c.value or "")) for c in col)
        ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 60)
    ws.freeze_panes = "A2"
    if header:
        ws.auto_filter.ref = ws.dimensions
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


@dataclass(frozen=True)
class Limits:
    """How much an imported file may hold ([import] in config.toml)."""

    rows: int = 10_000
    megabytes: int = 50  # the file, and an XLSX once unpacked
    columns: int = 100

    @property
    def bytes(self) -> int:
        return self.megabytes * 1024 * 1024


def read_rows(path: Path, required: tuple[str, ...], limits: Limits | None = None, *,
              as_written: bool = False) -> list[dict[str, Any]]:
    """Rows of a CSV (UTF-8, or UTF-16 / UTF-32 with a byte order mark; comma or semicolon)
    or XLSX file, with the header checked (`required`, any case). Each row's keys are the
    headers lower-cased, or with `as_written` as the file writes them (spaces around them
    aside): what an import that reads headers in any language names back to her (the columns
    it ignores, those it asks about) reads as her file says it.

    Blank rows (every cell empty, as spreadsheets leave them) are skipped; each row keeps its
    number in the file under "_row" (the header is row 1), so a refusal names the row the
    officer sees in the spreadsheet. A quoted CSV cell may span lines.

    A file over the limits, an XLSX that is no zip archive, unpacks past the size limit,
    holds more parts than any workbook (`MAX_PARTS`) or a DTD or entities, a CSV that is not
    UTF-8 or marked UTF-16 / UTF-32, and a file with NUL bytes are refused in one line
    before anything is parsed in full."""
    limits = limits or Limits()
    if not path.is_file():
        raise UsageError(f"{path}: no such file", key="error.no_file", path=str(path))
    suffix = path.suffix.lower()
    try:
        if path.stat().st_size > limits.bytes:
            raise UsageError(key="error.file_too_big", path=str(path), limit=limits.megabytes)
        read = _xlsx_rows if suffix == ".xlsx" else _csv_rows
        numbered = read(path, limits)
    except (UnicodeDecodeError, csv.Error, OSError, ValueError, KeyError) as exc:
        raise UsageError(f"{path}: cannot read ({exc})", key="error.bad_file", path=str(path),
                         detail=str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                         ) from None
    numbered.reverse()  # popped from the end, in the file's order: each row's cells let go
    while numbered and not any(numbered[-1][1]):  # as its dict is made (one copy at a time)
        numbered.pop()
    if not numbered:
        raise UsageError(f"{path}: empty file", key="error.empty_file", path=str(path))
    header = [h.strip() if as_written else h.strip().lower() for h in numbered.pop()[1]]
    lowered = {h.lower() for h in header}
    missing = [c for c in required if c not in lowered]
    if missing:
        raise UsageError(f"{path}: missing columns", key="error.missing_columns",
                         path=str(path), columns=", ".join(missing))
    out: list[dict[str, Any]] = []
    while numbered:
        n, row = numbered.pop()
        if any(row):
            out.append({**dict(zip(header, row + [""] * (len(header) - len(row)),
                                   strict=False)), "_row": n})
    return out


def _too_many_rows(path: Path, limits: Limits) -> UsageError:
    return UsageError(key="error.too_many_rows", path=str(path), limit=limits.rows)


def _csv_rows(path: Path, limits: Limits) -> list[tuple[int, list[str]]]:
    text = _csv_text(path, path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    numbered: list[tuple[int, list[str]]] = []
    first = 1
    for row in reader:
        cells = [c.strip() for c in row]
        if any(cells):  # blank rows are skipped, not counted
            if len(numbered) > limits.rows:  # the header and `rows` rows
                raise _too_many_rows(path, limits)
            numbered.append((first, cells))
        first = reader.line_num + 1
    return numbered


# A CSV is UTF-8 (a BOM or none); UTF-16 and UTF-32 are read when their byte order mark says
# so (Excel's "Unicode text", Notepad's "Unicode"). The 32-bit marks first: UTF-32 LE's begins
# with UTF-16 LE's.
_MARKED = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
           (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _csv_text(path: Path, data: bytes) -> str:
    """The text of a CSV file: UTF-8, or UTF-16 / UTF-32 with a byte order mark. Anything
    else is refused with what to do: NUL bytes (UTF-16 without a mark, a binary file) and
    bytes that are not UTF-8 (a Windows code page) each in words of their own."""
    encoding = next((name for bom, name in _MARKED if data.startswith(bom)), None)
    if encoding is None and b"\x00" in data:
        raise UsageError(key="tabular.nul_text", path=str(path))
    try:
        text = data.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(key="tabular.not_utf8", path=str(path)) from None
    if "\x00" in text:
        raise UsageError(key="tabular.nul_text", path=str(path))
    return text.removeprefix("\ufeff")


def _delimiter(text: str) -> str:
    """Comma or semicolon: whichever the header line has more of outside quotes. Only the
    delimiter is guessed; quoting is the standard one (a doubled quote is a quote)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    bare = re.sub(r'"[^"]*"', "", first)
    return ";" if bare.count(";") > bare.count(",") else ","


# The parts an XLSX may hold: a workbook saved by a spreadsheet has tens (a sheet, its
# relations, styles, shared strings; a picture or a comment each add a few), one with many
# sheets or pictures some thousands; past this the archive is no workbook's. What bounds the
# work is the unpacked size, checked from the archive's directory before anything is read.
MAX_PARTS = 100_000


def _check_archive(path: Path, limits: Limits) -> None:
    """An XLSX's archive before the workbook is read: a zip archive, of at most MAX_PARTS
    parts unpacking to at most the size limit (as its directory says: no part is read past
    its declared size), each XML part free of a DTD or entities (streamed)."""
    import zipfile

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    from workflow import archives

    if not archives.is_zip(path):
        raise UsageError(key="error.not_xlsx", path=str(path))
    over = archives.excess(path, limits.bytes, MAX_PARTS)  # the one check every upload asks
    if over is not None and over.what == "entries":
        raise UsageError(key="tabular.xlsx_parts", path=str(path), n=MAX_PARTS)
    if over is not None:
        raise UsageError(key="tabular.xlsx_unpacked", path=str(path), limit=limits.megabytes)
    with zipfile.ZipFile(path) as z:
        for m in z.infolist():  # every XML part, streamed: a DTD or an entity is refused
            if m.filename.endswith((".xml", ".rels", ".vml")):
                try:
                    with z.open(m) as fh:
                        for _event, elem in iterparse(fh, forbid_dtd=True):
                            elem.clear()
                except DefusedXmlException:
                    raise UsageError(key="error.unsafe_xml", path=str(path)) from None
                except Exception as exc:  # noqa: BLE001 - ParseError and friends: unreadable
                    raise ValueError(f"{m.filename}: {exc}") from None


def _xlsx_rows(path: Path, limits: Limits) -> list[tuple[int, list[str]]]:
    import zipfile

    from openpyxl import load_workbook

    _check_archive(path, limits)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except zipfile.BadZipFile as exc:
        raise ValueError(str(exc)) from None
    except (KeyError, TypeError, AttributeError, IndexError) as exc:  # not a workbook inside
        raise ValueError(f"not a workbook ({type(exc).__name__}: {exc})") from None
    try:
        ws = wb.active
        if ws is None or not hasattr(ws, "iter_rows"):
            raise ValueError("no worksheet")
        ws.reset_dimensions()  # rows as long as their cells, not as the sheet claims
        numbered: list[tuple[int, list[str]]] = []
        for n, row in enumerate(ws.iter_rows(values_only=True, max_col=limits.columns), start=1):
            cells = ["" if v is None else (
                v.date().isoformat() if hasattr(v, "date") and callable(v.date) else str(v)
            ).strip() for v in row]
            if not any(cells):
                continue
            if len(numbered) > limits.rows:
                raise _too_many_rows(path, limits)
            if any("\x00" in c for c in cells):
                raise UsageError(key="error.nul_byte", path=str(path))
            numbered.append((n, cells))
        return numbered
    finally:
        wb.close()
