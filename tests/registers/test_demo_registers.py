"""`merzim init --demo` fills the registers of projects No. 2-4: a year of entries,
so every indicator of projects No. 2-4 has points for some subject of the demo tree and every
report form (appendices 1-6) has lines. The demo still loads once, and on any day of the year
(dates are kept in the current year and not after today)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.support.cli_demo_helpers import DEMO_DAY, demo_loaded
from tests.support.cli_runner import Merzim
from tests.support.databases import database_from_template
from workflow.scorecard.catalogue import catalogue

KEYS, LAW_REPORT = catalogue().keys, "2.5.4-penalty"

TODAY = DEMO_DAY  # the day the "cli-demo" template's demo was loaded on
# the appendix, the subject whose form it is, a text of the demo's entries it shows. Appendix 1
# (the cartogram updates of an akimat's internal analysis, I-7) is not filled: the demo has no
# analysis of the regional akimat, and adding one (it has no officer to be responsible) changes
# the six analyses that tests/support/web_helpers.py and the e-mail digest tests rely on.
FORMS = [(2, "MF-KGD-ALM", "Customs post Khorgos"),
         (3, "MF-KGD-ALM", "Bribe for a lowered customs value"),
         (4, "AK-ALM", "https://goszakup.example.kz/competition/1101"),
         (5, "MF-KGD-ALM", "Gifts and the law"), (6, "MF-KGD-ALM", "Tax deductions for individuals")]


def _json(result):
    assert result.returncode == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def _cells(path: Path) -> list[str]:
    sheet = load_workbook(path).active
    return [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c not in (None, "")]


@pytest.fixture
def demo_db(backend: str, tmp_path: Path) -> Iterator[Merzim]:
    """`merzim` on a copy of the "cli-demo" template: what `init --demo` stores on TODAY (built
    once per test process and backend: tests/support/cli_demo_helpers.py, checked against the command
    by tests/cli/test_cli_operator.py)."""
    with database_from_template(backend, tmp_path, recipe=demo_loaded,
                                recipe_name="cli-demo") as (url, printed):
        assert printed["demo"]["entries"] > 0
        workdir = tmp_path / "cwd-demo"
        workdir.mkdir()
        yield Merzim(workdir, db_url=url)


def _points(merzim_db) -> dict[str, list[tuple[str, float]]]:
    """Each indicator's points by subject over `score MF --subtree` and `score AK-ALM
    --subtree`, the demo loaded."""
    points: dict[str, list[tuple[str, float]]] = {}
    for org in ("MF", "AK-ALM"):
        result = _json(merzim_db("score", org, "--year", "2026", "--subtree", "--json",
                                 today=TODAY))
        for subject in result["subjects"]:
            for indicator in subject["indicators"]:
                points.setdefault(indicator["key"], []).append(
                    (subject["subject"], indicator["points"]))
    return points


def test_the_demo_gives_every_indicator_of_projects_2_to_4_points(demo_db):
    points = _points(demo_db)
    wanted = [k for k in KEYS if k != LAW_REPORT]
    assert len(wanted) == 28  # 29 keys less the penalty (2.5.4)
    zero = [k for k in wanted if not any(p for _, p in points.get(k, []))]
    assert zero == [], {k: points.get(k) for k in zero}


def test_the_demo_fills_every_report_form(demo_db, tmp_path):
    for n, org, text in FORMS:
        path = tmp_path / f"form-{n}.xlsx"
        out = _json(demo_db("form", str(n), org, "--year", "2026", "--output", str(path),
                            "--json", today=TODAY))
        assert out["lines"] > 0, (n, org)
        assert any(text in c for c in _cells(path)), (n, org, text)


@pytest.mark.parametrize("today", ["2026-03-10", "2026-01-01", "2026-01-05", "2026-12-31"])
def test_the_demo_loads_once_on_any_day(merzim_db, today):
    first = _json(merzim_db("init", "--demo", "--json", today=today))["demo"]
    assert first["entries"] > 0
    again = _json(merzim_db("init", "--demo", "--json", today=today))["demo"]
    assert again == {"already": True}
    score = _json(merzim_db("score", "AK-ALM", "--year", today[:4], "--subtree", "--json",
                            today=today))
    assert score["subjects"]
