"""What keeps one request from hurting the web process: the body cap per route, the fields a
form may carry, and one retry of a read whose database connection was lost.

* **Body cap**: a request body may carry 1 MiB (`BODY_BYTES`: a sign-in, a form, a JSON
  record), except a multipart body sent to an upload route (a route that checks its upload's
  length, `web.kit.uploads.check_length`: a record with its files, files attached), which may
  carry as much as `uploads.largest_body` (20 files of `[files] max_bytes` and the form). A
  declared Content-Length above the cap is refused before any route reads the body; a body
  that declares none (chunked) is counted as it arrives and refused as soon as it passes the
  cap (whoever reads further hears that the client left; what the application then says is
  dropped): no layer below ever holds more than the cap. Refused with 413 and `error.body_too_large`
  in the reader's language (JSON for the API), without asking the database (nothing stored,
  nothing audited: a flood must not fill the audit log). An upload route keeps its own words
  (`files.request_too_large`, 422, shown next to the form's file input), as before.
* **The refused body is read and dropped** (up to `DRAIN_BYTES`, a piece at a time, never
  kept) before the answer, so the connection ends cleanly or serves the next request: a proxy
  sending the body never meets a reset, which it would count as a failed node. A body declared
  larger than that, or one that waits for `100 Continue`, is not invited: the answer comes at
  once and the connection is closed.
* **Fields a form carries**: at most `FORM_FIELDS` (1,000, the most Starlette's form parser
  reads by default): an urlencoded form's `&`-separated fields, a multipart form's parts (its
  files too), counted as the body arrives (`FieldCount`, by `web.kit.once.Idempotent`, the
  middleware that reads a form's beginning for its key). A form with more is refused with 413
  and `error.too_many_fields` in the reader's language (JSON for the API), anonymous or signed
  in, before any route reads it — nothing stored, nothing audited, the database not asked —
  the body read and dropped as above (`refuse_fields`). A list of any length that a page
  sends back (the people import's preview: the roles chosen) goes as one field.
* **A body the proxy refused**: nginx enforces the same caps per location
  (deploy/nginx/merzim.conf) and passes the request on without its body, marked with
  `X-Merzim-Body-Refused`; the answer is the one the route would have given the whole body
  (413 `error.body_too_large`, or the upload route's 422), in the reader's language — never
  the proxy's own page. The mark only ever refuses the request that carries it.
* **A lost database connection**: a GET or HEAD whose connection dropped (PostgreSQL restarted,
  a backend terminated) is answered 503 by the app's handler (`error.db_unavailable`,
  Retry-After) and tried once more here, on a new connection, before anything was sent; the
  second answer, whatever it is, goes to the client. A write is never repeated: its 503 says
  whether anything of it was committed (`error.db_unavailable`: nothing, send it again;
  `error.db_lost_saved`: it was; `error.db_lost_unknown`: the commit was under way — the same
  request with the same idempotency key tells, web/kit/once.py).
"""

from __future__ import annotations

import re

from starlette.routing import compile_path

from web.kit.asgi import HttpMiddleware
from web.kit.uploads import largest_body, too_large

BODY_BYTES = 1024 * 1024  # every body but an upload's
FORM_FIELDS = 1000  # the fields of a form (an upload's files too): Starlette's own default
DRAIN_BYTES = 16 * 1024 * 1024  # the most of a refused body read (and dropped) before answering
REFUSED_HEADER = b"x-merzim-body-refused"  # set by the proxy that refused the body itself
RETRY_HEADER = b"x-merzim-retry"  # set by the app's handler on a lost connection; never sent
WITH_BODY = ("POST", "PUT", "PATCH", "DELETE")
UPLOAD_READERS = frozenset({"check_length", "file_form"})  # what an upload route calls


