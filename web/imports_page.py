"""A register imported from the web: an officer uploads her spreadsheet (XLSX or CSV), sees
what it would open and every refused row named, and confirms; and the template of a register,
to fill in (docs/imports.md, "From the web").

* **Upload → preview** (`POST /registers/{process}/import`): the upload is copied into the
  file store's staging folder (`.incoming`, the folder evidence files are staged in) within the
  upload limits, read within the `[import]` limits, and read, mapped and checked whole by the
  import's use case (`workflow/imports/usecase.py`, which the command line calls too: this page
  renders what it answers). Every refused row is named with its number and reason; nothing is
  written either way. Headers the register does not know are asked about (`POST
  /registers/{process}/import/map`: which column each is, or ignored), the file kept meanwhile;
  who answers for a case and whom it is about are offered only where the register declares
  them mappable, and a form naming them anyway is refused by the use case.
* **Between preview and confirm** a file the preview accepted is kept in the file store
  evidence files are kept in -- the database itself on PostgreSQL without a files directory --
  so the confirm finds it on whichever node answers (workflow/imports/staging.py).
  The confirm form names it by a token: the kept blob's name, the content's SHA-256 and a
  signature of both with the user, the register and the browser session's secret (its CSRF
  token). The client holds no rows: at confirm the file is found through the preview's audit
  record, which must be the confirming user's own (a resume: the importer's, for whoever
  `web_import.may_finish` lets resume), read again from the store, must hash as previewed,
  and is checked whole again with the database and the officer's rights of that moment. A
  token of another session, user or register, or a file gone, is refused with a request to
  upload again; a file kept for more than a day is refused as expired (and swept); nothing
  is stored.
* **Confirm** (`POST /registers/{process}/import/confirm`): all or nothing, written by the
  use case as the CLI writes (`usecase.write`, then `register_import.write_file`: batches of
  500 rows, each a short transaction;
  a file of more than one batch is an import with an id whose cases stay hidden until its last
  batch). The confirm answers when the last batch is written, with the rows written of the
  rows in the file (counted by the batches committed, the progress the CLI prints); an import
  interrupted between batches is shown with its id, what was written of what, and a button to
  resume it from the same staged file or to roll it back.
* **Who**: officers for their own organisation (a row's empty subject is hers, an empty
  responsible officer is she) and, a sheet of done work, for the organisations under it too;
  admins for the organisations of their subtree (services/visibility.py); a row naming an
  organisation she may not import for is refused as "no organisation", as everywhere.
* **The template** (`GET /registers/{process}/template.xlsx`): the columns the import reads,
  in its order, with drop-down lists for choices and events and date cells formatted as
  dates; a second sheet names every column in the reader's language. Read back as it is, it
  has no rows.
"""

from __future__ import annotations

import hmac
import uuid
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from web.kit import staged, uploads
from web.kit.deps import PageContext
from web.kit.error_pages import web_message
from web.kit.page import attachment, check_csrf, page, render
from workflow.core.definition import Definition
from workflow.core.errors import MerzimError, NotFound, RuleViolation
from workflow.imports import cells as import_cells
from workflow.imports import progress as web_import
from workflow.imports import registers as bulk_import
from workflow.imports import template as template_builder
from workflow.imports import usecase
from workflow.imports.staging import Into
from workflow.services import files as files_service
from workflow.services import transactions as tx
from workflow.services import visibility
from workflow.services.bulk import RowRefused
from workflow.services.registers import Imported

router = APIRouter(include_in_schema=False)
SHOWN = 200  # rows of the preview shown (the count says how many more)


# -- who may import -----------------------------------------------------------------------------


def _definition(pc: PageContext, process: str) -> Definition:
    """The register's definition; refused for those who may not open its cases (an officer,
    an admin)."""
    defn = pc.ctx.registry.get(process)
    if not visibility.imports_registers(pc.viewer.user):
        raise RuleViolation("not allowed to record", key="rule.cannot_record",
                            role=pc.viewer.role)
    return defn


# -- the kept file ------------------------------------------------------------------------------


def _into(process: str) -> Into:
    """A register's import, as its preview's record and its token name it."""
    return Into("process", process)


def importer(pc: PageContext) -> usecase.Importer:
    """The viewer as the import use case knows her: her role, organisation, login and
    reach."""
    return usecase.importer_of(pc.viewer.user, pc.viewer.org)


