"""Issue 29's web leftovers in a real browser (Debian's headless Chromium driven by Playwright;
the server, the demo and the pinned day of tests/browser_helpers.py):

* work in bulk on a phone (390x844): the bar stays at the bottom of the screen, shows how many
  rows are ticked, fits the width; one event with one document recorded on two stages at once;
* the sign-in page's language wins over the profile's, and the offer to save it works;
* the open-a-case form on a phone: every problem at once, beside its input, nothing opened;
* the score page's status words never break inside a word on a phone; the case's Gantt shows
  the legend of its phone timeline.

axe-core finds nothing serious on each page shown. Screenshots go to test-artifacts/
(failure-round3-*.png when a step fails; round3-*.png with MERZIM_TEST_SCREENSHOTS=1).
"""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager

import pytest

from tests import browser_helpers
from tests.browser_helpers import (
    ARTIFACTS,
    MANAGER,
    OFFICER,
    Server,
    axe_check,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.browser
server = browser_helpers.server
chromium = browser_helpers.chromium
page = browser_helpers.page

PHONE = {"width": 390, "height": 844}
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
# the words of the elements matched that a line break cuts in two (a word drawn on two lines
# has two boxes): none may be
BROKEN_WORDS = """sel => {
  const broken = [];
  for (const el of document.querySelectorAll(sel)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /\\S+/g;
      let m;
      while ((m = re.exec(node.data))) {
        const r = document.createRange();
        r.setStart(node, m.index);
        r.setEnd(node, m.index + m[0].length);
        const lines = new Set([...r.getClientRects()].filter(b => b.width > 0)
                                .map(b => Math.round(b.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


@contextmanager
def _failing_shot(pg, server: Server, name: str):
    try:
        yield
    except Exception:
        pg.screenshot(path=str(ARTIFACTS / f"failure-round3-{name}.png"), full_page=True)
        print(f"page: {pg.url}\nserver log:\n{server.log_tail()}", file=sys.stderr)
        raise


def _shot(pg, name: str) -> None:
    screenshot(pg, f"round3-{name}")


def test_work_in_bulk_on_a_phone(page, server: Server, tmp_path) -> None:
    with _failing_shot(page, server, "bulk"):
        page.set_viewport_size(PHONE)
        log_in(page, server, OFFICER)
        page.goto(f"{server.base}/work")
        overdue = page.locator("section[data-section=overdue] tr[data-stage]")
        assert overdue.count() >= 2, overdue.count()
        chosen = [(overdue.nth(i).get_attribute("data-case"),
                   overdue.nth(i).get_attribute("data-stage")) for i in range(2)]
        bar = page.locator("[data-testid=bulk-bar]")
        count = page.locator("[data-testid=bulk-count]")
        assert count.is_visible() and count.inner_text() == "0 rows selected"
        # nothing selected: the bar stays in its place under the list, taking no screen
        page.evaluate("window.scrollTo(0, 0)")
        assert bar.evaluate("b => getComputedStyle(b).position") != "sticky"
        for i in range(2):
            overdue.nth(i).locator("[data-testid=select]").check()
        assert count.inner_text() == "2 rows selected"
        # something selected: it sticks to the bottom of the screen, within its width
        assert bar.evaluate("b => getComputedStyle(b).position") == "sticky"
        box = bar.bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"] + 1, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, box
        overdue.nth(1).locator("[data-testid=select]").uncheck()
        assert count.inner_text() == "1 row selected"
        overdue.nth(1).locator("[data-testid=select]").check()
        assert count.inner_text() == "2 rows selected"
        assert page.evaluate(OVERFLOW) <= 0
        _shot(page, "bulk-phone")
        axe_check(page)

        bar.locator("[data-testid=bulk-record] > summary").click()
        assert page.evaluate(OVERFLOW) <= 0
        bar.locator("input[name=number]").fill("ПР-77")
        bar.locator("input[name=signed_by]").fill("Асель Нурланқызы")
        pdf = tmp_path / "order.pdf"
        pdf.write_bytes(PDF)
        bar.locator("input[name=files]").set_input_files(str(pdf))
        _shot(page, "bulk-phone-record")
        bar.locator("[data-testid=bulk-record-submit]").click()
        page.wait_for_url(re.compile(r"/bulk$"))
        done = page.locator("[data-testid=bulk-done]")
        assert done.is_visible(), page.locator("main").inner_text()[:2000]
        assert page.evaluate(OVERFLOW) <= 0
        _shot(page, "bulk-phone-done")

        # both stages recorded, with the one document: gone from the overdue section, and
        # each case page lists the file
        page.goto(f"{server.base}/work")
        left = {(r.get_attribute("data-case"), r.get_attribute("data-stage")) for r in
                page.locator("section[data-section=overdue] tr[data-stage]").all()}
        assert not set(chosen) & left, (chosen, left)
        for case in {c for c, _s in chosen}:
            page.goto(f"{server.base}/cases/{case}")
            assert "order.pdf" in page.locator("main").inner_text()


def test_the_sign_in_pages_language_wins_and_can_be_saved(page, server: Server) -> None:
    with _failing_shot(page, server, "language"):
        page.context.clear_cookies()
        page.goto(f"{server.base}/login")
        page.locator("nav.langs a[hreflang=ru]").click()  # the sign-in page's own switch
        page.wait_for_url(re.compile(r"/login"))
        assert page.locator("html").get_attribute("lang") == "ru"
        page.fill("input[name=login]", MANAGER)  # nurlan's profile says kk
        page.fill("input[name=password]", server.passwords[MANAGER])
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url
        assert page.locator("html").get_attribute("lang") == "ru"
        offer = page.locator("[data-testid=lang-offer]")
        assert offer.is_visible()
        assert "Қазақша" in offer.inner_text()
        _shot(page, "language-offer")
        axe_check(page)
        here = page.url
        offer.locator("[data-testid=lang-offer-save]").click()
        page.wait_for_url(here)
        assert page.locator("[data-testid=lang-offer]").count() == 0
        # the profile says ru now: without the cookie, the pages are in Russian still
        page.context.clear_cookies(name="merzim_lang")
        page.reload()
        assert page.locator("html").get_attribute("lang") == "ru"
        assert page.locator("[data-testid=lang-offer]").count() == 0


def test_open_case_form_score_and_gantt_on_a_phone(page, server: Server) -> None:
    with _failing_shot(page, server, "phone"):
        page.set_viewport_size(PHONE)
        log_in(page, server, OFFICER)
        page.goto(f"{server.base}/cases/new")  # the picker of what to open
        opening = page.locator("main a[href^='/cases/new/']")
        hrefs = opening.evaluate_all("as => as.map(a => a.getAttribute('href'))")
        assert "/cases/new/gift" in hrefs, hrefs
        page.goto(f"{server.base}/cases/new/gift")
        form = page.locator("[data-testid=open-form]")
        assert form.get_attribute("novalidate") is not None
        assert form.locator("button[data-testid=open-submit]").inner_text() == "Open the case"
        required = form.locator(".req").count()
        assert required >= 2
        form.locator("input[name=position]").fill("Head of unit")
        form.locator("button[data-testid=open-submit]").click()
        page.wait_for_load_state()
        problems = page.locator("[data-testid=problems] li")
        assert problems.count() == required, page.locator("main").inner_text()[:2000]
        beside = page.locator("[data-testid=open-form] .field-error")
        assert beside.count() == required
        assert page.locator("[data-testid=open-form] input[name=position]").input_value() \
            == "Head of unit"
        assert page.locator("[aria-invalid=true]").count() == required
        assert page.evaluate(OVERFLOW) <= 0
        _shot(page, "open-case-problems")
        axe_check(page)

        # the case's Gantt on a phone: its legend, with the phone's marks for the dates
        page.goto(f"{server.base}/overdue")
        page.locator("main tr[data-stage] a[href^='/cases/']").first.click()
        page.wait_for_url(re.compile(r"/cases/\d+$"))
        legend = page.locator("[data-testid=gantt-legend]")
        legend.scroll_into_view_if_needed()
        assert legend.is_visible()
        assert page.locator("[data-testid=gantt-legend-phone-due]").is_visible()
        assert page.locator(".gantt-legend .gantt-wide-mark").first.is_hidden()
        assert "overdue" in legend.inner_text().lower()
        assert page.evaluate(OVERFLOW) <= 0
        _shot(page, "gantt-phone")

    with _failing_shot(page, server, "score"):
        page.goto(f"{server.base}/score")
        for lang in ("kk", "ru", "en"):
            page.context.add_cookies([{"name": "merzim_lang", "value": lang,
                                       "url": server.base}])
            page.goto(f"{server.base}/score")
            statuses = page.locator("[data-testid=score-summary] td[data-status]")
            assert statuses.count() > 0
            assert page.evaluate(OVERFLOW) <= 0, lang
            wider = page.evaluate("""() => [...document.querySelectorAll('main *')]
                .filter(e => !e.closest('.score-grid, .visually-hidden'))
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .map(e => e.tagName + '.' + e.className).slice(0, 5)""")
            assert wider == [], (lang, wider)
            broken = page.evaluate(BROKEN_WORDS, "[data-testid=score-summary] td[data-status],"
                                                 " [data-testid=score-provisional]")
            assert broken == [], (lang, broken)
            _shot(page, f"score-phone-{lang}")
