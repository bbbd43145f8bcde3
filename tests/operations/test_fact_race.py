"""One fact once across two `merzim serve` nodes on one PostgreSQL database (B-23, P-22;
services/facts.py): two API clients released together by a barrier, repeated.

* Opening the linked entry on one node while the outcome is voided (withdrawing the entries
  it opened) on the other: an entry is never opened from a voided outcome, and a void sees an
  entry opened a moment before and withdraws it — after every try no entry of the gift
  stands, and the gift's history has the entry opened before the void, or not at all.
* Opening the linked entry on both nodes at once: one is opened, the other refused; the gift
  is counted once in the register list.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.support.processes import gift_not_handed_over, local, start_node, terminate, together, wait_up
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.registers.reader import read_entries
from workflow.services import accounts as auth

pytestmark = pytest.mark.slow  # two nodes as processes

TRIES = 12
ORG = "AK-ALM-EDU"
BREACH = "restriction_breach"
REGISTRY = load_registry()  # what the nodes load


@pytest.fixture
def nodes(db_url, db, make_ctx, tmp_path):
    """The demo, asel's API token, two nodes: (node a, node b, headers)."""
    from workflow.services.demo import load_demo

    with Session(db) as s:
        load_demo(s, make_ctx(date(2026, 2, 4)))
        asel = svc.get_user(s, "asel")
        token = auth.create_api_token(s, asel, "race")
        s.commit()
    started = [start_node(db_url, tmp_path / name) for name in ("node-a", "node-b")]
    try:
        for proc, base in started:
            wait_up(proc, lambda base=base: local().get(f"{base}/healthz",
                                                        timeout=2).status_code == 200)
        yield started[0][1], started[1][1], {"Authorization": f"Bearer {token}"}
    finally:
        for proc, _base in started:
            terminate(proc)


def _gift(base: str, headers: dict, person: str) -> int:
    """A gift received and recorded as not handed over, through the API."""
    return gift_not_handed_over(base, headers, ORG, person)


def _together(*calls):
    return together(*calls, seconds=60)


def _entries(db, gift: int) -> list[tuple[int, bool]]:
    """The register entries opened from the gift: (id, standing)."""
    with db.connect() as conn:
        return [(i, w is None) for i, w in conn.execute(text(
            "SELECT id, withdrawn_at FROM process_case WHERE process = :p AND id IN "
            "(SELECT to_case_id FROM case_link WHERE from_case_id = :g) ORDER BY id"),
            {"p": BREACH, "g": gift})]


def _listed(db, person: str) -> int:
    """The person's entries the register list shows as facts of 2026."""
    with Session(db) as s:
        org = svc.get_org(s, ORG)
        entries = read_entries(s, REGISTRY.all(), {org.id: ORG}, 2026, keys={BREACH},
                               columns_of_forms=True)
    return sum(1 for e in entries if e.case is not None and e.case.person_name == person
               and e.fact_of(2026))


def _gift_trail(db, gift: int) -> list[str]:
    """The gift's link and void audit records, in the order written."""
    with db.connect() as conn:
        return [a for (a,) in conn.execute(text(
            "SELECT action FROM audit_log WHERE entity = 'case' AND entity_id = :g "
            "AND action IN ('case.link', 'record.void') ORDER BY id"), {"g": str(gift)})]


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_opening_the_entry_while_the_outcome_is_voided_on_the_other_node(db, nodes):
    a, b, headers = nodes
    seen: dict[str, int] = {"opened_then_voided": 0, "voided_first": 0}
    for n in range(TRIES):
        person = f"Race Void {n}"
        gift = _gift(a, headers, person)
        opened, voided = _together(
            lambda gift=gift: local().post(f"{a}/api/v1/cases/{gift}/linked", headers=headers,
                                           json={}, timeout=60),
            lambda gift=gift: local().post(f"{b}/api/v1/cases/{gift}/void", headers=headers,
                                           timeout=60, json={
                                               "record": "not_handed_over",
                                               "note": "recorded on the wrong case",
                                               "withdraw_linked": True}))
        assert voided.status_code == 200, voided.text
        entries = _entries(db, gift)
        assert [i for i, standing in entries if standing] == [], (n, entries)
        assert _listed(db, person) == 0
        if opened.status_code == 200:
            assert len(entries) == 1
            assert _gift_trail(db, gift) == ["case.link", "record.void"], n
            seen["opened_then_voided"] += 1
        else:
            assert opened.status_code == 409, opened.text
            assert opened.json()["error"] == "rule.link_no_outcome"
            assert entries == [] and _gift_trail(db, gift) == ["record.void"], n
            seen["voided_first"] += 1
    print(json.dumps(seen))
    assert sum(seen.values()) == TRIES


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_opening_the_entry_on_both_nodes_at_once_opens_one(db, nodes):
    a, b, headers = nodes
    for n in range(TRIES):
        person = f"Race Twice {n}"
        gift = _gift(a, headers, person)
        answers = _together(*(
            lambda base=base, gift=gift: local().post(f"{base}/api/v1/cases/{gift}/linked",
                                                      headers=headers, json={}, timeout=60)
            for base in (a, b)))
        codes = sorted(r.status_code for r in answers)
        assert codes == [200, 409], [r.text for r in answers]
        assert [r.json()["error"] for r in answers if r.status_code == 409] in (
            ["rule.link_exists"], ["rule.fact_standing"])
        assert [i for i, standing in _entries(db, gift) if standing].__len__() == 1
        assert _listed(db, person) == 1


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_restoring_the_entry_while_another_is_opened_on_the_other_node(db, nodes):
    """The entry withdrawn; then restored on one node while the gift opens another on the
    other: one of them stands, the other is refused."""
    a, b, headers = nodes
    refusals: dict[str, int] = {}
    for n in range(TRIES):
        person = f"Race Restore {n}"
        gift = _gift(a, headers, person)
        r = local().post(f"{a}/api/v1/cases/{gift}/linked", headers=headers, json={},
                         timeout=60)
        assert r.status_code == 200, r.text
        (entry,) = [i for i, _standing in _entries(db, gift)]
        r = local().post(f"{a}/api/v1/cases/{entry}/withdraw", headers=headers, timeout=60,
                         json={"reason": "opened by mistake"})
        assert r.status_code == 200, r.text
        answers = _together(
            lambda entry=entry: local().post(f"{a}/api/v1/cases/{entry}/restore",
                                             headers=headers, timeout=60,
                                             json={"reason": "it was right"}),
            lambda gift=gift: local().post(f"{b}/api/v1/cases/{gift}/linked", headers=headers,
                                           json={}, timeout=60))
        assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
        for r in answers:
            if r.status_code == 409:
                refusals[r.json()["error"]] = refusals.get(r.json()["error"], 0) + 1
        assert len([i for i, standing in _entries(db, gift) if standing]) == 1, n
        assert _listed(db, person) == 1
    print(json.dumps(refusals))
    assert set(refusals) <= {"rule.link_exists", "rule.fact_standing",
                             "rule.restore_linked_elsewhere"}
