"""Recording in a real browser: Debian's headless Chromium at
1280x900, on the demo served by `merzim serve` (the server and browser fixtures of
tests/support/browser_helpers.py).

The officer asel opens her overdue analysis and records its analytic note: first without the
document's details, refused with every problem at the top of the page, inside the first screen
and without scrolling; then complete, saved, and the confirmation at the top of the page, inside
the first screen. Reloading or coming back does not show it again. She closes a stage as not
done through its confirmation step. axe-core finds no serious or critical violation in the
refused, saved and confirmation states. First, with JavaScript switched off, she records the
positions list: the forms need no script.

Screenshots go to test-artifacts/: failure-recording.png (recording-failure-no-js.png) when a
step fails; with MERZIM_TEST_SCREENSHOTS=1 the first screen as the officer sees it,
recording-refused.png, recording-saved.png, recording-confirm-not-done.png,
recording-not-done.png, recording-no-js.png.
"""

from __future__ import annotations

import pytest

from tests.support import browser_helpers as tb

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1280, 900


def _in_first_screen(pg, selector: str) -> dict:
    """Where the element is, with the page not scrolled: inside 0..HEIGHT, and on top (what
    the officer sees at that point is the element itself)."""
    box = pg.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    state = pg.evaluate("""sel => {
        const el = document.querySelector(sel);
        const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return {scrollY: window.scrollY, top: r.top, bottom: r.bottom,
                onTop: !!hit && (hit === el || el.contains(hit)), height: window.innerHeight};
    }""", selector)
    assert state["scrollY"] == 0, state
    assert state["height"] == HEIGHT, state
    assert state["top"] >= 0 and state["bottom"] <= HEIGHT, (selector, state)
    assert state["onTop"], (selector, state)
    return state


def _note_form(pg):
    return pg.locator("details#record-analytic_note")


def _shot(pg, name: str) -> None:
    tb.screenshot(pg, name, full_page=False)  # the first screen, as the officer sees it


def test_recording_works_without_javascript(chromium, server) -> None:
    """The forms are plain HTML: with scripts off, open the form, record, see the result."""
    context = chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                   java_script_enabled=False, locale="en-GB")
    context.add_cookies([{"name": "merzim_lang", "value": "en", "url": server.base}])
    pg = context.new_page()
    pg.set_default_timeout(tb.TIMEOUT_MS)
    try:
        tb.log_in(pg, server, tb.OFFICER)
        case_url = tb.case_of_overdue_note(pg, server)
        block = pg.locator("details#record-positions_list")
        if block.count() == 0:
            pytest.fail("no form for the positions list on the case")
        block.locator("summary").click()
        block.locator("input[name=number]").fill("7-п")
        block.locator("input[name=signed_by]").fill("Head of apparatus")
        block.locator("button[type=submit]").click()
        pg.wait_for_url(case_url)
        _in_first_screen(pg, "[data-testid=recorded]")
        assert "Positions list approved" in pg.locator("[data-testid=recorded]").inner_text()
        _shot(pg, "recording-no-js.png")
    except Exception:
        pg.screenshot(path=str(tb.ARTIFACTS / "recording-failure-no-js.png"), full_page=True)
        raise
    finally:
        context.close()


def test_record_and_see_the_result_without_scrolling(page, server) -> None:
    with tb.failing_shot(page, server, "recording"):
        _scenario(page, server)


