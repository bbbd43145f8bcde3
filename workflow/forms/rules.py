"""The report forms as data, pure: the layouts of appendices 1-6 (parsed from layouts.toml),
the lines the service reads from the registers, and the sheet they make together — cells,
merged ranges and the table's heading rows, in one language — which xlsx.py writes as XLSX.
Nothing here reads a file or the database, or knows openpyxl.

A fact (a line) is written as a paragraph: the person first when no column takes it, then each
value on a line of its own as "Name: value", in the line's order. Dates are written as
`day_text` writes them (dd.mm.yyyy). A fixed row of appendices 1 and 2 lists its facts a sheet
row each, its label merged down beside them, so that each sheet row is as high as its own fact
and none is cut at the 409 points a spreadsheet row can have (B-19): a fact longer than that
continues on the next sheet row (`row_parts`).

A line is one entry of a register (a case, or a standing record of the `[form] records` event):
its person (or None: a process about no one), its values in the `[form] columns` order, each
named and written in the form's language, and where it goes — the appendix's fixed row (2, 5,
and 1's two sections) or group (3). How the values fill the table's columns is the column's
kind (layouts.toml): `fill`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workflow.core.errors import ConfigError
from workflow.core.kinds import ORG_KINDS, widened

FORM_LANGUAGES = ("kk", "ru")
KINDS = ("number", "label", "person", "each", "url", "text")
LINES_IN = ("cell", "rows")  # a fixed row's lines: a cell each beside it (2, 1) or under it (5)
PLACES = ("before", "after")  # appendix 4's figures: before the breakdown or after it
LINE_POINTS = 15  # the height of a line of text at the default font (11 pt), in points
ROW_POINTS = 409  # a spreadsheet row's greatest height (Excel's), in points
ROW_LINES = ROW_POINTS // LINE_POINTS  # the lines of text a sheet row can show: 27


# -- layouts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A text of the form in Kazakh and Russian, and the seed's line that gives it."""

    kk: str
    ru: str
    line: str = ""

    def in_(self, language: str) -> str:
        return self.ru if language == "ru" else self.kk


@dataclass(frozen=True)
class Column:
    kind: str
    width: int
    name: Text
    currency: bool = False  # its amounts are followed by the currency (appendix 4)


@dataclass(frozen=True)
class Row:
    """A fixed row (appendices 1, 2, 5) or a group (appendix 3: `code` is the choice value)."""

    code: str
    name: Text


@dataclass(frozen=True)
class UnitGroup:
    """A group of appendix 4's breakdown: the units (organisations) of these kinds, under its
    name (000:L2018-2024: the regional departments, then the cities and districts)."""

    kinds: tuple[str, ...]
    name: Text


@dataclass(frozen=True)
class Figure:
    """A figure of appendix 4: the evidence `key` recorded on the case of the form's year
    (`year` 0) or of the next (1)."""

    place: str
    year: int
    key: str
    name: Text
    note: Text | None = None


@dataclass(frozen=True)
class Layout:
    n: int
    line: str
    title: tuple[tuple[str, ...], tuple[str, ...]]  # the title's lines in kk, in ru
    columns: tuple[Column, ...]
    approval: tuple[Text, ...] = ()
    rows: tuple[Row, ...] = ()
    groups: tuple[Row, ...] = ()
    lines_in: str = "cell"
    empty: Text | None = None
    footnote: Text | None = None
    examples: tuple[Text, ...] = ()
    figures: tuple[Figure, ...] = ()
    # the kinds of organisation the appendix is written for (empty: every kind)
    applies_to: tuple[str, ...] = ()
    unit_groups: tuple[UnitGroup, ...] = ()  # appendix 4: its breakdown's groups, in order

    def title_in(self, language: str) -> tuple[str, ...]:
        return self.title[1] if language == "ru" else self.title[0]


