"""The input to the National Anti-Corruption Report (004:L3202-3204, P-23): a form of
merzim's own, the subject's year in figures and in words from the registers' read side, each
figure with the seed lines it comes from and the entries behind it.

What it counts is `national.toml` beside this module (data: the sections, their figures in kk
and ru, the obligation whose case pages link to it); no key of a definition is written here.
The organisations are the appendices' (B-18): the subject and, when its kind consolidates (the
`[scorecard] consolidating_kinds` the caller passes), those under it but the quasi-state
entities; project No. 3's documents are the subject's when it is a quasi-state entity and those
of the quasi-state entities under it. The year of an entry is its register's (B-17, the same as
the evaluation's and the appendices'); an internal analysis counts in its programme's year, its
monitoring in the year a period's report was reviewed.

An entry about a person is listed with the person only for whom the case page shows it
(`sees_person`; None: the command line's operator, who sees every case), else as hidden. The
form is written as XLSX: a sheet of figures (number, figure, value, source, entries) and a sheet
of the same in words, a paragraph a section; every text stored as text, never a formula; A4
landscape, one page wide, the table's heading row on every page (B-19).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from workflow.core.definition import Definition
from workflow.core.errors import ConfigError, UsageError
from workflow.forms import rules
from workflow.forms.service import CHUNK, XLSX, check_year, form_language
from workflow.forms.texts import read_toml
from workflow.registers.entries import DONE_STATUSES, CaseRow, Entry, named_date
from workflow.registers.reader import read_cases, read_entries
from workflow.registers.scope import CONSOLIDATING_KINDS, NOT_CONSOLIDATED, members
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import org_name
from workflow.storage import audit
from workflow.storage.models import (
    Case,
    MonitoringReport,
    Organisation,
    Programme,
    Recommendation,
    Risk,
    Stage,
)
from workflow.storage.queries import in_subtree, live_case

NATIONAL = Path(__file__).parent / "national.toml"
NAME = "national"  # the form's name on the command line and in its address
ANALYSIS = ("held", "pending_note", "risks", "recommendations", "fulfilled", "reviews")
QUASI_STATE_SCOPE = "quasi_state"
ALL_SCOPE = "all"  # the organisations taken in and the quasi-state entities under the subject
SCOPES = (QUASI_STATE_SCOPE, ALL_SCOPE)
SeesPerson = Callable[[Any, str], bool]


# -- the data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureSpec:
    key: str
    names: dict[str, str]
    source: str
    register: str | None = None
    records: str | None = None
    by: str | None = None
    sum: str | None = None
    counted: bool = False
    analysis: str | None = None
    # a procedure's cases (not a register's entries): the fact of the year of its named date
    # `year_of`; with `events`, only the cases with a standing record of one of them; cases in
    # a state of `not_states` (entered by mistake) left out
    process: str | None = None
    year_of: str | None = None
    events: tuple[str, ...] = ()
    not_states: tuple[str, ...] = ()
    scope: str | None = None  # the figure's organisations, when not its section's
    missing: int | None = None  # with `sum`: what a record without the value counts as
    distinct: str | None = None  # count the different values of this field or evidence

    @property
    def definition_key(self) -> str | None:
        return self.register or self.process


@dataclass(frozen=True)
class SectionSpec:
    key: str
    names: dict[str, str]
    scope: str | None
    figures: tuple[FigureSpec, ...]


@dataclass(frozen=True)
class NationalSpec:
    line: str
    obligation: str | None
    process: str | None
    fulfilled_status: str
    texts: dict[str, dict[str, str]]
    sections: tuple[SectionSpec, ...]
    held_stage: str = ""  # the analysis's stage whose completion (its note signed) holds it

    def text(self, key: str, language: str, **values: Any) -> str:
        return self.texts[key][language].format(**values)


def _names(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or any(not isinstance(raw.get(lang), str) or not raw[lang]
                                        for lang in rules.FORM_LANGUAGES):
        raise ConfigError(f"{where}: needs its text in " + " and ".join(rules.FORM_LANGUAGES))
    return {lang: raw[lang] for lang in rules.FORM_LANGUAGES}


def _figure(raw: Any, where: str) -> FigureSpec:
    if not isinstance(raw, dict) or not isinstance(raw.get("key"), str):
        raise ConfigError(f"{where}: a figure is a table with a key")
    where = f"{where} {raw['key']}"
    known = {"key", "kk", "ru", "source", "register", "records", "by", "sum", "counted",
             "analyses", "process", "year_of", "events", "not_states", "scope", "missing",
             "distinct"}
    if unknown := sorted(set(raw) - known):
        raise ConfigError(f"{where}: unknown {', '.join(unknown)}")
    if not isinstance(raw.get("source"), str) or not raw["source"]:
        raise ConfigError(f"{where}: needs its source (seed lines)")
    if sum(raw.get(k) is not None for k in ("register", "analyses", "process")) != 1:
        raise ConfigError(f"{where}: counts one of a register, a process or the analyses")
    if raw.get("analyses") is not None and raw["analyses"] not in ANALYSIS:
        raise ConfigError(f"{where}.analyses: one of {', '.join(ANALYSIS)}")
    if raw.get("process") is not None and not isinstance(raw.get("year_of"), str):
        raise ConfigError(f"{where}: a process's figure names the date of its year (year_of)")
    if raw.get("process") is None and any(raw.get(k) is not None
                                          for k in ("year_of", "events", "not_states")):
        raise ConfigError(f"{where}: year_of, events and not_states are a process's")
    if raw.get("scope") not in (None, *SCOPES):
        raise ConfigError(f"{where}.scope: {raw['scope']!r} (known: {', '.join(SCOPES)})")
    lists = {}
    for k in ("events", "not_states"):
        value = raw.get(k, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}.{k}: must be a list of keys")
        lists[k] = tuple(value)
    missing = raw.get("missing")
    if missing is not None and (not isinstance(missing, int) or isinstance(missing, bool)
                                or not raw.get("sum")):
        raise ConfigError(f"{where}.missing: a whole number, with `sum`")
    distinct = raw.get("distinct")
    if distinct is not None and (not isinstance(distinct, str) or not distinct
                                 or any(raw.get(k) is not None for k in ("sum", "by"))):
        raise ConfigError(f"{where}.distinct: a field or evidence key, without `sum` or `by`")
    return FigureSpec(raw["key"], _names(raw, where), raw["source"], raw.get("register"),
                      raw.get("records"), raw.get("by"), raw.get("sum"),
                      bool(raw.get("counted", False)), raw.get("analyses"), raw.get("process"),
                      raw.get("year_of"), lists["events"], lists["not_states"],
                      raw.get("scope"), missing, distinct)


def parse(doc: dict[str, Any], source: str = NATIONAL.name) -> NationalSpec:
    """The national report's data, checked (a wrong table is refused naming it)."""
    report = doc.get("national") or {}
    texts = doc.get("texts") or {}
    needed = ("title", "year", "basis", "taken_in", "number", "figure", "value", "source",
              "entries", "hidden", "none", "figures_sheet", "words_sheet", "file_name")
    parsed_texts = {k: _names(texts.get(k), f"{source}: [texts].{k}") for k in needed}
    sections = []
    for i, raw in enumerate(doc.get("section") or []):
        where = f"{source}: [[section]] {i + 1}"
        if not isinstance(raw, dict) or not isinstance(raw.get("key"), str):
            raise ConfigError(f"{where}: a section is a table with a key")
        scope = raw.get("scope")
        if scope not in (None, *SCOPES):
            raise ConfigError(f"{where}.scope: {scope!r} (known: {', '.join(SCOPES)})")
        figures = tuple(_figure(f, where) for f in raw.get("figures") or [])
        sections.append(SectionSpec(raw["key"], _names(raw.get("names"), where), scope, figures))
    keys = [f.key for s in sections for f in s.figures]
    if len(keys) != len(set(keys)):
        raise ConfigError(f"{source}: a figure's key is used twice")
    return NationalSpec(str(report.get("line", "")), report.get("obligation"),
                        report.get("process"), str(report.get("fulfilled_status", "")),
                        parsed_texts, tuple(sections), str(report.get("held_stage", "")))


