"""A subject with subjects under it, on its score page, its overview and the API: the whole first
(the same totals as `merzim score ORG --subtree`, as GET /api/v1/scores?subtree=true and the
score list sum them), then the subjects that matter most — the lowest totals, the most points
still to win, the most overdue stages — each equal to a fresh computation, also after a write;
its scorecard names its first 20 organisations and counts the others (GET
/api/v1/scores/organisations lists them all, page by page); and the root's pages and API do not
grow with the subjects below it. The demo's akimat for TODAY, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.support.cli_runner import ok_json
from tests.support.features import module_of, needs, of
from tests.support.web_helpers import TODAY, Web, web_fixture  # noqa: F401
from workflow import services as svc
from workflow.scorecard import service as scoring
from workflow.scorecard.rules import ScoreSettings
from workflow.scorecard.words import LISTED
from workflow.services.lists import overdue
from workflow.storage.models import Organisation

pytestmark = needs("planning")  # the demo's analyses

YEAR = TODAY.year
ROOT = "AK-ALM"
FIRST = 60  # subjects added below the root: more than a page, more than a list names
MORE = 300  # then as many more: its pages and API stay the same size


def _expected_totals(cli: list[dict[str, Any]]) -> dict[str, Any]:
    """The command's rows summed by hand."""
    return {"subjects": len(cli),
            "provisional": sum(1 for c in cli if c["provisional_until"]),
            "awards": round(sum(c["awards"] for c in cli), 2),
            "deductions": round(sum(c["deductions"] for c in cli), 2),
            "total": round(sum(c["total"] for c in cli), 2),
            "lowest": min(c["total"] for c in cli), "highest": max(c["total"] for c in cli)}


def _shown(page: str) -> dict[str, float]:
    """The whole as a page's subjects section carries it."""
    section = page.split('data-testid="score-standing"', 1)[1].split(">", 1)[0]
    return {k: float(v) for k, v in re.findall(r'data-(\w+)="([^"]*)"', section)}


def _ranked(page: str, testid: str) -> list[str]:
    found = page.split(f'data-testid="{testid}"', 1)
    return re.findall(r'<li data-subject="([^"]+)"', found[1].split("</ol>", 1)[0]) \
        if len(found) > 1 else []


def test_the_totals_of_the_pages_the_api_and_the_command_are_the_same(web: Web, merzim_db):
    cli = ok_json(merzim_db("score", ROOT, "--year", str(YEAR), "--subtree", "--json",
                            today=TODAY.isoformat()))["subjects"]
    expected = _expected_totals(cli)
    assert expected["subjects"] > 3
    api = web.api("nurlan")  # the akimat's manager
    assert api.get(f"/api/v1/scores?org={ROOT}&year={YEAR}&subtree=true").json()["totals"] \
        == expected
    summary = api.get(f"/api/v1/scores/summary?org={ROOT}&year={YEAR}")
    assert summary.status_code == 200, summary.text
    assert summary.json()["totals"] == expected
    b = web.browser("nurlan")
    for url in (f"/score/{ROOT}?year={YEAR}", f"/overview?org={ROOT}"):
        page = b.get(url)
        assert page.status_code == 200
        shown = _shown(page.text)
        assert {k: shown[k] for k in ("subjects", "provisional", "awards", "deductions",
                                      "total")} == {k: float(expected[k]) for k in (
            "subjects", "provisional", "awards", "deductions", "total")}, url
        assert 'data-testid="score-standing-search"' in page.text
    whole = re.search(r'data-testid="score-whole" data-subjects="(\d+)" data-total="([^"]+)"',
                      b.get(f"/score?org={ROOT}&year={YEAR}").text)
    assert whole and (int(whole.group(1)), float(whole.group(2))) == (
        expected["subjects"], expected["total"])
    # in Russian and Kazakh: the same figures, other words
    for lang in ("ru", "kk"):
        worded = web.api("nurlan").get(
            f"/api/v1/scores/summary?org={ROOT}&year={YEAR}&lang={lang}").json()
        assert worded["totals"] == expected


