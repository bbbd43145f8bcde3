"""People: an administrator finds the people she administers (each with role, organisation
and status: `services.people`), paged and searched, resends an invitation, deactivates or
reactivates an account, adds people in bulk from an office's own list (a preview first:
logins proposed from e-mails, each row's role to choose, columns ignored named, the file kept
meanwhile as every web import keeps it, `web/kit/staged.py`; then her confirm reads the kept
file again, checks it whole and adds them, inviting each new one by e-mail, through the same
`import_people` the command line calls) and resets a password by sending a new invitation; the invitation's
one-time link, where the person chooses her password."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from web.kit import staged, uploads, views
from web.kit.access import require_admin
from web.kit.deps import LOGIN_CSRF_COOKIE, PageContext, db, language
from web.kit.limits import FORM_FIELDS
from web.kit.page import check_csrf, page, page_number, render, secure, set_session_cookie
from web.kit.times import local_time
from workflow import services as svc
from workflow.core.errors import MerzimError, NotFound
from workflow.i18n import Translator
from workflow.imports import people as bulk_people
from workflow.imports.staging import Into
from workflow.services import accounts as auth
from workflow.services import idempotency, invitations, people
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)


def _base(request: Request) -> str:
    """Where an invitation's link points: [web] public_url, else this request's address."""
    return request.app.state.settings.web.public_url or str(request.base_url).rstrip("/")


# -- the invitation's link ---------------------------------------------------------------------


def _invite_page(request: Request, s: Session, token: str, status: int = 200,
                 error: str | None = None, done: bool = False) -> HTMLResponse:
    t = Translator(language(request))
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    user = None
    if not done:
        try:
            user = invitations.invitation_user(s, token)
        except MerzimError as exc:
            error, status = exc.render(t), 410
    org = svc.org_by_id(s, user.organisation_id) if user is not None else None
    resp = render(request, None, "invite.html", status=status, csrf=csrf, token=token,
                  person=user, error=error, done=done, min_password=auth.MIN_PASSWORD,
                  org_name=svc.org_name(org, t.language) if org is not None else "",
                  t=t, _=t, lang=t.language)
    resp.headers["Referrer-Policy"] = "no-referrer"  # the link's token stays on this page
    resp.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict",
                    secure=secure(request), max_age=3600)
    return resp


@router.get("/invite/{token}", response_class=HTMLResponse)
def invite_form(request: Request, token: str, s: Session = Depends(db)):
    return _invite_page(request, s, token[:100])


@router.post("/invite/{token}", response_class=HTMLResponse)
def invite_accept(request: Request, token: str, csrf: str = Form(""), password: str = Form(""),
                  repeated: str = Form(""), s: Session = Depends(db)):
    """Her password, set through the link once; a used or expired link is refused."""
    t = Translator(language(request))
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not csrf or not secrets.compare_digest(cookie, csrf):
        return _invite_page(request, s, token[:100], status=403, error=t("error.csrf"))
    try:
        with tx.transaction(s):
            user = invitations.accept(s, token[:100], password[:auth.MAX_PASSWORD + 1],
                                      repeated[:auth.MAX_PASSWORD + 1])
    except MerzimError as exc:
        tx.refused(s, "web", "refused.invitation", "user", "?", {"key": exc.key})
        return _invite_page(request, s, token[:100], status=422, error=exc.render(t))
    return _signed_in(request, s, user.login, password) or _invite_page(
        request, s, token[:100], done=True)


def _signed_in(request: Request, s: Session, login: str, password: str) -> Any:
    """Her password chosen, she is signed in as the sign-in form signs her in (the same
    checks: `accounts.authenticate`, its lock-out and audit) and lands on her first page;
    None when the sign-in is refused or busy (the page then says to sign in)."""
    try:
        with tx.transaction(s):
            result = auth.authenticate(s, login, password)
    except auth.SignInBusy:
        return None
    if result.user is None:
        return None
    with tx.transaction(s):
        token, _row = auth.open_session(s, result.user)
    resp = RedirectResponse("/", status_code=303)
    set_session_cookie(request, resp, token)
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


# -- people in bulk, a password reset ----------------------------------------------------------


def _administered(pc: PageContext) -> set[int]:
    """The organisations an administrator administers: hers and those under it."""
    return {o.id for o in svc.list_orgs(pc.s, pc.viewer.org.code) if o.id is not None}


def _people_page(request: Request, pc: PageContext, status: int = 200, **shown) -> HTMLResponse:
    return render(request, pc, "people.html", status=status, **_listing(request, pc), **shown)


def _listing(request: Request, pc: PageContext) -> dict[str, Any]:
    """The people list's part of the page: her subtree's people matching the search (`q`:
    name, login or e-mail) and the status chosen (`status`), a page at a time."""
    q = request.query_params
    query, chosen = (q.get("q") or "").strip()[:100], q.get("status") or ""
    chosen = chosen if chosen in people.STATUSES else ""
    found = [p for p in people.people_of(pc.s, pc.viewer.org)
             if p.matches(query) and (not chosen or p.status == chosen)]
    shown, pager = views.paginate(found, page_number(request), request.url.query)
    tz = request.app.state.settings.tz
    return {"people": [{"p": p, "org_name": svc.org_name(p.org, pc.t.language),
                        "until": local_time(p.invited_until, tz)} for p in shown],
            "people_pager": pager, "people_q": query, "people_status": chosen,
            "statuses": people.STATUSES,
            # an action keeps the list's search, filter and page (its form posts them along)
            "people_query": f"?{request.url.query}" if request.url.query else ""}


@router.get("/people", response_class=HTMLResponse)
def people_form(request: Request, pc: PageContext = Depends(page)):
    require_admin(pc.viewer)
    return _people_page(request, pc)


def _person(pc: PageContext, login: str):
    """A person the administrator administers, by login; else the refusal of an unknown one."""
    user = svc.get_user(pc.s, login.strip()[:100])
    if user.organisation_id not in _administered(pc):
        raise NotFound("not hers", key="notfound.user", login=login)
    return user


@router.post("/people/{login}/resend", response_class=HTMLResponse)
def people_resend(request: Request, login: str, csrf: str = Form(""),
                  pc: PageContext = Depends(page)):
    """A new invitation for a person who has not chosen her password; the older link ends."""
    require_admin(pc.viewer)
    check_csrf(pc, csrf)
    try:
        user = _person(pc, login)
        with tx.transaction(pc.s):
            people.resend(pc.s, pc.ctx, user, _base(request),
                          request.app.state.settings.invitation_days)
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.invitation_resend", "user", "?",
                   {"key": exc.key})
        return _people_page(request, pc, status=422, refused=exc.render(pc.t), problems=[])
    return _people_page(request, pc, message=pc.t("people.resent", name=user.full_name,
                                                   email=user.email or ""))


@router.post("/people/{login}/active", response_class=HTMLResponse)
def people_active(request: Request, login: str, csrf: str = Form(""), active: str = Form(""),
                  pc: PageContext = Depends(page)):
    """Deactivate (`active` "0": her sessions, tokens and feeds end) or reactivate ("1") a
    person; audited."""
    require_admin(pc.viewer)
    check_csrf(pc, csrf)
    try:
        user = _person(pc, login)
        with tx.transaction(pc.s):
            people.set_active(pc.s, pc.ctx, user, active == "1", pc.viewer.user)
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.person_active", "user", "?", {"key": exc.key})
        return _people_page(request, pc, status=422, refused=exc.render(pc.t), problems=[])
    return _people_page(request, pc, message=pc.t(
        "people.reactivated" if active == "1" else "people.deactivated", name=user.full_name))


@router.post("/people/import", response_class=HTMLResponse)
async def people_import(request: Request, pc: PageContext = Depends(page)):
    """An office's list of people: the preview of who would be added (logins proposed, roles
    to choose, columns ignored), nothing stored; a refusal names every refused cell."""
    require_admin(pc.viewer)
    upload, data = await uploads.file_form(request, pc)
    return await run_in_threadpool(_preview, request, pc, upload,
                                   data.get("existing") == "1")


@router.post("/people/import/confirm", response_class=HTMLResponse)
async def people_import_confirm(request: Request, pc: PageContext = Depends(page)):
    """The previewed list's people added (and, asked to, changed) with the roles chosen in
    the preview, each new one invited: checked whole again (refused: nothing stored), then
    written a batch a transaction (`import_people`)."""
    require_admin(pc.viewer)
    data = await request.form()  # at most limits.FORM_FIELDS: the roles come as one field
    csrf = data.get("csrf")
    await run_in_threadpool(check_csrf, pc, csrf if isinstance(csrf, str) else None)
    form = {k: v for k, v in data.items() if k in ("token", "file") and isinstance(v, str)}
    return await run_in_threadpool(_confirm, request, pc, form, chosen_roles(data),
                                   data.get("existing") == "1", chosen_logins(data))


# The preview's roles. The page's script sends the rows whose role she changed as one field,
# `roles` ("row:role,row:role", static/people-import.js), so a list of any length confirms
# within the fields a form may carry (`web.kit.limits.FORM_FIELDS`); without the script, a
# list short enough (`NAMED_ROLES` rows) sends each row's select, `role_N`, and a longer one's
# selects are shown disabled (the file's roles, or an officer's), its note saying why.
ROLES_FIELD = "roles"
NAMED_ROLES = FORM_FIELDS - 20  # the confirm's other fields: csrf, token, file, existing, roles


def _row_number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _chosen(data: Any, prefix: str, field: str, packed_items: Callable[[str], list[str]],
            longest: int) -> dict[int, str]:
    """The values chosen in the preview, by row: each `{prefix}N` field sent (no script),
    then the `field` field's "row:value" items (as `packed_items` splits it) over them; a row
    number that is not one is left out, a value cut to `longest` characters."""
    chosen: dict[int, str] = {}
    for name, value in data.items():
        n = _row_number(name[len(prefix):]) if name.startswith(prefix) else None
        if n is not None and isinstance(value, str):
            chosen[n] = value.strip()[:longest]
    packed = data.get(field)
    for item in (packed_items(packed) if isinstance(packed, str) else ()):
        number, colon, value = item.partition(":")
        n = _row_number(number)
        if colon and n is not None:
            chosen[n] = value.strip()[:longest]
    return chosen


def chosen_roles(data: Any) -> dict[int, str]:
    """The roles chosen in the preview, by row: each `role_N` select sent (no script), then
    the `roles` field's pairs over them; a row number that is not one is left out (a role
    that is not one is refused by the import, naming its row)."""
    return _chosen(data, "role_", ROLES_FIELD, lambda packed: packed.split(","), 32)


# The preview's logins, proposed from the e-mails (or the file's), each a field she may change:
# the script sends the rows whose login she changed as one field, `logins` ("row:login" a line:
# a login has no space), and a list short enough for a field a row besides its role
# (`NAMED_LOGINS` rows) sends each row's, `login_N`, without it.
LOGINS_FIELD = "logins"
NAMED_LOGINS = NAMED_ROLES // 2


def chosen_logins(data: Any) -> dict[int, str]:
    """The logins chosen in the preview, by row: each `login_N` sent (no script), then the
    `logins` field's lines over them; a row number that is not one is left out (a login that
    cannot be one is refused by the import, naming its row)."""
    return _chosen(data, "login_", LOGINS_FIELD, str.splitlines, 200)


def _into(pc: PageContext) -> Into:
    """An administrator's import of people, as its preview's record names it."""
    return Into("people", pc.viewer.org.code)


def _import(request: Request, pc: PageContext, rows: list[dict], update: bool, *,
            roles: dict[int, str] | None = None, logins: dict[int, str] | None = None,
            write: bool) -> bulk_people.ImportResult:
    """The one import of a list of people, as this administrator makes it."""
    return bulk_people.import_people(
        pc.s, pc.ctx, rows, update=update, base_url=_base(request),
        days=request.app.state.settings.invitation_days, allowed=_administered(pc),
        roles=roles, logins=logins, write=write)


def _preview(request: Request, pc: PageContext, upload: UploadFile | None,
             update: bool) -> HTMLResponse:
    path = None
    try:
        path, sha256, shown = staged.receive(request, upload)
        rows = staged.file_rows(request, path, shown)
        found = _import(request, pc, rows, update, write=False)  # stores nothing
    except MerzimError as exc:
        staged.discard(path)
        return _import_refused(request, pc, exc)
    token = staged.keep(request, pc, _into(pc), path, sha256,
                        {"file": shown, "rows": len(rows)}, wanted=bool(found.planned))
    named: dict[str, str] = {}  # each organisation by its name in the reader's language
    for code in {r["organisation"] for r in found.planned if r["organisation"]}:
        org = svc.find_org(pc.s, code)
        named[code] = svc.org_name(org, pc.t.language) if org is not None else code
    planned = [{**r, "organisation": named.get(r["organisation"], r["organisation"])}
               for r in found.planned]
    return render(request, pc, "people_import_preview.html", planned=planned,
                  note=found.note(pc.t), roles=bulk_people.ROLES, token=token, file=shown,
                  existing=update, named=len(planned) <= NAMED_ROLES, roles_field=ROLES_FIELD,
                  named_logins=len(planned) <= NAMED_LOGINS, logins_field=LOGINS_FIELD)


def _confirm(request: Request, pc: PageContext, form: dict[str, str], roles: dict[int, str],
             update: bool, logins: dict[int, str] | None = None) -> HTMLResponse:
    path = None
    try:
        # sent with an idempotency key: the key committed first, "in progress", for the
        # import commits a batch at a time (a key's transaction held open to the end would
        # hold the writers' lock for the whole file; on SQLite, from the file's reading on)
        idempotency.under_way(pc.s)
        path, kept = staged.found(request, pc, _into(pc), form.get("token", ""))
        rows = staged.file_rows(request, path, form.get("file", "") or "file")
        done = _import(request, pc, rows, update, roles=roles, logins=logins,
                       write=True)  # a batch a commit
    except MerzimError as exc:
        return _import_refused(request, pc, exc)
    finally:
        staged.discard(path)
    staged.used(request, kept)
    said = pc.t.n("accounts.imported", len(done.added), updated=len(done.updated),
                  invited=done.invited)
    return _people_page(request, pc, message=" ".join(filter(None, (said, done.note(pc.t)))),
                        kept=done.kept_lines(pc.t))


def _import_refused(request: Request, pc: PageContext, exc: MerzimError) -> HTMLResponse:
    """The people page with the import's refusal: every refused cell, one a line."""
    tx.refused(pc.s, pc.ctx.actor, "refused.people_import", "user", "?", {"key": exc.key})
    lines = (exc.lines(pc.t) if isinstance(exc, bulk_people.PeopleRefused) else [])
    summary = (pc.t.n("accounts.import_refused", len(lines)) if lines
               else exc.render(pc.t))
    return _people_page(request, pc, status=422, refused=summary, problems=lines)


@router.post("/people/reset", response_class=HTMLResponse)
def people_reset(request: Request, csrf: str = Form(""), login: str = Form(""),
                 pc: PageContext = Depends(page)):
    """An administrator resets a password of her organisations' people by a new invitation."""
    require_admin(pc.viewer)
    check_csrf(pc, csrf)
    try:
        user = svc.get_user(pc.s, login.strip()[:100])
        if user.organisation_id not in _administered(pc):
            raise NotFound("not hers", key="notfound.user", login=login)
        with tx.transaction(pc.s):
            invitations.reset(pc.s, pc.ctx, user, _base(request),
                              request.app.state.settings.invitation_days)
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.password_reset", "user", "?", {"key": exc.key})
        return _people_page(request, pc, status=422, refused=exc.render(pc.t), problems=[])
    return _people_page(request, pc, message=pc.t("accounts.reset_done", login=user.login))


@router.post("/people/{login}/reset", response_class=HTMLResponse)
def people_reset_one(request: Request, login: str, csrf: str = Form(""),
                     pc: PageContext = Depends(page)):
    """The people list's reset of one person's password (as `/people/reset`)."""
    return people_reset(request, csrf=csrf, login=login, pc=pc)
