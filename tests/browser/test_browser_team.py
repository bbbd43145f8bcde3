"""A team's work handed out, discussed and kept in views, in a real browser (Debian's headless
Chromium, 1280x900, on the demo served by `merzim serve`):

* a manager assigns an unassigned overdue stage from the overdue list ("Assign", the officer typed
  by name) and the officer he picked finds it in My work, her colleague no longer;
* a comment mentioning a user reaches her notification centre and, through the worker, the
  local SMTP server, and a user who may not see the case sees neither the case nor the
  comment;
* a saved view shows its count in the menu — the overdue list's and a register's — and its
  page has no serious or critical axe violation, nor a raw key in Kazakh or Russian.

On SQLite and PostgreSQL: on PostgreSQL the demo is made by `merzim init --demo` in a schema of
its own, and the server and the worker use it.

Screenshots: failure-team-*.png when a step fails; with MERZIM_TEST_SCREENSHOTS=1
views-menu.png, views-page.png, assign-picker.png, comment-mention.png.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.support import browser_helpers as tb
from tests.support.cli_runner import merzim_env, run_merzim
from tests.support.databases import BACKENDS
from tests.support.smtp_server import SmtpSink, write_config
from workflow.i18n import Translator

pytestmark = pytest.mark.browser
chromium = tb.chromium
page = tb.page

TEAM_ORG = "AK-ALM-TLG"  # a district department of the akimat: its overdue stages have no one
OFFICERS = {"zhanar": "Zhanar Abdrakhmanova", "aliya": "Aliya Bekova"}
LOGINS = (tb.MANAGER, tb.OFFICER, "marat", *OFFICERS)
RAW = re.compile(r"\b(?:views|comments|bulk|nav)\.[a-z_]+\b|\b20\d\d(?:Q[1-4]|H[12]|M\d{1,2})\b")


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory) -> Iterator[tb.Server]:
    """The demo with two officers of the district department (imported in one list), served
    for the module on each backend of the run."""
    tb.require_browser()
    with tb.demo_on(tmp_path_factory, request.param, "browser-team") as (workdir, shown, url):
        # the department's two officers arrive together, in one list: its cases nobody answers
        # for stay everyone's (one officer arriving alone would have them handed to her)
        people = workdir / "team.csv"
        people.write_text("name;login;email;role;organisation;language\n" + "".join(
            f"{name};{login};{login}@example.kz;officer;{TEAM_ORG};en\n"
            for login, name in OFFICERS.items()), encoding="utf-8")
        tb.merzim_process(workdir, "user", "import", str(people), db_url=url)
        # the manager mentioned gets his mail at an address of the test SMTP server's
        tb.merzim_process(workdir, "user", "set", tb.MANAGER, "--email", "nurlan@example.kz",
                          db_url=url)
        passwords = {login: tb.demo_password(workdir, login, shown, db_url=url)
                     for login in LOGINS}
        with tb.running_server(workdir, passwords, db_url=url) as srv:
            yield srv


def _count(text: str) -> int:
    return int(re.match(r"\s*(\d+)", text).group(1))


def _as(chromium, server, login: str, lang: str = "en"):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.add_cookies([{"name": "merzim_lang", "value": lang, "url": server.base}])
    pg = context.new_page()
    pg.set_default_timeout(tb.TIMEOUT_MS)
    tb.log_in(pg, server, login)
    return context, pg


def _work_cases(pg, server) -> set[str]:
    pg.goto(f"{server.base}/work")
    return {row.get_attribute("data-case") for row in pg.locator(
        "section[data-section=overdue] tbody tr[data-case]").all()}


def test_a_manager_assigns_an_unassigned_overdue_stage_and_the_officer_sees_it(
        page, chromium, server) -> None:
    pg = page
    with tb.failing_shot(pg, server, "team-assign"):
        tb.log_in(pg, server, tb.MANAGER)
        pg.goto(f"{server.base}/overdue?org={TEAM_ORG}")
        row = pg.locator("tr[data-stage]").filter(has=pg.locator("[data-testid=assign-link]"))
        assert row.count() >= 1, "the department's overdue stages have no one: Assign"
        case_link = row.first.locator("a[href^='/cases/']").first.get_attribute("href")
        case = re.search(r"/cases/(\d+)", case_link).group(1)
        row.first.locator("[data-testid=assign-link]").click()
        pg.wait_for_load_state()
        picker = pg.locator("#assign-login")  # typed, its suggestions the department's
        options = [o.text_content() for o in pg.locator("#assign-people option").all()]
        assert any("Zhanar Abdrakhmanova" in o for o in options), options
        assert not any("Asel" in o for o in options), options  # not an officer of the case's
        tb.screenshot(pg, "assign-picker.png", full_page=False)
        picker.fill("Zhanar Abdrakhmanova")
        pg.locator("[data-testid=assign-form] button[type=submit]").click()
        pg.wait_for_load_state()
        # the officer he picked: in her work; her colleague: no longer (it is someone's now)
        context, zhanar = _as(chromium, server, "zhanar")
        try:
            assert case in _work_cases(zhanar, server)
        finally:
            context.close()
        context, aliya = _as(chromium, server, "aliya")
        try:
            assert case not in _work_cases(aliya, server)
        finally:
            context.close()


def test_a_mention_reaches_her_centre_and_the_smtp_server_and_no_one_else(
        page, chromium, server) -> None:
    pg = page
    text = "@nurlan the analytic note is late, please look"
    with tb.failing_shot(pg, server, "team-comment"):
        tb.log_in(pg, server, tb.OFFICER)
        case_url = tb.case_of_overdue_note(pg, server)
        case = case_url.rsplit("/", 1)[-1]
        pg.fill("#comment-text", text)
        tb.submit(pg, "[data-testid=comment-form] button[type=submit]")
        assert pg.locator("[data-testid=comment]").filter(has_text=text).count() == 1
        tb.screenshot(pg, "comment-mention.png", full_page=False)
        tb.axe_check(pg)
        # the manager mentioned: in his notification centre
        context, nurlan = _as(chromium, server, tb.MANAGER)
        try:
            nurlan.goto(f"{server.base}/notifications")
            item = nurlan.locator(f"tr[data-kind=mentioned][data-case='{case}']")
            assert item.count() == 1 and "Asel Nurpeisova" in item.inner_text()
        finally:
            context.close()
        # an officer of another department: neither the case nor the comment
        context, marat = _as(chromium, server, "marat")
        try:
            answer = marat.goto(case_url)
            assert answer.status == 404 and text not in marat.content()
        finally:
            context.close()
        # the worker sends the outbox: the mention reaches the SMTP server
        sink = SmtpSink().start()
        try:
            cfg = write_config(server.workdir / "smtp.toml", sink.port)  # (beside its database)
            sent = run_merzim(("worker", "--once", "--json"),
                              env=merzim_env(today=tb.TODAY, config=cfg,
                                             db_url=server.db_url),
                              cwd=server.workdir)
            assert sent.returncode == 0, sent.stdout + sent.stderr
            json.loads(sent.stdout)
            assert sink.wait_for(1, timeout=10), sent.stdout + sent.stderr
            subject = Translator("kk")("comments.mention_subject", id=int(case),
                                       author="Asel Nurpeisova")
            mails = [m for m in sink.messages if m.message["Subject"] == subject]
            assert [m.rcpt_tos for m in mails] == [("nurlan@example.kz",)], [
                m.message["Subject"] for m in sink.messages]
            assert text in mails[0].message.get_body(("plain",)).get_content()
        finally:
            sink.stop()


def _save(pg, name: str) -> None:
    pg.locator("[data-testid=save-view] summary").click()
    pg.fill("#save-view-name", name)
    pg.locator("[data-testid=save-view-form] button[type=submit]").click()
    pg.wait_for_load_state()


def _menu(pg) -> dict[str, int]:
    return {link.inner_text().rsplit(" ", 1)[0].split("\n")[0].strip():
            _count(link.locator("[data-testid=nav-view-count]").inner_text())
            for link in pg.locator("[data-testid=nav-view]").all()}


def test_a_saved_view_shows_its_count_in_the_menu(page, chromium, server) -> None:
    pg = page
    with tb.failing_shot(pg, server, "team-views"):
        tb.log_in(pg, server, tb.OFFICER)
        pg.goto(f"{server.base}/overdue?year=2026")
        total = _count(pg.locator("[data-testid=overdue-total]").inner_text())
        assert total > 0
        _save(pg, "Late this year")
        assert pg.url.endswith("/overdue?year=2026"), pg.url
        link = pg.locator("[data-testid=nav-view]", has_text="Late this year")
        assert link.count() == 1
        assert _count(link.locator("[data-testid=nav-view-count]").inner_text()) == total
        tb.screenshot(pg, "views-menu.png", full_page=False)
        tb.axe_check(pg)
        # a register's page, counted as it counts its entries
        pg.goto(f"{server.base}/registers/offence_notice")
        found = _count(re.sub(r"\D+", " ", pg.locator("[data-testid=found]").inner_text()))
        _save(pg, "Offence notices")
        link = pg.locator("[data-testid=nav-view]", has_text="Offence notices")
        assert _count(link.locator("[data-testid=nav-view-count]").inner_text()) == found
        # the menu counts them on every page; the views page lists them
        pg.goto(f"{server.base}/work")
        assert pg.locator("[data-testid=nav-view]").count() == 2
        pg.goto(f"{server.base}/views")
        assert pg.locator("[data-testid=own-views] tbody tr").count() == 2
        tb.screenshot(pg, "views-page.png", full_page=False)
        tb.axe_check(pg)
        # on a phone: nothing wider than the screen, the form's summary a real tap target
        pg.set_viewport_size(tb.PHONE)
        assert pg.evaluate(tb.OVERFLOW) <= 0
        pg.goto(f"{server.base}/overdue?year=2026")
        assert pg.evaluate(tb.OVERFLOW) <= 0
        box = pg.locator("[data-testid=save-view] summary").bounding_box()
        assert box is not None and box["height"] >= 24 and box["width"] >= 24, box
        pg.set_viewport_size({"width": 1280, "height": 900})
        # in Kazakh and Russian: words, no raw key or period code
        for lang in ("kk", "ru"):
            pg.goto(f"{server.base}/lang/{lang}?next=/views")
            pg.wait_for_load_state()
            body = pg.locator("body").inner_text()
            assert not RAW.search(body), (lang, RAW.search(body).group(0))
            assert Translator(lang)("views.title") in body
            tb.axe_check(pg)
            for address in ("/overdue?year=2026", "/due", "/cases",
                            "/registers/offence_notice"):  # each with the form to save it
                pg.goto(f"{server.base}{address}")
                pg.locator("[data-testid=save-view] summary").click()
                body = pg.locator("body").inner_text()
                assert not RAW.search(body), (lang, address, RAW.search(body).group(0))
                assert Translator(lang)("views.save") in body
        pg.goto(f"{server.base}/lang/en?next=/work")
