"""Coverage on the dashboard: /coverage (a subject's subdivisions without an analysis whose note
is signed, with the points each would add; the organisation picker of the other pages), its
figure on the overview (`OVERVIEW_PART`, composed by web/app.py) and `GET /api/v1/coverage`;
for a central body or an akimat, its units' final reporting forms (B-18) in a section of the
same page (`#submissions`, linked from the score page) and `GET /api/v1/submissions`.
A viewer sees the subjects the other pages show them (officers their own organisation, managers
and admins their subtree); any other is the 404 of an unknown organisation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import Field

from web.kit import views
from web.kit.access import visible_org
from web.kit.api import LIMIT, OFFSET, ApiContext, api_routes
from web.kit.deps import PageContext
from web.kit.page import int_param, page, page_number, render
from web.kit.parts import Parts
from web.kit.shapes import Shape
from workflow.core.errors import UsageError
from workflow.coverage import service
from workflow.coverage.rules import Submissions, SubmissionsHeading, UnitSubmission
from workflow.scorecard.kept import kept_of
from workflow.scorecard.rules import ScoreSettings

router = APIRouter(include_in_schema=False)
api_router = api_routes()


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, pc: PageContext = Depends(page)):
    q = request.query_params
    org = visible_org(pc.s, pc.viewer, q["org"]) if q.get("org") else pc.viewer.org
    year = int_param(q.get("year"), "year", pc.ctx.today.year) \
        or pc.ctx.today.year
    settings = request.app.state.settings.of(ScoreSettings)
    result = kept_coverage(pc, org.code, year, settings)
    # a root's thousands of subdivisions: a page of those not covered
    uncovered, pager = views.paginate(result["uncovered"], page_number(request),
                                      request.url.query, size=views.PAGE_SIZE)
    subs = lines = None
    units: dict[str, Any] = {}
    if service.reports_to_it(pc.ctx, org, settings):  # B-18: its units' final reports
        try:
            subs = kept_of(pc.s, pc.ctx, org.code, year, settings, "submissions",
                           lambda: service.submissions(pc.s, pc.ctx, org.code, year, settings))
            lines = service.submission_lines(subs, pc.t)
        except UsageError:  # the year's reports are due beyond the calendar's data: no section
            subs = None
    if subs is not None:
        units = _units(request, pc, subs)
    return render(request, pc, "coverage.html", result=result, year=year, scope=org,
                  uncovered=uncovered, pager=pager,
                  orgs=views.org_choices(pc.s, pc.viewer), org_filter=q.get("org") or "",
                  submissions=subs, submission_lines=lines, **units)


UNITS = views.PAGE_SIZE  # the units' final reports listed a page (a root has thousands)


def _found(units: Sequence[Any], typed: str) -> list[Any]:
    """The units whose code or name holds what was typed (case ignored), in tree order."""
    q = typed.casefold()
    return [u for u in units if q in u.code.casefold() or q in u.name.casefold()] if q \
        else list(units)


def _pager(total: int, name: str, request: Request) -> tuple[int, dict[str, Any]]:
    """Where a page (?`name`=N, 1 the first) of `total` units starts, and the links to the
    others (the page's other parameters kept, as web/kit/views.pages does for ?page=)."""
    number = int_param(request.query_params.get(name), name, 1)
    if number < 1:
        raise UsageError(key="error.bad_page", value=number)
    count = max(1, -(-total // UNITS))
    number = min(number, count)
    kept = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True)
            if k != name]

    def link(n: int) -> str:
        return "?" + urlencode([*kept, (name, str(n))]) + "#submissions"

    first = (number - 1) * UNITS
    return first, {"page": number, "pages": count, "first": first + 1 if total else 0,
                   "last": min(first + UNITS, total), "total": total,
                   "prev": link(number - 1) if number > 1 else None,
                   "next": link(number + 1) if number < count else None}


def _units(request: Request, pc: PageContext, subs: Submissions) -> dict[str, Any]:
    """The units' and the supervised entities' reports a page at a time (?reports=N,
    ?entities=N), found by code or name (?unit=): the section's summary counts them all."""
    typed = (request.query_params.get("unit") or "").strip()
    out: dict[str, Any] = {"unit_q": typed}
    for which, name in (("units", "reports"), ("entities", "entities")):
        found = _found(getattr(subs, which), typed)
        first, pager = _pager(len(found), name, request)
        shown = found[first:first + UNITS]
        out[f"{which}_shown"] = shown
        out[f"{which}_pager"] = pager
        out[f"{which}_found"] = len(found)
        out[f"{which[:-1] if which == 'units' else 'entity'}_texts"] = [
            service.unit_text(u, pc.t) for u in shown]
    return out


def kept_coverage(pc: Any, code: str, year: int, settings: ScoreSettings) -> dict[str, Any]:
    """The subject's coverage in the reader's language, kept per version of its path (shared:
    not to be changed)."""
    return kept_of(pc.s, pc.ctx, code, year, settings, "coverage",
                   lambda: service.coverage(pc.s, pc.ctx, code, year, settings))


class Coverage(Shape):
    """A subject's coverage for a year: the figures and the uncovered subdivisions, each with
    its state and the points it would add."""

    subject: str
    subject_name: str
    year: int
    as_of: date
    evaluated: bool
    subdivisions: int
    covered: int
    percent: int | float
    points: int | float
    maximum: int | float
    points_each: int | float
    points_all: int | float
    uncovered: list[dict[str, Any]]


@api_router.get("/coverage", response_model=Coverage)
def api_coverage(request: Request, org: str | None = None, year: int | None = None,
                 a: ApiContext = Depends()) -> dict[str, Any]:
    """Coverage (1.3.3, 001:L160-185): the subdivisions of a subject (`org`, default the
    caller's organisation) without an analysis whose note is signed in a year (default this
    year), each with its state and the points it would add; the names in ?lang= (kk, ru, en)."""
    subject = visible_org(a.s, a.viewer, org or a.viewer.org.code)
    year_n = year if year is not None else a.ctx.today.year
    settings = request.app.state.settings.of(ScoreSettings)
    return service.as_json(kept_of(a.s, a.ctx, subject.code, year_n, settings, "coverage",
                                   lambda: service.coverage(a.s, a.ctx, subject.code, year_n,
                                                            settings)))


@dataclass(frozen=True)
class SubmissionsPage(SubmissionsHeading):
    """A subject's units and their final reports for a year (`Submissions`), the units and
    the quasi-state entities a page of each: `total` and the counts are of every unit,
    `entities_total` of every entity; `limit` and `offset` cut both lists. (A dataclass, as
    `Submissions` is: a model's field may not be called `register`.)"""

    units: Annotated[list[UnitSubmission], Field(description=(
        "The page's units, in tree order: `limit` of them from `offset` (of `total`)."))]
    total: Annotated[int, Field(description="How many units present a report to the subject.")]
    submitted: int
    late: int
    not_yet: int
    missing: int
    no_case: int
    entities: Annotated[list[UnitSubmission], Field(description=(
        "The page's quasi-state entities the subject supervises (project No. 3's: they "
        "report to it on their own date): `limit` of them from `offset` (of "
        "`entities_total`)."))]
    entities_total: Annotated[int, Field(description="How many such entities there are.")]
    limit: int
    offset: int


@api_router.get("/submissions", response_model=SubmissionsPage)
def api_submissions(request: Request, org: str | None = None, year: int | None = None,
                    limit: int = LIMIT, offset: int = OFFSET,
                    a: ApiContext = Depends()) -> SubmissionsPage:
    """The final reporting forms (B-18, 000:L92-98) presented to a central body or an akimat
    (`org`, default the caller's organisation) for a year (default this year): each unit with
    its status (`submitted_on_time`, `submitted_late`, `not_yet`, `missing`, `no_case`), its
    own due date and the day it submitted; the subject's own deadline and the counts; the names
    in ?lang= (kk, ru, en). Any other organisation has no units. Paged: `limit` units (and
    quasi-state entities) from `offset`, the counts of them all (`total`, `entities_total`):
    a client pages with `offset += limit` until `offset` reaches the larger."""
    subject = visible_org(a.s, a.viewer, org or a.viewer.org.code)
    year_n = year if year is not None else a.ctx.today.year
    settings = request.app.state.settings.of(ScoreSettings)
    # kept per version of the subject's subtree: a root's thousands of units read once, not
    # once a page
    found: Submissions = kept_of(a.s, a.ctx, subject.code, year_n, settings, "submissions",
                                 lambda: service.submissions(a.s, a.ctx, subject.code, year_n,
                                                             settings))
    whole = {f.name: getattr(found, f.name) for f in fields(found)}
    return SubmissionsPage(**{**whole, "units": list(found.units[offset:offset + limit]),
                              "entities": list(found.entities[offset:offset + limit]),
                              "entities_total": len(found.entities), "limit": limit,
                              "offset": offset})


class OverviewPart:
    """The overview's coverage figure for its organisation, when it is a subject of the
    scorecard (not a part of an apparatus): covered of all, the points and a link."""

    def page(self, request: Request, pc: PageContext, scope: Any) -> dict[str, Any]:
        settings = request.app.state.settings.of(ScoreSettings)
        if scope.kind not in settings.subject_kinds:
            return {}
        return {"coverage": kept_coverage(pc, scope.code, pc.ctx.today.year, settings)}


OVERVIEW_PART = OverviewPart()


PARTS = Parts(routers=(router, api_router), overview=OVERVIEW_PART)
