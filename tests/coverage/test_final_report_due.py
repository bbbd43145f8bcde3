"""Who reports when (B-21): a subdivision's final reporting form (the appendix-2 report, the
register whose `[scorecard]` says `final_report`) is due 10 working days (config.toml
`[deadlines] final_report_before`) before its region's or central body's own report, so the
body can consolidate in time; merzim's own deadline, marked as such. The body's own report and
a quasi-state entity's stay on the rule's date (31 January of the next year, on a day off the
next working day, B-4), and the supervised entities are listed in the body's "who has
reported" (000:L104-106).

The expected dates are counted here with python-holidays' Kazakh calendar (weekends and public
holidays, with their observed days), not with merzim's."""

from __future__ import annotations

import json
from datetime import date, timedelta

import holidays
import pytest

KZ = holidays.KZ(years=range(2025, 2029))


def working(day: date) -> bool:
    return day.weekday() < 5 and day not in KZ


def rule_due(year: int) -> date:
    """31 January of the next year, a day off moving to the next working day (B-4)."""
    day = date(year + 1, 1, 31)
    while not working(day):
        day += timedelta(days=1)
    return day


def before(day: date, n: int) -> date:
    """The n-th working day before `day` (`day` itself not counted)."""
    while n:
        day -= timedelta(days=1)
        n -= working(day)
    return day


ORGS = (("GOV", "Republic", "central_body", None),  # a root above every body
        ("AK", "Region", "akimat", "GOV"),
        ("AK-APP", "Akim's apparatus", "akim_apparatus", "AK"),
        ("AK-EDU", "Education department", "department", "AK"),
        ("AK-R1", "District akimat", "district_akimat", "AK"),
        ("AK-R1-EDU", "District education", "department", "AK-R1"),
        ("AK-Q", "Regional holding", "quasi_state", "AK"),
        ("MF", "Ministry", "central_body", "GOV"),
        ("MF-K", "Committee", "committee", "MF"),
        ("MF-K-T", "Territorial department", "territorial_department", "MF-K"),
        ("MF-RSE", "State enterprise", "quasi_state", "MF"))
SUBDIVISIONS = ("AK-EDU", "AK-R1", "AK-R1-EDU", "MF-K", "MF-K-T")
ON_THE_RULE = ("GOV", "AK", "AK-Q", "MF", "MF-RSE")  # a region or central body wherever it sits


@pytest.fixture
def cli(merzim_db, tmp_path):
    def run(*args: str, today: str = "2026-12-01", config=None):
        result = merzim_db(*args, "--json", today=today, config=config)
        assert result.returncode == 0, (args, result.stderr)
        return json.loads(result.stdout)
    assert merzim_db("init").returncode == 0
    for code, name, kind, parent in ORGS:
        run("org", "add", code, "--name", name, "--kind", kind,
            *(("--parent", parent) if parent else ()))
    run("obligations", "sync", "--through", "2027-01-01")
    return run


def reports(cli, year: int = 2026, **kw) -> dict[str, dict]:
    """Each organisation's report of `year`: its stage as `status --json` shows it."""
    out = {}
    for c in cli("case", "list", "--process", "law_compliance_report", **kw):
        if c["period"] == str(year):
            stage = cli("status", str(c["id"]), **kw)["stages"][0]
            out[c["subject"]] = {"id": c["id"], **stage}
    return out


def test_a_subdivision_reports_10_working_days_before_its_body(cli):
    got = reports(cli)
    assert rule_due(2026) == date(2027, 2, 1)  # 31 January 2027 is a Sunday
    expected = {code: rule_due(2026) for code in ON_THE_RULE}
    expected |= {code: before(rule_due(2026), 10) for code in SUBDIVISIONS}
    assert {code: date.fromisoformat(r["due"]) for code, r in got.items()} == expected
    assert expected["AK-EDU"] == date(2027, 1, 18)
    assert "AK-APP" not in got  # a part of the apparatus presents no form of its own
    # merzim's own deadline, marked as such (the sources give none), and not a roll of a day off
    for code in SUBDIVISIONS:
        assert (got[code]["due_basis"], got[code]["moved_from"]) == ("B-21", None), got[code]
    assert got["AK"]["due_basis"] == "B-4"  # the body's own: the rule's date (B-4)
    # a record re-plans the case: its due date stays
    cli("record", str(got["AK-EDU"]["id"]), "submitted", "--date", "2027-01-15",
        today="2027-01-15")
    after = reports(cli, today="2027-01-15")["AK-EDU"]
    assert (after["due"], after["status"]) == ("2027-01-18", "done_on_time")


def test_the_setting_moves_it_and_the_re_plan_follows(cli, tmp_path):
    config = tmp_path / "five.toml"
    config.write_text("[deadlines]\nfinal_report_before = 5\n", encoding="utf-8")
    cli("replan", config=config)
    got = reports(cli, config=config)
    assert date.fromisoformat(got["MF-K-T"]["due"]) == before(rule_due(2026), 5)
    assert date.fromisoformat(got["MF"]["due"]) == rule_due(2026)
    # the next year's reports, opened with the setting: 31 January 2028 is a Monday
    cli("obligations", "sync", "--through", "2028-01-01", today="2027-12-01", config=config)
    got = reports(cli, 2027, today="2027-12-01", config=config)
    assert date.fromisoformat(got["AK-R1-EDU"]["due"]) == before(date(2028, 1, 31), 5)
    assert date.fromisoformat(got["AK"]["due"]) == rule_due(2027) == date(2028, 1, 31)
    zero = tmp_path / "zero.toml"
    zero.write_text("[deadlines]\nfinal_report_before = 0\n", encoding="utf-8")
    cli("replan", config=zero)
    assert reports(cli, config=zero)["AK-EDU"]["due"] == rule_due(2026).isoformat()


def test_a_bad_setting_is_refused(merzim_db, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[deadlines]\nfinal_report_before = -1\n", encoding="utf-8")
    result = merzim_db("calendar", "show", "2026", config=config)
    assert result.returncode != 0 and "final_report_before" in result.stderr
    assert "Traceback" not in result.stderr


def test_who_has_reported_lists_the_supervised_entities(cli):
    region = cli("submissions", "AK", "--year", "2026")
    assert [(u["code"], u["due"]) for u in region["units"]] == [
        (code, before(rule_due(2026), 10).isoformat()) for code in ("AK-EDU", "AK-R1",
                                                                     "AK-R1-EDU")]
    assert [(u["code"], u["due"]) for u in region["entities"]] == [
        ("AK-Q", rule_due(2026).isoformat())]
    assert region["deadline"] == rule_due(2026).isoformat()
    ministry = cli("submissions", "MF", "--year", "2026")
    assert [u["code"] for u in ministry["units"]] == ["MF-K", "MF-K-T"]
    assert [u["code"] for u in ministry["entities"]] == ["MF-RSE"]
