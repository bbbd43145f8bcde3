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

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cachetools import TTLCache
from sqlmodel import Session, col, select

from workflow.core.definition import BUILTIN_EVIDENCE, PERIOD_DATE_NAMES, Definition
from workflow.core.errors import KeyList, UsageError
from workflow.core.names import name_in
from workflow.core.register_spec import FormSpec
from workflow.forms import rules
from workflow.forms.texts import layouts
from workflow.forms.xlsx import write_xlsx
from workflow.kept import figures
from workflow.registers.entries import CaseRow, Entry, RecordRow, named_date
from workflow.registers.reader import read_cases, read_entries
from workflow.registers.scope import CONSOLIDATING_KINDS, consolidates, members
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import org_name
from workflow.services.processes import definition_of
from workflow.storage import audit
from workflow.storage.models import Organisation
from workflow.storage.queries import in_subtree

CHUNK = 500  # ids per IN (...) list
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SeesPerson = Callable[[Any, str], bool]  # (a case row: subject_id, responsible_id; visibility)


@dataclass(frozen=True)
class Source:
    """A definition whose entries fill the form, and its `[form]` table."""

    definition: Definition
    table: FormSpec


@dataclass(frozen=True)
class Produced:
    """A form written: its content, the sheet it was written from, and who it names."""

    data: rules.FormData
    sheet: rules.Sheet
    content: bytes
    persons_shown: int
    persons_hidden: int


# -- the request ----------------------------------------------------------------------------------


def appendices() -> tuple[int, ...]:
    """The appendices there are: those layouts.toml lays out, in order."""
    return tuple(sorted(layouts().appendices))


def appendix_number(value: str | int) -> int:
    """The appendix asked for: 1-6, or the refusal that says so."""
    text = str(value).strip()
    known = appendices()  # the appendices layouts.toml lays out
    if not text.isdigit() or int(text) not in known:
        together = known == tuple(range(known[0], known[-1] + 1))
        raise UsageError(key="forms.bad_appendix", value=str(value),
                         known=f"{known[0]}–{known[-1]}" if together
                         else ", ".join(map(str, known)))
    return int(text)


def applies(n: int, kind: str) -> bool:
    """Whether appendix `n` is written for an organisation of `kind` (layouts.toml
    `applies_to`: appendices 1 and 4 are the regional akim's apparatus's)."""
    kinds = layouts().appendices[n].applies_to
    return not kinds or kind in kinds


def check_applies(n: int, org: Organisation) -> None:
    """Appendix `n` of an organisation it is not written for: refused with the reason, in the
    reader's language."""
    if applies(n, org.kind):
        return
    kinds = layouts().appendices[n].applies_to
    error = UsageError(f"appendix {n} applies to {', '.join(kinds)}, not to {org.kind}",
                       key="forms.not_for_kind", n=n, org=org.code, kind=org.kind,
                       kinds=", ".join(kinds))
    error.labels.update(kind=f"org_kind.{org.kind}",
                        kinds=KeyList(error.params["kinds"], {k: f"org_kind.{k}" for k in kinds}))
    raise error


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
    spec = definition.scorecard
    event = spec.events.get("cartogram_updated") if spec is not None else None
    return event if event in definition.events else None


def sources(ctx: Context, n: int) -> list[Source]:
    """The definitions whose entries fill appendix `n`, in key order."""
    out = []
    for definition in sorted(ctx.registry.all(), key=lambda d: d.key):
        table = definition.form
        if table is not None and table.appendix == n:
            out.append(Source(definition, table))
        elif n == 1 and table is None and (event := _cartogram_event(definition)):
            # each update in the row of the part it names (version 5: positions, the list of
            # risks, 000:L1807-1809); one naming none (version 4) in both
            spec = definition.scorecard
            part = spec.fields.get("part") if spec is not None else None
            out.append(Source(definition, FormSpec(appendix=1, records=event, group_by=part)))
    return out


def _org_names(s: Session, codes: set[str], language: str,
               kinds: dict[str, str] | None = None) -> dict[str, str]:
    """The organisations' names in `language` (and, into `kinds`, their kinds)."""
    names: dict[str, str] = {}
    codes_ = sorted(codes)
    for i in range(0, len(codes_), CHUNK):
        for org in s.exec(select(Organisation).where(
                col(Organisation.code).in_(codes_[i:i + CHUNK]))):
            names[org.code] = org_name(org, language)
            if kinds is not None:
                kinds[org.code] = org.kind
    return names


