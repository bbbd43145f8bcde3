"""The evaluation scorecard of project No. 1: worked examples computed by hand from the formulas
of docs/scorecard.md (seed 001), then one programme recorded end to end through the database.

Formulas (docs/scorecard.md): 1.1.1 schedule -10; 1.1.2 order -10; 1.1.3 start announced and
1.2.1 discussion announced 0.3 per 10 %, max 3; 1.2.2 discussed 0.5 per 10 %, max 5, 0 below
40 %; 1.2.3 note -5; 1.3.1 plan -5; 1.3.2 published 0.3 per 10 %, max 3; 1.3.3 covered 0.3 per
1 %, max 30; risks +1 identified, +2 eliminated, +5 completed; 1.4.1 positions 0.5 per 10 %, max
5, -5 when not ensured (akimats and central bodies only); 1.5.1 cartogram 2 per section.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from workflow import services as svc
from workflow.core.errors import ConfigError, NotFound
from workflow.core.scorecard import (
    AnalysisFacts,
    ExternalFacts,
    ProgrammeFacts,
    RiskFacts,
    ScoreSettings,
    score,
)
from workflow.services import monitoring as ms
from workflow.storage.db import session as open_session
from workflow.storage.models import Recommendation

DEFAULT = ScoreSettings()
STEPS = ("ordered", "start_announced", "discussion_announced", "discussed", "note_signed",
         "plan_approved", "published", "positions_approved", "monitoring_closed")


def subdivisions(n: int, **done: int) -> list[AnalysisFacts]:
    """n analyses; for each step, the first done[step] of them did it (all by default)."""
    return [AnalysisFacts(id=i + 1, object=f"D{i + 1}", **{k: i < done.get(k, n) for k in STEPS})
            for i in range(n)]


def programme(n: int = 10, schedule: bool = True, risks=(), kind: str = "akimat",
              external: ExternalFacts | None = None, cartogram: int | None = None,
              **done: int) -> ProgrammeFacts:
    return ProgrammeFacts(subject="AK", subject_kind=kind, year=2026, schedule_approved=schedule,
                          analyses=subdivisions(n, **done), risks=list(risks), external=external,
                          cartogram_sections=cartogram)


def points(result) -> dict[str, float]:
    return {i["key"]: i["points"] for i in result["indicators"]}


def indicator(result, key: str) -> dict:
    return next(i for i in result["indicators"] if i["key"] == key)


def totals(result) -> tuple[float, float, float]:
    return result["awards"], result["deductions"], result["total"]


ELIMINATED_AND_COMPLETED = [RiskFacts(1, True, True), RiskFacts(2, True, True),
                            RiskFacts(3, True, True)]


# -- worked examples -------------------------------------------------------------------------------


def test_perfect_programme():
    result = score(programme(10, risks=ELIMINATED_AND_COMPLETED), DEFAULT)
    assert points(result) == {
        "1.1.1": 0,          # schedule approved
        "1.1.2": 0,          # 10 of 10 orders
        "1.1.3": 3.0,        # 100 % -> 10 steps x 0.3 = 3.0
        "1.2.1": 3.0,        # 100 % -> 10 x 0.3 = 3.0
        "1.2.2": 5.0,        # 100 % -> 10 x 0.5 = 5.0
        "1.2.3": 0,          # 10 of 10 notes
        "1.3.1": 0,          # 10 of 10 plans
        "1.3.2": 3.0,        # 100 % -> 10 x 0.3 = 3.0
        "1.3.3": 30.0,       # 100 % -> 100 x 0.3 = 30.0
        "1.3.3-risks": 24,   # 3 x 1 + 3 x 2 + 3 x 5 = 3 + 6 + 15 = 24
        "1.4.1": 5.0,        # 100 % -> 10 x 0.5 = 5.0
        "1.4.1-penalty": 0,  # every analysis has its list
        "1.5.1": 0,          # not evaluated: cartogram updates are not recorded (I-7)
    }
    # awards 3 + 3 + 5 + 3 + 30 + 24 + 5 = 73; no deduction
    assert totals(result) == (73.0, 0, 73.0)
    assert result["external_case"] is False
    assert (result["subject"], result["year"]) == ("AK", 2026)
    assert indicator(result, "1.1.3")["inputs"] == {"subdivisions": 10, "done": 10, "percent": 100.0}
    assert indicator(result, "1.3.3-risks")["inputs"] == {
        "identified": 3, "eliminated": 3, "completed": 3, "cumulative": True}
    assert indicator(result, "1.5.1")["kind"] == "info"
    kinds = {i["key"]: i["kind"] for i in result["indicators"]}
    assert kinds["1.1.1"] == kinds["1.1.2"] == kinds["1.2.3"] == kinds["1.3.1"] == "penalty"
    assert kinds["1.1.3"] == kinds["1.3.3"] == kinds["1.3.3-risks"] == "award"


def test_missing_schedule_and_one_missing_order_cost_20():
    result = score(programme(10, schedule=False, risks=ELIMINATED_AND_COMPLETED, ordered=9), DEFAULT)
    assert points(result)["1.1.1"] == -10
    assert points(result)["1.1.2"] == -10  # missing_document = "any": 9 of 10 is missing
    assert indicator(result, "1.1.2")["inputs"] == {"analyses": 10, "with_order": 9, "rule": "any"}
    # awards as the perfect programme (73); deductions -10 - 10 = -20; 73 - 20 = 53
    assert totals(result) == (73.0, -20, 53.0)


def test_55_percent_announcing_the_start():
    facts = programme(20, start_announced=11)  # 11 of 20 = 55 %
    floor = score(facts, DEFAULT)
    assert indicator(floor, "1.1.3")["inputs"] == {"subdivisions": 20, "done": 11, "percent": 55.0}
    assert points(floor)["1.1.3"] == 1.5  # floor(55 / 10) = 5 steps x 0.3 = 1.5
    # awards 1.5 + 3 + 5 + 3 + 30 + 0 (no risks) + 5 = 47.5
    assert totals(floor) == (47.5, 0, 47.5)
    linear = score(facts, ScoreSettings(steps="linear"))
    assert points(linear)["1.1.3"] == 1.65  # 55 / 10 = 5.5 steps x 0.3 = 1.65
    assert totals(linear) == (47.65, 0, 47.65)  # 47.5 - 1.5 + 1.65


def test_35_percent_discussing_in_public_gives_nothing_40_percent_gives_2():
    below = score(programme(20, discussed=7), DEFAULT)  # 7 / 20 = 35 % < 40 %
    assert points(below)["1.2.2"] == 0
    assert indicator(below, "1.2.2")["inputs"] == {"subdivisions": 20, "done": 7, "percent": 35.0,
                                                   "threshold": 40}
    assert totals(below) == (44.0, 0, 44.0)  # 3 + 3 + 0 + 3 + 30 + 0 + 5
    at = score(programme(20, discussed=8), DEFAULT)  # 8 / 20 = 40 %: 4 x 0.5 = 2.0
    assert points(at)["1.2.2"] == 2.0
    assert totals(at) == (46.0, 0, 46.0)  # 44 + 2
    # 9 / 20 = 45 %: floor 4 x 0.5 = 2.0, linear 4.5 x 0.5 = 2.25
    assert points(score(programme(20, discussed=9), DEFAULT))["1.2.2"] == 2.0
    assert points(score(programme(20, discussed=9), ScoreSettings(steps="linear")))[
        "1.2.2"] == 2.25
    # the threshold is a setting: at 30 %, 35 % gives floor(3.5) = 3 x 0.5 = 1.5
    assert points(score(programme(20, discussed=7),
                        ScoreSettings(discussion_min_percent=30)))["1.2.2"] == 1.5


def test_coverage_is_counted_per_1_percent():
    # 2 of 3 notes signed = 66.67 %: floor 66 x 0.3 = 19.8; linear 66.666... x 0.3 = 20.0
    facts = programme(3, note_signed=2)
    floor = score(facts, DEFAULT)
    assert points(floor)["1.3.3"] == 19.8
    assert indicator(floor, "1.3.3")["inputs"] == {"subdivisions": 3, "covered": 2, "percent": 66.67}
    assert points(floor)["1.2.3"] == -5  # one note missing
    # awards 3 + 3 + 5 + 3 + 19.8 + 0 + 5 = 38.8; -5; 33.8
    assert totals(floor) == (38.8, -5, 33.8)
    assert points(score(facts, ScoreSettings(steps="linear")))["1.3.3"] == 20.0


def test_external_analysis_case_evaluates_only_that_plan_and_says_so():
    external = ExternalFacts(completed_on=date(2025, 6, 15), items=8, items_fulfilled=6)
    # everything else missing: ignored, the internal analysis is not conducted that year
    result = score(programme(0, schedule=False, external=external), DEFAULT)
    assert result["external_case"] is True
    assert [i["key"] for i in result["indicators"]] == ["external"]
    ext = indicator(result, "external")
    assert ext["inputs"] == {"completed_on": "2025-06-15", "items": 8, "fulfilled": 6,
                             "percent": 75.0}
    assert ext["points"] == 22.5  # 6 / 8 = 75 % x 0.3 = 22.5
    assert ext["maximum"] == 30.0  # 100 x 0.3
    assert "external analysis" in ext["note"] and "not evaluated" in ext["note"]
    assert totals(result) == (22.5, 0, 22.5)
    # 2 of 3 = 66.67 %: floor 66 x 0.3 = 19.8, linear 20.0
    third = ExternalFacts(date(2025, 6, 15), 3, 2)
    assert score(programme(external=third), DEFAULT)["total"] == 19.8
    assert score(programme(external=third), ScoreSettings(steps="linear"))["total"] == 20.0
    # the scale is a setting: 75 % x 0.5 = 37.5 of 50
    half = score(programme(external=external), ScoreSettings(external_points_per_percent=0.5))
    assert (indicator(half, "external")["points"], indicator(half, "external")["maximum"]) == (
        37.5, 50.0)
    # a plan with no measures: 0 %
    assert score(programme(external=ExternalFacts(date(2025, 6, 15), 0, 0)), DEFAULT)["total"] == 0


# -- settings variants ---------------------------------------------------------------------------


def test_missing_document_any_or_all():
    nine = programme(10, ordered=9, note_signed=9, plan_approved=9)
    # any: 9 of 10 -> -10 (order), -5 (note), -5 (plan)
    got = points(score(nine, DEFAULT))
    assert (got["1.1.2"], got["1.2.3"], got["1.3.1"]) == (-10, -5, -5)
    # all: only when none has it -> nothing for 9 of 10
    settings = ScoreSettings(missing_document="all")
    got = points(score(nine, settings))
    assert (got["1.1.2"], got["1.2.3"], got["1.3.1"]) == (0, 0, 0)
    none = programme(10, ordered=0, note_signed=0, plan_approved=0)
    got = points(score(none, settings))
    assert (got["1.1.2"], got["1.2.3"], got["1.3.1"]) == (-10, -5, -5)
    # 9 of 10 notes under "all": coverage 90 % x 0.3 = 27, awards 3 + 3 + 5 + 3 + 27 + 5 = 46
    assert totals(score(nine, settings)) == (46.0, 0, 46.0)


def test_risk_points_cumulative_or_highest_only():
    risks = [RiskFacts(1, True, True), RiskFacts(2, True, False), RiskFacts(3, False, False)]
    # cumulative: 3 identified x 1 + 2 eliminated x 2 + 1 completed x 5 = 3 + 4 + 5 = 12
    assert points(score(programme(risks=risks), DEFAULT))["1.3.3-risks"] == 12
    # highest only: 5 (completed) + 2 (eliminated) + 1 (identified) = 8
    assert points(score(programme(risks=risks), ScoreSettings(risk_points_cumulative=False)))[
        "1.3.3-risks"] == 8


def test_positions_penalty_and_who_is_evaluated():
    nobody = programme(10, positions_approved=0)
    got = points(score(nobody, DEFAULT))
    assert (got["1.4.1"], got["1.4.1-penalty"]) == (0, -5)  # none has its list
    nine = programme(10, positions_approved=9)
    got = points(score(nine, DEFAULT))
    assert (got["1.4.1"], got["1.4.1-penalty"]) == (4.5, 0)  # 90 %: 9 x 0.5 = 4.5
    got = points(score(nine, ScoreSettings(positions_penalty="below_100")))
    assert (got["1.4.1"], got["1.4.1-penalty"]) == (4.5, -5)
    # awards 3 + 3 + 5 + 3 + 30 + 0 + 4.5 = 48.5; -5; 43.5
    assert totals(score(nine, ScoreSettings(positions_penalty="below_100"))) == (48.5, -5, 43.5)
    # a department is not evaluated in 1.4.1: shown as information, no penalty indicator
    dept = score(programme(10, kind="department", positions_approved=0), DEFAULT)
    assert indicator(dept, "1.4.1")["kind"] == "info"
    assert indicator(dept, "1.4.1")["inputs"] == {"subject_kind": "department"}
    assert "1.4.1-penalty" not in points(dept)
    assert totals(dept) == (44.0, 0, 44.0)  # 3 + 3 + 5 + 3 + 30
    # a central body is evaluated; the kinds are a setting
    assert points(score(programme(10, kind="central_body"), DEFAULT))["1.4.1"] == 5.0
    only_akimats = ScoreSettings(positions_kinds=("akimat",))
    assert indicator(score(programme(10, kind="central_body"), only_akimats), "1.4.1")["kind"] == "info"


def test_cartogram_only_for_akimats_when_recorded():
    # 3 sections x 2 = 6
    assert points(score(programme(cartogram=3), DEFAULT))["1.5.1"] == 6.0
    # awards 3 + 3 + 5 + 3 + 30 + 0 + 5 = 49, plus 6 = 55
    assert totals(score(programme(cartogram=3), DEFAULT)) == (55.0, 0, 55.0)
    assert points(score(programme(cartogram=3), ScoreSettings(cartogram_points=1.5)))["1.5.1"] == 4.5
    dept = score(programme(kind="department", cartogram=3), DEFAULT)
    assert (indicator(dept, "1.5.1")["points"], indicator(dept, "1.5.1")["kind"]) == (0, "info")


def test_programme_without_analyses():
    result = score(programme(0), DEFAULT)
    got = points(result)
    # no order, note or plan at all: -10 - 5 - 5; no positions list: -5; shares of nothing are 0
    assert (got["1.1.2"], got["1.2.3"], got["1.3.1"], got["1.4.1-penalty"]) == (-10, -5, -5, -5)
    assert got["1.1.3"] == got["1.2.2"] == got["1.3.3"] == 0
    assert indicator(result, "1.1.3")["inputs"]["percent"] == 0
    assert totals(result) == (0, -25, -25)
    # ... even under "all"
    assert score(programme(0), ScoreSettings(missing_document="all"))["deductions"] == -25


def test_settings_from_config():
    assert ScoreSettings.from_config(None) == DEFAULT
    assert ScoreSettings.from_config({}) == DEFAULT
    got = ScoreSettings.from_config({"steps": "linear", "positions_kinds": ["akimat"],
                                     "discussion_min_percent": 30, "risk_points_cumulative": False,
                                     "missing_document": "all", "positions_penalty": "below_100",
                                     "external_points_per_percent": 0.5})
    assert got == ScoreSettings(steps="linear", positions_kinds=("akimat",),
                                discussion_min_percent=30, risk_points_cumulative=False,
                                missing_document="all", positions_penalty="below_100",
                                external_points_per_percent=0.5)


@pytest.mark.parametrize("raw, fragment", [
    ({"step": "floor"}, "scorecard.step: unknown setting"),
    ({"steps": "round"}, "scorecard.steps"),
    ({"missing_document": "some"}, "scorecard.missing_document"),
    ({"positions_penalty": "always"}, "scorecard.positions_penalty"),
    ({"discussion_min_percent": "forty"}, "scorecard.discussion_min_percent"),
    ({"risk_points_cumulative": "no"}, "scorecard.risk_points_cumulative"),
    ({"external_years_back": 1.5}, "scorecard.external_years_back"),
    ({"cartogram_points": True}, "scorecard.cartogram_points"),
    ({"positions_kinds": "akimat"}, "scorecard.positions_kinds"),
])
def test_settings_from_config_refuse_unknown_keys_and_bad_values(raw, fragment):
    with pytest.raises(ConfigError) as err:
        ScoreSettings.from_config(raw)
    assert fragment in err.value.message, err.value.message


# -- end to end: the facts read from a recorded programme ----------------------------------------------

TODAY = date(2027, 3, 1)
DOC = {"number": "15-ө", "signed_by": "Akim"}
LINK = {"url": "https://gov.kz/memleket/entities/ak/press/news/1"}
STORY = [
    ("order", date(2025, 9, 15), DOC),
    ("start_announcement", date(2025, 9, 16), LINK),
    ("analysis_start", date(2025, 10, 1), {}),
    ("discussion_announcement", date(2025, 10, 20), LINK),
    ("public_discussion", date(2025, 10, 30), {"number": "3", **LINK}),
    ("analysis_end", date(2025, 11, 10), {}),
    ("analytic_note", date(2025, 11, 20), DOC),
    ("positions_list", date(2025, 11, 24), DOC),
    ("action_plan", date(2025, 12, 2), DOC),
    ("publication", date(2025, 12, 4), LINK),
]
PERIODS = {"2025Q4": date(2026, 1, 5), "2026Q1": date(2026, 4, 6), "2026Q2": date(2026, 7, 7),
           "2026Q3": date(2026, 10, 5), "2026Q4": date(2027, 1, 5)}


@pytest.fixture
def recorded(db, make_ctx):
    """The akimat's 2025 programme: one analysis closed, one begun, one cancelled; and the
    ministry, which had an external analysis on 15 June 2025."""
    ctx = make_ctx(TODAY)
    with open_session(db) as s:
        for code, name, kind, parent in [("AK", "Akimat", "akimat", None),
                                         ("AK-EDU", "Education department", "department", "AK"),
                                         ("AK-HLTH", "Health department", "department", "AK"),
                                         ("MF", "Ministry of Finance", "central_body", None),
                                         ("MF-KGD", "State Revenue Committee", "committee", "MF")]:
            svc.add_org(s, ctx, code, name, kind, parent)

        def plan(obj, start=date(2025, 10, 1), end=date(2025, 11, 10)):
            return svc.plan_analysis(s, ctx, "AK", obj, start, end).analysis.id

        def record(aid, event, on, evidence):
            svc.record_event(s, ctx, aid, event, on, dict(evidence))

        def measure(rec_id, form, responsible, **owner):
            ms.import_plan(s, ctx, [{"measure": f"Measure for {rec_id}", "completion_form": form,
                                     "deadline": "2026-06-30", "responsible": responsible,
                                     "recommendation": str(rec_id)}], **owner)

        def fulfil(rec_id, form):
            ms.set_status(s, ctx, rec_id, "fulfilled", date(2026, 7, 1), {"form": form, "number": "7"})

        def risk_with(statuses, **owner):
            risk = ms.add_risk(s, ctx, "A risk", **owner)
            for st in statuses:
                rec = ms.add_recommendation(s, ctx, risk.id, "Do something")
                if st != "not_started":
                    if st == "fulfilled":
                        responsible = "MF-KGD" if "external_id" in owner else (
                            "AK-EDU" if owner.get("analysis_id") == a1 else "AK-HLTH")
                        measure(rec.id, "Order", responsible, **owner)
                        fulfil(rec.id, "Order")
                    else:
                        ms.set_status(s, ctx, rec.id, st, date(2026, 7, 1), {})
            return risk.id

        a1, a2, a3 = plan("AK-EDU"), plan("AK-HLTH"), plan("AK")
        for event, on, evidence in STORY:
            record(a1, event, on, evidence)
        record(a2, "order", date(2025, 9, 15), DOC)
        record(a2, "start_announcement", date(2025, 9, 16), LINK)
        record(a3, "order", date(2025, 9, 15), DOC)
        record(a3, "cancel", date(2025, 9, 20), {"note": "Reorganised"})
        r1 = risk_with(["fulfilled"], analysis_id=a1)                  # eliminated, completed
        r2 = risk_with(["fulfilled", "in_progress"], analysis_id=a1)   # not eliminated
        r3 = risk_with([], analysis_id=a1)                             # no recommendation
        r4 = risk_with(["fulfilled"], analysis_id=a2)                  # eliminated, not closed
        risk_with(["fulfilled"], analysis_id=a3)                       # cancelled: not counted
        for period, due in PERIODS.items():
            record(a1, "monitoring_report", due, {"period": period})
            record(a1, "monitoring_review", due, {"period": period})
        record(a1, "monitoring_note", date(2027, 1, 20), DOC)
        svc.record_schedule(s, ctx, "AK", 2025, date(2025, 2, 3), dict(DOC))
        plan("AK-EDU", date(2026, 2, 2), None)  # next year's programme: not part of 2025

        ext = svc.add_external(s, ctx, "MF", date(2025, 6, 15)).id
        e1 = risk_with(["fulfilled"], external_id=ext)
        e2 = risk_with(["in_progress"], external_id=ext)
        ms.import_plan(s, ctx, [{"measure": "Unlinked", "completion_form": "Report",
                                 "deadline": "2026-03-31", "responsible": "MF"}], external_id=ext)
        rec_of_e2 = s.exec(select(Recommendation).where(Recommendation.risk_id == e2)).one().id
        measure(rec_of_e2, "Letter", "MF-KGD", external_id=ext)
        svc.record_schedule(s, ctx, "MF", 2026, date(2026, 2, 2), dict(DOC))
        svc.record_schedule(s, ctx, "MF", 2027, date(2027, 2, 1), dict(DOC))
        s.commit()
    return {"a1": a1, "a2": a2, "risks": [r1, r2, r3, r4], "external": ext, "e1": e1}


def test_programme_facts_read_from_the_recorded_data(db, recorded):
    with open_session(db) as s:
        prog = ms.find_programme(s, "AK:2025")
        assert ms.find_programme(s, str(prog.id)).id == prog.id
        facts = ms.programme_facts(s, prog, DEFAULT)
    a1, a2 = recorded["a1"], recorded["a2"]
    r1, r2, r3, r4 = recorded["risks"]
    assert facts == ProgrammeFacts(
        subject="AK", subject_kind="akimat", year=2025, schedule_approved=True,
        analyses=[AnalysisFacts(a1, "AK-EDU", ordered=True, start_announced=True,
                                discussion_announced=True, discussed=True,
                                note_signed=True, plan_approved=True, published=True,
                                positions_approved=True, monitoring_closed=True),
                  AnalysisFacts(a2, "AK-HLTH", ordered=True, start_announced=True)],
        risks=[RiskFacts(r1, True, True), RiskFacts(r2, False, False), RiskFacts(r3, False, False),
               RiskFacts(r4, True, False)])
    result = score(facts, DEFAULT)
    assert points(result) == {
        "1.1.1": 0,          # schedule approved
        "1.1.2": 0,          # 2 of 2 orders (the cancelled analysis does not count)
        "1.1.3": 3.0,        # 2 / 2 = 100 % -> 3.0
        "1.2.1": 1.5,        # 1 / 2 = 50 % -> 5 x 0.3
        "1.2.2": 2.5,        # 50 % >= 40 % -> 5 x 0.5
        "1.2.3": -5,         # one note missing
        "1.3.1": -5,         # one plan missing
        "1.3.2": 1.5,        # 50 % -> 5 x 0.3
        "1.3.3": 15.0,       # 50 % x 0.3
        "1.3.3-risks": 13,   # 4 identified + 2 eliminated x 2 + 1 completed x 5 = 4 + 4 + 5
        "1.4.1": 2.5,        # 50 % -> 5 x 0.5
        "1.4.1-penalty": 0,  # one analysis has its list
        "1.5.1": 0,
    }
    # awards 3 + 1.5 + 2.5 + 1.5 + 15 + 13 + 2.5 = 39; deductions -10; total 29
    assert totals(result) == (39.0, -10, 29.0)


def test_external_analysis_within_a_year_replaces_the_internal_scorecard(db, recorded):
    with open_session(db) as s:
        facts = ms.programme_facts(s, ms.find_programme(s, "MF:2026"), DEFAULT)
        later = ms.programme_facts(s, ms.find_programme(s, "MF:2027"), DEFAULT)
        narrow = ms.programme_facts(s, ms.find_programme(s, "MF:2026"),
                                    ScoreSettings(external_years_back=0))
        for ref in ("MF:2025", "MF:abc", "NOPE:2026", "9999", "abc"):
            with pytest.raises(NotFound):
                ms.find_programme(s, ref)
    # 3 measures: fulfilled, not fulfilled, unlinked -> 1 of 3
    assert facts.external == ExternalFacts(date(2025, 6, 15), 3, 1)
    assert (facts.subject, facts.subject_kind, facts.year, facts.analyses) == ("MF", "central_body",
                                                                                2026, [])
    result = score(facts, DEFAULT)
    assert result["external_case"] is True
    assert [i["key"] for i in result["indicators"]] == ["external"]
    assert result["total"] == 9.9  # 33.33 % -> floor 33 x 0.3 = 9.9
    # 2027: the external analysis (2025) is outside [2026, 2027]: the internal scorecard
    assert later.external is None and narrow.external is None
    result = score(later, DEFAULT)
    assert result["external_case"] is False
    # no analysis: order -10, note -5, plan -5, positions -5 (central body); schedule approved
    assert totals(result) == (0, -25, -25)
