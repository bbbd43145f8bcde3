"""Server-rendered pages: login, overdue, due soon, analysis, programme, calendar, outbox, feeds."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from web import comments_page
from web.kit import exports, recording, uploads, views
from web.kit.access import (
    Viewer,
    require_admin,
    require_recorder,
    sees_person,
    visible_case,
    visible_org,
)
from web.kit.deps import (
    CASES_COOKIE,
    LANG_COOKIE,
    LANG_OFFER_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    PageContext,
    db,
    language,
    make_context,
)
from web.kit.error_pages import wants_json, web_message
from web.kit.page import (
    check_csrf,
    export,
    form_day,
    int_param,
    page,
    page_number,
    render,
    secure,
)
from web.kit.rows import stage_options
from workflow import services as svc
from workflow.core.dates import parse_day
from workflow.core.errors import MerzimError, NotFound, RuleViolation, UsageError
from workflow.core.names import name_in
from workflow.i18n import LANGUAGES, Translator
from workflow.reminders import outbox as ob
from workflow.services import accounts as auth
from workflow.services import obligations
from workflow.services import transactions as tx
from workflow.services.bulk_actions import MAX_ITEMS

router = APIRouter(include_in_schema=False)
MAX_FIELD = 500


# -- accounts ---------------------------------------------------------------------------------


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
        message = t(result.error, minutes=result.minutes)
        return render(request, None, "login.html", status=401, csrf=cookie,
                      next=_safe_next(next), error=message, chosen=chosen, t=t, _=t,
                      lang=t.language)
    with tx.transaction(s):
        token, _row = auth.open_session(s, result.user)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure(request),
                    max_age=auth.SESSION_SECONDS)
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
    # An officer's first page is her own work (web/work_page.py); managers and admins land on
    # their subtree's overview (web/overview_page.py; their own work is one click away).
    return RedirectResponse("/work" if pc.viewer.role == "officer" else "/overview",
                            status_code=303)


# -- lists ---------------------------------------------------------------------------------------


def _list_filters(request: Request) -> dict[str, Any]:
    """The overdue list's filters and order from the address. No `sort`: the organisation
    tree. `dir` absent: each order's natural direction (working days: most overdue first)."""
    q = request.query_params
    sort, direction = _order(request)
    # views.SORTS orders "days" most overdue first: descending in days overdue
    reverse = (direction == "asc") if sort == "days" else (direction == "desc")
    # the Stage filter lists every procedure's stages, each as "procedure:stage" (a stage key
    # alone, as before, is the stage of that key in any procedure)
    process, stage = q.get("process") or None, q.get("stage") or None
    if stage and ":" in stage:
        chosen, stage = stage.split(":", 1)
        process = process or chosen
        if chosen != process:  # a stage of another procedure than the one chosen: no row
            stage = f"{chosen}:{stage}"
    return {"org": q.get("org") or None, "stage": stage,
            "year": int_param(q.get("year"), "year"), "sort": sort, "desc": reverse,
            "process": process}


def _order(request: Request) -> tuple[str | None, str]:
    """The order the overdue list is in: (sort or None for the tree, "asc" or "desc")."""
    q = request.query_params
    sort = q.get("sort") if q.get("sort") in views.SORTS else None
    direction = q.get("dir") if q.get("dir") in ("asc", "desc") else (
        "desc" if sort == "days" else "asc")
    return sort, direction


@router.get("/overdue", response_class=HTMLResponse)
def overdue_page(request: Request, pc: PageContext = Depends(page)):
    f = _list_filters(request)
    # the summary, the count and the page's rows in SQL (GROUP BY, ORDER BY … LIMIT)
    shown, pager, counts = views.overdue_list(pc.s, pc.ctx, pc.viewer, page_number(request),
                                              request.url.query, **f)
    orgs = views.org_choices(pc.s, pc.viewer)
    scope = views.visible_org(pc.s, pc.viewer, f["org"]) if f["org"] else pc.viewer.org
    sort, direction = _order(request)
    # in the tree's order rows are grouped by organisation; sorted otherwise, one table
    groups = views.grouped(shown) if sort is None else [(None, shown)] if shown else []
    unfiltered = all(f[k] is None for k in ("org", "stage", "year", "process"))
    return render(request, pc, "overdue.html", groups=groups, total=pager["total"], filters=f,
                  menu_overdue=pager["total"] if unfiltered else None,
                  # (kept with the counts it is made of: the same version, the same tree)
                  summary=views.kept(pc.s, pc.ctx, (
                      "overdue.summary", scope.id, pc.viewer.org.id, pc.viewer.role,
                      f["stage"], f["year"], f["process"], pc.t.language),
                      lambda: views.child_counts(counts, scope, orgs, pc.t.language),
                      scope.path),
                  pager=pager,
                  # the Stage filter offers the chosen procedure's stages (none chosen: every
                  # procedure's, grouped by procedure)
                  stage_options=stage_options(pc.ctx.registry, pc.t.language, f["process"],
                                              f["stage"]),
                  orgs=orgs, processes=pc.ctx.registry.all(), sort=sort, direction=direction,
                  bulk_limit=MAX_ITEMS)