def _subject_of(path_of: dict[str, str], kinds: dict[str, str]) -> dict[str, str]:
    """Each organisation's path -> the subject at or nearest above it (a test's own walk)."""
    subjects = {p: c for c, p in path_of.items() if kinds[c] in ScoreSettings().subject_kinds}
    out = {}
    for path in path_of.values():
        parts = path.strip("/").split("/")
        for n in range(len(parts), 0, -1):
            up = "/" + "/".join(parts[:n]) + "/"
            if up in subjects:
                out[path] = subjects[up]
                break
    return out


def _fresh(w: Web) -> dict[str, Any]:
    """The lists worked out afresh: every subject evaluated with its points still to win, the
    overdue stages listed one by one."""
    with Session(w.engine) as s:
        ctx = svc.Context(w.app.state.calendar, w.app.state.registry, TODAY, actor="test")
        cards = scoring.scorecards(s, ctx, ROOT, YEAR, ScoreSettings(), subtree=True,
                                   leads=True)
        root = svc.get_org(s, ROOT)
        orgs = list(s.exec(select(Organisation).where(
            Organisation.path.startswith(root.path))))
        rows = overdue(s, ctx, ROOT)
    nearest = _subject_of({o.code: o.path for o in orgs}, {o.code: o.kind for o in orgs})
    late: dict[str, int] = {}
    for r in rows:
        late[nearest[r.subject_path]] = late.get(nearest[r.subject_path], 0) + 1
    return {"lowest": [(c["subject"], c["total"]) for c in sorted(
                cards, key=lambda c: (c["total"], c["subject"]))[:20]],
            "at_risk": [(code, -p) for p, code in sorted(
                (-(c.get("at_risk_points") or 0), c["subject"]) for c in cards
                if (c.get("at_risk_points") or 0) > 0)[:20]],
            "overdue": [(code, -n) for n, code in sorted((-n, c) for c, n in late.items())[:20]],
            "root_points": next(c.get("at_risk_points") or 0 for c in cards
                                if c["subject"] == ROOT)}


def _summary(w: Web) -> dict[str, Any]:
    got = w.api("nurlan").get(f"/api/v1/scores/summary?org={ROOT}&year={YEAR}").json()
    return {"lowest": [(r["subject"], r["total"]) for r in got["lowest"]],
            "at_risk": [(r["subject"], r["figure"]) for r in got["at_risk"]],
            "overdue": [(r["subject"], r["figure"]) for r in got["overdue"]],
            "root_points": got["at_risk_points"]}


def test_the_subjects_that_matter_most_are_the_fresh_figures_also_after_a_write(web: Web):
    fresh = _fresh(web)
    assert fresh["at_risk"] and fresh["overdue"]  # the demo has both
    assert _summary(web) == fresh
    # the pages list the same subjects, each a link to its score page
    for url in (f"/score/{ROOT}?year={YEAR}", f"/overview?org={ROOT}"):
        page = web.browser("nurlan").get(url).text
        assert _ranked(page, "standing-lowest") == [c for c, _ in fresh["lowest"]]
        assert _ranked(page, "standing-at-risk") == [c for c, _ in fresh["at_risk"]]
        assert _ranked(page, "standing-overdue") == [c for c, _ in fresh["overdue"]]
        code = fresh["at_risk"][0][0]
        assert f'<a href="/score/{code}?year={YEAR}">' in page
    # a write below the root (an analysis planned in a department): the kept figures follow
    with Session(web.engine) as s:
        ctx = svc.Context(web.app.state.calendar, web.app.state.registry, TODAY, actor="test")
        module_of("planning", "service").plan_analysis(
            s, ctx, "AK-ALM-HLTH", "AK-ALM-HLTH", date(YEAR, 11, 24), date(YEAR, 12, 20),
            duplicate_reason="A second analysis after the reorganisation")
        s.commit()
    after = _fresh(web)
    assert _summary(web) == after


def test_an_officer_sees_her_own_alone_and_another_tree_nothing(web: Web):
    officer = web.api("asel").get(f"/api/v1/scores/summary?year={YEAR}").json()
    assert officer["subject"] == "AK-ALM-EDU" and officer["totals"]["subjects"] == 1
    assert {r["subject"] for r in officer["lowest"] + officer["at_risk"] + officer["overdue"]} \
        <= {"AK-ALM-EDU"}
    assert web.api("nurlan").get(f"/api/v1/scores/summary?org=MF&year={YEAR}").status_code \
        == 404
    apparatus = web.api("nurlan").get(f"/api/v1/scores/summary?org=AK-ALM-APP&year={YEAR}")
    assert apparatus.status_code == 422 and apparatus.json()["error"] == "score.standing.none"
    page = web.browser("asel").get(f"/score/AK-ALM-EDU?year={YEAR}").text
    assert 'data-testid="score-standing"' not in page


