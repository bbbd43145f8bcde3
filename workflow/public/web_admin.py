"""The admin's switch of the public pages: every organisation of her subtree with whether its
page is on (config.toml's `[public] organisations`, or her choice), switched on, off or back
to the configuration here (audited; the public pages' cache is cleared at once)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from web.kit.access import require_admin, visible_org
from web.kit.deps import PageContext
from web.kit.page import check_csrf, page, render
from web.kit.parts import Parts
from workflow import services as svc
from workflow.public import service as pub
from workflow.public.settings import PublicSettings
from workflow.public.web import guard
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)


@router.get("/admin/public", response_class=HTMLResponse)
def public_switches(request: Request, pc: PageContext = Depends(page)):
    require_admin(pc.viewer)
    orgs = svc.list_orgs(pc.s, pc.viewer.org.code)
    rows = pub.switch_rows(orgs, request.app.state.settings.of(PublicSettings).organisations,
                           pc.t.language)
    return render(request, pc, "public_admin.html", rows=rows,
                  changed=request.query_params.get("changed"))


@router.post("/admin/public")
def public_switch(request: Request, code: str = Form(""), value: str = Form(""),
                  csrf: str = Form(""), pc: PageContext = Depends(page)):
    require_admin(pc.viewer)
    check_csrf(pc, csrf)
    org = visible_org(pc.s, pc.viewer, code)  # outside her subtree: as if it did not exist
    switch = pub.switch_value(value)
    with tx.transaction(pc.s):
        pub.set_public_page(pc.s, pc.ctx, org.code, switch)
    guard(request.app).clear(org.code)
    return RedirectResponse(f"/admin/public?changed={org.code}#org-{org.code}", status_code=303)


PARTS = Parts(routers=(router,))