def mapping_of(form: dict[str, str]) -> dict[str, str]:
    """Her mapping as a form carries it: `header_N` (her header) and `field_N` (the column it
    is; "-": ignored; empty: not chosen)."""
    out: dict[str, str] = {}
    for name, header in form.items():
        key = form.get("field_" + name[len("header_"):], "").strip()
        if name.startswith("header_") and header.strip() and key:
            out[header] = import_cells.IGNORE if key == "-" else key
    return out


# -- what the preview shows -----------------------------------------------------------------------


def _refusal_lines(defn: Definition, refused: list[RowRefused], t) -> list[dict[str, Any]]:
    lines = []
    for r in refused[:bulk_import.MAX_NAMED]:
        error = r.error
        message = (web_message(defn.name_keys(error), t) if isinstance(error, MerzimError)
                   else str(error))
        lines.append({"row": r.row, "key": getattr(error, "key", "error.invalid"),
                      "column": getattr(error, "params", {}).get("column"),
                      "message": message})
    return lines


def _headers(defn: Definition, lang: str, t) -> list[tuple[str, str]]:
    """Every column of the register's file: (key, its name in the reader's language)."""
    return template_builder.headers(defn, lang)


def _targets(defn: Definition, lang: str, t) -> list[tuple[str, str]]:
    """The columns her own header may be mapped to (the mapping form's choices): the file's
    columns but who answers for a case and whom it is about, unless the register declares
    them mappable (`import_cells.targets`)."""
    offered = set(import_cells.targets(defn))
    return [(key, label) for key, label in _headers(defn, lang, t) if key in offered]


def _preview(pc: PageContext, defn: Definition, rows: list[dict[str, Any]],
             refused: list[RowRefused]) -> dict[str, Any]:
    """The rows that would be opened, as the preview's table shows them (the first SHOWN):
    labels, names and dates as the reader writes them, each refused cell (or row) marked."""
    lang = pc.t.language
    marked = {(r.row, getattr(r.error, "params", {}).get("column")) for r in refused}
    bad_rows = {r.row for r in refused}
    headers = [(k, label) for k, label in _headers(defn, lang, pc.t)
               if any(str(row.get(k) or "").strip() for row in rows[:SHOWN])
               or any(column == k for _, column in marked)]
    orgs = import_cells.org_names(pc.s, {str(row.get(k) or "") for row in rows[:SHOWN]
                                         for k in ("subject", "object")}, lang)
    body = []
    for i, row in enumerate(rows[:SHOWN], start=2):
        n = int(row.get("_row", i))
        body.append({"row": n, "refused": n in bad_rows, "cells": [
            {"text": import_cells.shown(defn, k, str(row.get(k) or "").strip(), lang, orgs),
             "refused": (n, k) in marked} for k, _ in headers]})
    return {"headers": headers, "rows": body, "total": len(rows),
            "more": max(0, len(rows) - SHOWN)}


# -- the pages ------------------------------------------------------------------------------------


def _form(request: Request, pc: PageContext, defn: Definition, status: int = 200,
          **values: Any) -> HTMLResponse:
    values.setdefault("problem", None)
    return render(request, pc, "import.html", status=status, definition=defn,
                  title=defn.name(pc.t.language),
                  limit=files_service.size_text(staged.limit(request)),
                  columns=_headers(defn, pc.t.language, pc.t), **values)


@router.get("/registers/{process}/import", response_class=HTMLResponse)
def import_form(request: Request, process: str, pc: PageContext = Depends(page)):
    return _form(request, pc, _definition(pc, process))


@router.post("/registers/{process}/import", response_class=HTMLResponse)
async def import_preview(request: Request, process: str, pc: PageContext = Depends(page)):
    upload, _ = await uploads.file_form(request, pc)
    return await run_in_threadpool(_do_preview, request, pc, process, upload)


def _status(exc: MerzimError) -> int:
    return 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, RuleViolation) else 422


def _do_preview(request: Request, pc: PageContext, process: str,
                upload: UploadFile | None, form: dict[str, str] | None = None) -> Response:
    """The preview's page, rendered once the file's rows and its checked plan are freed (as
    the confirm's, `_confirm`); `form`: her mapping of a kept file's headers instead of an
    upload."""
    defn = _definition(pc, process)
    try:
        values = _previewed(request, pc, defn, upload, form)
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.import_preview", "process", defn.key,
                   {"key": exc.key})
        values = {"status": _status(exc), "problem": web_message(defn.name_keys(exc), pc.t)}
    else:
        page_name = "import_map.html" if values.get("unknown") else "import_preview.html"
        return render(request, pc, page_name, definition=defn,
                      title=defn.name(pc.t.language), **values)
    return _form(request, pc, defn, **values)  # (the refusal's traceback let go)