def is_upload_route(route) -> bool:
    """A route whose handler checks the length of the upload it reads (itself, or through
    `uploads.file_form`)."""
    code = getattr(getattr(route, "endpoint", None), "__code__", None)
    return code is not None and not UPLOAD_READERS.isdisjoint(code.co_names)


def upload_routes(routes, prefix: str = "") -> list[tuple[set[str], re.Pattern]]:
    """(methods, the path's pattern) of every upload route (FastAPI may keep an included
    router as a branch: walked into, with its prefix)."""
    found = []
    for r in routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            context = getattr(r, "include_context", None)
            found += upload_routes(inner.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif is_upload_route(r):
            found.append((set(r.methods or ()), compile_path(prefix + r.path)[0]))
    return found


class BodyLimit(HttpMiddleware):
    """ASGI middleware, outermost of the application's own: the body cap per route."""

    methods = WITH_BODY

    def __init__(self, app, max_bytes: int):
        super().__init__(app)
        self.max_bytes = max_bytes
        self.upload_cap = largest_body(max_bytes)
        self.uploads: list[tuple[set[str], re.Pattern]] | None = None  # found at first need

    def cap_of(self, scope) -> tuple[int, bool]:
        """The route's cap and whether it is an upload's (looked up only past 1 MiB, or for a
        body the proxy refused)."""
        kind = dict(scope.get("headers") or ()).get(b"content-type", b"")
        if kind.startswith(b"multipart/form-data"):
            if self.uploads is None:
                app = scope.get("app")
                self.uploads = upload_routes(getattr(getattr(app, "router", None), "routes", ()))
            path, method = scope.get("path", ""), scope["method"]
            if any(method in methods and pattern.match(path)
                   for methods, pattern in self.uploads):
                return self.upload_cap, True
        return BODY_BYTES, False

    async def http(self, scope, receive, send):
        headers = dict(scope.get("headers") or ())
        if REFUSED_HEADER in headers:  # the proxy refused the body: the route's refusal of it
            cap, upload = self.cap_of(scope)
            await self.answer(scope, send, cap, upload, close=False)
            return
        declared = headers.get(b"content-length", b"")
        cap, upload = BODY_BYTES, False
        resolved = declared.isdigit() and int(declared) > BODY_BYTES
        if resolved:
            cap, upload = self.cap_of(scope)
            if int(declared) > cap and not upload:  # an upload route says it in its words
                invited = int(declared) <= DRAIN_BYTES \
                    and headers.get(b"expect", b"").lower() != b"100-continue"
                drained = invited and await drain(receive, DRAIN_BYTES)
                await refuse(scope, send, cap, close=not drained)
                return
        seen, started, over, ended = 0, False, False, False

        async def capped():
            # past the cap the body ends here: whoever reads it (a route, a middleware's
            # listener) hears that the client left, and nothing more is read
            nonlocal seen, cap, upload, resolved, over, ended
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                ended = not message.get("more_body", False)
                if seen > cap and not resolved:
                    cap, upload = self.cap_of(scope)
                    resolved = True
                if seen > cap:
                    over = True
                    return {"type": "http.disconnect"}
            else:
                ended = True  # the client left
            return message

        async def watched(message):
            nonlocal started
            if over:  # what the application says after the body was cut: not sent
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, capped, watched)
        except Exception:
            if not over or started:
                raise
        if over and not started:
            drained = ended or await drain(receive, max(DRAIN_BYTES - seen, 0))
            await self.answer(scope, send, cap, upload, close=not drained)

    async def answer(self, scope, send, cap: int, upload: bool, close: bool = True) -> None:
        """413; an upload route's refusal in its own words (422, as its length check says);
        `close`: the rest of the body was not read, the connection is closed after it."""
        if not upload:
            await refuse(scope, send, cap, close)
            return
        from fastapi import Request

        from web.kit.error_pages import error_page, web_message

        exc = too_large(self.max_bytes)
        response = error_page(Request(scope), 422, exc.key, lambda t: web_message(exc, t),
                              headers=_closing(close), database=False)
        await response(scope, _disconnected, send)


