"""The FastAPI application: pages, exports, feeds and the REST API over the service layer."""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, OperationalError
from sqlmodel import Session
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from calendars import KazakhstanCalendar
from calendars.errors import CalendarError
from web.kit import charts, limits, loop_guard, once, rows, views
from web.kit.api import document_bad_body
from web.kit.asgi import HttpMiddleware
from web.kit.deps import DB_SESSION, SESSION_COOKIE, ApiAuthRequired, LoginRequired, language
from web.kit.error_pages import error_page, wants_json, web_message
from workflow.core.collation import sort_key
from workflow.core.definition import Definition
from workflow.core.errors import MerzimError, NotFound, RuleViolation, UsageError
from workflow.definitions import Registry
from workflow.i18n import Translator, date_text, number_text, period_name
from workflow.services import org_name
from workflow.services.transactions import busy
from workflow.settings import Settings

if TYPE_CHECKING:  # the tables, for annotations only
    from workflow.storage.models import Organisation, User, WebSession

HERE = Path(__file__).parent
STATUS = {NotFound: 404, RuleViolation: 409, UsageError: 422}
FEED_TOKEN = re.compile(r"/ics/[^/?#]+")


_BY_NAME: dict[tuple[Any, ...], tuple[tuple[Definition, ...], list[Definition]]] = {}
_BY_NAME_LOCK = threading.Lock()


def by_name(definitions: list[Definition], language: str) -> list[Definition]:
    """Definitions in the alphabetical order of their names in the reader's language: sorted
    once per set of definitions and language (a definition's names do not change once loaded;
    every list page's procedure filter asks), the order kept with the very definitions it was
    sorted from (a definition loaded again is another object: sorted again)."""
    defs = tuple(definitions)
    key = (language, *map(id, defs))
    with _BY_NAME_LOCK:
        found = _BY_NAME.get(key)
    if found is not None and all(a is b for a, b in zip(found[0], defs, strict=True)):
        return list(found[1])
    ordered = sorted(defs, key=lambda d: sort_key(d.name(language), language))
    with _BY_NAME_LOCK:
        if len(_BY_NAME) > 64:
            _BY_NAME.clear()
        _BY_NAME[key] = (defs, ordered)
    return list(ordered)


def process_options(definitions: list[Definition], selected: str | None,
                    language: str) -> Markup:
    """The <option>s of a procedure filter (_rows.html `process_filter`), by name in the
    reader's language (`by_name`), joined in Python: the same markup as the loop it replaces
    (`<option value="{{ d.key }}" {{ 'selected' if selected == d.key }}>{{ d.name(lang) }}
    </option>`), a list page's largest loop."""
    defs = tuple(definitions)
    key = (language, selected, *map(id, defs))
    with _BY_NAME_LOCK:
        found = _OPTIONS.get(key)
    if found is not None and all(a is b for a, b in zip(found[0], defs, strict=True)):
        return found[1]  # (joined once per set of definitions, language and choice)
    markup = Markup("".join(
        f'<option value="{escape(d.key)}" {"selected" if selected == d.key else ""}>'
        f'{escape(d.name(language))}</option>' for d in by_name(definitions, language)))
    with _BY_NAME_LOCK:
        if len(_OPTIONS) > 64:
            _OPTIONS.clear()
        _OPTIONS[key] = (defs, markup)
    return markup


_OPTIONS: dict[tuple[Any, ...], tuple[tuple[Definition, ...], Markup]] = {}


def redacted(path: str) -> str:
    """A request path fit for logs: a calendar feed's secret token is left out."""
    return FEED_TOKEN.sub("/ics/[token].ics", path)


