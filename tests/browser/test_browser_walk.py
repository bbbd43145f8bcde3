"""A walk through the officer's, the manager's and the administrator's pages in a real browser
(Debian's headless Chromium driven by Playwright, axe-core through axe-playwright-python), in
Russian and Kazakh, on a laptop (1366x900) and a phone (390x844).

Every page of the menu as each role's rendered menu lists it (not a list kept here): no serious
or critical axe violation, nothing wider than the screen (no sideways scroll), no target
smaller than 24x24 px (WCAG 2.5.8: links, buttons, fields, selects, summaries; a check box or
radio button with the label around it; the one exemption WCAG's own, a link among the words of
a sentence: tests/support/phone_measures.py), and no two landmarks of one kind with one name
(two pagers of a list are "Pages" and "Pages (below the list)"). On the laptop the main menu
is one line in Kazakh, Russian and English.

Screenshots go to test-artifacts/: failure-walk-*.png when a step fails.
"""

from __future__ import annotations

import pytest

from tests.support import browser_helpers as tb
from tests.support.phone_measures import too_small

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}
MENU = "header.top nav:not(.langs) a[href^='/']"

# the page's width against the viewport's, and every pair of landmarks of one role with one
# name (a page's two navigation landmarks both "Pages")
FAULTS = r"""() => {
  const out = {width: document.documentElement.scrollWidth, viewport: window.innerWidth};
  const roles = {nav: 'navigation', aside: 'complementary', form: 'form', section: 'region'};
  const named = {};
  for (const el of document.querySelectorAll('nav, aside, [role=navigation], [role=search]')) {
    if (!el.getClientRects().length) continue;
    const role = el.getAttribute('role') || roles[el.tagName.toLowerCase()];
    const by = el.getAttribute('aria-labelledby');
    const name = el.getAttribute('aria-label')
      || (by && document.getElementById(by) ? document.getElementById(by).textContent.trim() : '');
    const key = role + ':' + name;
    named[key] = (named[key] || 0) + 1;
  }
  out.same = Object.entries(named).filter(([, n]) => n > 1).map(([k]) => k);
  return out;
}"""

# the tops of the main menu's links shown (one line: a single top)
MENU_LINES = """(sel) => [...new Set([...document.querySelectorAll(sel)]
  .filter(a => a.getClientRects().length)
  .map(a => Math.round(a.getBoundingClientRect().top)))]"""


def _menu(pg) -> list[str]:
    return list(dict.fromkeys(pg.locator(MENU).evaluate_all(
        "as => as.map(a => a.getAttribute('href'))")))


def _as(pg, server: tb.Server, login: str, lang: str) -> None:
    pg.context.clear_cookies()
    pg.context.add_cookies([{"name": "merzim_lang", "value": lang, "url": server.base}])
    tb.log_in(pg, server, login)


def test_the_main_pages_in_russian_and_kazakh_on_a_laptop_and_a_phone(page, server) -> None:
    with tb.failing_shot(page, server, "walk"):
        _walk(page, server)


def _walk(pg, server: tb.Server) -> None:
    checked: set[tuple[str, int]] = set()
    for size in (LAPTOP, tb.PHONE):
        pg.set_viewport_size(size)
        for login in (tb.OFFICER, tb.MANAGER, tb.ADMIN):
            for lang in ("ru", "kk"):
                _as(pg, server, login, lang)
                menu = _menu(pg)
                assert "/work" in menu and "/overdue" in menu, (login, menu)
                for path in menu:
                    pg.goto(f"{server.base}{path}")
                    where = (login, lang, size["width"], path)
                    faults = pg.evaluate(FAULTS)
                    assert faults["width"] <= faults["viewport"], (where, faults)
                    assert faults["same"] == [], (where, faults["same"])
                    assert too_small(pg) == [], (where, too_small(pg))
                    if (path, size["width"], lang) not in checked:  # a page's markup is one
                        tb.axe_check(pg)  # for every role
                        checked.add((path, size["width"], lang))


def test_the_menu_is_one_line_on_a_laptop_in_every_language(page, server) -> None:
    with tb.failing_shot(page, server, "walk-menu"):
        page.set_viewport_size(LAPTOP)
        for login in (tb.ADMIN, tb.MANAGER, tb.OFFICER):  # the administrator's is the longest
            for lang in ("kk", "ru", "en"):
                _as(page, server, login, lang)
                lines = page.evaluate(MENU_LINES, "header.top nav.menu a")
                assert len(lines) == 1, (login, lang, lines)
