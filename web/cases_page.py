"""The cases list and its search: by number, process, subject, object, person (only where the
viewer may see the person), state, overdue stages and words; paged like the other lists; the
filters remembered for the signed-in user across pages and language switches (a cookie,
applied when she comes back to /cases without a query, cleared by "clear filters" and at
logout).

With one process chosen the list is that register, filtered by its own fields and the dates
given at opening too (`f.KEY` for a choice, as a select, or a text, "contains"; `f.KEY.from`,
`f.KEY.to` for a whole number or a date field; `d.KEY.from`, `d.KEY.to` for a given date), the
exports honouring the same filters. A personal field (one that may name a person) is offered to
those who may search by person (officers, admins) and matches only the cases whose person they
see; asked for by anyone else, it is refused."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import QueryParams

from web.kit import views
from web.kit.access import person_rule, visible_org
from web.kit.deps import CASES_COOKIE, PageContext
from web.kit.page import MAX_INT, export, page, render, secure
from web.kit.registers import is_register, opens_here, own_columns, own_values
from workflow import services as svc
from workflow.core.definition import Definition
from workflow.core.errors import UsageError
from workflow.core.limits import ungrouped
from workflow.core.names import name_in
from workflow.i18n import period_name
from workflow.services import recorded, search, visibility
from workflow.services import transactions as tx
from workflow.services.bulk_actions import MAX_ITEMS

router = APIRouter(include_in_schema=False)
FILTERS = ("number", "q", "process", "org", "object", "person", "state", "overdue")
REGISTER = ("f.", "d.")  # the prefixes of a register's own filters (with a process chosen)
RANGE = ("from", "to")
PAGE_SIZE = 50


def _kept(key: str) -> bool:
    """A query key the cases list remembers: a filter, or a register's own."""
    return key in FILTERS or key.startswith(REGISTER)


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


def _bound(pc: PageContext, kind: str, raw: str | None, label: str) -> Any:
    """One end of a range as typed: a whole number (its thousands apart or not) or a date
    (YYYY-MM-DD), or None."""
    text = (raw or "").strip()
    if not text:
        return None
    if kind == "integer":
        text = ungrouped(text)  # "4 500 000" as the recording forms take it
        digits = text[1:] if text.startswith("-") else text
        if not digits.isdigit():
            raise UsageError(key="error.bad_int", what=label, value=text)
        if abs(int(text)) > MAX_INT:
            raise UsageError(key="error.out_of_range", what=label, value=text)
        return int(text)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(key="error.bad_date", what=label, value=text) from None


def register_filters(pc: PageContext, defn: Definition, params: Any
                     ) -> tuple[list[dict[str, Any]], tuple[search.FieldFilter, ...]]:
    """A register's own filters: what the form offers (each field, then each date given at
    opening, in the definition's order, with the values asked for) and the filters asked for,
    checked (a choice must be one of the field's, a number a whole number, a date a date)."""
    lang = pc.t.language
    persons = pc.viewer.records
    offered: list[dict[str, Any]] = []
    asked: list[search.FieldFilter] = []
    items: list[tuple[str, str, str, Any, bool, Any, tuple[str, ...]]] = [
        ("field", k, f.type, f.names, f.personal, f.choice_names, f.choices)
        for k, f in defn.fields.items()]
    items += [("date", k, "date", d.names, False, {}, ()) for k, d in defn.dates.items()
              if d.given != "none"]
    for source, key, kind, names, personal, choice_names, choices in items:
        label = name_in(names, lang, key) if names else key
        name = f"{'f' if source == 'field' else 'd'}.{key}"
        values = {"": params.get(name)} if kind in ("text", "choice") else {
            end: params.get(f"{name}.{end}") for end in RANGE}
        wanted = any((v or "").strip() for v in values.values())
        if personal and not persons:
            if wanted:  # a field that may name a person: not for those who cannot search by one
                raise UsageError(key="cases.personal_filter", field=label)
            continue
        item: dict[str, Any] = {"name": name, "label": label, "type": kind,
                "values": {k: (v or "").strip() for k, v in values.items()},
                "choices": [(c, name_in(choice_names.get(c), lang, c)) for c in choices]}
        offered.append(item)
        if not wanted:
            continue
        if kind == "choice":
            value = item["values"][""]
            if value not in choices:
                raise UsageError(key="cases.bad_choice", field=label, value=value,
                                 choices=", ".join(choices))
            asked.append(search.FieldFilter(source, key, kind, value=value, personal=personal))
        elif kind == "text":
            if len(item["values"][""]) > search.MAX_TERM:
                raise UsageError(key="error.too_long", field=label, limit=search.MAX_TERM)
            asked.append(search.FieldFilter(source, key, kind, value=item["values"][""],
                                            personal=personal))
        else:
            low, high = (_bound(pc, kind, item["values"][end], label) for end in RANGE)
            asked.append(search.FieldFilter(source, key, kind, low=low, high=high,
                                            personal=personal))
    return offered, tuple(asked)


