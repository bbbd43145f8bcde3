"""The evaluation of projects No. 1-4 on the dashboard: every subject under an organisation as a
sortable summary and a table of the chosen projects' indicators (with its XLSX/CSV export),
and one subject's scorecard in words, a project at a time, with its sources as footnotes, each
indicator linked to the cases and coverage rows behind it, each project's maximum and share,
the points still at risk, ranked by what each is worth (also on the overview and My work:
OVERVIEW_PART) and the
report forms with the lines each would hold. A viewer sees what the other pages show them:
officers their own organisation, managers and admins their subtree; a case is linked by its
number, never its person (its page decides who sees that)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from web.kit import views
from web.kit.access import visible_org, visible_programme
from web.kit.api import LIMIT, OFFSET, ApiContext, api_routes, paginate
from web.kit.deps import PageContext
from web.kit.page import export, int_param, page, page_number, render
from web.kit.parts import Parts
from web.kit.shapes import PageOf, Shape
from workflow import services as svc
from workflow.core.errors import UsageError
from workflow.i18n import Translator
from workflow.scorecard import service as scoring
from workflow.scorecard.evaluation import project_of
from workflow.scorecard.kept import kept_card, kept_of, kept_scorecards, totals
from workflow.scorecard.rules import ScoreSettings
from workflow.scorecard.words import column_label, in_words, number, numbers_only, score_table
from workflow.services import transactions as tx

router = APIRouter(include_in_schema=False)
api_router = api_routes()
LINKS = 8  # the cases linked from an indicator; more: the list of them all
SORTS = ("subject", "kind", "awards", "deductions", "total", "status")
PROJECTS = (1, 2, 3, 4)
LOWEST = 20  # a root of more than a page lists first its subjects of the lowest totals
# the points still to win listed on the score page (the first ten, the rest folded); beyond
# them, worth no more than the last listed, counted (a root of thousands has thousands)
RISKS_LISTED = 100


def _settings(request: Request) -> ScoreSettings:
    return request.app.state.settings.of(ScoreSettings)


def _cards(request: Request, pc: PageContext, code: str, year: int, subtree: bool,
           leads: bool = False) -> list[dict[str, Any]]:
    if not leads:  # the figures kept per subject (scorecard/kept.py), in words
        return [in_words(r, pc.t) for r in _kept(request, pc, code, year, subtree)]
    org = visible_org(pc.s, pc.viewer, code)
    # an officer sees their own organisation only: no subtree below it
    subtree = subtree and pc.viewer.role != "officer"
    # one subject (kept per version of its path: a root's points still to win read as
    # kept until a write below it), or a subtree computed for the request
    cards = [in_words(r, pc.t) for r in (
        scoring.scorecards(pc.s, pc.ctx, org.code, year, _settings(request), subtree,
                           leads=leads) if subtree
        else [kept_card(pc.s, pc.ctx, org.code, year, _settings(request))])]
    for card in cards:
        _leads(pc, card, year)
    return cards


def _kept(request: Request, pc: PageContext, code: str, year: int, subtree: bool
          ) -> list[dict[str, Any]]:
    """The subject's or its subtree's evaluations as kept per subject (shared: not to be
    changed; `in_words` makes the page's own)."""
    org = visible_org(pc.s, pc.viewer, code)
    subtree = subtree and pc.viewer.role != "officer"
    return kept_scorecards(pc.s, pc.ctx, org.code, year, _settings(request), subtree)


def _process_name(pc: PageContext, process: str) -> str:
    loaded = pc.ctx.registry.loaded.get(process)
    return loaded.definition.name(pc.t.language) if loaded else process


def _stage_name(pc: PageContext, process: str, key: str | None) -> str | None:
    loaded = pc.ctx.registry.loaded.get(process)
    return loaded.definition.stage_name(key, pc.t.language) if loaded and key else None


def _record_href(pc: PageContext, case: int, process: str, stage: str | None) -> str:
    """Where a case's stage is recorded: its page with the event that records it chosen."""
    loaded = pc.ctx.registry.loaded.get(process)
    event = loaded.definition.event_for_stage(stage) if loaded and stage else None
    return f"/cases/{case}" + (f"?event={quote(event.key)}" if event else "") + "#record"


def _case_link(pc: PageContext, case: dict[str, Any]) -> dict[str, Any]:
    """A case behind an indicator as a link: its number and status, never its person (the
    case page decides who may see that)."""
    status = case["status"]
    words = (pc.t("score.lead.pending", date=case["due"].isoformat()) if status == "pending"
             and case["due"] else pc.t(f"score.lead.{status}"))
    return {"href": f"/cases/{case['id']}", "id": case["id"], "status": status,
            "text": pc.t("score.lead.case", id=case["id"]), "status_text": words}


def _opens(pc: PageContext):
    """Whether the reader opens a case of this organisation (its code): the one rule of who
    sees a case (services/visibility.py, through the viewer), asked once per organisation. A
    subject's scorecard counts cases it does not own (an analysis of it by the body above, a
    subdivision's register case); a list never links to a case its reader may not open."""
    known: dict[str, bool] = {}
    paths: dict[str, str] = {}  # the organisations the reader may filter by (one read, kept)

    def opens(code: str | None) -> bool:
        if code not in known:
            if not paths:
                paths.update((o.code, o.path) for o in views.org_choices(pc.s, pc.viewer))
            path = paths.get(code or "")
            known[code or ""] = (pc.viewer.sees_path(path) if path is not None else
                                 code is not None
                                 and pc.viewer.sees_org(svc.find_org(pc.s, code)))
        return known[code or ""]
    return opens


def _leads(pc: PageContext, card: dict[str, Any], year: int) -> None:
    """Each indicator's links to what is behind it (the first LINKS cases the reader may
    open, then the list of them all; the coverage page's rows for the shares over the
    subdivisions), and the points at risk in words, each with its deadline and where to fix
    it (a case's only when the reader may open it)."""
    subject = quote(card["subject"])
    coverage = f"/coverage?org={subject}&year={year}"
    titles = {}
    opens = _opens(pc)
    for ind in card["indicators"]:
        titles[ind["key"]] = f"{ind['number']} {ind['title']}"
        cases = [c for c in ind.get("cases") or [] if opens(c.get("org"))]
        ind["links"] = [_case_link(pc, c) for c in cases[:LINKS]]
        processes = {c["process"] for c in cases}
        ind["more"] = None
        if len(cases) > LINKS:
            only = next(iter(processes)) if len(processes) == 1 else ""
            ind["more"] = {"href": f"/cases?org={subject}" + (f"&process={quote(only)}"
                                                                if only else ""),
                           "text": pc.t.n("score.lead.all", len(cases))}
        ind["coverage_href"] = coverage if ind.get("coverage") else None
    risks: list[dict[str, Any]] = []
    card["risks_not_listed"] = 0
    for r in card.get("at_risk", ()):
        if len(risks) == RISKS_LISTED:  # ranked: the rest are worth no more (counted as
            card["risks_not_listed"] += 1  # the badge's points are: whoever fixes them)
            continue
        if r["case"] is not None and not opens(r.get("org")):
            continue  # another organisation's case: its officers fix it
        if r["case"] is not None:
            process = (_process_name(pc, r["process"]) if r["process"] else
                       pc.t("score.risk.analysis"))
            stage = _stage_name(pc, r["process"], r.get("stage"))
            what = (pc.t("score.risk.case_stage", id=r["case"], process=process, stage=stage)
                    if stage else pc.t("score.risk.case", id=r["case"], process=process))
            href = _record_href(pc, r["case"], r["process"], r.get("stage"))
        elif r.get("units"):
            what = pc.t.n("score.risk.units", r["units"])
            href = coverage
        else:
            what = pc.t("score.atrisk.more_records" if r.get("recorded")
                        else "score.risk.nothing_yet")
            href = (f"/score/{subject}?year={year}&project={project_of(r['key'])}"
                    f"#indicator-{r['key']}")
        points = r.get("points")
        risks.append({**r, "what": what, "href": href,
                      "title": ", ".join(titles.get(k, k) for k in r.get("keys") or [r["key"]]),
                      "deadline_text": r["deadline"].isoformat(),
                      "points_text": None if points is None else pc.t.n(
                          "score.atrisk.worth", points, points=_signed(points, pc.t.language)),
                      "overdue_text": pc.t("score.atrisk.overdue") if r.get("overdue") else ""})
    card["risks"] = risks
    total = card.get("at_risk_points") or 0
    card["risks_badge"] = pc.t.n("score.atrisk.badge", total,
                                 points=number(total, pc.t.language))


def _signed(points: float, language: str) -> str:
    """Points won (+35) or lost (−5), in the page's language's numbers."""
    return ("+" if points > 0 else "−" if points < 0 else "") + number(abs(points), language)


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


def _light(r: dict[str, Any], t: Translator) -> dict[str, Any]:
    """What the list sorts and searches a kept evaluation by, without its words."""
    return {"raw": r, "subject": r["subject"], "subject_name": r["subject_name"],
            "kind_name": t(f"org_kind.{r['subject_kind']}"), "awards": r["awards"],
            "deductions": r["deductions"], "total": r["total"],
            "provisional_until": r["provisional_until"], "indicators": r["indicators"],
            "subtotals": {f"p{p['project']}": p for p in r.get("projects", ())}}


def _matches(light: dict[str, Any], q: str) -> bool:
    return q in light["subject"].casefold() or q in light["subject_name"].casefold()


@router.get("/score", response_class=HTMLResponse)
def score_tree(request: Request, pc: PageContext = Depends(page)):
    """The subtree's subjects: the whole first (how many, how many provisional, their totals'
    range), at a root of more than a page the lowest totals, then a page of the subjects (in
    tree order, or sorted) found by name or code (?q=): a summary (every project's subtotal,
    the total, provisional or final) that fits a laptop's screen, then the chosen projects'
    indicators (one or all) in a table that scrolls sideways in its own box with the subject
    column kept in view. Only the page's subjects are put in words: a root of thousands is a
    page of them, read from the figures kept per subject."""
    code, year = _query(request, pc)
    project, chosen = _projects(request)
    orgs = views.org_choices(pc.s, pc.viewer)
    # the organisation typed as a code or a name (its filter: a text field with suggestions)
    code = views.typed_org(orgs, code, pc.t.language, request.url.query).code or code
    org = visible_org(pc.s, pc.viewer, code)
    results = _kept(request, pc, code, year, subtree=True)
    seen: dict[str, str] = {}  # the indicators in the order they come, not sorted
    for r in results:
        for i in r["indicators"]:
            if i["key"] not in seen and project_of(i["key"]) in chosen:
                seen[i["key"]] = i["key"]
    columns = [{"key": k, "label": column_label(k, pc.t), "title": pc.t(f"score.title.{k}")}
               for k in seen]
    q = (request.query_params.get("q") or "").strip()
    light = [_light(r, pc.t) for r in results]
    found = [c for c in light if _matches(c, q.casefold())] if q else light
    sort = request.query_params.get("sort") or ""
    descending = request.query_params.get("dir", "desc" if sort else "asc") == "desc"
    if sort:
        found = _sorted(found, sort, descending)
    shown, pager = views.paginate(found, page_number(request), request.url.query,
                                  size=views.PAGE_SIZE)
    lowest = [] if q or len(results) <= views.PAGE_SIZE else _words(
        [c["raw"] for c in sorted(light, key=lambda c: (c["total"], c["subject"]))[:LOWEST]],
        pc.t)
    cards = _words([c["raw"] for c in shown], pc.t)
    projects = sorted({p for c in light for p in c["subtotals"]})
    cal = request.app.state.calendar
    whole = totals(results)
    whole["text"] = pc.t.n("score.subjects_summary", whole["subjects"],
                           count=number(whole["subjects"], pc.t.language),
                           provisional=number(whole["provisional"], pc.t.language),
                           lowest=number(whole["lowest"] or 0, pc.t.language),
                           highest=number(whole["highest"] or 0, pc.t.language))
    return render(request, pc, "score_tree.html", cards=cards, org=code,
                  org_name=svc.org_name(org, pc.t.language), year=year,
                  sort=sort, descending=descending, columns=columns, sorts=SORTS,
                  project=project, projects=projects, q=q, pager=pager, lowest=lowest,
                  searchable=bool(q) or len(results) > views.PAGE_SIZE,
                  whole=whole, grid_projects=[p for p in projects if int(p[1:]) in chosen],
                  orgs=orgs, years=range(cal.first_year, cal.last_year + 1))


def _words(results: list[dict[str, Any]], t: Translator) -> list[dict[str, Any]]:
    """Kept evaluations in words, with their indicators and subtotals by key."""
    cards = [in_words(r, t) for r in results]
    for card in cards:
        card["by_key"] = {i["key"]: i for i in card["indicators"]}
        card["subtotals"] = {f"p{p['project']}": p for p in card.get("projects", ())}
    return cards


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
    if fmt == "xlsx":
        body = numbers_only(body)
    tx.audited(pc.s, f"web:{pc.viewer.login}", "export.score", "organisation", code,
               {"format": fmt, "year": year, "rows": len(body), "project": project})
    return export(fmt, f"score-{code}-{year}", pc.t("nav.scores"), header, body)


@router.get("/score/{org}", response_class=HTMLResponse)
def score_subject(request: Request, org: str, pc: PageContext = Depends(page)):
    """One subject in words: a project's indicators, with what was counted, in a <details>
    that ?project=N opens (the others closed under their subtotals)."""
    _code, year = _query(request, pc)
    project, _chosen = _projects(request)
    card = _cards(request, pc, org, year, subtree=False, leads=True)[0]
    return render(request, pc, "score.html", card=card, year=year,
                  open_project=0 if project == "all" else int(project),
                  forms=_forms(request, pc, card["subject"], year))


@router.get("/programmes/{programme_id}/score", response_class=HTMLResponse)
def score_page(request: Request, programme_id: str, pc: PageContext = Depends(page)):
    """A programme's scorecard: its subject's, of the programme's year."""
    prog = visible_programme(pc.s, pc.viewer, programme_id)
    subject = svc.org_of(pc.s, prog.subject_id)
    card = _cards(request, pc, subject.code, prog.year, subtree=False, leads=True)[0]
    # an internal analysis is project No. 1's: its indicators open
    return render(request, pc, "score.html", card=card, year=prog.year, open_project=1,
                  forms=_forms(request, pc, subject.code, prog.year))


def _forms(request: Request, pc: PageContext, code: str, year: int) -> list[dict[str, Any]]:
    """The report forms of the subject's year, each with the lines it would hold (the app's
    report forms' own reading of the registers, web/kit/parts.py; none without them)."""
    report_forms = request.app.state.parts.report_forms
    if report_forms is None:
        return []
    # read from the subject's subtree's registers: kept per version of its path as its figures
    lines = kept_of(pc.s, pc.ctx, code, year, _settings(request), "form lines",
                    lambda: report_forms.lines(pc.s, pc.ctx, code, year))
    return [{"n": n, "lines": lines.get(n)} for n in report_forms.appendices()
            if n in lines]  # an appendix not written for the subject: none


class Scorecard(Shape):
    """A subject's evaluation for a year: every indicator's points and inputs, the projects'
    subtotals, the total and whether it is provisional, with their words."""

    subject: str
    subject_kind: str
    year: int
    as_of: date
    external_case: bool
    provisional_until: date | None
    indicators: list[dict[str, Any]]
    awards: int | float
    deductions: int | float
    total: int | float
    projects: list[dict[str, Any]]
    subject_name: str
    depth: int
    taken_in: list[Any]
    organisations: dict[str, str]
    heading: str
    kind_name: str
    status: str
    status_text: str
    total_text: str
    awards_text: str
    deductions_text: str
    total_text_short: str
    footnotes: list[dict[str, Any]]


class ScoresPage(PageOf[Scorecard]):
    """A page of scorecards; of a subtree, with the whole subtree's figures summed (`totals`:
    how many subjects, how many provisional, their awards, deductions and totals, the lowest
    and the highest total)."""

    totals: dict[str, Any] | None = None


SUBTREE_LIMIT = 10  # a subtree's scorecards a page unless asked (each has every indicator)


@api_router.get("/scores", response_model=ScoresPage)
def api_scores(request: Request, org: str | None = None, year: int | None = None,
               subtree: bool = False, limit: int | None = Query(None, ge=1, le=500),
               offset: int = OFFSET, a: ApiContext = Depends()):
    """The evaluation of projects No. 1-4 (seed 001) of a subject (`org`, default the
    caller's organisation) for a year (default this year), or with `subtree=true` of every
    subject under it (an officer: her own organisation only), each with every indicator's
    points and inputs, the projects' subtotals, the total and whether it is provisional; the
    words in ?lang= (kk, ru, en). A subtree is paged (SUBTREE_LIMIT a page unless `limit`
    says) with its figures summed (`totals`)."""
    code = org or a.viewer.org.code
    year_n = year if year is not None else a.ctx.today.year
    cal = request.app.state.calendar
    if not cal.first_year <= year_n <= cal.last_year:
        raise UsageError(key="error.year_outside", year=year_n, first=cal.first_year,
                         last=cal.last_year)
    subject = visible_org(a.s, a.viewer, code)
    subtree = subtree and a.viewer.role != "officer"
    t = Translator(a.ctx.language)
    results = kept_scorecards(a.s, a.ctx, subject.code, year_n, _settings(request), subtree)
    # the page's evaluations alone in words (a root of thousands: a page of them)
    found = paginate(results, limit or (SUBTREE_LIMIT if subtree else LIMIT.default), offset)
    return dict(items=[in_words(r, t) for r in found.items], total=found.total,
                limit=found.limit, offset=found.offset,
                totals=totals(results) if subtree else None)


class OverviewPart:
    """The overview's points at risk of its organisation (and My work's, of the viewer's own),
    when it is a subject of the scorecard: what is still open this year and may win or lose
    points, ranked by the points it is worth, then by its deadline."""

    def page(self, request: Request, pc: PageContext, scope: Any) -> dict[str, Any]:
        settings = _settings(request)
        if scope.kind not in settings.subject_kinds:
            return {}
        year = pc.ctx.today.year
        card = _cards(request, pc, scope.code, year, subtree=False, leads=True)[0]
        return {"score_risks": {"subject": card["subject"], "year": year,
                                "risks": card["risks"], "badge": card["risks_badge"],
                                "not_listed": card["risks_not_listed"],
                                "points": card.get("at_risk_points") or 0}}


    def work(self, request: Request, pc: PageContext) -> dict[str, Any]:
        """My work's points at risk: those of the viewer's own organisation."""
        return self.page(request, pc, pc.viewer.org)


OVERVIEW_PART = OverviewPart()


class RegisterPart:
    """A register page's points for the year (web/registers_page.py): the indicators of
    projects No. 2-4 that read the register — its own, a breach's by its kind, a yearly
    report's penalty — with the subject's points as its scorecard shows them, each leading to
    it; None when the organisation is not a subject of the evaluation."""

    def points(self, request: Request, pc: PageContext, definition: Any, code: str,
               year: int) -> list[dict[str, Any]] | None:
        from workflow.scorecard.catalogue import catalogue

        spec = definition.scorecard
        if spec is None or not spec.indicator:
            return None
        org = visible_org(pc.s, pc.viewer, code)
        if org.kind not in _settings(request).subject_kinds:
            return None
        known = catalogue()
        keys = {spec.indicator, known.penalties.get(spec.indicator)}
        if "kind" in spec.fields:  # a breach of a restriction feeds the indicator of its kind
            keys |= {k for (head, _kind), k in known.restrictions.items()
                     if head == spec.indicator[:3]}
        card = _cards(request, pc, org.code, year, subtree=False)[0]
        return [{"key": i["key"], "number": i["number"], "title": i["title"],
                 "points_text": i["points_text"], "maximum_text": i["maximum_text"],
                 "href": f"/score/{quote(org.code)}?year={year}&project={project_of(i['key'])}"
                         f"#indicator-{i['key']}"}
                for i in card["indicators"] if i["key"] in keys]


REGISTER_PART = RegisterPart()

PARTS = Parts(routers=(router, api_router), overview=OVERVIEW_PART, register_points=REGISTER_PART)