class _RedactFeedTokens(logging.Filter):
    """Keep feed tokens out of the web server's access log (uvicorn logs the path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 \
                and isinstance(record.args[2], str):
            record.args = (*record.args[:2], redacted(record.args[2]), *record.args[3:])
        return True


def _redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _RedactFeedTokens) for f in access.filters):
        access.addFilter(_RedactFeedTokens())


def status_of(exc: MerzimError) -> int:
    for cls, code in STATUS.items():
        if isinstance(exc, cls):
            return code
    return 400


CSP = "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'"


class NoNul(HttpMiddleware):
    """ASGI middleware: a NUL character in the address or a form/JSON body is refused (422) on
    every backend (PostgreSQL cannot store one, SQLite would); `refuse(request)` answers."""

    def __init__(self, app, refuse: Callable[[Request], Response]):
        super().__init__(app)
        self.refuse = refuse

    async def http(self, scope, receive, send):
        # (the address as the server gave it: no Request is built for a request that passes
        # without a body to read, a GET's)
        nul = b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]
        request = None
        if not nul and scope["method"] in ("POST", "PUT", "PATCH"):
            request = Request(scope, receive)
            if request.headers.get("content-type", "").startswith(
                    ("application/x-www-form-urlencoded", "application/json")):
                body = await request.body()
                nul = b"%00" in body or b"\x00" in body or b"\\u0000" in body
                if not nul:
                    receive = _replayed(body, receive)  # the body read: handed on whole
        if nul:
            await self.refuse(request or Request(scope, receive))(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _replayed(body: bytes, receive):
    """A `receive` that hands on `body` (already read) first, then asks `receive`."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class SafetyHeaders(HttpMiddleware):
    """ASGI middleware: the headers every answer carries unless its route set them."""

    async def http(self, scope, receive, send):
        # pages, exports, the API and feeds hold what a viewer may see: no cache keeps them
        # (static files and the API's documentation may be kept)
        keep = str(scope.get("path", "")).startswith(("/static/", "/api/docs/"))

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if "frame-ancestors" not in headers.get("content-security-policy", ""):
                    # (only a page that says who may frame it is framed: /public/CODE/embed)
                    headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", CSP)
                if not keep:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


@jinja2.pass_context
def _day(context: Any, day: Any) -> str:
    """A date as the page's reader writes it (workflow.i18n.date_text)."""
    return date_text(day, context.get("lang") or "en")


@jinja2.pass_context
def _month(context: Any, day: Any) -> str:
    """The month of a date by its name in the page's reader's language (a period's name)."""
    return period_name(f"{day.year}M{day.month:02d}", context.get("lang") or "en")


@jinja2.pass_context
def _number(context: Any, value: Any, places: int | None = None) -> str:
    """A number grouped as the page's reader writes it (workflow.i18n.number_text)."""
    return number_text(value, context.get("lang") or "en", places)


@functools.cache
def page_templates(folders: tuple[str, ...]) -> Jinja2Templates:
    """The pages' templates from `folders` (the first holding a name wins), one environment per
    process: it holds nothing of an application (no settings, no database), so every
    application built in a process (the tests build many) shares its compiled templates
    instead of compiling each again."""
    templates = Jinja2Templates(directory=list(folders))
    # Jinja2's i18n extension: {% trans %} blocks and `_` read the reader's catalogue, which
    # each render passes as `_`/`gettext`/`ngettext` (workflow.i18n.Translator); these globals
    # are only the English fallback for a template rendered without them.
    templates.env.add_extension("jinja2.ext.i18n")
    english = Translator("en")
    # (a method the extension adds to the environment: unknown to Environment's type)
    templates.env.install_gettext_callables(  # type: ignore[attr-defined]
        english.gettext, english.ngettext, newstyle=False)
    templates.env.globals["today_iso"] = lambda: date.today().isoformat()
    templates.env.filters["local_name"] = org_name  # {{ org | local_name(lang) }}
    templates.env.filters["period_name"] = period_name  # {{ '2026Q4' | period_name(lang) }}
    templates.env.filters["day"] = _day  # {{ r.due | day }}: 26.11.2026 (ru, kk)
    templates.env.filters["month"] = _month  # {{ m.month | month }}: "Январь 2026 г."
    templates.env.filters["number"] = _number  # {{ total | number }}: 4 500 000 (ru, kk)
    templates.env.filters["by_name"] = by_name  # {% for d in processes | by_name(lang) %}
    templates.env.globals["process_options"] = process_options  # a procedure filter's list
    templates.env.globals["gantt"] = charts.gantt  # a case's Gantt (_gantt.html)
    templates.env.globals["org_options"] = views.org_options  # a national filter's <option>s
    templates.env.globals["once_field"] = once.field  # a form's idempotency key (web/kit/once.py)
    templates.env.globals["stage_rows"] = rows.stage_rows  # a list's <tr>s (_rows.html)
    templates.env.globals["summary_rows"] = rows.summary_rows  # overdue's summary's <tr>s
    templates.env.globals["org_datalist"] = views.org_datalist  # an organisation filter's list
    from workflow.services.case_trail import line as trail_line

    templates.env.globals["trail_line"] = trail_line  # a history line read from the audit trail
    return templates


