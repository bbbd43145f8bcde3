"""A sheet of done work (B-25): rows of a recurring obligation's register file recorded on the
periods already opened, instead of opening second cases.

An office that joins merzim mid-year has its year so far opened (`obligations.open_year_so_far`:
one case per obligation, organisation and period). What it did in those months is then
imported as an ordinary register file of the obligation -- several months in one sheet, each
row with its own event, date and confirming details (number, signed by, link, note) -- and
every row is matched to the case already opened for its procedure, organisation and period:

* the row's **period** is the one its `period_start` falls in, when the row gives one (as the
  obligation's template lists it); else the one its event's date (`on`) falls in;
* the row's event is recorded on that case, on the row's date, by `record_event` (the one
  record path: the stage done on time or late by that date, the listeners told);
* a row that matches no opened case (the period not opened, the case withdrawn), or names no
  event, is refused with the reason, and the whole file stores nothing;
* a row whose event already stands on its case on the same day with the same details (the
  sheet, or that row, recorded before), or that repeats an earlier row of the sheet, is
  refused naming the record or the row: a sheet imported twice, one after the other or at
  once on two nodes, records each event once. Checked for the whole file, then again for
  each batch under the writers' lock (`write`).

A file is such a sheet when it is of a recurring obligation and one of its rows names an
organisation that joined mid-year or matches an opened period, or none of its rows gives a
`period_start` (no row could open a period's case) (`applies`); any other file opens its cases
as before. A row whose unit has no opened case for its period is refused naming the unit, the
period and the obligation in words, and how to open the unit's year so far (`no_period`).
The register import (`workflow/imports/registers.py`)
asks `applies` and uses a `Recorder` as the planner of such a file: checked whole, then written
by the register import's batches (`BATCH` rows a transaction, the same lease, progress, resume
and roll-back). What differs is what a batch leaves for the import to undo: it opens no case
(the back-filled cases stay as they are, never hidden), so each batch notes the records it
made (`registers.RECORDED`, in the audit log); a resume goes on after them, and a roll-back
voids exactly them (`recording.void_record`, the one void path), newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from workflow.core import periods
from workflow.core.dates import parse_day
from workflow.core.definition import Definition
from workflow.core.errors import KeyList, MerzimError, NotFound, RuleViolation, UsageError
from workflow.core.facts import person_text, probable_same
from workflow.core.machine import clean_evidence
from workflow.i18n import LANGUAGES, period_name
from workflow.services.bulk import RowRefused
from workflow.services.context import Context
from workflow.services.lookup import find_org
from workflow.services.registers import cell_text
from workflow.storage import audit
from workflow.storage.models import Case
from workflow.storage.queries.imports import standing_events
from workflow.storage.queries.obligations import case_of_period


def applies(s: Session, defn: Definition, rows: list[dict[str, Any]]) -> bool:
    """Whether a register file is a sheet of done work: of a recurring obligation, and one of
    its rows names an organisation that joined mid-year (its year so far opened) or matches a
    case already opened for its period. Then every row must match one (a row that does not is
    refused); a file of an obligation none of whose rows does opens its cases as before."""
    if defn.recurrence is None or not rows:
        return False
    if not any(cell_text(row, "period_start") for row in rows):
        return True  # (no row can open a period's case: each is recorded on an opened one)
    orgs: dict[str, Any] = {}
    for row in rows:
        code = cell_text(row, "subject")
        if code is None:
            continue
        if code not in orgs:
            orgs[code] = find_org(s, code)
        org = orgs[code]
        if org is None:
            continue
        if org.joined_on is not None:
            return True
        try:
            start = cell_text(row, "period_start")
            period = row_period(defn, {"period_start": parse_day(start, "period_start")}
                                if start else {}, cell_text(row, "on"))
        except (MerzimError, ValueError):
            continue
        if case_of_period(s, defn.key, org.id, period.label) is not None:
            return True
    return False


def row_period(defn: Definition, dates: dict[str, date], on: str | None) -> periods.Period:
    """The period a row records on: the one its `period_start` falls in, else the one its
    event's date falls in (refused: neither given)."""
    kind = defn.recurrence.period if defn.recurrence is not None else "year"
    if "period_start" in dates:
        return periods.period_of(dates["period_start"], kind)
    if on is None:
        raise UsageError("no period_start and no event date", key="import.error_done_no_event")
    return periods.period_of(parse_day(on, "on"), kind)