def _unit_group(layout: rules.Layout, definition: Definition, record: RecordRow | None,
                kinds: dict[str, str]) -> str | None:
    """Appendix 4: the group of the breakdown the record's unit (its organisation evidence)
    is in, by the unit's kind (layouts.toml `unit_groups`); None: no group's."""
    if record is None or not layout.unit_groups:
        return None
    for key, spec in definition.evidence.items():
        code = record.evidence.get(key) if spec.type == "organisation" else None
        if code:
            kind = kinds.get(str(code))
            return next((str(i) for i, g in enumerate(layout.unit_groups) if kind in g.kinds),
                        None)
    return None


def taken_in(s: Session, ctx: Context, org: Organisation, n: int) -> list[Organisation]:
    """The organisations whose entries a subject's appendix `n` takes in (B-18, in tree
    order): the appendices 2-6 of a subject of a kind that consolidates (`[scorecard]
    consolidating_kinds`, the score's: a central body, an akimat) take in the organisations
    under it (workflow/registers/scope.py); appendix 1 (its own analysis) and anyone else's:
    itself."""
    kinds = ctx.consolidating_kinds or CONSOLIDATING_KINDS
    if n == 1 or not consolidates(org.kind, kinds):
        return [org]
    tree = sorted(s.exec(select(Organisation).where(in_subtree(Organisation.path, org))),
                  key=lambda o: o.path)
    by_code = {o.code: o for o in tree}
    parent: dict[int | None, str] = {o.id: o.code for o in tree}
    units = [_Unit(o.code, o.kind, parent.get(o.parent_id)) for o in tree]
    return [by_code[code] for code in members(org.code, org.kind, units, kinds)]


@dataclass(frozen=True, slots=True)
class _Unit:
    code: str
    kind: str
    parent: str | None


# -- the values of a line ---------------------------------------------------------------------------


@dataclass
class _Reader:
    """Names and writes the values of one form's lines, in its language."""

    language: str
    translate: Callable[..., str]
    organisations: dict[str, str]
    kinds: dict[str, str] = field(default_factory=dict)  # organisation code -> its kind

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
        if key in definition.stages:
            return name_in(definition.stages[key].names, self.language, key)
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

    def event(self, definition: Definition, key: str, records: Sequence[RecordRow]
              ) -> rules.Value | None:
        """An event named as a column: each of its standing records, its date and its
        evidence in the order the event names it (the outcome of a supervisor's liability:
        the order's number, date and signer, the reasons)."""
        spec = definition.events[key]
        named = (*definition.requirements(spec), *spec.optional)
        found = []
        for r in records:
            if r.event != key:
                continue
            keys = [k for k in dict.fromkeys((*named, *r.evidence)) if k != "links"
                    and r.evidence.get(k) not in (None, "")]
            parts = [rules.day_text(r.on)]
            for k in keys:
                value = self.text(definition, k, r.evidence[k])
                if value is not None:
                    parts.append(f"{value.name}: {value.text}" if k not in ("note",)
                                 else value.text)
            found.append(", ".join(parts))
        if not found:
            return None
        return rules.Value(key, self.name(definition, key), "; ".join(found))

    def stage(self, definition: Definition, key: str, case: CaseRow) -> rules.Value | None:
        """A stage named as a column: done on the day its event was recorded, or closed as
        not done with the reason (a supervisor who did not resign within the 10 days, and
        why); nothing while it is open."""
        done = [r for r in case.records
                if r.event in definition.events and definition.events[r.event].completes == key]
        if done:
            text = self.translate("forms.stage_done", date=rules.day_text(done[-1].on))
        else:
            refused = [r for r in case.not_done if r.event == key]
            if not refused:
                return None
            reason = refused[-1].evidence.get("note") or ""
            text = self.translate("forms.stage_not_done", date=rules.day_text(refused[-1].on),
                                  reason=reason)
        return rules.Value(key, self.name(definition, key), text)