def case_query(params: Any, pc: PageContext) -> search.CaseQuery:
    """The filters asked for, checked: a hidden organisation is the 404 of an unknown one, an
    unknown process or state a usage error; a register's own filters with its process only."""
    q = params
    process = q.get("process") or None
    fields: tuple[search.FieldFilter, ...] = ()
    if process:
        _offered, fields = register_filters(pc, pc.ctx.registry.get(process), q)
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
                            words=_text(pc, q.get("q"), "cases.words"), fields=fields)


def _saved(request: Request, pc: PageContext) -> str | None:
    """The filters this user last applied, if the cookie holds hers."""
    raw = request.cookies.get(CASES_COOKIE)
    if not raw:
        return None
    owner, _sep, query = unquote(raw).partition(":")
    if owner != str(pc.viewer.user.id):
        return None
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if _kept(k)]
    return urlencode(kept) or None


def _remember(resp: Response, query_string: str, pc: PageContext, https: bool) -> None:
    kept = [(k, v) for k, v in parse_qsl(query_string) if _kept(k) and v]
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
    resp: Response
    if "clear" in request.query_params:
        resp = RedirectResponse("/cases", status_code=303)
        resp.delete_cookie(CASES_COOKIE, path="/cases")
        return resp
    # /cases with no query at all (the menu, a language switch, back from a case) shows the
    # filters last applied; any query (even an empty form, or a page link) is what is asked
    query_string = request.url.query or _saved(request, pc) or ""
    params = QueryParams(query_string)
    viewer = pc.viewer
    # the organisation typed as a code or a name (several: offered to choose; none: all hers,
    # answered as an unknown one)
    orgs = views.org_choices(pc.s, viewer)
    picked = views.typed_org(orgs, params.get("org"), pc.t.language, query_string)
    if picked.typed:
        params = QueryParams([(k, v) for k, v in params.multi_items() if k != "org"]
                             + ([("org", picked.code)] if picked.code else []))
    query = case_query(params, pc)
    found = search.find_cases(pc.s, pc.ctx, viewer.org.code, query,
                              person_rule(viewer),
                              only_path=views.only_path(viewer))
    page_no = params.get("page") or "1"
    if not page_no.isdigit() or int(page_no) < 1:
        raise UsageError(key="error.bad_page", value=page_no)
    shown, pager = views.paginate(found, int(page_no), query_string, size=PAGE_SIZE)
    filtered = any(v for k, v in params.multi_items() if _kept(k))
    offered = (register_filters(pc, pc.ctx.registry.get(query.process), params)[0]
               if query.process else [])
    rows = _rows(pc, shown)
    # one process chosen: its own columns too, never the person (a list names none: what may
    # name her is "hidden"; the register's page and the export show her to those who see her)
    chosen = pc.ctx.registry.get(query.process) if query.process else None
    own = {**own_columns(chosen, pc.t), "person": False} if chosen is not None else None
    if chosen is not None and own is not None:
        values = own_values(pc, chosen, shown, own, persons=False)
        for row in rows:
            row["own"] = values[row["id"]]
    resp = render(request, pc, "cases.html", status=picked.status, picked=picked,
                  rows=rows, pager=pager, query=query,
                  # what "Save this list as a view" keeps: the filters shown (remembered ones
                  # too), not the bare address
                  view_address="/cases" + (f"?{query_string}" if query_string else ""),
                  register_filters=offered, own_columns=own,
                  filters={k: params.get(k, "") for k in FILTERS}
                  | ({"org": picked.typed} if picked.typed and not picked.code else {}),
                  filtered=filtered,
                  processes=pc.ctx.registry.all(), states=state_choices(pc, query.process),
                  orgs=orgs,
                  person_search=viewer.records,
                  # the bulk bar records one event on the cases selected: the events of the
                  # procedure filtered on (none filtered: the bar hands over and exports only)
                  bulk_events=[(e.key, name_in(e.names, pc.t.language, e.key))
                               for e in chosen.events.values()]
                  if chosen is not None else None, bulk_limit=MAX_ITEMS,
                  # the process filtered on: its form ("New entry") where it may be opened
                  # here, its register's page where it is one (web/registers_page.py)
                  new_here=chosen is not None and opens_here(chosen, viewer.user,
                                                             viewer.org.kind),
                  register_page=chosen is not None and is_register(chosen))
    if request.url.query:
        _remember(resp, query_string, pc, secure(request))
    return resp


