"""The evaluation of project No. 1 on the dashboard: every subject under an organisation as a
sortable table (with its XLSX/CSV export), and one subject's scorecard in words with its sources
as footnotes. A viewer sees what the other pages show them: officers their own organisation,
managers and admins their subtree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from web.kit.access import visible_org, visible_programme
from web.kit.api import LIMIT, OFFSET, ApiContext, Page, api_routes, paginate
from web.kit.deps import PageContext
from web.kit.page import export, int_param, page, render
from workflow import services as svc
from workflow.core.errors import UsageError
from workflow.i18n import Translator
from workflow.scorecard import service as scoring
from workflow.scorecard.rules import ScoreSettings
from workflow.scorecard.words import in_words, score_table
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)
api_router = api_routes()
SORTS = ("subject", "kind", "awards", "deductions", "total", "status")


def _settings(request: Request) -> ScoreSettings:
    return request.app.state.settings.score


def _cards(request: Request, pc: PageContext, code: str, year: int, subtree: bool
           ) -> list[dict[str, Any]]:
    org = visible_org(pc.s, pc.viewer, code)
    # an officer sees their own organisation only: no subtree below it
    subtree = subtree and pc.viewer.role != "officer"
    return [in_words(r, pc.t) for r in
            scoring.scorecards(pc.s, pc.ctx, org.code, year, _settings(request), subtree)]


def _query(request: Request, pc: PageContext) -> tuple[str, int]:
    code = request.query_params.get("org") or pc.viewer.org.code
    year = int_param(request.query_params.get("year"), "year", pc.ctx.today.year)
    cal = request.app.state.calendar
    if not cal.first_year <= year <= cal.last_year:
        raise UsageError(key="error.year_outside", year=year, first=cal.first_year,
                         last=cal.last_year)
    return code, year


def _sorted(cards: list[dict[str, Any]], sort: str, descending: bool) -> list[dict[str, Any]]:
    def key(card: dict[str, Any]):
        if sort in ("awards", "deductions", "total"):
            return card[sort]
        if sort == "status":
            return card["provisional_until"].isoformat() if card["provisional_until"] else ""
        if sort == "kind":
            return card["kind_name"]
        if sort == "subject":
            return card["subject_name"].casefold()
        if sort in card.get("subtotals", {}):  # a project's subtotal: p1 … p4
            return card["subtotals"][sort]["subtotal"]
        points = {i["key"]: i["points"] for i in card["indicators"]}
        return points.get(sort, float("-inf"))

    return sorted(cards, key=key, reverse=descending)


@router.get("/score", response_class=HTMLResponse)
def score_tree(request: Request, pc: PageContext = Depends(page)):
    code, year = _query(request, pc)
    sort = request.query_params.get("sort") or ""
    descending = request.query_params.get("dir", "desc" if sort else "asc") == "desc"
    # one project's indicators at a time (projects 2-4 hold dozens): ?project=N; the table
    # always has each project's subtotal
    project = request.query_params.get("project") or "1"
    if project not in ("1", "2", "3", "4"):
        raise UsageError(key="error.bad_page", value=project)
    cards = _cards(request, pc, code, year, subtree=True)
    for card in cards:
        card["by_key"] = {i["key"]: i for i in card["indicators"]}
        card["subtotals"] = {f"p{p['project']}": p for p in card.get("projects", ())}
    if sort:
        cards = _sorted(cards, sort, descending)
    keys = list(dict.fromkeys(i["key"] for card in cards for i in card["indicators"]
                              if str(i.get("project", 1)) == project))
    projects = sorted({p for card in cards for p in card["subtotals"]})
    return render(request, pc, "score_tree.html", cards=cards, org=code, year=year, sort=sort,
                  descending=descending, keys=keys, sorts=SORTS, project=project,
                  projects=projects)


@router.get("/score.{fmt}")
def score_export(request: Request, fmt: str, pc: PageContext = Depends(page)) -> Response:
    if fmt not in ("xlsx", "csv"):
        raise UsageError(key="error.bad_format", value=fmt)
    code, year = _query(request, pc)
    header, body = score_table(_cards(request, pc, code, year, subtree=True), pc.t)
    tx.audited(pc.s, f"web:{pc.viewer.login}", "export.score", "organisation", code,
               {"format": fmt, "year": year, "rows": len(body)})
    return export(fmt, f"score-{code}-{year}", pc.t("nav.scores"), header, body)


@router.get("/score/{org}", response_class=HTMLResponse)
def score_subject(request: Request, org: str, pc: PageContext = Depends(page)):
    _code, year = _query(request, pc)
    card = _cards(request, pc, org, year, subtree=False)[0]
    return render(request, pc, "score.html", card=card, year=year)


@router.get("/programmes/{programme_id}/score", response_class=HTMLResponse)
def score_page(request: Request, programme_id: str, pc: PageContext = Depends(page)):
    """A programme's scorecard: its subject's, of the programme's year."""
    prog = visible_programme(pc.s, pc.viewer, programme_id)
    subject = svc.org_by_id(pc.s, prog.subject_id)
    card = _cards(request, pc, subject.code, prog.year, subtree=False)[0]
    return render(request, pc, "score.html", card=card, year=prog.year)


@api_router.get("/scores")
def api_scores(request: Request, org: str | None = None, year: int | None = None,
               subtree: bool = False, limit: int = LIMIT, offset: int = OFFSET,
               a: ApiContext = Depends()) -> Page:
    """The evaluation of projects No. 1-4 (seed 001) of a subject (`org`, default the
    caller's organisation) for a year (default this year), or with `subtree=true` of every
    subject under it (an officer: her own organisation only), each with every indicator's
    points and inputs, the projects' subtotals, the total and whether it is provisional; the
    words in ?lang= (kk, ru, en)."""
    code = org or a.viewer.org.code
    year_n = year if year is not None else a.ctx.today.year
    cal = request.app.state.calendar
    if not cal.first_year <= year_n <= cal.last_year:
        raise UsageError(key="error.year_outside", year=year_n, first=cal.first_year,
                         last=cal.last_year)
    subject = visible_org(a.s, a.viewer, code)
    subtree = subtree and a.viewer.role != "officer"
    t = Translator(a.ctx.language)
    cards = [in_words(r, t) for r in scoring.scorecards(a.s, a.ctx, subject.code, year_n,
                                                        _settings(request), subtree)]
    return paginate(cards, limit, offset)
