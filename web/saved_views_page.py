"""Saved views on the web: the form under a list that keeps it (its address, with its
filters) under a name, the page of one's views (rename, share, delete), each view in the menu
with its count, and the API (`GET/POST /api/v1/views`, `DELETE /api/v1/views/ID`).

A view is counted for whoever reads it with her own access, by the same reads as the list it
keeps (the overdue and due lists' kept counts, the cases search, a register's entries): a view
shared by a manager never counts, nor shows, what the reader may not see. A view whose filters
the reader may not use (an organisation outside her subtree) shows no count and opens as the
list would: "not found"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.datastructures import QueryParams

from web import registers_page
from web.cases_page import case_query
from web.kit import views
from web.kit.access import person_rule
from web.kit.api import ApiContext, api_routes
from web.kit.deps import PageContext
from web.kit.page import audited_refusal, check_csrf, int_param, page, render
from web.kit.shapes import Shape
from workflow import services as svc
from workflow.core.errors import MerzimError, UsageError
from workflow.i18n import Translator
from workflow.services import saved_views, search
from workflow.services import transactions as tx
from workflow.services.lists import count_overdue_by_path

router = APIRouter(include_in_schema=False)
api_router = api_routes()
MENU_VIEWS = 8  # views the menu lists (the page lists them all)


def _overdue_filters(params: QueryParams) -> dict[str, Any]:
    """The overdue list's filters from a view's query, as the overdue page reads them."""
    process, stage = params.get("process") or None, params.get("stage") or None
    if stage and ":" in stage:
        chosen, stage = stage.split(":", 1)
        process = process or chosen
        if chosen != process:
            stage = f"{chosen}:{stage}"
    return {"org": params.get("org") or None, "stage": stage,
            "year": int_param(params.get("year"), "year"), "process": process}


def count(request: Request, pc: PageContext, view: saved_views.Kept) -> int | None:
    """How many rows the view's list holds for this reader (None: filters she may not use)."""
    s, ctx, viewer = pc.s, pc.ctx, pc.viewer
    params = QueryParams(view.query)
    try:
        if view.path == "/overdue":
            f = _overdue_filters(params)
            within_org = views.scope_org(s, viewer, f["org"])
            scope, path = within_org.code, views.only_path(viewer)
            # the overdue page's own kept counts (web/kit/views.py `overdue_list`)
            counts = views.kept(s, ctx, ("overdue.counts", scope, path, f["stage"], f["year"],
                                         f["process"]), lambda: count_overdue_by_path(
                s, ctx, scope, f["stage"], f["year"], path, process=f["process"]),
                within_org.path)
            return sum(counts.values())
        if view.path == "/due":
            within = int_param(params.get("within"), "within", 10)
            if within is None or not 0 <= within <= 250:
                raise UsageError(key="error.bad_within", value=within)
            process = params.get("process") or None
            subtree = views.scope_org(s, viewer, params.get("org") or None)
            scope, path = subtree.code, views.only_path(viewer)
            return views.kept(s, ctx, ("due.count", scope, path, within, process),
                              lambda: svc.count_due(s, ctx, scope, within, path,
                                                    process=process), subtree.path)
        key = ("view.count", view.path, view.query, viewer.user.id, viewer.role,
               viewer.org.id)
        if view.path == "/cases":
            query = case_query(params, pc)
            return views.kept(s, ctx, key, lambda: len(search.find_cases(
                s, ctx, viewer.org.code, query,
                person_rule(viewer),
                only_path=views.only_path(viewer))), viewer.org.path, viewer.user.id)
        defn = ctx.registry.get(view.path.rsplit("/", 1)[-1])
        asked = registers_page.asked(request, pc, defn, params)
        if asked.picked.status == 404:  # none of hers: as an unknown organisation
            return None
        return views.kept(s, ctx, key, lambda: len(registers_page.entries(pc, asked)),
                          viewer.org.path, viewer.user.id)
    except MerzimError:
        return None


def listed(request: Request, pc: PageContext) -> list[dict[str, Any]]:
    """The reader's views (her own, then those shared with her), each with its count."""
    user = pc.viewer.user
    # kept until what it reads changes (storage/versions.py `views_scopes`: a view saved,
    # renamed, shared or deleted, an account or an organisation changed), not by the records
    # below her
    kept = views.kept(pc.s, pc.ctx, ("views.of", user.id, user.organisation_id, user.role,
                                     user.active, pc.viewer.org.path),
                      lambda: tuple(saved_views.views_of(pc.s, user)), pc.viewer.org.path,
                      scopes=svc.views_scopes(user.id))
    return [{**v.as_dict(), "count": count(request, pc, v)} for v in kept]


class MenuPart:
    """The reader's views in the menu of every page (web/kit/page.py), each with its count:
    up to MENU_VIEWS, those she may not use left out. Always its own (a page's counts given
    in advance are the bell's)."""

    always = True

    def counts(self, request: Request, pc: PageContext) -> dict[str, Any]:
        return {"views": [v for v in listed(request, pc) if v["count"] is not None][:MENU_VIEWS]}


MENU_PART = MenuPart()