def create_app(settings: Settings, engine: Engine, calendar: KazakhstanCalendar,  # noqa: C901
               processes: Registry | Definition) -> FastAPI:
    from workflow.installed import install

    install()  # the features the engine may ask for (workflow/core/feature.py)
    app = FastAPI(title="merzim", version="0.1.0", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json")
    document_bad_body(app)  # the 400 of a body that is not JSON, on every JSON operation
    app.state.settings, app.state.engine = settings, engine
    _redact_access_log()
    from workflow.services import accounts

    accounts.limit_password_checks(settings.web.password_checks,
                                   settings.web.password_wait_seconds)
    if isinstance(processes, Definition):
        processes = Registry.of(processes)
    app.state.calendar, app.state.registry = calendar, processes
    from web import (
        account_page,
        api,
        api_docs,
        bulk_page,
        calendar_page,
        case_actions_page,
        case_open_page,
        case_page,
        cases_page,
        comments_page,
        files_page,
        imports_page,
        lists_page,
        obligations_page,
        orgs_page,
        outbox_page,
        overview_page,
        people_page,
        registers_page,
        saved_views_page,
        work_page,
    )
    from web.kit.parts import Parts, compose
    from workflow.core.feature import installed

    # The installed features' pages (their declarations' `web`: workflow/<feature>/web.py …)
    # bring their templates in their own folder (workflow/<feature>/templates/), found after
    # web/templates (the page kit's).
    feature_pages = [module for feature in installed() if feature.web is not None
                     for module in feature.web()]
    folders = (HERE / "templates", *dict.fromkeys(
        Path(m.__file__).parent / "templates" for m in feature_pages
        if (Path(m.__file__).parent / "templates").is_dir()))
    app.state.templates = page_templates(tuple(str(f) for f in folders))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # in the order they are tried (the first route that matches a request answers it); the
    # features' paths are their own (/public, /score, /programmes, /drafts, /forms …)
    from web.kit import health  # /healthz, /readyz, /metrics

    generic = (health.router, api_docs.router, obligations_page.router,
               overview_page.router, work_page.router,
               registers_page.router,  # a page per register, the picker (before /cases/ID)
               cases_page.router,
               account_page.router,  # signing in, her language, her account, feeds, tokens
               lists_page.router,  # overdue, due soon, their export, /orgs/suggest
               case_page.router, case_actions_page.router,  # one case, what is recorded on it
               case_open_page.router,  # (after the actions: /cases/ID/events before /cases/new/P)
               calendar_page.router, outbox_page.router,
               api.router,
               files_page.router, files_page.api_router,  # a case's evidence files
               bulk_page.router, bulk_page.api_router,  # work in bulk
               comments_page.router, comments_page.api_router,  # comments, hand-over
               imports_page.router,  # a register's file imported from the web
               orgs_page.router,  # an organisation's page, its headcount (after /orgs/suggest)
               people_page.router,  # people in bulk, a reset, an invitation's link
               saved_views_page.router, saved_views_page.api_router)  # saved views
    # what the features' page modules declare (their `PARTS`, web/kit/parts.py): their routers
    # and the parts of the shared pages they fill; the reader's saved views come first in the
    # menu (web/kit/page.py)
    parts = compose([Parts(menu=saved_views_page.MENU_PART), *(m.PARTS for m in feature_pages)])
    for router in (*generic, *parts.routers):
        app.include_router(router)
    app.state.parts = parts
    # what the features start when the application starts serving (`merzim serve`'s lifespan;
    # each returns at once, its work in the background: /readyz says "started" once every
    # such work has ended, web/kit/health.py)
    app.state.starting = []
    for start in parts.startup:
        app.router.on_startup.append(functools.partial(_start, start, app))
    # each installed feature's own state in the application, which it alone keeps (by its name)
    app.state.features = {feature.name: {} for feature in installed()}

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired):
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(nxt, safe='/')}", status_code=303)

    @app.exception_handler(ApiAuthRequired)
    async def _api_auth(request: Request, _exc: ApiAuthRequired):
        return error_page(request, 401, "unauthorised", headers={"WWW-Authenticate": "Bearer"},
                          database=False)

    # The handlers that may read or write the database (the refusal's audit record, the
    # reader's menu on the error page) are `def`: Starlette runs them in its worker threads, as
    # FastAPI runs the routes; only those that never ask it are `async` (web/kit/loop_guard.py).
    @app.exception_handler(MerzimError)
    def _domain(request: Request, exc: MerzimError):
        code = status_of(exc)
        if getattr(exc, "audited", False):  # some routes audit their refusals in detail
            return error_page(request, code, exc.key, lambda t: web_message(exc, t))
        return audited_error_page(request, code, exc.key, lambda t: web_message(exc, t))

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception):
        """A failure no handler knows (a bug, a database gone): the error page in the layout, no
        traceback; the server's log keeps the details (Starlette logs the exception after)."""
        return error_page(request, 500, "error.unexpected_web")

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException):
        """No such address (or method): an HTML page for a browser, JSON for the API."""
        key = {404: "notfound.page", 405: "error.method",
               429: "error.rate_limited"}.get(exc.status_code, "error.invalid")
        return error_page(request, exc.status_code, key, headers=getattr(exc, "headers", None))

    def _usage(request: Request, key: str, **params) -> Response:
        exc = UsageError(key=key, **params)
        return _domain(request, exc)

    @app.exception_handler(CalendarError)
    def _calendar(request: Request, exc: CalendarError):
        """A date outside the calendar's years (e.g. a page's as_of): 422, not 500."""
        return _usage(request, "error.date_outside", first=calendar.first_year,
                            last=calendar.last_year, detail=str(exc))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    def _out_of_range(request: Request, exc: Exception):
        """A number no column holds (an id above 2^63), or text PostgreSQL cannot store (a NUL
        character): 422, not 500."""
        if "nul" in str(getattr(exc, "orig", exc)).lower():
            return _usage(request, "error.nul_in_input")
        return _usage(request, "error.number_out_of_range")

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError):
        """A lock not taken within its bound (`[database] busy_seconds`: SQLite's busy timeout,
        PostgreSQL's lock_timeout; a long import or another process holds the writers' lock): 503
        and Retry-After, not 500, nothing stored. A connection lost (PostgreSQL restarted, its
        backend terminated) or refused: 503 and Retry-After, a read tried once more first
        (web/kit/limits.py); a write's answer says what became of it: nothing committed (send it
        again), committed (`error.db_lost_saved`) or lost while committing
        (`error.db_lost_unknown`: the same request with the same idempotency key tells). Any other
        database failure stays a 500."""
        if busy(exc):  # another writer held the lock past [database] busy_seconds
            return plain_refusal(request, "error.db_busy", 503,
                                 {"Retry-After": "5", "Cache-Control": "no-store"})
        if not exc.connection_invalidated and engine.dialect.name != "postgresql":
            raise exc
        headers = {"Retry-After": "5", "Cache-Control": "no-store"}
        if request.method in ("GET", "HEAD"):
            headers[limits.RETRY_HEADER.decode()] = "1"
        else:  # a write: whether it landed, as far as this process knows
            from workflow.services import transactions as tx

            state = request.scope.get("state")
            s = state.get(DB_SESSION) if isinstance(state, dict) else None
            done = s.info if s is not None else {}
            if done.get(tx.COMMITTING):  # the commit was under way: it may have landed
                return once.lost_unknown(request)
            if done.get(tx.COMMITTED):  # it landed; the answer was being built
                return plain_refusal(request, "error.db_lost_saved", 503,
                                     {"Cache-Control": "no-store"})
        return plain_refusal(request, "error.db_unavailable", 503, headers)

    def plain_refusal(request: Request, key: str, code: int, headers: dict | None = None):
        """A refusal answered without the database (it is busy, or the input cannot reach it)."""
        return error_page(request, code, key, headers=headers, database=False)

    # A NUL character in the address or a form/JSON body: 422 on every backend (`NoNul`)
    app.add_middleware(NoNul, refuse=lambda request: plain_refusal(
        request, "error.nul_in_input", 422))
    # a write with an idempotency key: done once, its answer kept with it (web/kit/once.py);
    # inside the body cap, which bounds what it reads of a form
    once.install(app, engine)
    loop_guard.install(engine)  # no statement of this engine on the event loop

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError):
        parts, fields, long = [], [], {}
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg')}")
            if where and err.get("type") == "string_too_long":  # its limit: its column's
                long[where] = (err.get("ctx") or {}).get("max_length")
            elif where:
                fields.append(where)
        if wants_json(request):
            audit_refusal(request, "error.invalid", 422)
            # the message names the fields in the reader's language (a text too long with its
            # limit); pydantic's own words (in English) are the details, for the
            # client's developer
            t = Translator(language(request))
            said = [t("error.too_long", field=f, limit=n) for f, n in long.items()]
            if fields or not said:
                said.append(t("error.invalid_fields", fields=", ".join(dict.fromkeys(fields)))
                            if fields else t("error.invalid"))
            text = " ".join(said)
            return JSONResponse({"error": "error.invalid", "message": text,
                                 "details": parts or ["invalid input"]}, status_code=422)
        return audited_error_page(request, 422, "error.invalid")

    # no body passes its route's cap, not even into _no_nul above (web/kit/limits.py); a
    # refusal still gets the headers below
    app.add_middleware(limits.BodyLimit, max_bytes=settings.files.max_bytes)

    app.add_middleware(SafetyHeaders)

    # outermost first: the request counts see every answer; a read that lost its database
    # connection is tried once more (web/kit/limits.py)
    app.add_middleware(limits.RetryLostConnection)
    app.add_middleware(health.RequestMetrics)

    def audit_refusal(request: Request, key: str, code: int, s: Session | None = None,
                      ) -> tuple[User, WebSession, Organisation | None] | None:
        """Every refused request is in the audit log, with who asked (when known); the
        browser's session found (None: none live), for the error page to show her menu without
        reading it again (in `s`, opened here when not given)."""
        from workflow.services import accounts as auth
        from workflow.services import transactions as tx

        if s is None:
            with Session(engine) as own:
                return audit_refusal(request, key, code, own)
        who = "anonymous"
        found = auth.signed_in(s, request.cookies.get(SESSION_COOKIE))
        header = request.headers.get("authorization", "")
        if found is not None:
            who = found[0].login
        elif header.lower().startswith("bearer "):
            user = auth.api_user(s, header[7:].strip())
            who = user.login if user else "bad-token"
        tx.audited(s, f"web:{who}", "refused", "request", request.method,
                   {"path": redacted(request.url.path)[:200], "key": key, "status": code})
        return found

    def audited_error_page(request: Request, code: int, key: str,
                           message: Callable[[Translator], str] | None = None) -> Response:
        """`audit_refusal`, then the error page: one database session for both, the reader
        looked up once (the audit's record is committed first, as before)."""
        with Session(engine, expire_on_commit=False) as s:
            found = audit_refusal(request, key, code, s)
            return error_page(request, code, key, message, reader=(s, found))

    return app


