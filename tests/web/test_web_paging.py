"""Long lists on the dashboard: the overdue and due pages show 200 rows a page with links to the
others, and the overdue page's summary counts the rows under each direct subordinate.

A national manager's overdue list can hold tens of thousands of rows (bench/web); a page that
renders them all is slow and unreadable. These tests add enough late analyses to the demo to
fill several pages and check, against the REST API's list, that walking the pages shows every
row exactly once, in the same order, and that the summary adds up.
"""

from __future__ import annotations

import html
import re
from collections import Counter

import pytest
from sqlmodel import Session

from tests.support.features import module_of
from tests.support.web_helpers import CALENDAR, DEFINITION, TODAY, Web, wd
from web.kit.views import PAGE_SIZE
from workflow import services as svc

planning_svc = module_of("planning", "service")  # the analyses are planned by it

# a row: its stage and its case's link, after the bulk-selection cell when there is one
ROW = re.compile(r'<tr class="[^"]*" data-stage="([^"]+)"[^>]*>(?:(?!</tr>).)*?'
                 r'<td[^>]*><a href="/cases/(\d+)">', re.DOTALL)
SUMMARY = re.compile(r'<tr data-summary-org="([^"]+)"><td[^>]*>.*?</td><td class="num"[^>]*>(\d+)</td>'
                     r'</tr>')
NEXT = re.compile(r'<a class="button" rel="next" href="([^"]+)">')
DUPLICATES = "Many rows to page through: the same analysis planned again on purpose"


def add_late_analyses(w: Web, subject: str, n: int, start_wd: int = -45) -> None:
    """n analyses of `subject` that started `start_wd` working days ago with nothing recorded
    (the same analysis n times: each a duplicate confirmed with a reason)."""
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-setup", language="en")
    with Session(w.engine) as s:
        for _ in range(n):
            planning_svc.plan_analysis(s, ctx, subject, subject, wd(start_wd),
                              duplicate_reason=DUPLICATES)
        s.commit()


def api_rows(w: Web, login: str, path: str, query: str = "") -> list[dict]:
    out, offset = [], 0
    while True:
        r = w.api(login).get(f"/api/v1/{path}?limit=500&offset={offset}&lang=en{query}")
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        out += items
        if len(items) < 500:
            return out
        offset += 500


def walk(browser, url: str) -> tuple[list[tuple[str, int]], list[str]]:
    """Every (stage, analysis) row shown, following the "next" links; and the pages' URLs."""
    rows, urls = [], []
    while url:
        urls.append(url)
        r = browser.get(url)
        assert r.status_code == 200, r.text
        page_rows = [(stage, int(a)) for stage, a in ROW.findall(r.text)]
        assert 0 < len(page_rows) <= PAGE_SIZE
        rows += page_rows
        found = NEXT.search(r.text)
        url = url.split("?")[0] + found.group(1).replace("&amp;", "&") if found else None
    return rows, urls


