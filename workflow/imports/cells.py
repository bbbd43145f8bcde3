"""A register file as the officer wrote it, read into the import's keys: its headers and its
choices in any of the three languages (or the keys), dates as dd.mm.yyyy or yyyy-mm-dd,
numbers with spaces as thousands separators, an organisation by its name or code and a user
by name or login (docs/imports.md, "Bringing a spreadsheet in, in your own words").

`read_cells` reads every cell of the file before any check against the cases: each cell it
cannot read is refused with its row, its column (named in the reader's language), its value
and the rule it breaks, every such cell of the file at once; nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from workflow.core.definition import BUILTIN_EVIDENCE, Definition
from workflow.core.errors import NotFound, UsageError
from workflow.i18n import LANGUAGES, Translator, date_text, number_text
from workflow.imports import columns as spreadsheet
from workflow.services.bulk import RowRefused
from workflow.services.registers import RECORD, columns
from workflow.storage.models import Organisation, User

# The columns every register shares, named by the message catalogue.
PARTY_LABELS = {"subject": "cases.subject", "object": "cases.object", "person": "cases.person",
                "position": "web.position", "responsible": "import.col_officer",
                "event": "import.col_event_done", "on": "import.col_on"}
# Earlier labels of these columns, still read as headers.
ALIASES = {"responsible": "import.col_responsible", "event": "import.col_event"}
# Headings offices write for a column, in any language (compared folded): a sheet of an
# organisation's units names each row's unit under "Подразделение".
ALSO = {"subject": ("Подразделение", "Структурное подразделение", "Бөлімше",
                    "Құрылымдық бөлімше", "Unit", "Subdivision")}


def applicable(defn: Definition) -> tuple[str, ...]:
    """The columns of the register's template: those of its file that apply to it (an
    object, a person, an event's evidence only where the register has them)."""
    used = {k for e in defn.events.values()  # what its record requires, its stage's too
            for k in (*defn.requirements(e), *e.optional,
                      *(x for g in defn.evidence_groups(e) for x in g))}
    out = []
    for key in columns(defn):
        if key == "object" and defn.parties.object == "none":
            continue
        if key in ("person", "position") and defn.parties.person == "none":
            continue
        if key in RECORD and not defn.events:
            continue
        if key in BUILTIN_EVIDENCE and key not in used:
            continue
        out.append(key)
    return tuple(out)


# Who answers for a case (`responsible`) and whom it is about (`subject`, `person`): a column
# an officer's own header is never mapped to, unless the register's definition lists it in
# `[parties] mappable`. The register's own columns (their labels, their keys) still name them.
PROTECTED = frozenset({"subject", "person", "responsible"})


def mappable(defn: Definition, key: str) -> bool:
    """Whether her own header may be mapped to the column `key`: any column but a protected
    one the definition does not list in `[parties] mappable`."""
    return key not in PROTECTED or key in defn.parties.mappable


def targets(defn: Definition) -> tuple[str, ...]:
    """The columns her own header may be mapped to: those of the register's template
    (`applicable`) but the protected ones it does not declare mappable."""
    return tuple(k for k in applicable(defn) if mappable(defn, k))


def label_of(defn: Definition, key: str) -> dict[str, str] | str:
    """A column's name: its names in each language, or the catalogue key naming it."""
    if key in PARTY_LABELS:
        return PARTY_LABELS[key]
    if key in defn.fields:
        return defn.fields[key].names
    names = defn.dates[key].names if key in defn.dates else None
    if names:
        return names
    if key in defn.evidence:
        return defn.evidence[key].names or f"evidence.{key}"
    if key in BUILTIN_EVIDENCE:
        return f"evidence.{key}"
    return key


def label_in(defn: Definition, key: str, lang: str) -> str:
    label = label_of(defn, key)
    if isinstance(label, dict):
        return label.get(lang) or label.get("en") or key
    return Translator(lang)(label)


_fold = spreadsheet.fold
_day = spreadsheet.day