@dataclass(frozen=True)
class Layouts:
    header: Text  # "{n}": the appendix's number
    sheet: Text
    hidden: Text
    currency: Text
    appendices: dict[int, Layout]


def _text(raw: Any, where: str) -> Text:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(lang), str)
                                            for lang in FORM_LANGUAGES):
        raise ConfigError(f"{where}: needs its text in kk and ru")
    return Text(raw["kk"], raw["ru"], str(raw.get("line", "")))


def _texts(raw: Any, where: str) -> tuple[Text, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: must be a list")
    return tuple(_text(item, f"{where}[{i}]") for i, item in enumerate(raw))


def _rows(raw: Any, where: str, key: str) -> tuple[Row, ...]:
    rows = []
    for i, item in enumerate(raw or []):
        code = item.get(key) if isinstance(item, dict) else None
        if not isinstance(code, str) or not code:
            raise ConfigError(f"{where}[{i}]: needs its {key}")
        rows.append(Row(code, _text(item, f"{where}[{i}]")))
    return tuple(rows)


def _column(raw: Any, where: str) -> Column:
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}")
    width = raw.get("width", 20)
    if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= 255:
        raise ConfigError(f"{where}: width must be a whole number of 1-255")
    return Column(kind, width, _text(raw, where), raw.get("currency") is True)


def _figure(raw: Any, where: str) -> Figure:
    if not isinstance(raw, dict) or raw.get("place") not in PLACES \
            or raw.get("year") not in (0, 1) or not isinstance(raw.get("key"), str):
        raise ConfigError(f"{where}: needs place (before, after), year (0, 1) and key")
    note = _text(raw["note"], f"{where}.note") if "note" in raw else None
    return Figure(raw["place"], raw["year"], raw["key"], _text(raw, where), note)


def _title(raw: Any, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: needs its lines in kk and ru")
    lines = []
    for lang in FORM_LANGUAGES:
        value = raw.get(lang)
        if not isinstance(value, list) or not value or not all(isinstance(x, str) for x in value):
            raise ConfigError(f"{where}: needs its lines in {lang}")
        lines.append(tuple(value))
    return lines[0], lines[1]


def _layout(raw: Any, where: str) -> Layout:
    n = raw.get("n") if isinstance(raw, dict) else None
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"{where}: n must be the appendix's number (1, 2, …)")
    columns = tuple(_column(c, f"{where}.columns[{i}]")
                    for i, c in enumerate(raw.get("columns") or []))
    if not columns:
        raise ConfigError(f"{where}: has no columns")
    lines_in = raw.get("lines", "cell")
    if lines_in not in LINES_IN:
        raise ConfigError(f"{where}: lines must be one of {', '.join(LINES_IN)}")
    return Layout(
        n=raw["n"], line=str(raw.get("line", "")), title=_title(raw.get("title"), f"{where}.title"),
        columns=columns, approval=_texts(raw.get("sign_block"), f"{where}.sign_block"),
        rows=_rows(raw.get("rows"), f"{where}.rows", "code"),
        groups=_rows(raw.get("groups"), f"{where}.groups", "key"), lines_in=lines_in,
        empty=_text(raw["empty"], f"{where}.empty") if "empty" in raw else None,
        footnote=_text(raw["footnote"], f"{where}.footnote") if "footnote" in raw else None,
        examples=_texts(raw.get("examples"), f"{where}.examples"),
        figures=tuple(_figure(f, f"{where}.figures[{i}]")
                      for i, f in enumerate(raw.get("figures") or [])),
        applies_to=_kinds(raw.get("applies_to"), f"{where}.applies_to"),
        unit_groups=tuple(UnitGroup(_kinds(g.get("kinds") if isinstance(g, dict) else None,
                                           f"{where}.unit_groups[{i}].kinds"),
                                    _text(g, f"{where}.unit_groups[{i}]"))
                          for i, g in enumerate(raw.get("unit_groups") or [])))


