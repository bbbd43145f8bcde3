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


# -- moving in: the imports' previews, her column mapping, the year so far ----------------------

ORGS_FILE = ("№ п/п,Наименование,Вид,Вышестоящая организация,Штатная численность\n"
             "1,Отдел образования района Тест,отдел,AK-ALM,1 150\n")
PEOPLE_FILE = ("№ п/п,ФИО,Должность,Подразделение,E-mail,Телефон\n"
               "1,Тестова Айгуль,Главный специалист,AK-ALM-EDU,aigul.walk@example.kz,"
               "+7 701 000 00 00\n")
REGISTER_FILE = "№ п/п,Сотрудник,Вид,Дата выявления факта\n1,Walk Person,foreign_account,03.11.2026\n"


def _upload(pg, server: tb.Server, page_path: str, form: str, path) -> None:
    pg.goto(f"{server.base}{page_path}")
    pg.set_input_files(f"{form} input[type=file]", str(path))
    pg.click(f"{form} button[type=submit]")
    pg.wait_for_load_state()


def _measured(pg, where: tuple) -> None:
    faults = pg.evaluate(FAULTS)
    assert faults["width"] <= faults["viewport"], (where, faults)
    assert faults["same"] == [], (where, faults["same"])
    assert too_small(pg) == [], (where, too_small(pg))
    tb.axe_check(pg)


def test_moving_in_pages_in_russian_and_kazakh_on_a_laptop_and_a_phone(page, server,
                                                                       tmp_path) -> None:
    """The office's own lists previewed (organisations, people), a register file with her own
    column names asking which column each is, and the organisation's page with the year so
    far: in ru and kk, at 1366 and 390 px, no serious or critical axe violation, nothing
    wider than the screen, no target under 24 px. Nothing is confirmed: the previews store
    nothing."""
    files = {}
    for name, text in (("orgs", ORGS_FILE), ("people", PEOPLE_FILE), ("register", REGISTER_FILE)):
        files[name] = tmp_path / f"{name}.csv"
        files[name].write_text(text, encoding="utf-8")
    with tb.failing_shot(page, server, "walk-moving-in"):
        for size in (LAPTOP, tb.PHONE):
            page.set_viewport_size(size)
            for lang in ("ru", "kk"):
                _as(page, server, tb.ADMIN, lang)
                where = (lang, size["width"])
                page.goto(f"{server.base}/orgs/AK-ALM")
                _measured(page, (*where, "org page"))
                _upload(page, server, "/orgs/AK-ALM", "form[action='/orgs/AK-ALM/import']",
                        files["orgs"])
                assert page.locator("form[action$='/import/confirm']").count() == 1, where
                _measured(page, (*where, "organisations preview"))
                _upload(page, server, "/people", "form[action='/people/import']",
                        files["people"])
                assert page.locator("form[action$='/import/confirm']").count() == 1, where
                _measured(page, (*where, "people preview"))
                _as(page, server, tb.OFFICER, lang)
                _upload(page, server, "/registers/restriction_breach/import",
                        "form[action$='/import']", files["register"])
                assert page.locator("[data-testid=import-map-form]").count() == 1, where
                _measured(page, (*where, "her columns to map"))
