"""The lists across cases: overdue (and its export), due soon, the organisation filter's
suggestions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse

from web.kit import exports, views
from web.kit.deps import PageContext
from web.kit.page import (
    export,
    in_one_thread,
    int_param,
    page,
    page_number,
    render,
    stage_table,
)
from web.kit.rows import stage_options
from workflow.core.errors import UsageError
from workflow.services import people
from workflow.services import transactions as tx
from workflow.services.bulk_actions import MAX_ITEMS

router = APIRouter(include_in_schema=False)


def _list_filters(request: Request) -> dict[str, Any]:
    """The overdue list's filters and order from the address. No `sort`: the organisation
    tree. `dir` absent: each order's natural direction (working days: most overdue first)."""
    q = request.query_params
    sort, direction = _order(request)
    # views.SORTS orders "days" most overdue first: descending in days overdue
    reverse = (direction == "asc") if sort == "days" else (direction == "desc")
    # the Stage filter lists every procedure's stages, each as "procedure:stage" (a stage key
    # alone, as before, is the stage of that key in any procedure)
    process, stage = q.get("process") or None, q.get("stage") or None
    if stage and ":" in stage:
        chosen, stage = stage.split(":", 1)
        process = process or chosen
        if chosen != process:  # a stage of another procedure than the one chosen: no row
            stage = f"{chosen}:{stage}"
    return {"org": q.get("org") or None, "stage": stage,
            "year": int_param(q.get("year"), "year"), "sort": sort, "desc": reverse,
            "process": process}


def _order(request: Request) -> tuple[str | None, str]:
    """The order the overdue list is in: (sort or None for the tree, "asc" or "desc")."""
    q = request.query_params
    sort = q.get("sort") if q.get("sort") in views.SORTS else None
    asked = q.get("dir") or ""
    direction = asked if asked in ("asc", "desc") else ("desc" if sort == "days" else "asc")
    return sort, direction


@router.get("/overdue", response_class=HTMLResponse)
async def overdue_page(request: Request):
    return await in_one_thread(request, overdue)


def overdue(request: Request, pc: PageContext) -> HTMLResponse:
    """The overdue page (in one thread: the lists' pages are read the most)."""
    f = _list_filters(request)
    # the organisation typed as a code or a name (several: offered to choose; none: all hers)
    orgs = views.org_choices(pc.s, pc.viewer)
    picked = views.typed_org(orgs, f["org"], pc.t.language, request.url.query)
    f["org"] = picked.code
    # the summary, the count and the page's rows in SQL (GROUP BY, ORDER BY … LIMIT)
    shown, pager, counts = views.overdue_list(pc.s, pc.ctx, pc.viewer, page_number(request),
                                              request.url.query, orgs=orgs, **f)
    scope = views.visible_org(pc.s, pc.viewer, f["org"]) if f["org"] else pc.viewer.org
    sort, direction = _order(request)
    # in the tree's order rows are grouped by organisation; sorted otherwise, one table
    groups = views.grouped(shown) if sort is None else [(None, shown)] if shown else []
    unfiltered = all(f[k] is None for k in ("org", "stage", "year", "process"))
    joining, joining_total = views.joining_list(pc.s, pc.ctx, pc.viewer, f["org"], f["process"])
    # the 50 rows' table rendered once per content (kept lists: the same rows, the same markup)
    table = stage_table(request, pc.t, groups, "working_days_overdue",
                        pc.t("list.col_working_days_overdue"), select=True,
                        staffless=_staffless(pc, shown))
    return render(request, pc, "overdue.html", status=picked.status, table=table,
                  total=pager["total"], filters=f,
                  joining=views.grouped(joining), joining_total=joining_total,
                  menu_overdue=pager["total"] if unfiltered else None,
                  # (kept with the counts it is made of: the same version, the same tree)
                  summary=views.kept(pc.s, pc.ctx, (
                      "overdue.summary", scope.id, pc.viewer.org.id, pc.viewer.role,
                      f["stage"], f["year"], f["process"], pc.t.language),
                      lambda: views.child_counts(counts, scope, orgs, pc.t.language),
                      scope.path),
                  pager=pager,
                  # the Stage filter offers the chosen procedure's stages (none chosen: every
                  # procedure's, grouped by procedure)
                  stage_options=stage_options(pc.ctx.registry, pc.t.language, f["process"],
                                              f["stage"]),
                  orgs=orgs, processes=pc.ctx.registry.all(), sort=sort, direction=direction,
                  bulk_limit=MAX_ITEMS, picked=picked)


def _staffless(pc: PageContext, rows: list[Any]) -> frozenset[str]:
    """The organisations of a page's unassigned rows that have no officer: "Assign" on such
    a row says so instead (one query a page)."""
    return people.without_officer(pc.s, {r.organisation for r in rows if not r.responsible_name})


@router.get("/orgs/suggest")
def org_suggest(q: str = "", pc: PageContext = Depends(page)):
    """What an organisation filter offers for what the reader typed (web/static/org-suggest.js):
    up to views.ORG_SUGGEST_LIMIT organisations of her subtree, code and name, as JSON."""
    return JSONResponse(views.org_suggestions(views.org_choices(pc.s, pc.viewer), q[:100],
                                              pc.t.language))


def _procedure_name(pc: PageContext, key: str) -> str:
    """A procedure's name in the reader's language (its key should it be no longer loaded)."""
    loaded = pc.ctx.registry.loaded.get(key)
    return loaded.definition.name(pc.t.language) if loaded else key


@router.get("/overdue.{fmt}")
def overdue_export(request: Request, fmt: str, pc: PageContext = Depends(page)):
    if fmt not in ("xlsx", "csv"):
        raise UsageError(key="error.bad_format", value=fmt)
    f = _list_filters(request)
    typed = f["org"]
    f["org"] = views.typed_org(views.org_choices(pc.s, pc.viewer), typed, pc.t.language).code
    if typed and f["org"] is None:  # no single organisation of hers: as an unknown one (404)
        f["org"] = views.visible_org(pc.s, pc.viewer, typed).code
    rows = views.overdue_rows(pc.s, pc.ctx, pc.viewer, **f)
    header, body = exports.list_table(rows, pc.t, "working_days_overdue",
                                      lambda key: _procedure_name(pc, key))
    tx.audited(pc.s, f"web:{pc.viewer.login}", "export.overdue", "organisation",
               pc.viewer.org.code, {"format": fmt, "rows": len(body)})
    return export(fmt, f"overdue-{pc.ctx.today.isoformat()}", pc.t("nav.overdue"), header, body)


@router.get("/due", response_class=HTMLResponse)
async def due_page(request: Request):
    return await in_one_thread(request, due)


def due(request: Request, pc: PageContext) -> HTMLResponse:
    """The due page (in one thread, as the overdue page)."""
    within = int_param(request.query_params.get("within"), "within", 10)
    if within < 0 or within > 250:
        raise UsageError(key="error.bad_within", value=within)
    # counted with COUNT, the page's rows with ORDER BY … LIMIT (never the whole list)
    picked = views.typed_org(views.org_choices(pc.s, pc.viewer),
                             request.query_params.get("org"), pc.t.language, request.url.query)
    shown, pager = views.due_list(pc.s, pc.ctx, pc.viewer, within, page_number(request),
                                  request.url.query, picked.code,
                                  process=request.query_params.get("process") or None)
    return render(request, pc, "due.html", status=picked.status, groups=views.grouped(shown),
                  total=pager["total"],
                  within=within, pager=pager, processes=pc.ctx.registry.all(),
                  process=request.query_params.get("process") or None, picked=picked,
                  staffless=_staffless(pc, shown))
