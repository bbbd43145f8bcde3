"""The cases list and its search: by number, process, subject, object, person (only where the
viewer may see the person), state, overdue stages and words; paged like the other lists; the
filters remembered for the signed-in user across pages and language switches (a cookie,
applied when she comes back to /cases without a query, cleared by "clear filters" and at
logout)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import QueryParams

from web.kit import views
from web.kit.access import sees_person, visible_org
from web.kit.deps import CASES_COOKIE, PageContext
from web.kit.page import MAX_INT, page, render, secure
from workflow import services as svc
from workflow.core.errors import UsageError
from workflow.core.names import name_in
from workflow.services import search

router = APIRouter(include_in_schema=False)
FILTERS = ("number", "q", "process", "org", "object", "person", "state", "overdue")
PAGE_SIZE = 50


def _number(pc: PageContext, value: str | None) -> int | None:
    """A case number as typed: "42" or "#42"."""
    text = (value or "").strip().lstrip("#").strip()
    if not text:
        return None
    if not text.isdigit():
        raise UsageError(key="error.bad_int", what=pc.t("cases.number"), value=value)
    if int(text) > MAX_INT:
        raise UsageError(key="error.out_of_range", what=pc.t("cases.number"), value=value)
    return int(text)


def _text(pc: PageContext, value: str | None, label: str) -> str | None:
    text = (value or "").strip()
    if len(text) > search.MAX_TERM:
        raise UsageError(key="error.too_long", field=pc.t(label), limit=search.MAX_TERM)
    return text or None


def state_choices(pc: PageContext, process: str | None) -> list[tuple[str, str]]:
    """(key, name in the reader's language) of the states a case may be in: the chosen
    process's, or every process's (a key shared by several, with each distinct name)."""
    lang = pc.t.language
    names: dict[str, list[str]] = {}
    for defn in pc.ctx.registry.all():
        if process and defn.key != process:
            continue
        for key, texts in defn.states.items():
            name = name_in(texts, lang, key)
            if name not in names.setdefault(key, []):
                names[key].append(name)
    return [(key, " / ".join(n)) for key, n in names.items()]


def case_query(params: Any, pc: PageContext) -> search.CaseQuery:
    """The filters asked for, checked: a hidden organisation is the 404 of an unknown one, an
    unknown process or state a usage error."""
    q = params
    process = q.get("process") or None
    if process:
        pc.ctx.registry.get(process)
    state = q.get("state") or None
    if state and state not in dict(state_choices(pc, process)):
        raise UsageError(key="cases.bad_state", value=state)
    org = q.get("org") or None
    obj = q.get("object") or None
    if org:
        visible_org(pc.s, pc.viewer, org)
    if obj:
        visible_org(pc.s, pc.viewer, obj)
    return search.CaseQuery(number=_number(pc, q.get("number")), process=process, subject=org,
                            object=obj, person=_text(pc, q.get("person"), "cases.person"),
                            state=state, overdue=q.get("overdue") in ("1", "on", "true"),
                            words=_text(pc, q.get("q"), "cases.words"))


def _saved(request: Request, pc: PageContext) -> str | None:
    """The filters this user last applied, if the cookie holds hers."""
    raw = request.cookies.get(CASES_COOKIE)
    if not raw:
        return None
    owner, _sep, query = unquote(raw).partition(":")
    if owner != str(pc.viewer.user.id):
        return None
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k in FILTERS]
    return urlencode(kept) or None


def _remember(resp: Response, query_string: str, pc: PageContext, https: bool) -> None:
    kept = [(k, v) for k, v in parse_qsl(query_string) if k in FILTERS and v]
    if not kept:
        resp.delete_cookie(CASES_COOKIE, path="/cases")
        return
    # a session cookie, for /cases only, never read by scripts; tied to the user
    resp.set_cookie(CASES_COOKIE, quote(f"{pc.viewer.user.id}:{urlencode(kept)}", safe=""),
                    path="/cases", httponly=True, samesite="lax", secure=https)


def _rows(pc: PageContext, shown: list[search.Found]) -> list[dict[str, Any]]:
    lang = pc.t.language
    late = search.overdue_counts(pc.s, pc.ctx, [f.id for f in shown])
    rows = []
    for f in shown:
        defn = svc.definition_of(pc.s, pc.ctx, f)
        state = search.state_of(pc.s, pc.ctx, f)
        rows.append({"id": f.id, "process": f.process, "process_name": defn.name(lang),
                     "subject": f.subject, "subject_name": f.name_of(f.subject_names, lang),
                     "object": f.object,
                     "object_name": f.name_of(f.object_names, lang) if f.object else None,
                     "period": f.period, "case_date": f.case_date, "state": state,
                     "state_name": name_in(defn.states.get(state), lang, state),
                     "overdue": late.get(f.id, 0)})
    return rows


@router.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request, pc: PageContext = Depends(page)):
    if "clear" in request.query_params:
        resp = RedirectResponse("/cases", status_code=303)
        resp.delete_cookie(CASES_COOKIE, path="/cases")
        return resp
    # /cases with no query at all (the menu, a language switch, back from a case) shows the
    # filters last applied; any query (even an empty form, or a page link) is what is asked
    query_string = request.url.query or _saved(request, pc) or ""
    params = QueryParams(query_string)
    query = case_query(params, pc)
    viewer = pc.viewer
    found = search.find_cases(pc.s, pc.ctx, viewer.org.code, query,
                              lambda f, visibility: sees_person(viewer, f, visibility),
                              only_path=views.only_path(viewer))
    page_no = params.get("page") or "1"
    if not page_no.isdigit() or int(page_no) < 1:
        raise UsageError(key="error.bad_page", value=page_no)
    shown, pager = views.paginate(found, int(page_no), query_string, size=PAGE_SIZE)
    filtered = any(params.get(k) for k in FILTERS)
    resp = render(request, pc, "cases.html", rows=_rows(pc, shown), pager=pager, query=query,
                  filters={k: params.get(k, "") for k in FILTERS}, filtered=filtered,
                  processes=pc.ctx.registry.all(), states=state_choices(pc, query.process),
                  orgs=views.org_choices(pc.s, viewer),
                  person_search=viewer.role in ("officer", "admin"))
    if request.url.query:
        _remember(resp, query_string, pc, secure(request))
    return resp