def no_period(defn: Definition, org: Any, period: periods.Period) -> UsageError:
    """The refusal of a row whose unit has no opened case for its period: the unit by its
    name, the period and the obligation in words of the reader's language, and how to open
    the unit's year so far (the web's "The year so far", `obligations sync --from --org`)."""
    kinds = defn.recurrence.applies_to if defn.recurrence is not None else ()
    if kinds and org.kind not in kinds:  # never opened for it: its year would not help
        refusal = UsageError(f"{defn.key} does not apply to {org.code} ({org.kind})",
                             key="import.error_unit_not_obliged", process=defn.key,
                             org=org.code, period=period.label, kind=org.kind,
                             kinds=", ".join(kinds))
        refusal.labels.update(kind=f"org_kind.{org.kind}", kinds=KeyList(
            refusal.params["kinds"], {k: f"org_kind.{k}" for k in kinds}))
    else:
        refusal = UsageError(f"no open case of {defn.key} for {org.code} in {period.label}",
                             key="import.error_no_period", process=defn.key, org=org.code,
                             period=period.label, code=org.code,
                             since=date(period.start.year, 1, 1).isoformat())
    refusal.labels["org"] = {"en": org.name or org.code,
                             "ru": org.name_ru or org.name or org.code,
                             "kk": org.name_kk or org.name or org.code}
    refusal.labels["period"] = {lang: period_name(period.label, lang) for lang in LANGUAGES}
    refusal.labels["process"] = dict(defn.names)
    return refusal


class Refused(RowRefused):
    """Rows of a batch refused under the writers' lock (the import names every one)."""

    def __init__(self, refused: list[RowRefused]):
        super().__init__(refused[0].row, refused[0].error)
        self.refused = refused


@dataclass
class _Item:
    """One row matched: its cells, its organisation and the case opened for its period."""

    row: Any  # Cells
    subject: Any
    case: dict[str, Any]
    warnings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Planned:
    ready: list[_Item]


class Recorder:
    """The planner protocol of the register import (`check`, `write`), for a sheet of done
    work: the rows matched to the opened cases, nothing opened. `own`: the records an
    unfinished import of the sheet has made (resumed: its written rows are no repeats)."""

    def __init__(self, own: frozenset[int] = frozenset()):
        self.own = own

    def check(self, s: Session, ctx: Context, defn: Definition, cells: list[Any],
              refused: list[RowRefused]) -> _Planned:
        """Each row matched to its organisation's case of its period (reads only); a row that
        matches none, repeats an earlier row or is recorded already is added to `refused`
        with the reason."""
        orgs: dict[str, Any] = {}
        cases: dict[tuple[int, str], dict[str, Any] | None] = {}
        ready = []
        for c in cells:
            try:
                ready.append(self._match(s, defn, c, orgs, cases))
            except (MerzimError, ValueError) as exc:
                refused.append(RowRefused(c.row, exc))
        refused += _repeated(s, ready, own=self.own)
        bad = {r.row for r in refused}
        return _Planned([item for item in ready if item.row.row not in bad])

    def _match(self, s: Session, defn: Definition, c: Any, orgs: dict[str, Any],
               cases: dict[tuple[int, str], dict[str, Any] | None]) -> _Item:
        if c.event is None:
            raise UsageError("a row of done work names no event",
                             key="import.error_done_no_event")
        if c.subject not in orgs:
            orgs[c.subject] = find_org(s, c.subject)
        org = orgs[c.subject]
        if org is None:
            raise NotFound(f"no organisation {c.subject!r}", key="notfound.org", code=c.subject)
        period = row_period(defn, c.dates, c.on)
        if (org.id, period.label) not in cases:  # (a case's rows share its columns)
            case = case_of_period(s, defn.key, org.id, period.label)
            cases[(org.id, period.label)] = (
                None if case is None or case.withdrawn_at is not None else _columns(case))
        found = cases[(org.id, period.label)]
        if found is None:
            raise no_period(defn, org, period)
        return _Item(c, org, found)

    def write(self, s: Session, ctx: Context, planned: _Planned, start: int, stop: int,
              written: list[int], head: list[tuple], tail: list[tuple], held: Any,
              events: set[int]) -> list[dict[str, Any]]:
        """The matched cases of rows [start, stop), written nothing (the import records each
        row's event on its case by `record_event`); the import's audit records, if any.
        Under the writers' lock, the rows are checked again against the records standing now
        (another writer may have recorded the same sheet meanwhile): refused, nothing of the
        batch is written."""
        items = planned.ready[start:stop]
        again = _repeated(s, items, within=False)
        if again:
            raise Refused(again)
        if head or tail:
            audit.append_many(s, ctx.actor, [*head, *tail])
        return [item.case for item in items]


