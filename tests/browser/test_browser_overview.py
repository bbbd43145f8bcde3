"""The manager's overview and a case's Gantt in a real browser (Debian's headless Chromium driven
by Playwright; the server, the demo and the pinned day of tests/support/browser_helpers.py).

The manager nurlan logs in and lands on his overview: the overdue-by-organisation chart is there
with its text alternative (title, description, data table) and its bars add up to the overdue
list's total; a bar drills down; the on-time and lateness charts carry their titles and
legend; the month calendar moves to the next month and a day's count opens that day's list.
The officer's analysis shows its Gantt: month axis, legend, a labelled today line and every
stage's full name. Russian pages show no raw message key.

Screenshots go to test-artifacts/: failure-overview.png when a step fails; overview.png,
overview-ru.png, overview-phone.png, gantt.png with MERZIM_TEST_SCREENSHOTS=1.
"""

from __future__ import annotations

import re

import pytest

from tests.support import browser_helpers as tb

pytestmark = pytest.mark.browser

RAW_KEY = re.compile(r"\b(?:overview|gantt)\.[a-z_]+\b")


def _svg_text(locator) -> str:
    """The words of an SVG <text> (its <tspan> lines joined by spaces)."""
    return " ".join(locator.locator("tspan").all_text_contents()) or locator.text_content()


def test_manager_overview_and_case_gantt(page, server: tb.Server) -> None:
    with tb.failing_shot(page, server, "overview"):
        _scenario(page, server)


