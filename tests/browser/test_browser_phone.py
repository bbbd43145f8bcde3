"""The dashboard on a phone (390x844) and on a laptop (1366x900), in a real browser (Debian's
headless Chromium driven by Playwright; the server, the demo and the pinned day of
tests/support/browser_helpers.py).

* A case's page: every cell of its tables (stages, files, history) carries its column's name
  (data-label) in the reader's language, the same words as the column's heading, so the cards
  a phone shows say which date is due and which is done; the Gantt becomes a timeline per
  stage as wide as the screen; nothing is wider than the screen, no box scrolls sideways.
* The programme, the overview and the score page: no element wider than the viewport at
  390 px, no chart, Gantt or grid box that scrolls sideways inside; the programme grid's cards
  never overlap their labels, and on a laptop its headings carry each stage's whole name,
  wrapped between words only.
* Every list that turns into cards (overdue, due, work, cases, obligations, programmes,
  calendar): every card cell is labelled (an action cell, a button alone, may go without).
* No date wraps inside its value, at either width (each date's text range stays on one line).
* Every page of the menu, as each demo role sees it (the links read from the rendered menu,
  not a list kept here), at 390x844: no page scrolls sideways, no table caption narrower than
  100 px (a caption squeezed into a column of letters), no fixed or sticky bar taller than
  15 % of the screen, and no serious or critical axe violation. In Kazakh, Russian and English
  (the officer's and the manager's profiles are in Kazakh, the administrator's in Russian, so
  the offer to save the page's language shows on some and not on others): the header, that
  offer included, ends within 15 % of the screen, and no tap target is smaller than 24x24 px
  (WCAG 2.5.8) — every link, button, field, select and summary shown, a check box or radio
  button with the label around it, the opened menu's links too. The one exemption is WCAG's
  own "inline" one: a link among the words of a sentence (its block holds letters or digits
  outside any link or control). On My work, the bulk bar stays in its place under the list
  until a stage is ticked, then sits at the bottom of the screen in at most 15 % of it.
* The menu on a phone: folded behind its button, with My work and Overdue in sight and the
  count of unread notifications on the button; opened by the button, closed by Escape (the
  focus back on the button); never folded on a laptop nor without script.

Screenshots go to test-artifacts/: failure-phone.png when a step fails; with
MERZIM_TEST_SCREENSHOTS=1 phone-case.png, phone-case-ru.png, laptop-case.png,
phone-overview.png, phone-programme.png, laptop-programme.png, phone-score.png,
phone-work-selected.png.
"""

from __future__ import annotations

import sys
from itertools import pairwise

import pytest

from tests.support import browser_helpers as tb
from tests.support.phone_measures import HEADER_BOTTOM, SMALL_TARGETS, too_small

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}
PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
BOXES = ".chart-box, .scroll, figure.gantt, .gantt-phone, .bars-phone, table.month-grid"
LISTS = ["/overdue", "/due", "/work", "/cases", "/obligations", "/programmes", "/calendar"]

# What a page measures of itself: its width against the viewport's, every box that scrolls
# sideways inside, every card cell (a td shown as a block) without a label, and every date
# (YYYY-MM-DD, with a time or not, or DD.MM.YYYY) whose text runs over more than one line.
MEASURE = r"""(boxes) => {
  const out = {width: document.documentElement.scrollWidth, viewport: window.innerWidth};
  out.scrolling = [...document.querySelectorAll(boxes)]
    .filter(b => b.clientWidth > 0 && b.scrollWidth > b.clientWidth)
    .map(b => [b.tagName, b.className, b.scrollWidth, b.clientWidth]);
  out.unlabelled = [...document.querySelectorAll('main table td')]
    .filter(td => getComputedStyle(td).display === 'block'
            && !(td.getAttribute('data-label') || '').trim()
            && !(td.textContent.trim() === '' || td.querySelector('button, form, a.button')))
    .map(td => [td.closest('table').dataset.testid || td.closest('table').className,
                td.textContent.trim().slice(0, 60)]);
  const re = /\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2})?|\d{2}\.\d{2}\.\d{4}/g;
  out.wrapped = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (n.parentElement.closest('svg, script, style, option, title, textarea')) continue;
    for (const m of n.data.matchAll(re)) {
      const r = document.createRange();
      r.setStart(n, m.index);
      r.setEnd(n, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].filter(x => x.width > 0)
                           .map(x => Math.round(x.top)));
      if (tops.size > 1) out.wrapped.push([m[0], n.parentElement.tagName,
                                           n.parentElement.className]);
    }
  }
  return out;
}"""

