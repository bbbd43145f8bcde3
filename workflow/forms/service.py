"""A report form of a subject and a year, read from the registers and written as XLSX.

Which definitions fill appendix N is their `[form]` table (`appendix`); appendix 1 is also
filled by the definition whose `[scorecard.events] cartogram_updated` names an event (the
internal analysis: its cartogram updates, 000:L1805-1809, I-7). The subject's cases of those
definitions are read in one query, their standing records in another, the organisations their
evidence names in a third. A case counts in the year of its `[scorecard] year_of` date when it
has one (else the year it was opened for: a recurring case's period, or its date); a standing
record of the `[form] records` event counts in its case's year when the case is recurring or
has a `year_of`, else in the year of its own date. Cases in a state of `[scorecard.states]
excluded` (entered by mistake) are left out.

Persons: the form names the person of a case only to whom the case page shows it
(`sees_person`, the page kit's rule; None: the command line's operator, who sees every case);
to anyone else the person is written as hidden and the case's evidence is left out, as the case
page does (procedures.md). No key of a definition is written here: they come from the tables.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from workflow.core.definition import BUILTIN_EVIDENCE, PERIOD_DATE_NAMES, Definition
from workflow.core.errors import UsageError
from workflow.core.names import name_in
from workflow.forms import rules
from workflow.forms.texts import layouts
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import org_name
from workflow.services.processes import definition_of
from workflow.storage import audit
from workflow.storage.models import EVENT, Case, EventRecord, Organisation

CHUNK = 500  # ids per IN (...) list
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SeesPerson = Callable[[Case, str], bool]


@dataclass(frozen=True)
class Source:
    """A definition whose entries fill the form, and its `[form]` table."""

    definition: Definition
    table: dict[str, Any]


@dataclass(frozen=True)
class Produced:
    """A form written: its content, the sheet it was written from, and who it names."""

    data: rules.FormData
    sheet: rules.Sheet
    content: bytes
    persons_shown: int
    persons_hidden: int


# -- the request ----------------------------------------------------------------------------------


def appendix_number(value: str | int) -> int:
    """The appendix asked for: 1-6, or the refusal that says so."""
    text = str(value).strip()
    if not text.isdigit() or int(text) not in rules.APPENDICES:
        raise UsageError(key="forms.bad_appendix", value=str(value))
    return int(text)


def form_language(value: str | None, reader: str) -> str:
    """The form's language: kk or ru as asked; none asked: the reader's when it is one of them,
    else Kazakh (the seed's)."""
    if value is None or value == "":
        return reader if reader in rules.FORM_LANGUAGES else rules.FORM_LANGUAGES[0]
    if value not in rules.FORM_LANGUAGES:
        raise UsageError(key="forms.bad_language", value=value)
    return value


def check_year(ctx: Context, year: int) -> None:
    cal = ctx.calendar
    if not cal.first_year <= year <= cal.last_year:
        raise UsageError(key="error.year_outside", year=year, first=cal.first_year,
                         last=cal.last_year)


def file_name(translate, n: int, org_code: str, year: int, language: str) -> str:
    """The form's file name in the reader's words: appendix-2-ORG-2026-kk.xlsx."""
    code = re.sub(r'[\\/:*?"<>|\s]+', "_", org_code).strip("._") or "org"
    return translate("forms.file_name", n=n, org=code, year=year, lang=language)


# -- which definitions, which cases ----------------------------------------------------------------


def _cartogram_event(definition: Definition) -> str | None:
    events = ((definition.raw.get("scorecard") or {}).get("events") or {})
    event = events.get("cartogram_updated")
    return event if event in definition.events else None


def sources(ctx: Context, n: int) -> list[Source]:
    """The definitions whose entries fill appendix `n`, in key order."""
    out = []
    for definition in sorted(ctx.registry.all(), key=lambda d: d.key):
        table = definition.raw.get("form")
        if isinstance(table, dict) and table.get("appendix") == n:
            out.append(Source(definition, table))
        elif n == 1 and not table and (event := _cartogram_event(definition)):
            # each update in the row of the part it names (version 5: positions, the list of
            # risks, 000:L1807-1809); one naming none (version 4) in both
            part = ((_scorecard(definition).get("fields") or {}).get("part"))
            out.append(Source(definition, {"appendix": 1, "records": event,
                                           **({"group_by": part} if part else {})}))
    return out


def _chunks(ids: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _records(s: Session, case_ids: list[int]) -> dict[int, list[EventRecord]]:
    """The standing event records of the cases, in the order they were recorded."""
    out: dict[int, list[EventRecord]] = {}
    for chunk in _chunks(case_ids):
        for rec in s.exec(select(EventRecord).where(
                col(EventRecord.case_id).in_(chunk), EventRecord.kind == EVENT,
                col(EventRecord.voided_by_id).is_(None)).order_by(col(EventRecord.id))):
            out.setdefault(rec.case_id, []).append(rec)
    return out


def _org_names(s: Session, codes: set[str], language: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for chunk in _chunks(sorted(codes)):
        for org in s.exec(select(Organisation).where(col(Organisation.code).in_(chunk))):
            names[org.code] = org_name(org, language)
    return names


def _scorecard(definition: Definition) -> dict[str, Any]:
    table = definition.raw.get("scorecard")
    return table if isinstance(table, dict) else {}


def _named_date(definition: Definition, case: Case, records: list[EventRecord], key: str
                ) -> date | None:
    """A named date of the case: given when it was opened, else the date of the last standing
    record of an event that sets it."""
    given = case.given().get(key)
    if given is not None:
        return given
    setters = {e.key for e in definition.events.values() if key in e.sets}
    found = [r.on for r in records if r.event in setters]
    return found[-1] if found else None


def _case_year(definition: Definition, case: Case, records: list[EventRecord]) -> int:
    key = _scorecard(definition).get("year_of")
    day = _named_date(definition, case, records, key) if isinstance(key, str) else None
    return (day or case.case_date).year


# -- the values of a line ---------------------------------------------------------------------------


@dataclass
class _Reader:
    """Names and writes the values of one form's lines, in its language."""

    language: str
    translate: Callable[..., str]
    organisations: dict[str, str]

    def name(self, definition: Definition, key: str) -> str:
        if key in definition.fields:
            return name_in(definition.fields[key].names, self.language, key)
        if key in definition.evidence and definition.evidence[key].names:
            return name_in(definition.evidence[key].names, self.language, key)
        if key in BUILTIN_EVIDENCE:
            return self.translate(f"evidence.{key}")
        if key in definition.dates:
            return name_in(definition.dates[key].names or PERIOD_DATE_NAMES.get(key),
                           self.language, key)
        if key in definition.events:
            return name_in(definition.events[key].names, self.language, key)
        return key

    def text(self, definition: Definition, key: str, raw: Any) -> rules.Value | None:
        if raw is None or raw == "":
            return None
        spec = definition.fields.get(key) or definition.evidence.get(key)
        kind = spec.type if spec is not None else ("url" if key == "url" else "text")
        text: str
        if isinstance(raw, date):
            text = rules.day_text(raw)
        elif kind == "choice" and spec is not None:
            text = name_in(spec.choice_names.get(str(raw)), self.language, str(raw))
        elif kind == "date":
            try:
                text = rules.day_text(date.fromisoformat(str(raw)))
            except ValueError:
                text = str(raw)
        elif kind == "integer" and isinstance(raw, int | str) and str(raw).lstrip("-").isdigit():
            text = rules.amount_text(int(raw))
        elif kind == "organisation":
            text = self.organisations.get(str(raw), str(raw))
        else:
            text = str(raw)
        return rules.Value(key, self.name(definition, key), text, url=kind == "url")


def _default_columns(definition: Definition, case: Case, records: list[EventRecord]
                     ) -> list[str]:
    """Every field, named date and piece of evidence the entry has, in the definition's order."""
    keys = [k for k in definition.fields if (case.fields or {}).get(k) not in (None, "")]
    keys += [k for k in definition.dates if k in (case.dates or {})
             or any(k in definition.events[r.event].sets for r in records
                    if r.event in definition.events)]
    for rec in records:
        keys += [k for k, v in (rec.evidence or {}).items() if v not in (None, "")]
    return list(dict.fromkeys(keys))


def _case_values(reader: _Reader, definition: Definition, case: Case,
                 records: list[EventRecord], columns: list[str], evidence: bool
                 ) -> list[rules.Value]:
    out = []
    for key in columns:
        if key in definition.fields:
            value = reader.text(definition, key, (case.fields or {}).get(key))
        elif key in definition.dates or key in PERIOD_DATE_NAMES:
            value = reader.text(definition, key, _named_date(definition, case, records, key))
        elif evidence:  # every standing record's value, each once, in the order recorded
            found = [str(v) for r in records if (v := (r.evidence or {}).get(key)) not in
                     (None, "")]
            value = (reader.text(definition, key, "; ".join(dict.fromkeys(found)))
                     if len(set(found)) > 1 else reader.text(definition, key,
                                                             found[0] if found else None))
        else:
            value = None
        if value is not None:
            out.append(value)
    return out


def _record_values(reader: _Reader, definition: Definition, case: Case, record: EventRecord,
                   records: list[EventRecord], columns: list[str] | None) -> list[rules.Value]:
    evidence = record.evidence or {}
    if columns is None:  # its date, then its evidence in the order the event names it
        first = reader.text(definition, record.event, record.on)
        spec = definition.events.get(record.event)
        named = (*definition.requirements(spec), *spec.optional) if spec is not None else ()
        keys = [k for k in dict.fromkeys((*named, *evidence)) if evidence.get(k) not in
                (None, "")]
        rest = [v for k in keys if (v := reader.text(definition, k, evidence[k])) is not None]
        return ([first] if first else []) + rest
    out = []
    for key in columns:
        if key in evidence:
            value = reader.text(definition, key, evidence[key])
            if value is not None:
                out.append(value)
        else:
            out += _case_values(reader, definition, case, records, [key], evidence=False)
    return out


def _choice_of(definition: Definition, case: Case, record: EventRecord | None, key: str | None
               ) -> tuple[str | None, tuple[str, ...]]:
    """The value of a choice field or evidence, with the choices it is one of."""
    if not key:
        return None, ()
    spec = definition.fields.get(key) or definition.evidence.get(key)
    if spec is None:
        return None, ()
    value = ((record.evidence or {}).get(key) if record is not None else None) \
        or (case.fields or {}).get(key)
    return (str(value) if value is not None else None), spec.choices


# -- the form ------------------------------------------------------------------------------------------


@dataclass
class _Lines:
    lines: list[tuple[tuple[Any, ...], rules.Line]]
    shown: int = 0
    hidden: int = 0


def _lines_of(source: Source, layout: rules.Layout, reader: _Reader, version: Definition,
              case: Case, records: list[EventRecord], year: int, shows: bool, out: _Lines
              ) -> None:
    """The lines one case gives the form of `year` (none when it is of another year)."""
    table = source.table
    columns = table.get("columns")
    columns = [str(c) for c in columns] if isinstance(columns, list) else None
    about_person = version.parties.person != "none"
    person = None
    if about_person:
        person = ", ".join(x for x in (case.person_name, case.person_position) if x) or None
    hidden = about_person and not shows
    by_year = version.recurring or isinstance(_scorecard(version).get("year_of"), str)
    event = table.get("records")
    if event:
        items: list[tuple[EventRecord | None, date]] = [
            (r, r.on) for r in records if r.event == event
            and (_case_year(version, case, records) if by_year else r.on.year) == year]
    elif _case_year(version, case, records) == year:
        key = _scorecard(version).get("year_of")
        day = _named_date(version, case, records, key) if isinstance(key, str) else None
        items = [(None, day or case.case_date)]
    else:
        items = []
    for record, day in items:
        if record is not None:
            values = _record_values(reader, version, case, record, records, columns)
        else:
            values = _case_values(reader, version, case, records,
                                  columns or _default_columns(version, case, records),
                                  evidence=not hidden)
        if hidden:  # the case page's rule: no evidence of a case whose person is not shown,
            # no field that may name a person
            values = [v for v in values if (v.key in version.fields
                                            and not version.fields[v.key].personal)
                      or v.key in version.dates]
        group_key = table.get("group_by")
        if layout.groups and group_key:  # the group's name is the label column's
            values = [v for v in values if v.key != group_key]
        choice, choices = _choice_of(version, case, record, group_key
                                     or _scorecard(version).get("fields", {}).get("kind"))
        rows: list[int | None] = [None]
        group = None
        if layout.groups:
            group = choice
        elif layout.rows:
            base = table.get("row")
            if isinstance(base, int):
                rows = [rules.row_of(base, choice, choices)]
            elif choice is not None and choice in choices:  # appendix 1: the part it updated
                rows = [1 + choices.index(choice)]
                values = [v for v in values if v.key != group_key]  # the row says it
            else:  # appendix 1: an update naming no part (version 4) updated both sections
                rows = list(range(1, len(layout.rows) + 1))
        for row in rows:
            line = rules.Line(tuple(values), person if about_person else None, hidden, row, group)
            out.lines.append(((row or 0, day, case.id, record.id if record else 0), line))
    if about_person and items:
        if hidden:
            out.hidden += 1
        else:
            out.shown += 1


def _figures(source: Source, layout: rules.Layout, year: int, cases: list[Case],
             records: dict[int, list[EventRecord]]) -> dict[tuple[int, str], int]:
    """Appendix 4's figures: each recorded on the case of its year (the last standing record
    that carries it)."""
    out: dict[tuple[int, str], int] = {}
    for fig in layout.figures:
        for case in cases:
            if case.process != source.definition.key or _case_year(
                    source.definition, case, records.get(case.id or 0, [])) != year + fig.year:
                continue
            for rec in records.get(case.id or 0, []):
                value = (rec.evidence or {}).get(fig.key)
                if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                    out[(fig.year, fig.key)] = int(value)
    return out


def form_data(s: Session, ctx: Context, n: int, org_code: str, year: int, language: str,
              sees_person: SeesPerson | None = None) -> tuple[rules.FormData, int, int]:
    """Appendix `n` of the subject `org_code` for `year` in `language` (kk, ru), and how many
    persons it names and hides. `sees_person(case, visibility)`: whether the reader may see the
    person of a case (None: every one)."""
    from workflow.i18n import Translator

    n = appendix_number(n)
    language = form_language(language, language)
    check_year(ctx, year)
    org = get_org(s, org_code)
    layout = layouts().appendices[n]
    found = sources(ctx, n)
    by_key = {src.definition.key: src for src in found}
    cases = list(s.exec(select(Case).where(Case.subject_id == org.id,
                                           col(Case.process).in_(sorted(by_key) or [""]),
                                           col(Case.withdrawn_at).is_(None))  # (issue 29)
                        .order_by(col(Case.id))))
    records = _records(s, [c.id for c in cases if c.id is not None])
    codes = {str(v) for src in found for spec in src.definition.evidence.values()
             if spec.type == "organisation"
             for recs in records.values() for r in recs if (v := (r.evidence or {}).get(spec.key))}
    reader = _Reader(language, Translator(language), _org_names(s, codes, language))
    versions: dict[tuple[str, int], Definition] = {}
    out = _Lines([])
    for case in cases:
        source = by_key[case.process]
        excluded = (_scorecard(source.definition).get("states") or {}).get("excluded") or ()
        if case.state in excluded:
            continue
        ident = (case.process, case.process_version)
        if ident not in versions:
            versions[ident] = definition_of(s, ctx, case)
        version = versions[ident]
        shows = (version.parties.person == "none" or sees_person is None
                 or sees_person(case, version.parties.person_visibility))
        _lines_of(source, layout, reader, version, case, records.get(case.id or 0, []), year,
                  shows, out)
    figures: dict[tuple[int, str], int] = {}
    for source in found if layout.figures else ():
        figures.update(_figures(source, layout, year, cases, records))
    out.lines.sort(key=lambda item: item[0])
    data = rules.FormData(n, language, year, org_name(org, language),
                          tuple(line for _, line in out.lines), figures)
    return data, out.shown, out.hidden


def produce(s: Session, ctx: Context, n: int, org_code: str, year: int, language: str,
            sees_person: SeesPerson | None = None) -> Produced:
    """The form laid out and written as XLSX."""
    data, shown, hidden = form_data(s, ctx, n, org_code, year, language, sees_person)
    sheet = rules.lay_out(layouts(), data)
    return Produced(data, sheet, write_xlsx(sheet), shown, hidden)


def package_form(s: Session, ctx: Context, n: int, org_code: str, year: int, language: str,
                 sees_person: SeesPerson | None = None) -> tuple[str, bytes, int, int, int]:
    """Appendix `n` as the cross-platform package carries it (workflow/platform, `forms` of a
    sub-task): its file name in the reader's words, its XLSX, how many lines (and appendix 4's
    figures) it holds, and the persons it names and hides. The package's export is audited by
    its caller, once."""
    from workflow.i18n import Translator

    produced = produce(s, ctx, n, org_code, year, language, sees_person)
    entries = len(produced.data.lines) + len(produced.data.figures)
    return (file_name(Translator(ctx.language), n, org_code, year, language), produced.content,
            entries, produced.persons_shown, produced.persons_hidden)


def record_export(s: Session, actor: str, org_code: str, produced: Produced) -> None:
    """The export in the audit log (a form may name persons): which form, for whom, and how
    many persons it showed and hid. In the caller's transaction."""
    data = produced.data
    audit.append(s, actor, "export.form", "organisation", org_code,
                 {"appendix": data.n, "year": data.year, "lang": data.language,
                  "lines": len(data.lines), "persons_shown": produced.persons_shown,
                  "persons_hidden": produced.persons_hidden})


# -- XLSX ----------------------------------------------------------------------------------------------


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


def _lines_needed(text: str, width: int) -> int:
    return sum(max(1, math.ceil(len(part) * 1.15 / max(width, 1)))
               for part in text.split("\n"))


def write_xlsx(sheet: rules.Sheet) -> bytes:
    """The sheet as an XLSX workbook: every text stored as text (a value starting with = + - @
    is never a formula), the merged ranges merged, the rows as high as their text needs."""
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
    spans = {(m.top, m.left): sum(sheet.widths[m.left - 1:m.right]) for m in sheet.merges}
    heights: dict[int, int] = {}
    for c in sheet.cells:
        value = ILLEGAL_CHARACTERS_RE.sub("", c.value) if isinstance(c.value, str) else c.value
        cell = ws.cell(row=c.row, column=c.col)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl takes "=..." for a formula otherwise
        for attr, style in styles.get(c.style, styles["text"]).items():
            setattr(cell, attr, style)
        width = spans.get((c.row, c.col), sheet.widths[c.col - 1])
        heights[c.row] = max(heights.get(c.row, 1), _lines_needed(str(value), width))
    for m in sheet.merges:
        ws.merge_cells(start_row=m.top, start_column=m.left, end_row=m.bottom,
                       end_column=m.right)
    for row, lines in heights.items():
        if lines > 1:
            ws.row_dimensions[row].height = min(409, 15 * lines)
    ws.page_setup.orientation = "landscape" if sum(sheet.widths) > 120 else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