@cache
def national_spec(path: Path = NATIONAL) -> NationalSpec:
    """national.toml, read once per process."""
    return parse(read_toml(path), path.name)


def obligation() -> str | None:
    """The definition whose case pages link to this form (the 15 April obligation)."""
    return national_spec().obligation


def check_definitions(registry_keys: Iterable[str], definitions: Callable[[str], Definition],
                      spec: NationalSpec | None = None) -> list[str]:
    """What of the data names no register, event or field of the definitions (empty: all
    found)."""
    spec = spec or national_spec()
    keys = set(registry_keys)
    problems = []
    for section in spec.sections:
        for f in section.figures:
            key = f.definition_key
            if key is None:
                continue
            if key not in keys:
                problems.append(f"{f.key}: no definition {key}")
                continue
            d = definitions(key)
            for event in (f.records, *f.events):
                if event and event not in d.events:
                    problems.append(f"{f.key}: {key} has no event {event}")
            for k in (f.by, f.sum, f.distinct):
                if k and k not in d.fields and k not in d.evidence:
                    problems.append(f"{f.key}: {key} has no field {k}")
            if f.year_of and f.year_of not in d.dates:
                problems.append(f"{f.key}: {key} has no date {f.year_of}")
            for state in f.not_states:
                if state not in d.states:
                    problems.append(f"{f.key}: {key} has no state {state}")
    if spec.process and spec.process not in keys:
        problems.append(f"no definition {spec.process}")
    return problems


