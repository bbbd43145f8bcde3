"""The whole evaluation from what was recorded: register entries
opened and recorded through the command line, then `merzim score --json` reading them back
through the scorecard's service (workflow/scorecard/service.py register_cases). The pure rules
are computed by hand in tests/scorecard/test_score_projects_2_4.py; this checks the database's side: the
year an entry counts in, its counted stage, its roles, a cancelled entry left out."""

from __future__ import annotations

import pytest

from tests.support.cli_runner import json_cli

TODAY = "2027-03-01"


@pytest.fixture
def cli(merzim_db):
    run = json_cli(merzim_db, TODAY)
    assert merzim_db("init").returncode == 0
    assert merzim_db("org", "add", "MF", "--name", "Ministry", "--kind",
                     "central_body").returncode == 0
    return run


def notice(cli, category: str, detected: str, sent: str | None) -> int:
    case = cli("case", "open", "offence_notice", "--subject", "MF", "--person", "Offender",
               "--field", f"category={category}", "--date", f"detected={detected}")
    if sent:
        cli("record", str(case["id"]), "notice_sent", "--date", sent, "--evidence",
            "letter=12-хат")
    return case["id"]


def yearly(cli, process: str, year: int) -> int:
    cases = cli("case", "list", "--process", process)
    return next(c["id"] for c in cases if str(c.get("period") or "").startswith(str(year)))


def test_the_acceptance_subject_scores_21_18_and_3(cli):
    # 3 criminal and 2 administrative notices sent in 2026: 3 x 5 + 2 x 3 = 21 (001:L267-273)
    for category, detected, sent in (("criminal", "2026-02-02", "2026-02-05"),
                                     ("criminal", "2026-04-01", "2026-04-03"),
                                     ("criminal", "2025-12-20", "2026-01-12"),  # sent in 2026
                                     ("administrative", "2026-06-01", "2026-06-02"),
                                     ("administrative", "2026-09-09", "2026-09-10")):
        notice(cli, category, detected, sent)
    # not counted: sent in 2025; never sent; cancelled (entered by mistake)
    notice(cli, "criminal", "2025-11-03", "2025-11-04")
    notice(cli, "administrative", "2026-10-01", None)
    wrong = notice(cli, "criminal", "2026-03-03", "2026-03-04")
    cli("record", str(wrong), "cancel", "--date", "2026-03-05", "--note", "Entered twice")
    # the 2026 reconciliation act approved with no facts: band 0 -> 18 (001:L293-318)
    cli("obligations", "sync", "--through", "2027-01-01", today="2026-12-01")
    act = yearly(cli, "offence_reconciliation", 2026)
    cli("record", str(act), "act_approved", "--date", "2026-12-28", "--number", "7",
        "--signed-by", "Head of apparatus", today="2026-12-28")
    # one gift detected independently: +3 in 2.5.4 (001:L416-430); another not independent
    # (one person's two gifts of one year: the second needs a reason, B-23)
    for independent, reason in (("yes", ()), ("no", ("--duplicate-reason", "Another gift"))):
        cli("case", "open", "restriction_breach", "--subject", "MF", "--person", "Recipient",
            "--field", "kind=reward_or_gift", "--field",
            f"detected_independently={independent}", "--date", "detected=2026-05-04",
            *reason)
    # the appendix-2 report of 2026 submitted on time: no -5 (B-4)
    report = yearly(cli, "law_compliance_report", 2026)
    cli("record", str(report), "submitted", "--date", "2027-01-20")

    card = cli("score", "MF", "--year", "2026")
    points = {i["key"]: i["points"] for i in card["indicators"]}
    assert (points["2.1.1"], points["2.2.1"], points["2.5.4"]) == (21, 18, 3)
    assert points["2.5.4-penalty"] == 0
    assert points["2.5.1"] == points["2.5.5"] == 0
    project_2 = next(p for p in card["projects"] if p["project"] == 2)
    assert (project_2["awards"], project_2["deductions"], project_2["subtotal"]) == (42, 0, 42)


def test_a_report_not_submitted_costs_5_and_a_missing_act_scores_0(cli):
    cli("obligations", "sync", "--through", "2027-01-01", today="2026-12-01")
    card = cli("score", "MF", "--year", "2026")  # 1 March 2027: both overdue
    points = {i["key"]: i["points"] for i in card["indicators"]}
    assert points["2.5.4-penalty"] == -5 and points["2.2.1"] == 0
    # in January the report is not yet due (Monday 1 February 2027: 31 January is a Sunday):
    # no penalty yet, the evaluation provisional until then
    early = cli("score", "MF", "--year", "2026", today="2027-01-10")
    penalty = next(i for i in early["indicators"] if i["key"] == "2.5.4-penalty")
    assert penalty["points"] == 0 and penalty["pending_until"] == "2027-02-01"
    assert card["total"] == round(sum(p["subtotal"] for p in card["projects"]), 2)