@router.get("/orgs/suggest")
def org_suggest(q: str = "", pc: PageContext = Depends(page)):
    """What an organisation filter offers for what the reader typed (web/static/org-suggest.js):
    up to views.ORG_SUGGEST_LIMIT organisations of her subtree, code and name, as JSON."""
    return JSONResponse(views.org_suggestions(views.org_choices(pc.s, pc.viewer), q[:100],
                                              pc.t.language))


def _procedure_name(pc: PageContext, key: str) -> str:
    """A procedure's name in the reader's language (its key should it be no longer loaded)."""
    loaded = pc.ctx.registry.loaded.get(key)
    return loaded.definition.name(pc.t.language) if loaded else key


@router.get("/overdue.{fmt}")
def overdue_export(request: Request, fmt: str, pc: PageContext = Depends(page)):
    if fmt not in ("xlsx", "csv"):
        raise UsageError(key="error.bad_format", value=fmt)
    rows = views.overdue_rows(pc.s, pc.ctx, pc.viewer, **_list_filters(request))
    header, body = exports.list_table(rows, pc.t, "working_days_overdue",
                                      lambda key: _procedure_name(pc, key))
    tx.audited(pc.s, f"web:{pc.viewer.login}", "export.overdue", "organisation",
               pc.viewer.org.code, {"format": fmt, "rows": len(body)})
    return export(fmt, f"overdue-{pc.ctx.today.isoformat()}", pc.t("nav.overdue"), header, body)


@router.get("/due", response_class=HTMLResponse)
def due_page(request: Request, pc: PageContext = Depends(page)):
    within = int_param(request.query_params.get("within"), "within", 10)
    if within < 0 or within > 250:
        raise UsageError(key="error.bad_within", value=within)
    # counted with COUNT, the page's rows with ORDER BY … LIMIT (never the whole list)
    shown, pager = views.due_list(pc.s, pc.ctx, pc.viewer, within, page_number(request),
                                  request.url.query, request.query_params.get("org") or None,
                                  process=request.query_params.get("process") or None)
    return render(request, pc, "due.html", groups=views.grouped(shown), total=pager["total"],
                  within=within, pager=pager, processes=pc.ctx.registry.all(),
                  process=request.query_params.get("process") or None)


# -- one case (an analysis or any other process) -----------------------------------------------


def _case_page(request: Request, pc: PageContext, case_id: str,
               problems: list[recording.Problem] | None = None, form: dict[str, str] | None = None,
               status: int = 200, opened: str | None = None) -> HTMLResponse:
    """The case page; after a refusal, `problems` at the top, the form `opened` ("event:KEY",
    "not_done", "void") open with what was typed in `form`."""
    case = visible_case(pc.s, pc.viewer, case_id)
    defn = svc.definition_of(pc.s, pc.ctx, case)
    view = views.case_for(pc.s, pc.ctx, pc.viewer, case)
    can_record = view.withdrawn is None  # a withdrawn case accepts nothing more
    may_record = True
    try:
        require_recorder(pc.viewer, case)
    except RuleViolation:
        can_record = may_record = False
    flash = None if problems else recording.take_flash(request, pc.session_row.csrf, case.id)
    notice = recording.flash_message(flash, defn, view, pc.t) if flash else None
    if opened is None:  # a link to one event's form: ?event=KEY, or the stage it completes
        q = request.query_params
        wanted = defn.event_for_stage(q["stage"]) if q.get("stage") else None
        opened = f"event:{q.get('event') or (wanted.key if wanted else '')}"
    events = [defn.events[e] for e in view.next_events]
    organisations: list[tuple[str, str]] = []
    if any(defn.evidence[k].type == "organisation" for e in events
           for k in defn.requirements(e) + tuple(f for g in defn.evidence_groups(e) for f in g)
           if k in defn.evidence):
        organisations = [(o.code, svc.org_name(o, pc.t.language))
                         for o in svc.list_orgs(pc.s, view.subject) if o.code != view.subject]
    open_stages = [st for st in view.stages if st.status in ("open", "overdue")
                   and st.key in defn.stages]
    voidable = recording.voidable(defn, view.records, pc.t.language)
    problems = problems or []
    resp = render(request, pc, "analysis.html", status=status, view=view, notice=notice,
                  can_record=can_record,  # (the Gantt: _gantt.html, web/kit/charts.py)
                  event_forms=[recording.event_form(defn, e, pc.t, organisations) for e in events],
                  problems=problems, field_errors={p.field: p.message for p in problems
                                                   if p.field},
                  form=form or {}, opened=opened, definition=defn, open_stages=open_stages,
                  voidable=voidable, people=svc.display_names(pc.s, [view.responsible]),
                  history=_named(pc.s, _local_times(request, view.history or [])),
                  files=uploads.files_by_record(request, pc.s, pc.ctx, pc.viewer, case, view),
                  # the edit form's revision of the values it shows (a stale one is refused)
                  revision=svc.case_revision(pc.s, case) if can_record else None,
                  # repeats opened by those who could not see the person: to those who can
                  repeats=svc.possible_repeats(pc.s, pc.ctx, case) if view.person else [],
                  **_links_part(pc, case, defn, may_record),
                  **comments_page.case_part(pc, case))  # comments, hand-over
    if request.cookies.get(recording.FLASH_COOKIE) and not problems:
        recording.drop_flash(resp, case.id)  # shown once (or not this session's): gone
    return resp


