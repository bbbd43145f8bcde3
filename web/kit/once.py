"""Idempotency keys on the web: a write sent twice with one key is done once, and
the second gets the first answer.

* **The key**: the API's `Idempotency-Key` header (1-200 printable ASCII characters, the
  client's own: a UUID), or a web form's hidden `idempotency_key` (`field()`: a new key each
  time a form is rendered, so sending the same rendered form twice — a double click, a resend
  after a lost answer — is one write, and a form rendered again is a new one). Any POST, PUT,
  PATCH or DELETE of a signed-in user (a token, a session) may carry one.
* **First time**: the request runs as always, but deferred (`services.idempotency.take`): the
  key is taken first in its transaction, every `transaction` of the route is a savepoint, and
  the answer the route built (status, type, redirect, a JSON body up to 256 KiB) is written
  into the key's row in the **one commit** of the write (`keep`). So the answer is built
  before the commit, and the row exists exactly when the write landed. A refusal (4xx, 5xx)
  keeps no key: it stored nothing, and sending it again is safe.
* **Again, the same key** (the same user, within a day): the first answer, with
  `Idempotent-Replayed: true`, and nothing is run or stored; with another method, path or
  body: 422 `idempotency.reused`. A first answer not kept (a page: it may hold a new token;
  an answer over 256 KiB): 409 `idempotency.not_kept`, saying it was done and when.
* **At the same time**: the second request waits for the first (on the key's row), then gets
  its answer (tests/services/test_idempotency.py): across nodes too, the rows are in the database.
  A write that commits as it goes (a people import, a batch a transaction) commits its key
  first, unanswered (`idempotency.under_way`): the second is told at once that it is in
  progress (409 `idempotency.in_progress`).
* **A form of too many fields**: this middleware reads a form's beginning (a multipart one's
  first 64 KiB, an urlencoded one whole: the body cap bounds it) before anything else does,
  so it counts the form's fields first (`web.kit.limits.FieldCount`): more than
  `limits.FORM_FIELDS` are refused with 413 `error.too_many_fields` in the reader's language,
  anonymous or signed in, before any key is looked up or any route runs (a multipart body's
  rest is counted as it arrives and refused the same way once past the limit). A form's key
  is found among its fields without a limit of its own.
* **A connection lost**: the commit under way when it dropped may or may not have landed:
  503 `error.db_lost_unknown`, which says so and that the same request with the same key
  tells (web/app.py's handler answers the other cases). The database away when the key's
  look-ups run (who sends the write, whether the key was used: before the route, outside the
  app's handlers), or when a refusal frees its key: 503 `error.db_unavailable` with
  Retry-After, as the handler answers a route's — never a 500; the session's lost
  transaction is rolled back, so nothing it noted reaches a later commit.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.exc import OperationalError, PendingRollbackError
from sqlmodel import Session

from web.kit import limits
from web.kit.asgi import HttpMiddleware
from web.kit.deps import IDEMPOTENCY, SESSION_COOKIE
from web.kit.error_pages import error_page
from workflow.services import idempotency as idem
from workflow.services import transactions as tx

log = logging.getLogger(__name__)

HEADER = b"idempotency-key"
FIELD = "idempotency_key"  # a web form's hidden input
REPLAYED = "Idempotent-Replayed"
STATE = IDEMPOTENCY  # scope["state"]: the request's `Pending`
SCAN_BYTES = 64 * 1024  # a multipart form's key is among its first fields (it follows the CSRF)
# writes that store nothing (a POST only to carry a form's text or a file to check): they
# take no key (a register file's preview: web/imports_page.py; its confirm takes one)
STORES_NOTHING = (re.compile(r"^/cases/[^/]+/drafts/[^/]+/docx$"),
                  re.compile(r"^/registers/[^/]+/import$"))
FORMS = (b"application/x-www-form-urlencoded", b"multipart/form-data")


def field() -> Markup:
    """A form's hidden key, new at each rendering (a Jinja global: `{{ once_field() }}`)."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{secrets.token_urlsafe(18)}">')


