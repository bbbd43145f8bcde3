"""What every request needs: the database session, the viewer, the language, the service context."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from fastapi import Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from web.kit.access import Viewer, person_rule
from workflow.i18n import LANGUAGES, Translator
from workflow.services import Context
from workflow.services import accounts as auth
from workflow.services.context import report_settings

T = TypeVar("T")
SESSION_COOKIE = "merzim_session"
LOGIN_CSRF_COOKIE = "merzim_login_csrf"
LANG_COOKIE = "merzim_lang"
# the language chosen on the sign-in page when it differs from the profile's: the pages offer to
# save it (web/account_page.py, `save_language`) until she answers
LANG_OFFER_COOKIE = "merzim_lang_offer"
CASES_COOKIE = "merzim_cases"  # the cases list's filters, remembered (web/cases_page.py)


class LoginRequired(Exception):
    """A page was asked for without a session: send the browser to /login."""


class ApiAuthRequired(Exception):
    """An API call without a valid token: 401."""


DB_SESSION = "merzim.session"  # scope["state"]: the request's session (web/app.py's handlers)
IDEMPOTENCY = "merzim.idempotency"  # scope["state"]: a write with a key (web/kit/once.py)


def db(request: Request) -> Iterator[Session]:
    """The request's database session; a write with an idempotency key takes its key first
    (`web.kit.once.Pending.begin`)."""
    with request_session(request) as s:
        yield s


def with_session_in_one_thread(request: Request, work: Callable[[Session], T]) -> Awaitable[T]:
    """`work(the request's session)` in one worker thread, for an `async def` route: a route
    declared with `def` and its session, reader and context as dependencies passes between
    the event loop and the thread pool four times (the session opened, the context, the route,
    the session closed), each a thread's wake-up and a GIL hand-over that costs about as much
    CPU as a small query; here once (web/kit/page.py `in_one_thread` for a page, web/kit/api.py
    `in_one_thread` for the API). What `work` raises reaches the application's handlers as
    from any route."""
    def run() -> T:
        with request_session(request) as s:
            return work(s)
    return run_in_threadpool(run)


@contextmanager
def request_session(request: Request) -> Iterator[Session]:
    """The request's database session (`db`, and `with_session_in_one_thread`)."""
    s = Session(request.app.state.engine, expire_on_commit=False)
    state = request.scope.get("state")
    pending = state.get(IDEMPOTENCY) if isinstance(state, dict) else None
    if isinstance(state, dict):
        state[DB_SESSION] = s
    try:
        if pending is not None:
            pending.begin(s)
        yield s
    finally:
        if pending is not None:
            pending.end()
        s.close()


def today(request: Request) -> date:
    return app_today(request.app)


def app_today(app: Any) -> date:
    """The application's today: MERZIM_TODAY when pinned, else the day in its time zone."""
    pinned = os.environ.get("MERZIM_TODAY")
    if pinned:
        return date.fromisoformat(pinned)
    return datetime.now(app.state.settings.tz).date()


def language(request: Request, viewer: Viewer | None = None) -> str:
    """The reader's language: ?lang=, else the language cookie (the links kk/ru/en), else the
    viewer's own, else the browser's Accept-Language, else the server's default."""
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if lang in LANGUAGES:
        return lang
    if viewer is not None and viewer.user.language in LANGUAGES:
        return viewer.user.language
    default = request.app.state.settings.language
    return accepted_language(request.headers.get("accept-language", ""), default) or default


def accepted_language(header: str, default: str) -> str | None:
    """The best of kk, ru, en by an Accept-Language header (RFC 9110: q-values, a region
    ignored, "*" any, i.e. `default`; the first listed wins a tie); None when it accepts none
    of them."""
    best, best_q = None, 0.0
    for part in header.split(",")[:50]:
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        base = tag.strip().lower().split("-")[0]
        code = default if base == "*" else base
        if code in LANGUAGES and 0 < q <= 1 and q > best_q:
            best, best_q = code, q
    return best


@dataclass
class PageContext:
    viewer: Viewer
    session_row: auth.WebSession
    s: Session
    ctx: Context
    t: Translator


def page_viewer(request: Request, s: Session) -> tuple[Viewer, auth.WebSession]:
    found = auth.signed_in(s, request.cookies.get(SESSION_COOKIE))  # (one SELECT)
    if found is None:
        raise LoginRequired()
    user, row, org = found
    return Viewer(user, org), row  # type: ignore[arg-type]  # (as `viewer_for`: her org)


def make_context(request: Request, viewer: Viewer | None, lang: str, as_of: date | None = None,
                 ) -> Context:
    return app_context(request.app, viewer, lang, as_of)


def app_context(app: Any, viewer: Viewer | None, lang: str, as_of: date | None = None
                ) -> Context:
    """A request's context (`make_context`) from the application alone: what a page of the
    reader `viewer` (None: none signed in) in `lang` reads on `as_of` (today)."""
    st = app.state
    actor = f"web:{viewer.login}" if viewer else "web"
    return Context(st.calendar, st.registry, as_of or app_today(app), actor=actor, language=lang,
                   own_off=st.settings.own_deadlines_off,
                   process_orgs=st.settings.process_orgs,
                   **report_settings(st.settings), public_url=st.settings.web.public_url,
                   sees_person=person_rule(viewer))


def api_viewer(request: Request, s: Session) -> Viewer:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    found = auth.api_signed_in(s, token)  # (one SELECT)
    if found is None:
        raise ApiAuthRequired()
    return Viewer(*found)  # type: ignore[arg-type]  # (as `viewer_for`: her organisation)
