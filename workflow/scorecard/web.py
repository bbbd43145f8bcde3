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

import logging
import threading
import time
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field
from sqlmodel import Session

from web.kit import views
from web.kit.access import visible_org, visible_programme
from web.kit.api import LIMIT, OFFSET, ApiContext, api_routes, paginate
from web.kit.deps import PageContext, app_context
from web.kit.page import export, int_param, page, page_number, render
from web.kit.parts import Parts
from web.kit.shapes import PageOf, Shape
from workflow import services as svc
from workflow.core.errors import UsageError
from workflow.i18n import Translator
from workflow.scorecard import service as scoring
from workflow.scorecard.evaluation import project_of
from workflow.scorecard.kept import kept_below, kept_card, kept_of, kept_scorecards, totals
from workflow.scorecard.rules import ScoreSettings
from workflow.scorecard.words import (
    column_label,
    compact,
    in_words,
    number,
    numbers_only,
    score_table,
)
from workflow.services import transactions as tx
from workflow.services import visibility
from workflow.services.lists import count_overdue_by_path

router = APIRouter(include_in_schema=False)
api_router = api_routes()
LINKS = 8  # the cases linked from an indicator; more: the list of them all
SORTS = ("subject", "kind", "awards", "deductions", "total", "status")
PROJECTS = (1, 2, 3, 4)
LOWEST = 20  # a root of more than a page lists first its subjects of the lowest totals
# the points still to win listed on the score page (the first ten, the rest folded); beyond
# them, worth no more than the last listed, counted (a root of thousands has thousands)
RISKS_LISTED = 100
STANDING = 20  # the subjects each of a subtree's lists names: lowest, most at risk, most overdue


def _settings(request: Request) -> ScoreSettings:
    return request.app.state.settings.of(ScoreSettings)