def _default_columns(definition: Definition, case: CaseRow) -> list[str]:
    """Every field, named date and piece of evidence the entry has, in the definition's order."""
    keys = [k for k in definition.fields if case.fields.get(k) not in (None, "")]
    keys += [k for k in definition.dates if k in case.given
             or any(k in definition.events[r.event].sets for r in case.records
                    if r.event in definition.events)]
    for rec in case.records:
        keys += [k for k, v in rec.evidence.items() if v not in (None, "")]
    return list(dict.fromkeys(keys))


def _case_values(reader: _Reader, definition: Definition, case: CaseRow, columns: list[str],
                 evidence: bool, current: Definition | None = None) -> list[rules.Value]:
    """The values of a case's columns; a field the register's current definition requires of
    the entry (`required`, `required_when`) and the entry lacks (opened with an earlier version)
    is written "not recorded" under its name, in its place."""
    out = []
    for key in columns:
        value: rules.Value | None
        if key in definition.fields:
            value = reader.text(definition, key, case.fields.get(key))
        elif key in definition.dates or key in PERIOD_DATE_NAMES:
            value = reader.text(definition, key, named_date(definition, case, key)[0])
        elif not evidence:
            value = None
        elif key in definition.events:
            value = reader.event(definition, key, case.records)
        elif key in definition.stages:
            value = reader.stage(definition, key, case)
        else:  # every standing record's value, each once, in the order recorded, each
            # written as its type is (a date dd.mm.yyyy, an amount with its spaces)
            found = [v for r in case.records if (v := r.evidence.get(key)) not in (None, "")]
            texts = [t for v in dict.fromkeys(map(str, found))
                     if (t := reader.text(definition, key, v)) is not None]
            value = (rules.Value(key, texts[0].name, "; ".join(t.text for t in texts),
                                 url=texts[0].url) if texts else None)
        if (value is None and current is not None and key in current.fields
                and current.fields[key].required_for(case.fields)):
            value = rules.Value(key, reader.name(current, key),
                                reader.translate("forms.not_recorded"))
        if value is not None:
            out.append(value)
    return out


def _record_values(reader: _Reader, definition: Definition, case: CaseRow, record: RecordRow,
                   columns: tuple[str, ...] | None) -> list[rules.Value]:
    evidence = record.evidence
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
        if key == record.event:  # the event's own key: the day it was held
            value = reader.text(definition, key, record.on)
            if value is not None:
                out.append(value)
        elif key in evidence:
            value = reader.text(definition, key, evidence[key])
            if value is not None:
                out.append(value)
        else:
            out += _case_values(reader, definition, case, [key], evidence=False)
    return out


def _choice_of(definition: Definition, case: CaseRow, record: RecordRow | None,
               key: str | None) -> tuple[str | None, tuple[str, ...]]:
    """The value of a choice field or evidence, with the choices it is one of."""
    if not key:
        return None, ()
    spec = definition.fields.get(key) or definition.evidence.get(key)
    if spec is None:
        return None, ()
    value = (record.evidence.get(key) if record is not None else None) or case.fields.get(key)
    return (str(value) if value is not None else None), spec.choices


# -- the form ------------------------------------------------------------------------------------------


@dataclass
class _Lines:
    lines: list[tuple[tuple[Any, ...], rules.Line]]
    shown: int = 0
    hidden: int = 0


def _items(source: Source, version: Definition, case: CaseRow, entry: Entry | None, year: int
           ) -> list[tuple[RecordRow | None, date]]:
    """What of a case the form of `year` writes: the records of its `records` event, or the
    case itself, when the entry counts in the year (its register's rule, B-17: the same as the
    evaluation's); a case that is not a register's (appendix 1's analysis) by its records'
    days."""
    event = source.table.records
    if entry is None:  # the internal analysis's cartogram updates
        return [(r, r.on) for r in case.records if r.event == event and r.on.year == year]
    if not entry.fact_of(year):  # its fact of the year (an undated one of none)
        return []
    if event:
        return [(r, r.on) for r in case.records if r.event == event]
    spec = source.definition.scorecard
    day = named_date(version, case, spec.year_of if spec else None)[0]
    return [(None, day or case.case_date)]


