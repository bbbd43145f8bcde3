"""The programme page (a subject's year: every analysis with its stages), and what features
add to it: each part in `app.state.parts.programme` (composed by web/app.py) gives the page
its values (`page`) and the API's programme its keys (`api`) — the cross-platform package's
sub-tasks and upload dates (workflow/platform/web.py)."""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from web.kit import views
from web.kit.access import records_programme
from web.kit.deps import PageContext
from web.kit.page import render
from workflow import services as svc


class ProgrammePart(Protocol):
    """What a feature adds to a programme's page and to the API's programme."""

    def page(self, request: Request, s: Session, ctx: svc.Context, prog: Any) -> dict[str, Any]:
        """Values for the page's template (the feature's partial reads them)."""

    def api(self, request: Request, s: Session, ctx: svc.Context, prog: Any) -> dict[str, Any]:
        """Keys of GET /api/v1/programmes/{id}."""


def api_parts(request: Request, s: Session, ctx: svc.Context, prog: Any) -> dict[str, Any]:
    """What the features add to the API's programme."""
    parts: dict[str, Any] = {}
    for part in request.app.state.parts.programme:
        parts.update(part.api(request, s, ctx, prog))
    return parts


def programme_view(request: Request, pc: PageContext, prog, status: int = 200,
                   **values) -> HTMLResponse:
    """The programme page with `values` for its forms (a feature's form answers with it
    too), and what each feature adds to it (`app.state.parts.programme`)."""
    parts: dict[str, Any] = {}
    for part in request.app.state.parts.programme:
        parts.update(part.page(request, pc.s, pc.ctx, prog))
    return render(request, pc, "programme.html", status=status,
                  matrix=views.programme_matrix(pc.s, pc.ctx, prog),
                  definition=svc.programme_definition(pc.s, pc.ctx, prog),
                  records_uploads=records_programme(pc.viewer, prog), **parts, **values)
