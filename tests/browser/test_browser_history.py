"""A correction in a real browser (Debian's headless Chromium, 1280x900, on the demo served by
`merzim serve`): the officer asel corrects her register entry's "Detected independently" and
the person's position with a reason, and the case's history shows who, the old and new value
of each in words and the reason; the manager above, who does not see the person, sees the
correction and that the position changed, never the position itself. axe-core finds no serious
or critical violation on the corrected page. On SQLite and PostgreSQL (the run's backends).

Screenshots: history-failure.png when a step fails; with MERZIM_TEST_SCREENSHOTS=1
history-corrected.png.
"""

from __future__ import annotations

import pytest

from tests.support import browser_helpers as tb

pytestmark = pytest.mark.browser

server = tb.server_on_each_backend  # (SQLite and PostgreSQL)
POSITION = "Leading specialist, procurement"


def _history_row(pg):
    return pg.locator("table[data-testid=history] tr[data-kind=corrected]")


def test_a_correction_is_in_the_history_with_old_and_new_values_and_the_reason(
        page, chromium, server) -> None:
    pg = page
    try:
        tb.log_in(pg, server, tb.OFFICER)
        pg.goto(f"{server.base}/registers/tainted_hire")
        pg.locator("main table a[href^='/cases/']").first.click()
        pg.wait_for_load_state()
        case_url = pg.url
        assert _history_row(pg).count() == 0
        form = pg.locator("details#edit")
        form.locator("summary").click()
        form.locator("[data-testid=edit-field-detected_independently]").select_option("no")
        form.locator("#edit-position").fill(POSITION)
        form.locator("#edit-reason").fill("The police reported it first")
        form.locator("button[type=submit]").click()
        pg.wait_for_url(case_url)
        row = _history_row(pg)
        assert row.count() == 1
        text = row.inner_text()
        for words in ("Case corrected", "Detected independently: Yes → No",
                      f"Position: Chief specialist, procurement → {POSITION}",
                      "Reason: The police reported it first"):
            assert words in text, text
        assert "Asel" in row.locator("td").nth(1).inner_text()
        tb.screenshot(pg, "history-corrected.png", full_page=False)
        tb.axe_check(pg)
        # the manager above: the correction, not the position
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        context.add_cookies([{"name": "merzim_lang", "value": "en", "url": server.base}])
        try:
            other = context.new_page()
            other.set_default_timeout(tb.TIMEOUT_MS)
            tb.log_in(other, server, tb.MANAGER)
            other.goto(case_url)
            seen = _history_row(other).inner_text()
            assert "Detected independently: Yes → No" in seen, seen
            assert "Position: changed (hidden)" in seen, seen
            assert POSITION not in other.content() and "police" not in seen
        finally:
            context.close()
    except Exception:
        pg.screenshot(path=str(tb.ARTIFACTS / "history-failure.png"), full_page=True)
        raise
