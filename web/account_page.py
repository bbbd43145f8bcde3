"""Signing in and out, the reader's language, her account: password, Telegram, calendar feeds
and API tokens."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlmodel import Session

from web.kit.access import visible_org
from web.kit.deps import (
    CASES_COOKIE,
    LANG_COOKIE,
    LANG_OFFER_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    PageContext,
    db,
    language,
)
from web.kit.error_pages import wants_json
from web.kit.page import (
    MAX_FIELD,
    check_csrf,
    page,
    path_int,
    render,
    secure,
    set_session_cookie,
)
from workflow import services as svc
from workflow.core.errors import MerzimError, UsageError
from workflow.i18n import LANGUAGES, Translator
from workflow.services import accounts as auth
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/"):  # noqa: A002 - the query parameter's name
    token = secrets.token_urlsafe(24)
    resp = render(request, None, "login.html", csrf=token, next=_safe_next(next), error=None,
                  chosen=_chosen_language(request))
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                    secure=secure(request), max_age=3600)
    return resp


def _chosen_language(request: Request, form_value: str = "") -> str | None:
    """The language the reader chose on the sign-in page (its ?lang=, the form's copy of it, or
    the language switch's cookie); None when she chose none (the browser's or the server's)."""
    for lang in (form_value, request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if lang in LANGUAGES:
            return lang
    return None


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


@router.post("/login")
def login(request: Request, login: str = Form(""), password: str = Form(""),
          csrf: str = Form(""), next: str = Form("/"),  # noqa: A002
          lang: str = Form(""), s: Session = Depends(db)):
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    chosen = _chosen_language(request, lang)
    t = Translator(chosen or language(request))
    if not cookie or not csrf or not secrets.compare_digest(cookie, csrf):
        return render(request, None, "login.html", status=403, csrf=cookie, next=_safe_next(next),
                      error=t("error.csrf"), chosen=chosen, t=t, _=t, lang=t.language)
    try:
        with tx.transaction(s):  # a failure is counted (and stored) even though it is refused
            result = auth.authenticate(s, login[:100], password)
    except auth.SignInBusy as busy:  # nothing was checked or stored: try again in a moment
        return _signin_busy(request, busy, t, cookie, next, chosen)
    if result.user is None:
        message = t(result.error or "login.failed", minutes=result.minutes)
        return render(request, None, "login.html", status=401, csrf=cookie,
                      next=_safe_next(next), error=message, chosen=chosen, t=t, _=t,
                      lang=t.language)
    with tx.transaction(s):
        token, _row = auth.open_session(s, result.user)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, resp, token)
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    # the page's chosen language wins over the profile's; the pages offer to save it
    if (chosen and chosen != result.user.language
            and request.cookies.get(LANG_OFFER_COOKIE) != f"kept:{chosen}"):
        if request.cookies.get(LANG_COOKIE) != chosen:  # chosen by ?lang= on the sign-in page
            resp.set_cookie(LANG_COOKIE, chosen, samesite="lax", secure=secure(request),
                            max_age=365 * 86400)
        resp.set_cookie(LANG_OFFER_COOKIE, chosen, httponly=True, samesite="lax",
                        secure=secure(request), max_age=auth.SESSION_SECONDS)
    elif chosen == result.user.language:
        resp.delete_cookie(LANG_OFFER_COOKIE)
    return resp


def _signin_busy(request: Request, busy: auth.SignInBusy, t: Translator, cookie: str,
                 next: str, chosen: str | None):  # noqa: A002
    """503 with Retry-After: the sign-in page (or JSON for a client that asks for it) saying
    to try again in a moment, the form kept."""
    headers = {"Retry-After": str(busy.retry_after), "Cache-Control": "no-store"}
    message = busy.render(t)
    if wants_json(request):
        return JSONResponse({"error": busy.key, "message": message}, status_code=503,
                            headers=headers)
    resp = render(request, None, "login.html", status=503, csrf=cookie, next=_safe_next(next),
                  error=message, chosen=chosen, t=t, _=t, lang=t.language)
    resp.headers.update(headers)
    return resp


@router.post("/account/language")
def save_language(request: Request, csrf: str = Form(""), lang: str = Form(""),
                  answer: str = Form(""), next: str = Form("/"),  # noqa: A002
                  pc: PageContext = Depends(page)):
    """The answer to the offer made after signing in: save the page's language as her profile's
    (audited as any change of a user), or keep the profile as it is; the offer goes either way."""
    check_csrf(pc, csrf)
    if lang not in LANGUAGES:
        raise UsageError(key="error.bad_language", value=lang)
    if answer == "save" and lang != pc.viewer.user.language:
        with tx.transaction(pc.s):
            svc.update_user(pc.s, pc.ctx, pc.viewer.login, language=lang)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    if answer == "save":
        resp.delete_cookie(LANG_OFFER_COOKIE)
    else:  # kept: not offered again at the next sign-in in this language
        resp.set_cookie(LANG_OFFER_COOKIE, f"kept:{lang}", httponly=True, samesite="lax",
                        secure=secure(request), max_age=365 * 86400)
    return resp


@router.post("/logout")
def logout(request: Request, csrf: str = Form(""), pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)
    with tx.transaction(pc.s):
        auth.close_session(pc.s, request.cookies.get(SESSION_COOKIE, ""))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    resp.delete_cookie(CASES_COOKIE, path="/cases")  # the filters she searched with
    return resp


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/"):  # noqa: A002
    if code not in LANGUAGES:
        raise UsageError(key="error.bad_language", value=code)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(LANG_COOKIE, code, samesite="lax", secure=secure(request),
                    max_age=365 * 86400)
    return resp


@router.get("/")
def home(pc: PageContext = Depends(page)):
    # Whoever's lists are her own organisation's alone (an officer: visibility.own_only) lands
    # on her own work (web/work_page.py); those who see below land on their subtree's overview
    # (web/overview_page.py; their own work is one click away).
    return RedirectResponse("/work" if pc.viewer.own_only else "/overview",
                            status_code=303)


# -- calendar feeds and API tokens ---------------------------------------------------------------------


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, pc: PageContext = Depends(page)):
    return _account(request, pc)


