"""The outbox (admin): messages to the recipients of the admin's subtree, retried."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from web.kit.access import require_admin
from web.kit.deps import PageContext
from web.kit.page import check_csrf, int_param, page, render
from workflow import services as svc
from workflow.core.errors import NotFound
from workflow.reminders import outbox as ob
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)


# -- outbox (admin) ---------------------------------------------------------------------------------


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, pc: PageContext = Depends(page)):
    require_admin(pc.viewer)
    return render(request, pc, "outbox.html", rows=_outbox_rows(pc))


def _outbox_rows(pc: PageContext) -> list:
    """Messages to recipients of the admin's subtree only."""
    paths = {}
    rows = []
    for row in ob.list_rows(pc.s):
        # an account's message, or a declarant's reminder (no account: her organisation's)
        key = (row.recipient_id, row.declarant_id)
        if key not in paths:
            org_id = ob.recipient_org(pc.s, row)
            org = svc.org_by_id(pc.s, org_id) if org_id is not None else None
            paths[key] = org.path if org else ""
        if paths[key].startswith(pc.viewer.org.path):
            rows.append(row)
    return rows


@router.post("/outbox/retry")
def outbox_retry(request: Request, csrf: str = Form(""), message_id: str = Form(""),
                 pc: PageContext = Depends(page)):
    require_admin(pc.viewer)
    check_csrf(pc, csrf)
    ident = int_param(message_id, "id")
    visible = [r.id for r in _outbox_rows(pc) if r.status == ob.FAILED]
    if ident and ident not in visible:
        raise NotFound(key="notfound.generic")
    with tx.transaction(pc.s):
        ob.retry(pc.s, [ident] if ident else visible, f"web:{pc.viewer.login}")
    return RedirectResponse("/outbox", status_code=303)