def _line_rows(source: Source, layout: rules.Layout, version: Definition, case: CaseRow,
               record: RecordRow | None) -> tuple[str | None, list[int | None]]:
    """The choice a line of a case (and record) is grouped by, and the rows of the form it
    fills: one line each (appendix 1: an update naming no part, version 4, fills both
    sections' rows; None: a form without rows)."""
    table = source.table
    spec = source.definition.scorecard
    choice, choices = _choice_of(version, case, record, table.group_by
                                 or (spec.fields.get("kind") if spec else None))
    if layout.groups or not layout.rows:
        return choice, [None]
    if isinstance(table.row, int):
        return choice, [rules.row_of(table.row, choice, choices)]
    if choice is not None and choice in choices:  # appendix 1: the part it updated
        return choice, [1 + choices.index(choice)]
    # appendix 1: an update naming no part (version 4) updated both sections
    return None, list(range(1, len(layout.rows) + 1))


def _line_count(source: Source, layout: rules.Layout, version: Definition, case: CaseRow,
                entry: Entry | None, year: int) -> int:
    """How many lines one case gives the form of `year` (`_lines_of`'s, without their
    values)."""
    return sum(len(_line_rows(source, layout, version, case, record)[1])
               for record, _day in _items(source, version, case, entry, year))


def _lines_of(source: Source, layout: rules.Layout, reader: _Reader, version: Definition,
              case: CaseRow, entry: Entry | None, year: int, shows: bool, place: int,
              origin: rules.Value | None, out: _Lines) -> None:
    """The lines one case gives the form of `year` (none when it is of another year); in a
    consolidated form each line first names the organisation it came from (`origin`)."""
    table = source.table
    columns = table.columns
    about_person = version.parties.person != "none"
    person = None
    if about_person:
        person = ", ".join(x for x in (case.person_name, case.person_position) if x) or None
    hidden = about_person and not shows
    items = _items(source, version, case, entry, year)
    for record, day in items:
        if record is not None:
            values = _record_values(reader, version, case, record, columns)
        else:
            values = _case_values(reader, version, case,
                                  list(columns or _default_columns(version, case)),
                                  evidence=not hidden, current=source.definition)
        if (not about_person and columns and values and values[0].key != columns[0]
                and any(c.kind == "person" for c in layout.columns)):
            # the person column takes the first column's value: left blank when it has none
            values = [rules.Value(columns[0], "", ""), *values]
        if hidden:  # the case page's rule: no evidence of a case whose person is not shown,
            # no field that may name a person
            values = [v for v in values if (v.key in source.definition.fields
                                            and not source.definition.fields[v.key].personal)
                      or (v.key in version.fields and not version.fields[v.key].personal)
                      or v.key in version.dates]
        group_key = table.group_by
        if layout.groups and group_key:  # the group's name is the label column's
            values = [v for v in values if v.key != group_key]
        choice, rows = _line_rows(source, layout, version, case, record)
        group = _unit_group(layout, version, record, reader.kinds)
        if layout.groups:
            group = choice
        elif layout.rows and not isinstance(table.row, int) and choice is not None:
            values = [v for v in values if v.key != group_key]  # appendix 1: the row says it
        for row in rows:
            line = rules.Line(tuple(values), person if about_person else None, hidden, row, group,
                              origin)
            out.lines.append(((row or 0, place, day, case.id, record.id if record else 0), line))
    if about_person and items:
        if hidden:
            out.hidden += 1
        else:
            out.shown += 1


def _figures(source: Source, layout: rules.Layout, year: int, subject: str,
             found: list[tuple[Source, CaseRow, Entry | None]]) -> dict[tuple[int, str], int]:
    """Appendix 4's figures: each recorded on the subject's own entry of its year (the last
    standing record that carries it)."""
    out: dict[tuple[int, str], int] = {}
    for fig in layout.figures:
        for src, case, entry in found:
            if (src is not source or case.org != subject or entry is None
                    or not entry.fact_of(year + fig.year)):
                continue
            for rec in case.records:
                value = rec.evidence.get(fig.key)
                if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                    out[(fig.year, fig.key)] = int(value)
    return out