def _account(request: Request, pc: PageContext, new_feed: str | None = None,
             new_token: str | None = None, status: int = 200, **shown: Any) -> HTMLResponse:
    feeds = auth.live_feeds(pc.s, pc.viewer.user)
    tokens = auth.live_tokens(pc.s, pc.viewer.user)
    orgs = [o for o in svc.list_orgs(pc.s, pc.viewer.org.code) if pc.viewer.sees_org(o)]
    # the address people reach the pages at ([web] public_url, as the proxy publishes them,
    # its port included); else the request's own
    base = request.app.state.settings.web.public_url or str(request.base_url).rstrip("/")
    from workflow.services import channels

    shown.setdefault("email_pending", channels.pending_email(pc.s, pc.viewer.user))
    return render(request, pc, "account.html", feeds=feeds, tokens=tokens, orgs=orgs,
                  new_feed=f"{base}/ics/{new_feed}.ics" if new_feed else None,
                  new_token=new_token,
                  org_names=svc.org_names(pc.s), status=status,
                  min_password=auth.MIN_PASSWORD, **shown)


@router.post("/account/feeds", response_class=HTMLResponse)
def create_feed(request: Request, csrf: str = Form(""), scope: str = Form("user"),
                org: str = Form(""), pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)
    if scope not in ("user", "organisation"):
        raise UsageError(key="error.bad_scope", value=scope)
    org_id = visible_org(pc.s, pc.viewer, org).id if scope == "organisation" else None
    with tx.transaction(pc.s):
        token = auth.create_feed(pc.s, pc.viewer.user, scope, org_id)
    return _account(request, pc, new_feed=token)


@router.post("/account/feeds/{feed_id}/revoke")
def revoke_feed(feed_id: str, csrf: str = Form(""), pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)
    with tx.transaction(pc.s):
        auth.revoke_feed(pc.s, pc.viewer.user, path_int(feed_id, "id"))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(request: Request, csrf: str = Form(""), name: str = Form(""),
                 pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)
    with tx.transaction(pc.s):
        token = auth.create_api_token(pc.s, pc.viewer.user, name[:200])
    return _account(request, pc, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: str, csrf: str = Form(""), pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)
    with tx.transaction(pc.s):
        auth.revoke_token(pc.s, pc.viewer.user, path_int(token_id, "id"), f"web:{pc.viewer.login}")
    return RedirectResponse("/account", status_code=303)


# -- her password and Telegram ----------------------------------------------------------------


@router.post("/account/password", response_class=HTMLResponse)
def change_password(request: Request, csrf: str = Form(""), current: str = Form(""),
                    new: str = Form(""), repeated: str = Form(""),
                    pc: PageContext = Depends(page)):
    """Her new password after her current one; her other sessions end, this browser gets a
    new one."""
    from workflow.services import invitations

    check_csrf(pc, csrf)
    try:
        with tx.transaction(pc.s):
            invitations.change_password(pc.s, pc.viewer.user, current[:MAX_FIELD],
                                        new[:auth.MAX_PASSWORD + 1],
                                        repeated[:auth.MAX_PASSWORD + 1])
    except auth.SignInBusy as busy:  # nothing was checked or stored: try again in a moment
        resp = _account(request, pc, status=503, account_error=busy.render(pc.t))
        resp.headers.update({"Retry-After": str(busy.retry_after), "Cache-Control": "no-store"})
        return resp
    except invitations.WrongPassword as exc:  # counted toward the lock-out, as a sign-in's
        auth.wrong_password_refused(pc.s, pc.viewer.user.id, pc.ctx.actor)
        return _account(request, pc, status=422, account_error=exc.render(pc.t))
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.password", "user", pc.viewer.user.id,
                   {"key": exc.key})
        return _account(request, pc, status=422, account_error=exc.render(pc.t))
    with tx.transaction(pc.s):
        token, row = auth.open_session(pc.s, pc.viewer.user)
    pc.session_row = row
    resp = _account(request, pc, account_message=pc.t("accounts.password_changed"))
    set_session_cookie(request, resp, token)
    return resp