# Every word of the headings of a table, cut over two lines (a word's text range on more than
# one line): [heading, word].
CUT_WORDS = r"""(sel) => {
  const cut = [];
  for (const th of document.querySelectorAll(sel)) {
    const walk = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      for (const m of n.data.matchAll(/\S+/g)) {
        const r = document.createRange();
        r.setStart(n, m.index);
        r.setEnd(n, m.index + m[0].length);
        const tops = new Set([...r.getClientRects()].filter(x => x.width > 0)
                             .map(x => Math.round(x.top)));
        if (tops.size > 1) cut.push([th.textContent.trim(), m[0]]);
      }
    }
  }
  return cut;
}"""

# [table, column heading, cell's label] of every cell whose label is not its column's heading
LABELS_MATCH = r"""(sel) => {
  const wrong = [];
  for (const table of document.querySelectorAll(sel)) {
    const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
    for (const tr of table.querySelectorAll('tbody tr')) {
      [...tr.children].forEach((td, i) => {
        if (td.tagName === 'TD' && (td.getAttribute('data-label') || '') !== heads[i])
          wrong.push([table.dataset.testid || table.className, heads[i],
                      td.getAttribute('data-label')]);
      });
    }
  }
  return wrong;
}"""


def _measure(pg) -> dict:
    return pg.evaluate(MEASURE, BOXES)


def _fits(pg, where: str) -> dict:
    """The page fits its viewport: not wider, no box scrolling sideways, no card cell without
    its label, no date over two lines."""
    m = _measure(pg)
    assert m["width"] <= m["viewport"], (where, m["width"], m["viewport"])
    assert m["scrolling"] == [], (where, m["scrolling"])
    assert m["unlabelled"] == [], (where, m["unlabelled"])
    assert m["wrapped"] == [], (where, m["wrapped"])
    return m


def _shot(pg, name: str) -> None:
    tb.screenshot(pg, name)


def _guarded(pg, server: tb.Server, scenario) -> None:
    with tb.failing_shot(pg, server, "phone"):
        scenario(pg, server)


def test_a_case_on_a_phone_and_a_laptop(page, server: tb.Server) -> None:
    _guarded(page, server, _case_scenario)


def _record_note_with_a_file(pg, case_url: str) -> None:
    """The officer records her analytic note with its signed PDF: a done stage, a file and a
    history line on the page."""
    form = pg.locator("details#record-analytic_note")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    form.locator("input[name=number]").fill("21-ө")
    form.locator("input[name=signed_by]").fill("Head of department")
    form.locator("input[name=files]").set_input_files(
        {"name": "signed-note.pdf", "mimeType": "application/pdf", "buffer": PDF})
    form.locator("button[type=submit]").click()
    pg.wait_for_url(case_url)
    assert pg.locator("table[data-testid=files] tr[data-file]").count() == 1


