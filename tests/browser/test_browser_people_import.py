"""An office's list of 10,000 people imported from a browser (Debian's headless Chromium, on the
demo served by `merzim serve`): the administrator uploads it, changes two rows' roles in the
preview and confirms; the page's script sends the changed roles as one field, so the form
stays within the fields a form may carry (a select a row would be 10,000 fields, once
answered 500). 10,000 people are stored, those two with the roles she chose."""

from __future__ import annotations

import sqlite3

import pytest

from tests.support import browser_helpers as tb

pytestmark = [pytest.mark.browser, pytest.mark.slow]
server = tb.server
chromium = tb.chromium
page = tb.page

ROWS = 10_000
DOMAIN = "@browser-list.example.kz"


def _people_file(tmp_path) -> str:
    lines = ["№ п/п;ФИО;Подразделение;E-mail"]
    lines += [f"{i + 1};Person {i:05d};Акимат Алматинской области;b{i:05d}{DOMAIN}"
              for i in range(ROWS)]
    path = tmp_path / "people.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_ten_thousand_people_confirmed_from_a_browser(page, server, tmp_path):
    pg = page
    # (no screenshot on failure: a page of 10,000 rows is too tall for one)
    tb.log_in(pg, server, tb.ADMIN)
    pg.goto(f"{server.base}/people")
    pg.set_input_files("form[action='/people/import'] input[name=file]",
                       _people_file(tmp_path))
    pg.click("form[action='/people/import'] button[type=submit]")
    pg.wait_for_selector("[data-testid=people-import-confirm-form]", timeout=120_000)
    first, last = pg.locator("[data-testid=role-2]"), pg.locator(f"[data-testid=role-{ROWS + 1}]")
    # the script enables them once the page has loaded: 10,000 rows take a while on a loaded
    # machine (a bound on the wait, never a measure)
    pg.wait_for_selector(f"[data-testid=role-{ROWS + 1}]:enabled", timeout=120_000)
    first.select_option("manager")
    last.select_option("admin")
    # the click does not wait for the answer itself (its own bound is the page's 20 s): the
    # navigation's bound is the one that holds while the server adds 10,000 people
    with pg.expect_navigation(timeout=180_000):
        pg.click("[data-testid=people-import-confirm]", no_wait_after=True)
    said = pg.locator("[data-testid=people-done]").inner_text()
    assert "10000 people added" in said.replace("\u00a0", "").replace(",", ""), said
    with sqlite3.connect(server.workdir / "merzim.db") as db:
        stored = dict(db.execute("SELECT login, role FROM app_user WHERE email LIKE ?",
                                 (f"%{DOMAIN}",)).fetchall())
    assert len(stored) == ROWS
    assert {login: role for login, role in stored.items() if role != "officer"} == {
        "b00000": "manager", f"b{ROWS - 1:05d}": "admin"}