def _scenario(page, server: tb.Server) -> None:
    base = server.base
    # -- the manager lands on the overview of his subtree ------------------------------------
    tb.log_in(page, server, tb.MANAGER)
    assert page.url.rstrip("/").endswith("/overview"), page.url
    chart = page.locator("svg[data-testid=overdue-chart]")
    assert chart.is_visible(), "no overdue-by-organisation chart on the manager's overview"
    # its text alternative: a title and a description the SVG is labelled by, and a data table
    labelled = chart.get_attribute("aria-labelledby").split()
    title = page.locator(f"[id='{labelled[0]}']").text_content().strip()
    desc = page.locator(f"[id='{labelled[1]}']").text_content().strip()
    assert title == "Overdue stages by organisation", title
    assert desc.startswith(f"{_total(page)} overdue stage"), desc
    bars = chart.locator("a[data-org]")
    assert bars.count() >= 1
    values = [int(v) for v in bars.evaluate_all("els => els.map(e => e.dataset.value)")]
    assert sum(values) == _total(page) > 0
    table = page.locator("[data-testid=overdue-table]")
    assert not table.is_visible()  # folded under its summary until asked for
    page.locator("[data-testid=overdue-by-org] details summary").click()
    assert table.is_visible()
    cells = [int(c) for c in table.locator("td.num").all_inner_texts()]
    assert cells == values
    for i in range(bars.count()):  # every bar's name is in the description, with its figure
        name = _svg_text(bars.nth(i).locator("text").first)
        assert f"{name}: {values[i]}." in " ".join(desc.split()), (name, desc)
    # the overdue list agrees: the same total
    overdue_total = page.evaluate(
        "async () => (await (await fetch('/overdue')).text())"
        ".match(/data-testid=\"overdue-total\">(\\d+)</)[1]")
    assert int(overdue_total) == _total(page)
    # the other charts: titles, the lateness legend in words, the month calendar
    for testid in ("rate-chart", "trend-chart"):
        svg = page.locator(f"svg[data-testid={testid}]")
        if svg.count():
            assert svg.get_attribute("role") == "img"
            assert svg.locator("title").text_content().strip()
            assert svg.locator("desc").text_content().strip()
    assert page.locator("svg[data-testid=trend-chart]").is_visible()
    legend = page.locator("[data-testid=trend-legend] li").all_inner_texts()
    assert [x.strip() for x in legend[:3]] == ["1–5 working days late",
                                               "6–20 working days late",
                                               "more than 20 working days late"], legend
    tb.screenshot(page, "overview")

    # a bar drills down: to the subordinate's overview or to the overdue list of it
    first = bars.first
    code, href = first.get_attribute("data-org"), first.get_attribute("href")
    first.click()
    page.wait_for_load_state()
    assert page.url.endswith(href), (page.url, href)
    if "/overview" in href:
        assert page.locator("svg[data-testid=overdue-chart]").is_visible()
        assert page.locator("h1").inner_text() != ""
    else:
        orgs = page.locator("section[data-org]").evaluate_all(
            "els => els.map(e => e.dataset.org)")
        assert orgs and all(o.startswith(code) for o in orgs), (code, orgs)

    # the month calendar: next month, then a day's count opens that day's stages
    page.goto(f"{base}/overview")
    grid = page.locator("[data-testid=month-grid]")
    assert grid.locator("td[data-day]").count() >= 28
    page.locator("[data-testid=month-next]").click()
    page.wait_for_load_state()
    assert "month=" in page.url
    busy = page.locator("[data-testid=month-grid] td[data-day] a")
    for _attempt in range(6):  # the first month ahead with a deadline in it
        if busy.count():
            break
        page.locator("[data-testid=month-next]").click()
        page.wait_for_load_state()
    assert busy.count(), "no deadline in the six months ahead of the demo"
    cell = busy.first.locator("xpath=..")
    n = int(cell.get_attribute("data-n"))
    busy.first.click()
    page.wait_for_load_state()
    day_list = page.locator("[data-testid=day-list]")
    assert day_list.is_visible()
    assert day_list.locator("tbody tr").count() == n

    # the page in Russian: no raw message key; at 390 px nothing wider than the screen
    page.context.add_cookies([{"name": "merzim_lang", "value": "ru", "url": base}])
    page.goto(f"{base}/overview")
    text = page.locator("main").inner_text()
    assert not RAW_KEY.search(text), RAW_KEY.findall(text)
    assert "Просроченные этапы по организациям" in text
    tb.screenshot(page, "overview-ru")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/overview")
    width = page.evaluate("document.documentElement.scrollWidth")
    tb.screenshot(page, "overview-phone")
    assert width <= 390, width
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.add_cookies([{"name": "merzim_lang", "value": "en", "url": base}])
    tb.log_out(page)

    # -- the officer's analysis: its Gantt ------------------------------------------------------
    tb.log_in(page, server, tb.OFFICER)
    page.goto(f"{base}/overdue")
    page.locator(f"section[data-org='{tb.OFFICER_ORG}'] tr[data-stage='analytic_note'] a").first \
        .click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    gantt = page.locator("svg[data-testid=gantt-chart]")
    assert gantt.is_visible()
    assert gantt.get_attribute("role") == "img"
    assert gantt.locator("#gantt-title").text_content().strip() == "Timeline of the stages"
    assert "stages" in gantt.locator("#gantt-desc").text_content()
    months = gantt.locator("[data-testid=gantt-axis] text[data-month]").all_text_contents()
    assert len(months) >= 2, months
    assert any(re.search(r"\b20\d\d\b", m) for m in months), months  # the year is on the axis
    today = gantt.locator("[data-testid=gantt-today] text").text_content()
    assert today == f"Today, {tb.TODAY}", today
    legend = page.locator("[data-testid=gantt-legend] li").all_inner_texts()
    assert {"open", "OVERDUE", "done on time", "done late"} <= {x.strip() for x in legend}, legend
    # every stage of the table is a row of the chart under its full name (wrapped, not cut)
    names = page.locator("table.stages tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.stage, r.cells[0].innerText.trim()])")
    assert names
    for key, name in names:
        label = _svg_text(gantt.locator(f"g[data-stage='{key}'] > text"))
        assert label == " ".join(name.split()), (key, label, name)
    assert any(len(name) > 38 for _k, name in names)  # the old chart cut these at 38
    gantt.scroll_into_view_if_needed()
    tb.screenshot(page, "gantt")


def _total(page) -> int:
    return int(page.locator("[data-testid=overdue-by-org-total]").inner_text().strip())