# -- the form's content ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A figure of the form: its number, label, value, source and the entries behind it."""

    key: str
    number: str
    label: str
    value: int
    source: str
    entries: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    key: str
    name: str
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class NationalData:
    org: str
    org_name: str
    year: int
    language: str
    taken_in: tuple[str, ...]  # the organisations under the subject whose entries it counts
    sections: tuple[Section, ...]

    def figure(self, key: str) -> Figure:
        return next(f for s in self.sections for f in s.figures if f.key == key)


@dataclass(frozen=True)
class Produced:
    data: NationalData
    content: bytes
    persons_shown: int
    persons_hidden: int


@dataclass(frozen=True, slots=True)
class _Unit:
    code: str
    kind: str
    parent: str | None


def _organisations(s: Session, org: Organisation, kinds: Sequence[str]
                   ) -> tuple[list[Organisation], list[Organisation]]:
    """The organisations the form takes in (the appendices', B-18) and those of project No. 3's
    documents (the subject when it is a quasi-state entity, and those under it)."""
    tree = sorted(s.exec(select(Organisation).where(in_subtree(Organisation.path, org))),
                  key=lambda o: o.path)
    by_code = {o.code: o for o in tree}
    parent: dict[int | None, str] = {o.id: o.code for o in tree}
    units = [_Unit(o.code, o.kind, parent.get(o.parent_id)) for o in tree]
    taken = [by_code[c] for c in members(org.code, org.kind, units, kinds)]
    quasi = [o for o in tree if o.kind in NOT_CONSOLIDATED]
    return taken, quasi


def _value(case: CaseRow, key: str, record_evidence: dict[str, Any] | None) -> Any:
    """A field's or evidence's value: of the record when one is given, else the case's field,
    else the newest standing record's that carries it."""
    if record_evidence is not None:
        return record_evidence.get(key)
    value = case.fields.get(key)
    if value is None:
        value = next((r.evidence.get(key) for r in reversed(case.records)
                      if r.evidence.get(key) not in (None, "")), None)
    return value


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).replace("\u00a0", "").replace(" ", "") if value is not None else ""
    return int(text) if text.lstrip("-").isdigit() else None