def _case_scenario(pg, server: tb.Server) -> None:
    tb.log_in(pg, server, tb.OFFICER)
    case_url = tb.case_of_overdue_note(pg, server)
    _record_note_with_a_file(pg, case_url)

    pg.set_viewport_size(tb.PHONE)
    pg.goto(case_url)
    tables = "main table.stages, main table[data-testid=files], main table[data-testid=history]"
    cells = pg.locator("main table.stages td, main table[data-testid=files] td, "
                       "main table[data-testid=history] td")
    labels = cells.evaluate_all("tds => tds.map(td => (td.getAttribute('data-label') || ''))")
    assert len(labels) >= 60 and all(x.strip() for x in labels), labels
    assert pg.evaluate(LABELS_MATCH, tables) == []
    assert pg.locator("table.stages td[data-label='Due']").count() == \
        pg.locator("table.stages tbody tr").count()
    assert pg.locator("table.stages td[data-label='Done on']").count() == \
        pg.locator("table.stages tbody tr").count()
    # the labels are shown: the card's due date says "Due", its done date "Done on"
    note = pg.locator("table.stages tr[data-stage='analytic_note']")
    assert note.locator("td[data-label='Due']").evaluate(
        "td => getComputedStyle(td, '::before').content") == '"Due"'
    _fits(pg, "case at 390")
    # the Gantt as a timeline per stage: the wide chart is not drawn, every stage is listed
    assert not pg.locator("svg[data-testid=gantt-chart]").is_visible()
    timeline = pg.locator("[data-testid=gantt-phone] li")
    assert timeline.first.is_visible()
    stages = pg.locator("table.stages tbody tr").evaluate_all(
        "trs => trs.map(tr => [tr.dataset.stage, tr.dataset.status])")
    assert timeline.evaluate_all(
        "lis => lis.map(li => [li.dataset.stage, li.dataset.status])") == stages
    assert timeline.locator("svg.gantt-track").first.evaluate(
        "s => s.getBoundingClientRect().width") > 300
    # the cards do not overlap: each cell of the note's card below the one before
    tops = note.locator("td").evaluate_all(
        "tds => tds.filter(td => td.offsetHeight).map(td => { const r ="
        " td.getBoundingClientRect(); return [r.top, r.bottom]; })")
    assert all(a[1] <= b[0] + 0.5 for a, b in pairwise(tops)), tops
    tb.axe_check(pg)
    _shot(pg, "phone-case")

    # in Russian: the labels in the reader's language
    pg.context.add_cookies([{"name": "merzim_lang", "value": "ru", "url": server.base}])
    pg.goto(case_url)
    assert pg.evaluate(LABELS_MATCH, tables) == []
    assert note.locator("td").nth(1).get_attribute("data-label") == "Срок"
    assert pg.locator("table[data-testid=files] td").nth(1).get_attribute(
        "data-label") == "Файл"
    assert pg.locator("table[data-testid=history] td").first.get_attribute(
        "data-label") == "Когда"
    _fits(pg, "case at 390, ru")
    _shot(pg, "phone-case-ru")

    # on a laptop: the Gantt chart itself, no timeline list; no date over two lines
    pg.context.add_cookies([{"name": "merzim_lang", "value": "en", "url": server.base}])
    pg.set_viewport_size(LAPTOP)
    pg.goto(case_url)
    assert pg.locator("svg[data-testid=gantt-chart]").is_visible()
    assert not pg.locator("[data-testid=gantt-phone]").is_visible()
    m = _measure(pg)
    assert m["width"] <= m["viewport"] and m["wrapped"] == [], m
    _shot(pg, "laptop-case")


def test_programme_overview_score_and_lists_fit(page, server: tb.Server) -> None:
    _guarded(page, server, _pages_scenario)


def _pages_scenario(pg, server: tb.Server) -> None:
    base = server.base
    tb.log_in(pg, server, tb.MANAGER)
    pg.goto(f"{base}/programmes")
    programme = pg.locator("main a[href^='/programmes/']").first.get_attribute("href")

    pg.set_viewport_size(tb.PHONE)
    # the overview: the charts as bars as wide as the screen, the wide SVGs not drawn
    pg.goto(f"{base}/overview")
    _fits(pg, "overview at 390")
    for testid in ("overdue-chart", "trend-chart"):
        assert not pg.locator(f"svg[data-testid={testid}]").is_visible(), testid
    bars = pg.locator("[data-testid=overdue-bars-phone] li")
    values = pg.locator("svg[data-testid=overdue-chart] a[data-org]").evaluate_all(
        "as => as.map(a => [a.dataset.org, a.dataset.value])")
    assert bars.evaluate_all(
        "lis => lis.map(li => [li.dataset.org, li.querySelector('.bar-value').textContent])"
    ) == values
    assert pg.locator("[data-testid=trend-bars-phone] li").count() == 12
    tb.axe_check(pg)
    _shot(pg, "phone-overview")

    # the programme grid as cards: labels above their values, never over the next cell
    pg.goto(f"{base}{programme}")
    _fits(pg, "programme at 390")
    boxes = pg.locator("table.matrix tbody tr").first.locator("td").evaluate_all(
        "tds => tds.map(td => { const r = td.getBoundingClientRect(); return [r.top, r.bottom]; })")
    assert all(a[1] <= b[0] + 0.5 for a, b in pairwise(boxes)), boxes
    _shot(pg, "phone-programme")

    pg.goto(f"{base}/score")
    m = _measure(pg)
    assert m["width"] <= m["viewport"] and m["scrolling"] == [], m
    _shot(pg, "phone-score")

    for path in LISTS:
        pg.goto(f"{base}{path}")
        _fits(pg, f"{path} at 390")

    # on a laptop: the grid's headings are the stages' whole names, cut between words only
    pg.set_viewport_size(LAPTOP)
    pg.goto(f"{base}{programme}")
    heads = pg.locator("table.matrix thead th[data-stage]").all_inner_texts()
    names = pg.locator("table.matrix tbody tr").first.locator("td[data-label]").evaluate_all(
        "tds => tds.slice(3).map(td => td.dataset.label)")
    assert [" ".join(h.split()) for h in heads] == names and len(names) >= 10, (heads, names)
    assert pg.evaluate(CUT_WORDS, "table.matrix thead th") == []
    m = _measure(pg)
    assert m["width"] <= m["viewport"] and m["wrapped"] == [], m
    _shot(pg, "laptop-programme")
    for path in ["/overview", *LISTS]:
        pg.goto(f"{base}{path}")
        m = _measure(pg)
        assert m["width"] <= m["viewport"] and m["wrapped"] == [], (path, m)