@dataclass
class Pending:
    """A write with a key, under way: the request's database session (`web.kit.deps.db` calls
    `begin` when it opens it) and what became of the key."""

    asked: idem.Asked
    session: Session | None = None
    taken: bool = False  # another request with the key landed first
    ended: bool = False  # the session closed before the answer was built (the route failed)

    def begin(self, s: Session) -> None:
        self.session = s
        try:
            idem.take(s, self.asked)
        except idem.KeyTaken:
            self.taken = True
            raise

    def end(self) -> None:
        self.ended = True


class BodyHash:
    """The SHA-256 of a request's body as it streams; a multipart body's boundary (a browser
    draws a new one each time it sends a form) counted as one fixed word."""

    def __init__(self, content_type: bytes):
        found = re.search(rb'boundary="?([^";,\s]+)', content_type) \
            if content_type.startswith(b"multipart/") else None
        self.marker = b"--" + found.group(1) if found else b""
        self.sha = hashlib.sha256()
        self.tail = b""
        self.done = False

    def update(self, chunk: bytes, more: bool) -> None:
        if not self.marker:
            self.sha.update(chunk)
        else:
            data, n = self.tail + chunk, len(self.marker)
            end = len(data) - (n - 1) if more else len(data)
            pos, parts = 0, []
            while (i := data.find(self.marker, pos)) != -1 and i < end:
                parts += [data[pos:i], b"--B"]
                pos = i + n
            cut = max(pos, end)
            parts.append(data[pos:cut])
            self.sha.update(b"".join(parts))
            self.tail = data[cut:]
        self.done = not more

    def hexdigest(self) -> str:
        return self.sha.hexdigest()


def form_key(head: bytes, content_type: bytes) -> str:
    """The hidden key of a form body (its beginning, for a multipart one), or "": the first
    field of its name, however many fields the body has (the middleware refuses a form of
    more than `limits.FORM_FIELDS` before it asks)."""
    if content_type.startswith(b"multipart/"):
        found = re.search(rb'name="' + FIELD.encode() + rb'"\r\n\r\n([^\r\n]{0,400})\r\n', head)
        return found.group(1).decode("latin-1") if found else ""
    from urllib.parse import unquote_plus

    for piece in head.split(b"&"):
        name, _eq, value = piece.partition(b"=")
        if unquote_plus(name.decode("latin-1")) == FIELD:
            return unquote_plus(value.decode("latin-1"))
    return ""