def _form_rows(s: Session, n: int, found: list[Source], codes: dict[int, str], year: int
               ) -> list[tuple[Source, CaseRow, Entry | None]]:
    """The cases of the organisations `codes` (id -> code) appendix `n` of `year` reads, each
    with its source of `found` (`sources(ctx, n)`) and its register entry (None: appendix
    1's analysis): the registers' entries counting in the year (or a later year appendix 4's
    figures read), the analyses' of the year but those excluded, in the order read."""
    layout = layouts().appendices[n]
    last_year = year + max((f.year for f in layout.figures), default=0)
    registers = [src.definition for src in found if src.definition.scorecard is not None
                 and src.definition.scorecard.is_register]
    by_key = {src.definition.key: src for src in found}
    rows: list[tuple[Source, CaseRow, Entry | None]] = []
    for read in read_entries(s, registers, codes, year, last_year, columns_of_forms=True):
        if read.case is not None:
            rows.append((by_key[read.register], read.case, read))
    others = [src.definition for src in found if src.definition not in registers]
    for case in read_cases(s, others, codes, year, year, columns_of_forms=True):  # appendix 1
        spec = by_key[case.process].definition.scorecard
        if spec is None or case.state not in spec.excluded:
            rows.append((by_key[case.process], case, None))
    return rows


def form_data(s: Session, ctx: Context, n: int, org_code: str, year: int, language: str,
              sees_person: SeesPerson | None = None) -> tuple[rules.FormData, int, int]:
    """Appendix `n` of the subject `org_code` for `year` in `language` (kk, ru), and how many
    persons it names and hides. The entries are the registers' read side's (the evaluation's
    years, B-17); a central body's or an akimat's appendices 2-6 take in the organisations
    under it, each line naming the one it came from (B-18, B-19). `sees_person(case,
    visibility)`: whether the reader may see the person of a case (None: every one)."""
    from workflow.i18n import Translator

    n = appendix_number(n)
    language = form_language(language, language)
    check_year(ctx, year)
    org = get_org(s, org_code)
    check_applies(n, org)
    layout = layouts().appendices[n]
    found = sources(ctx, n)
    orgs = taken_in(s, ctx, org, n)
    codes = {o.id: o.code for o in orgs if o.id is not None}
    place = {o.code: i for i, o in enumerate(orgs)}
    rows = _form_rows(s, n, found, codes, year)
    rows.sort(key=lambda r: (place[r[1].org], r[1].id))
    evidence_orgs = {str(v) for src in found for spec in src.definition.evidence.values()
                     if spec.type == "organisation"
                     for _, case, _ in rows for r in case.records
                     if (v := r.evidence.get(spec.key))}
    kinds: dict[str, str] = {}
    names = _org_names(s, evidence_orgs | set(codes.values()), language, kinds)
    translate = Translator(language)
    reader = _Reader(language, translate, names, kinds)
    versions: dict[tuple[str, int], Definition] = {}
    out = _Lines([])
    consolidated = len(orgs) > 1
    for source, case, entry in rows:
        ident = (case.process, case.process_version)
        if ident not in versions:
            versions[ident] = definition_of(s, ctx, case)
        version = versions[ident]
        shows = (version.parties.person == "none" or sees_person is None
                 or sees_person(case, version.parties.person_visibility))
        # a subdivision's fact names the organisation it came from (B-18, B-19); the
        # subject's own are its form's
        origin = (rules.Value("organisation", translate("forms.organisation"),
                              names.get(case.org, case.org))
                  if consolidated and case.org != org.code else None)
        _lines_of(source, layout, reader, version, case, entry, year, shows, place[case.org],
                  origin, out)
    figures: dict[tuple[int, str], int] = {}
    for source in found if layout.figures else ():
        figures.update(_figures(source, layout, year, org.code, rows))
    out.lines.sort(key=lambda item: item[0])
    data = rules.FormData(n, language, year, org_name(org, language),
                          tuple(line for _, line in out.lines), figures,
                          tuple(names.get(o.code, o.code) for o in orgs[1:]))
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

    if not applies(appendix_number(n), get_org(s, org_code).kind):  # not the subject's form
        return (file_name(Translator(ctx.language), n, org_code, year, language), b"", 0, 0, 0)
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
                  "persons_hidden": produced.persons_hidden}, changes=False)


