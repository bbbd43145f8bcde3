"""The declarations list on the web: /declarations?org=CODE&year=Y.

* An organisation's officer (and an administrator above it: services/visibility.py
  `keeps_declarations`) sees its list: its staff obliged to declare (kept apart from the
  accounts: a form adds one, or a staff file -- XLSX or CSV -- adds or updates them all, and
  one who left is marked so), each one's notice of submission (a form records the day and the
  scan, filed to her record; the scan downloads), the reminders sent her, the missing ones
  named and those without e-mail; she reminds the missing ones and exports the list.
* A manager sees the count per organisation of his subtree (obliged, notified, missing), no
  name.
* An organisation the viewer does not see is the 404 of an unknown one; a refused form is
  the page again with the problem, nothing stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import (
    HTMLResponse,
    RedirectResponse,
    Response,
)
from starlette.concurrency import run_in_threadpool

from web.kit import staged, views
from web.kit.access import hidden, visible_org
from web.kit.deps import PageContext
from web.kit.error_pages import web_message
from web.kit.page import attachment, check_csrf, int_param, page, render
from web.kit.parts import Parts
from web.kit.uploads import file_form, limits_of, send_stored, store_of
from workflow.core.errors import MerzimError, NotFound, UsageError
from workflow.declarations import service
from workflow.services import files as files_service
from workflow.services import transactions as tx
from workflow.services import visibility

router = APIRouter(include_in_schema=False)
DONE = ("added", "left", "imported", "notice", "reminded")  # the forms' confirmations (declarations.done_*)
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}


def _scope(pc: PageContext, code: str | None, year_text: str | None) -> tuple[Any, int]:
    org = visible_org(pc.s, pc.viewer, code) if code else pc.viewer.org
    year = int_param(year_text, "year", pc.ctx.today.year) or pc.ctx.today.year
    return org, year


def _kept(pc: PageContext, org: Any) -> Any:
    """The organisation, when the viewer keeps its list; else the 404 of an unknown one."""
    if not visibility.keeps_declarations(pc.viewer.user, org.id):
        raise hidden("organisation", org.code)
    return org


def _page(request: Request, pc: PageContext, org: Any, year: int, status: int = 200,
          error: str | None = None, done: str | None = None):
    if not visibility.keeps_declarations(pc.viewer.user, org.id):  # a manager: the counts
        rows = service.counts(pc.s, pc.ctx, org, year, visibility.reads_subtree(pc.viewer.user))
        return render(request, pc, "declarations_counts.html", status, rows=rows, year=year,
                      scope=org, orgs=views.org_choices(pc.s, pc.viewer),
                      deadline=service.deadline(pc.ctx, year))
    listed = service.declaration_list(pc.s, pc.ctx, org, year)
    summary = pc.t.n("declarations.summary", len(listed.obliged),
                     notified=len(listed.notified), missing=len(listed.missing))
    no_email = pc.t.n("declarations.no_email_count", len(listed.no_email),
                      names=", ".join(p.name for p in listed.no_email))
    return render(request, pc, "declarations.html", status, listed=listed, year=year,
                  scope=org, summary=summary, no_email=no_email, error=error, done=done,
                  orgs=views.org_choices(pc.s, pc.viewer),
                  may_remind=pc.ctx.today <= listed.deadline)


@router.get("/declarations", response_class=HTMLResponse)
def declarations_page(request: Request, pc: PageContext = Depends(page)):
    q = request.query_params
    org, year = _scope(pc, q.get("org"), q.get("year"))
    service.deadline(pc.ctx, year)  # a year outside the calendar: refused (422)
    saved = (q.get("saved") or "").split("-")[0]  # what a form just did (its confirmation)
    return _page(request, pc, org, year, done=saved if saved in DONE else None)


def _write(request: Request, pc: PageContext, code: str, year_text: str, action: str, do):
    """A form's write on the list: done, back to the list with its confirmation; refused, the
    list again with the problem (422, 404 for a person not of the organisation), nothing
    stored, the refusal audited."""
    org, year = _scope(pc, code, year_text)
    _kept(pc, org)
    try:
        with tx.transaction(pc.s):
            said = do(org, year)
    except MerzimError as exc:
        status = 404 if isinstance(exc, NotFound) else 422
        tx.refused(pc.s, pc.ctx.actor, "refused", "request", "POST",
                   {"path": f"/declarations/{action}", "key": exc.key, "status": status})
        return _page(request, pc, org, year, status, error=web_message(exc, pc.t))
    return RedirectResponse(f"/declarations?org={org.code}&year={year}&saved={said}",
                            status_code=303)


async def _posted(request: Request, pc: PageContext):
    """A form posted without files, its CSRF token checked."""
    data = await request.form(max_files=0)
    await run_in_threadpool(check_csrf, pc, str(data.get("csrf") or ""))
    return data


async def _written(request: Request, pc: PageContext, data, action: str, do):
    """`_write` on the organisation and the year the form names, off the event loop."""
    return await run_in_threadpool(_write, request, pc, str(data.get("org") or ""),
                                   str(data.get("year") or ""), action, do)


def _declarant(who: str, org) -> int:
    """The declarant's id a form names; one that is not a number is nobody of `org`'s."""
    if not who.isdigit():
        raise NotFound(f"no declarant {who[:20]}", key="declarations.no_person",
                       login=who[:100], org=org.code)
    return int(who)


@router.post("/declarations/staff")
async def add_staff(request: Request, pc: PageContext = Depends(page)):
    """One employee onto the staff list (one of the same name: updated)."""
    data = await _posted(request, pc)

    def do(org, _year):
        service.add(pc.s, pc.ctx, org, str(data.get("name") or ""),
                    str(data.get("position") or ""), str(data.get("email") or ""),
                    str(data.get("language") or ""))
        return "added"

    return await _written(request, pc, data, "staff", do)


@router.post("/declarations/left")
async def left(request: Request, pc: PageContext = Depends(page)):
    """An employee who left: off the list (her notices kept)."""
    data = await _posted(request, pc)
    who = str(data.get("declarant") or "")

    def do(org, _year):
        service.mark_left(pc.s, pc.ctx, org, _declarant(who, org))
        return "left"

    return await _written(request, pc, data, "left", do)


@router.post("/declarations/import")
async def import_staff(request: Request, pc: PageContext = Depends(page)):
    """A staff file (XLSX or CSV): checked whole, then its employees added or updated."""
    upload, data = await file_form(request, pc)

    def do(org, _year):
        path = None
        try:
            path, _sha, name = staged.receive(request, upload)
            rows = staged.file_rows(request, path, name)
            done = service.import_staff(pc.s, pc.ctx, org, rows, pc.t.language)
        finally:
            staged.discard(path)
        return f"imported-{len(done.added)}-{len(done.updated)}"

    return await _written(request, pc, data, "import", do)


@router.post("/declarations/notice")
async def notice(request: Request, pc: PageContext = Depends(page)):
    """A person's notice of submission: the day and its scan (one file, the upload limits)."""
    upload, data = await file_form(request, pc)
    who, day = str(data.get("declarant") or ""), str(data.get("on") or "")

    def do(org, year):
        from web.kit.page import form_day

        if upload is None or not (upload.filename or upload.size):
            raise UsageError("no file given", key="files.none")
        declarant = _declarant(who, org)
        service.record_notice(pc.s, pc.ctx, store_of(request), limits_of(request), org,
                              declarant, year, form_day(pc, day),
                              files_service.Upload(upload.filename or "", upload.file))
        return "notice"

    return await _written(request, pc, data, "notice", do)


