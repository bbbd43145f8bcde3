"""Work in bulk on a phone (390x844) in a real browser (Debian's headless Chromium driven by
Playwright; the server, the demo and the pinned day of tests/support/browser_helpers.py):
the bar stays at the bottom of the screen, shows how many rows are ticked, fits the width;
one event with one document recorded on two stages at once. axe-core finds nothing
serious on each page shown.
"""

from __future__ import annotations

import re

import pytest

from tests.support import browser_helpers as tb

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


_failing_shot, _shot = tb.prefixed_shots("browser-bulk-on-phone")


def test_work_in_bulk_on_a_phone(page, server: tb.Server, tmp_path) -> None:
    with _failing_shot(page, server, "bulk"):
        page.set_viewport_size(tb.PHONE)
        tb.log_in(page, server, tb.OFFICER)
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
        assert box["y"] + box["height"] <= tb.PHONE["height"] + 1, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= tb.PHONE["width"] + 1, box
        overdue.nth(1).locator("[data-testid=select]").uncheck()
        assert count.inner_text() == "1 row selected"
        overdue.nth(1).locator("[data-testid=select]").check()
        assert count.inner_text() == "2 rows selected"
        assert page.evaluate(tb.OVERFLOW) <= 0
        _shot(page, "bulk-phone")
        tb.axe_check(page)

        bar.locator("[data-testid=bulk-record] > summary").click()
        assert page.evaluate(tb.OVERFLOW) <= 0
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
        assert page.evaluate(tb.OVERFLOW) <= 0
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