PAGES = (f"/score/{ROOT}?year={YEAR}", f"/overview?org={ROOT}",
         *of("coverage", f"/coverage?org={ROOT}&year={YEAR}"))
API = (f"/api/v1/scores?org={ROOT}&year={YEAR}",
       f"/api/v1/scores?org={ROOT}&year={YEAR}&subtree=true",
       f"/api/v1/scores/summary?org={ROOT}&year={YEAR}")


@pytest.mark.slow
def test_the_root_s_pages_and_api_do_not_grow_with_the_subjects_below(web: Web):
    b, api = web.browser("nurlan"), web.api("nurlan")
    before = {u: len(b.get(u).content) for u in PAGES} | {
        u: len(api.get(u).content) for u in API}
    # past the lists' cut and a page of units: the cut's words and the pagers come in once
    _add_subjects_from(web, 0, FIRST)
    middle = {u: len(b.get(u).content) for u in PAGES} | {
        u: len(api.get(u).content) for u in API}
    _add_subjects_from(web, FIRST, MORE)
    after = {u: (b if u in PAGES else api).get(u) for u in (*PAGES, *API)}
    for u, r in after.items():
        assert r.status_code == 200, (u, r.text[:500])
        # a few hundred bytes (counts one digit longer), never a line per subject
        assert len(r.content) - middle[u] < 1_500, (u, before[u], middle[u], len(r.content))
    card = after[API[0]].json()["items"][0]
    assert card["taken_in_count"] > LISTED == len(card["taken_in"])
    assert set(card["organisations"]) >= set(card["taken_in"])
    # every organisation taken in, page by page, as the evaluation has them
    listed: list[str] = []
    while len(listed) < card["taken_in_count"]:
        page = api.get(f"/api/v1/scores/organisations?org={ROOT}&year={YEAR}&limit=100"
                       f"&offset={len(listed)}").json()
        assert page["total"] == card["taken_in_count"]
        listed += [o["code"] for o in page["items"]]
    with Session(web.engine) as s:
        ctx = svc.Context(web.app.state.calendar, web.app.state.registry, TODAY, actor="test")
        full = scoring.scorecards(s, ctx, ROOT, YEAR, ScoreSettings())[0]
    assert listed == full["taken_in"] and listed[:LISTED] == card["taken_in"]
    # an indicator's lists of organisations (units counted by their staff, not reported, where
    # facts came from), cut alike and each whole on its own
    cut = [(i, k) for i in card["indicators"] for k in ("from", "from_headcount", "not_reported")
           if f"{k}_count" in (i.get("inputs") or {})]
    assert cut  # the 300 departments' staff
    for ind, k in cut:
        whole = next(i for i in full["indicators"] if i["key"] == ind["key"])["inputs"][k]
        rows = api.get(f"/api/v1/scores/organisations?org={ROOT}&year={YEAR}&indicator="
                       f"{ind['key']}&list={k}&limit=500").json()
        assert [o["code"] if k == "not_reported" else [o["code"], o["figure"]]
                for o in rows["items"]] == whole
        assert ind["inputs"][f"{k}_count"] == rows["total"] > LISTED == len(ind["inputs"][k])
        assert f"және тағы {rows['total'] - LISTED}" in ind["text"]  # the manager reads kk
    assert api.get(f"/api/v1/scores/organisations?org={ROOT}&year={YEAR}&list=nothing"
                   ).status_code == 422


def _add_subjects_from(w: Web, first: int, n: int) -> None:
    with Session(w.engine) as s:
        ctx = svc.Context(w.app.state.calendar, w.app.state.registry, TODAY, actor="test")
        for i in range(first, first + n):
            svc.add_org(s, ctx, f"AK-ALM-X{i:03d}", f"Added department number {i:03d}",
                        "department", ROOT, headcount=10)
        s.commit()
