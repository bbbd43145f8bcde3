"""A central body's subordinate state enterprise (B-22) is entered as a quasi-state entity
under the body (`--kind quasi_state --parent MF`; no separate kind): its project-3 facts count
in the project No. 3 of the body that supervises it (B-5), and its own facts of projects No. 2
and 4 stay its own, not consolidated into the body's (B-18)."""

from __future__ import annotations

import pytest

from tests.support.cli_runner import json_cli

TODAY = "2027-03-01"


@pytest.fixture
def cli(merzim_db):
    run = json_cli(merzim_db, TODAY)
    assert merzim_db("init").returncode == 0
    run("org", "add", "MF", "--name", "Ministry of Finance", "--kind", "central_body")
    run("org", "add", "MF-K1", "--name", "Treasury Committee", "--kind", "committee",
        "--parent", "MF")
    # the ministry's subordinate state enterprise (РМК): a quasi-state entity under it
    run("org", "add", "MF-RSE", "--name", "Information and Computing Centre (RSE)",
        "--kind", "quasi_state", "--parent", "MF")
    return run


def indicator(card, key):
    return next(i for i in card["indicators"] if i["key"] == key)


def test_the_enterprise_s_facts_land_in_project_3_of_its_central_body(cli):
    regulation = cli("case", "open", "compliance_regulation", "--subject", "MF-RSE",
                     today="2026-03-01")
    cli("record", str(regulation["id"]), "document_approved", "--date", "2026-03-10",
        "--number", "12-П", today="2026-03-10")
    # a gift detected independently by the enterprise: its own 2.5.4, not the ministry's
    cli("case", "open", "restriction_breach", "--subject", "MF-RSE", "--person", "Recipient",
        "--field", "kind=reward_or_gift", "--field", "detected_independently=yes",
        "--date", "detected=2026-05-04", today="2026-05-05")

    card = cli("score", "MF", "--year", "2026")
    share = indicator(card, "3.2.1")
    assert share["kind"] == "award" and share["inputs"]["units"] == 1  # the enterprise
    assert (share["inputs"]["done"], share["points"]) == (1, 2.0)  # 1 of 1: 10 steps × 0.2
    assert indicator(card, "2.5.4")["points"] == 0  # not consolidated into project No. 2
    assert "MF-RSE" not in card["taken_in"]
    own = cli("score", "MF-RSE", "--year", "2026")
    assert indicator(own, "2.5.4")["points"] == 3  # the enterprise's own evaluation
    # the committee supervises no entity: project No. 3 is "—" for it
    assert indicator(cli("score", "MF-K1", "--year", "2026"), "3.2.1")["kind"] == "info"