class Idempotent(HttpMiddleware):
    """ASGI middleware: the writes with a key, done once (see the module's words)."""

    methods = ("POST", "PUT", "PATCH", "DELETE")

    def __init__(self, app, engine):
        super().__init__(app)
        self.engine = engine

    async def http(self, scope, receive, send):
        """A form's fields counted first (more than `limits.FORM_FIELDS`: refused, 413), its
        beginning read for its key; then the write, keyed or not (`keyed`)."""
        kind = dict(scope.get("headers") or ()).get(b"content-type", b"")
        if not kind.startswith(FORMS):
            await self.keyed(scope, receive, send, b"")
            return
        counted = limits.FieldCount(kind)
        head, more = await _head(receive, SCAN_BYTES if kind.startswith(FORMS[1]) else None)
        for message in head:
            if message["type"] == "http.request":
                counted.update(message.get("body", b""), message.get("more_body", False))
        if counted.over:
            drained = not more or await limits.drain(receive, limits.DRAIN_BYTES)
            await limits.refuse_fields(scope, send, close=not drained)
            return
        if not more:
            await self.keyed(scope, _replayed(head, receive), send, _joined(head))
            return
        await self.streamed(scope, receive, send, head, counted)

    async def streamed(self, scope, receive, send, head: list[dict[str, Any]],
                       counted: limits.FieldCount) -> None:
        """A multipart body longer than its beginning (`head`, counted): the rest counted as
        it arrives, and refused as soon as it passes the limit, as `limits.BodyLimit` refuses
        one past its cap (whoever reads further hears that the client left; what the
        application then says is dropped)."""
        over, started, ended = False, False, False

        async def rest():
            nonlocal over, ended
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] != "http.request":
                ended = True
                return message
            ended = not message.get("more_body", False)
            counted.update(message.get("body", b""), not ended)
            if counted.over:
                over = True
                return {"type": "http.disconnect"}
            return message

        async def watched(message):
            nonlocal started
            if over:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.keyed(scope, _replayed(head, rest), watched, _joined(head))
        except Exception:
            if not over or started:
                raise
        if over and not started:
            drained = ended or await limits.drain(receive, limits.DRAIN_BYTES)
            await limits.refuse_fields(scope, send, close=not drained)

    async def keyed(self, scope, receive, send, head: bytes):
        """The write, done once when it carries a key (`head`: its form's beginning)."""
        kind = dict(scope.get("headers") or ()).get(b"content-type", b"")
        key = dict(scope.get("headers") or ()).get(HEADER, b"").decode("latin-1").strip()
        if not key and head:
            key = form_key(head, kind)
        if not key or any(p.match(scope.get("path", "")) for p in STORES_NOTHING):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if not idem.usable(key):
            await _answer(scope, send, error_page(request, 422, "idempotency.bad_key",
                                                  params={"limit": idem.KEY_CHARS},
                                                  database=False))
            return
        try:
            user = await run_in_threadpool(self.caller, request)
            asked = idem.Asked(user or 0, key, scope["method"], scope.get("path", ""))
            kept = await run_in_threadpool(self.kept, asked) if user is not None else None
        except OperationalError:  # the database is away (restarting): nothing was done
            log.warning("a keyed write's look-up found no database", exc_info=True)
            await _answer(scope, send, unavailable(request))
            return
        if user is None:  # no one signed in: the route refuses it (401, the sign-in page)
            await self.app(scope, receive, send)
            return
        body = BodyHash(kind)
        if kept is not None:
            await _drain(receive, body)
            await _answer(scope, send, replay(request, asked, kept, body.hexdigest()))
            return
        pending = Pending(asked)
        scope.setdefault("state", {})[STATE] = pending

        async def hashed():
            message = await receive()
            if message["type"] == "http.request" and not body.done:
                body.update(message.get("body", b""), message.get("more_body", False))
            return message

        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def held(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _drain(receive, body)  # what the route left unread
            answer = await run_in_threadpool(self.finish, request, pending, body.hexdigest(),
                                             start, b"".join(chunks))
            if answer is None:
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks)})
            else:
                await answer(scope, _nothing, send)

        await self.app(scope, hashed, held)

    def caller(self, request: Request) -> int | None:
        """The user sending the write (a token, a browser session), or None."""
        from workflow.services import accounts as auth

        with Session(self.engine) as s:
            header = request.headers.get("authorization", "")
            if header.lower().startswith("bearer "):
                user = auth.api_user(s, header[7:].strip())
                return user.id if user is not None else None
            found = auth.signed_in(s, request.cookies.get(SESSION_COOKIE))
            return found[0].id if found is not None else None

    def kept(self, asked: idem.Asked) -> idem.Kept | None:
        with Session(self.engine) as s:
            return idem.found(s, asked)

    def finish(self, request: Request, pending: Pending, body_sha256: str,
               start: dict[str, Any], content: bytes) -> Response | None:
        """The answer to send in place of the route's (None: the route's, once its write and
        key are committed)."""
        s, asked = pending.session, pending.asked
        if pending.taken:  # another request with the key landed first: its answer
            try:
                kept = self.kept(asked)
            except OperationalError:  # the database went away since: nothing of this one
                log.warning("a keyed write's look-up found no database", exc_info=True)
                return unavailable(request)
            if kept is not None:
                return replay(request, asked, kept, body_sha256)
            return None
        if s is None:
            return None
        status = int(start.get("status", 500))
        heads = {k.decode("latin-1").lower(): v.decode("latin-1")
                 for k, v in start.get("headers", ())}
        try:
            if pending.ended or status >= 400:
                idem.release(s, asked)
                return None
            kind = heads.get("content-type", "")
            text = content.decode("utf-8", "replace") if kind.startswith("application/json") \
                else None
            idem.keep(s, asked, body_sha256, idem.Answer(status, kind or None,
                                                         heads.get("location"), text))
        except idem.KeyTaken:
            try:
                kept = self.kept(asked)
            except OperationalError:
                log.warning("a keyed write's look-up found no database", exc_info=True)
                return unavailable(request)
            return replay(request, asked, kept, body_sha256) if kept is not None else None
        except (OperationalError, PendingRollbackError):
            # the connection was lost (under the route, or now): the session's transaction is
            # gone with it; what it noted (an audit head, a key) must not reach a later commit
            log.warning("a write's commit failed", exc_info=True)
            committing = s.info.get(tx.COMMITTING)
            tx.abandon(s)
            if committing:
                return lost_unknown(request)
            return unavailable(request)
        return None


