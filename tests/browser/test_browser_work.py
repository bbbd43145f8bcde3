""""My work" and the cases search in a real browser (Debian's headless Chromium driven by
Playwright; the server, the demo and the pinned day of tests/support/browser_helpers.py).

The officer asel logs in and her first page is her own work: it lists her overdue stages —
the same stages the organisation's overdue list shows with her as responsible — each with its
Record button, and the menu's count agrees; Record opens the case's form for that stage. Then
she searches the cases list, visits another page, switches to Russian and comes back: her
filters are still applied; "clear filters" shows every case again.

Screenshots go to test-artifacts/: failure-work.png when a step fails; work.png and
cases-search.png with MERZIM_TEST_SCREENSHOTS=1.
"""

from __future__ import annotations

import re

import pytest

from tests.support.browser_helpers import (
    OFFICER,
    Server,
    failing_shot,
    log_in,
    screenshot,
    submit,
)

pytestmark = pytest.mark.browser

OFFICER_NAME = "Asel Nurpeisova"


def test_officer_first_page_lists_her_overdue_stages(page, server: Server) -> None:
    with failing_shot(page, server, "work"):
        _scenario(page, server)


def _rows(pg, selector: str) -> list[tuple[str, str]]:
    """(case link, stage key) of the rows matched."""
    return [(row.locator("a[href^='/cases/']").first.get_attribute("href").split("?")[0],
             row.get_attribute("data-stage")) for row in pg.locator(selector).all()]


def _scenario(page, server: Server) -> None:
    base = server.base
    log_in(page, server, OFFICER)
    # -- the first page after login is her work, her overdue stages first ---------------------
    assert page.url.rstrip("/").endswith("/work"), page.url
    overdue = page.locator("section[data-section=overdue]")
    assert overdue.is_visible()
    mine = _rows(page, "section[data-section=overdue] tbody tr")
    assert mine, "the demo's officer has overdue stages"
    assert ("/cases/" in mine[0][0]) and "analytic_note" in {st for _c, st in mine}
    box = overdue.bounding_box()
    assert box is not None and box["y"] < 900, "the overdue stages are on the first screen"
    badge = page.locator("[data-testid=nav-work-count]")
    assert int(re.match(r"\d+", badge.inner_text()).group(0)) == len(mine)
    assert overdue.locator("[data-testid=record]").count() == len(mine)
    screenshot(page, "work")

    # -- the same stages the organisation's overdue list gives her ----------------------------
    page.goto(f"{base}/overdue")
    hers = [row for row in page.locator("tr[data-stage]").all()
            if OFFICER_NAME in row.inner_text()]
    from_list = sorted((row.locator("a[href^='/cases/']").first.get_attribute("href"),
                        row.get_attribute("data-stage")) for row in hers)
    assert from_list == sorted(mine)

    # -- Record opens the case's form for that stage -----------------------------------------
    page.goto(f"{base}/work")
    case_link, stage = mine[0]
    page.locator("section[data-section=overdue] [data-testid=record]").first.click()
    page.wait_for_load_state()
    assert case_link in page.url, (case_link, page.url)
    assert page.locator(f"form[action='{case_link}/events']").count() >= 1

    # -- the cases search, remembered across pages and languages -------------------------------
    page.goto(f"{base}/cases")
    form = page.locator("[data-testid=case-search]")
    form.locator("input[name=number]").fill("#" + case_link.rsplit("/", 1)[1])
    submit(page, form.locator("button[type=submit]:not([formaction])"))
    assert page.locator("table[data-testid=cases] tbody tr").count() == 1
    screenshot(page, "cases-search")
    page.locator("nav a[href='/due']").click()
    page.wait_for_load_state()
    page.locator(".langs a[hreflang=ru]").click()
    page.wait_for_load_state()
    page.locator("nav a[href='/cases']").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("input[name=number]").input_value() == "#" + case_link.rsplit("/", 1)[1]
    assert page.locator("table[data-testid=cases] tbody tr").count() == 1
    submit(page, "[data-testid=clear-filters]")
    assert page.locator("input[name=number]").input_value() == ""
    assert page.locator("table[data-testid=cases] tbody tr").count() > 1