def _links_part(pc: PageContext, case, defn, may_record: bool) -> dict[str, Any]:
    """The linked cases (P-22, services/links.py: a person only where the reader sees it), the
    register entries the case's outcomes offer with the fields the confirmation asks, and
    whether the reader may link, withdraw both or undo a withdrawal (_linked_cases.html)."""
    lang = pc.t.language
    current = pc.ctx.registry.get(defn.key)  # (a case of an older version: the file's links)
    linked = svc.linked_cases(pc.s, pc.ctx, case, lambda other, d: sees_person(
        pc.viewer, other, d.parties.person_visibility))
    offers = []
    for offer in (svc.offers(pc.s, pc.ctx, case) if may_record else []):
        target = pc.ctx.registry.get(offer.process)
        asks = [(k, name_in(target.fields[k].names, lang, k), target.fields[k].type,
                 [(c, name_in(target.fields[k].choice_names.get(c), lang, c))
                  for c in target.fields[k].choices])
                for k in svc.left_to_officer(pc.ctx, offer.process, current)]
        offers.append((offer, asks))
    linkable = may_record and case.withdrawn_at is None and (
        bool(current.links) or any(defn.key in {sp.opens for sp in d.links}
                                   for d in pc.ctx.registry.all()))
    return {"linked": linked, "link_offers": offers, "can_link": linkable,
            "can_restore": may_record and case.withdrawn_at is not None,
            "linked_standing": [lk for lk in linked if not lk.withdrawn]}


def _named(s: Any, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry's `actor_name` (who did it, by her full name: "Asel Nurpeisova" for
    "web:asel") and an assignment's `from_name` and `to_name`, where they are known users."""
    names = svc.display_names(s, [x for e in history
                                  for x in (e.get("actor"), e.get("from"), e.get("to"))])
    return [{**e, "actor_name": names.get(e.get("actor") or ""),
             "from_name": names.get(e.get("from") or ""),
             "to_name": names.get(e.get("to") or "")} for e in history]


