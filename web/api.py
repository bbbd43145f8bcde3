"""REST API /api/v1 over the service layer: personal tokens, JSON errors, pagination."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from web import views
from web.access import Viewer, require_recorder, visible_analysis, visible_programme
from web.deps import api_viewer, db, make_context
from workflow import services as svc
from workflow.core.errors import MerzimError
from workflow.storage import audit
from workflow.storage.models import Analysis, Organisation

router = APIRouter(prefix="/api/v1", tags=["merzim"])


class ApiContext:
    def __init__(self, request: Request, s: Session = Depends(db)):
        self.s = s
        self.viewer: Viewer = api_viewer(request, s)
        lang = request.query_params.get("lang") or self.viewer.user.language
        self.ctx = make_context(request, self.viewer, lang if lang in ("kk", "ru", "en") else "en")


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class EventIn(BaseModel):
    """An event to record, with its date and confirming document."""

    event: str = Field(max_length=64, examples=["order"])
    date: date
    number: str | None = Field(default=None, max_length=500)
    signed_by: str | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=500)
    period: str | None = Field(default=None, max_length=16, examples=["2025Q4"],
                               description="Monitoring period of a report or review event.")


def paginate(items: list[dict[str, Any]], limit: int, offset: int) -> Page:
    return Page(items=items[offset:offset + limit], total=len(items), limit=limit, offset=offset)


LIMIT = Query(50, ge=1, le=500)
OFFSET = Query(0, ge=0)


@router.get("/organisations", response_model=Page)
def organisations(limit: int = LIMIT, offset: int = OFFSET, a: ApiContext = Depends()):
    """Organisations the caller may see."""
    orgs = [o for o in svc.list_orgs(a.s, a.viewer.org.code) if a.viewer.sees_org(o)]
    by_id = {o.id: o.code for o in orgs}
    items = [{"code": o.code, "name": o.name, "name_kk": o.name_kk, "name_ru": o.name_ru,
              "kind": o.kind, "parent": by_id.get(o.parent_id)} for o in orgs]
    return paginate(items, limit, offset)


@router.get("/programmes", response_model=Page)
def programmes(year: int | None = None, limit: int = LIMIT, offset: int = OFFSET,
               a: ApiContext = Depends()):
    return paginate(views.visible_programmes(a.s, a.viewer, year), limit, offset)


@router.get("/programmes/{programme_id}")
def programme(programme_id: int, a: ApiContext = Depends()) -> dict[str, Any]:
    prog = visible_programme(a.s, a.viewer, programme_id)
    return views.programme_matrix(a.s, a.ctx, prog)


@router.get("/analyses", response_model=Page)
def analyses(org: str | None = None, state: str | None = None, year: int | None = None,
             limit: int = LIMIT, offset: int = OFFSET, a: ApiContext = Depends()):
    """Analyses whose subject the caller may see (filters: organisation subtree, state, year)."""
    scope = views.scope_code(a.s, a.viewer, org)
    lo, hi = svc.subtree_range(svc.get_org(a.s, scope))
    query = (select(Analysis, Organisation).join(Organisation, Organisation.id == Analysis.subject_id)
             .where(Organisation.path >= lo, Organisation.path < hi))
    if state:
        query = query.where(Analysis.state == state)
    items = []
    for an, org_row in a.s.exec(query.order_by(Analysis.id)):
        if not a.viewer.sees_org(org_row):
            continue
        if year and an.planned_start.year != year:
            continue
        items.append({"id": an.id, "state": an.state, "subject": org_row.code,
                      "planned_start": an.planned_start, "planned_end": an.planned_end})
    return paginate(items, limit, offset)


@router.get("/analyses/{analysis_id}")
def analysis(analysis_id: int, a: ApiContext = Depends()) -> dict[str, Any]:
    """One analysis with its stages (due date, projected, status, completion)."""
    return svc.analysis_view(a.s, a.ctx, visible_analysis(a.s, a.viewer, analysis_id))


@router.post("/analyses/{analysis_id}/events")
def record(analysis_id: int, body: EventIn, a: ApiContext = Depends()) -> dict[str, Any]:
    """Record an event; refused with the rule's message (409) and nothing stored."""
    an = visible_analysis(a.s, a.viewer, analysis_id)
    try:
        require_recorder(a.viewer, an)
        svc.record_event(a.s, a.ctx, an.id, body.event, body.date,
                         {"number": body.number, "signed_by": body.signed_by, "url": body.url,
                          "note": body.note, "period": body.period})
        a.s.commit()
    except MerzimError as exc:
        a.s.rollback()
        audit.append(a.s, a.ctx.actor, "refused.event", "analysis", an.id,
                     {"event": body.event, "key": exc.key})
        a.s.commit()
        exc.audited = True
        raise
    return svc.analysis_view(a.s, a.ctx, an)


@router.get("/overdue", response_model=Page)
def overdue(org: str | None = None, stage: str | None = None, year: int | None = None,
            sort: Literal["due", "days", "organisation", "stage"] | None = None,
            limit: int = LIMIT, offset: int = OFFSET, a: ApiContext = Depends()):
    """Overdue stages in the caller's subtree (or a visible organisation's)."""
    if sort is None:  # the default order: counted and cut in SQL
        total, items = views.overdue_page(a.s, a.ctx, a.viewer, org, stage, year, limit, offset)
        return Page(items=items, total=total, limit=limit, offset=offset)
    return paginate(views.overdue_rows(a.s, a.ctx, a.viewer, org, stage, year, sort), limit, offset)


@router.get("/due", response_model=Page)
def due(within: int = Query(5, ge=0, le=250), org: str | None = None, limit: int = LIMIT,
        offset: int = OFFSET, a: ApiContext = Depends()):
    """Open stages due within N working days."""
    total, items = views.due_page(a.s, a.ctx, a.viewer, within, org, limit, offset)
    return Page(items=items, total=total, limit=limit, offset=offset)