def header_keys(defn: Definition) -> dict[str, str]:
    """Every way a header may name a column (folded) → the column's key."""
    out: dict[str, str] = {}
    for key in columns(defn):
        for lang in LANGUAGES:
            out.setdefault(_fold(label_in(defn, key, lang)), key)
            if key in ALIASES:
                out.setdefault(_fold(Translator(lang)(ALIASES[key])), key)
    for key, headings in ALSO.items():
        for heading in headings:
            out.setdefault(_fold(heading), key)
    out.update({_fold(key): key for key in columns(defn)})
    return out


def choice_names(defn: Definition, key: str) -> dict[str, dict[str, str]]:
    """The choices of a column read from a list (a choice field's or evidence's, the events):
    choice → its names by language (empty: the column has no list)."""
    if key == "event":
        return {k: dict(e.names) for k, e in defn.events.items()}
    spec = defn.fields.get(key) if key in defn.fields else defn.evidence.get(key)
    if spec is None or spec.type != "choice":
        return {}
    names = getattr(spec, "choice_names", {}) or {}
    return {c: dict(names.get(c) or {}) for c in spec.choices}


def _kind(defn: Definition, key: str) -> str:
    if key in ("subject", "object"):
        return "organisation"
    if key == "responsible":
        return "user"
    if key == "on" or (key in defn.dates and key not in defn.fields):
        return "date"
    spec = defn.fields.get(key) if key in defn.fields else defn.evidence.get(key)
    return getattr(spec, "type", "text") if spec is not None else "text"


class CellRefused(UsageError):
    """A cell the import cannot read: its column (labelled in the reader's language), its
    value and the rule it breaks."""

    def __init__(self, defn: Definition, column: str, value: str, rule: str):
        super().__init__(f"{column}: {value!r}: {rule}", key="import.cell_refused",
                         column=column, value=value, rule=rule)
        self.labels["column"] = label_of(defn, column)
        self.labels["rule"] = rule
        if rule in ("import.rule_organisation", "import.rule_user"):
            self.exit_code = NotFound.exit_code  # as an unknown organisation or user


class _Index:
    """The organisations and users a file may name, read once: by name (any language),
    code or login (folded)."""

    def __init__(self, s: Session):
        self.orgs: dict[str, str] = {}
        self.users: dict[str, str] = {}
        self.s = s
        self.read = False

    def load(self) -> None:
        if self.read:
            return
        self.read = True
        for org in self.s.exec(select(Organisation)):
            for name in (org.name, org.name_kk, org.name_ru):
                if name:
                    self.orgs.setdefault(_fold(name), org.code)
        for org in self.s.exec(select(Organisation)):
            self.orgs[_fold(org.code)] = org.code
        for user in self.s.exec(select(User)):
            if user.full_name:
                self.users.setdefault(_fold(user.full_name), user.login)
        for user in self.s.exec(select(User)):
            self.users[_fold(user.login)] = user.login


def _cell(defn: Definition, key: str, text: str, index: _Index,
          lists: dict[str, dict[str, str]]) -> str:
    kind = _kind(defn, key)
    if kind == "date":
        day = _day(text)
        if day is None:
            raise CellRefused(defn, key, text, "import.rule_date")
        return day
    if key in lists or kind == "choice":
        found = lists.get(key, {}).get(_fold(text))
        if found is None:
            raise CellRefused(defn, key, text, "import.rule_choice")
        return found
    if kind == "integer":
        plain = spreadsheet.number(text)
        if plain is None:
            raise CellRefused(defn, key, text, "import.rule_number")
        return plain
    if kind in ("organisation", "user"):  # an organisation's code or a user's login
        index.load()
        names, refusal = ((index.orgs, "import.rule_organisation") if kind == "organisation"
                          else (index.users, "import.rule_user"))
        found = names.get(_fold(text))
        if found is None:
            raise CellRefused(defn, key, text, refusal)
        return found
    return text


