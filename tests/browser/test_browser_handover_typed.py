"""The bulk hand-over by a typed name, in a real browser (Debian's headless Chromium), with
scripts off and on, on SQLite and PostgreSQL: the manager ticks an overdue stage of the
education department and types whom to hand its case to.

* **Scripts off**: the name typed goes to the server, which finds her: two officers of that
  name are offered to choose, the one clicked is handed the case; a name nobody has is
  refused with nothing changed.
* **Scripts on**: as he types, the field's suggestions are filled from GET /bulk/assignees
  ("Name (@login)"); the one taken is handed the case.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import browser_helpers as tb
from tests.support.databases import BACKENDS
from tests.support.features import needs

# the overdue stages it hands over are the demo's analyses, planned by the planning feature
pytestmark = [pytest.mark.browser, needs("planning")]
chromium = tb.chromium

ORG = "AK-ALM-EDU"
OFFICERS = {"kairat": "Kairat Seitkali", "dias": "Dias Omarov", "dias2": "Dias Omarov"}

_failing_shot, _shot = tb.prefixed_shots("browser-handover-typed")


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory) -> Iterator[tb.Server]:
    """The demo with three more officers of the education department (two of one name)."""
    tb.require_browser()
    with tb.demo_on(tmp_path_factory, request.param, "browser-handover") as (workdir, shown,
                                                                             url):
        for login, name in OFFICERS.items():
            tb.merzim_process(workdir, "user", "add", login, "--org", ORG, "--name", name,
                              "--language", "en", db_url=url)
        passwords = {tb.MANAGER: tb.demo_password(workdir, tb.MANAGER, shown, db_url=url)}
        with tb.running_server(workdir, passwords, db_url=url) as srv:
            yield srv


def _page(chromium, server, scripts: bool):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                   java_script_enabled=scripts)
    context.add_cookies([{"name": "merzim_lang", "value": "en", "url": server.base}])
    pg = context.new_page()
    pg.set_default_timeout(tb.TIMEOUT_MS)
    tb.log_in(pg, server, tb.MANAGER)
    return context, pg


def _tick_and_open(pg, server) -> None:
    """The department's first overdue stage ticked, the bar's hand-over opened."""
    pg.goto(f"{server.base}/overdue?org={ORG}")
    rows = pg.locator("tr[data-stage]")
    assert rows.count() >= 1
    rows.first.locator("[data-testid=select]").check()
    pg.locator("[data-testid=bulk-assign] > summary").click()


def _hand_over(pg, typed: str) -> None:
    pg.locator("[data-testid=bulk-assignee]").fill(typed)
    tb.submit(pg, "[data-testid=bulk-assign-submit]")


def test_handed_over_by_a_typed_name_without_a_script(chromium, server) -> None:
    context, pg = _page(chromium, server, scripts=False)
    try:
        with _failing_shot(pg, server, "no-script"):
            _tick_and_open(pg, server)
            _hand_over(pg, "Nobody Nowhere")
            assert "No officer you may hand these cases to is called “Nobody Nowhere”." in \
                pg.locator("[data-testid=refusal]").inner_text()
            _tick_and_open(pg, server)
            _hand_over(pg, "dias omarov")
            choices = pg.locator("[data-testid=bulk-choice]")
            assert choices.count() == 2
            tb.submit(pg, choices.filter(has_text="(dias2)"))
            assert pg.locator("[data-testid=bulk-done]").inner_text() == \
                "1 case handed over to Dias Omarov."
    finally:
        context.close()


def test_handed_over_by_a_suggested_name_with_scripts(chromium, server) -> None:
    context, pg = _page(chromium, server, scripts=True)
    try:
        with _failing_shot(pg, server, "script"):
            _tick_and_open(pg, server)
            field = pg.locator("[data-testid=bulk-assignee]")
            field.press_sequentially("kair", delay=30)
            option = pg.locator("#bulk-assignees option[value='Kairat Seitkali (@kairat)']")
            option.wait_for(state="attached")
            _hand_over(pg, option.get_attribute("value"))
            assert pg.locator("[data-testid=bulk-done]").inner_text() == \
                "1 case handed over to Kairat Seitkali."
    finally:
        context.close()