def _cards(request: Request, pc: PageContext, code: str, year: int, subtree: bool,
           leads: bool = False) -> list[dict[str, Any]]:
    if not leads:  # the figures kept per subject (scorecard/kept.py), in words
        return [in_words(compact(r), pc.t) for r in _kept(request, pc, code, year, subtree)]
    org = visible_org(pc.s, pc.viewer, code)
    # an officer sees their own organisation only: no subtree below it
    subtree = visibility.reads_subtree(pc.viewer.user, subtree)
    # one subject (kept per version of its path: a root's points still to win read as
    # kept until a write below it), or a subtree computed for the request
    cards = [in_words(compact(r), pc.t) for r in (
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
    subtree = visibility.reads_subtree(pc.viewer.user, subtree)
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


# the cases behind an indicator of a kept scorecard counted by organisation, with their
# procedures (`_by_org`), for the same list of cases (held with its answer: its id is no
# other's while kept); a root's indicators list 160,000 cases, its readers see them by
# organisation: a page asks who may open each organisation, not each case
_BY_ORG: dict[int, tuple[list[Any], tuple[dict[Any, int], dict[Any, set[str]]]]] = {}
_BY_ORG_KEPT = 64


def _by_org(cases: list[dict[str, Any]]) -> tuple[dict[Any, int], dict[Any, set[str]]]:
    """How many of `cases` each organisation has, and their procedures (by `org`)."""
    hit = _BY_ORG.get(id(cases))
    if hit is not None and hit[0] is cases:
        return hit[1]
    counts: dict[Any, int] = {}
    processes: dict[Any, set[str]] = {}
    for c in cases:
        org = c.get("org")
        counts[org] = counts.get(org, 0) + 1
        processes.setdefault(org, set()).add(c["process"])
    if len(_BY_ORG) >= _BY_ORG_KEPT:
        _BY_ORG.clear()
    _BY_ORG[id(cases)] = (cases, (counts, processes))  # (a dict's item set is atomic)
    return counts, processes


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
        behind = ind.get("cases") or []
        first = []  # the first LINKS cases the reader may open, in their order
        for c in behind:
            if opens(c.get("org")):
                first.append(c)
                if len(first) > LINKS:
                    break
        ind["links"] = [_case_link(pc, c) for c in first[:LINKS]]
        ind["more"] = None
        if len(first) > LINKS:  # how many she may open and of which procedures, by org
            counts, processes_of = _by_org(behind)
            shown = [org for org in counts if opens(org)]
            processes = set().union(*(processes_of[org] for org in shown))
            only = next(iter(processes)) if len(processes) == 1 else ""
            ind["more"] = {"href": f"/cases?org={subject}" + (f"&process={quote(only)}"
                                                                if only else ""),
                           "text": pc.t.n("score.lead.all",
                                          sum(counts[org] for org in shown))}
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


def lowest_of(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The LOWEST kept evaluations of the lowest totals (ties by code)."""
    return sorted(results, key=lambda r: (r["total"], r["subject"]))[:LOWEST]


def _parent(path: str) -> str:
    """'/1/5/7/' -> '/1/5/'; the root's '/1/' -> ''."""
    return path[:path.rstrip("/").rfind("/") + 1]


def _nearest(path: str | None, subjects: dict[str, str]) -> str | None:
    """The subject (its code) at or nearest above the organisation of `path`."""
    while path:
        if path in subjects:
            return subjects[path]
        path = _parent(path)
    return None


def _ranked(figures: dict[str, float], names: dict[str, str]) -> list[dict[str, Any]]:
    """The STANDING subjects of the largest figures (ties by code), each with its name."""
    top = sorted(((-v, code) for code, v in figures.items() if v), key=lambda x: x)[:STANDING]
    return [{"subject": code, "subject_name": names.get(code, code), "figure": -v}
            for v, code in top]


def _subject_children(s: Any, org: Any, settings: ScoreSettings) -> list[Any]:
    """The subjects next below `org`: its children that are subjects, and those next below
    a child that is not (an apparatus' departments)."""
    out: list[Any] = []
    for child in svc.children(s, org):
        out += [child] if child.kind in settings.subject_kinds else \
            _subject_children(s, child, settings)
    return out


def standing(request: Request, s: Any, ctx: Any, viewer: Any, code: str, year: int,
             least: int = 2) -> dict[str, Any] | None:
    """A subtree's whole and the subjects that matter most, as the subject's score page, its
    overview and GET /api/v1/scores/summary show them (one owner):

    * `totals`: the subtree's kept figures summed (kept.totals: the subjects, how many are
      provisional, their awards, deductions and total, the lowest and highest total), the
      sums of `merzim score ROOT --subtree`'s rows;
    * `lowest`: the STANDING lowest totals;
    * `at_risk`: the STANDING subjects with the most points still to win (each its own
      scorecard's `at_risk_points`, as its score page's badge says: kept.kept_card for the
      subject, kept.kept_below for those below it);
    * `overdue`: the STANDING subjects with the most overdue stages (the overdue list's counts
      kept per organisation, services/lists.count_overdue_by_path: each organisation's
      counted to the subject at or nearest above it; a subject's subordinate subjects count
      their own).

    An officer sees her own organisation alone. None when it is not a subject, or when the
    reader sees fewer than `least` subjects there (the pages show the section from two)."""
    settings = _settings(request)
    org = visible_org(s, viewer, code)
    if org.kind not in settings.subject_kinds:
        return None
    # the subject's own figures from its kept scorecard (its score page's), the others' kept
    # per subject under each subject next below it: a write below the root computes the root's
    # evaluation once, not a second time for its subtree's list
    below = [] if not visibility.reads_subtree(viewer.user) else [
        c.code for c in _subject_children(s, org, settings)]
    card = kept_card(s, ctx, org.code, year, settings)
    cards, points_below = kept_below(s, ctx, org.code, year, settings, below)
    results = [card, *cards]
    if len(results) < least:
        return None
    names = {r["subject"]: r["subject_name"] for r in results}
    path_of = {o.code: o.path for o in views.org_choices(s, viewer)}
    subjects = {path_of[c]: c for c in names if c in path_of}
    points = {org.code: card.get("at_risk_points") or 0, **points_below}
    overdue: dict[str, float] = {}
    for path, n in count_overdue_by_path(s, ctx, org.code,
                                         only_path=views.only_path(viewer)).items():
        where = _nearest(path, subjects)
        if where is not None:
            overdue[where] = overdue.get(where, 0) + n
    at_risk = _ranked({k: v for k, v in points.items() if v > 0}, names)
    return {"subject": org.code, "subject_name": names.get(org.code, org.code), "year": year,
            "totals": totals(results),
            "lowest": [{"subject": r["subject"], "subject_name": r["subject_name"],
                        "total": r["total"], "provisional_until": r["provisional_until"]}
                       for r in lowest_of(results)],
            "at_risk": at_risk, "at_risk_points": points.get(org.code, 0),
            "overdue": _ranked(overdue, names)}


def standing_in_words(found: dict[str, Any] | None, t: Translator) -> dict[str, Any] | None:
    """`standing` for a page: each figure in the reader's words, each subject a link to its
    score page."""
    if found is None:
        return None
    lang, year = t.language, found["year"]
    whole = found["totals"]

    def link(r: dict[str, Any]) -> dict[str, Any]:
        return {**r, "href": f"/score/{quote(r['subject'])}?year={year}"}

    return {**found, "list_href": f"/score?org={quote(found['subject'])}&year={year}",
            "whole_text": t.n("score.subjects_summary", whole["subjects"],
                              count=number(whole["subjects"], lang),
                              provisional=number(whole["provisional"], lang),
                              lowest=number(whole["lowest"] or 0, lang),
                              highest=number(whole["highest"] or 0, lang)),
            "sums_text": t("score.standing.sums", awards=number(whole["awards"], lang),
                           deductions=number(whole["deductions"], lang),
                           total=number(whole["total"], lang)),
            "lowest": [{**link(r), "figure": r["total"], "text": number(r["total"], lang)}
                       for r in found["lowest"]],
            "at_risk": [{**link(r), "text": t.n("score.atrisk.worth", r["figure"],
                                               points=_signed(r["figure"], lang))}
                        for r in found["at_risk"]],
            "overdue": [{**link(r), "text": t.n("overview.overdue_count", int(r["figure"]))}
                        for r in found["overdue"]]}


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
    lowest = [] if q or len(results) <= views.PAGE_SIZE else _words(lowest_of(results), pc.t)
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
    cards = [in_words(compact(r), t) for r in results]
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
    # a subject with subjects under it: their whole, then those that matter most
    return render(request, pc, "score.html", card=card, year=year,
                  open_project=0 if project == "all" else int(project),
                  forms=_forms(request, pc, card["subject"], year),
                  standing=standing_in_words(standing(
                      request, pc.s, pc.ctx, pc.viewer, card["subject"], year), pc.t))


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
    taken_in: list[Any] = Field(description=(
        "The organisations (codes, in tree order) whose facts projects No. 2 and 4 take in "
        "(B-18): the first 20; `taken_in_count` says how many, GET "
        "/api/v1/scores/organisations lists them all, page by page."))
    taken_in_count: int = Field(description="How many organisations `taken_in` names in all.")
    organisations: dict[str, str] = Field(description=(
        "The names of the organisations the scorecard lists (`taken_in` and each "
        "indicator's inputs `from`, `from_headcount`, `not_reported`, each cut to its first 20 "
        "with `<list>_count` beside it when longer), by code."))
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
    says) with its figures summed (`totals`). A scorecard's lists of organisations name their
    first 20 with their count beside (`taken_in_count`, an input's `<list>_count`); GET
    /api/v1/scores/organisations gives each whole, page by page."""
    code = org or a.viewer.org.code
    year_n = _api_year(request, year, a)
    subject = visible_org(a.s, a.viewer, code)
    subtree = visibility.reads_subtree(a.viewer.user, subtree)
    t = Translator(a.ctx.language)
    results = kept_scorecards(a.s, a.ctx, subject.code, year_n, _settings(request), subtree)
    # the page's evaluations alone in words (a root of thousands: a page of them)
    found = paginate(results, limit or (SUBTREE_LIMIT if subtree else LIMIT.default), offset)
    return dict(items=[in_words(compact(r), t) for r in found.items], total=found.total,
                limit=found.limit, offset=found.offset,
                totals=totals(results) if subtree else None)


def _api_year(request: Request, year: int | None, a: ApiContext) -> int:
    year_n = year if year is not None else a.ctx.today.year
    cal = request.app.state.calendar
    if not cal.first_year <= year_n <= cal.last_year:
        raise UsageError(key="error.year_outside", year=year_n, first=cal.first_year,
                         last=cal.last_year)
    return year_n


class Ranked(Shape):
    """A subject of a subtree's list: its code and name, and the figure it is ranked by."""

    subject: str
    subject_name: str
    total: int | float | None = Field(None, description="`lowest`: its total.")
    provisional_until: date | None = None
    figure: int | float | None = Field(None, description=(
        "`at_risk`: its points still to win (its scorecard's, as its score page's badge); "
        "`overdue`: its overdue stages."))


class ScoresSummary(Shape):
    """A subtree's whole and the subjects that matter most (the score page and the overview
    of a subject with subjects under it show the same)."""

    subject: str
    subject_name: str
    year: int
    totals: dict[str, Any] = Field(description=(
        "The subtree's figures summed: subjects, provisional, awards, deductions, total, "
        "lowest, highest (the sums of `merzim score ORG --subtree`'s rows)."))
    lowest: list[Ranked] = Field(description="The 20 subjects of the lowest totals.")
    at_risk: list[Ranked] = Field(description=(
        "The 20 subjects with the most points still to win (each its own scorecard's: what "
        "is still open this year and may win or lose points)."))
    at_risk_points: int | float = Field(description="The subject's own points still to win.")
    overdue: list[Ranked] = Field(description=(
        "The 20 subjects with the most overdue stages (their own and their subdivisions' that "
        "are not subjects: a subordinate subject counts its own)."))


@api_router.get("/scores/summary", response_model=ScoresSummary)
def api_scores_summary(request: Request, org: str | None = None, year: int | None = None,
                       a: ApiContext = Depends()) -> dict[str, Any]:
    """The subjects under a subject (`org`, default the caller's organisation) for a year
    (default this year): their figures summed (`totals`, as GET /api/v1/scores?subtree=true
    has them), then the 20 lowest totals, the 20 with the most points still to win and the
    20 with the most overdue stages; the names in ?lang= (kk, ru, en). An officer: her own
    organisation alone. 404 for an organisation the caller does not see; 422 for one that is
    not a subject of the evaluation."""
    year_n = _api_year(request, year, a)
    found = standing(request, a.s, a.ctx, a.viewer, org or a.viewer.org.code, year_n, least=1)
    if found is None:
        raise UsageError(key="score.standing.none", org=org or a.viewer.org.code)
    return found


ORG_LISTS = ("taken_in", "from", "from_headcount", "not_reported")


class ScoreOrganisation(Shape):
    """An organisation a scorecard lists: its code and name, and its figure where the list has
    one (`from`: the facts it gave; `from_headcount`: its staff)."""

    code: str
    name: str
    figure: int | float | None = None


@api_router.get("/scores/organisations", response_model=PageOf[ScoreOrganisation])
def api_score_organisations(request: Request, org: str | None = None,
                            year: int | None = None, indicator: str | None = None,
                            which: str = Query("taken_in", alias="list"),
                            limit: int = LIMIT, offset: int = OFFSET,
                            a: ApiContext = Depends()) -> dict[str, Any]:
    """One of a subject's (`org`, default the caller's organisation) scorecard's lists of
    organisations, whole, page by page (GET /api/v1/scores names the first 20 of each):
    `list=taken_in` (the default: those whose facts projects No. 2 and 4 take in), or an
    `indicator`'s input `from` (where a consolidated indicator's facts came from, with
    how many), `from_headcount` (units counted by their staff, with it) or `not_reported`
    (units with neither figures nor a headcount); the names in ?lang= (kk, ru, en)."""
    year_n = _api_year(request, year, a)
    subject = visible_org(a.s, a.viewer, org or a.viewer.org.code)
    if which not in ORG_LISTS or (which == "taken_in") != (indicator is None):
        raise UsageError(key="error.bad_choice", field="list", value=which,
                         known="taken_in; with indicator: from, from_headcount, not_reported")
    result = kept_scorecards(a.s, a.ctx, subject.code, year_n, _settings(request))[0]
    if indicator is None:
        listed: list[Any] = list(result.get("taken_in") or ())
    else:
        found = next((i for i in result["indicators"] if i["key"] == indicator), None)
        if found is None:
            raise UsageError(key="error.bad_choice", field="indicator", value=indicator,
                             known=", ".join(i["key"] for i in result["indicators"]))
        listed = list((found.get("inputs") or {}).get(which) or ())
    names = result.get("organisations") or {}
    rows = [{"code": x, "name": names.get(x, x)} if isinstance(x, str)
            else {"code": x[0], "name": names.get(x[0], x[0]), "figure": x[1]}
            for x in listed]
    page_ = paginate(rows, limit, offset)
    return dict(items=page_.items, total=page_.total, limit=page_.limit, offset=page_.offset)


class OverviewPart:
    """The overview's points at risk of its organisation (and My work's, of the viewer's own),
    when it is a subject of the scorecard: what is still open this year and may win or lose
    points, ranked by the points it is worth, then by its deadline."""

    def page(self, request: Request, pc: PageContext, scope: Any,
             subjects: bool = True) -> dict[str, Any]:
        """The points at risk and, of a subject with subjects under it (`subjects`), their
        whole and those that matter most (`standing`)."""
        settings = _settings(request)
        if scope.kind not in settings.subject_kinds:
            return {}
        year = pc.ctx.today.year
        card = _cards(request, pc, scope.code, year, subtree=False, leads=True)[0]
        out: dict[str, Any] = {"score_risks": {
            "subject": card["subject"], "year": year, "risks": card["risks"],
            "badge": card["risks_badge"], "not_listed": card["risks_not_listed"],
            "points": card.get("at_risk_points") or 0}}
        found = standing(request, pc.s, pc.ctx, pc.viewer, scope.code, year) if subjects \
            else None
        if found is not None:
            out["score_standing"] = standing_in_words(found, pc.t)
        return out

    def work(self, request: Request, pc: PageContext) -> dict[str, Any]:
        """My work's points at risk: those of the viewer's own organisation."""
        return self.page(request, pc, pc.viewer.org, subjects=False)


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

WARM_ROOTS = 4  # the roots whose figures the server works out when it starts, at most


def warm_roots(app: Any) -> threading.Thread | None:
    """The start of serving (web/kit/parts.py `startup`): unless config.toml's [scorecard]
    warm_at_start is false, each root's figures (at most WARM_ROOTS roots that are subjects)
    are worked out on a thread of their own, in the background: its scorecard with its
    points still to win, those of every subject under it (`standing`'s) and its report forms'
    lines, kept as its score page and overview read them in the server's language: read from
    the database where another process stored them for the same versions and settings
    (stored.py; a second node, a restart: about a second at 5,000 subjects), computed and
    stored else. Returns at
    once (the thread started; None when switched off or already started for the application:
    each client entering its lifespan starts it again); a request never waits for it (one
    asking first computes for itself); a failure is logged, never raised."""
    mine = app.state.features.setdefault("scorecard", {})
    if not app.state.settings.of(ScoreSettings).warm_at_start or mine.get("warm started"):
        return None
    mine["warm started"] = True
    thread = threading.Thread(target=_warm, args=(app,), name="merzim-warm-scores",
                              daemon=True)
    thread.start()
    return thread


def _warm(app: Any) -> None:
    log = logging.getLogger("merzim.web")
    started = time.perf_counter()
    try:
        settings = app.state.settings.of(ScoreSettings)
        ctx = app_context(app, None, app.state.settings.language)
        report_forms = app.state.parts.report_forms
        with Session(app.state.engine) as s:
            roots = [o for o in svc.roots(s) if o.kind in settings.subject_kinds][:WARM_ROOTS]
            for org in roots:
                year = ctx.today.year
                kept_card(s, ctx, org.code, year, settings)
                kept_below(s, ctx, org.code, year, settings,
                           [c.code for c in _subject_children(s, org, settings)])
                kept_scorecards(s, ctx, org.code, year, settings, subtree=True)  # (the list)
                if report_forms is not None:
                    def lines(code: str = org.code, year: int = year) -> dict[int, int]:
                        return report_forms.lines(s, ctx, code, year)

                    kept_of(s, ctx, org.code, year, settings, "form lines", lines)
                s.rollback()  # each root's reads in a transaction of their own
        log.info("scorecard: the figures of %d roots kept in %.1f s", len(roots),
                 time.perf_counter() - started)
    except Exception:  # noqa: BLE001 - serving goes on; the first request computes them
        log.warning("scorecard: the roots' figures were not worked out at start",
                    exc_info=True)


PARTS = Parts(routers=(router, api_router), overview=OVERVIEW_PART, register_points=REGISTER_PART,
              startup=warm_roots)
