"""The scorecard page of a programme (project No. 1's official evaluation)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from web.access import visible_programme
from web.deps import PageContext
from web.pages import page, render
from workflow.core.scorecard import score
from workflow.services import monitoring as ms

router = APIRouter(include_in_schema=False)


@router.get("/programmes/{programme_id}/score", response_class=HTMLResponse)
def score_page(request: Request, programme_id: str, pc: PageContext = Depends(page)):
    settings = request.app.state.settings.score
    prog = visible_programme(pc.s, pc.viewer, programme_id)
    result = score(ms.programme_facts(pc.s, prog, settings), settings)
    return render(request, pc, "score.html", result=result, programme_id=prog.id)
