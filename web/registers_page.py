"""A page per register of projects No. 2-4, their index grouped by project, and the picker of
what to open ("New entry"), grouped the same way.

A register's page lists its entries in the viewer's subtree (an officer: her organisation's)
with the register's own columns — the person and position (only for those who may see the
person, as on the case page; "hidden" otherwise, each entry about a person audited as seen),
each field (a choice by its name; a field that may name a person hidden with the person), each
date given at opening, the key evidence of its counted stage — and its own filters, derived
from the definition: each field by its type (a choice, such as the kind of a breach or
"detected independently", as a select; a text "contains"; a number or a date from/to), each
date given at opening from/to, the person (where the viewer may search by one), the state, and,
for a register whose entries are valid until a date (a certificate), "expires within N days".
Beside the list: one "New entry" action (offered only where the register applies to the
viewer's organisation), the report form its entries fill and its points for the year (the
scorecard's, through the extension point `register_points` of web/kit/parts.py: never computed
here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import QueryParams

from web.cases_page import PAGE_SIZE, register_filters, state_choices
from web.kit import views
from web.kit.access import person_rule
from web.kit.deps import PageContext
from web.kit.page import int_param, page, render
from web.kit.registers import (
    REGISTER_PROJECTS,
    applies_to,
    grouped,
    is_register,
    opens_here,
    own_columns,
    own_values,
    project_of,
)
from workflow import services as svc
from workflow.core.definition import Definition
from workflow.core.errors import NotFound, UsageError
from workflow.core.names import name_in
from workflow.registers.entries import DONE, PENDING, Entry
from workflow.registers.reader import entries_of_cases
from workflow.services import search
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)
MAX_WITHIN = 3660  # days ahead an expiry filter may look (ten years)


def _register(pc: PageContext, process: str) -> Definition:
    """A register with a page; any other key is the 404 of an unknown process."""
    defn = pc.ctx.registry.get(process)
    if not is_register(defn):
        raise NotFound(f"no register {process!r}", key="notfound.process", process=process,
                       known=", ".join(d.key for d in pc.ctx.registry.all() if is_register(d)))
    return defn


@router.get("/registers", response_class=HTMLResponse)
def registers_index(request: Request, pc: PageContext = Depends(page)):
    """The registers of projects No. 2-4 that concern the reader's organisations (an officer:
    hers; a manager: any of her subtree's kinds; an administrator: all), by project, sorted by
    name in the reader's language."""
    lang = pc.t.language
    viewer = pc.viewer
    kinds = ({viewer.org.kind} if viewer.own_only
             else None if viewer.administers
             else svc.subtree_kinds(pc.s, viewer.org))
    kept = [d for d in pc.ctx.registry.all()
            if kinds is None or any(applies_to(d, kind) for kind in kinds)]
    groups = [g for g in grouped(kept, lang) if g["project"] in REGISTER_PROJECTS]
    return render(request, pc, "registers.html", groups=groups)


@router.get("/cases/new", response_class=HTMLResponse)
def new_entry(request: Request, pc: PageContext = Depends(page)):
    """What a new entry may be opened of: the registers and procedures the viewer may open for
    her organisation, by project (then the procedures and obligations), sorted by name."""
    viewer = pc.viewer
    offered = [d for d in pc.ctx.registry.all()
               if opens_here(d, viewer.user, viewer.org.kind)]
    return render(request, pc, "register_pick.html", groups=grouped(offered, pc.t.language))


def _expiry(defn: Definition) -> str | None:
    """The date an entry is valid until (`[scorecard.dates] valid_until`), when it is given at
    opening (the list can filter by it)."""
    key = defn.scorecard.valid_until if defn.scorecard is not None else None
    return key if key in defn.dates and defn.dates[key].given != "none" else None


def _within(pc: PageContext, defn: Definition, params: QueryParams
            ) -> tuple[int | None, search.FieldFilter | None]:
    """The filter "expires within N days": the entries valid until a day from today to
    today + N (both included)."""
    key = _expiry(defn)
    raw = (params.get("within") or "").strip()
    if key is None or not raw:
        return None, None
    label = pc.t("registers.within")
    days = int_param(raw, label)
    if days is None or not 0 <= days <= MAX_WITHIN:
        raise UsageError(key="error.out_of_range", what=label, value=raw)
    today = pc.ctx.today
    return days, search.FieldFilter("date", key, "date", low=today,
                                    high=today + timedelta(days=days))


