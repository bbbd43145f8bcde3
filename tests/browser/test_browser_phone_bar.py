"""On a phone (390×844), with a stage ticked, the bulk bar stays at the bottom of the screen;
a card's Record button scrolled to stops above the bar, never under it."""

from __future__ import annotations

import pytest

from tests.support.browser_helpers import OFFICER, PHONE, Server, log_in

pytestmark = pytest.mark.browser

# Whether the element's centre is the element itself (not the bar over it), and whether the
# bar's top lies below the element's bottom.
UNCOVERED = """(el) => {
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  const bar = document.querySelector('form.bulk-bar').getBoundingClientRect();
  return {shown: hit !== null && (hit === el || el.contains(hit)), above: r.bottom <= bar.top,
          inside: r.top >= 0 && r.bottom <= window.innerHeight};
}"""


def test_the_bulk_bar_never_covers_a_cards_record_button(page, server: Server) -> None:
    pg, base = page, server.base
    pg.set_viewport_size(PHONE)
    pg.context.clear_cookies()
    pg.context.add_cookies([{"name": "merzim_lang", "value": "en", "url": base}])
    log_in(pg, server, OFFICER)
    pg.goto(f"{base}/work")
    pg.locator("input[data-testid=select]").first.check()
    bar = pg.locator("form.bulk-bar")
    assert bar.evaluate("f => getComputedStyle(f).position") == "sticky"
    buttons = pg.locator("section[data-section=overdue] a[data-testid=record]")
    assert buttons.count() >= 2
    pg.evaluate("window.scrollTo(0, 0)")
    for i in range(min(buttons.count(), 8)):
        button = buttons.nth(i)
        # scrolled to as little as it takes (the nearest edge), as the keyboard and the
        # browser's find do
        button.evaluate("el => el.scrollIntoView({block: 'nearest'})")
        found = button.evaluate(UNCOVERED)
        assert found == {"shown": True, "above": True, "inside": True}, (i, found)