IGNORE = ""  # a header she chose to ignore (in a mapping: header folded → field or IGNORE)
# A column given one value for every row (a sheet of events held has no "event" column: every
# row is one): in a mapping, EVERY + the column's key → the value. `columns.fold` drops
# punctuation, so no header of a file folds to a key that begins with it.
EVERY = "*"


def every_of(chosen: dict[str, str] | None) -> dict[str, str]:
    """The columns a mapping gives one value for every row: column → value."""
    return {k[len(EVERY):]: v for k, v in (chosen or {}).items() if k.startswith(EVERY)}


def every_value(s: Session, defn: Definition, column: str, text: str, language: str
                ) -> tuple[str, str]:
    """One value for every row of a column, as she gives it (the column by its key or its
    label in any language; the value as a cell of it is written: a choice or an event by its
    name in any language or its key, a date, a number, an organisation): (the column's key,
    the value read). A column that is not one her header may be mapped to, or a value the
    column cannot take, is refused naming both, nothing read or kept."""
    key = header_keys(defn).get(_fold(column), column)
    if key not in targets(defn):
        if key in columns(defn) and not mappable(defn, key):
            raise protected(defn, column, key, language)
        raise UsageError(f"no column {column!r}", key="import.every_unknown_field",
                         field=column, known=", ".join(label_in(defn, k, language)
                                                       for k in targets(defn)))
    names = choice_names(defn, key)
    lists = {key: _choices(names)} if names else {}
    try:
        return key, _cell(defn, key, text.strip(), _Index(s), lists) if text.strip() else ""
    except CellRefused as exc:
        refusal = UsageError(f"{key}: {text!r} for every row", key="import.every_refused",
                             column=key, value=text, rule=exc.params.get("rule", ""))
        refusal.labels["column"] = label_of(defn, key)
        refusal.labels["rule"] = exc.labels.get("rule", "")
        raise refusal from None


@dataclass(frozen=True)
class EveryColumn:
    """A column a file lacks that one value for every row may give, as the preview offers
    it: its key, its label in the reader's language, its choices ((choice, its name); empty:
    the column has no list) and the field its value is typed in ("date", "number", "text")."""

    key: str
    label: str
    choices: tuple[tuple[str, str], ...]
    kind: str


def every_columns(defn: Definition, present: set[str], language: str) -> list[EveryColumn]:
    """The columns a file lacks that the preview offers one value for every row of: every
    column her header may be mapped to (`targets`) and the file does not have -- a list's (the
    event, a choice field or evidence), a date, a number or a text -- in the template's
    order, named in the reader's language."""
    out = []
    for key in targets(defn):
        if key in present:
            continue
        names = choice_names(defn, key)
        kind = _kind(defn, key)
        out.append(EveryColumn(
            key, label_in(defn, key, language),
            tuple((c, by.get(language) or by.get("en") or c) for c, by in names.items()),
            "date" if kind == "date" else "number" if kind == "integer" else "text"))
    return out


class UnknownColumns(UsageError):
    """Headers no column has and no mapping names: refused naming them and the columns they
    could be, in the reader's language; `unknown` keeps them as written (the web asks which
    column each is)."""

    def __init__(self, defn: Definition, unknown: list[str], language: str):
        super().__init__(f"unknown columns {', '.join(unknown)}", key="error.unknown_columns",
                         columns=", ".join(unknown),
                         known=", ".join(label_in(defn, k, language) for k in applicable(defn)))
        self.unknown = unknown


def protected(defn: Definition, header: str, key: str, language: str) -> UsageError:
    """The refusal of her header mapped to a protected column the register does not declare
    mappable, naming the columns it may be mapped to, in the reader's language."""
    refusal = UsageError(f"{header!r} may not be mapped to {key!r}", key="import.map_protected",
                         header=header, field=key,
                         known=", ".join(label_in(defn, k, language) for k in targets(defn)))
    refusal.labels["field"] = label_of(defn, key)
    return refusal


