"""An organisation's page: its name, kind, parent, the organisations under it, and its
headcount (its staff), which the administrator of an organisation above it sets here: a
consolidated share (4.2.1, 4.2.2) counts a unit that recorded no figures as none trained of
this headcount (B-20). Everyone sees only the organisations of her subtree; only an
administrator may change the headcount (audited; a bad number is refused and changes
nothing)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from web.kit.access import require_admin, visible_org
from web.kit.deps import PageContext
from web.kit.error_pages import web_message
from web.kit.page import check_csrf, page, render
from workflow import services as svc
from workflow.core.errors import UsageError
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)


def _shown(request: Request, pc: PageContext, org: Any, status: int = 200,
           error: str | None = None, typed: str | None = None) -> HTMLResponse:
    s: Session = pc.s
    parent = svc.org_by_id(s, org.parent_id) if org.parent_id else None
    below = svc.children(s, org)
    return render(request, pc, "org.html", status=status, org=org,
                  org_name=svc.org_name(org, pc.t.language),
                  parent=parent if parent is not None and pc.viewer.sees_org(parent) else None,
                  parent_name=svc.org_name(parent, pc.t.language) if parent else "",
                  below=[(o, svc.org_name(o, pc.t.language)) for o in below],
                  admin=pc.viewer.role == "admin", error=error,
                  typed=typed if typed is not None else
                  ("" if org.headcount is None else str(org.headcount)),
                  saved=request.query_params.get("saved") == "1")


@router.get("/orgs/{code}", response_class=HTMLResponse)
def org_page(request: Request, code: str, pc: PageContext = Depends(page)):
    return _shown(request, pc, visible_org(pc.s, pc.viewer, code))


@router.post("/orgs/{code}/headcount")
def org_headcount(request: Request, code: str, headcount: str = Form(""),
                  csrf: str = Form(""), pc: PageContext = Depends(page)):
    require_admin(pc.viewer)
    check_csrf(pc, csrf)
    org = visible_org(pc.s, pc.viewer, code)  # outside her subtree: as if it did not exist
    try:
        with tx.transaction(pc.s):
            svc.set_headcount(pc.s, pc.ctx, org.code, headcount)
    except UsageError as exc:
        pc.s.refresh(org)
        return _shown(request, pc, org, 422, web_message(exc, pc.t), headcount)
    return RedirectResponse(f"/orgs/{org.code}?saved=1", status_code=303)
