"""On a phone in a real browser (Debian's headless Chromium driven by Playwright; the server,
the demo and the pinned day of tests/support/browser_helpers.py): the open-a-case form
shows every problem at once, beside its input, and opens nothing; the score page's status
words never break inside a word; the case's Gantt shows the legend of its phone timeline.
axe-core finds nothing serious on each page shown.
"""

from __future__ import annotations

import re

import pytest

from tests.support import browser_helpers as tb

pytestmark = pytest.mark.browser

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


_failing_shot, _shot = tb.prefixed_shots("browser-phone-forms")


def test_open_case_form_score_and_gantt_on_a_phone(page, server: tb.Server) -> None:
    with _failing_shot(page, server, "phone"):
        page.set_viewport_size(tb.PHONE)
        tb.log_in(page, server, tb.OFFICER)
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
        assert page.evaluate(tb.OVERFLOW) <= 0
        _shot(page, "open-case-problems")
        tb.axe_check(page)

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
        assert page.evaluate(tb.OVERFLOW) <= 0
        _shot(page, "gantt-phone")

    with _failing_shot(page, server, "score"):
        page.goto(f"{server.base}/score")
        for lang in ("kk", "ru", "en"):
            page.context.add_cookies([{"name": "merzim_lang", "value": lang,
                                       "url": server.base}])
            page.goto(f"{server.base}/score")
            statuses = page.locator("[data-testid=score-summary] td[data-status]")
            assert statuses.count() > 0
            assert page.evaluate(tb.OVERFLOW) <= 0, lang
            wider = page.evaluate("""() => [...document.querySelectorAll('main *')]
                .filter(e => !e.closest('.score-grid, .visually-hidden'))
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .map(e => e.tagName + '.' + e.className).slice(0, 5)""")
            assert wider == [], (lang, wider)
            broken = page.evaluate(BROKEN_WORDS, "[data-testid=score-summary] td[data-status],"
                                                 " [data-testid=score-provisional]")
            assert broken == [], (lang, broken)
            _shot(page, f"score-phone-{lang}")