def _points_year(request: Request, pc: PageContext, params: QueryParams) -> int:
    year = int_param(params.get("year"), pc.t("registers.year"), pc.ctx.today.year)
    cal = request.app.state.calendar
    if year is None or not cal.first_year <= year <= cal.last_year:
        raise UsageError(key="error.year_outside", year=year, first=cal.first_year,
                         last=cal.last_year)
    return year


def _counted(pc: PageContext, entry: Entry | None) -> str:
    """Whether and in which year the entry counts, as the score, the forms and the national
    input count it (the registers' read side, B-17): counted in its year(s), pending (its
    year's date not yet recorded: in none yet), or not counted."""
    t = pc.t
    if entry is None or entry.first_year is None:
        return t("registers.counted_not")
    if not entry.dated:
        return t("registers.counted_undated")
    first, last = entry.first_year, entry.last_year
    years = (str(first) if first == last else t("registers.counted_since", year=first)
             if last is None else f"{first}–{last}")
    if entry.counted == DONE:
        return t("registers.counted_in", years=years)
    if entry.counted == PENDING:
        return t("registers.counted_pending", years=years)
    return t("registers.counted_not")


def _rows(pc: PageContext, defn: Definition, shown: list[search.Found],
          columns: dict[str, Any]) -> list[dict[str, Any]]:
    """Each entry's line: its own values (web/kit/registers.py), its state, overdue stages and
    whether and in which year it counts."""
    lang = pc.t.language
    own = own_values(pc, defn, shown, columns)
    late = search.overdue_counts(pc.s, pc.ctx, [f.id for f in shown])
    entries = entries_of_cases(pc.s, [defn], shown)
    rows = []
    for f in shown:
        state = search.state_of(pc.s, pc.ctx, f)
        rows.append({"id": f.id, "subject_name": f.name_of(f.subject_names, lang),
                     "period": f.period, "case_date": f.case_date, **own[f.id],
                     "state": state, "state_name": name_in(defn.states.get(state), lang, state),
                     "overdue": late.get(f.id, 0),
                     "counted": _counted(pc, entries.get(f.id))})
    return rows


def _form(request: Request, defn: Definition) -> int | None:
    """The appendix of the report forms its entries fill (when the forms lay it out)."""
    appendix = defn.form.appendix if defn.form is not None else None
    forms = request.app.state.parts.report_forms  # web/kit/parts.py
    return appendix if forms is not None and appendix in forms.appendices() else None


def case_ranges(text: str) -> list[tuple[int, int]] | None:
    """The case numbers of a `cases` filter ("12-40,45"; None: no filter); refused when it
    is not such a list."""
    if not text.strip():
        return None
    out = []
    for part in text.split(",")[:200]:
        low, _, high = part.strip().partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise UsageError(key="import.bad_cases_filter", value=text[:40])
        out.append((int(low), int(high or low)))
    return out


@dataclass(frozen=True)
class Asked:
    """A register page's filters, checked (the page, its export and a saved view's count read
    them alike): the cases query, and what the page shows of them."""

    query: search.CaseQuery
    opened: list[tuple[int, int]] | None  # the entries an import opened ("12-40,45")
    org: str | None
    picked: views.TypedOrg  # the organisation filter as typed: a code or a name, read
    offered: list[Any]
    within: int | None
    expiry: search.FieldFilter | None
    person_search: bool
    person: str | None
    states: list[tuple[str, str]]
    state: str | None
    year: int


