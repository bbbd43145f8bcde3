"""One label of each deadline's basis everywhere (I-17, B-21), on SQLite and PostgreSQL.

A subdivision's final reporting form is due `final_report_before` working days before its
body's own (B-21); its body's stays on the rule's date, merzim's own (B-4). Whoever shows the
deadline — `merzim overdue`, `merzim status`, `merzim due`, the web's overdue list and case page,
the API, the digests' items — reads its basis from one rule (`core.deadlines.due_basis`), so a
subdivision's overdue report reads "B-21" in each of them and its body's "B-4".

The world: the demo (its akimat AK-ALM and AK-ALM-EDU, a department under it), its yearly
obligations opened for 2025, read on 26 January 2026: the department's report of 2025 (due
19 January) is overdue, the akimat's (due 2 February) is not yet.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlmodel import Session

from tests.support.web_helpers import CALENDAR, Web
from tests.support.web_helpers import web_fixture as web_fixture  # noqa: F401 - the `web` fixture
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.services import obligations

PROCESS = "law_compliance_report"
ON = date(2026, 1, 26)


@pytest.fixture
def world(web: Web, monkeypatch) -> tuple[Web, dict[str, int]]:
    """The demo's 2025 final reports opened; the application (every shipped definition) on ON;
    {organisation code: its 2025 report's case id}."""
    from web.app import create_app

    registry = load_registry()
    ctx = svc.Context(CALENDAR, registry, ON, actor="test", language="en")
    with Session(web.engine) as s:
        obligations.sync(s, ctx)
        s.commit()
        ids = {c.subject: c.id for c in svc.list_cases(s, ctx, PROCESS, None, None)
               if c.period == "2025"}
    monkeypatch.setenv("MERZIM_TODAY", ON.isoformat())
    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, registry)
    return web, ids


def test_cli_overdue_status_and_the_web_show_one_basis(world, merzim_db):
    web, ids = world
    department, akimat = ids["AK-ALM-EDU"], ids["AK-ALM"]

    def cli(*args: str):
        result = merzim_db(*args, "--json", today=ON.isoformat())
        assert result.returncode == 0, (args, result.stderr)
        return json.loads(result.stdout)

    overdue = {r["case"]: r for r in cli("overdue")["overdue"] if r["process"] == PROCESS}
    assert overdue[department]["due_basis"] == "B-21"
    assert akimat not in overdue  # its own, 2 February, is not due yet
    for case_id, basis in ((department, "B-21"), (akimat, "B-4")):
        (stage,) = cli("status", str(case_id))["stages"]
        assert stage["due_basis"] == basis, case_id
    # the web: the overdue list, the case page, the API's list
    asel, manager = web.browser("asel"), web.browser("nurlan")  # (the akimat's manager)
    page = asel.get(f"/overdue?process={PROCESS}")
    assert page.status_code == 200
    row = re.search(rf'href="/cases/{department}".*?</tr>', page.text, re.S)
    assert row and re.findall(r'data-basis="([^"]+)"', row.group(0)) == ["B-21"], page.text
    for case_id, basis in ((department, "B-21"), (akimat, "B-4")):
        shown = manager.get(f"/cases/{case_id}").text
        assert re.findall(r'data-basis="([^"]+)"', shown) == [basis], case_id
    listed = web.api("asel").get(f"/api/v1/overdue?process={PROCESS}")
    assert listed.status_code == 200, listed.text
    (item,) = [r for r in listed.json()["items"] if r["case"] == department]
    assert item["due_basis"] == "B-21"