def replay(request: Request, asked: idem.Asked, kept: idem.Kept, body_sha256: str) -> Response:
    """The first answer of a key, or why it cannot be given. A key committed before its
    answer (a write that commits as it goes: `idempotency.under_way`) has no body's hash yet:
    the same method and address are told it is in progress."""
    answer = kept.answer
    unanswered = answer is None and kept.body_sha256 is None \
        and (kept.method, kept.path) == (asked.method, asked.path)
    if not unanswered and not kept.same_request(asked, body_sha256):
        return error_page(request, 422, "idempotency.reused", database=False)
    at = datetime.fromtimestamp(kept.at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if answer is None:
        return error_page(request, 409, "idempotency.in_progress", params={"at": at},
                          database=False)
    headers = {REPLAYED: "true"}
    if answer.location:
        headers["Location"] = answer.location
    if answer.body is None and not 300 <= answer.status < 400:
        return error_page(request, 409, "idempotency.not_kept", params={"at": at},
                          headers=headers, database=False)
    return Response(answer.body or b"", status_code=answer.status, headers=headers,
                    media_type=answer.content_type)


def unavailable(request: Request) -> Response:
    """The database is away (restarting, unreachable): 503, send it again in a moment."""
    return error_page(request, 503, "error.db_unavailable", database=False,
                      headers={"Retry-After": "5", "Cache-Control": "no-store"})


def lost_unknown(request: Request) -> Response:
    """A write whose commit was under way when the connection dropped: it may have landed."""
    key = "error.db_lost_unknown"
    return error_page(request, 503, key, database=False, headers={"Cache-Control": "no-store"})


def install(app: FastAPI, engine) -> None:
    """The middleware, the handler of a key another request took, and the header in the
    OpenAPI of every write of /api/v1."""
    app.add_middleware(Idempotent, engine=engine)

    @app.exception_handler(idem.KeyTaken)
    async def _taken(request: Request, _exc: idem.KeyTaken):
        return Response(status_code=409)  # replaced by the first answer (`finish`)

    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document(build())
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


PARAMETER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": idem.KEY_CHARS},
    "description": "A key of the client's own (a UUID) naming this write: sent again with "
                   "the same key (the same user, within 24 hours), it is not done again and "
                   "the first answer comes back (header Idempotent-Replayed: true); the same "
                   "key with another method, path or body is refused (422 "
                   "idempotency.reused). Send it when the answer may be lost (a 502, a 503 "
                   "error.db_lost_unknown, a timeout): the same request with the same key "
                   "tells whether the write landed.",
}


def document(schema: dict[str, Any]) -> None:
    """Add the `Idempotency-Key` header to every write operation of /api/v1."""
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if method in ("post", "put", "patch", "delete"):
                params = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in params):
                    params.append(dict(PARAMETER))


async def _head(receive, limit: int | None) -> tuple[list[dict[str, Any]], bool]:
    """The body's first messages: up to `limit` bytes (None: the whole body)."""
    messages: list[dict[str, Any]] = []
    seen, more = 0, True
    while more and (limit is None or seen < limit):
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        seen += len(message.get("body", b""))
        more = message.get("more_body", False)
    return messages, more


def _joined(messages: list[dict[str, Any]]) -> bytes:
    return b"".join(m.get("body", b"") for m in messages)


def _replayed(messages: list[dict[str, Any]], receive):
    """A `receive` that hands on `messages` (already read) first, then asks `receive`."""
    waiting = list(messages)

    async def replay():
        if waiting:
            return waiting.pop(0)
        return await receive()

    return replay


async def _drain(receive, body: BodyHash) -> None:
    """Read (and hash) what is left of the body."""
    while not body.done:
        message = await receive()
        if message["type"] != "http.request":
            body.done = True
            break
        body.update(message.get("body", b""), message.get("more_body", False))


async def _answer(scope, send, response: Response) -> None:
    await response(scope, _nothing, send)


async def _nothing():
    return {"type": "http.disconnect"}
