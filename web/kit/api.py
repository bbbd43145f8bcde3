"""The API kit every /api/v1 router uses: the caller's context (token, language, today) and
one page of a list. Routers live beside it (web/api.py, web/files_page.py) and in the
features (workflow/<feature>/web.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, Field
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


class ApiError(BaseModel):
    """Every refusal of the API (web/app.py answers them all in this shape)."""

    error: str = Field(description="The message's key (stable: a client may branch on it), "
                                   "e.g. rule.prerequisite, notfound.case, error.invalid.")
    message: str = Field(description="The refusal in the reader's language (?lang= or the "
                                     "token owner's), one line.")
    details: list[str] | None = Field(default=None, description="For 422 from the schema: "
                                      "each field and what is wrong with it (English).")


# The refusals every /api/v1 route may give, documented once. A role that may not do
# something is refused as a rule (409: the officer's own cases only) or the case is hidden
# (404: the same answer as none); the API has no 403.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ApiError, "description": "No token, or a revoked, expired or unknown one."},
    404: {"model": ApiError, "description": "No such resource, or not one the caller may "
                                            "see (the same answer)."},
    409: {"model": ApiError, "description": "Refused by a rule (a prerequisite, the state, a "
                                            "date in the future, not the caller's to record): "
                                            "nothing stored."},
    422: {"model": ApiError, "description": "Bad input: a field the schema refuses, an "
                                            "unknown key, a malformed date: nothing stored."},
}


# A body that is not JSON the server can read (bytes that are not UTF-8 text): FastAPI refuses
# it before the route's schema is consulted, with 400 (web/app.py answers it as an ApiError).
# Every operation that reads a JSON body documents it (`document_bad_body`).
BAD_BODY: dict[str, Any] = {
    "description": "The body is not JSON the server can read (bytes that are not UTF-8 "
                   "text): nothing stored.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
}


def document_bad_body(app: FastAPI) -> None:
    """Make the app's OpenAPI document list the 400 of a body that is not JSON on every
    operation that reads a JSON body (whatever router declared it: the generic API's, a
    feature's), once, when the document is first built."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = build()
        for item in spec.get("paths", {}).values():
            for op in item.values():
                body = (op.get("requestBody") or {}).get("content", {}) \
                    if isinstance(op, dict) else {}
                if "application/json" in body:
                    op.setdefault("responses", {}).setdefault("400", BAD_BODY)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def api_routes() -> APIRouter:
    """An /api/v1 router, the one way routes of the API are declared: its prefix, its tag and
    its documented refusals."""
    return APIRouter(prefix="/api/v1", tags=["merzim"], responses=ERRORS)
