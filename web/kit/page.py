"""The page kit every router uses: the page's context (who, language, "as of"), rendering a
template with the menu, the CSRF check, numbers and dates typed in a query or a form, and
downloads (an export's table, a file's name). Routers live beside it (web/*.py) and in the
features (workflow/<feature>/web.py); this module serves them all and imports none of them."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, overload

from cachetools import LRUCache
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape
from sqlmodel import Session

from web.kit import exports, views
from web.kit.deps import (
    LANG_OFFER_COOKIE,
    SESSION_COOKIE,
    PageContext,
    db,
    language,
    make_context,
    page_viewer,
    with_session_in_one_thread,
)
from workflow.core.dates import parse_day
from workflow.core.errors import MerzimError, RuleViolation, UsageError
from workflow.i18n import LANGUAGES, Translator
from workflow.services import transactions as tx


def secure(request: Request) -> bool:
    """Secure cookies over HTTPS: directly, or behind a proxy listed in `[web] trusted_proxies`
    (uvicorn takes the scheme from its `X-Forwarded-Proto` then, and only then: a client cannot
    claim HTTPS by sending the header itself)."""
    return request.url.scheme == "https"


def set_session_cookie(request: Request, resp: Any, token: str) -> None:
    """The browser session's cookie (a sign-in's, a password chosen or changed)."""
    from workflow.services.accounts import SESSION_SECONDS

    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure(request),
                    max_age=SESSION_SECONDS)


def page(request: Request, s: Session = Depends(db)) -> PageContext:
    viewer, row = page_viewer(request, s)
    lang = language(request, viewer)
    as_of = request.query_params.get("as_of")
    day = None
    if as_of and request.method not in ("GET", "HEAD"):
        # "As of" is for looking at another day; recording always happens today, or the
        # rule "not in the future" could be turned off from the address bar.
        raise UsageError(key="error.as_of_read_only")
    if as_of:
        day = parse_day(as_of, "as_of", strip=False)
        cal = request.app.state.calendar
        if not cal.first_year <= day.year <= cal.last_year:
            raise UsageError(key="error.year_outside", year=day.year, first=cal.first_year,
                             last=cal.last_year)
    return PageContext(viewer, row, s, make_context(request, viewer, lang, day), Translator(lang))


def in_one_thread(request: Request, route: Callable[[Request, PageContext], Response]
                  ) -> Awaitable[Response]:
    """A page read in one worker thread, for an `async def` route (the lists' pages, read the
    most): the request's session, the reader's context (`page`) and `route(request, context)`
    (`deps.with_session_in_one_thread`: one hand-over to the thread pool, not four)."""
    return with_session_in_one_thread(request, lambda s: route(request, page(request, s)))


def render(request: Request, pc: PageContext | None, name: str, status: int = 200,
           **values: Any) -> HTMLResponse:
    t = pc.t if pc else Translator(language(request))
    base = {"t": t, "_": t, "gettext": t.gettext, "ngettext": t.ngettext, "lang": t.language,
            "viewer": pc.viewer if pc else None,
            "csrf": pc.session_row.csrf if pc else "", "today": pc.ctx.today if pc else None,
            "path": request.url.path, "query": request.url.query, "languages": LANGUAGES,
            # the menu's overdue counts: computed here once for every page (two COUNTs; one
            # when the page has counted the viewer's overdue stages: `menu_overdue`)
            "menu_counts": views.menu_counts(pc.s, pc.ctx, pc.viewer,
                                             values.pop("menu_overdue", None)) if pc else None}
    # the language chosen on the sign-in page, offered to save as the profile's (web/account_page.py)
    offer = request.cookies.get(LANG_OFFER_COOKIE) if pc else None
    base["lang_offer"] = (offer if offer == t.language and offer != pc.viewer.user.language
                          else None) if pc else None
    extra = values.pop("menu_extra", None)  # the features' menu counts, when the page has them
    counts = base["menu_counts"]
    if pc is not None and isinstance(counts, dict):  # the features' (the bell: web/app.py)
        for part in request.app.state.parts.menu:
            given = extra is not None and not getattr(part, "always", False)
            counts.update(extra if given else part.counts(request, pc))
        if not values.keys() & _HEADER_READS:  # (a page giving its own: rendered in place)
            base["header"] = header(request, pc, base)
    return request.app.state.templates.TemplateResponse(request, name, {**base, **values},
                                                        status_code=status)


# The pages' headers (_header.html: the menu with its counts, the reader, the languages), by
# everything they show, the CSRF token of the sign-out form left out (put in each time):
# bounded in entries, per application (its templates).
HEADERS = 256
_CSRF_MARK = "\x00csrf\x00"
_HEADER_READS = frozenset(("t", "_", "gettext", "ngettext", "lang", "viewer", "csrf", "path",
                           "query", "languages", "menu_counts", "request", "header"))


def header(request: Request, pc: PageContext, base: dict[str, Any]) -> Markup:
    """_header.html for the page `base` is the context of, rendered once per content: kept by
    what it shows -- the language, the address (the current page's link, the languages'
    links), the reader (her account, name, role, organisation) and the menu's counts (hers:
    overdue, her own work, the bell, her saved views with theirs) -- with her session's CSRF
    token put in (the very markup the template renders with it)."""
    viewer = pc.viewer
    key = (base["lang"], base["path"], base["query"], viewer.user.id, viewer.user.full_name,
           viewer.role, viewer.org.id, viewer.org.code, viewer.org.name,
           _frozen(base["menu_counts"]))
    state = request.app.state
    with _FRAGMENTS_LOCK:
        cache = getattr(state, "headers", None)
        if cache is None:
            cache = state.headers = LRUCache(HEADERS)
        found = cache.get(key)
    if found is None:
        found = state.templates.env.get_template("_header.html").render(
            {**base, "csrf": _CSRF_MARK, "request": request})
        with _FRAGMENTS_LOCK:
            cache[key] = found
    return Markup(found.replace(_CSRF_MARK, str(escape(base["csrf"]))))


def _frozen(value: Any) -> Any:
    """`value` (the menu's counts: numbers, strings, lists and dicts of them) as a key."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


# The tables of stage rows rendered (`stage_table`), by everything they show: bounded in
# entries, per application (its templates).
TABLE_FRAGMENTS = 64  # (and as many by the rows' identities)
_FRAGMENTS_LOCK = threading.Lock()


def stage_table(request: Request, t: Translator, groups: list[tuple[Any, list[Any]]],
                days_key: str, days_label: str, select: bool = False,
                staffless: frozenset[str] = frozenset()) -> Markup:
    """The markup of _rows.html's `stage_table` macro for `groups` ((organisation, rows) or
    (None, rows): `views.grouped`), rendered once per content: kept by what the table shows
    -- each group's organisation (code and name) and its rows (frozen StageRows, compared
    field by field), the language, the days' column and its label, the checkboxes, the
    organisations without an officer -- so a kept list's page renders its 50 rows once, and
    a table kept is the very markup the macro renders for the same rows (a kept list's rows
    are first found by their identities: the same row objects, no field hashed). The table holds
    nothing of the reader's own (no name, no CSRF token: the bulk form's token is outside
    it)."""
    head = (t.language, days_key, days_label, select, frozenset(staffless))
    orgs = tuple(None if org is None else (org["code"], org["name"]) for org, _items in groups)
    rows = tuple(tuple(items) for _org, items in groups)
    # first by the rows' identities (a kept list's page: the very rows of the last page, no
    # row's fields hashed), then by their fields
    same = (*head, orgs, tuple(tuple(map(id, items)) for items in rows))
    state = request.app.state
    with _FRAGMENTS_LOCK:
        cache = getattr(state, "table_fragments", None)
        if cache is None:
            cache = state.table_fragments = LRUCache(TABLE_FRAGMENTS)
            state.table_fragments_by_rows = LRUCache(TABLE_FRAGMENTS)
        by_rows = state.table_fragments_by_rows
        found = by_rows.get(same)
        if found is not None and all(a is b for kept, now in zip(found[0], rows, strict=True)
                                     for a, b in zip(kept, now, strict=True)):
            return found[1]
        key = (*head, tuple(zip(orgs, rows, strict=True)))
        table = cache.get(key)
    if table is None:
        module = state.templates.env.get_template("_rows.html").module
        table = Markup(module.stage_table(groups, t, days_key, days_label, select=select,
                                          staffless=staffless))
        with _FRAGMENTS_LOCK:
            cache[key] = table
    with _FRAGMENTS_LOCK:
        by_rows[same] = (rows, table)  # (the rows held: their ids name no other rows meanwhile)
    return table


def check_csrf(pc: PageContext, token: str | None) -> None:
    if not token or not secrets.compare_digest(token, pc.session_row.csrf):
        tx.refused(pc.s, f"web:{pc.viewer.login}", "refused.csrf", "user", pc.viewer.user.id, {})
        exc = RuleViolation("CSRF token missing or wrong", key="error.csrf")
        exc.audited = True
        raise exc


@contextmanager
def audited_refusal(who: Any, action: str, target: str, ident: Any,
                    detail: dict[str, Any]) -> Iterator[None]:
    """A refusal of what the block does, audited (`refused.ACTION` of the target, with `detail`
    and the refusal's key), then raised; `who`: the page's or the API's context."""
    try:
        yield
    except MerzimError as exc:
        tx.refused(who.s, who.ctx.actor, f"refused.{action}", target, ident,
                   {**detail, "key": exc.key})
        exc.audited = True
        raise


def page_number(request: Request) -> int:
    """The ?page= of a list (1 when absent); anything but 1, 2, … is a usage error."""
    value = request.query_params.get("page") or "1"
    if not value.isdigit() or int(value) < 1:
        raise UsageError(key="error.bad_page", value=value)
    return int(value)


MAX_INT = 2**63 - 1  # the largest number a database column holds
MAX_FIELD = 500  # the longest text a form's field holds (an event's evidence is checked apart)


@overload
def int_param(value: str | None, what: str, default: int) -> int: ...
@overload
def int_param(value: str | None, what: str, default: None = None) -> int | None: ...
def int_param(value: str | None, what: str, default: int | None = None) -> int | None:
    """A whole number typed in a query or a form (`default` when none was typed)."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise UsageError(key="error.bad_int", what=what, value=value) from None
    if abs(number) > MAX_INT:
        raise UsageError(key="error.out_of_range", what=what, value=value)
    return number

def path_int(value: str, what: str) -> int:
    """A whole number in the address's path (a route matches only a part that is there)."""
    number = int_param(value, what)
    if number is None:
        raise UsageError(key="error.bad_int", what=what, value=value)
    return number


def export(fmt: str, stem: str, title: str, header: list[str], body: list[list[Any]]) -> Response:
    if fmt == "xlsx":
        data = exports.table_xlsx(title, header, body)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        data, media = exports.table_csv(header, body), "text/csv; charset=utf-8"
    else:
        raise UsageError(key="error.bad_format", value=fmt)
    return Response(data, media_type=media,
                    headers={"Content-Disposition": attachment(f"{stem}.{fmt}")})


def attachment(filename: str) -> str:
    """Content-Disposition for a download: an ASCII name for old clients, the real one in
    RFC 5987's filename* (organisation codes may hold Cyrillic letters or quotes)."""
    from urllib.parse import quote

    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"

def form_day(pc: PageContext, text: str) -> date:
    """A date typed in a form (YYYY-MM-DD), or the form's refusal naming it."""
    return parse_day(text, pc.t("form.date"))
