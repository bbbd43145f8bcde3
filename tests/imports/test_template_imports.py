"""Every register's template carries every column its records require
(workflow/imports/template.py, `cells.applicable`: an event's evidence and that of the stage
it completes, read from the definition): for every shipped definition, its template filled in
with one plausible row — its columns as the template heads them, each value by its column's
type, an event the register records from its first state with the evidence it takes — is
imported, on SQLite and PostgreSQL. Walks the registry, so a new definition is covered by
being added."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from sqlmodel import Session

from calendars import KazakhstanCalendar
from workflow import services as svc
from workflow.core import periods
from workflow.core.definition import Definition
from workflow.core.kinds import ORG_KINDS
from workflow.definitions import load_registry
from workflow.i18n import Translator
from workflow.imports import cells as import_cells
from workflow.imports import template as template_builder
from workflow.imports import usecase
from workflow.tabular import read_rows

REGISTRY = load_registry()
TODAY = date(2026, 6, 1)
DAY = date(2026, 5, 4)  # a Monday, a working day, before today
KEYS = sorted(REGISTRY.keys())


def _world(s, ctx) -> dict[str, str]:
    """One organisation of every kind (under one akimat), each with an officer: kind → code."""
    svc.add_org(s, ctx, "ROOT", "Root akimat", "akimat")
    svc.add_user(s, ctx, "off-root", "Officer Root", "officer", "ROOT")
    out = {"akimat": "ROOT"}
    for i, kind in enumerate(k for k in ORG_KINDS if k != "akimat"):
        code = f"K{i}"
        svc.add_org(s, ctx, code, f"Body {i}", kind, "ROOT")
        svc.add_user(s, ctx, f"off-{code}", f"Officer {code}", "officer", code)
        out[kind] = code
    return out


def _event(defn: Definition):
    """An event the register records on a case it opens: from its first state, with no
    prerequisite (None: the register has none)."""
    for e in defn.events.values():
        if defn.initial_state in defn.sources_of(e) and not defn.prerequisites(e):
            return e
    return None


def _subject(defn: Definition, event, kinds: dict[str, str]) -> str:
    allowed = defn.recurrence.applies_to if defn.recurrence is not None else ORG_KINDS
    for kind in allowed:
        if kind in kinds and defn.opens_for(kind) and (event is None
                                                      or defn.for_kind(event, kind)):
            return kinds[kind]
    raise AssertionError(f"no organisation of a kind {defn.key} takes")


def _value(defn: Definition, key: str, kinds: dict[str, str], subject: str) -> str:
    """A plausible value of a column, by its type, as an officer writes it (in English)."""
    names = import_cells.choice_names(defn, key)
    if names:
        first = next(iter(names))
        return names[first].get("en") or first
    kind = import_cells._kind(defn, key)
    if kind == "date":
        return DAY.strftime("%d.%m.%Y")
    if kind == "integer":
        spec = defn.fields.get(key) or defn.evidence.get(key)
        return str(max(3, getattr(spec, "minimum", 3)))
    if kind == "organisation":
        return next(c for c in kinds.values() if c != subject)
    if kind == "url":
        return "https://example.kz/doc/1"
    if kind == "links":
        return "https://example.kz/doc/1"
    if kind == "role":  # the template's list of it
        return template_builder.listed(defn, key)[0]
    return {"person": "Aigerim Sadykova", "position": "Chief expert", "number": "12-3",
            "signed_by": "A. Head"}.get(key, "Text of the entry")


def _row(defn: Definition, columns: list[tuple[str, str]], kinds: dict[str, str]) -> list[str]:
    event = _event(defn)
    subject = _subject(defn, event, kinds)
    wanted = set()
    if event is not None:
        wanted = {*defn.requirements(event), *event.optional,
                  *(k for g in defn.evidence_groups(event)[:1] for k in g)}
    period = (periods.period_of(DAY, defn.recurrence.period)
              if defn.recurrence is not None else None)
    row = []
    for key, _label in columns:
        if key == "subject":
            row.append(subject)
        elif key == "responsible":
            row.append("")
        elif key == "event":
            row.append(event.names["en"] if event is not None else "")
        elif key == "on":
            row.append(DAY.strftime("%d.%m.%Y") if event is not None else "")
        elif key in defn.fields or key in ("person", "position", "object"):
            row.append(_value(defn, key, kinds, subject) if key != "object"
                       or defn.parties.object != "none" else "")
        elif key in defn.dates and key not in defn.fields:
            if period is not None and key == "period_start":
                row.append(period.start.strftime("%d.%m.%Y"))
            elif defn.dates[key].given == "required":
                row.append(DAY.strftime("%d.%m.%Y"))
            else:
                row.append("")
        elif key in wanted:
            row.append(_value(defn, key, kinds, subject))
        else:
            row.append("")
    return row


@pytest.mark.parametrize("key", KEYS)
def test_a_sheet_filled_from_the_template_imports(db, tmp_path, key):
    defn = REGISTRY.get(key)
    ctx = svc.Context(KazakhstanCalendar(), REGISTRY, TODAY, actor="cli:importer",
                      language="en")
    with Session(db) as s:
        kinds = _world(s, ctx)
        s.commit()
    blank = template_builder.template_xlsx(defn, "en", Translator("en"))
    wb = openpyxl.load_workbook(io.BytesIO(blank))
    ws = wb["import"]
    columns = template_builder.headers(defn, "en")
    assert [c.value for c in ws[1]] == [label for _k, label in columns]
    event = _event(defn)
    if event is not None:  # what the record requires is a column of the template
        needed = [k for k in defn.requirements(event) if k not in dict(columns)]
        assert not needed, (key, event.key, needed)
    ws.append(_row(defn, columns, kinds))
    path = tmp_path / f"{key}.xlsx"
    wb.save(path)
    rows = read_rows(path, (), as_written=True)
    with Session(db) as s:
        written = usecase.write(s, ctx, usecase.Importer(), key, rows, "en")
    assert len(written.done) == 1, key
    if event is not None:
        assert written.done[0].recorded == event.key, key