@dataclass
class _Counter:
    """Turns the entries of a figure into its value and its list, naming persons only to whom
    may see them."""

    s: Session
    ctx: Context
    spec: NationalSpec
    language: str
    subject: str
    names: dict[str, str]
    sees_person: SeesPerson | None
    shown: set[int]
    hidden: set[int]
    year: int

    def label(self, definition: Definition, case: CaseRow, day: date | None = None,
              amount: int | None = None) -> str:
        parts = [f"#{case.id}"]
        if case.org != self.subject:  # a subdivision's entry names where it came from (B-19)
            parts.append(self.names.get(case.org, case.org))
        if definition.parties.person != "none":
            visible = (self.sees_person is None
                       or self.sees_person(case, definition.parties.person_visibility))
            if visible:
                self.shown.add(case.id)
                person = ", ".join(x for x in (case.person_name, case.person_position) if x)
                if person:
                    parts.append(person)
            else:
                self.hidden.add(case.id)
                parts.append(self.spec.text("hidden", self.language))
        if day is not None:
            parts.append(rules.day_text(day))
        text = ", ".join(parts)
        return f"{text}: {rules.amount_text(amount)}" if amount is not None else text

    def items(self, f: FigureSpec, entries: list[Entry]
              ) -> list[tuple[CaseRow, date | None, dict[str, Any] | None]]:
        """The items a figure counts: each entry's case, or each standing record of its
        `records` event, of the entries that are facts of the year (B-17, the registers' one
        rule: a notice not yet sent is of none) — with `counted`, only those counted in it."""
        out: list[tuple[CaseRow, date | None, dict[str, Any] | None]] = []
        for e in entries:
            if e.register != f.register or e.case is None or not e.fact_of(self.year) \
                    or (f.counted and not e.counts(self.year)):
                continue
            if f.records:
                out += [(e.case, r.on, dict(r.evidence)) for r in e.case.records
                        if r.event == f.records]
            else:
                out.append((e.case, None, None))
        return out

    def facts(self, f: FigureSpec, cases: list[CaseRow]
              ) -> list[tuple[CaseRow, date | None, dict[str, Any] | None]]:
        """The items a process's figure counts: its cases whose `year_of` date (given, or set
        by a standing record) is in the year, with a standing record of one of `events` when
        it names some, not in a state of `not_states`; each with that date."""
        definition = self.ctx.registry.get(f.process or "")
        out: list[tuple[CaseRow, date | None, dict[str, Any] | None]] = []
        for case in cases:
            if case.process != f.process or case.state in f.not_states:
                continue
            day = named_date(definition, case, f.year_of)[0]
            if day is None or day.year != self.year:
                continue
            if f.events and not any(r.event in f.events for r in case.records):
                continue
            out.append((case, day, None))
        return out

    def figures(self, f: FigureSpec, number: str, entries: list[Entry],
                items: list[tuple[CaseRow, date | None, dict[str, Any] | None]] | None = None
                ) -> list[Figure]:
        """The figure (and, with `by`, one more per choice, in the choices' order) of the
        entries of a register, or of the `items` given (a process's facts)."""
        definition = self.ctx.registry.get(f.definition_key or "")
        items = self.items(f, entries) if items is None else items
        label = f.names[self.language]

        def one(key: str, num: str, text: str, chosen: list) -> Figure:
            value, listed = 0, []
            if f.distinct:  # each value once (a unit that placed two orders is one unit)
                seen: dict[str, list[str]] = {}
                for case, day, evidence in chosen:
                    found = _value(case, f.distinct, evidence)
                    if found not in (None, ""):
                        seen.setdefault(str(found), []).append(self.label(definition, case, day))
                listed = [f"{self.names.get(v, v)} ({'; '.join(labels)})"
                          for v, labels in seen.items()]
                return Figure(key, num, text, len(seen), f.source, tuple(listed))
            for case, day, evidence in chosen:
                if f.sum:
                    amount = _int(_value(case, f.sum, evidence))
                    if amount is None and _value(case, f.sum, evidence) in (None, ""):
                        amount = f.missing
                    if amount is None:
                        continue
                    value += amount
                    listed.append(self.label(definition, case, day, amount))
                else:
                    value += 1
                    listed.append(self.label(definition, case, day))
            return Figure(key, num, text, value, f.source, tuple(listed))

        out = [one(f.key, number, label, items)]
        if f.by:
            spec = definition.fields.get(f.by) or definition.evidence.get(f.by)
            choices = spec.choices if spec is not None else ()
            for i, choice in enumerate(choices, start=1):
                name = (spec.choice_names.get(choice) or {}).get(self.language, choice) \
                    if spec is not None else choice
                chosen = [it for it in items if str(_value(it[0], f.by, it[2])) == choice]
                out.append(one(f"{f.key}.{choice}", f"{number}.{i}", f"{label}: {name}",
                               chosen))
        return out


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _analyses(s: Session, ctx: Context, spec: NationalSpec, orgs: dict[int, str], year: int,
              names: dict[str, str], subject: str) -> dict[str, tuple[int, tuple[str, ...]]]:
    """The analyses' figures: value and entries of `held`, `risks`, `recommendations`,
    `fulfilled` and `reviews`."""
    empty: dict[str, tuple[int, tuple[str, ...]]] = {k: (0, ()) for k in ANALYSIS}
    if not spec.process or spec.process not in set(ctx.registry.keys()) or not orgs:
        return empty
    definition = ctx.registry.get(spec.process)
    excluded = definition.scorecard.excluded if definition.scorecard is not None else ()
    rows: list[tuple[int, int, int]] = []  # (case id, subject id, programme year)
    for chunk in _chunks(list(orgs)):
        rows += [(int(i or 0), o, y) for i, o, y in s.exec(
            select(Case.id, Case.subject_id, Programme.year)
            .join(Programme, col(Programme.id) == col(Case.programme_id))
            .where(col(Case.process) == spec.process, col(Case.subject_id).in_(chunk),
                   live_case(), col(Case.state).not_in(excluded or [""]),
                   col(Programme.year) <= year)
            .order_by(col(Case.id))).all()]

    def named(case_id: int, subject_id: int, count: int | None = None) -> str:
        code = orgs[subject_id]
        text = f"#{case_id}" + (f", {names.get(code, code)}" if code != subject else "")
        return f"{text}: {count}" if count is not None else text

    of_year = [(i, o) for i, o, y in rows if y == year]
    first, last = date(year, 1, 1), date(year, 12, 31)
    # held: its note signed in the year (`held_stage` done), whatever its programme's year;
    # pending_note: the year's programme's not held in it (planned), listed apart
    signed: set[int] = set()
    for chunk in _chunks([i for i, _, _ in rows] if spec.held_stage else []):
        signed |= {int(c or 0) for c in s.exec(
            select(Stage.case_id).where(col(Stage.case_id).in_(chunk),
                                        col(Stage.key) == spec.held_stage,
                                        col(Stage.status).in_(DONE_STATUSES),
                                        col(Stage.done_on) >= first,
                                        col(Stage.done_on) <= last))}
    held = [(i, o) for i, o, _ in rows if i in signed] if spec.held_stage else of_year
    planned = [(i, o) for i, o in of_year if i not in signed] if spec.held_stage else []
    risks: dict[int, list[int]] = {}
    for chunk in _chunks([i for i, _ in of_year]):
        for rid, analysis in s.exec(select(Risk.id, Risk.analysis_id)
                                    .where(col(Risk.analysis_id).in_(chunk))):
            if analysis is not None and rid is not None:
                risks.setdefault(analysis, []).append(rid)
    risk_of = {rid: a for a, ids in risks.items() for rid in ids}
    recs: dict[int, list[str]] = {}
    for chunk in _chunks(sorted(risk_of)):
        for risk_id, status in s.exec(select(Recommendation.risk_id, Recommendation.status)
                                      .where(col(Recommendation.risk_id).in_(chunk))):
            recs.setdefault(risk_of[risk_id], []).append(status)
    reviewed: dict[int, int] = {}
    for chunk in _chunks([i for i, _, _ in rows]):
        for analysis in s.exec(select(MonitoringReport.analysis_id)
                               .where(col(MonitoringReport.analysis_id).in_(chunk),
                                      col(MonitoringReport.reviewed_on) >= first,
                                      col(MonitoringReport.reviewed_on) <= last)):
            if analysis is not None:
                reviewed[analysis] = reviewed.get(analysis, 0) + 1
    subject_of = {i: o for i, o, _ in rows}

    def per(counts: dict[int, int]) -> tuple[int, tuple[str, ...]]:
        found = [(i, n) for i, n in sorted(counts.items()) if n]
        return sum(n for _, n in found), tuple(named(i, subject_of[i], n) for i, n in found)

    return {
        "held": (len(held), tuple(named(i, o) for i, o in held)),
        "pending_note": (len(planned), tuple(named(i, o) for i, o in planned)),
        "risks": per({i: len(risks.get(i, [])) for i, _ in of_year}),
        "recommendations": per({i: len(recs.get(i, [])) for i, _ in of_year}),
        "fulfilled": per({i: sum(1 for st in recs.get(i, []) if st == spec.fulfilled_status)
                          for i, _ in of_year}),
        "reviews": per(reviewed),
    }


