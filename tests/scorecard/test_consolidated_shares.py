"""Consolidated shares (B-20) from what was recorded: a ministry whose five units with the
training duty recorded no figures. 4.2.1 divides by the staff of every unit taken in that has
the duty: a unit with no figures counts as none trained of its headcount (set by `merzim org
add --headcount`, `merzim org set` and a column of `merzim org import`); a unit with neither is
named "not reported" and the share is incomplete, never the maximum from the ministry's own
figures. Refused headcounts change nothing."""

from __future__ import annotations

import json

import pytest

TODAY = "2027-03-01"  # every figure of 2026 was due on 31 December 2026
UNITS = ("K1", "K1-T1", "K1-T2", "K2", "K2-T1")  # the units with the training duty
NAMES = {"K1": "Treasury Committee", "K1-T1": "Treasury of Abai", "K1-T2": "Treasury of Almaty",
         "K2": "Revenue Committee", "K2-T1": "Revenue of Astana"}


@pytest.fixture
def cli(merzim_db):
    def run(*args: str, lang: str = "en", today: str = TODAY):
        result = merzim_db(*args, "--json", today=today, lang=lang)
        assert result.returncode == 0, (args, result.stderr)
        return json.loads(result.stdout)
    run.raw = merzim_db
    assert merzim_db("init").returncode == 0
    for code, name, kind, parent in (
            ("MF", "Ministry of Finance", "central_body", None),
            ("MF-AD", "Department of law", "apparatus_department", "MF"),  # no duty of its own
            ("K1", NAMES["K1"], "committee", "MF"),
            ("K1-T1", NAMES["K1-T1"], "territorial_department", "K1"),
            ("K1-T2", NAMES["K1-T2"], "territorial_department", "K1"),
            ("K2", NAMES["K2"], "committee", "MF"),
            ("K2-T1", NAMES["K2-T1"], "territorial_department", "K2")):
        run("org", "add", code, "--name", name, "--kind", kind,
            *(("--parent", parent) if parent else ()))
    # the ministry's own figures of 2026: 12 of 240 trained, 5 %: alone, the maximum 3
    run("obligations", "sync", "--through", "2027-01-01", today="2026-12-01")
    case = next(c for c in run("case", "list", "--process", "civil_servant_training",
                               "--org", "MF")
                if str(c.get("period")) == "2026" and c["subject"] == "MF")
    run("record", str(case["id"]), "staff_trained", "--date", "2026-12-20",
        "--evidence", "staff_number=240", "--evidence", "trained_number=12", today="2026-12-20")
    return run


def indicator(card, key):
    return next(i for i in card["indicators"] if i["key"] == key)


def headcounts(cli):
    return {o["code"]: o["headcount"] for o in cli("org", "list")}


def test_units_with_neither_figures_nor_headcount_leave_the_share_incomplete(cli):
    card = cli("score", "MF", "--year", "2026")
    share = indicator(card, "4.2.1")
    assert share["points"] == 0  # not 3 from the ministry's own 12 of 240
    assert share["inputs"]["not_reported"] == list(UNITS)
    assert "MF-AD" not in share["inputs"]["not_reported"]  # an apparatus part: no duty
    assert share["text"] == (
        "12 of 240 civil servants trained (5 %); 5 units not reported (neither figures nor a "
        "headcount): " + ", ".join(NAMES[u] for u in UNITS) + " → the share is incomplete: "
        "not awarded until every unit reports its figures or has a headcount → 0 points")
    # 4.2.2: nobody recorded anything: every unit with the duty, the ministry too, named
    assert indicator(card, "4.2.2")["inputs"]["not_reported"] == ["MF", *UNITS]
    for lang, word in (("ru", "не отчитались"), ("kk", "есеп бермеді")):
        text = indicator(cli("score", "MF", "--year", "2026", lang=lang), "4.2.1")["text"]
        assert word in text and all(NAMES[u] in text for u in UNITS), text


def test_units_that_recorded_nothing_count_as_none_trained_of_their_headcount(cli, tmp_path):
    cli("org", "set", "K1", "--headcount", "300")
    cli("org", "set", "K1-T1", "--headcount", "200")
    cli("org", "set", "K1-T2", "--headcount", "150")
    cli("org", "set", "K2", "--headcount", "60")
    cli("org", "set", "K2-T1", "--headcount", "50")
    card = cli("score", "MF", "--year", "2026")
    share = indicator(card, "4.2.1")
    # 12 of 240 + 300 + 200 + 150 + 60 + 50 = 1,000: 1.2 % → 2 full steps of 0.5 % × 0.3
    assert (share["inputs"]["numerator"], share["inputs"]["denominator"]) == (12, 1000)
    assert share["points"] == 0.6
    assert share["inputs"]["from_headcount"] == [["K1", 300], ["K1-T1", 200], ["K1-T2", 150],
                                                 ["K2", 60], ["K2-T1", 50]]
    assert "not_reported" not in share["inputs"]
    assert share["text"].startswith(
        "12 of 1000 civil servants trained (1.2 %); 5 units recorded no figures and count as "
        "none trained of their headcount: Treasury Committee 300, Treasury of Abai 200, ")
    assert share["text"].endswith("→ 2 steps of 0.5 % → 0.6 points")


def test_headcount_from_the_command_line_and_the_import(cli, tmp_path):
    cli("org", "add", "K3", "--name", "Customs Committee", "--kind", "committee",
        "--parent", "MF", "--headcount", "400")
    table = tmp_path / "orgs.csv"
    table.write_text("code,name,kind,parent,headcount\n"
                     "K3-T1,Customs of Aktobe,territorial_department,K3,120\n"
                     "K3-T2,Customs of Atyrau,territorial_department,K3,\n", encoding="utf-8")
    assert cli("org", "import", str(table))["added"] == ["K3-T1", "K3-T2"]
    got = headcounts(cli)
    assert (got["K3"], got["K3-T1"], got["K3-T2"]) == (400, 120, None)
    cli("org", "set", "K3", "--headcount", "")  # cleared: not known
    assert headcounts(cli)["K3"] is None


@pytest.mark.parametrize("bad", ["-3", "abc", "1.5", "99999999999"])
def test_a_bad_headcount_is_refused_and_changes_nothing(cli, tmp_path, bad):
    cli("org", "set", "K1", "--headcount", "300")
    before = cli("org", "list")
    for lang, words in (("en", "whole number"), ("ru", "целым числом"), ("kk", "бүтін сан")):
        refused = cli.raw("org", "set", "K1", "--headcount", bad, today=TODAY, lang=lang)
        assert refused.returncode != 0 and words in refused.stderr + refused.stdout, refused
        assert "Traceback" not in refused.stderr
    refused = cli.raw("org", "add", "K9", "--name", "Nine", "--kind", "committee",
                      "--parent", "MF", "--headcount", bad, today=TODAY)
    assert refused.returncode != 0
    table = tmp_path / "bad.csv"
    table.write_text("code,name,kind,parent,headcount\n"
                     "K8,Eight,committee,MF,10\n"
                     f"K9,Nine,committee,MF,{bad}\n", encoding="utf-8")
    refused = cli.raw("org", "import", str(table), today=TODAY)
    assert refused.returncode != 0 and "row 3" in (refused.stderr + refused.stdout).lower()
    assert cli("org", "list") == before  # nothing added, the headcount kept
