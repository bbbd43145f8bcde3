"""The evaluation of projects No. 1-4 on the dashboard: every subject under an organisation as a
sortable summary and a table of the chosen projects' indicators (with its XLSX/CSV export),
and one subject's scorecard in words, a project at a time, with its sources as footnotes. A
viewer sees what the other pages show them: officers their own organisation, managers and
admins their subtree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from web.kit import views
from web.kit.access import visible_org, visible_programme
from web.kit.api import LIMIT, OFFSET, ApiContext, Page, api_routes, paginate
from web.kit.deps import PageContext
from web.kit.page import export, int_param, page, render
from workflow import services as svc
from workflow.core.errors import UsageError
from workflow.i18n import Translator
from workflow.scorecard import service as scoring
from workflow.scorecard.rules import ScoreSettings
from workflow.scorecard.words import column_label, in_words, score_table
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)
api_router = api_routes()
SORTS = ("subject", "kind", "awards", "deductions", "total", "status")
PROJECTS = (1, 2, 3, 4)


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


def _projects(request: Request) -> tuple[str, tuple[int, ...]]:
    """?project=1…4 or all (the default): which projects' indicators the subtree's table and
    the export show; the summary always has every project's subtotal."""
    value = request.query_params.get("project") or "all"
    if value == "all":
        return value, PROJECTS
    if value not in {str(n) for n in PROJECTS}:
        raise UsageError(key="error.bad_choice", field="project", value=value,
                         known="1, 2, 3, 4, all")
    return value, (int(value),)


def _ordered(request: Request, cards: list[dict[str, Any]]) -> tuple[str, bool,
                                                                   list[dict[str, Any]]]:
    sort = request.query_params.get("sort") or ""
    descending = request.query_params.get("dir", "desc" if sort else "asc") == "desc"
    for card in cards:
        card["by_key"] = {i["key"]: i for i in card["indicators"]}
        card["subtotals"] = {f"p{p['project']}": p for p in card.get("projects", ())}
    return sort, descending, _sorted(cards, sort, descending) if sort else cards


@router.get("/score", response_class=HTMLResponse)
def score_tree(request: Request, pc: PageContext = Depends(page)):
    """The subtree's subjects: a summary (every project's subtotal, the total, provisional or
    final) that fits a laptop's screen, then the chosen projects' indicators (one or all) in a
    table that scrolls sideways in its own box with the subject column kept in view."""
    code, year = _query(request, pc)
    project, chosen = _projects(request)
    org = visible_org(pc.s, pc.viewer, code)
    cards = _cards(request, pc, code, year, subtree=True)
    seen: dict[str, dict[str, Any]] = {}  # the indicators in the order they come, not sorted
    for card in cards:
        for i in card["indicators"]:
            if i["project"] in chosen:
                seen.setdefault(i["key"], i)
    columns = [{"key": k, "label": column_label(k, pc.t), "title": i["title"]}
               for k, i in seen.items()]
    sort, descending, cards = _ordered(request, cards)
    projects = sorted({p for card in cards for p in card["subtotals"]})
    cal = request.app.state.calendar
    return render(request, pc, "score_tree.html", cards=cards, org=code,
                  org_name=svc.org_name(org, pc.t.language), year=year,
                  sort=sort, descending=descending, columns=columns, sorts=SORTS,
                  project=project, projects=projects,
                  grid_projects=[p for p in projects if int(p[1:]) in chosen],
                  orgs=views.org_choices(pc.s, pc.viewer),
                  years=range(cal.first_year, cal.last_year + 1))


@router.get("/score.{fmt}")
def score_export(request: Request, fmt: str, pc: PageContext = Depends(page)) -> Response:
    """The page's table as XLSX or CSV, with the page's selection: organisation, year, the
    projects whose indicators are columns, and the order."""
    if fmt not in ("xlsx", "csv"):
        raise UsageError(key="error.bad_format", value=fmt)
    code, year = _query(request, pc)
    project, chosen = _projects(request)
    _sort, _descending, cards = _ordered(request, _cards(request, pc, code, year, subtree=True))
    header, body = score_table(cards, pc.t, chosen)
    tx.audited(pc.s, f"web:{pc.viewer.login}", "export.score", "organisation", code,
               {"format": fmt, "year": year, "rows": len(body), "project": project})
    return export(fmt, f"score-{code}-{year}", pc.t("nav.scores"), header, body)


@router.get("/score/{org}", response_class=HTMLResponse)
def score_subject(request: Request, org: str, pc: PageContext = Depends(page)):
    """One subject in words: a project's indicators, with what was counted, in a <details>
    that ?project=N opens (the others closed under their subtotals)."""
    _code, year = _query(request, pc)
    project, _chosen = _projects(request)
    card = _cards(request, pc, org, year, subtree=False)[0]
    return render(request, pc, "score.html", card=card, year=year,
                  open_project=0 if project == "all" else int(project))


@router.get("/programmes/{programme_id}/score", response_class=HTMLResponse)
def score_page(request: Request, programme_id: str, pc: PageContext = Depends(page)):
    """A programme's scorecard: its subject's, of the programme's year."""
    prog = visible_programme(pc.s, pc.viewer, programme_id)
    subject = svc.org_by_id(pc.s, prog.subject_id)
    card = _cards(request, pc, subject.code, prog.year, subtree=False)[0]
    # an internal analysis is project No. 1's: its indicators open
    return render(request, pc, "score.html", card=card, year=prog.year, open_project=1)


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