@dataclass(frozen=True)
class Header:
    """A file's header read: each header naming a column (header → key), the headers that
    are not fields (a running number, a phone) or that her mapping ignores, and those still
    unknown."""

    found: dict[str, str]
    ignored: list[str]
    unknown: list[str]


def read_header(defn: Definition, header: list[str], language: str,
                chosen: dict[str, str] | None = None) -> Header:
    """The file's headers named: by a column's label in any language or its key (folded),
    else by her mapping (`chosen`: header folded → key, or IGNORE); a header that is not a
    field (`columns.not_a_field`) is ignored. Mapping a header to a column that is not the
    register's, or two headers to one column, is refused."""
    known = header_keys(defn)
    chosen = chosen or {}
    keys = set(columns(defn))
    found: dict[str, str] = {}
    ignored: list[str] = []
    unknown: list[str] = []
    mapped: set[str] = set()
    for h in header:
        if h == "_row" or not str(h).strip():
            continue
        folded = _fold(h)
        key = known.get(folded)
        if key is None and folded in chosen:
            key = chosen[folded]
            key = known.get(_fold(key), key) if key != IGNORE else key  # a key or a label
            if key == IGNORE:
                ignored.append(str(h))
                continue
            if key not in keys:
                raise UsageError(f"no column {key!r}", key="import.map_unknown_field",
                                 header=str(h), field=key,
                                 known=", ".join(label_in(defn, k, language)
                                                 for k in targets(defn)))
            if not mappable(defn, key):
                raise protected(defn, str(h), key, language)
            mapped.add(key)
        if key is None:
            if spreadsheet.not_a_field(h):
                ignored.append(str(h))
            else:
                unknown.append(str(h))
            continue
        if key in found.values() and key in mapped:
            twice = UsageError(f"two columns for {key}", key="import.map_twice",
                               headers=", ".join([*(x for x, k in found.items() if k == key),
                                                  str(h)]), field=key)
            twice.labels["field"] = label_of(defn, key)
            raise twice
        found[h] = key
    return Header(found, ignored, unknown)


def map_header(defn: Definition, header: list[str], language: str,
               required: tuple[str, ...] = (), chosen: dict[str, str] | None = None
               ) -> dict[str, str]:
    """The file's headers → the columns' keys (`read_header`); a header no column has and no
    mapping names, or a required column missing, is refused naming the columns in the
    reader's language."""
    read = read_header(defn, header, language, chosen)
    if read.unknown:
        raise UnknownColumns(defn, read.unknown, language)
    missing = [k for k in required if k not in read.found.values()]
    if missing:
        raise UsageError("missing columns", key="import.missing_columns",
                         columns=", ".join(label_in(defn, k, language) for k in missing))
    return read.found


def read_cells(s: Session, defn: Definition, rows: list[dict[str, Any]], language: str,
               required: tuple[str, ...] = (), chosen: dict[str, str] | None = None
               ) -> tuple[list[dict[str, Any]], list[RowRefused]]:
    """The file read into the import's keys: (the rows read, each cell refused: its row's number, column,
    value and rule). Reads only the organisations and users, and only when a cell names one.
    The rows read replace those given in their list (the list returned is `rows`), and a value
    read again in another row is the same string (a register's kinds, dates and codes repeat
    from row to row), so that a large file is held once and small."""
    if not rows:
        return rows, []
    every = every_of(chosen)
    mapping = map_header(defn, [h for h in rows[0] if h != "_row"], language,
                         tuple(k for k in required if k not in every), chosen)
    every = {k: v for k, v in every.items() if k not in mapping.values() and v}
    lists = {key: _choices(names) for key in set(mapping.values())
             if (names := choice_names(defn, key))}
    index = _Index(s)
    refused: list[RowRefused] = []
    once: dict[str, str] = {}  # each value read, held once
    for i, row in enumerate(rows, start=2):
        n = int(row.get("_row", i))
        clean: dict[str, Any] = {}
        for header, key in mapping.items():
            value = row.get(header)
            text = "" if value is None else str(value).strip()
            if not text:
                clean[key] = ""
                continue
            try:
                value = _cell(defn, key, text, index, lists)
                clean[key] = once.setdefault(value, value) if isinstance(value, str) else value
            except CellRefused as exc:
                clean[key] = text  # as written: shown marked, never imported
                refused.append(RowRefused(n, exc))
        clean.update(every)  # (the columns her file lacks, one value for every row)
        clean["_row"] = n
        rows[i - 2] = clean
    return rows, refused