def _identity(item: _Item) -> tuple:
    """What makes a row's record the same as another: its case, event, day and details."""
    c = item.row
    try:
        on: Any = parse_day(c.on, "on") if c.on else None
    except (MerzimError, ValueError):
        on = c.on  # (refused by the event's own check)
    return (item.case["id"], c.event, on, _details(c.evidence))


def _cleaned(evidence: Any) -> dict[str, str]:
    """A record's details as compared: blank ones dropped, the rest as text written as one
    person writes it (B-26, `person_text`: invisible characters, letter case, ё, Latin
    look-alikes and spacing aside)."""
    return {k: person_text(str(v)) for k, v in clean_evidence(
        {k: None if v is None else str(v) for k, v in dict(evidence or {}).items()}).items()}


def _details(evidence: Any) -> str:
    """A record's details as compared (`_cleaned`), as one text."""
    return audit.canonical(_cleaned(evidence))


def _alike(one: tuple, other: tuple) -> bool:
    """Whether two records (case, event, day, details) are probably one (B-26): of one case
    and event, a day apart at most, each detail the same or naming probably the same person
    (initials, word order, a missing patronymic, Kazakh letters: `probable_same`)."""
    (case, event, on, details), (case2, event2, on2, details2) = one, other
    if case != case2 or event != event2 or set(details) != set(details2):
        return False
    if not isinstance(on, date) or not isinstance(on2, date) or abs((on - on2).days) > 1:
        return False
    return all(v == details2[k] or probable_same(v, details2[k]) for k, v in details.items())


def _repeated(s: Session, items: list[_Item], within: bool = True,
              own: frozenset[int] = frozenset()) -> list[RowRefused]:
    """The rows whose event already stands on their case on the same day with the same
    details (naming the record; not one of `own`), or probably so (`_alike`: the servant's
    name typed differently, the day a day off), and (`within`) those repeating an earlier
    row, or probably so."""
    records = [r for r in standing_events(s, [int(i.case["id"]) for i in items])
               if r.id not in own]
    stored = {(r.case_id, r.event, r.on, _details(r.evidence)): r.id for r in records}
    alike: dict[tuple, list[tuple[tuple, int]]] = {}  # (case, event) → its records
    for r in records:
        alike.setdefault((r.case_id, r.event), []).append(
            ((r.case_id, r.event, r.on, _cleaned(r.evidence)), r.id))
    seen: dict[tuple, int] = {}
    rows: dict[tuple, list[tuple[tuple, int]]] = {}  # (case, event) → the earlier rows
    out = []
    for item in items:
        key = _identity(item)
        c = item.row
        plain = (key[0], key[1], key[2], _cleaned(c.evidence))
        like = next((rid for other, rid in alike.get(key[:2], []) if _alike(plain, other)),
                    None)
        row = next((n for other, n in rows.get(key[:2], []) if _alike(plain, other)),
                   None) if within else None
        if key in stored:
            out.append(RowRefused(c.row, RuleViolation(
                f"already recorded on case #{key[0]} (record #{stored[key]})",
                key="import.error_done_recorded", id=key[0], record=stored[key])))
        elif within and key in seen:
            out.append(RowRefused(c.row, RuleViolation(
                f"repeats row {seen[key]}", key="import.error_done_twice", row=seen[key])))
        elif like is not None:
            out.append(RowRefused(c.row, RuleViolation(
                f"probably recorded on case #{key[0]} (record #{like})",
                key="import.error_done_probable", id=key[0], record=like)))
        elif row is not None:
            out.append(RowRefused(c.row, RuleViolation(
                f"probably repeats row {row}", key="import.error_done_probable_row", row=row)))
        else:
            seen.setdefault(key, c.row)
            rows.setdefault(key[:2], []).append((plain, c.row))
    return out


def _columns(case: Case) -> dict[str, Any]:
    """A case's columns by name (what the import shows of a row written), its dates as
    the planner's items carry them."""
    out = {c.name: getattr(case, c.name) for c in Case.__table__.columns}  # type: ignore[attr-defined]
    out["dates"] = dict(case.dates or {})
    return out