def _received(request: Request, pc: PageContext, defn: Definition, upload: UploadFile | None,
              form: dict[str, str] | None) -> tuple[Path, str, str, str]:
    """The file to preview on this node: (its path, SHA-256, name as uploaded, the kept
    blob's name when it is already kept: a mapping of its headers submitted)."""
    if form is not None:
        path, kept = staged.found(request, pc, _into(defn.key), form.get("token", ""))
        return path, staged.sha256_of(form.get("token", "")), form.get("file", "") or "file", \
            kept
    path, sha256, shown = staged.receive(request, upload)
    return path, sha256, shown, ""


def _previewed(request: Request, pc: PageContext, defn: Definition,
               upload: UploadFile | None, form: dict[str, str] | None) -> dict[str, Any]:
    """The upload (or the kept file she mapped) read and checked by the import's use case:
    what the preview's page shows (its first rows, its refusals), nothing of the rest of the
    file; a file with headers still unknown is kept and its headers asked about."""
    path = None
    mapping = mapping_of(form) if form is not None else None
    unknown: list[str] = []
    kept = ""
    try:
        path, sha256, shown, kept = _received(request, pc, defn, upload, form)
        rows = staged.file_rows(request, path, shown)
        try:
            found = usecase.preview(pc.s, pc.ctx, importer(pc), defn.key, rows,
                                    pc.t.language, mapping)
        except import_cells.UnknownColumns as exc:
            unknown = exc.unknown
    except MerzimError:
        staged.discard(path)
        if kept:
            staged.used(request, kept)
        raise
    refused = [] if unknown else found.refused
    # the columns her file lacks that may be given one value for every row: those a refusal
    # asks for, and the others to choose from
    every, every_more = ([], []) if unknown or not rows \
        else _every_offered(defn, found, pc.t.language)
    # kept where every node finds it; a refused or empty file is not, unless a value for
    # every row of a column it lacks may still make it importable: nothing to confirm
    token = staged.keep(request, pc, _into(defn.key), path, sha256,
                        {"file": shown, "rows": len(rows), "refused": len(refused),
                         **({"unknown": unknown} if unknown else {})},
                        wanted=bool(unknown) or (bool(rows) and (not refused or bool(every))),
                        kept=kept) or None
    if unknown:
        return {"status": 200, "unknown": unknown, "file": shown, "token": token,
                "fields": _targets(defn, pc.t.language, pc.t),
                "withheld": [label for key, label in _headers(defn, pc.t.language, pc.t)
                             if not import_cells.mappable(defn, key)],
                "given": [(h, k) for h, k in (mapping or {}).items() if h not in unknown]}
    batched = found.batched
    import_id = uuid.uuid4().hex[:12] if batched and not refused else ""
    return {"status": 409 if refused else 200, "import_id": import_id,
            "import_sig": staged.sign(pc, defn.key, import_id), "file": shown,
            "preview": _preview(pc, defn, found.rows, refused),
            "refusals": _refusal_lines(defn, refused, pc.t), "refused": len(refused),
            "more_refused": max(0, len(refused) - bulk_import.MAX_NAMED),
            "ignored": found.ignored, "mapping": sorted((mapping or {}).items()),
            "every": every, "every_more": every_more,
            "every_given": _every_given(defn, found.mapped, pc.t.language),
            "token": token, "batched": batched, "records": found.records}


def _every_offered(defn: Definition, found: usecase.Preview, lang: str
                   ) -> tuple[list[import_cells.EveryColumn], list[import_cells.EveryColumn]]:
    """The columns her file lacks that one value for every row may give (`cells.every_columns`:
    a list's, a date, a number or a text): (those a refusal asks for -- a row of done work
    naming no event, a required field or date missing -- each offered as a field of its kind;
    the others, to choose from)."""
    asked: set[str] = set()
    for r in found.refused:
        params = getattr(r.error, "params", {}) or {}
        if getattr(r.error, "key", "") == "import.error_done_no_event":
            asked.add("event")
        asked.update(str(v) for k, v in params.items() if k in ("field", "column", "name"))
    lacking = import_cells.every_columns(defn, set(found.present), lang)
    return [c for c in lacking if c.key in asked], [c for c in lacking if c.key not in asked]


def _every_given(defn: Definition, mapped: dict[str, str], lang: str) -> list[tuple[str, str]]:
    """The columns given one value for every row, as the preview names them: (the column's
    label, the value as the reader reads it)."""
    return [(import_cells.label_in(defn, key, lang), import_cells.shown(defn, key, value, lang))
            for key, value in sorted(import_cells.every_of(mapped).items())]


