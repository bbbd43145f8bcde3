"""The Concept's action plan (seed 004, L1246-3017): its open items as a list (number, line,
quarter, wording in kk and ru) and one-off cases opened for the bodies an operator names, each
due by the end of its quarter (`merzim case action-plan`); nothing opened when a body or an item
is unknown, and an item already open for a body kept, not repeated."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.cli_runner import answer as ok
from tests.support.cli_runner import init_with_orgs
from tests.support.databases import dump_tables
from workflow.definitions import load_registry
from workflow.services.action_plan import load_plan

TODAY = "2026-01-15"


@pytest.fixture
def cli(merzim_db):
    init_with_orgs(merzim_db, (("MF", "Ministry of Finance", "central_body", None),
                               ("ACA", "Anti-Corruption Agency", "central_body", None)))

    def run(*args: str, lang: str = "en"):
        return merzim_db(*args, today=TODAY, lang=lang)
    return run


def test_the_list_names_the_plans_items_with_their_wording():
    plan = load_plan()
    assert [(i.number, i.line, i.quarter, i.deadline) for i in plan.items] == [
        ("6", "004:L1413-1432", "2026Q1", date(2026, 3, 31)),
        ("22", "004:L1969-1985", "2026Q1", date(2026, 3, 31)),
        ("39", "004:L2454-2470", "2026Q3", date(2026, 9, 30)),
        ("45", "004:L2563-2586", "2026Q4", date(2026, 12, 31)),
        ("46", "004:L2588-2614", "2026Q4", date(2026, 12, 31)),
        ("49(2)", "004:L2684-2722", "2022-2026", date(2026, 12, 31)),
    ]
    field = load_registry().get(plan.process).fields[plan.field]
    # the definition's choices are the list's items, named with the plan's wording
    assert field.choices == tuple(i.key for i in plan.items)
    for item in plan.items:
        assert item.text["kk"] and item.text["ru"]
        for lang in ("kk", "ru", "en"):
            assert field.choice_names[item.key][lang] == f"{item.number}. {item.text[lang]}"
    assert "Мәжілісіне" in plan.item("45").text["kk"]


def test_items_opened_for_the_bodies_named_with_quarter_end_due_dates(cli):
    listed = {p["key"] for p in ok(cli("process", "list", "--json"))}
    assert "action_plan_item" in listed
    out = ok(cli("case", "action-plan", "MF", "ACA", "--item", "39", "--item", "i22",
                 "--json"))["cases"]
    assert [(c["subject"], c["item"], c["deadline"], c["opened"]) for c in out] == [
        ("MF", "39", "2026-09-30", True), ("MF", "22", "2026-03-31", True),
        ("ACA", "39", "2026-09-30", True), ("ACA", "22", "2026-03-31", True)]
    status = ok(cli("status", str(out[0]["id"]), "--json"))
    assert [(s["key"], s["due"], s["status"]) for s in status["stages"]] == [
        ("completion", "2026-09-30", "open")]
    assert status["fields"]["item"] == "i39"
    ru = cli("status", str(out[0]["id"]), lang="ru")
    assert "Пункт Плана действий" in ru.stdout and "30.09.2026" in ru.stdout
    # run again: the items already open are kept, not opened twice
    again = ok(cli("case", "action-plan", "MF", "--item", "39", "--json"))["cases"]
    assert [(c["id"], c["opened"]) for c in again] == [(out[0]["id"], False)]
    text = cli("case", "action-plan", "MF", "--item", "39", lang="kk")
    assert text.returncode == 0 and "бұрыннан ашық" in text.stdout
    # completed with its document
    ok(cli("record", str(out[0]["id"]), "item_completed", "--date", "2026-01-14", "--number",
           "ПӘ-ге ақпарат №12"))
    assert ok(cli("status", str(out[0]["id"]), "--json"))["stages"][0]["status"] == "done_on_time"


def test_every_item_by_default(cli):
    out = ok(cli("case", "action-plan", "MF", "--json"))["cases"]
    assert [c["item"] for c in out] == ["6", "22", "39", "45", "46", "49(2)"]
    assert {c["deadline"] for c in out} == {"2026-03-31", "2026-09-30", "2026-12-31"}


@pytest.mark.parametrize("args, message", [
    (("MF", "XX", "--item", "39"), "XX"),       # an unknown body: MF's case not kept either
    (("MF", "--item", "99"), "99"),             # an item not in the list
])
def test_a_refusal_opens_nothing(cli, db, args, message):
    before = dump_tables(db)
    result = cli("case", "action-plan", *args)
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr
    assert dump_tables(db) == before