@router.post("/account/telegram", response_class=HTMLResponse)
def telegram_code(request: Request, csrf: str = Form(""), pc: PageContext = Depends(page)):
    """A one-time code and the bot's deep link that binds her chat to her."""
    from workflow.services import invitations

    check_csrf(pc, csrf)
    with tx.transaction(pc.s):
        code = invitations.telegram_code(pc.s, pc.viewer.user)
    bot = request.app.state.settings.telegram_bot
    return _account(request, pc, telegram_code=code,
                    telegram_link=f"https://t.me/{bot}?start={code}" if bot else None)


@router.post("/account/telegram/unlink", response_class=HTMLResponse)
def telegram_unlink(request: Request, csrf: str = Form(""), pc: PageContext = Depends(page)):
    from workflow.services import invitations

    check_csrf(pc, csrf)
    with tx.transaction(pc.s):
        invitations.telegram_unlink(pc.s, pc.viewer.user)
    return RedirectResponse("/account", status_code=303)


# -- her position: printed with her name in the documents she is responsible for -------------


@router.post("/account/position", response_class=HTMLResponse)
def position_change(request: Request, csrf: str = Form(""), position: str = Form(""),
                    pc: PageContext = Depends(page)):
    """Her position as the documents print it beside her name (empty: none)."""
    check_csrf(pc, csrf)
    if position.strip() == (pc.viewer.user.position or ""):
        return _account(request, pc)
    try:
        with tx.transaction(pc.s):
            svc.update_user(pc.s, pc.ctx, pc.viewer.login, position=position)
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.user_set", "user", pc.viewer.user.id,
                   {"key": exc.key})
        return _account(request, pc, status=422, account_error=exc.render(pc.t))
    return _account(request, pc, account_message=pc.t("accounts.position_saved"))


# -- her e-mail: a change confirmed by a link sent to the new address --------------------------


@router.post("/account/email", response_class=HTMLResponse)
def email_change(request: Request, csrf: str = Form(""), email: str = Form(""),
                 pc: PageContext = Depends(page)):
    """She asks for a new e-mail address: a link goes to it; the change waits for it."""
    from workflow.services import channels
    from workflow.services.users import check_email

    check_csrf(pc, csrf)
    try:
        with tx.transaction(pc.s):
            address = check_email(email.strip()[:MAX_FIELD])
            channels.request_email_change(pc.s, pc.ctx, pc.viewer.user, address,
                                          _base(request))
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.email_change", "user", pc.viewer.user.id,
                   {"key": exc.key})
        return _account(request, pc, status=422, account_error=exc.render(pc.t))
    return _account(request, pc, account_message=pc.t("channels.email_sent", email=address))


@router.get("/account/email/{token}", response_class=HTMLResponse)
def email_confirm_form(request: Request, token: str, pc: PageContext = Depends(page)):
    """The link of an e-mail change, opened signed in (the sign-in page leads back here): the
    change it asks, to confirm; another's, used or expired link is refused."""
    from workflow.services import channels

    try:
        row = channels.email_change_for(pc.s, pc.viewer.user, token[:100])
    except MerzimError as exc:
        return _account(request, pc, status=410, account_error=exc.render(pc.t))
    resp = _account(request, pc, email_change=row, email_token=token[:100])
    resp.headers["Referrer-Policy"] = "no-referrer"  # the link's token stays on this page
    return resp


@router.post("/account/email/{token}", response_class=HTMLResponse)
def email_confirm(request: Request, token: str, csrf: str = Form(""),
                  pc: PageContext = Depends(page)):
    """Her confirmation: the new address is hers from now on."""
    from workflow.services import channels

    check_csrf(pc, csrf)
    try:
        with tx.transaction(pc.s):
            user = channels.confirm_email_change(pc.s, pc.viewer.user, token[:100])
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.email_change", "user", pc.viewer.user.id,
                   {"key": exc.key})
        return _account(request, pc, status=410, account_error=exc.render(pc.t))
    return _account(request, pc, account_message=pc.t("channels.email_changed",
                                                      email=user.email or ""))


def _base(request: Request) -> str:
    """Where a link sent by e-mail points: [web] public_url, else this request's address."""
    return request.app.state.settings.web.public_url or str(request.base_url).rstrip("/")
