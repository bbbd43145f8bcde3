"""Words, not codes, and a phone's tap targets, on the demo in a real browser (Debian's headless
Chromium driven by Playwright; the server, the demo and the pinned day of
tests/support/browser_helpers.py): in Kazakh as the manager and in Russian as the
administrator, at 390x844, every page of the menu and one page of each kind they link to (a
case, a programme, each register, each organisation's score) has its header within 15 % of
the screen and no tap target under 24x24 px (tests/support/phone_measures.py), and shows in
its rendered words — text, the options of its lists, titles, labels for screen readers,
placeholders and the cards' column labels — no definition key, no message key of the
catalogue and no period's code (2026Q4, 2026H2, 2026M10: a period reads by its name). The one
place a code is due: a field that takes a monitoring period as its code says so (its label's
example and its placeholder)."""

from __future__ import annotations

import re

import pytest

from tests.support import browser_helpers
from tests.support.browser_helpers import ADMIN, MANAGER, PHONE, Server, failing_shot, log_in
from tests.support.phone_measures import HEADER_BOTTOM, too_small
from tests.support.raw_words import codes_and_keys
from workflow.i18n import Translator

pytestmark = pytest.mark.browser
server = browser_helpers.server
chromium = browser_helpers.chromium
page = browser_helpers.page

# The words a reader meets on the page as rendered: the text of what is shown (an option of a
# list, or a screen reader's text, too) and the titles, labels, placeholders and column labels.
WORDS = r"""() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const at = n.parentElement;
    if (at.closest('script, style, textarea')) continue;
    if (!at.closest('option, .visually-hidden') && !at.getClientRects().length) continue;
    out.push(n.data);
  }
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt], td[data-label]')) {
    for (const name of ['title', 'aria-label', 'placeholder', 'alt', 'data-label']) {
      if (name === 'placeholder' && el.name === 'period') continue;  // the code it takes
      if (el.getAttribute(name)) out.push(el.getAttribute(name));
    }
  }
  return out.join('\n');
}"""
DOWNLOADS = re.compile(r"\.(xlsx|csv|ics|pdf|docx|json)(\?|$)|/files/|^/(lang|static|logout)\b")


def _kind(href: str) -> str:
    """A page's kind: its path with every number the same (one case, one programme stands for
    the others; each register, each organisation's score a kind of its own)."""
    return re.sub(r"\d+", "N", href.split("?")[0])


@pytest.mark.parametrize(("login", "lang"), [(MANAGER, "kk"), (ADMIN, "ru")])
def test_no_code_or_key_in_the_words_of_a_page(page, server: Server, login, lang) -> None:
    base, hint = server.base, Translator(lang)("form.period")
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "merzim_lang", "value": lang, "url": base}])
    log_in(page, server, login)
    menu = list(dict.fromkeys(page.locator("header.top nav.menu a[href^='/']").evaluate_all(
        "as => as.map(a => a.getAttribute('href'))")))
    pages, kinds = list(menu), {_kind(p) for p in menu}
    for path in menu:
        page.goto(f"{base}{path}")
        for href in page.locator("main a[href^='/']").evaluate_all(
                "as => as.map(a => a.getAttribute('href'))"):
            if not DOWNLOADS.search(href) and _kind(href) not in kinds:
                kinds.add(_kind(href))
                pages.append(href)
    found, small, tall = {}, {}, {}
    page.set_viewport_size(PHONE)
    with failing_shot(page, server, f"words-{lang}"):
        for path in pages:
            page.goto(f"{base}{path}")
            seen = codes_and_keys(page.evaluate(WORDS).replace(hint, ""))
            if seen:
                found[path] = seen
            if too_small(page):
                small[path] = too_small(page)
            if page.evaluate(HEADER_BOTTOM) > 0.15 * PHONE["height"]:
                tall[path] = page.evaluate(HEADER_BOTTOM)
    assert len(pages) >= 25, pages
    assert found == {}, found
    assert small == {} and tall == {}, (small, tall)
