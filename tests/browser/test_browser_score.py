"""The score page on a laptop's screen in a real browser (Debian's headless Chromium driven by
Playwright; the server, the demo and the pinned day of tests/support/browser_helpers.py).

The manager nurlan opens /score at 1366x900 in kk, ru and en: the page is never wider than the
window (the summary fits; the indicators of the four projects scroll sideways inside their own
box, whose subject column stays in place while it scrolls); the organisation is picked from a
list; one project chosen narrows the indicator table; a subject's page opens the chosen
project's indicators in words and fits the window too. axe-core finds nothing serious. On
SQLite and PostgreSQL (the run's backends).

Screenshots go to test-artifacts/: failure-score.png when a step fails; score-kk.png,
score-ru.png, score-en.png, score-project-2.png, score-subject-ru.png with
MERZIM_TEST_SCREENSHOTS=1.
"""

from __future__ import annotations

import re
import sys

import pytest

from tests.support import browser_helpers as tb

pytestmark = pytest.mark.browser
server = tb.server_on_each_backend  # (SQLite and PostgreSQL)

LAPTOP = {"width": 1366, "height": 900}
HEADINGS = {"kk": "№1–4 жобалар бойынша бағалау", "ru": "Оценка по проектам №1–4",
            "en": "Evaluation of projects No. 1–4"}


def test_the_score_page_fits_a_laptop_in_every_language(page, server: tb.Server) -> None:
    with tb.failing_shot(page, server, "score"):
        _scenario(page, server)


def _language(page, base: str, lang: str) -> None:
    page.context.add_cookies([{"name": "merzim_lang", "value": lang, "url": base}])