def _choices(names: dict[str, dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for choice, by_lang in names.items():
        for text in by_lang.values():
            out.setdefault(_fold(text), choice)
    out.update({_fold(c): c for c in names})
    return out


def shown(defn: Definition, key: str, value: str, language: str,
          orgs: dict[str, str] | None = None) -> str:
    """A cell of the preview as the reader reads it: a choice or an event by its name, an
    organisation by its name, a date and a whole number as her language writes them
    (dd.mm.yyyy, 4 500 000 in kk and ru)."""
    if not value:
        return ""
    names = choice_names(defn, key)
    if value in names:
        by_lang = names[value]
        return by_lang.get(language) or by_lang.get("en") or value
    kind = _kind(defn, key)
    if kind == "organisation" and orgs and value in orgs:
        return orgs[value]
    if kind == "date":
        return date_text(value, language)
    if kind == "integer" and spreadsheet.number(value) is not None:
        return number_text(int(value), language)
    return value


def org_names(s: Session, codes: set[str], language: str) -> dict[str, str]:
    """The organisations' names in the reader's language, by code (the preview's)."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    out = {}
    for org in s.exec(select(Organisation).where(Organisation.code.in_(sorted(codes)))):  # type: ignore[attr-defined]
        name = {"kk": org.name_kk, "ru": org.name_ru}.get(language) or org.name
        out[org.code] = name or org.code
    return out


def ranges_of(ids: Iterable[int]) -> str:
    """Case numbers written as a `cases` filter: runs of consecutive numbers as "a-b"."""
    out: list[str] = []
    for i in sorted(set(ids)):
        if out and "-" in out[-1] and int(out[-1].split("-")[1]) == i - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{i}"
        elif out and "-" not in out[-1] and int(out[-1]) == i - 1:
            out[-1] = f"{out[-1]}-{i}"
        else:
            out.append(str(i))
    return ",".join(out)


def shown_date(day: str) -> str:
    """An ISO date as the officer writes it (dd.mm.yyyy)."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day or ""):
        y, m, d = day.split("-")
        return f"{d}.{m}.{y}"
    return day


def explained(defn: Definition, dates: dict[str, date], exc: Exception) -> Exception:
    """A row's refusal as the import names it: a date before the date it may not precede
    (`rule.date_floor`) names both columns and both values; any other refusal as it is."""
    params = getattr(exc, "params", None)
    if getattr(exc, "key", None) != "rule.date_floor" or not isinstance(params, dict):
        return exc
    name, floor = str(params.get("event") or ""), str(params.get("floor") or "")
    if name in defn.events:
        spec = defn.events[name]
        column = "on"
        candidates = [n for n in (spec.not_before, *(defn.dates[k].not_before
                                                     for k in spec.sets if k in defn.dates))
                      if n]
        earlier = next((n for n in candidates if n in dates
                        and dates[n].isoformat() == floor), candidates[0] if candidates else "")
    elif name in defn.dates:
        column, earlier = name, defn.dates[name].not_before or ""
    else:
        return exc
    error = UsageError(f"{column} {params.get('date')} is before {earlier} {floor}",
                       key="import.cell_before", column=column,
                       value=shown_date(str(params.get("date") or "")), earlier=earlier,
                       floor=shown_date(floor))
    error.labels["column"] = label_of(defn, column)
    if earlier:
        error.labels["earlier"] = label_of(defn, earlier)
    return error