@router.post("/registers/{process}/import/map", response_class=HTMLResponse)
async def import_map(request: Request, process: str, pc: PageContext = Depends(page)):
    """Her columns mapped (which column each unknown header is, or ignored): the kept file
    previewed again with that mapping."""
    data = await request.form()
    token = data.get("csrf")
    await run_in_threadpool(check_csrf, pc, token if isinstance(token, str) else None)
    form = {k: str(v) for k, v in data.items() if isinstance(v, str)}
    return await run_in_threadpool(_do_preview, request, pc, process, None, form)


@router.post("/registers/{process}/import/confirm", response_class=HTMLResponse)
async def import_confirm(request: Request, process: str, pc: PageContext = Depends(page)):
    data = await request.form()
    token = data.get("csrf")
    await run_in_threadpool(check_csrf, pc, token if isinstance(token, str) else None)
    form = {k: str(v) for k, v in data.items() if isinstance(v, str)}
    return await run_in_threadpool(_do_confirm, request, pc, process, form)


def _do_confirm(request: Request, pc: PageContext, process: str, form: dict[str, str]
                ) -> Response:
    held: dict[str, Path] = {}  # the kept file's copy on this node, removed whatever happens
    try:
        return _confirm(request, pc, process, form, held)
    finally:
        if "path" in held:
            staged.discard(held["path"])


def _confirm(request: Request, pc: PageContext, process: str, form: dict[str, str],
             held: dict[str, Path]) -> Response:
    """The confirm's page. The file's rows, its checked plan and the written cases live only
    in `_write`'s frame (and an error's traceback only in its `except` block): the page is
    rendered after they are freed, so that what it keeps (the menu's kept counts, the
    templates' cache) is not allocated among them, where each such object would hold the
    allocator's arena it lands in."""
    defn = _definition(pc, process)
    import_id = form.get("import_id", "")
    unfinished: tuple[str, int, int, str] | None = None
    refusal: dict[str, Any] | None = None
    try:
        outcome = _write(request, pc, defn, form, held)
    except bulk_import.ImportUnfinished as exc:
        unfinished = (exc.params["id"], exc.params["written"], exc.params["total"],
                      exc.render(pc.t))
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.import", "process", defn.key,
                   {"key": exc.key})
        refused = exc.refused if isinstance(exc, bulk_import.FileRefused) \
            else [exc] if isinstance(exc, RowRefused) else []
        refusal = {"status": _status(exc), "refusals": _refusal_lines(defn, refused, pc.t),
                   "problem": None if refused else web_message(defn.name_keys(exc), pc.t)}
        del refused
    if refusal is not None:
        return _form(request, pc, defn, **refusal)
    if unfinished is not None:
        return _unfinished(request, pc, defn, form, *unfinished)
    if outcome.rolled_back is not None:
        return render(request, pc, "import_done.html", definition=defn,
                      title=defn.name(pc.t.language), rolled_back=outcome.rolled_back,
                      records=outcome.records,
                      import_id=import_id, written=0, total=0, unfinished=None)
    if outcome.begun is not None:
        return _unfinished(request, pc, defn, form, outcome.import_id, *outcome.begun,
                           pc.t("import.begun", id=outcome.import_id))
    return render(request, pc, "import_done.html", definition=defn,
                  opened_link=f"/registers/{defn.key}?cases={outcome.ranges}"
                  if outcome.ranges else None,
                  title=defn.name(pc.t.language), opened=outcome.opened,
                  records=outcome.records,
                  written=outcome.written, total=outcome.total,
                  import_id=outcome.import_id, unfinished=None, rolled_back=None)


@dataclass
class _Outcome:
    """What the confirm's page says of a confirm: small, whatever the file's size."""

    import_id: str
    opened: int = 0
    written: int = 0
    total: int = 0
    ranges: str = ""  # the opened cases' ids (`import_cells.ranges_of`)
    records: bool = False  # a sheet of done work: recorded on opened periods, none opened
    rolled_back: int | None = None
    begun: tuple[int, int] | None = None  # (written, total): another confirm has begun it