def _local_times(request: Request, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history's moments in the server's time zone, to the minute (as the files')."""
    from datetime import datetime

    tz = request.app.state.settings.tz
    out = []
    for entry in history:
        try:
            local = datetime.fromisoformat(entry["at"]).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        except (TypeError, ValueError):
            local = entry["at"] or ""
        out.append({**entry, "at_local": local})
    return out


@router.get("/analyses/{analysis_id}", response_class=HTMLResponse)
def analysis_page(request: Request, analysis_id: str, pc: PageContext = Depends(page)):
    return _case_page(request, pc, analysis_id)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: str, pc: PageContext = Depends(page)):
    return _case_page(request, pc, case_id)


# A refused form is answered with the case page itself (409/422), the problems at its top and
# the form open with what was typed, rather than redirected: the input stays on the server
# side (it may hold a document number or a person's note, which has no place in a cookie, and
# up to 500 characters a field would not fit one), and there is nothing to show twice — only a
# success is redirected (303) to the page that shows its confirmation once.


def _write(request: Request, pc: PageContext, case_id: str, action: str, form: dict[str, str],
           do, opened: str, confirm: str | None = None) -> Response:
    """Run a recording action for the case: refused, the page again with every problem and
    nothing stored (the refusal audited); `confirm` (a template), the use case only tried and
    rolled back, and the confirmation step shown; else saved, and 303 to the case page with
    the one-time confirmation `do` returned."""
    case = visible_case(pc.s, pc.viewer, case_id)
    try:
        require_recorder(pc.viewer, case)
        for name, value in form.items():
            if len(value) > MAX_FIELD and not (action == "event" and recording.is_evidence(name)):
                # (an event's evidence: every problem at once, by recording.check_form)
                raise RuleViolation(key="rule.too_long", field=name, limit=MAX_FIELD)
        if confirm:
            with tx.trial(pc.s):
                do(case)
            return _confirm_page(request, pc, case, confirm, form)
        with tx.transaction(pc.s):
            flash = do(case)
    except MerzimError as exc:
        problems = recording.problems_of(exc, pc.t)
        tx.refused(pc.s, pc.ctx.actor, f"refused.{action}", "case", case.id,
                   {k: v[:64] for k, v in form.items() if k in ("event", "stage", "record")}
                   | {"key": exc.key}
                   | ({"keys": [p.key for p in problems]} if len(problems) > 1 else {}))
        status = exc.status if isinstance(exc, recording.FormProblems) \
            else 409 if isinstance(exc, RuleViolation) else 422
        return _case_page(request, pc, case_id, problems=problems, form=form, status=status,
                          opened=opened)
    resp = RedirectResponse(f"/cases/{case.id}", status_code=303)
    recording.set_flash(resp, secure(request), pc.session_row.csrf, case.id, **flash)
    return resp


def _confirm_page(request: Request, pc: PageContext, case, action: str,
                  form: dict[str, str]) -> HTMLResponse:
    """The step before closing a stage as not done or voiding a record: what will happen, the
    reason, Confirm (the same form again, confirmed) or Cancel (back to the case)."""
    defn = svc.definition_of(pc.s, pc.ctx, case)
    view = svc.case_view(pc.s, pc.ctx, case, show_person=False)  # the title only
    if action == "not_done":
        what = defn.stage_name(form["stage"], pc.t.language)
    elif action == "withdraw":
        what = f"#{view.id} {view.process_name}"
    else:
        record = recording.standing_record(view.records, form["record"])
        what = f"#{record.id} {recording.record_name(defn, record, pc.t.language)} " \
               f"({record.on.isoformat()})" if record else form["record"]
    entries = [e.id for e in svc.opened_by_record(pc.s, pc.ctx, case.id, form["record"])] \
        if action == "void" else []  # the entries the record opened: withdrawn too?
    return render(request, pc, "record_confirm.html", view=view, action=action, what=what,
                  form=form, void_entries=entries)


@router.post("/analyses/{case_id}/events", response_class=HTMLResponse)
@router.post("/cases/{case_id}/events", response_class=HTMLResponse)
async def record_event(request: Request, case_id: str, pc: PageContext = Depends(page)):
    uploads.check_length(request)  # the files confirming the record
    data = await request.form(max_files=uploads.MAX_PARTS)
    await run_in_threadpool(check_csrf, pc, data.get("csrf"))
    form = {k: str(v) for k, v in data.items() if k != "csrf" and isinstance(v, str)}
    event = form.get("event", "")
    files = uploads.uploads_of(data.getlist("files"))

    def do(case):
        defn = svc.definition_of(pc.s, pc.ctx, case)
        on, evidence = recording.check_form(defn, form, pc.ctx.today, pc.t)
        uploads.record_with_files(request, pc, case, event, on, evidence, files,
                                  repeat=form.get("repeat") == "yes")  # confirmed
        return {"kind": "event", "what": event, "on": on.isoformat()}

    return await run_in_threadpool(_write, request, pc, case_id, "event", form, do,
                                   f"event:{event}")


@router.post("/cases/{case_id}/not-done", response_class=HTMLResponse)
def record_not_done(request: Request, case_id: str, stage: str = Form(""), note: str = Form(""),
                    confirm: str = Form(""), csrf: str = Form(""),
                    pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)

    def do(case):
        svc.record_not_done(pc.s, pc.ctx, case.id, stage, note)
        return {"kind": "not_done", "what": stage}

    return _write(request, pc, case_id, "not_done", {"stage": stage, "note": note}, do,
                  "not_done", confirm=None if confirm == "yes" else "not_done")


@router.post("/cases/{case_id}/void", response_class=HTMLResponse)
def void_record(request: Request, case_id: str, record: str = Form(""), note: str = Form(""),
                confirm: str = Form(""), csrf: str = Form(""), withdraw_linked: str = Form(""),
                pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)

    def do(case):
        svc.void_with_linked(pc.s, pc.ctx, case.id, record, note, withdraw_linked == "yes",
                             lambda entry: require_recorder(pc.viewer, entry))
        return {"kind": "void", "what": record}

    return _write(request, pc, case_id, "void", {"record": record, "void_note": note}, do,
                  "void", confirm=None if confirm == "yes" else "void")


@router.post("/cases/{case_id}/withdraw", response_class=HTMLResponse)
def withdraw_case(request: Request, case_id: str, reason: str = Form(""),
                  confirm: str = Form(""), csrf: str = Form(""), with_linked: str = Form(""),
                  pc: PageContext = Depends(page)):
    """Withdraw a case opened by mistake: who may record on it, with a reason,
    confirmed on a page of its own; it leaves every list and stays in the history. With
    `with_linked`, the cases linked to it (P-22) go with it (the reader records on each)."""
    check_csrf(pc, csrf)
    both = with_linked == "yes"

    def do(case):
        if both:
            for other in svc.standing_linked(pc.s, case):
                require_recorder(pc.viewer, other)
        svc.withdraw_case(pc.s, pc.ctx, case.id, reason, with_linked=both)
        return {"kind": "withdraw", "what": str(case.id)}

    form = {"withdraw_note": reason, **({"with_linked": "yes"} if both else {})}
    return _write(request, pc, case_id, "withdraw", form, do, "withdraw",
                  confirm=None if confirm == "yes" else "withdraw")


@router.post("/cases/{case_id}/restore", response_class=HTMLResponse)
def restore_case(request: Request, case_id: str, reason: str = Form(""),
                 csrf: str = Form(""), pc: PageContext = Depends(page)):
    """Undo a withdrawal within the year it was made in: who may record on the case, with a
    reason; the case is re-planned and back in every list."""
    check_csrf(pc, csrf)

    def do(case):
        svc.restore_case(pc.s, pc.ctx, case.id, reason)
        return {"kind": "restore", "what": str(case.id)}

    return _write(request, pc, case_id, "restore", {"restore_note": reason}, do, "restore")


@router.post("/cases/{case_id}/linked", response_class=HTMLResponse)
async def open_linked(request: Request, case_id: str, pc: PageContext = Depends(page)):
    """Open the register entry the case's outcome is, linked to it (P-22): one confirmation,
    with the entry's fields the case does not give (`f.KEY`)."""
    data = await request.form()
    await run_in_threadpool(check_csrf, pc, str(data.get("csrf") or ""))
    form = {k: str(v) for k, v in data.items() if k != "csrf" and isinstance(v, str)}

    def do(case):
        link_to = (form.get("link_to") or "").strip().lstrip("#").strip() or None
        if link_to is not None:
            require_recorder(pc.viewer, visible_case(pc.s, pc.viewer, link_to))
        entry = svc.open_linked(pc.s, pc.ctx, case.id, form.get("process") or None,
                                {k[2:]: v for k, v in form.items() if k.startswith("f.")},
                                link_to=link_to,
                                duplicate_reason=form.get("duplicate_reason") or None)
        if link_to is not None:
            return {"kind": "linked", "what": str(entry.id)}
        return {"kind": "link_opened", "what": str(entry.id)}

    return await run_in_threadpool(_write, request, pc, case_id, "link", form, do, "link")


@router.post("/cases/{case_id}/links", response_class=HTMLResponse)
def link_case(request: Request, case_id: str, other: str = Form(""), csrf: str = Form(""),
              pc: PageContext = Depends(page)):
    """Link the case to another after the fact (a register entry and the procedure's case it
    is the fact of): the other must be visible to the reader and recorded on by her."""
    check_csrf(pc, csrf)

    def do(case):
        found = visible_case(pc.s, pc.viewer, other.strip().lstrip("#").strip() or "0")
        require_recorder(pc.viewer, found)
        svc.link_cases(pc.s, pc.ctx, case.id, found.id)
        return {"kind": "linked", "what": str(found.id)}

    return _write(request, pc, case_id, "link", {"link_other": other}, do, "link")


@router.post("/cases/{case_id}/unlink", response_class=HTMLResponse)
def unlink_case(request: Request, case_id: str, other: str = Form(""), reason: str = Form(""),
                csrf: str = Form(""), pc: PageContext = Depends(page)):
    """Undo the link between the case and another, with a reason (the reader records on
    both): both histories keep the link and its undoing."""
    check_csrf(pc, csrf)

    def do(case):
        found = visible_case(pc.s, pc.viewer, other.strip().lstrip("#").strip() or "0")
        require_recorder(pc.viewer, found)
        svc.unlink_cases(pc.s, pc.ctx, case.id, found.id, reason)
        return {"kind": "unlinked", "what": str(found.id)}

    return _write(request, pc, case_id, "unlink", {"unlink_note": reason, "unlink_other": other},
                  do, "unlink")


@router.post("/cases/{case_id}/edit", response_class=HTMLResponse)
async def edit_case(request: Request, case_id: str, pc: PageContext = Depends(page)):
    """Correct a case's opening values: who may record on it, with a reason; the
    form sends every value as it stands, and what differs is changed, checked as an
    opening, re-planned and audited."""
    data = await request.form()
    await run_in_threadpool(check_csrf, pc, str(data.get("csrf") or ""))
    form = {k: str(v) for k, v in data.items() if k != "csrf" and isinstance(v, str)}

    def do(case):
        defn = svc.definition_of(pc.s, pc.ctx, case)
        fields = {k[len("field_"):]: v for k, v in form.items() if k.startswith("field_")}
        dates = {k[len("date_"):]: parse_day(v, k[len("date_"):])
                 for k, v in form.items() if k.startswith("date_") and v.strip()}
        version = form.get("version", "").strip()
        revision = form.get("revision", "").strip()
        has_person = defn.parties.person != "none"
        try:
            svc.edit_case(pc.s, pc.ctx, case.id, form.get("person") if has_person else None,
                          form.get("position") if has_person else None, fields, dates,
                          form.get("reason"), int(version) if version.isdigit() else None,
                          int(revision) if revision.isdigit() else -1)
        except RuleViolation as exc:
            if exc.key == "rule.edit_stale":  # the form again with the values as they are now
                for key in [k for k in shown if k != "edit_reason"]:
                    del shown[key]
            raise
        return {"kind": "edit", "what": str(case.id)}

    shown = {**{k: v for k, v in form.items() if k != "reason"},
             "edit_reason": form.get("reason", "")}
    return await run_in_threadpool(_write, request, pc, case_id, "edit", shown, do, "edit")


# -- opening a case of any process ----------------------------------------------------------------


# GET /cases, the list and its search: web/cases_page.py


def _open_form(request: Request, pc: PageContext, process: str,
               problems: list[recording.Problem] | None = None,
               form: dict[str, str] | None = None, status: int = 200,
               duplicate: int | None = None, duplicate_case: bool = False) -> HTMLResponse:
    """The open-a-case form, like the recording forms: required fields marked, every
    problem at once at the top and next to its field; `duplicate`: the analysis
    (`duplicate_case`: the case of the same person and dates) a refused one duplicates, linked,
    with the confirmation (a reason) that opens it anyway."""
    defn = pc.ctx.registry.get(process)
    orgs = views.org_choices(pc.s, pc.viewer)
    problems = problems or []
    # a recurring obligation's case is opened for a period (its dates come from it), the
    # current one chosen unless the form says otherwise
    choices, current = (obligations.periods_to_record(pc.ctx, defn) if defn.recurring
                        else ([], None))
    form = form or ({"period": current.label} if current is not None else {})
    return render(request, pc, "case_new.html", status=status, definition=defn,
                  problems=problems, field_errors={p.field: p.message for p in problems
                                                   if p.field},
                  form=form, orgs=orgs, duplicate=duplicate, duplicate_case=duplicate_case,
                  periods=choices,
                  given=[] if defn.recurring else [(k, d) for k, d in defn.dates.items()
                                                   if d.given != "none"])


def _named_parties(pc: PageContext, exc: MerzimError) -> None:
    """A duplicate's organisations by their names in the reader's language, not their codes."""
    if exc.key not in ("rule.duplicate_analysis", "rule.duplicate_case"):
        return
    for param in ("subject", "object"):
        code = exc.params.get(param)
        if isinstance(code, str) and code and param not in exc.labels:
            org = svc.find_org(pc.s, code)
            if org is not None:
                exc.labels[param] = {lang: svc.org_name(org, lang) for lang in LANGUAGES}


def _open_message(defn: Any, exc: MerzimError, t: Translator) -> str:
    """A refusal of the open-a-case form in the page's words: the procedure and its dates by
    their names."""
    if exc.params.get("process") == defn.key and "process" not in exc.labels:
        exc.labels["process"] = dict(defn.names)  # the process by its name, not its key
    date = exc.params.get("name")
    if exc.key == "error.date_required" and date in defn.dates and defn.dates[date].names:
        exc.labels["name"] = dict(defn.dates[date].names)  # the date by its name
    return web_message(defn.name_keys(exc), t)


def _open_problems(pc: PageContext, defn: Any, form: dict[str, str]) -> list[recording.Problem]:
    """Every empty required input and malformed date of the open-a-case form at once, in the
    service's own words (it checks them again, one at a time)."""
    found: list[tuple[str, MerzimError]] = []
    if defn.recurring:  # its period alone: the dates come from it
        if not form.get("period", "").strip():
            found.append(("period", UsageError(key="error.period_required")))
        return [recording.Problem(_open_message(defn, exc, pc.t), exc.key, name, True)
                for name, exc in found]
    if defn.parties.object == "required" and not form.get("object", "").strip():
        found.append(("object", UsageError(key="error.object_required", process=defn.key)))
    if defn.parties.person == "required" and not form.get("person", "").strip():
        found.append(("person", UsageError(key="error.person_required", process=defn.key)))
    for key, spec in defn.dates.items():
        text = form.get(f"date_{key}", "").strip()
        if spec.given == "required" and not text:
            found.append((f"date_{key}", UsageError(key="error.date_required", name=key)))
        elif text and spec.given != "none":
            try:
                form_day(pc, text)
            except UsageError as exc:
                found.append((f"date_{key}", exc))
    given = {k[6:]: v.strip() for k, v in form.items() if k.startswith("field_") and v.strip()}
    for key, spec in defn.fields.items():  # `required_when`: for the kind chosen
        if spec.required_for(given) and not form.get(f"field_{key}", "").strip():
            found.append((f"field_{key}", UsageError(key="error.field_required", field=key)))
    return [recording.Problem(_open_message(defn, exc, pc.t), exc.key, name, True)
            for name, exc in found]


@router.get("/cases/new/{process}", response_class=HTMLResponse)
def case_new(request: Request, process: str, pc: PageContext = Depends(page)):
    return _open_form(request, pc, process)


@router.post("/cases/new/{process}", response_class=HTMLResponse)
async def case_create(request: Request, process: str, pc: PageContext = Depends(page)):
    data = await request.form()
    return await run_in_threadpool(_create_case, request, pc, process, data)


def _create_case(request: Request, pc: PageContext, process: str, data) -> Response:
    check_csrf(pc, data.get("csrf"))
    form = {k: str(v) for k, v in data.items() if k != "csrf" and isinstance(v, str)}
    defn = pc.ctx.registry.get(process)
    subject = pc.viewer.org.code if pc.viewer.role == "officer" else form.get("subject", "")
    try:
        visible_org(pc.s, pc.viewer, subject)  # hidden first (404), as the API and the records
        if pc.viewer.role not in ("officer", "admin"):
            raise RuleViolation(key="rule.cannot_record", role=pc.viewer.role)
        for name, value in form.items():
            if len(value) > MAX_FIELD:
                raise RuleViolation(key="rule.too_long", field=name, limit=MAX_FIELD)
        problems = _open_problems(pc, defn, form)
        if problems:
            raise recording.FormProblems(problems)
        dates = {k[5:]: form_day(pc, v) for k, v in form.items() if k.startswith("date_") and v}
        fields = {k[6:]: v for k, v in form.items() if k.startswith("field_")}
        reason = form.get("duplicate_reason", "").strip() or None  # the confirmation
        # a recurring obligation's case of the period chosen, opened as the sync opens it
        period = form.get("period", "").strip() if defn.recurring else None
        with tx.transaction(pc.s):
            case = svc.open_checked(pc.s, pc.ctx, defn.key, subject, form.get("object") or None,
                                    form.get("person") or None, form.get("position") or None,
                                    fields, dates,
                                    # the officer who opens it answers for it (a whistleblower's
                                    # case shows the person to its responsible officer only)
                                    responsible=(pc.viewer.login if pc.viewer.role == "officer"
                                                 else None),
                                    duplicate_reason=reason, period=period).analysis
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.open", "process", defn.key,
                   {"subject": subject[:64], "key": exc.key})
        _named_parties(pc, exc)
        problems = (exc.problems if isinstance(exc, recording.FormProblems)
                    else [recording.Problem(_open_message(defn, exc, pc.t), exc.key)])
        return _open_form(request, pc, process, problems=problems, form=form,
                          status=exc.status if isinstance(exc, recording.FormProblems)
                          else 404 if isinstance(exc, NotFound)
                          else 409 if isinstance(exc, RuleViolation) else 422,
                          duplicate=exc.params.get("id")
                          if exc.key in ("rule.duplicate_analysis", "rule.duplicate_case")
                          else None, duplicate_case=exc.key == "rule.duplicate_case")
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