def test_overdue_pages_show_every_row_once_in_order(web: Web):
    add_late_analyses(web, "MF-KGD-ABAI", 60)
    add_late_analyses(web, "MF-KK-ALM", 25)
    expected = [(r["stage"], r["analysis"]) for r in api_rows(web, "gulnar", "overdue")]
    assert len(expected) > 2 * PAGE_SIZE, "the data must fill at least three pages"

    b = web.browser("gulnar")
    first = b.get("/overdue")
    total = int(re.search(r'data-testid="overdue-total">(\d+)<', first.text).group(1))
    assert total == len(expected)
    assert 'data-testid="pager"' in first.text
    assert f"Rows 1–{PAGE_SIZE} of {total} (page 1 of {-(-total // PAGE_SIZE)})" in first.text

    shown, urls = walk(b, "/overdue")
    assert len(urls) == -(-total // PAGE_SIZE)
    # The same rows in the same order as the API (which sorts by organisation, due date, analysis,
    # stage); the HTML groups a page's rows by organisation, which keeps that order.
    assert Counter(shown) == Counter(expected)
    assert shown == expected


def test_overdue_summary_counts_each_subordinate(web: Web):
    add_late_analyses(web, "MF-KGD-ABAI", 30)
    add_late_analyses(web, "MF-KK-ALM", 10)
    rows = api_rows(web, "gulnar", "overdue")
    kgd = sum(r["organisation"].startswith("MF-KGD") for r in rows)
    kk = sum(r["organisation"].startswith("MF-KK") for r in rows)
    own = sum(r["organisation"] == "MF" for r in rows)

    page = web.browser("gulnar").get("/overdue").text
    summary = {code: int(n) for code, n in SUMMARY.findall(page)}
    expected = {"MF-KGD": kgd, "MF-KK": kk} | ({"MF": own} if own else {})
    assert summary == expected
    assert sum(summary.values()) == len(rows)
    # Largest first, and each subordinate links to its own list.
    assert list(summary) == sorted(summary, key=lambda c: -summary[c])
    assert 'href="?org=MF-KGD"' in page

    # Drilling down: the committee's list counts its departments.
    page = web.browser("gulnar").get("/overdue?org=MF-KGD").text
    summary = {code: int(n) for code, n in SUMMARY.findall(page)}
    abai = sum(r["organisation"] == "MF-KGD-ABAI" for r in rows)
    assert summary["MF-KGD-ABAI"] == abai
    assert sum(summary.values()) == kgd


def test_page_links_keep_the_filters(web: Web):
    add_late_analyses(web, "MF-KGD-ABAI", 50)
    rows = api_rows(web, "gulnar", "overdue", "&stage=start_announcement")
    assert rows, "every late analysis has its start announcement overdue"
    b = web.browser("gulnar")
    all_rows = api_rows(web, "gulnar", "overdue", "&org=MF-KGD-ABAI")
    assert len(all_rows) > PAGE_SIZE
    shown, urls = walk(b, "/overdue?org=MF-KGD-ABAI&sort=due")
    assert all("org=MF-KGD-ABAI" in u and "sort=due" in u for u in urls)
    assert Counter(shown) == Counter((r["stage"], r["analysis"]) for r in all_rows)
    assert {st for st, _a in shown} == {r["stage"] for r in all_rows}


def test_bad_page_numbers(web: Web):
    add_late_analyses(web, "MF-KGD-ABAI", 45)
    b = web.browser("gulnar")
    before = web.dump()
    for bad in ("0", "-1", "abc", "1.5"):
        r = b.get(f"/overdue?page={bad}")
        assert r.status_code == 422, (bad, r.status_code)
        assert html.unescape(r.text).count(f"There is no page “{bad}”: pages are numbered") == 1
    # Past the end: the last page, not an empty one.
    last = b.get("/overdue?page=9999")
    assert last.status_code == 200
    pages = int(re.search(r"\(page (\d+) of (\d+)\)", last.text).group(2))
    assert f"(page {pages} of {pages})" in last.text
    assert ROW.search(last.text)
    assert 'rel="next"' not in last.text and 'rel="prev"' in last.text
    assert web.dump() == before, "reading pages changes nothing"


@pytest.mark.slow
def test_due_page_is_paged_too(web: Web):
    # Analyses starting in 12 working days: start announcements fall due within the horizon.
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-setup", language="en")
    with Session(web.engine) as s:
        for _ in range(PAGE_SIZE + 20):
            planning_svc.plan_analysis(s, ctx, "MF-KGD-ABAI", "MF-KGD-ABAI", wd(12),
                              duplicate_reason=DUPLICATES)
        s.commit()
    expected = [(r["stage"], r["analysis"]) for r in api_rows(web, "gulnar", "due", "&within=10")]
    assert len(expected) > PAGE_SIZE
    shown, urls = walk(web.browser("gulnar"), "/due?within=10")
    assert len(urls) == -(-len(expected) // PAGE_SIZE)
    assert all("within=10" in u for u in urls)
    assert Counter(shown) == Counter(expected)


def test_small_lists_have_no_pager(web: Web):
    page = web.browser("gulnar").get("/overdue").text
    assert 'data-testid="pager"' not in page
    assert TODAY  # the demo's own overdue rows fit one page


def test_stage_and_year_filters_run_in_the_query(web: Web):
    add_late_analyses(web, "MF-KGD-ABAI", 5)
    rows = api_rows(web, "gulnar", "overdue")
    for query, keep in [("&stage=order", lambda r: r["stage"] == "order"),
                        (f"&year={TODAY.year}", lambda r: r["year"] == TODAY.year),
                        (f"&year={TODAY.year + 1}", lambda r: r["year"] == TODAY.year + 1),
                        ("&year=99999", lambda r: False),
                        ("&year=0", lambda r: False),
                        ("&stage=order&year=2025", lambda r: r["stage"] == "order"
                         and r["year"] == 2025)]:
        expected = [(r["stage"], r["analysis"]) for r in rows if keep(r)]
        got = [(r["stage"], r["analysis"]) for r in api_rows(web, "gulnar", "overdue", query)]
        assert got == expected, query
    assert any(r["stage"] == "order" for r in rows)
    page = web.browser("gulnar").get("/overdue?year=99999")
    assert page.status_code == 200 and not ROW.search(page.text)


def test_api_pages_cut_in_sql_match_the_whole_list(web: Web):
    """The API counts and cuts its default-order pages in SQL; walking them with an odd page
    size gives exactly the list the pages and exports build in full, for a manager and for an
    officer (who sees her own organisation only, not its subordinates)."""
    from web.kit.access import viewer_for
    from web.kit.views import due_rows, overdue_rows

    add_late_analyses(web, "MF-KGD-ABAI", 20)
    add_late_analyses(web, "MF-KGD-ALM", 6)
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test", language="en")
    cases = [("gulnar", "overdue", {}), ("gulnar", "overdue", {"stage": "order"}),
             ("gulnar", "overdue", {"year": 2025}), ("gulnar", "overdue", {"org": "MF-KGD"}),
             ("aigerim", "overdue", {}), ("gulnar", "due", {"within": 10}),
             ("aigerim", "due", {"within": 30})]
    for login, kind, params in cases:
        with Session(web.engine) as s:
            viewer = viewer_for(s, svc.get_user(s, login))
            if kind == "overdue":
                full = overdue_rows(s, ctx, viewer, params.get("org"), params.get("stage"),
                                    params.get("year"))
            else:
                full = due_rows(s, ctx, viewer, params["within"])
        got, total, offset = [], None, 0
        query = "".join(f"&{k}={v}" for k, v in params.items())
        while True:
            r = web.api(login).get(f"/api/v1/{kind}?limit=37&offset={offset}&lang=en{query}")
            assert r.status_code == 200, r.text
            body = r.json()
            total = body["total"] if total is None else total
            assert body["total"] == total
            got += body["items"]
            offset += 37
            if offset >= total:
                break
        assert full and total == len(full), (login, kind, params)
        assert [g["stage_id"] for g in got] == [f.stage_id for f in full], (login, params)