@router.get("/cases.{fmt}")
def cases_export(request: Request, fmt: str, pc: PageContext = Depends(page)) -> Response:
    """The cases the filters find, every one (not a page), as XLSX or CSV. Filtered by one
    process — a register — it has that process's columns: the person and position (where the
    viewer may see the person; "hidden" otherwise, and the view audited), each field (a
    choice by its name) and each date given at opening."""
    if fmt not in ("xlsx", "csv"):
        raise UsageError(key="error.bad_format", value=fmt)
    params = request.query_params
    query = case_query(params, pc)
    viewer = pc.viewer
    found = search.find_cases(pc.s, pc.ctx, viewer.org.code, query,
                              person_rule(viewer),
                              only_path=views.only_path(viewer))
    rows = _rows(pc, found)
    t, lang = pc.t, pc.t.language
    header = [t("case.col_id"), t("web.process"), t("org.col_code"),
              t("list.col_organisation"), t("case.col_period"), t("stage.col_status"),
              t("cases.col_overdue")]
    defn = pc.ctx.registry.get(query.process) if query.process else None
    # the period by its name; a case of no period: its date, unless the register's own dates
    # (the fact's) follow as columns of their own
    dated = defn is None or not any(d.given != "none" for d in defn.dates.values())
    body: list[list[Any]] = [[r["id"], r["process_name"], r["subject"], r["subject_name"],
                              period_name(r["period"], lang) if r["period"]
                              else r["case_date"] if dated else None,
                              r["state_name"], r["overdue"]]
                             for r in rows]
    if defn is not None:
        given = [k for k, d in defn.dates.items() if d.given != "none"]
        entries = search.entries_of(pc.s, [f.id for f in found])
        person = defn.parties.person != "none"
        if person:
            header += [t("web.person"), t("web.position")]
        header += [name_in(f.names, lang, k) for k, f in defn.fields.items()]
        header += [name_in(defn.dates[k].names, lang, k) if defn.dates[k].names else k
                   for k in given]
        # the register's key evidence: what its counted stage's event carries
        keys = recorded.key_evidence(defn)
        header += [recorded.evidence_label(defn, k, lang, t) for k in keys]
        counted = defn.scorecard.counted if defn.scorecard is not None else None
        evidence = (search.stage_evidence_of(pc.s, [f.id for f in found], counted)
                    if keys and counted else {})
        with tx.transaction(pc.s):  # each export of a person is audited
            _register_columns(pc, defn, found, body, given, entries, person, keys, evidence)
    stem = f"cases-{query.process}" if query.process else "cases"
    return export(fmt, stem, t("nav.cases"), header, body)


def _register_columns(pc: PageContext, defn: Definition, found: list[search.Found],
                      body: list[list[Any]], given: list[str],
                      entries: dict[int, tuple[dict[str, Any], dict[str, Any]]],
                      person: bool, keys: tuple[str, ...] = (),
                      evidence: dict[int, dict[str, Any]] | None = None) -> None:
    """A register's own columns on each line: the person and position (or "hidden"), each
    field by its choice's name (a date a date, a whole number a number), each given date, each
    key evidence of its counted stage (hidden with the person, as the case page hides it)."""
    viewer, t, lang = pc.viewer, pc.t, pc.t.language
    for f, line in zip(found, body, strict=True):
        fields, dates = entries.get(f.id, ({}, {}))
        shown = False
        if person:
            shown = visibility.may_see_person(viewer.user, f, defn)
            line += ([f.person_name, f.person_position] if shown
                     else [t("web.person_hidden")] * 2)
            svc.audit_person_seen(pc.s, pc.ctx, f.id, f.person_name is not None and shown)
        for key, spec in defn.fields.items():
            value = fields.get(key)
            if spec.personal and not (person and shown):
                line.append(t("web.person_hidden") if value else None)
                continue
            line.append(recorded.cell(next(iter(recorded.field_values(
                defn, {key: value}, lang)), None)))
        line += [recorded.typed("date", dates.get(k)) for k in given]
        if not keys:
            continue
        recorded_here = (evidence or {}).get(f.id) or {}
        if person and not shown:
            line += [t("web.person_hidden") if recorded_here.get(k) else None for k in keys]
            continue
        line += [recorded.cell(recorded.evidence_value(defn, k, recorded_here[k], lang, t))
                 if recorded_here.get(k) not in (None, "") else None for k in keys]