# What a phone page must not do: scroll sideways, squeeze a visible caption below 100 px,
# or keep a fixed or sticky bar taller than 15 % of the screen. (A caption only for screen
# readers, .visually-hidden, is 1 px wide on purpose and not measured.)
PHONE_FAULTS = r"""() => {
  const vw = window.innerWidth, vh = window.innerHeight, out = [];
  if (document.documentElement.scrollWidth > vw)
    out.push(['sideways', document.documentElement.scrollWidth, vw]);
  for (const c of document.querySelectorAll('caption')) {
    if (c.closest('.visually-hidden') || c.classList.contains('visually-hidden')) continue;
    const r = c.getBoundingClientRect();
    if (r.width > 0 && r.width < 100) out.push(['caption', c.textContent.trim().slice(0, 40),
                                                Math.round(r.width), Math.round(r.height)]);
  }
  for (const el of document.querySelectorAll('body *')) {
    const pos = getComputedStyle(el).position;
    if (pos !== 'fixed' && pos !== 'sticky') continue;
    const r = el.getBoundingClientRect();
    if (r.height > 0.15 * vh) out.push([pos, el.tagName, el.className,
                                        Math.round(r.height), vh]);
  }
  return out;
}"""

# the menu's links (its nav, not the languages'), as the rendered page lists them
MENU = "header.top nav:not(.langs) a[href^='/']"
LANGS = ("kk", "ru", "en")

def _menu(pg) -> list[str]:
    return list(dict.fromkeys(pg.locator(MENU).evaluate_all(
        "as => as.map(a => a.getAttribute('href'))")))


def test_every_menu_page_on_a_phone(page, server: tb.Server) -> None:
    _guarded(page, server, _menu_scenario)


def _menu_scenario(pg, server: tb.Server) -> None:
    base, checked, seen, offers, tallest, inline = server.base, set(), {}, set(), {}, set()
    pg.set_viewport_size(tb.PHONE)
    limit = 0.15 * tb.PHONE["height"]
    for login in (tb.OFFICER, tb.MANAGER, tb.ADMIN):
        for lang in LANGS:
            pg.context.clear_cookies()
            pg.context.add_cookies([{"name": "merzim_lang", "value": lang, "url": base}])
            tb.log_in(pg, server, login)
            menu = _menu(pg)
            assert {"/work", "/score", "/coverage", "/notifications"} <= set(menu), (login, menu)
            seen[login] = menu
            # the opened menu's links and buttons are tap targets too
            pg.locator("[data-testid=menu-toggle]").click()
            assert pg.locator("header.top nav.menu a").last.is_visible()
            assert too_small(pg) == [], (login, lang, "menu opened", too_small(pg))
            for path in menu:
                pg.goto(f"{base}{path}")
                where = (login, lang, path)
                assert pg.evaluate(PHONE_FAULTS) == [], (where, pg.evaluate(PHONE_FAULTS))
                header = pg.evaluate(HEADER_BOTTOM)
                assert header <= limit, (where, header, limit)
                tallest[lang] = max(tallest.get(lang, 0), header)
                if pg.locator("form.lang-offer").count():
                    offers.add((login, lang))
                assert too_small(pg) == [], (where, too_small(pg))
                inline |= {(path, t[1]) for t in pg.evaluate(SMALL_TARGETS) if t[-1]}
                if path not in checked:  # axe once a page (its markup is the same for each role)
                    tb.axe_check(pg)
                    checked.add(path)
    assert "/outbox" in seen[tb.ADMIN] and "/outbox" not in seen[tb.OFFICER], seen
    # the walk saw the header with the offer to save the language and without it
    assert (tb.OFFICER, "en") in offers and (tb.OFFICER, "kk") not in offers, offers
    print(f"tallest header at {tb.PHONE['width']}x{tb.PHONE['height']}: {tallest} px "
          f"(at most {limit:.0f}); links under 24 px inside a sentence (exempt): "
          f"{sorted(inline)}", file=sys.stderr)

    # My work: the bulk bar in its place until a stage is ticked; then at the bottom of the
    # screen, in at most 15 % of it
    pg.context.clear_cookies()
    pg.context.add_cookies([{"name": "merzim_lang", "value": "en", "url": base}])
    tb.log_in(pg, server, tb.OFFICER)
    pg.goto(f"{base}/work")
    bar = pg.locator("form.bulk-bar")
    assert bar.evaluate("f => getComputedStyle(f).position") == "static"
    pg.locator("input[data-testid=select]").first.check()
    assert bar.evaluate("f => getComputedStyle(f).position") == "sticky"
    height = bar.evaluate("f => f.getBoundingClientRect().height")
    assert 0 < height <= 0.15 * tb.PHONE["height"], height
    assert "1" in pg.locator("[data-testid=bulk-count]").inner_text()
    assert pg.evaluate(PHONE_FAULTS) == []
    # the compact cards: a label and its value a line, three stages or more a screen
    cards = pg.locator("section[data-section=overdue] tbody tr").evaluate_all(
        "trs => trs.map(tr => tr.getBoundingClientRect().height)")
    assert cards and max(cards) <= tb.PHONE["height"] / 3, cards
    _shot(pg, "phone-work-selected")