def _kinds(raw: Any, where: str) -> tuple[str, ...]:
    """`applies_to`: organisation kinds, each one merzim knows, with the kinds that count as
    one of them (`core.kinds.widened`)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw or any(k not in ORG_KINDS for k in raw):
        raise ConfigError(f"{where}: must list organisation kinds ({', '.join(ORG_KINDS)})")
    return widened(raw)


def parse_layouts(doc: dict[str, Any], source: str) -> Layouts:
    """layouts.toml as data, checked: every text in kk and ru, each appendix once (the
    appendices there are are those it lays out)."""
    texts = doc.get("texts")
    if not isinstance(texts, dict):
        raise ConfigError(f"{source}: [texts] is missing")
    appendices: dict[int, Layout] = {}
    for i, raw in enumerate(doc.get("appendix") or []):
        layout = _layout(raw, f"{source}: appendix[{i}]")
        if layout.n in appendices:
            raise ConfigError(f"{source}: appendix {layout.n} is given twice")
        appendices[layout.n] = layout
    if not appendices:
        raise ConfigError(f"{source}: no appendix")
    header, sheet, hidden, currency = (_text(texts.get(k), f"{source}: texts.{k}")
                                       for k in ("header", "sheet", "hidden", "currency"))
    return Layouts(header, sheet, hidden, currency, appendices)


# -- what the service reads -----------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """One field, named date or piece of evidence of a line, named and written in the form's
    language; `url`: a link (the url column's)."""

    key: str
    name: str
    text: str
    url: bool = False


@dataclass(frozen=True)
class Line:
    values: tuple[Value, ...]
    person: str | None = None  # "name, position"; None: the process is about no one
    hidden: bool = False  # the reader may not see the person: written as hidden
    row: int | None = None  # the fixed row (1-based): appendices 2, 5 (and 1's sections)
    group: str | None = None  # the group's code: appendix 3
    # a consolidated form (B-18, B-19): the organisation the fact came from, named first
    origin: Value | None = None


@dataclass(frozen=True)
class FormData:
    """A form's content: the subject's name, the year, its lines and (appendix 4) its figures
    by (year offset, evidence key)."""

    n: int
    language: str
    year: int
    organisation: str
    lines: tuple[Line, ...] = ()
    figures: dict[tuple[int, str], int] = field(default_factory=dict)
    # a consolidated form (B-18): the organisations under the subject it takes in, by name
    taken_in: tuple[str, ...] = ()


def day_text(day: date) -> str:
    """A date as Kazakh and Russian documents write it: 05.03.2026."""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def amount_text(amount: int) -> str:
    """A whole number with its thousands apart: 1 500 000 (a no-break space, as printed)."""
    return f"{amount:,}".replace(",", "\u00a0")


def row_of(base: int, choice: str | None, choices: tuple[str, ...]) -> int:
    """The fixed row of a line: the definition's `[form] row`, moved down by the index of its
    choice among the choices when the rows go by a choice (restriction_breach: 5 + the index of
    its kind, 2.5.1-2.5.5)."""
    if choice is None or choice not in choices:
        return base
    return base + choices.index(choice)


# -- the sheet --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    value: str | int
    style: str = "text"  # header, name, sign, title, th, td, label, note


@dataclass(frozen=True)
class Merge:
    top: int
    left: int
    bottom: int
    right: int


@dataclass
class Sheet:
    name: str
    widths: tuple[int, ...]
    cells: list[Cell] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    row: int = 0  # the last row written
    # the table's heading rows (first, last), printed at the top of every page; None: no table
    heading_rows: tuple[int, int] | None = None

    def put(self, row: int, col: int, value: str | int | None, style: str) -> None:
        if value is None or value == "":
            value = ""
        self.cells.append(Cell(row, col, value, style))

    def line(self, value: str, style: str, skip: int = 0) -> None:
        """A text across the whole width, on a row of its own (`skip` empty rows before it)."""
        self.row += 1 + skip
        self.put(self.row, 1, value, style)
        if len(self.widths) > 1:
            self.merges.append(Merge(self.row, 1, self.row, len(self.widths)))

    def table_row(self, values: list[str | int], style: str = "td") -> None:
        self.row += 1
        for col, value in enumerate(values, start=1):
            self.put(self.row, col, value, style)

    def value(self, row: int, col: int) -> str | int | None:
        """The value written at (row, col), for the tests."""
        return next((c.value for c in self.cells if c.row == row and c.col == col), None)


def lines_needed(text: str, width: int) -> int:
    """The lines a text takes in a column `width` characters wide: each of its lines (an empty
    one, between two paragraphs, too) wrapped at the width."""
    return sum(max(1, math.ceil(len(part) * 1.15 / max(width, 1)))
               for part in text.split("\n"))


def _cut(line: str, width: int, most: int) -> list[str]:
    """A line too long for `most` lines of a column cut at its spaces into pieces that fit
    (a word longer than that, a link, cut where it must)."""
    room = max(1, int(most * max(width, 1) / 1.15))
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        joined = f"{current} {word}" if current else word
        if len(joined) <= room:
            current = joined
            continue
        if current:
            pieces.append(current)
        while len(word) > room:
            pieces.append(word[:room])
            word = word[room:]
        current = word
    return pieces + [current]


def row_parts(text: str, width: int, most: int = ROW_LINES) -> list[str]:
    """A text in the parts that each fit a sheet row (`most` lines of a column `width`
    characters wide), cut between its lines; a line longer than a row by itself is cut at its
    spaces. A text that fits is one part, itself."""
    if lines_needed(text, width) <= most:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        for piece in ([line] if lines_needed(line, width) <= most else _cut(line, width, most)):
            if current and lines_needed("\n".join([*current, piece]), width) > most:
                parts.append("\n".join(current))
                current = []
            current.append(piece)
    return parts + ["\n".join(current)]


def _value_text(value: Value, named: bool) -> str:
    return f"{value.name}: {value.text}" if named and value.name else value.text


def paragraph(person: str | None, values: list[Value], origin: Value | None = None) -> str:
    """One fact as a paragraph: the organisation it came from (a consolidated form), the
    person (when given), then each value on a line of its own as "Name: value", in the order
    the line gives them (the seed's)."""
    return "\n".join(([_value_text(origin, True)] if origin else []) + ([person] if person else [])
                     + [_value_text(v, True) for v in values])


def fill(line: Line, columns: tuple[Column, ...], hidden: str) -> list[str]:
    """A line's texts in the table's columns (the number and label columns left empty): the
    person column takes the person (or, for a process about no one, the line's first value as
    "name: value"), a url column its links, each `each` column the next value, the text column
    every other value, a paragraph (the person first when no column takes it); values left over
    with no text column go, under the value already there, to the last `each` column."""
    values = list(line.values)
    person = hidden if line.hidden else line.person
    out = ["" for _ in columns]
    kinds = [c.kind for c in columns]
    if "person" in kinds:
        if person is None and values:
            person = _value_text(values.pop(0), True)
        out[kinds.index("person")] = person or ""
        person = None
    if "url" in kinds:
        links = [v.text for v in values if v.url]
        values = [v for v in values if not v.url]
        out[kinds.index("url")] = "\n".join(links)
    each = [i for i, k in enumerate(kinds) if k == "each"]
    for i in each:
        if values:
            out[i] = values.pop(0).text
    rest = paragraph(person, values, line.origin)
    if "text" in kinds:
        out[kinds.index("text")] = rest
    elif rest and each:
        last = each[-1]
        out[last] = "\n".join(([out[last]] if out[last] else []) + [rest])
    return out


def line_text(line: Line, hidden: str) -> str:
    """A line written in one cell: a paragraph, the person first."""
    return paragraph(hidden if line.hidden else line.person, list(line.values), line.origin)


def _top(sheet: Sheet, layouts: Layouts, layout: Layout, data: FormData) -> None:
    lang = data.language
    sheet.line(layouts.header.in_(lang).replace("{n}", str(layout.n)), "header")
    sheet.line(data.organisation, "name", skip=1)
    for i, text in enumerate(layout.approval):
        sheet.line(text.in_(lang), "sign", skip=1 if i == 0 else 0)
    for i, title in enumerate(layout.title_in(lang)):
        sheet.line(title, "title", skip=1 if i == 0 else 0)
    sheet.row += 1


def _header(sheet: Sheet, layout: Layout, language: str) -> None:
    """The table's heading row: the columns' names; the rows printed on every page."""
    sheet.table_row([c.name.in_(language) for c in layout.columns], "th")
    sheet.heading_rows = (sheet.row, sheet.row)


def _numbered(texts: list[str]) -> list[str]:
    """The facts of a fixed row, a paragraph each, numbered "1) " when more than one."""
    if len(texts) == 1:
        return texts
    return [f"{i}) {text}" for i, text in enumerate(texts, start=1)]


def _row_label(row: Row, language: str, layout: Layout) -> str:
    """A fixed row's name; appendix 2's with its sub-task number (its column is "№")."""
    name = row.name.in_(language)
    numbered = any(c.kind == "number" for c in layout.columns)
    return name if numbered else f"{row.code} {name}"


def _cell_rows(sheet: Sheet, layouts: Layouts, layout: Layout, data: FormData) -> None:
    """Appendices 1 and 2: each fixed row's facts a sheet row each, in its text column, the
    row's number and label merged down beside them (B-19: each sheet row as high as its own
    fact); a fact longer than a sheet row can be continues on the next (`row_parts`); a row
    without facts one sheet row with the layout's `empty` text."""
    hidden = layouts.hidden.in_(data.language)
    heads = ("number", "label")
    width = min((c.width for c in layout.columns if c.kind not in heads), default=1)
    for i, row in enumerate(layout.rows, start=1):
        texts = _numbered([line_text(x, hidden) for x in data.lines if x.row == i])
        parts = [part for text in texts for part in row_parts(text, width)] or [
            layout.empty.in_(data.language) if layout.empty else ""]
        first = sheet.row + 1
        for j, part in enumerate(parts):
            sheet.table_row(["" if c.kind in heads and j else i if c.kind == "number"
                             else _row_label(row, data.language, layout) if c.kind == "label"
                             else part for c in layout.columns])
        if sheet.row > first:
            sheet.merges.extend(Merge(first, k, sheet.row, k)
                                for k, c in enumerate(layout.columns, start=1) if c.kind in heads)


def _line_rows(sheet: Sheet, layouts: Layouts, layout: Layout, data: FormData) -> None:
    """Appendix 5: each fixed row a heading row, its lines numbered under it."""
    hidden = layouts.hidden.in_(data.language)
    for i, row in enumerate(layout.rows, start=1):
        sheet.table_row([i, row.name.in_(data.language)], "label")
        sheet.merges.append(Merge(sheet.row, 2, sheet.row, len(layout.columns)))
        for j, line in enumerate([x for x in data.lines if x.row == i], start=1):
            texts = fill(line, layout.columns, hidden)
            sheet.table_row([f"{i}.{j}" if c.kind == "number" else texts[k]
                             for k, c in enumerate(layout.columns)])


def _group_rows(sheet: Sheet, layouts: Layouts, layout: Layout, data: FormData) -> None:
    """Appendix 3: each group's lines numbered "1.", "2.", … under its name, which spans them;
    an empty group keeps one blank "1." row, as the seed prints it."""
    hidden = layouts.hidden.in_(data.language)
    for group in layout.groups:
        lines = [x for x in data.lines if x.group == group.code] or [Line(())]
        first = sheet.row + 1
        for j, line in enumerate(lines, start=1):
            texts = fill(line, layout.columns, hidden)
            sheet.table_row([f"{j}." if c.kind == "number" else group.name.in_(data.language)
                             if c.kind == "label" and j == 1 else texts[k]
                             for k, c in enumerate(layout.columns)])
        label = next((k for k, c in enumerate(layout.columns, start=1) if c.kind == "label"), 0)
        if label and sheet.row > first:
            sheet.merges.append(Merge(first, label, sheet.row, label))


def _plain_rows(sheet: Sheet, layouts: Layouts, layout: Layout, data: FormData) -> None:
    """Appendix 6: one table row per line, numbered."""
    hidden = layouts.hidden.in_(data.language)
    for j, line in enumerate(data.lines, start=1):
        texts = fill(line, layout.columns, hidden)
        sheet.table_row([j if c.kind == "number" else texts[k]
                         for k, c in enumerate(layout.columns)])


def _figures(sheet: Sheet, layouts: Layouts, layout: Layout, data: FormData, place: str) -> None:
    lang = data.language
    for fig in layout.figures:
        if fig.place != place:
            continue
        year = data.year + fig.year
        amount = data.figures.get((fig.year, fig.key))
        shown = "" if amount is None else f"{amount_text(amount)} {layouts.currency.in_(lang)}"
        sheet.table_row([fig.name.in_(lang).replace("{year}", str(year)), shown,
                         fig.note.in_(lang) if fig.note else ""])


def _social_order(sheet: Sheet, layouts: Layouts, layout: Layout, data: FormData) -> None:
    """Appendix 4: the year's figures, the breakdown by unit with its links (the seed's example
    units when none is recorded), and the figures of the year and the next."""
    lang = data.language
    _figures(sheet, layouts, layout, data, "before")
    sheet.row += 1
    _header(sheet, layout, lang)
    currency = layouts.currency.in_(lang)
    # the units of no group first, then each group under its name: the regional departments,
    # the cities and districts (000:L2018-2024)
    groups: list[tuple[Text | None, list[Line]]] = [
        (None, [ln for ln in data.lines if ln.group is None])]
    groups += [(g.name, [ln for ln in data.lines if ln.group == str(i)])
               for i, g in enumerate(layout.unit_groups)]
    for name, lines in groups:
        if name is not None and lines:
            sheet.table_row([name.in_(lang), "", ""], style="label")
        for line in lines:
            texts = fill(line, layout.columns, layouts.hidden.in_(lang))
            sheet.table_row([f"{text} {currency}" if col.currency and text else text
                             for col, text in zip(layout.columns, texts, strict=True)])
    if not data.lines:
        for example in layout.examples:
            sheet.table_row([example.in_(lang), "", ""])
    sheet.row += 1
    _figures(sheet, layouts, layout, data, "after")


def lay_out(layouts: Layouts, data: FormData) -> Sheet:
    """The sheet of appendix `data.n` in `data.language`: the header line, the organisation's
    name, the approval block, the title, the table and its footnote."""
    layout = layouts.appendices[data.n]
    sheet = Sheet(layouts.sheet.in_(data.language).replace("{n}", str(data.n)),
                  tuple(c.width for c in layout.columns))
    _top(sheet, layouts, layout, data)
    if layout.figures:
        _social_order(sheet, layouts, layout, data)
    else:
        _header(sheet, layout, data.language)
        if layout.groups:
            _group_rows(sheet, layouts, layout, data)
        elif layout.rows and layout.lines_in == "rows":
            _line_rows(sheet, layouts, layout, data)
        elif layout.rows:
            _cell_rows(sheet, layouts, layout, data)
        else:
            _plain_rows(sheet, layouts, layout, data)
    if layout.footnote:
        sheet.line(layout.footnote.in_(data.language), "note", skip=1)
    return sheet