def app_factory() -> FastAPI:
    """The application of one web process (`merzim serve` hands uvicorn this import string, so
    every process builds its own from the same environment and config.toml)."""
    from workflow.installed import install
    from workflow.services import runtime
    from workflow.settings import load_settings

    install()  # before the settings: the features read their own tables of config.toml
    settings = load_settings()
    app = create_app(settings, runtime.engine(settings), runtime.calendar(settings),
                     runtime.registry(settings))
    freeze_startup()
    return app


def _start(start: Any, app: FastAPI) -> None:
    """A feature's start-up work begun; the thread it runs in (if any) noted in
    `app.state.starting`, which /readyz's "started" reads."""
    thread = start(app)
    if thread is not None:
        app.state.starting.append(thread)


def freeze_startup() -> None:
    """What building the application made (modules, table models, routes, templates' globals,
    the definitions) lives as long as the process: set it aside from the cycle collector's
    passes (`gc.freeze`), in the process that serves, after its app is built (uvicorn calls
    `app_factory` in each web process). Without it every full pass walks those objects again:
    one page in ~11 paid a 34-39 ms collection at 1,000,000 stage rows (bench/web/RESULTS.md)."""
    import gc

    gc.collect()  # start-up's own garbage is freed, not frozen
    gc.freeze()
