"""The API kit every /api/v1 router uses: the caller's context (token, language, today) and
one page of a list. Routers live beside it (web/api.py, web/files_page.py) and in the
features (workflow/<feature>/web.py)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel
from sqlmodel import Session

from web.kit.access import Viewer
from web.kit.deps import api_viewer, db, make_context


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


def paginate(items: list[dict[str, Any]], limit: int, offset: int) -> Page:
    return Page(items=items[offset:offset + limit], total=len(items), limit=limit, offset=offset)


LIMIT = Query(50, ge=1, le=500)
OFFSET = Query(0, ge=0)