def national_data(s: Session, ctx: Context, org_code: str, year: int, language: str,
                  kinds: Sequence[str] = CONSOLIDATING_KINDS,
                  sees_person: SeesPerson | None = None) -> tuple[NationalData, int, int]:
    """The subject's year in figures in `language` (kk, ru), and how many persons its lists
    name and hide."""
    language = form_language(language, language)
    check_year(ctx, year)
    spec = national_spec()
    org = get_org(s, org_code)
    taken, quasi = _organisations(s, org, kinds)
    all_orgs = {o.id: o.code for o in (*taken, *quasi) if o.id is not None}
    names = {o.code: org_name(o, language) for o in (*taken, *quasi)}
    in_registry = set(ctx.registry.keys())
    registers = {f.register for sec in spec.sections for f in sec.figures
                 if f.register and f.register in in_registry}
    entries = read_entries(s, ctx.registry.all(), all_orgs, year, keys=registers,
                           columns_of_forms=True)
    processes = [ctx.registry.get(k) for k in sorted(
        {f.process for sec in spec.sections for f in sec.figures if f.process} & in_registry)]
    cases = read_cases(s, processes, all_orgs, year, year, columns_of_forms=True)
    taken_codes = {o.code for o in taken}
    codes_of = {None: taken_codes, QUASI_STATE_SCOPE: {o.code for o in quasi},
                ALL_SCOPE: taken_codes | {o.code for o in quasi}}
    counter = _Counter(s, ctx, spec, language, org.code, names, sees_person, set(), set(), year)
    analyses = _analyses(s, ctx, spec, {o.id: o.code for o in taken if o.id is not None}, year,
                         names, org.code)
    sections = []
    for n, sec in enumerate(spec.sections, start=1):
        figures: list[Figure] = []
        for m, f in enumerate(sec.figures, start=1):
            number = f"{n}.{m}"
            codes = codes_of[f.scope or sec.scope]
            if f.analysis is not None:
                value, listed = analyses[f.analysis]
                figures.append(Figure(f.key, number, f.names[language], value, f.source, listed))
            elif f.register in in_registry:
                figures += counter.figures(f, number, [e for e in entries if e.org in codes])
            elif f.process in in_registry:
                figures += counter.figures(f, number, [], counter.facts(
                    f, [c for c in cases if c.org in codes]))
            else:  # a definition this installation does not load: nothing to count
                figures.append(Figure(f.key, number, f.names[language], 0, f.source, ()))
        sections.append(Section(sec.key, sec.names[language], tuple(figures)))
    data = NationalData(org.code, org_name(org, language), year, language,
                        tuple(names[o.code] for o in taken[1:]), tuple(sections))
    return data, len(counter.shown), len(counter.hidden)