def _list_of(address: str) -> str:
    """What a refusal's audit record keeps of an address: its path (never its filters, which
    may name a person)."""
    return (address or "").split("?", 1)[0][:200]


def _refusal(pc_or_a: Any, action: str, detail: dict[str, Any]):
    return audited_refusal(pc_or_a, action, "user", pc_or_a.viewer.user.id, detail)


@router.get("/views", response_class=HTMLResponse)
def views_page(request: Request, pc: PageContext = Depends(page)):
    """The reader's saved views: her own (rename, share, delete) and those shared with her."""
    mine = listed(request, pc)
    return render(request, pc, "views.html", own=[v for v in mine if v["own"]],
                  shared=[v for v in mine if not v["own"]],
                  may_share=pc.viewer.shares_views,
                  name_max=saved_views.MAX_NAME)


@router.post("/views")
def save_view(name: str = Form(""), address: str = Form(""), shared: str = Form(""),
              csrf: str = Form(""), pc: PageContext = Depends(page)):
    """Keep the list at `address` under `name`; back to the list, now in the menu."""
    check_csrf(pc, csrf)
    with _refusal(pc, "view_save", {"name": name[:100], "list": _list_of(address)}), tx.transaction(pc.s):
        view = saved_views.save(pc.s, pc.ctx, pc.viewer.user, name, address,
                                shared=bool(shared))
    return RedirectResponse(saved_views.Kept(view.id or 0, view.name, view.path, view.query,
                                             view.shared, True, "", "").address,
                            status_code=303)


@router.post("/views/{view_id}/rename")
def rename_view(view_id: str, name: str = Form(""), csrf: str = Form(""),
                pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)
    with _refusal(pc, "view_rename", {"view": view_id[:20], "name": name[:100]}), tx.transaction(pc.s):
        saved_views.rename(pc.s, pc.ctx, pc.viewer.user, view_id, name)
    return RedirectResponse("/views", status_code=303)


@router.post("/views/{view_id}/share")
def share_view(view_id: str, shared: str = Form(""), csrf: str = Form(""),
               pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)
    with _refusal(pc, "view_share", {"view": view_id[:20]}), tx.transaction(pc.s):
        saved_views.share(pc.s, pc.ctx, pc.viewer.user, view_id, shared == "1")
    return RedirectResponse("/views", status_code=303)


@router.post("/views/{view_id}/delete")
def delete_view(view_id: str, csrf: str = Form(""), pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)
    with _refusal(pc, "view_delete", {"view": view_id[:20]}), tx.transaction(pc.s):
        saved_views.delete(pc.s, pc.ctx, pc.viewer.user, view_id)
    return RedirectResponse("/views", status_code=303)


# -- the API --------------------------------------------------------------------------------------


class ViewIn(BaseModel):
    name: str = Field(min_length=1, max_length=saved_views.MAX_NAME * 2,
                      description="The view's name (unique among the caller's, case ignored).")
    address: str = Field(min_length=1, max_length=saved_views.MAX_QUERY + 200,
                         description="The list's address inside merzim with its filters: "
                                     "/overdue, /due, /cases or /registers/KEY, e.g. "
                                     "/overdue?org=EDU&year=2026.")
    shared: bool = Field(default=False, description="Share with the users of the caller's "
                                                    "subtree (managers and administrators).")


class View(Shape):
    """A saved view: its name, the list's address with its filters, whether it is the
    caller's own or shared with her (by `owner`), and how many rows it holds for her (null:
    filters she may not use)."""

    id: int
    name: str
    address: str
    path: str
    query: str
    shared: bool
    own: bool
    owner: str
    owner_name: str
    count: int | None


def _reader(a: ApiContext) -> PageContext:
    """The API's caller as the lists read her (no web session: the API has none)."""
    return PageContext(a.viewer, None, a.s, a.ctx, Translator(a.ctx.language))  # type: ignore[arg-type]


@api_router.get("/views", response_model=list[View])
def api_views(request: Request, a: ApiContext = Depends()) -> list[dict[str, Any]]:
    """The caller's saved views, then those shared with her, each counted with her access."""
    return listed(request, _reader(a))


@api_router.post("/views", response_model=View, status_code=201)
def api_save_view(request: Request, body: ViewIn, a: ApiContext = Depends()):
    """Save a view; refused (422, 409) with the reason, nothing stored."""
    detail = {"name": body.name[:100], "list": _list_of(body.address)}
    with _refusal(a, "view_save", detail), tx.transaction(a.s):
        made = saved_views.save(a.s, a.ctx, a.viewer.user, body.name, body.address,
                                shared=body.shared)
    return next(v for v in listed(request, _reader(a)) if v["id"] == made.id and v["own"])


class Deleted(Shape):
    """The view deleted."""

    deleted: int


@api_router.delete("/views/{view_id}", response_model=Deleted)
def api_delete_view(view_id: int, a: ApiContext = Depends()) -> dict[str, int]:
    """Delete one of the caller's views (another's, or none: 404, nothing changed)."""
    with _refusal(a, "view_delete", {"view": view_id}), tx.transaction(a.s):
        saved_views.delete(a.s, a.ctx, a.viewer.user, view_id)
    return {"deleted": view_id}