@router.post("/declarations/remind")
async def remind(request: Request, pc: PageContext = Depends(page)):
    """An e-mail reminder to every missing declarant (once a day, through the outbox)."""
    data = await _posted(request, pc)

    def do(org, year):
        done = service.remind_missing(pc.s, pc.ctx, org, year)
        return f"reminded-{len(done.written)}"

    return await _written(request, pc, data, "remind", do)


@router.get("/declarations/export")
def export(request: Request, pc: PageContext = Depends(page)):
    q = request.query_params
    org, year = _scope(pc, q.get("org"), q.get("year"))
    _kept(pc, org)
    fmt = q.get("format") or "xlsx"
    if fmt not in FORMATS:
        raise UsageError(key="declarations.bad_format", format=fmt[:10])
    with tx.transaction(pc.s):
        data = service.export(pc.s, pc.ctx, org, year, fmt)
    name = f"declarations-{org.code}-{year}.{fmt}"
    return Response(data, media_type=FORMATS[fmt],
                    headers={"Content-Disposition": attachment(name),
                             "Cache-Control": "no-store"})


@router.get("/declarations/notices/{notice_id}")
def scan(request: Request, notice_id: int, pc: PageContext = Depends(page)):
    """A notice's scan, for those who keep its organisation's list."""
    org, _year = _scope(pc, request.query_params.get("org"), None)
    _kept(pc, org)
    row = service.notice_of(pc.s, org, notice_id)
    return send_stored(store_of(request), row.sha256, row.file_name, row.media_type, row.size)


class OrgLinks:
    """The organisation page's link to its declarations list (or, for a manager, the counts
    of its subtree)."""

    def links(self, request: Request, pc: PageContext, org) -> list[tuple[str, str]]:
        return [(pc.t("declarations.link"), f"/declarations?org={org.code}")]


PARTS = Parts(routers=(router,), org_links=OrgLinks())
