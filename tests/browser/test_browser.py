"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright.

A fresh directory gets `merzim init --demo` and `merzim serve --no-worker` on a free port, with
today pinned (MERZIM_TODAY) so the demo's overdue stages are always the same. Then, as a user
would: the manager nurlan logs in and sees the overdue stages grouped by organisation; he logs
out; the officer asel logs in, opens her overdue analysis from the overdue list, is refused
once (a date in the future, then an event the analysis does not allow now) with the rule's
message, records the analytic note through the form and sees the stage done.

Screenshots go to test-artifacts/ at the repository root (git-ignored): failure-browser.png when a
step fails; overdue.png and analysis.png with MERZIM_TEST_SCREENSHOTS=1.

Without /usr/bin/chromium (or the playwright package) the test is skipped with the reason,
unless MERZIM_REQUIRE_BROWSER=1, which CI sets: then a missing browser is a failure.
"""

from __future__ import annotations

import re

import pytest

from tests.support import browser_helpers as tb

pytestmark = pytest.mark.browser


def _analytic_note(page):
    return page.locator("tr[data-stage='analytic_note']")


def _event_form(page, event: str):
    """One event's form on the case page (a <details> of its own), opened."""
    block = page.locator(f"details#record-{event}")
    if block.get_attribute("open") is None:
        block.locator("summary").click()
    return block


def _fill_event(page, event: str, day: str, number: str = "15-ө",
                signed_by: str = "Head of apparatus") -> None:
    form = _event_form(page, event)
    form.locator("input[name=date]").fill(day)
    form.locator("input[name=number]").fill(number)
    form.locator("input[name=signed_by]").fill(signed_by)


def test_manager_sees_overdue_officer_records_the_note(page, server: tb.Server) -> None:
    with tb.failing_shot(page, server, "browser"):
        _scenario(page, server)


def _scenario(page, server: tb.Server) -> None:
    # -- the manager: the overdue picture of his subtree, grouped by organisation ----------
    tb.log_in(page, server, tb.MANAGER)
    assert page.url.rstrip("/").endswith("/overview"), page.url  # the managers' landing page
    page.goto(f"{server.base}/overdue")
    assert "Nurlan Iskakov" in page.locator("[data-testid=current-user]").inner_text()
    sections = page.locator("section[data-org]")
    assert sections.count() >= 1, "no organisation section on the overdue page"
    total = int(page.locator("[data-testid=overdue-total]").inner_text().strip())
    assert total > 0, "the overdue page shows no overdue stage"
    rows = page.locator("section[data-org] tbody tr")
    assert rows.count() == total, (rows.count(), total)
    orgs = sections.evaluate_all("els => els.map(e => e.dataset.org)")
    assert tb.OFFICER_ORG in orgs, orgs
    assert all(o.startswith("AK-ALM") or o == "QS-ZHETYSU" for o in orgs), orgs  # his subtree
    edu = page.locator(f"section[data-org='{tb.OFFICER_ORG}']")
    assert edu.locator("tr[data-stage='analytic_note']").count() == 1
    tb.screenshot(page, "overdue")
    tb.log_out(page)

    # -- the officer: from the overdue list to her analysis --------------------------------
    tb.log_in(page, server, tb.OFFICER)
    assert page.url.rstrip("/").endswith("/work"), page.url  # the officers' landing page
    page.goto(f"{server.base}/overdue")
    mine = page.locator(f"section[data-org='{tb.OFFICER_ORG}']")
    assert page.locator("section[data-org]").count() == 1, "an officer sees her organisation only"
    mine.locator("tr[data-stage='analytic_note'] a").first.click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    analysis_url = page.url
    assert _analytic_note(page).get_attribute("data-status") == "overdue"
    assert page.locator("[data-testid=refusal]").count() == 0
    state_before = page.locator("[data-testid=state]").inner_text()

    # A date after today: refused with the rule's message, nothing stored.
    _fill_event(page, "analytic_note", "2026-12-31")
    _event_form(page, "analytic_note").locator("button[type=submit]").click()
    page.wait_for_load_state()
    refusal = page.locator("[data-testid=refusal]")
    assert refusal.is_visible()
    assert "2026-12-31" in refusal.inner_text() and "future" in refusal.inner_text(), \
        refusal.inner_text()
    assert _analytic_note(page).get_attribute("data-status") == "overdue"
    assert page.locator("[data-testid=state]").inner_text() == state_before

    # An event the analysis does not allow now (the page offers forms of allowed ones only, so
    # the event is changed the way a stale page or a crafted request would send it).
    page.goto(analysis_url)
    _fill_event(page, "analytic_note", tb.TODAY)
    form = _event_form(page, "analytic_note")
    form.locator("input[name=event]").evaluate("e => { e.value = 'publication'; }")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    refusal = page.locator("[data-testid=refusal]")
    assert refusal.is_visible()
    assert "needs “Analytic note signed” to be recorded first" in refusal.inner_text(), \
        refusal.inner_text()
    assert _analytic_note(page).get_attribute("data-status") == "overdue"
    assert page.locator("[data-testid=state]").inner_text() == state_before

    # The analytic note, signed today (after its due date: done late).
    page.goto(analysis_url)
    _fill_event(page, "analytic_note", tb.TODAY, number="42-ө", signed_by="Head of apparatus")
    _event_form(page, "analytic_note").locator("button[type=submit]").click()
    page.wait_for_url(analysis_url)  # Post/Redirect/Get: the case, its confirmation on top
    assert page.locator("[data-testid=recorded]").is_visible()
    assert page.locator("[data-testid=refusal]").count() == 0
    note = _analytic_note(page)
    assert note.get_attribute("data-status") in ("done_on_time", "done_late"), \
        note.get_attribute("data-status")
    assert tb.TODAY in note.inner_text() and "42-ө" in note.inner_text(), note.inner_text()
    assert page.locator("[data-testid=state]").inner_text() != state_before
    tb.screenshot(page, "analysis")

    # ... and it has left the overdue list.
    page.goto(f"{server.base}/overdue")
    assert page.locator(f"section[data-org='{tb.OFFICER_ORG}'] tr[data-stage='analytic_note']"
                        ).count() == 0

