"""The API kit every /api/v1 router uses: the caller's context (token, language, today) and
one page of a list. Routers live beside it (web/api.py, web/files_page.py) and in the
features (workflow/<feature>/web.py)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from web.kit.access import Viewer
from web.kit.deps import api_viewer, db, make_context, with_session_in_one_thread

T = TypeVar("T")


class ApiContext:
    def __init__(self, request: Request, s: Session = Depends(db)):
        self.s = s
        self.viewer: Viewer = api_viewer(request, s)
        lang = request.query_params.get("lang") or self.viewer.user.language
        self.ctx = make_context(request, self.viewer, lang if lang in ("kk", "ru", "en") else "en")


def in_one_thread(request: Request, work: Callable[[ApiContext], T]) -> Awaitable[T]:
    """A read of the API done in one worker thread: the request's session, the token's check,
    the context and `work(context)`, for an `async def` route (`GET /api/v1/cases`;
    `deps.with_session_in_one_thread`: one hand-over to the thread pool, not four, and its
    answer's model not checked in the pool again)."""
    return with_session_in_one_thread(request, lambda s: work(ApiContext(request, s)))


def file_answer(description: str) -> dict[int | str, dict[str, Any]]:
    """The documented answer of a route that sends a file (`response_class=Response`): 200,
    its `description`, the bytes of the file."""
    return {200: {"description": description,
                  "content": {"application/octet-stream": {
                      "schema": {"type": "string", "format": "binary"}}}}}


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def page_answer(items: list[dict[str, Any]], total: int, limit: int, offset: int,
                **more: Any) -> Response:
    """A page (`Page`'s keys) as its JSON answer, written here from its items (view dicts,
    `as_dicts`: the keys of the route's `response_model`, which documents it) in one pass:
    FastAPI, handed a `Response`, does not check each item against the model and serialise it
    again (a page of the case list spent as long on that as on its SELECT). Dates as ISO
    text, as the model writes them. `more`: the keys a model of more than `Page` adds, in its
    order (`CursorPageOf`'s `after` and `next`)."""
    body = {"items": items, "total": total, "limit": limit, "offset": offset, **more}
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":"),
                               default=_json_value).encode(), media_type="application/json")


def _json_value(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def paginate(items: list[dict[str, Any]], limit: int, offset: int) -> Page:
    return Page(items=items[offset:offset + limit], total=len(items), limit=limit, offset=offset)


LIMIT = Query(50, ge=1, le=500)
OFFSET = Query(0, ge=0)
AFTER = Query(0, ge=0, description="A keyset cursor: only the items numbered above this one "
                                   "(the last number of the page before; a page's `next` "
                                   "carries it).")


def next_page(request: Request, items: list[dict[str, Any]], total: int, limit: int,
              offset: int, after: int) -> str | None:
    """The address of the page after this one, paged by its keyset cursor: the request's own
    filters and limit, `after` the last item's number, no offset. None when this page is the
    last: fewer items than its limit, or (without a cursor) the total reached."""
    if len(items) < limit or (not after and offset + limit >= total):
        return None
    query = [(k, v) for k, v in request.query_params.multi_items()
             if k not in ("after", "offset")]
    return f"{request.url.path}?{urlencode([*query, ('after', str(items[-1]['id']))])}"


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
                                            "unknown key, a malformed date, a text holding a "
                                            "NUL character (error.nul_in_input, anywhere in "
                                            "the address or the body): nothing stored."},
}


# A body the server cannot read -- JSON in bytes that are not UTF-8 text, a multipart form
# without its boundary: FastAPI and Starlette refuse it before the route's schema is consulted,
# with 400 (web/app.py answers it as an ApiError). A body over the route's limit is refused
# with 413 before it is read (web/kit/limits.py). Every operation that reads a body documents
# both (`document_bad_body`).
BAD_BODY: dict[str, Any] = {
    "description": "The body cannot be read: JSON in bytes that are not UTF-8 text, or a "
                   "multipart form without its boundary: nothing stored.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
}
TOO_LARGE: dict[str, Any] = {
    "description": "The body is larger than the route accepts (error.body_too_large): "
                   "nothing read, nothing stored.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
}
# The database away or busy past its wait (a restart, a long import holding SQLite's write
# lock): any operation answers 503 with Retry-After (web/app.py); a write was not done.
UNAVAILABLE: dict[str, Any] = {
    "description": "The database is unavailable or busy for now (error.db_unavailable, "
                   "error.db_busy): nothing stored; try again after Retry-After seconds.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
}


# A reason the handler requires (a blank one is refused, 422 error.reason_required): its
# schema says it is not blank, so that what the document admits the handler accepts.
NOT_BLANK: dict[str, Any] = {"pattern": r"\S"}


def document_bad_body(app: FastAPI) -> None:
    """Make the app's OpenAPI document list, on every /api/v1 operation (whatever router
    declared it: the generic API's, a feature's), the 503 of a database away and, on those
    that read a body (JSON or a multipart form), its 400 and 413 -- once, when the document
    is first built."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = build()
        for path, item in spec.get("paths", {}).items():
            for op in item.values():
                if not isinstance(op, dict):
                    continue
                responses = op.setdefault("responses", {})
                if path.startswith("/api/v1/"):
                    responses.setdefault("503", UNAVAILABLE)
                if (op.get("requestBody") or {}).get("content"):
                    responses.setdefault("400", BAD_BODY)
                    responses.setdefault("413", TOO_LARGE)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def api_routes() -> APIRouter:
    """An /api/v1 router, the one way routes of the API are declared: its prefix, its tag and
    its documented refusals."""
    return APIRouter(prefix="/api/v1", tags=["merzim"], responses=ERRORS)
