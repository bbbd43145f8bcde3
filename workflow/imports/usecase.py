"""Importing a register's file, the one use case the command line (`merzim case import`) and
the web (`/registers/KEY/import`) both call; they only render what it answers
(docs/imports.md, "One import path").

* `preview` reads the file's rows as the officer wrote them (her headers mapped: by a
  column's label in any language, by her organisation's remembered mapping, by the mapping
  she gives now; the columns that are not fields ignored), fills an officer's empty subject
  and responsible officer as hers, refuses a subject outside her reach as "no organisation",
  and checks the whole file: every refused row named, nothing written.
* `write` does the same reading and checking, then writes the file in short batches
  (`registers.write_file`), resumes an interrupted import (`registers.resume`), and keeps
  the mapping she gave for her organisation and the register (audited).
* `roll_back` undoes what an interrupted import wrote, in its own transaction: its cases
  withdrawn, or the records of a sheet of done work voided.

A header neither known nor mapped is refused (`cells.UnknownColumns`) naming it and the
columns it could be; the web asks which column each such header is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from workflow import services as svc
from workflow.core.definition import Definition
from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.imports import cells as import_cells
from workflow.imports import columns as spreadsheet
from workflow.imports import done_work
from workflow.imports import progress as import_progress
from workflow.imports import registers as bulk_import
from workflow.services import registers, visibility
from workflow.services import transactions as tx
from workflow.services.bulk import RowRefused
from workflow.services.context import Context
from workflow.services.registers import Imported
from workflow.storage import audit
from workflow.storage.queries import imports as queries

MAPPED = "import.mapping"  # the audit action of a mapping kept


@dataclass(frozen=True)
class Importer:
    """Who imports: her account (an officer's, an admin's; None: the command line's operator,
    for every organisation), her organisation (its code and id: whose remembered mapping is
    read and kept; none: no mapping remembered), her login, which organisations she may open
    a case for (`sees`: an officer's own, an admin's subtree; not given: her own), and which
    she may record a sheet of done work for (`fills`: her organisation and those under it;
    not given: as `sees`) -- all services/visibility.py's rules (`importer_of`), asked with
    her account."""

    user: Any | None = None
    org_code: str | None = None
    org_id: int | None = None
    login: str | None = None
    sees: Callable[[Any], bool] | None = None
    fills: Callable[[Any], bool] | None = None

    def imports_for(self, org: Any, done_work: bool) -> bool:
        """Whether she imports rows of the organisation `org` (None: none such): the
        operator every one; a sheet of done work by `fills`, any other file by `sees`."""
        if self.user is None:
            return True
        if org is None:
            return False
        rule = (self.fills if done_work else None) or self.sees
        return rule(org) if rule is not None else org.id == self.org_id


def importer_of(user: Any, own: Any) -> Importer:
    """The account `user` of the organisation `own` as the import knows her; refused
    (`rule.cannot_record`) when she may not import (deactivated, or not of a role that does:
    services/visibility.py `imports_registers`)."""
    if not user.active or not visibility.imports_registers(user):
        raise RuleViolation("not allowed to record", key="rule.cannot_record", role=user.role)
    path = own.path
    return Importer(user, own.code, own.id, user.login,
                    lambda org: visibility.reaches(user, path, org.path),
                    lambda org: visibility.records_done_work(user, path, org.path))


@dataclass
class Read:
    """A file read in the import's keys: its rows, the cells refused (and the rows naming an
    organisation she may not reach), the headers ignored, and the mapping of her own headers
    used (header folded → column, or `cells.IGNORE`)."""

    rows: list[dict[str, Any]]
    refused: list[RowRefused]
    ignored: list[str]
    mapped: dict[str, str]
    present: frozenset[str] = frozenset()  # the columns her file has (or is given for every row)


@dataclass
class Preview:
    """What the preview shows: the rows, every refused row (in row order), the checked file
    (a register written in batches; else None), the headers ignored and her mapping used."""

    defn: Definition
    rows: list[dict[str, Any]]
    refused: list[RowRefused]
    checked: bulk_import.Checked | None
    ignored: list[str]
    mapped: dict[str, str]
    present: frozenset[str] = frozenset()  # the columns her file has (or is given for every row)

    @property
    def batched(self) -> bool:
        """Whether the file is written in more than one batch (an import with an id)."""
        return self.checked is not None and self.checked.total > bulk_import.BATCH

    @property
    def records(self) -> bool:
        """Whether the file is a sheet of done work: its rows recorded on the periods already
        opened, not opened as new cases."""
        return self.checked is not None and self.checked.records


@dataclass
class Written:
    """What a write did: the import's id (empty: one transaction), the rows written (none
    kept when a sink took them), the headers ignored, and — when the same import had already
    begun from another confirm — its (written, total) instead."""

    import_id: str
    done: list[Imported] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    begun: tuple[int, int] | None = None
    records: bool = False  # a sheet of done work: recorded on opened periods, none opened


def parse_mapping(pairs: list[str], every: list[str] | None = None) -> dict[str, str]:
    """`Her header=column` pairs (the command line's `--map`) → header → column, and
    `column=value` pairs (`--every`: the column given one value for every row) → EVERY +
    column → value; a pair without "=" is refused."""
    out: dict[str, str] = {}
    for pair in pairs:
        header, sep, key = pair.partition("=")
        if not sep or not header.strip():
            raise UsageError(f"not HEADER=COLUMN: {pair!r}", key="import.map_pair", value=pair)
        out[header.strip()] = key.strip()
    for pair in every or []:
        column, sep, value = pair.partition("=")
        if not sep or not column.strip() or not value.strip():
            raise UsageError(f"not COLUMN=VALUE: {pair!r}", key="import.every_pair",
                             value=pair)
        out[import_cells.EVERY + column.strip()] = value.strip()
    return out


def remembered(s: Session, who: Importer, process: str) -> dict[str, str]:
    """Her organisation's remembered mapping for the register (header folded → column)."""
    return queries.mapping_of(s, who.org_id, process) if who.org_id is not None else {}


def _chosen(s: Session, who: Importer, defn: Definition,
            mapping: dict[str, str] | None, language: str) -> dict[str, str]:
    """The remembered mapping, with what she gives now over it: header folded → column (a
    column named by its key or its label in any language; `cells.IGNORE`: ignored). A column
    who answers for a case or whom it is about (`cells.PROTECTED`) is no header's unless the
    register declares it mappable: given now, refused before anything is read or kept;
    remembered (kept before), left out, so that the header is asked about again."""
    known = import_cells.header_keys(defn)
    every = import_cells.EVERY
    chosen = {h: k for h, k in remembered(s, who, defn.key).items()
              if (import_cells.mappable(defn, h[len(every):]) if h.startswith(every)
                  else k == import_cells.IGNORE
                  or import_cells.mappable(defn, known.get(spreadsheet.fold(k), k)))}
    for header, key in (mapping or {}).items():
        if header.startswith(every):  # a column given one value for every row
            column, value = import_cells.every_value(s, defn, header[len(every):], key or "",
                                                     language)
            chosen[every + column] = value
            continue
        key = known.get(spreadsheet.fold(key), key) if key else key
        if key and not import_cells.mappable(defn, key):
            raise import_cells.protected(defn, header, key, language)
        chosen[spreadsheet.fold(header)] = key
    return chosen


def read(s: Session, ctx: Context, who: Importer, defn: Definition,
         rows: list[dict[str, Any]], language: str,
         mapping: dict[str, str] | None = None) -> Read:
    """The file's rows in the import's keys (the rows' own list, replaced row by row: the
    file held once), as this importer imports them."""
    chosen = _chosen(s, who, defn, mapping, language)
    header = [h for h in (rows[0] if rows else {}) if h != "_row"]
    named = import_cells.read_header(defn, header, language, chosen)
    known = import_cells.header_keys(defn)
    mapped = {f: chosen[f] for h in header
              if (f := spreadsheet.fold(h)) not in known and f in chosen
              and not spreadsheet.not_a_field(h)}
    present = set(named.found.values())
    mapped.update({import_cells.EVERY + k: v for k, v in import_cells.every_of(chosen).items()
                   if k not in present and v})
    required = ("subject",) if not visibility.own_only(who.user) else ()
    rows, refused = import_cells.read_cells(s, defn, rows, language, required, chosen)
    rows = _own(who, rows)
    bad = {r.row for r in refused}
    rows_left = [row for row in rows if row["_row"] not in bad]
    refused += _unseen(s, who, rows_left,
                       who.user is not None and done_work.applies(s, defn, rows_left))
    return Read(rows, refused, named.ignored, mapped,
                frozenset(present | set(import_cells.every_of(mapped))))


def _own(who: Importer, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An officer's rows: an empty subject is her organisation, an empty responsible officer
    she herself (as the open-a-case form opens a case)."""
    if not visibility.own_only(who.user):
        return rows
    code, login = who.org_code or "", who.login or ""
    for row in rows:
        row["subject"] = str(row.get("subject") or "").strip() or code
        row["responsible"] = str(row.get("responsible") or "").strip() or login
    return rows


def _unseen(s: Session, who: Importer, rows: list[dict[str, Any]],
            records: bool) -> list[RowRefused]:
    """The rows naming an organisation she may not import for (`Importer.imports_for`: a
    sheet of done work, `records`, her organisation and those under it; any other file, the
    organisations she may open a case for), refused as an organisation that does not exist,
    naming the row and the organisation."""
    if who.user is None:
        return []
    seen: dict[str, bool] = {}
    refused = []
    for row in rows:
        code = str(row.get("subject") or "").strip()
        if not code:
            continue  # the import's own check names it
        if code not in seen:
            seen[code] = who.imports_for(svc.find_org(s, code), records)
        if not seen[code]:
            refused.append(RowRefused(int(row["_row"]), NotFound(
                f"no organisation {code!r}", key="notfound.org", code=code)))
    return refused


def _check(s: Session, ctx: Context, defn: Definition, got: Read
           ) -> tuple[bulk_import.Checked | None, list[RowRefused]]:
    """(the checked file of a register written in batches, or None; every refused row, in
    row order). Writes nothing: a register whose features open its cases without a planner of
    whole files is tried row by row in a transaction rolled back."""
    refused = list(got.refused)
    skip = {r.row for r in refused}
    rest = [row for row in got.rows if int(row["_row"]) not in skip]
    if got.rows:
        registers.check_columns(defn, list(got.rows[0]))
    checked = None
    if bulk_import.in_bulk(defn, ctx):
        try:
            checked = bulk_import.check_file(s, ctx, defn.key, rest)
        except bulk_import.FileRefused as exc:
            refused += exc.refused
    elif rest:
        refused += import_progress.refused_rows(s, ctx, defn.key, rest,
                                                bulk_import.MAX_NAMED + 1)
    return checked, sorted(refused, key=lambda r: r.row)


def preview(s: Session, ctx: Context, who: Importer, process: str,
            rows: list[dict[str, Any]], language: str,
            mapping: dict[str, str] | None = None) -> Preview:
    """The file read and checked whole; nothing written."""
    defn = ctx.registry.get(process)
    got = read(s, ctx, who, defn, rows, language, mapping)
    checked, refused = _check(s, ctx, defn, got)
    return Preview(defn, got.rows, refused, checked, got.ignored, got.mapped, got.present)


def write(s: Session, ctx: Context, who: Importer, process: str, rows: list[dict[str, Any]],
          language: str, mapping: dict[str, str] | None = None, *,
          import_id: str | None = None, resume: bool = False,
          progress: bulk_import.Progress | None = None,
          sink: bulk_import.Sink | None = None) -> Written:
    """The file read and checked whole again, then written: in batches of
    `registers.BATCH` (an import with an id when longer: `import_id` the preview's), or
    resumed (`resume`: the interrupted import `import_id` of the same file), all or nothing;
    every refused row named (`FileRefused`), nothing stored. Then her mapping is kept for her
    organisation and the register."""
    defn = ctx.registry.get(process)
    got = read(s, ctx, who, defn, rows, language, mapping)
    del rows
    if got.refused:
        raise bulk_import.FileRefused(_check(s, ctx, defn, got)[1])
    out = Written(import_id or "", ignored=got.ignored)
    if resume:
        if not import_id:
            raise UsageError("no import to resume", key="notfound.import", id="")
        out.records = import_progress.is_records(s, import_id)  # (events, not cases)
        out.done = bulk_import.resume(s, ctx, process, got.rows, import_id, progress, sink)
    elif bulk_import.in_bulk(defn, ctx):
        registers.check_columns(defn, list(got.rows[0]) if got.rows else [])
        checked = bulk_import.check_file(s, ctx, process, got.rows)
        got.rows = []  # (the checked file holds them: each batch reads its own)
        out.records = checked.records
        if checked.total <= bulk_import.BATCH:
            out.import_id = ""  # one transaction: no id, nothing to follow
        elif not import_id:
            out.import_id = uuid.uuid4().hex[:12]
        else:
            begun = import_progress.progress(s, import_id)
            if begun.state == import_progress.RUNNING:  # resumed or rolled back, not begun again
                out.begun = (begun.written, begun.total)
                return out
            if begun.state != import_progress.NONE:
                raise UsageError("import already begun", key="import.ended", id=import_id)
        out.done = bulk_import.write_file(s, ctx, checked, progress, out.import_id or None,
                                          sink=sink)
        del checked
    else:
        with tx.transaction(s):
            done = registers.import_cases(s, ctx, process, got.rows)
        if progress is not None:
            progress("", len(done), len(done))
        if sink is not None:
            sink(done)
        else:
            out.done = done
    remember(s, ctx, who, process, got.mapped)
    return out


def remember(s: Session, ctx: Context, who: Importer, process: str,
              mapped: dict[str, str]) -> None:
    """Her mapping kept for her organisation and the register (never a column the register
    does not declare mappable: `cells.mappable`), with an audit record of what changed (one
    transaction). The writers' lock is taken before the stored mapping is read,
    so two confirms saving it at once (on two nodes) store it once: the second finds the
    first's rows and changes nothing."""
    defn = ctx.registry.get(process)
    mapped = {h: k for h, k in mapped.items()
              if k == import_cells.IGNORE or import_cells.mappable(defn, k)}
    if who.org_id is None or not mapped:
        return
    with tx.transaction(s):
        audit.serialise(s)
        changed = queries.keep_mapping(s, who.org_id, process, mapped, ctx.actor,
                                       audit.now_iso())
        if changed:
            audit.append(s, ctx.actor, MAPPED, "organisation", who.org_id,
                         {"process": process, "mapping": changed})


@dataclass(frozen=True)
class RolledBack:
    """What a roll-back undid: `n` cases withdrawn, or (`records`: a sheet of done work) `n`
    records voided."""

    n: int
    records: bool = False


def roll_back(s: Session, ctx: Context, process: str, import_id: str) -> RolledBack:
    """Undo what the interrupted import `import_id` wrote (one transaction): its cases
    withdrawn, or the records of a sheet of done work voided."""
    with tx.transaction(s):
        records = import_progress.is_records(s, import_id)
        return RolledBack(bulk_import.roll_back(s, ctx, process, import_id), records)
