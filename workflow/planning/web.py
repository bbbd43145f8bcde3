"""The planning's pages and API: the programmes of the viewer's subtree (/programmes), one
programme's page and its export (/programmes/{id}, .xlsx/.csv), and the API's programmes and
list of analyses (GET /api/v1/programmes, /programmes/{id}, /analyses). A programme's page is
the page kit's (web/kit/programme.py), with what the features add to it."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from web.kit import exports, views
from web.kit.access import visible_programme
from web.kit.api import LIMIT, OFFSET, ApiContext, api_routes, paginate
from web.kit.deps import PageContext
from web.kit.page import export, int_param, page, render
from web.kit.parts import Parts
from web.kit.programme import api_parts, programme_view
from web.kit.shapes import PageOf, Shape
from workflow import services as svc
from workflow.core.errors import UsageError
from workflow.planning.service import planned_definition
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)
api_router = api_routes()


@router.get("/programmes", response_class=HTMLResponse)
def programmes_page(request: Request, pc: PageContext = Depends(page)):
    year = int_param(request.query_params.get("year"), "year")
    return render(request, pc, "programmes.html",
                  programmes=views.visible_programmes(pc.s, pc.viewer, year, pc.t.language), year=year)


@router.get("/programmes/{programme_id}", response_class=HTMLResponse)
def programme_page(request: Request, programme_id: str, pc: PageContext = Depends(page)):
    if "." in programme_id:
        ident, fmt = programme_id.split(".", 1)
        return programme_export(ident, fmt, pc)
    return programme_view(request, pc, visible_programme(pc.s, pc.viewer, programme_id))


def programme_export(ident: str, fmt: str, pc: PageContext) -> Response:
    if fmt not in ("xlsx", "csv"):
        raise UsageError(key="error.bad_format", value=fmt)
    prog = visible_programme(pc.s, pc.viewer, ident)
    matrix = views.programme_matrix(pc.s, pc.ctx, prog)
    definition = svc.programme_definition(pc.s, pc.ctx, prog)
    header, body = exports.programme_table(matrix, definition, pc.t.language, pc.t)
    tx.audited(pc.s, f"web:{pc.viewer.login}", "export.programme", "programme", prog.id,
               {"format": fmt, "rows": len(body)})
    return export(fmt, f"programme-{matrix['subject']}-{matrix['year']}",
                  f"{matrix['subject']} {matrix['year']}", header, body)


# -- API ------------------------------------------------------------------------------------------


class ProgrammeRow(Shape):
    """A programme the caller may see: its year, subject and number of analyses."""

    id: int
    year: int
    subject: str
    subject_name: str
    analyses: int


class ProgrammeMatrix(Shape):
    """One programme: each analysis with its dates and stages (`rows`, each stage by its key
    as the case shows it), then what the features add (the cross-platform's `platform`)."""

    model_config = {"extra": "allow"}

    id: int
    year: int
    subject: str
    subject_name: str
    schedule: dict[str, Any]
    stage_keys: list[str]
    rows: list[dict[str, Any]]


class AnalysisRow(Shape):
    """An internal analysis in the list: its state, subject and planned start and end."""

    id: int
    state: str
    subject: str
    planned_start: date | None
    planned_end: date | None


@api_router.get("/programmes", response_model=PageOf[ProgrammeRow])
def programmes(year: int | None = None, limit: int = LIMIT, offset: int = OFFSET,
               a: ApiContext = Depends()):
    return paginate(views.visible_programmes(a.s, a.viewer, year, a.ctx.language), limit, offset)


@api_router.get("/programmes/{programme_id}", response_model=ProgrammeMatrix)
def programme(request: Request, programme_id: int, a: ApiContext = Depends()) -> dict[str, Any]:
    """One programme's matrix (each analysis with its stages), and its cross-platform part:
    each sub-task of the implementation map with its documents, files, warnings and the day
    (and link) it was uploaded."""
    prog = visible_programme(a.s, a.viewer, programme_id)
    return {**views.programme_matrix(a.s, a.ctx, prog),
            **api_parts(request, a.s, a.ctx, prog)}


@api_router.get("/analyses", response_model=PageOf[AnalysisRow])
def analyses(org: str | None = None, state: str | None = None, year: int | None = None,
             limit: int = LIMIT, offset: int = OFFSET, a: ApiContext = Depends()):
    """Internal analyses whose subject the caller may see (filters: subtree, state, year)."""
    scope = views.scope_code(a.s, a.viewer, org)
    rows = []
    for row in svc.list_cases(a.s, a.ctx, planned_definition(a.ctx).key, scope, state,
                              limit=100000):
        if not a.viewer.sees_org(svc.get_org(a.s, row.subject)):
            continue
        if year and row.case_date.year != year:
            continue
        rows.append(row)
    items = []
    for row in sorted(rows, key=lambda r: r.id):
        view = svc.case_view(a.s, a.ctx, svc.get_case(a.s, row.id))
        items.append({"id": row.id, "state": row.state, "subject": row.subject,
                      "planned_start": view.planned_start, "planned_end": view.planned_end})
    return paginate(items, limit, offset)


PARTS = Parts(routers=(router, api_router))