# -- calendar --------------------------------------------------------------------------------------


@router.get("/calendar", response_class=HTMLResponse)
def calendar_now(pc: PageContext = Depends(page)):
    return RedirectResponse(f"/calendar/{pc.ctx.today.year}", status_code=303)


@router.get("/calendar/{year}", response_class=HTMLResponse)
def calendar_page(request: Request, year: str, pc: PageContext = Depends(page)):
    y = int_param(year, "year")
    cal = pc.ctx.calendar
    if not cal.first_year <= y <= cal.last_year:
        raise UsageError(key="error.year_outside", year=y, first=cal.first_year,
                         last=cal.last_year)
    return render(request, pc, "calendar.html", year=y, off=cal.non_working_weekdays(y),
                  worked=cal.working_weekend_days(y), notice=cal.decree_notice(y),
                  first=cal.first_year, last=cal.last_year)


# -- outbox (admin) ---------------------------------------------------------------------------------


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, pc: PageContext = Depends(page)):
    require_admin(pc.viewer)
    return render(request, pc, "outbox.html", rows=_outbox_rows(pc))


def _outbox_rows(pc: PageContext) -> list:
    """Messages to recipients of the admin's subtree only."""
    paths = {}
    rows = []
    for row in ob.list_rows(pc.s):
        if row.recipient_id not in paths:
            user = svc.user_by_id(pc.s, row.recipient_id)
            org = svc.org_by_id(pc.s, user.organisation_id) if user else None
            paths[row.recipient_id] = org.path if org else ""
        if paths[row.recipient_id].startswith(pc.viewer.org.path):
            rows.append(row)
    return rows