# -- the workbook ---------------------------------------------------------------------------------


def _cell(ws: Any, row: int, column: int, value: Any, style: dict[str, Any]) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"  # never a formula
    else:
        cell.value = value
    for attr, v in style.items():
        setattr(cell, attr, v)


def _print_setup(ws: Any, heading_row: int | None) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if heading_row is not None:
        ws.print_title_rows = f"{heading_row}:{heading_row}"
    ws.oddFooter.center.text = "&P / &N"


def words(data: NationalData, spec: NationalSpec | None = None) -> list[str]:
    """The form in words: a paragraph a section, each figure with its value."""
    spec = spec or national_spec()
    out = []
    for sec in data.sections:
        parts = [f"{f.label} — {rules.amount_text(f.value)}" for f in sec.figures]
        out.append(f"{sec.name}. " + "; ".join(parts) + ".")
    return out


def write(data: NationalData) -> bytes:
    """The workbook: the figures' sheet and the words' sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    spec = national_spec()
    lang = data.language
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    plain = {"alignment": wrap}
    bold = {"font": Font(bold=True), "alignment": wrap}
    th = {"font": Font(bold=True), "border": box, "fill": PatternFill("solid", fgColor="EEEEEE"),
          "alignment": Alignment(horizontal="center", vertical="center", wrap_text=True)}
    td = {"border": box, "alignment": wrap}
    group = {"font": Font(bold=True), "border": box, "alignment": wrap}
    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", "", spec.text("figures_sheet", lang))[:31]
    for letter, width in zip("ABCDE", (8, 60, 14, 24, 70), strict=True):
        ws.column_dimensions[letter].width = width
    head = [spec.text("title", lang), data.org_name, spec.text("year", lang, year=data.year),
            spec.text("basis", lang)]
    if data.taken_in:
        head.append(spec.text("taken_in", lang, list=", ".join(data.taken_in)))
    row = 1
    for i, text in enumerate(head):
        _cell(ws, row, 1, text, bold if i < 3 else plain)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        row += 1
    row += 1
    heading_row = row
    for c, key in enumerate(("number", "figure", "value", "source", "entries"), start=1):
        _cell(ws, row, c, spec.text(key, lang), th)
    none = spec.text("none", lang)
    for n, sec in enumerate(data.sections, start=1):
        row += 1
        _cell(ws, row, 1, str(n), group)
        _cell(ws, row, 2, sec.name, group)
        for c in range(3, 6):
            _cell(ws, row, c, "", group)
        for f in sec.figures:
            row += 1
            _cell(ws, row, 1, f.number, td)
            _cell(ws, row, 2, f.label, td)
            _cell(ws, row, 3, f.value, td)
            _cell(ws, row, 4, f.source, td)
            _cell(ws, row, 5, "\n".join(f.entries) if f.entries else none, td)
            lines = max(1, len(f.entries), rules.lines_needed(f.label, 60))
            if lines > 1:
                ws.row_dimensions[row].height = min(rules.ROW_POINTS, rules.LINE_POINTS * lines)
    _print_setup(ws, heading_row)
    text = wb.create_sheet(re.sub(r"[\[\]:*?/\\]", "", spec.text("words_sheet", lang))[:31])
    text.column_dimensions["A"].width = 120
    row = 1
    for i, line in enumerate([*head[:3], *words(data, spec)]):
        _cell(text, row, 1, line, bold if i < 3 else plain)
        if i >= 3:
            text.row_dimensions[row].height = min(rules.ROW_POINTS, rules.LINE_POINTS
                                                  * rules.lines_needed(line, 120))
        row += 1
    _print_setup(text, None)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def produce(s: Session, ctx: Context, org_code: str, year: int, language: str,
            kinds: Sequence[str] = CONSOLIDATING_KINDS,
            sees_person: SeesPerson | None = None) -> Produced:
    """The form of a subject and a year in one language, written as XLSX."""
    data, shown, hidden = national_data(s, ctx, org_code, year, language, kinds, sees_person)
    return Produced(data, write(data), shown, hidden)


def languages(value: str | None) -> tuple[str, ...]:
    """The languages asked for: one, or (none asked) both, each its own file."""
    if value is None or value == "":
        return rules.FORM_LANGUAGES
    return (form_language(value, value),)


def file_name(org_code: str, year: int, language: str) -> str:
    """The file's name in the form's language: national-report-ORG-2026-kk.xlsx."""
    code = re.sub(r'[\\/:*?"<>|\s]+', "_", org_code).strip("._") or "org"
    return national_spec().text("file_name", language, org=code, year=year, lang=language)


def is_national(value: str) -> bool:
    """Whether a form asked for by name is this one (`merzim form national`)."""
    return value.strip().lower() == NAME


def check_output(output: Any, langs: Sequence[str]) -> None:
    """One file to a given path: with two languages, the path is refused."""
    if output is not None and len(langs) > 1:
        raise UsageError(key="forms.national_output")


def record_export(s: Session, actor: str, org_code: str, produced: Produced) -> None:
    """The export in the audit log (its lists may name persons), in the caller's
    transaction."""
    data = produced.data
    audit.append(s, actor, "export.form", "organisation", org_code,
                 {"form": NAME, "year": data.year, "lang": data.language,
                  "figures": sum(len(sec.figures) for sec in data.sections),
                  "persons_shown": produced.persons_shown,
                  "persons_hidden": produced.persons_hidden}, changes=False)


__all__ = ["XLSX", "NationalData", "Produced", "national_data", "produce", "file_name",
           "languages", "obligation", "record_export"]
