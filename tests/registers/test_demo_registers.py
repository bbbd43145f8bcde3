"""`merzim init --demo` fills the registers of projects No. 2-4: a year of entries,
so every indicator of projects No. 2-4 has points for some subject of the demo tree and every
report form (appendices 1-6) has lines. It shows every kind of case: gifts handed over and not,
a conflict of interest and a foreign account (the ministry standard, 002), the enterprise
policy's cases of the quasi-state entity (003), facts linked to the register entries they are,
an item of the Concept's action plan, and a district akimat that joined mid-year with its
earlier periods back-filled once. The demo still loads once, and on any day of the year (dates
are kept in the current year and not after today)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.support.cli_demo_helpers import DEMO_DAY, demo_loaded
from tests.support.cli_runner import Merzim
from tests.support.databases import database_from_template
from tests.support.features import installed, needs
from workflow.core import periods
from workflow.definitions import load_registry
from workflow.storage.db import make_engine
from workflow.storage.models import Case, CaseLink, Organisation

LAW_REPORT = "2.5.4-penalty"

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
def demo_db(demo_built) -> Merzim:
    return demo_built[0]


@pytest.fixture
def demo_built(backend: str, tmp_path: Path) -> Iterator[tuple[Merzim, dict]]:
    """`merzim` on a copy of the "cli-demo" template: what `init --demo` stores on TODAY (built
    once per test process and backend: tests/support/cli_demo_helpers.py, checked against the command
    by tests/cli/test_cli_operator.py)."""
    with database_from_template(backend, tmp_path, recipe=demo_loaded,
                                recipe_name="cli-demo") as (url, printed):
        assert printed["demo"]["entries"] > 0
        workdir = tmp_path / "cwd-demo"
        workdir.mkdir()
        yield Merzim(workdir, db_url=url), printed["demo"]


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


@needs("scorecard")
def test_the_demo_gives_every_indicator_of_projects_2_to_4_points(demo_db):
    from workflow.scorecard.catalogue import catalogue

    points = _points(demo_db)
    wanted = [k for k in catalogue().keys if k != LAW_REPORT]
    assert len(wanted) == 28  # 29 keys less the penalty (2.5.4)
    zero = [k for k in wanted if not any(p for _, p in points.get(k, []))]
    assert zero == [], {k: points.get(k) for k in zero}


@needs("forms")
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
    if not installed("scorecard"):
        return
    score = _json(merzim_db("score", "AK-ALM", "--year", today[:4], "--subtree", "--json",
                            today=today))
    assert score["subjects"]


def _cases(url: str) -> list[tuple[int, str, str, str | None, str | None, str, str | None]]:
    """Every case of the demo: id, process, subject's code and kind, period, state, person."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(
                select(Case.id, Case.process, Organisation.code, Organisation.kind, Case.period,
                       Case.state, Case.person_name)
                .join(Organisation, Organisation.id == Case.subject_id))]
    finally:
        engine.dispose()


def _links(url: str) -> list[tuple[int, int, str | None]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(
                select(CaseLink.from_case_id, CaseLink.to_case_id, CaseLink.event)
                .where(CaseLink.unlinked_at.is_(None)))]
    finally:
        engine.dispose()


def test_the_demo_shows_every_kind_of_case_with_linked_facts(demo_built):
    merzim, printed = demo_built
    cases = _cases(merzim.db_url)
    by_id = {c[0]: c for c in cases}

    def states(process: str) -> list[tuple[str, str | None]]:
        return sorted((c[5], c[2]) for c in cases if c[1] == process)

    # gifts: one handed over, one not handed over in full or on time
    assert states("gift") == [("handed_over", "AK-ALM-EDU"), ("not_handed_over", "MF-KK-ALM")]
    # the ministry standard's procedures (002), each once
    assert [c[2] for c in cases if c[1] == "conflict_of_interest"] == ["MF-KGD-ALM"]
    assert [c[2] for c in cases if c[1] == "foreign_account"] == ["MF-KGD-ALM"]
    # the enterprise policy (003), of the quasi-state entity only
    for process in ("enterprise_conflict_of_interest", "corrupt_act_report"):
        assert [(c[2], c[3]) for c in cases if c[1] == process] == [("QS-ZHETYSU", "quasi_state")]
    # an item of the Concept's action plan, for the ministry
    assert [(c[2], c[5]) for c in cases if c[1] == "action_plan_item"] == [("MF", "open")]
    assert printed["action_plan_items"] == 1
    # linked facts: each procedure's case to the register entry it is, of the same person
    links = _links(merzim.db_url)
    assert len(links) == 4 and printed["case_links"] == 3  # three after the fact, one opened
    pairs = sorted((by_id[a][1], by_id[b][1], by_id[a][6] == by_id[b][6], event or "")
                   for a, b, event in links)
    assert pairs == [("conflict_of_interest", "restriction_breach", True, ""),
                     ("foreign_account", "restriction_breach", True, ""),
                     ("gift", "restriction_breach", True, ""),
                     ("gift", "restriction_breach", True, "not_handed_over")]


def test_the_district_that_joined_mid_year_has_its_earlier_periods_once(demo_built):
    merzim, printed = demo_built
    registry = load_registry()
    district = [c for c in _cases(merzim.db_url) if c[2] == "AK-ALM-KRS"]
    keys = [(c[1], c[4]) for c in district]
    assert len(keys) == len(set(keys))  # each obligation's period once
    today = date.fromisoformat(TODAY)
    earlier = [(process, label) for process, label in keys
               if label is not None and label < periods.period_of(
                   today, registry.get(process).recurrence.period).label]
    # every period due since 1 January that is before the current one (January to October's
    # months, three quarters, the first half-year ...), opened by the back-fill
    assert len(earlier) == printed["backfilled"] > 20
    assert ("akim_commission_meeting", "2026Q1") in earlier
    assert ("ethics_explanatory_event", "2026M01") in earlier
    again = _json(merzim("obligations", "sync", "--from", "2026-01-01", "--org", "AK-ALM-KRS",
                         "--json", today=TODAY))
    assert again["opened"] == []
    # the facts recorded for the back-filled periods count: the region's 4.1.1 takes in the
    # district's four quarters (one of three districts missed one), its own 4.2.3 an event
    if not installed("scorecard"):
        return
    region = _json(merzim("score", "AK-ALM", "--year", "2026", "--json", today=TODAY))
    commission = next(i for i in region["indicators"] if i["key"] == "4.1.1")
    assert (commission["inputs"]["units"], commission["inputs"]["missed"]) == (3, 1)
    assert commission["points"] > 0
    own = _json(merzim("score", "AK-ALM-KRS", "--year", "2026", "--json", today=TODAY))
    assert next(i["points"] for i in own["indicators"] if i["key"] == "4.2.3") > 0