@router.post("/outbox/retry")
def outbox_retry(request: Request, csrf: str = Form(""), message_id: str = Form(""),
                 pc: PageContext = Depends(page)):
    require_admin(pc.viewer)
    check_csrf(pc, csrf)
    ident = int_param(message_id, "id")
    visible = [r.id for r in _outbox_rows(pc) if r.status == ob.FAILED]
    if ident and ident not in visible:
        raise NotFound(key="notfound.generic")
    with tx.transaction(pc.s):
        ob.retry(pc.s, [ident] if ident else visible, f"web:{pc.viewer.login}")
    return RedirectResponse("/outbox", status_code=303)


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
        auth.revoke_feed(pc.s, pc.viewer.user, int_param(feed_id, "id"))
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
        auth.revoke_token(pc.s, pc.viewer.user, int_param(token_id, "id"), f"web:{pc.viewer.login}")
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
    except MerzimError as exc:
        tx.refused(pc.s, pc.ctx.actor, "refused.password", "user", pc.viewer.user.id,
                   {"key": exc.key})
        return _account(request, pc, status=422, account_error=exc.render(pc.t))
    with tx.transaction(pc.s):
        token, row = auth.open_session(pc.s, pc.viewer.user)
    pc.session_row = row
    resp = _account(request, pc, account_message=pc.t("accounts.password_changed"))
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure(request),
                    max_age=auth.SESSION_SECONDS)
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


