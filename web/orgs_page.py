"""The organisations of the reader's subtree (`GET /orgs`, which the administrator's menu
links: paged, searched by code or name, each linking to its page).

An organisation's page: its name, kind, parent, the organisations under it, and its headcount
(its staff), which the administrator of an organisation above it sets here: a consolidated
share (4.2.1, 4.2.2) counts a unit that recorded no figures as none trained of this headcount
(B-20); and the forms of its name the drafted documents' sentences need (its Russian and Kazakh
genitive, D-4), proposed from its names, which she corrects here. Everyone sees only the
organisations of her subtree; only an administrator may change the headcount or the forms
(audited; a bad one is refused and changes nothing). Its officer, or a manager or an
administrator above it, opens the year so far here (an office that adopts merzim mid-year,
B-25): the case of every recurring obligation for every period due since a day, for the
organisation and those under it, as `merzim obligations sync --from --org` opens them, and the
day it joined (shown here). An administrator also adds the organisations under it from a file
(CSV or XLSX, headers, kinds and parents in any of the three languages, as `merzim org import`
reads it, through the same `import_orgs`): first a preview of what it adds (codes proposed from
names, columns ignored), nothing stored, the file kept meanwhile as every web import keeps it
(`web/kit/staged.py`); then her confirm reads the kept file again, checks it whole with the
database of that moment and adds them, all or none; every refused cell named by row, column and value."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from web.kit import staged, uploads, views
from web.kit.access import require_admin, visible_org
from web.kit.deps import PageContext
from web.kit.error_pages import web_message
from web.kit.page import check_csrf, page, page_number, render
from workflow import services as svc
from workflow.core.errors import MerzimError, RuleViolation, UsageError
from workflow.imports.organisations import OrgsRefused, grouped, import_orgs
from workflow.imports.staging import Into
from workflow.services import joining, obligations
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)


def _shown(request: Request, pc: PageContext, org: Any, status: int = 200,  # noqa: PLR0913
           error: str | None = None, typed: str | None = None,
           backfilled: list[dict[str, Any]] | None = None, since: str = "",
           backfill_error: str | None = None, imported: list[str] | None = None,
           import_error: str | None = None,
           import_problems: list[str] | None = None, joined: str = "",
           forms_error: str | None = None,
           forms_typed: dict[str, str] | None = None) -> HTMLResponse:
    s: Session = pc.s
    parent = svc.org_by_id(s, org.parent_id) if org.parent_id else None
    below = svc.children(s, org)
    return render(request, pc, "org.html", status=status, org=org,
                  org_name=svc.org_name(org, pc.t.language),
                  parent=parent if parent is not None and pc.viewer.sees_org(parent) else None,
                  parent_name=svc.org_name(parent, pc.t.language) if parent else "",
                  # each organisation under it, a link where she may open its page (an officer
                  # sees her own: those under it are named, not linked)
                  below=[(o, svc.org_name(o, pc.t.language), pc.viewer.sees_org(o))
                         for o in below],
                  admin=pc.viewer.administers, error=error,
                  may_open_year=obligations.may_open_year(s, pc.viewer.user, org),
                  confirm_until=joining.confirm_until(pc.ctx, org), joined=joined,
                  # who joined when (B-25): its day, who made it join, the one it joined with,
                  # and those under it that joined (`joining.joining_of`)
                  joining=_joining_shown(s, pc, org),
                  typed=typed if typed is not None else
                  ("" if org.headcount is None else str(org.headcount)),
                  saved=request.query_params.get("saved") == "1",
                  forms_saved=request.query_params.get("saved") == "forms",
                  # the forms of its name the documents print (kept, else proposed), and what
                  # an administrator typed into a refused form
                  forms={"ru": svc.org_genitive(org, "ru"), "kk": svc.org_genitive(org, "kk")},
                  forms_typed=forms_typed if forms_typed is not None else {
                      "name_ru_genitive": org.name_ru_genitive or "",
                      "name_kk_genitive": org.name_kk_genitive or ""},
                  forms_proposed=svc.proposed_forms(org.name, org.name_kk, org.name_ru),
                  forms_error=forms_error,
                  backfilled=backfilled, since=since or f"{pc.ctx.today.year}-01-01",
                  backfill_error=backfill_error, imported=imported, import_error=import_error,
                  import_problems=import_problems or [],
                  # the features' links (web/kit/parts.py `org_links`: the risk map)
                  org_links=[link for part in request.app.state.parts.org_links
                             for link in part.links(request, pc, org)])


def _joining_shown(s: Session, pc: PageContext, org: Any) -> dict[str, Any] | None:
    """`joining.joining_of` as the page names it: who made it join by her name, the one it
    joined with and those under it by their names (a link where the reader sees them)."""
    found = joining.joining_of(s, org)
    if found is None:
        return None
    by = found["by"]
    if by is not None:
        by = svc.display_names(s, [by]).get(by, by)
    with_org = svc.get_org(s, found["with"]) if found["with"] else None
    return {"on": found["on"], "by": by,
            "with": (with_org, svc.org_name(with_org, pc.t.language),
                     pc.viewer.sees_org(with_org)) if with_org is not None else None,
            "under": [(o, svc.org_name(o, pc.t.language), day, pc.viewer.sees_org(o))
                      for o, day in found["under"]]}


@router.get("/orgs", response_class=HTMLResponse)
def orgs_list(request: Request, q: str = "", pc: PageContext = Depends(page)):
    """The organisations the reader sees (an administrator's: those she administers), in the
    tree's order, a page at a time; `q` keeps those whose code or name holds it."""
    q = q.strip()[:100]
    found = views.orgs_matching(views.org_choices(pc.s, pc.viewer), q)
    shown, pager = views.paginate(found, page_number(request), request.url.query)
    return render(request, pc, "orgs.html", q=q, pager=pager,
                  orgs=[(o, svc.org_name(o, pc.t.language)) for o in shown])


@router.get("/orgs/{code}", response_class=HTMLResponse)
def org_page(request: Request, code: str, pc: PageContext = Depends(page)):
    return _shown(request, pc, visible_org(pc.s, pc.viewer, code))


def _administered(pc: PageContext, code: str, csrf: str):
    """The organisation an administrator's form changes: hers or of her subtree (outside it:
    as if it did not exist), the form sent from her page."""
    require_admin(pc.viewer)
    check_csrf(pc, csrf)
    return visible_org(pc.s, pc.viewer, code)


@router.post("/orgs/{code}/headcount")
def org_headcount(request: Request, code: str, headcount: str = Form(""),
                  csrf: str = Form(""), pc: PageContext = Depends(page)):
    org = _administered(pc, code, csrf)
    try:
        with tx.transaction(pc.s):
            svc.set_headcount(pc.s, pc.ctx, org.code, grouped(headcount))
    except UsageError as exc:
        pc.s.refresh(org)
        return _shown(request, pc, org, 422, web_message(exc, pc.t), headcount)
    return RedirectResponse(f"/orgs/{org.code}?saved=1", status_code=303)


@router.post("/orgs/{code}/names")
def org_name_forms(request: Request, code: str, name_ru_genitive: str = Form(""),
                   name_kk_genitive: str = Form(""), csrf: str = Form(""),
                   pc: PageContext = Depends(page)):
    """The forms of its name the documents' sentences need, an administrator's of her subtree
    (`services.set_name_forms`: all checked before any is stored; empty: the proposal)."""
    org = _administered(pc, code, csrf)
    typed = {"name_ru_genitive": name_ru_genitive, "name_kk_genitive": name_kk_genitive}
    try:
        with tx.transaction(pc.s):
            svc.set_name_forms(pc.s, pc.ctx, org.code, **typed)
    except UsageError as exc:
        pc.s.refresh(org)
        return _shown(request, pc, org, 422, forms_error=web_message(exc, pc.t),
                      forms_typed=typed)
    return RedirectResponse(f"/orgs/{org.code}?saved=forms", status_code=303)


@router.post("/orgs/{code}/backfill", response_class=HTMLResponse)
def org_backfill(request: Request, code: str, since: str = Form(""), joined: str = Form(""),
                 csrf: str = Form(""), pc: PageContext = Depends(page)):
    """The year so far (B-25): the case of every recurring obligation for every period due
    since the day given, for the organisation and those under it (`obligations sync --from
    --org`), and the day it joined (given, else today); its officer's, or a manager's or an
    administrator's above it (`obligations.may_open_year`, the one rule). Shows what it
    opened, per obligation and period; a refusal changes nothing."""
    check_csrf(pc, csrf)
    org = visible_org(pc.s, pc.viewer, code)  # outside her subtree: as if it did not exist
    first = parse_day(since)
    day = parse_day(joined) if joined.strip() else None
    if first is None or (joined.strip() and day is None):
        bad = since if first is None else joined
        return _shown(request, pc, org, 422, since=since, joined=joined,
                      backfill_error=pc.t("backfill.web_bad_date", value=bad))
    try:
        with tx.transaction(pc.s):
            opened = obligations.open_year_so_far(pc.s, pc.ctx, org.code, first,
                                                  user=pc.viewer.user, joined_on=day)
    except MerzimError as exc:
        pc.s.refresh(org)
        status = 403 if isinstance(exc, RuleViolation) else 422
        return _shown(request, pc, org, status, since=since, joined=joined,
                      backfill_error=web_message(exc, pc.t))
    pc.s.refresh(org)
    return _shown(request, pc, org, since=first.isoformat(),
                  backfilled=obligations.opened_by_period(pc.ctx, opened))


@router.post("/orgs/{code}/import", response_class=HTMLResponse)
async def org_import(request: Request, code: str, pc: PageContext = Depends(page)):
    """The organisations under this one from a file, an administrator's of her subtree: the
    preview of what it adds (codes proposed, columns ignored), nothing stored; a refusal names
    every refused cell."""
    require_admin(pc.viewer)
    upload, _ = await uploads.file_form(request, pc)
    return await run_in_threadpool(_preview, request, pc, code, upload)


@router.post("/orgs/{code}/import/confirm", response_class=HTMLResponse)
def org_import_confirm(request: Request, code: str, csrf: str = Form(""),
                       token: str = Form(""), file: str = Form(""),
                       pc: PageContext = Depends(page)):
    """The previewed file's organisations added: the kept file read and checked whole again,
    all or none; the kept file removed once they are added."""
    org = _administered(pc, code, csrf)
    path = None
    try:
        path, kept = staged.found(request, pc, _into(org), token)
        table = staged.file_rows(request, path, file or "file")
        with tx.transaction(pc.s):
            added = import_orgs(pc.s, pc.ctx, table, within=org).added
    except MerzimError as exc:
        return _refused(request, pc, org, exc)
    finally:
        staged.discard(path)
    staged.used(request, kept)
    pc.s.refresh(org)
    return _shown(request, pc, org, imported=[o.code for o in added])


def _into(org: Any) -> Into:
    """The import of the organisations under `org`, as its preview's record names it."""
    return Into("organisation", org.code)


def _preview(request: Request, pc: PageContext, code: str,
             upload: UploadFile | None) -> HTMLResponse:
    org = visible_org(pc.s, pc.viewer, code)  # outside her subtree: as if it did not exist
    path = None
    try:
        path, sha256, shown = staged.receive(request, upload)
        table = staged.file_rows(request, path, shown)
        found = import_orgs(pc.s, pc.ctx, table, within=org, write=False)  # stores nothing
    except MerzimError as exc:
        staged.discard(path)
        return _refused(request, pc, org, exc)
    token = staged.keep(request, pc, _into(org), path, sha256,
                        {"file": shown, "rows": len(table)}, wanted=bool(found.planned))
    t = pc.t
    return render(request, pc, "org_import_preview.html", org=org,
                  org_name=svc.org_name(org, t.language), note=found.note(t),
                  planned=[{**item, "kind": t(f"org_kind.{item['kind']}")}
                           for item in found.planned],
                  token=token, file=shown)


def _refused(request: Request, pc: PageContext, org: Any, exc: MerzimError) -> HTMLResponse:
    """The organisation's page with the import's refusal: every refused cell, one a line."""
    tx.refused(pc.s, pc.ctx.actor, "refused.org_import", "organisation", org.id,
               {"key": exc.key})
    pc.s.refresh(org)
    lines = exc.lines(pc.t) if isinstance(exc, OrgsRefused) else []
    summary = (pc.t.n("org.import_refused", len(lines)) if lines
               else web_message(exc, pc.t))
    return _shown(request, pc, org, 422, import_error=summary, import_problems=lines)


def parse_day(value: str) -> date | None:
    """A day typed as yyyy-mm-dd (the date field's) or dd.mm.yyyy; None if it is not one."""
    value = (value or "").strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None