def asked(request: Request, pc: PageContext, defn: Definition, params: QueryParams) -> Asked:
    """The filters of a register's page, checked: the organisation typed as a code or a name,
    as the lists read it (`views.typed_org`: several offered; none of hers, or a hidden one,
    the 404 of an unknown one with all of hers listed), a bad value a usage error in the
    reader's words."""
    viewer = pc.viewer
    picked = views.typed_org(views.org_choices(pc.s, viewer), params.get("org"),
                             pc.t.language, urlencode(list(params.multi_items())))
    org = picked.code
    offered, fields = register_filters(pc, defn, params)
    within, expiry = _within(pc, defn, params)
    if expiry is not None:
        fields = (*fields, expiry)
    person_search = viewer.records and defn.parties.person != "none"
    person = (params.get("person") or "").strip() or None
    if person and not person_search:
        raise UsageError(key="cases.personal_filter", field=pc.t("web.person"))
    if person and len(person) > search.MAX_TERM:
        raise UsageError(key="error.too_long", field=pc.t("web.person"), limit=search.MAX_TERM)
    states = state_choices(pc, defn.key)
    state = params.get("state") or None
    if state and state not in dict(states):
        raise UsageError(key="cases.bad_state", value=state)
    year = _points_year(request, pc, params)
    query = search.CaseQuery(process=defn.key, subject=org, person=person, state=state,
                             fields=fields)
    return Asked(query, case_ranges(params.get("cases") or ""), org, picked, offered, within,
                 expiry, person_search, person, states, state, year)


def entries(pc: PageContext, a: Asked) -> list[search.Found]:
    """The entries a register's page lists for these filters, as the reader may see them."""
    viewer = pc.viewer
    found = search.find_cases(pc.s, pc.ctx, viewer.org.code, a.query,
                              person_rule(viewer),
                              only_path=views.only_path(viewer))
    if a.opened is not None:  # the entries an import opened ("12-40,45")
        found = [f for f in found if any(lo <= f.id <= hi for lo, hi in a.opened)]
    return found


@router.get("/registers/{process}", response_class=HTMLResponse)
def register_page(request: Request, process: str, pc: PageContext = Depends(page)):
    defn = _register(pc, process)
    params = request.query_params
    viewer = pc.viewer
    a = asked(request, pc, defn, params)
    org, offered, within, expiry = a.org, a.offered, a.within, a.expiry
    person_search, person, states, state, year = (a.person_search, a.person, a.states,
                                                  a.state, a.year)
    found = entries(pc, a)
    page_no = int_param(params.get("page"), pc.t("web.pages"), 1)
    if page_no is None or page_no < 1:
        raise UsageError(key="error.bad_page", value=params.get("page"))
    shown, pager = views.paginate(found, page_no, request.url.query, size=PAGE_SIZE)
    columns = own_columns(defn, pc.t)
    with tx.transaction(pc.s):  # each entry about a person seen is audited, as its export
        rows = _rows(pc, defn, shown, columns)
    subject = org or viewer.org.code
    part = request.app.state.parts.register_points  # web/kit/parts.py
    points = part.points(request, pc, defn, subject, year) if part is not None else None
    # the export of the same entries: the cases list's, with the expiry as a date range
    kept = [(k, v) for k, v in params.multi_items()
            if v and (k in ("person", "state") or k.startswith(("f.", "d.")))]
    if org:
        kept.insert(0, ("org", org))
    if expiry is not None:
        kept += [(f"d.{expiry.key}.from", expiry.low.isoformat()),
                 (f"d.{expiry.key}.to", expiry.high.isoformat())]
    filtered = any(v for k, v in params.multi_items() if k not in ("year", "page") and v)
    return render(request, pc, "register.html", status=a.picked.status, picked=a.picked,
                  definition=defn, project=project_of(defn),
                  siblings=[d for g in grouped(pc.ctx.registry.all(), pc.t.language)
                            if g["project"] == project_of(defn) for d in g["definitions"]],
                  rows=rows, pager=pager, columns=columns, register_filters=offered,
                  expiry=_expiry(defn), within=within, person_search=person_search,
                  person=person or "", states=states, state=state or "", org=org or "",
                  orgs=views.org_choices(pc.s, viewer), year=year, subject=subject,
                  points=points, appendix=_form(request, defn), filtered=filtered,
                  export_query=urlencode([("process", defn.key), *kept]),
                  new_entry=opens_here(defn, viewer.user, viewer.org.kind))