async def drain(receive, limit: int) -> bool:
    """Read what is left of a refused body and drop it, a piece at a time (nothing is kept),
    up to `limit` bytes: whether it ended there (else the client left, or sends more)."""
    read = 0
    while read <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return False
        read += len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
    return False


def _closing(close: bool) -> dict[str, str]:
    return {"Connection": "close"} if close else {}


async def _disconnected():
    return {"type": "http.disconnect"}


async def refused(request, limit: int, close: bool = True):
    """413 in the reader's language, without the database; `close`: the rest of the body is
    not read, the connection is then closed."""
    from web.kit.error_pages import error_page
    from workflow.services.files import size_text

    return error_page(request, 413, "error.body_too_large", database=False,
                      params={"limit": size_text(limit)},
                      headers={**_closing(close), "Cache-Control": "no-store"})


async def refuse(scope, send, limit: int, close: bool = True) -> None:
    """`refused`, answered here (the body is refused before any route reads it)."""
    from fastapi import Request

    response = await refused(Request(scope), limit, close)
    await response(scope, _disconnected, send)


class FieldCount:
    """The fields of a form body, counted as it arrives (a piece at a time; nothing kept but
    the few bytes a boundary line may straddle): an urlencoded body's fields (its `&`s, and
    one), a multipart body's parts (its boundary lines but the closing one), which is where
    Starlette's parser counts them."""

    def __init__(self, content_type: bytes):
        found = re.search(rb'boundary="?([^";,\s]+)', content_type) \
            if content_type.startswith(b"multipart/") else None
        self.marker = b"--" + found.group(1) if found else b""
        self.fields = 0 if found else 1
        self.tail = b""  # (multipart) the end of the body so far not yet looked at

    def update(self, chunk: bytes, more: bool = True) -> None:
        if not self.marker:
            self.fields += chunk.count(b"&")
            return
        data, n = self.tail + chunk, len(self.marker)
        pos = 0
        while (i := data.find(self.marker, pos)) != -1:
            if more and i + n + 2 > len(data):  # whether it closes the body: in the next piece
                pos = i
                break
            if data[i + n:i + n + 2] != b"--":
                self.fields += 1
            pos = i + n
        else:
            pos = max(pos, len(data) - (n - 1))
        self.tail = data[pos:] if more else b""

    @property
    def over(self) -> bool:
        return self.fields > FORM_FIELDS


async def refuse_fields(scope, send, close: bool = True) -> None:
    """413 `error.too_many_fields` in the reader's language, without the database (nothing of
    the form is stored or audited); `close`: the rest of the body is not read, the connection
    is then closed."""
    from fastapi import Request

    from web.kit.error_pages import error_page
    from workflow.i18n import number_text

    key = "error.too_many_fields"
    response = error_page(Request(scope), 413, key,
                          lambda t: t(key, limit=number_text(FORM_FIELDS, t.language)),
                          database=False,
                          headers={**_closing(close), "Cache-Control": "no-store"})
    await response(scope, _disconnected, send)


class RetryLostConnection(HttpMiddleware):
    """ASGI middleware: a GET/HEAD answered 503 because its database connection was lost is
    run once more (the pool has dropped the dead connections by then), before anything of the
    first answer is sent."""

    methods = ("GET", "HEAD")

    async def http(self, scope, receive, send):
        lost = False

        async def first(message):
            nonlocal lost
            if message["type"] == "http.response.start" and any(
                    k == RETRY_HEADER for k, _v in message.get("headers", ())):
                lost = True
            if not lost:
                await send(message)

        await self.app(scope, receive, first)
        if not lost:
            return

        async def second(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [(k, v) for k, v in message.get("headers", ())
                                                  if k != RETRY_HEADER]}
            await send(message)

        await self.app(scope, receive, second)