@router.get("/ics/{token}.ics")
def ics(request: Request, token: str, s: Session = Depends(db)):
    feed = auth.feed_for(s, token)
    if feed is None:
        raise NotFound(key="notfound.feed")
    owner = svc.user_by_id(s, feed.owner_id)
    if owner is None or not owner.active:
        raise NotFound(key="notfound.feed")
    from web.kit.access import viewer_for

    viewer: Viewer = viewer_for(s, owner)
    lang = owner.language
    ctx = make_context(request, viewer, lang)
    if feed.scope == "organisation":
        org = svc.org_by_id(s, feed.organisation_id)
        if not viewer.sees_org(org):  # the owner moved: the feed shows nothing outside
            raise NotFound(key="notfound.feed")
        rows = [r for r in svc.open_stages(s, ctx, org.code) if viewer.sees_path(r.subject_path)]
        name = f"merzim — {org.name}"
    else:
        rows = [r for r in svc.open_stages(s, ctx, viewer.org.code)
                if viewer.sees_path(r.subject_path)
                and (viewer.role != "officer" or r.responsible == owner.login)]
        name = f"merzim — {owner.full_name}"
    # names and words in the owner's language, the case link, an alarm per her
    # reminder days at the reminders' send time
    from workflow.reminders.planner import reminder_days
    from workflow.settings import load_notify_settings

    # the object by its name, not its code (none when it is the subject: ics_feed)
    objects = {code: svc.org_name(svc.find_org(s, code), lang)
               for code in {r.object for r in rows if r.object}}
    ns = load_notify_settings(request.app.state.settings, env={}, require_secrets=False)
    base = ns.public_url or str(request.base_url).rstrip("/")
    days = reminder_days(s, owner.id, ns.policy.before)
    return Response(exports.ics_feed(name, rows, t=Translator(lang), base_url=base,
                                     object_names=objects,
                                     alarm_days=days, calendar=ctx.calendar,
                                     alarm_time=ns.send_time),
                    media_type="text/calendar; charset=utf-8")