def line_counts(s: Session, ctx: Context, org_code: str, year: int) -> dict[int, int]:
    """How many lines (and appendix 4's figures) each appendix of the subject's year would
    hold, as its XLSX lays them out; nothing is written or audited (the score page lists the
    forms with these counts). An appendix not written for the subject's kind has none. A
    form's lines are those of each organisation it takes in, and its figures the subject's
    own: each organisation's counts are kept for the version of its path (`kept_counts`), so
    after a write in one district only its and its ancestors' are read again."""
    out = {}
    org = get_org(s, org_code)
    wanted = [n for n in appendices() if applies(n, org.kind)]
    whole = tuple(n for n in wanted if n != 1)  # the forms taking in the organisations under
    taken = taken_in(s, ctx, org, 2) if whole else []
    counts = kept_counts(s, ctx, taken, year, whole)
    own = kept_counts(s, ctx, [org], year, tuple(n for n in wanted if n == 1))[org.id]
    for n in wanted:
        if n == 1:
            out[n] = sum(own.get(n, (0, 0)))
        else:
            out[n] = (sum(counts[o.id].get(n, (0, 0))[0] for o in taken)
                      + counts.get(org.id, own).get(n, (0, 0))[1])
    return out


OrgCounts = dict[int, tuple[int, int]]  # appendix -> (its lines, its figures as the subject)


def org_counts(s: Session, ctx: Context, orgs: Sequence[Organisation], year: int,
               numbers: Sequence[int]) -> dict[int, OrgCounts]:
    """Each organisation's own counts (by id), read afresh: for each appendix of `numbers`,
    the lines its
    own cases give the form of `year` (whichever subject's form takes it in) and the figures
    (appendix 4) the form has when it is the subject."""
    codes = {o.id: o.code for o in orgs if o.id is not None}
    out: dict[int, OrgCounts] = {i: {} for i in codes}
    ids = {code: i for i, code in codes.items()}
    if not codes:
        return out
    versions: dict[tuple[str, int], Definition] = {}
    for n in numbers:
        layout = layouts().appendices[n]
        found = sources(ctx, n)
        rows = _form_rows(s, n, found, codes, year)
        lines: dict[str, int] = {}
        for source, case, entry in rows:
            ident = (case.process, case.process_version)
            if ident not in versions:
                versions[ident] = definition_of(s, ctx, case)
            lines[case.org] = lines.get(case.org, 0) + _line_count(
                source, layout, versions[ident], case, entry, year)
        of_org: dict[str, list[tuple[Source, CaseRow, Entry | None]]] = {}
        for row in rows if layout.figures else ():
            of_org.setdefault(row[1].org, []).append(row)
        figures: dict[str, dict[tuple[int, str], int]] = {}
        for code, mine in of_org.items():
            for source in found:
                figures.setdefault(code, {}).update(_figures(source, layout, year, code, mine))
        for code in set(lines) | set(figures):
            out[ids[code]][n] = (lines.get(code, 0), len(figures.get(code, ())))
    return out


_KEPT: dict[Any, TTLCache] = {}
_LOCK = threading.Lock()


def kept_counts(s: Session, ctx: Context, orgs: Sequence[Organisation], year: int,
                numbers: Sequence[int]) -> dict[int, OrgCounts]:
    """`org_counts` of the organisations (appendices `numbers`), each kept for the version of its path and of
    everything (kept/figures.py `form_counts`: a write about its cases moves it), read afresh for those
    whose version moved. Shared between requests: not to be changed. A transaction that has
    written and not committed reads for itself."""
    if audit.wrote(s):
        return org_counts(s, ctx, orgs, year, numbers)
    found = figures.each(s, "form_counts", [o.path for o in orgs])
    shared = ("form counts", year, tuple(numbers), id(ctx.registry))
    bind = s.get_bind()
    with _LOCK:
        cache = _KEPT.get(bind)
        if cache is None:
            cache = _KEPT[bind] = TTLCache(50_000, 24 * 3600)
        out: dict[int, OrgCounts] = {}
        for o in orgs:
            hit = cache.get((o.path, found[o.path], *shared))
            if hit is not None and hit[0] is ctx.registry:
                out[o.id] = hit[1]
    missing = [o for o in orgs if o.id not in out]
    fresh = org_counts(s, ctx, missing, year, numbers) if missing else {}
    with _LOCK:
        for o in missing:
            out[o.id] = fresh[o.id]
            cache[(o.path, found[o.path], *shared)] = (ctx.registry, fresh[o.id])
    return out