def _write(request: Request, pc: PageContext, defn: Definition, form: dict[str, str],
           held: dict[str, Path]) -> _Outcome:
    """The confirm's work: the import rolled back, resumed or written."""
    action = form.get("action", "import")
    import_id = form.get("import_id", "")
    counted: dict[str, int] = {"written": 0, "total": 0}
    ids = array("q")  # the cases written: their ids only, in one buffer, whatever the rows

    def progress(_id: str, done: int, total: int) -> None:
        counted.update(written=done, total=total)

    def sink(batch: list[Imported]) -> None:
        ids.extend(int(i) for d in batch if (i := getattr(d.case, "id", None)))

    if action in ("rollback", "resume") and import_id:
        _may_finish(pc, import_id)
    elif import_id and not hmac.compare_digest(form.get("import_sig", ""),
                                               staged.sign(pc, defn.key, import_id)):
        raise staged.gone()
    if action == "rollback" and import_id:
        undone = usecase.roll_back(pc.s, pc.ctx, defn.key, import_id)
        return _Outcome(import_id, rolled_back=undone.n, records=undone.records)
    owner = web_import.importer(pc.s, import_id) if action == "resume" and import_id \
        else None
    held["path"], kept = staged.found(request, pc, _into(defn.key), form.get("token", ""), owner)
    rows = staged.file_rows(request, held["path"], form.get("file", "") or "file")
    written = usecase.write(pc.s, pc.ctx, importer(pc), defn.key, rows, pc.t.language,
                            mapping_of(form), import_id=import_id or None,
                            resume=action == "resume" and bool(import_id), progress=progress,
                            sink=sink)
    del rows
    if written.begun is not None:
        return _Outcome(written.import_id, begun=written.begun)
    staged.used(request, kept)  # no second confirm
    return _Outcome(written.import_id, len(ids), counted["written"] or len(ids),
                    counted["total"] or len(ids), import_cells.ranges_of(ids) if ids else "",
                    records=written.records)


def _may_finish(pc: PageContext, import_id: str) -> None:
    """Resuming or rolling back an import is for the one who began it or an administrator of
    its organisations; to anyone else it does not exist."""
    if not web_import.may_finish(pc.s, import_id, pc.ctx.actor,
                                 pc.viewer.administers,
                                 pc.viewer.sees_org):
        raise NotFound(f"no import {import_id!r}", key="notfound.import", id=import_id[:40])


def _unfinished(request: Request, pc: PageContext, defn: Definition, form: dict[str, str],
                import_id: str, written: int, total: int, message: str) -> Response:
    """An import begun and not finished: its rows written of its rows, and the buttons that
    resume it (the same staged file) or roll it back, offered only when they can be used
    (its writing stopped, and the reader may finish it); else its progress page to follow."""
    found = web_import.progress(pc.s, import_id)
    usable = (found.state == web_import.RUNNING and not found.writing
              and web_import.may_finish(pc.s, import_id, pc.ctx.actor,
                                        pc.viewer.administers,
                                        pc.viewer.sees_org))
    return render(request, pc, "import_done.html", status=409, definition=defn,
                  title=defn.name(pc.t.language), written=written, total=total,
                  import_id=import_id, import_sig=staged.sign(pc, defn.key, import_id),
                  token=form.get("token", ""), file=form.get("file", ""),
                  unfinished=message, rolled_back=None, usable=usable,
                  writing=found.state == web_import.RUNNING and found.writing)


@router.get("/registers/{process}/imports/{import_id}", response_class=HTMLResponse)
def import_status(request: Request, process: str, import_id: str,
                  pc: PageContext = Depends(page)):
    """How far an import has come (its rows written of its rows, read from the database, so
    any node answers), for the preview's link to follow while the confirm is writing; the page
    refreshes itself until the import is done."""
    defn = _definition(pc, process)
    sig = request.query_params.get("sig", "")
    if not hmac.compare_digest(sig, staged.sign(pc, defn.key, import_id)):
        raise NotFound(f"no import {import_id!r}", key="notfound.import", id=import_id[:40])
    found = web_import.progress(pc.s, import_id)
    if found.process not in (None, defn.key):
        raise NotFound(f"no import {import_id!r}", key="notfound.import", id=import_id[:40])
    return render(request, pc, "import_status.html", definition=defn,
                  title=defn.name(pc.t.language), import_id=import_id, found=found)


# -- the template ---------------------------------------------------------------------------------


@router.get("/registers/{process}/template.xlsx")
def import_template(process: str, pc: PageContext = Depends(page)) -> Response:
    defn = _definition(pc, process)
    return Response(template_builder.template_xlsx(defn, pc.t.language, pc.t),
                    media_type="application/vnd.openxmlformats-officedocument."
                               "spreadsheetml.sheet",
                    headers={"Content-Disposition": attachment(f"{defn.key}-template.xlsx")})