def _scenario(page, server: tb.Server) -> None:
    base = server.base
    page.set_viewport_size(LAPTOP)
    tb.log_in(page, server, tb.MANAGER)
    for lang in ("kk", "ru", "en"):
        _language(page, base, lang)
        page.goto(f"{base}/score")
        assert HEADINGS[lang] in page.locator("h1").inner_text()
        tb.screenshot(page, f"score-{lang}")
        assert page.evaluate(tb.OVERFLOW) <= 0, (lang, page.evaluate(tb.OVERFLOW))
        # the summary: every subject, its four subtotals, total and status, within the page
        summary = page.locator("[data-testid=score-summary]")
        rows = summary.locator("tbody tr").count()
        assert rows > 1
        assert summary.locator("thead th").count() == 8  # subject, kind, 4 projects, total, status
        assert page.evaluate("""() => {
            const t = document.querySelector('[data-testid=score-summary]');
            return t.scrollWidth <= t.parentElement.clientWidth; }""")
        # the indicators: wider than the page, scrolled in their own box, the subjects kept
        box = page.locator("[data-testid=score-grid-box]")
        assert box.locator("tbody tr").count() == rows
        wide = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
        assert wide[0] > wide[1], wide
        first = box.locator("tbody tr").first.locator("td").first
        assert first.evaluate("td => getComputedStyle(td).position") == "sticky"
        left = first.bounding_box()["x"]
        box.evaluate("b => { b.scrollLeft = 600; }")
        assert box.evaluate("b => b.scrollLeft") == 600
        # the subject did not move (half a pixel: the collapsed border scrolls away)
        assert abs(first.bounding_box()["x"] - left) <= 1, (first.bounding_box(), left)
        assert box.locator("tbody tr").first.locator("td").nth(1).bounding_box()["x"] < left
        assert page.evaluate(tb.OVERFLOW) <= 0
        # no two columns of a table share a heading
        for testid in ("score-summary", "score-tree"):
            heads = page.locator(f"[data-testid={testid}] thead th").all_inner_texts()
            assert len(heads) == len(set(heads)), (lang, testid, heads)
    tb.axe_check(page)

    # the organisation typed (its suggestions the subtree's first), one project: the table
    # narrows, the export follows
    _language(page, base, "en")
    page.goto(f"{base}/score")
    codes = page.locator("[data-testid=org-choices] option").evaluate_all(
        "os => os.map(o => o.value)")
    assert "AK-ALM" in codes and "AK-ALM-EDU" in codes
    page.locator("form.filters input[name=org]").fill("AK-ALM-EDU")
    page.locator("[data-testid=project]").select_option("2")
    page.locator("form.filters button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"org=AK-ALM-EDU.*project=2"))
    heads = page.locator("[data-testid=score-tree] thead th").all_inner_texts()
    assert heads[0] == "Subject" and heads[-1] == "Project No. 2"
    assert all(h.startswith("2.") for h in heads[1:-1]), heads
    assert page.locator("[data-testid=score-summary] tbody tr").all() and all(
        s.startswith("AK-ALM-EDU") for s in page.locator(
            "[data-testid=score-summary] tbody tr").evaluate_all(
            "rs => rs.map(r => r.dataset.subject)"))
    tb.screenshot(page, "score-project-2")
    with page.expect_download() as download:
        page.locator("[data-testid=export-csv]").click()
    with open(download.value.path(), encoding="utf-8-sig") as csv_file:
        header = csv_file.readline()
    assert header.rstrip().endswith("Project No. 2,Awards,Deductions,Total,Status"), header

    # a subject's page: the project chosen open, its indicators in words; fits in Russian
    page.locator("[data-testid=score-summary] tbody tr td[data-project=p2] a").first.click()
    page.wait_for_url(re.compile(r"/score/AK-ALM-EDU\?.*project=2"))
    assert page.locator("details#project-2").get_attribute("open") is not None
    assert page.locator("details#project-1").get_attribute("open") is None
    assert page.locator("details#project-2 tr[data-indicator]").count() > 3
    _language(page, base, "ru")
    page.reload()
    tb.screenshot(page, "score-subject-ru")
    assert page.evaluate(tb.OVERFLOW) <= 0
    page.locator("details#project-1 > summary").click()
    assert page.locator("details#project-1 tr[data-indicator]").first.is_visible()
    assert page.evaluate(tb.OVERFLOW) <= 0
    tb.axe_check(page)




def test_on_a_phone_each_subject_is_a_compact_card(page, server: tb.Server) -> None:
    """At 390 px the subtree is a card per subject (its projects' subtotals two a line), not
    the wide indicator table (which each subject's own page holds): the page stays a few
    screens tall, not one screen per indicator and subject."""
    try:
        tb.log_in(page, server, tb.MANAGER)
        page.set_viewport_size(tb.PHONE)
        _language(page, server.base, "en")
        page.goto(f"{server.base}/score")
        assert not page.locator("[data-testid=score-grid-box]").is_visible()
        assert page.locator("[data-testid=score-phone-note]").is_visible()
        heights = page.locator("[data-testid=score-summary] tbody tr").evaluate_all(
            "rs => rs.map(r => r.getBoundingClientRect().height)")
        assert len(heights) > 1 and max(heights) < 320, heights
        tall = page.evaluate("document.documentElement.scrollHeight")
        assert tall < 320 * len(heights) + 1200, (tall, len(heights))
        assert page.evaluate(tb.OVERFLOW) <= 0
        tb.screenshot(page, "score-phone")
        # a subject's page: its points at risk and its projects folded, within the screen
        page.locator("[data-testid=score-summary] tbody tr a").first.click()
        page.wait_for_url(re.compile(r"/score/[^?]+\?"))
        assert page.locator("[data-testid=score-risks]").is_visible()
        assert page.evaluate(tb.OVERFLOW) <= 0
        tb.axe_check(page)
    except Exception:
        page.screenshot(path=str(tb.ARTIFACTS / "failure-score-phone.png"), full_page=True)
        print(f"page: {page.url}\nserver log:\n{server.log_tail()}", file=sys.stderr)
        raise


def test_the_overdue_analytic_note_is_first_in_points_at_risk_with_its_points(
        page, server: tb.Server) -> None:
    """The officer's department: its overdue analytic note heads its points at risk, worth
    1.2.3's −5 saved and 1.3.3's 30 won, and leads to its record form."""
    try:
        tb.log_in(page, server, tb.OFFICER)
        page.set_viewport_size(LAPTOP)
        _language(page, server.base, "en")
        page.goto(f"{server.base}/score/{tb.OFFICER_ORG}?year=2026")
        first = page.locator("[data-testid=score-risks] li[data-risk]").first
        assert first.get_attribute("data-overdue") is not None
        assert first.get_attribute("data-points") == "35.0"
        text = first.inner_text()
        assert text.startswith("+35 points") and "Sign the analytic note" in text, text
        badge = page.locator("[data-testid=score-risks-count]").inner_text()
        assert badge.endswith("points"), badge
        tb.axe_check(page)
        first.locator("a").click()
        page.wait_for_url(re.compile(r"/cases/\d+\?event=analytic_note#record"))
        # My work shows the same line first
        page.goto(f"{server.base}/work")
        mine = page.locator("[data-testid=score-risks] li[data-risk]").first
        assert mine.inner_text() == text
    except Exception:
        page.screenshot(path=str(tb.ARTIFACTS / "failure-score-risks.png"), full_page=True)
        print(f"page: {page.url}\nserver log:\n{server.log_tail()}", file=sys.stderr)
        raise