# the menu's links shown now
SHOWN_LINKS = "as => as.filter(a => a.getClientRects().length).map(a => a.getAttribute('href'))"


def test_the_menu_folds_on_a_phone(page, chromium, server: tb.Server) -> None:
    _guarded(page, server, _folding_scenario)
    # without script nothing folds: the whole menu and the user's line, no button
    context = chromium.new_context(viewport=tb.PHONE, java_script_enabled=False)
    try:
        context.add_cookies([{"name": "merzim_lang", "value": "en", "url": server.base}])
        pg = context.new_page()
        tb.log_in(pg, server, tb.MANAGER)
        links = pg.locator("header.top nav.menu a")
        assert links.evaluate_all(SHOWN_LINKS) == _menu(pg) and len(_menu(pg)) >= 10
        assert not pg.locator("[data-testid=menu-toggle]").is_visible()
        assert pg.locator("[data-testid=current-user]").is_visible()
    finally:
        context.close()


def _folding_scenario(pg, server: tb.Server) -> None:
    base = server.base
    pg.set_viewport_size(tb.PHONE)
    tb.log_in(pg, server, tb.MANAGER)
    pg.goto(f"{base}/due")
    toggle = pg.locator("[data-testid=menu-toggle]")
    links = pg.locator("header.top nav.menu a")
    everything = _menu(pg)
    # folded: My work and Overdue in sight, on one line under the brand; the unread count of
    # the notifications on the button
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert links.evaluate_all(SHOWN_LINKS) == ["/work", "/overdue"]
    tops = {round(pg.locator(f"header.top nav.menu a[href='{h}']").bounding_box()["y"])
            for h in ("/work", "/overdue")}
    assert len(tops) == 1, tops
    assert not pg.locator("[data-testid=current-user]").is_visible()
    unread = pg.locator("[data-testid=nav-notices-count]").text_content()
    assert unread and pg.locator("[data-testid=menu-unread-count]").text_content() == unread
    # opened: every link, the user and signing out; Escape folds it and the focus is back on
    # the button
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert links.evaluate_all(SHOWN_LINKS) == everything
    assert pg.locator("[data-testid=current-user]").is_visible()
    assert pg.locator("form[action='/logout'] button").is_visible()
    pg.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert links.evaluate_all(SHOWN_LINKS) == ["/work", "/overdue"]
    assert pg.evaluate("document.activeElement.dataset.testid") == "menu-toggle"
    # a link of the opened menu leads to its page, where the menu is folded again
    toggle.click()
    pg.locator("header.top nav.menu a[href='/score']").click()
    pg.wait_for_url(f"{base}/score**")
    assert toggle.get_attribute("aria-expanded") == "false"
    _shot(pg, "phone-menu-folded")
    # on a laptop: no button, the whole menu
    pg.set_viewport_size(LAPTOP)
    assert not toggle.is_visible()
    assert links.evaluate_all(SHOWN_LINKS) == everything