def _scenario(pg, server) -> None:
    assert pg.viewport_size == {"width": WIDTH, "height": HEIGHT}
    tb.log_in(pg, server, tb.OFFICER)
    case_url = tb.case_of_overdue_note(pg, server)
    assert pg.locator("tr[data-stage='analytic_note']").get_attribute("data-status") == "overdue"
    assert pg.locator("[data-testid=recorded]").count() == 0

    # The note's form: closed until chosen; its required inputs marked.
    form = _note_form(pg)
    assert form.get_attribute("open") is None
    form.locator("summary").click()
    assert form.locator("input[name=number]").is_visible()
    assert form.locator("input[name=number]").get_attribute("aria-required") == "true"
    assert form.locator("input[name=period]").count() == 0

    # Refused: no number, no signatory, a comment typed — both problems at once, at the top.
    form.locator("input[name=date]").fill(tb.TODAY)
    form.locator("textarea[name=note]").fill("Signed after the meeting")
    form.locator("button[type=submit]").click()
    pg.wait_for_load_state()
    problems = pg.locator("[data-testid=problems]")
    assert problems.is_visible()
    assert problems.locator("li").count() == 2, problems.inner_text()
    assert "Document number" in problems.inner_text() and "Signed by" in problems.inner_text()
    _in_first_screen(pg, "[data-testid=problems]")
    form = _note_form(pg)
    assert form.get_attribute("open") is not None, "the form stays open"
    assert form.locator("textarea[name=note]").input_value() == "Signed after the meeting"
    assert form.locator("input[name=number]").get_attribute("aria-invalid") == "true"
    assert pg.locator("tr[data-stage='analytic_note']").get_attribute("data-status") == "overdue"
    _shot(pg, "recording-refused.png")
    tb.axe_check(pg)

    # Complete: saved, and the confirmation at the top of the case.
    form.locator("input[name=number]").fill("42-ө")
    form.locator("input[name=signed_by]").fill("Head of apparatus")
    form.locator("button[type=submit]").click()
    pg.wait_for_url(case_url)
    notice = pg.locator("[data-testid=recorded]")
    assert notice.is_visible()
    assert "Analytic note signed" in notice.inner_text() and tb.TODAY in notice.inner_text()
    _in_first_screen(pg, "[data-testid=recorded]")
    assert pg.locator("[data-testid=refusal]").count() == 0
    assert pg.locator("tr[data-stage='analytic_note']").get_attribute("data-status") in (
        "done_on_time", "done_late")
    _shot(pg, "recording-saved.png")
    tb.axe_check(pg)

    # Once: not after a reload, nor coming back to the case.
    pg.reload()
    assert pg.locator("[data-testid=recorded]").count() == 0
    pg.goto(f"{server.base}/overdue")
    pg.go_back()
    pg.wait_for_url(case_url)
    assert pg.locator("[data-testid=recorded]").count() == 0

    # Not done: a reason, then a confirmation step; nothing saved before it is confirmed.
    block = pg.locator("details#record-not-done")
    block.locator("summary").click()
    stage = block.locator("select[name=stage] option").first.get_attribute("value")
    row = f"tr[data-stage='{stage}']"
    assert pg.locator(row).get_attribute("data-status") in ("open", "overdue")
    block.locator("select[name=stage]").select_option(stage)
    block.locator("textarea[name=note]").fill("No positions changed this year")
    block.locator("button[type=submit]").click()
    pg.wait_for_load_state()
    _in_first_screen(pg, "[data-testid=confirm]")
    assert "No positions changed this year" in pg.locator("[data-testid=confirm-reason]"
                                                          ).inner_text()
    _shot(pg, "recording-confirm-not-done.png")
    tb.axe_check(pg)
    pg.locator("[data-testid=cancel]").click()
    pg.wait_for_url(case_url)
    assert pg.locator(row).get_attribute("data-status") in ("open", "overdue")
    block = pg.locator("details#record-not-done")
    block.locator("summary").click()
    block.locator("select[name=stage]").select_option(stage)
    block.locator("textarea[name=note]").fill("No positions changed this year")
    block.locator("button[type=submit]").click()
    pg.locator("[data-testid=confirm-button]").click()
    pg.wait_for_url(case_url)
    _in_first_screen(pg, "[data-testid=recorded]")
    assert pg.locator(row).get_attribute("data-status") == "not_done"
    _shot(pg, "recording-not-done.png")
