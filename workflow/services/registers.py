"""A register imported from a spreadsheet: a case of one process opened for every row, and
its first record when the row names one; all or nothing.

The columns are the definition's, by key: `subject` (required), `object`, `person`,
`position`, `responsible`, one per field (`[[field]]`), one per named date given at opening,
and, to record what already happened, `event` with `on` (its date) and one column per evidence
key of the definition (`number`, `url`, `receipt_act`, …). A column the definition does not
know is refused before any row is read, naming the columns it knows; a refused row is named
("Row 7: …") and nothing of the file is stored. Every row goes through the same checks as
`merzim case open` and `merzim record` (open_checked, record_event): one code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from workflow.core.dates import parse_day
from workflow.core.definition import BUILTIN_EVIDENCE, Definition
from workflow.core.errors import MerzimError, UsageError
from workflow.services.bulk import RowRefused
from workflow.services.cases import record_event
from workflow.services.context import Context
from workflow.services.opening import open_checked
from workflow.storage.models import Case

PARTIES = ("subject", "object", "person", "position", "responsible")
RECORD = ("event", "on")


@dataclass(frozen=True)
class Imported:
    row: int
    case: Case | Any  # the opened case (open_checked's)
    warnings: list[dict[str, Any]]
    recorded: str | None = None  # the event recorded with it


def columns(defn: Definition) -> tuple[str, ...]:
    """Every column a register file of this definition may have, in the order a template
    lists them."""
    given = [k for k, d in defn.dates.items() if d.given != "none"]
    return tuple(dict.fromkeys([*PARTIES, *defn.fields, *given, *RECORD,
                                *BUILTIN_EVIDENCE, *defn.evidence]))


def check_columns(defn: Definition, header: list[str]) -> None:
    """Refuse a file with a column the definition does not know (a misspelt field would
    silently be dropped)."""
    known = columns(defn)
    unknown = [h for h in header if h and h != "_row" and h not in known]
    if unknown:
        raise UsageError(f"unknown columns {', '.join(unknown)}", key="error.unknown_columns",
                         columns=", ".join(unknown), known=", ".join(known))


def import_cases(s: Session, ctx: Context, process: str, rows: list[dict[str, Any]]
                 ) -> list[Imported]:
    """Open a case for every row (and record its event when it names one). The caller's unit
    of work stores all of them or, when a row is refused, none."""
    defn = ctx.registry.get(process)
    if rows:
        check_columns(defn, list(rows[0]))
    given = [k for k, d in defn.dates.items() if d.given != "none"]
    evidence_keys = list(dict.fromkeys((*BUILTIN_EVIDENCE, *defn.evidence)))
    out = []
    for i, row in enumerate(rows, start=2):
        n = int(row.get("_row", i))
        try:
            out.append(_one(s, ctx, defn, row, n, given, evidence_keys))
        except MerzimError as exc:
            raise RowRefused(n, exc) from None
        except ValueError as exc:  # a date outside the calendar's years
            raise RowRefused(n, exc) from None
    return out


@dataclass(frozen=True)
class Cells:
    """A row's cells as an import reads them, before any check against the database: its
    subject (refused when empty), object, person, position, responsible officer, the
    definition's fields, its given dates (parsed), and an optional event with its day and
    evidence."""

    row: int
    subject: str
    object: str | None
    person: str | None
    position: str | None
    responsible: str | None
    fields: dict[str, str]
    dates: dict[str, date]
    event: str | None
    on: str | None
    evidence: dict[str, str]


def cell_text(row: dict[str, Any], key: str) -> str | None:
    """A cell of a register file's row as the import reads it: its text, trimmed; None when
    empty or absent."""
    value = row.get(key)
    text = "" if value is None else str(value).strip()
    return text or None


def row_cells(defn: Definition, row: dict[str, Any], n: int, given: list[str],
              evidence_keys: list[str]) -> Cells:
    """A row's cells (the one reading of a register file's row, row by row or in bulk)."""
    subject = cell_text(row, "subject")
    if subject is None:
        raise UsageError("subject is empty", key="error.row_subject_empty")
    present = row.keys()  # (of the definition's many columns, those the file has)
    fields = {k: v for k in defn.fields if k in present and (v := cell_text(row, k)) is not None}
    dates = {k: parse_day(v, k) for k in given
             if k in present and (v := cell_text(row, k)) is not None}
    return Cells(n, subject, cell_text(row, "object"), cell_text(row, "person"),
                 cell_text(row, "position"), cell_text(row, "responsible"), fields, dates,
                 cell_text(row, "event"), cell_text(row, "on"),
                 {k: v for k in evidence_keys
                  if k in present and (v := cell_text(row, k)) is not None})


def _one(s: Session, ctx: Context, defn: Definition, row: dict[str, Any], n: int,
         given: list[str], evidence_keys: list[str]) -> Imported:
    c = row_cells(defn, row, n, given, evidence_keys)
    planned = open_checked(s, ctx, defn.key, c.subject, c.object, c.person, c.position,
                           c.fields, c.dates, c.responsible)
    case = planned.analysis
    event, evidence = c.event, c.evidence
    if event is None:
        if evidence or c.on:
            raise UsageError("evidence without an event", key="error.row_evidence_no_event")
        return Imported(n, case, planned.warnings)
    on = c.on
    if on is None:
        raise UsageError("event without a date", key="error.row_event_no_date", event=event)
    record_event(s, ctx, case.id or 0, event, parse_day(on, "on"), evidence)
    return Imported(n, case, planned.warnings, event)
