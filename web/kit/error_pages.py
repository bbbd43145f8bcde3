"""Refusals and errors as the reader meets them: JSON under /api, else a page inside the layout
(menu, languages) in the reader's language, with the web's wording of the message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from web.kit.deps import SESSION_COOKIE, language, make_context
from workflow.core.errors import MerzimError
from workflow.i18n import LANGUAGES, Translator

log = logging.getLogger(__name__)
# A heading per status a page may answer with (anything else: the generic one).
HEADINGS = {400, 401, 403, 404, 405, 409, 422, 500, 503}


def wants_json(request: Request) -> bool:
    """The API's addresses, and a client that does not ask for HTML (curl, a script)."""
    if request.url.path.startswith("/api/") or request.url.path in ("/api", "/openapi.json"):
        return True
    accept = request.headers.get("accept", "")
    return bool(accept) and "text/html" not in accept and "*/*" not in accept


def web_message(exc: MerzimError, t: Translator) -> str:
    """The message of a domain error in a page's words: a `web.<key>` text where the shared one
    speaks of the command line (`--within …`), else the shared one; a field named by `what`
    ("year", "within") in the reader's words; keys a definition labelled, by their names."""
    what = exc.params.get("what")
    if isinstance(what, str) and "what" not in exc.labels:
        exc.labels["what"] = f"web.what.{what}"  # (no such entry: the name as given)
    key = exc.key
    if t(f"web.{key}", default=None) is None:
        return exc.render(t)
    exc.key = f"web.{key}"
    try:
        return exc.render(t)
    finally:
        exc.key = key


def error_page(request: Request, code: int, key: str,
               message: Callable[[Translator], str] | None = None,
               headers: dict[str, str] | None = None, params: dict[str, Any] | None = None,
               database: bool = True, reader: tuple[Any, Any] | None = None) -> Response:
    """The refusal `key` as JSON for the API, or as the error page, in the reader's language:
    `message(t)` renders it (default: the catalogue's `web.<key>` or `<key>` with `params`).
    `database=False` when the database cannot be asked who is reading (it is busy): the page
    then shows no menu. `reader`: a database session and what `accounts.signed_in` found in
    it for the session cookie, already (the refusal's audit looked), not to read it again."""
    if database and request.cookies.get(SESSION_COOKIE):
        try:
            if reader is not None:
                return _answer(request, code, key, message, headers, params, *reader)
            from sqlmodel import Session

            with Session(request.app.state.engine) as s:
                return _answer(request, code, key, message, headers, params, s, _LOOK)
        except Exception:  # noqa: BLE001 - the error page must show even when this fails
            log.warning("error page: the session could not be read", exc_info=True)
    return _answer(request, code, key, message, headers, params, None, None)


_LOOK = object()  # (`_answer`: the reader is to be looked up)


def _answer(request: Request, code: int, key: str,
            message: Callable[[Translator], str] | None,
            headers: dict[str, str] | None, params: dict[str, Any] | None, s,
            found: Any) -> Response:
    if s is None:
        viewer, csrf = None, ""
    else:
        viewer, csrf = _viewer(request, s, found)
    t = Translator(language(request, viewer))
    text = (message or (lambda tr: web_message(MerzimError(key=key, **(params or {})), tr)))(t)
    if wants_json(request):
        return JSONResponse({"error": key, "message": text}, status_code=code,
                            headers=headers)
    heading = t(f"web.error_heading_{code if code in HEADINGS else 'other'}")
    values = {"t": t, "_": t, "gettext": t.gettext, "ngettext": t.ngettext,
              "lang": t.language, "viewer": viewer, "csrf": csrf, "today": None,
              "path": request.url.path, "query": "", "languages": LANGUAGES,
              "message": text, "code": code, "heading": heading,
              "menu_counts": _menu_counts(request, s, viewer, t.language)}
    return request.app.state.templates.TemplateResponse(request, "error.html", values,
                                                        status_code=code, headers=headers)


def _menu_counts(request: Request, s, viewer, lang: str) -> dict[str, int] | None:
    """The menu's overdue counts, as on every page, for a signed-in reader; none when they
    cannot be counted (the error may be the database's, or the address's `as_of`)."""
    if viewer is None:
        return None
    from web.kit import views

    try:
        return views.menu_counts(s, make_context(request, viewer, lang), viewer)
    except Exception:  # noqa: BLE001 - the error page must show even when this fails
        log.info("error page: the menu's counts could not be read", exc_info=True)
        return None


def _viewer(request: Request, s, found: Any):
    """Who is reading (for the menu), when the session cookie is a live session (`found`: what
    `accounts.signed_in` answered for it, or `_LOOK` to ask it now)."""
    from web.kit.access import Viewer
    from workflow.services import accounts as auth

    if found is _LOOK:
        found = auth.signed_in(s, request.cookies.get(SESSION_COOKIE))
    if found is None:
        return None, ""
    user, row, org = found
    return Viewer(user, org), row.csrf
