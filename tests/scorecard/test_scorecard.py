"""The evaluation scorecard of project No. 1: worked examples computed by hand from the formulas
of docs/scorecard.md (seed 001), on organisation trees.

Formulas (docs/scorecard.md): 1.1.1 schedule -10; 1.1.2 order -10; 1.1.3 start announced and
1.2.1 discussion announced 0.3 per 10 % of subdivisions, max 3; 1.2.2 discussed 0.5 per 10 %,
max 5, 0 below 40 %; 1.2.3 note -5; 1.3.1 plan -5; 1.3.2 published 0.3 per 10 %, max 3; 1.3.3
covered 0.3 per 1 %, max 30; risks +1 identified, +2 eliminated, +5 completed; 1.4.1 positions
0.5 per 10 % of the subordinate bodies and supervised QSEs, max 5, -5 when not ensured (akimats
and central bodies only); 1.5.1 cartogram 2 per department/district section updated.
Subdivisions (001:L176-185): a central body's apparatus departments, independent directorates,
committees and their territorial departments; an akimat's akim apparatus and departments.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.features import module_of
from tests.support.score_helpers import DOC, LINK, STORY, TODAY, record_ministry
from workflow.core.errors import ConfigError
from workflow.scorecard.rules import (
    STEP_ROLES,
    AnalysisFacts,
    ExternalFacts,
    Org,
    RiskFacts,
    ScoreSettings,
    Step,
    SubjectFacts,
    score,
    subdivisions,
    subordinate_bodies,
)

DEFAULT = ScoreSettings()
AFTER_2025 = date(2026, 2, 2)  # every stage of 2025 is due: nothing provisional
DONE = Step(done=True)
OVERDUE = Step(open=True, due=date(2025, 6, 30))
ALL = tuple(r for r in STEP_ROLES if r != "cartogram_updated")


def analysis(ident: int, obj: str, subject: str, done=ALL, start=date(2025, 3, 3), others=None,
             cancelled: bool = False, closed: bool = False) -> AnalysisFacts:
    """An analysis whose `done` roles are done; the other roles overdue (or `others`)."""
    steps = {role: DONE if role in done else (others or OVERDUE) for role in STEP_ROLES}
    return AnalysisFacts(ident, subject, obj, start, steps, monitoring_closed=closed,
                         cancelled=cancelled)


def facts(subject: str, kind: str, tree, analyses, year=2025, today=AFTER_2025, schedule=True,
          risks=(), external=None, cartogram=False) -> SubjectFacts:
    return SubjectFacts(subject=subject, subject_kind=kind, year=year, today=today,
                        tree=tuple(Org(*o) for o in tree), analyses=tuple(analyses),
                        schedule_approved=schedule, risks=tuple(risks), external=external,
                        cartogram_recorded=cartogram)


def points(result) -> dict[str, float]:
    return {i["key"]: i["points"] for i in result["indicators"]}


def indicator(result, key: str) -> dict:
    return next(i for i in result["indicators"] if i["key"] == key)


def totals(result) -> tuple[float, float, float]:
    return result["awards"], result["deductions"], result["total"]


def departments(n: int, subject: str = "AK", kind: str = "akimat"):
    """An akimat with n departments (its subdivisions and its subordinate bodies)."""
    return [(subject, kind, None)] + [(f"D{i}", "department", subject) for i in range(1, n + 1)]


def all_done(n: int, subject: str = "AK", **done_count: int):
    """One analysis per department; for each role the first done_count[role] did it."""
    return [analysis(i, f"D{i}", subject,
                     done=tuple(r for r in ALL if i <= done_count.get(r, n))) for i in range(1, n + 1)]


# -- the organisation tree -------------------------------------------------------------------------

MINISTRY = [("MIN", "central_body", None),
            ("MIN-D1", "apparatus_department", "MIN"), ("MIN-D2", "apparatus_department", "MIN"),
            ("MIN-D3", "apparatus_department", "MIN"), ("MIN-IA", "independent_directorate", "MIN"),
            ("MIN-K1", "committee", "MIN"),
            ("MIN-K1-T1", "territorial_department", "MIN-K1"),
            ("MIN-K1-T2", "territorial_department", "MIN-K1"),
            ("MIN-K1-T3", "territorial_department", "MIN-K1"),
            ("MIN-K2", "committee", "MIN"),
            ("MIN-K2-T1", "territorial_department", "MIN-K2"),
            ("MIN-QS", "quasi_state", "MIN")]
REGION = [("OBL", "akimat", None), ("OBL-APP", "akim_apparatus", "OBL"),
          ("OBL-EDU", "department", "OBL"), ("OBL-HLT", "department", "OBL"),
          ("OBL-FIN", "department", "OBL"),
          ("OBL-D1", "district_akimat", "OBL"), ("OBL-D1-EDU", "department", "OBL-D1"),
          ("OBL-D2", "district_akimat", "OBL"),
          ("OBL-QS1", "quasi_state", "OBL"), ("OBL-QS2", "quasi_state", "OBL")]


def test_subdivisions_come_from_the_tree():
    tree = [Org(*o) for o in MINISTRY]
    # 001:L176-180: departments and independent directorates of the central apparatus,
    # committees and their territorial departments; not the supervised QSE
    assert subdivisions("MIN", tree, DEFAULT) == (
        "MIN-D1", "MIN-D2", "MIN-D3", "MIN-IA", "MIN-K1", "MIN-K1-T1", "MIN-K1-T2", "MIN-K1-T3",
        "MIN-K2", "MIN-K2-T1")
    # a committee: its direct subordinate state bodies; a territorial department: itself
    assert subdivisions("MIN-K1", tree, DEFAULT) == ("MIN-K1-T1", "MIN-K1-T2", "MIN-K1-T3")
    assert subdivisions("MIN-K2-T1", tree, DEFAULT) == ("MIN-K2-T1",)
    assert subdivisions("MIN-K1", tree, ScoreSettings(other_subdivisions="self")) == ("MIN-K1",)
    # 001:L181-185: the akim's apparatus and the regional departments, not the districts' ones
    region = [Org(*o) for o in REGION]
    assert subdivisions("OBL", region, DEFAULT) == ("OBL-APP", "OBL-EDU", "OBL-HLT", "OBL-FIN")
    assert subdivisions("OBL-D1", region, DEFAULT) == ("OBL-D1-EDU",)
    assert subdivisions("OBL-D2", region, DEFAULT) == ("OBL-D2",)
    assert subdivisions("OBL-QS1", region, DEFAULT) == ("OBL-QS1",)
    # 1.4.1 (001:L212-216): subordinate state bodies and supervised QSEs, at every level
    assert subordinate_bodies("MIN", tree, DEFAULT) == (
        "MIN-K1", "MIN-K1-T1", "MIN-K1-T2", "MIN-K1-T3", "MIN-K2", "MIN-K2-T1", "MIN-QS")
    assert subordinate_bodies("OBL", region, DEFAULT) == (
        "OBL-EDU", "OBL-HLT", "OBL-FIN", "OBL-D1", "OBL-D1-EDU", "OBL-D2", "OBL-QS1", "OBL-QS2")


# -- worked scorecards -------------------------------------------------------------------------------


def test_ministry_with_subdivisions_never_analysed():
    """10 subdivisions (3 apparatus departments, 1 independent directorate, 2 committees,
    4 territorial departments); 6 analysed, 4 never (MIN-D3, MIN-K1-T2, MIN-K1-T3, MIN-K2)."""
    start, disc_ann, disc, note, plan, pub, pos = ("start_announced", "discussion_announced",
                                                   "discussed", "note_signed", "plan_approved",
                                                   "published", "positions_approved")
    analyses = [
        analysis(1, "MIN-D1", "MIN", closed=True),                        # everything
        analysis(2, "MIN-D2", "MIN", done=("ordered", start, disc_ann, disc, note)),
        analysis(3, "MIN-IA", "MIN", done=("ordered", start, note, plan, pub)),
        analysis(4, "MIN-K1", "MIN"),                                     # everything
        analysis(5, "MIN-K1-T1", "MIN-K1",
                 done=("ordered", start, disc_ann, note, plan, pub, pos)),
        analysis(6, "MIN-K2-T1", "MIN-K2", done=("ordered", start, disc_ann, disc, pos)),
    ]
    risks = [RiskFacts(1, True, True, 1), RiskFacts(2, False, False, 1)]
    result = score(facts("MIN", "central_body", MINISTRY, analyses, risks=risks), DEFAULT)
    assert points(result) == {
        "1.1.1": 0,          # schedule approved
        "1.1.2": 0,          # every analysed object has its order
        "1.1.3": 1.8,        # D1 D2 IA K1 K1-T1 K2-T1: 6 of 10 = 60 % -> 6 x 0.3
        "1.2.1": 1.5,        # D1 D2 K1 K1-T1 K2-T1: 5 of 10 = 50 % -> 5 x 0.3
        "1.2.2": 2.0,        # D1 D2 K1 K2-T1: 4 of 10 = 40 %, not below 40 -> 4 x 0.5
        "1.2.3": -5,         # K2-T1 has no note
        "1.3.1": -5,         # D2 and K2-T1 have no plan
        "1.3.2": 1.2,        # D1 IA K1 K1-T1: 40 % -> 4 x 0.3
        "1.3.3": 15.0,       # notes D1 D2 IA K1 K1-T1: 5 of 10 = 50 % -> 50 x 0.3
        "1.3.3-risks": 9,    # 2 identified + 1 eliminated x 2 + 1 completed x 5
        "1.4.1": 2.0,        # K1, K1-T1, K2-T1 of 7 bodies (K1 K1-T1..T3 K2 K2-T1 QS) = 42.86 % -> 4 x 0.5
        "1.4.1-penalty": 0,  # some body has its list
        "1.5.1": 0,          # a central body: not evaluated
    }
    # awards 1.8 + 1.5 + 2.0 + 1.2 + 15.0 + 9 + 2.0 = 32.5; deductions -10; total 22.5
    assert totals(result) == (32.5, -10, 22.5)
    assert result["provisional_until"] is None
    assert indicator(result, "1.1.3")["inputs"] == {
        "unit": "subdivision", "units": 10, "done": 6, "pending": 0, "percent": 60.0,
        "step_percent": 10, "steps": 6, "per_step": 0.3}
    assert indicator(result, "1.3.1")["inputs"] == {"analyses": 6, "done": 4, "pending": 0,
                                                    "missing": 2, "rule": "any"}
    assert indicator(result, "1.4.1")["inputs"]["units"] == 7
    assert indicator(result, "1.5.1")["note"] == "cartogram_kind"


def test_twenty_subdivisions_one_analysed_scores_5_percent_coverage():
    tree = [("CB", "central_body", None)] + [(f"CB-D{i}", "apparatus_department", "CB")
                                             for i in range(1, 21)]
    result = score(facts("CB", "central_body", tree, [analysis(1, "CB-D1", "CB")]), DEFAULT)
    cover = indicator(result, "1.3.3")
    assert (cover["inputs"]["units"], cover["inputs"]["done"], cover["inputs"]["percent"]) == (
        20, 1, 5.0)
    assert cover["points"] == 1.5  # 5 % x 0.3, not 100 % and 30
    assert points(result)["1.1.3"] == 0  # 5 %: no whole 10 % step
    assert points(result)["1.4.1"] == 0 and indicator(result, "1.4.1")["note"] == "no_bodies"


def test_regional_akimat_with_departments_districts_and_qses():
    """Subdivisions: the akim's apparatus and 3 departments (FIN's analysis was cancelled);
    positions over 8 bodies; cartogram sections: 3 departments and 2 districts."""
    start, disc_ann, note, plan, pos, cart = (
        "start_announced", "discussion_announced", "note_signed", "plan_approved",
        "positions_approved", "cartogram_updated")
    analyses = [
        analysis(1, "OBL-APP", "OBL"),
        analysis(2, "OBL-EDU", "OBL", done=(*ALL, cart)),
        analysis(3, "OBL-HLT", "OBL", done=("ordered", start, disc_ann, note, plan, pos, cart)),
        analysis(4, "OBL-FIN", "OBL", cancelled=True),
        analysis(5, "OBL-D1-EDU", "OBL-D1", done=(*ALL, cart)),
        analysis(6, "OBL-D1", "OBL-D1"),
        analysis(7, "OBL-QS1", "OBL-QS1", done=(pos,)),
    ]
    risks = [RiskFacts(1, False, False, 2), RiskFacts(2, True, True, 4)]
    region = facts("OBL", "akimat", REGION, analyses, schedule=False, cartogram=True, risks=risks)
    result = score(region, DEFAULT)
    assert points(result) == {
        "1.1.1": -10,        # no schedule
        "1.1.2": -10,        # FIN's analysis was cancelled: its object has no order
        "1.1.3": 2.1,        # APP EDU HLT: 3 of 4 = 75 % -> 7 x 0.3
        "1.2.1": 2.1,        # APP EDU HLT: 75 %
        "1.2.2": 2.5,        # APP EDU: 50 % -> 5 x 0.5
        "1.2.3": -5,         # FIN: no note
        "1.3.1": -5,         # FIN: no plan
        "1.3.2": 1.5,        # APP EDU: 50 % -> 5 x 0.3
        "1.3.3": 22.5,       # APP EDU HLT: 75 % x 0.3
        "1.3.3-risks": 1,    # one risk (EDU); the cancelled analysis's risk does not count
        "1.4.1": 3.0,        # EDU HLT D1 D1-EDU QS1 of 8 = 62.5 % -> 6 x 0.5
        "1.4.1-penalty": 0,
        "1.5.1": 6.0,        # EDU HLT and D1 (its department's analysis) of 5 sections x 2
    }
    # awards 2.1 + 2.1 + 2.5 + 1.5 + 22.5 + 1 + 3.0 + 6.0 = 40.7; deductions -30; total 10.7
    assert totals(result) == (40.7, -30, 10.7)
    assert indicator(result, "1.5.1")["inputs"] == {"unit": "section", "units": 5, "done": 3,
                                                    "pending": 0, "per_unit": 2}
    # the district akimat: its subdivision is its department (done); its own analysis counts
    # for its documents; 1.4.1 and 1.5.1 are not evaluated for a district
    district = score(facts("OBL-D1", "district_akimat",
                           [("OBL-D1", "district_akimat", None),
                            ("OBL-D1-EDU", "department", "OBL-D1")],
                           analyses[4:6], schedule=False), DEFAULT)
    # 3 + 3 + 5 + 3 + 30 = 44; schedule -10; total 34
    assert totals(district) == (44.0, -10, 34.0)
    assert indicator(district, "1.4.1")["kind"] == indicator(district, "1.5.1")["kind"] == "info"
    # the cartogram is not evaluated while the definition does not record it (I-7)
    unrecorded = score(facts("OBL", "akimat", REGION, analyses, schedule=False, risks=risks),
                       DEFAULT)
    assert indicator(unrecorded, "1.5.1")["note"] == "cartogram_unrecorded"
    assert unrecorded["total"] == 4.7  # 10.7 - 6


def test_a_cancelled_analysis_lowers_the_score():
    tree = departments(4)
    first = analysis(1, "D1", "AK")
    second = analysis(2, "D2", "AK", done=("ordered", "start_announced"))
    before = score(facts("AK", "akimat", tree, [first, second]), DEFAULT)
    assert points(before) == {
        "1.1.1": 0, "1.1.2": 0,
        "1.1.3": 1.5,        # D1 D2 of 4 = 50 % -> 5 x 0.3
        "1.2.1": 0.6,        # D1: 25 % -> 2 x 0.3
        "1.2.2": 0,          # 25 % < 40 %
        "1.2.3": -5, "1.3.1": -5,  # D2: no note, no plan
        "1.3.2": 0.6,        # 25 %
        "1.3.3": 7.5,        # 25 % x 0.3
        "1.3.3-risks": 0,
        "1.4.1": 1.0,        # D1 of 4 bodies = 25 % -> 2 x 0.5
        "1.4.1-penalty": 0, "1.5.1": 0,
    }
    assert totals(before) == (11.2, -10, 1.2)  # 1.5 + 0.6 + 0.6 + 7.5 + 1.0
    cancelled = AnalysisFacts(2, "AK", "D2", second.start, second.steps, cancelled=True)
    after = score(facts("AK", "akimat", tree, [first, cancelled]), DEFAULT)
    # D2 did nothing now: start 25 % -> 0.6; its order, note and plan are missing: -10 - 5 - 5
    assert points(after)["1.1.3"] == 0.6
    assert (points(after)["1.1.2"], points(after)["1.2.3"], points(after)["1.3.1"]) == (-10, -5, -5)
    assert totals(after) == (10.3, -20, -9.7)  # 0.6 + 0.6 + 0.6 + 7.5 + 1.0
    assert after["total"] < before["total"]
    # planned again after the cancellation: the new analysis counts, the cancelled one is gone
    again = analysis(3, "D2", "AK", done=("ordered", "start_announced"))
    assert score(facts("AK", "akimat", tree, [first, cancelled, again]), DEFAULT)["total"] == 1.2


def test_cancelling_never_raises_a_score():
    """Every analysis of every example, cancelled in turn: the total never goes up."""
    trees = {"MIN": ("central_body", MINISTRY), "OBL": ("akimat", REGION)}
    examples = {
        "MIN": [analysis(1, "MIN-D1", "MIN"), analysis(2, "MIN-D2", "MIN", done=("ordered",)),
                analysis(3, "MIN-K1-T1", "MIN-K1", done=("positions_approved",))],
        "OBL": [analysis(1, "OBL-APP", "OBL", done=("start_announced",)),
                analysis(2, "OBL-EDU", "OBL"), analysis(3, "OBL-QS1", "OBL-QS1")],
    }
    for code, analyses in examples.items():
        kind, tree = trees[code]
        for setting in (DEFAULT, ScoreSettings(missing_document="all",
                                               positions_penalty="below_100")):
            base = score(facts(code, kind, tree, analyses), setting)["total"]
            for i, a in enumerate(analyses):
                gone = AnalysisFacts(a.id, a.subject, a.object, a.start, a.steps, cancelled=True)
                changed = [*analyses[:i], gone, *analyses[i + 1:]]
                assert score(facts(code, kind, tree, changed), setting)["total"] <= base, (code, i)


def test_provisional_score_with_stages_not_yet_due():
    """2026, seen on 4 May: D1's analysis is half done, D2's starts on 1 June."""
    today = date(2026, 5, 4)
    d1 = AnalysisFacts(1, "AK", "D1", date(2026, 3, 2), {
        **{r: DONE for r in ("ordered", "start_announced", "discussion_announced", "discussed",
                             "note_signed", "positions_approved")},
        "plan_approved": Step(open=True, due=date(2026, 5, 15)),
        "published": Step(open=True, due=date(2026, 5, 20))})
    d2 = AnalysisFacts(2, "AK", "D2", date(2026, 6, 1), {
        "ordered": Step(open=True, due=date(2026, 5, 18)),
        "start_announced": Step(open=True, due=date(2026, 5, 18)),
        "discussion_announced": Step(open=True, due=date(2026, 6, 29)),
        "discussed": Step(open=True, due=date(2026, 7, 6)),
        "note_signed": Step(open=True, due=date(2026, 7, 27)),
        "positions_approved": Step(open=True, due=date(2026, 7, 27)),
        "plan_approved": Step(open=True, due=date(2026, 8, 10)),
        "published": Step(open=True, due=date(2026, 8, 13))})
    now = score(facts("AK", "akimat", departments(2), [d1, d2], year=2026, today=today), DEFAULT)
    assert points(now) == {
        "1.1.1": 0,
        "1.1.2": 0,          # D1 has it, D2's is due on 18 May: not deducted
        "1.1.3": 1.5,        # D1 of 2 = 50 % -> 5 x 0.3 (D2 not yet due: not awarded)
        "1.2.1": 1.5, "1.2.2": 2.5,
        "1.2.3": 0, "1.3.1": 0,  # not yet due
        "1.3.2": 0,          # nobody has published yet, nobody had to
        "1.3.3": 15.0,       # 50 % x 0.3
        "1.3.3-risks": 0,
        "1.4.1": 2.5,        # D1 of 2 bodies = 50 % -> 5 x 0.5
        "1.4.1-penalty": 0, "1.5.1": 0,
    }
    assert totals(now) == (23.0, 0, 23.0)
    assert now["provisional_until"] == date(2026, 8, 13)  # the last stage counted falls due
    assert indicator(now, "1.1.2")["pending_until"] == date(2026, 5, 18)
    assert indicator(now, "1.3.1")["pending_until"] == date(2026, 8, 10)
    assert indicator(now, "1.1.3")["inputs"]["pending"] == 1
    # nothing more recorded by September: every stage is due, the missing ones are deducted
    later = score(facts("AK", "akimat", departments(2), [d1, d2], year=2026,
                        today=date(2026, 9, 1)), DEFAULT)
    assert (points(later)["1.1.2"], points(later)["1.2.3"], points(later)["1.3.1"]) == (-10, -5, -5)
    assert totals(later) == (23.0, -20, 3.0)
    assert later["provisional_until"] is None
    # a schedule not yet approved is not deducted before the first analysis starts (1 June)
    unscheduled = score(facts("AK", "akimat", departments(2), [d2], year=2026, today=today,
                              schedule=False), DEFAULT)
    assert points(unscheduled)["1.1.1"] == 0
    assert indicator(unscheduled, "1.1.1")["pending_until"] == date(2026, 6, 1)
    # no analysis at all in 2026: the documents are due at the year's end
    empty = score(facts("AK", "akimat", departments(2), [], year=2026, today=today), DEFAULT)
    assert empty["deductions"] == 0 and empty["provisional_until"] == date(2026, 12, 31)


# -- the formulas one by one ---------------------------------------------------------------------


def test_perfect_programme():
    risks = [RiskFacts(i, True, True, i) for i in (1, 2, 3)]
    result = score(facts("AK", "akimat", departments(10), all_done(10), risks=risks), DEFAULT)
    assert points(result) == {
        "1.1.1": 0, "1.1.2": 0,
        "1.1.3": 3.0,        # 100 % -> 10 steps x 0.3
        "1.2.1": 3.0, "1.2.2": 5.0,
        "1.2.3": 0, "1.3.1": 0,
        "1.3.2": 3.0,
        "1.3.3": 30.0,       # 100 x 0.3
        "1.3.3-risks": 24,   # 3 x 1 + 3 x 2 + 3 x 5
        "1.4.1": 5.0, "1.4.1-penalty": 0,
        "1.5.1": 0,          # not recorded (I-7)
    }
    assert totals(result) == (73.0, 0, 73.0)
    assert result["external_case"] is False
    assert (result["subject"], result["subject_kind"], result["year"]) == ("AK", "akimat", 2025)
    kinds = {i["key"]: i["kind"] for i in result["indicators"]}
    assert kinds["1.1.1"] == kinds["1.1.2"] == kinds["1.2.3"] == kinds["1.3.1"] == "penalty"
    assert kinds["1.1.3"] == kinds["1.3.3"] == kinds["1.3.3-risks"] == "award"


def test_55_percent_announcing_the_start_floor_or_linear():
    data = facts("AK", "akimat", departments(20), all_done(20, start_announced=11))
    assert points(score(data, DEFAULT))["1.1.3"] == 1.5  # floor(55 / 10) = 5 x 0.3
    assert points(score(data, ScoreSettings(steps="linear")))["1.1.3"] == 1.65  # 5.5 x 0.3


def test_35_percent_discussing_gives_nothing_40_gives_2():
    below = score(facts("AK", "akimat", departments(20), all_done(20, discussed=7)), DEFAULT)
    assert points(below)["1.2.2"] == 0  # 35 %
    assert indicator(below, "1.2.2")["inputs"]["threshold"] == 40
    at = score(facts("AK", "akimat", departments(20), all_done(20, discussed=8)), DEFAULT)
    assert points(at)["1.2.2"] == 2.0  # 40 %: 4 x 0.5
    lower = ScoreSettings(discussion_min_percent=30)
    assert points(score(facts("AK", "akimat", departments(20), all_done(20, discussed=7)),
                        lower))["1.2.2"] == 1.5  # 35 %: 3 x 0.5


def test_coverage_per_1_percent():
    data = facts("AK", "akimat", departments(3), all_done(3, note_signed=2))
    assert points(score(data, DEFAULT))["1.3.3"] == 19.8  # 66.67 % -> 66 x 0.3
    assert points(score(data, ScoreSettings(steps="linear")))["1.3.3"] == 20.0


def test_missing_document_any_or_all():
    nine = facts("AK", "akimat", departments(10),
                 all_done(10, ordered=9, note_signed=9, plan_approved=9))
    got = points(score(nine, DEFAULT))
    assert (got["1.1.2"], got["1.2.3"], got["1.3.1"]) == (-10, -5, -5)
    got = points(score(nine, ScoreSettings(missing_document="all")))
    assert (got["1.1.2"], got["1.2.3"], got["1.3.1"]) == (0, 0, 0)
    none = facts("AK", "akimat", departments(10),
                 all_done(10, ordered=0, note_signed=0, plan_approved=0))
    got = points(score(none, ScoreSettings(missing_document="all")))
    assert (got["1.1.2"], got["1.2.3"], got["1.3.1"]) == (-10, -5, -5)


def test_risk_points_cumulative_or_highest_only():
    risks = [RiskFacts(1, True, True, 1), RiskFacts(2, True, False, 1), RiskFacts(3, False, False, 2)]
    data = facts("AK", "akimat", departments(2), all_done(2), risks=risks)
    assert points(score(data, DEFAULT))["1.3.3-risks"] == 12  # 3 + 2 x 2 + 1 x 5
    assert points(score(data, ScoreSettings(risk_points_cumulative=False)))["1.3.3-risks"] == 8


def test_positions_penalty_and_who_is_evaluated():
    nobody = facts("AK", "akimat", departments(10), all_done(10, positions_approved=0))
    got = points(score(nobody, DEFAULT))
    assert (got["1.4.1"], got["1.4.1-penalty"]) == (0, -5)
    nine = facts("AK", "akimat", departments(10), all_done(10, positions_approved=9))
    assert (points(score(nine, DEFAULT))["1.4.1"], points(score(nine, DEFAULT))["1.4.1-penalty"]
            ) == (4.5, 0)
    assert points(score(nine, ScoreSettings(positions_penalty="below_100")))["1.4.1-penalty"] == -5
    dept = score(facts("D1", "department", [("D1", "department", None)],
                       [analysis(1, "D1", "D1")]), DEFAULT)
    assert indicator(dept, "1.4.1")["note"] == "positions_kind"
    assert indicator(dept, "1.4.1-penalty")["kind"] == "info"  # shown, not counted


def test_cartogram_points_are_a_setting():
    data = facts("AK", "akimat", departments(3),
                 [analysis(i, f"D{i}", "AK", done=(*ALL, "cartogram_updated")) for i in (1, 2, 3)],
                 cartogram=True)
    assert points(score(data, DEFAULT))["1.5.1"] == 6.0  # 3 sections x 2
    assert points(score(data, ScoreSettings(cartogram_points=1.5)))["1.5.1"] == 4.5


def test_external_analysis_of_a_state_body_replaces_the_scorecard_not_of_a_qse():
    external = ExternalFacts(completed_on=date(2025, 6, 15), items=8, items_fulfilled=6)
    result = score(facts("AK", "akimat", departments(1), [], schedule=False, external=external),
                   DEFAULT)
    assert result["external_case"] is True
    assert [i["key"] for i in result["indicators"]] == ["external"]
    assert indicator(result, "external")["points"] == 22.5  # 75 % x 0.3
    assert indicator(result, "external")["maximum"] == 30.0
    assert totals(result) == (22.5, 0, 22.5)
    # 001:L7: "мемлекеттік органда", in a state body: a QSE keeps its internal scorecard
    qse = score(facts("QS", "quasi_state", [("QS", "quasi_state", None)],
                      [analysis(1, "QS", "QS")], external=external), DEFAULT)
    assert qse["external_case"] is False
    assert totals(qse) == (44.0, 0, 44.0)  # 3 + 3 + 5 + 3 + 30


def test_settings_from_config():
    assert ScoreSettings.from_config(None) == DEFAULT
    got = ScoreSettings.from_config({"steps": "linear", "positions_kinds": ["akimat"],
                                     "subdivisions": {"akimat": ["department"]},
                                     "other_subdivisions": "self"})
    assert got == ScoreSettings(steps="linear", positions_kinds=("akimat",),
                                subdivisions=(("akimat", ("department",)),),
                                other_subdivisions="self")


@pytest.mark.parametrize("raw, fragment", [
    ({"step": "floor"}, "scorecard.step: unknown setting"),
    ({"steps": "round"}, "scorecard.steps"),
    ({"missing_document": "some"}, "scorecard.missing_document"),
    ({"positions_penalty": "always"}, "scorecard.positions_penalty"),
    ({"discussion_min_percent": "forty"}, "scorecard.discussion_min_percent"),
    ({"external_years_back": 1.5}, "scorecard.external_years_back"),
    ({"positions_kinds": "akimat"}, "scorecard.positions_kinds"),
    ({"positions_bodies": ["ministry"]}, "unknown organisation kind ministry"),
    ({"subdivisions": ["akimat"]}, "scorecard.subdivisions"),
    ({"subdivisions": {"akimat": ["office"]}}, "unknown organisation kind office"),
    ({"other_subdivisions": "all"}, "scorecard.other_subdivisions"),
])
def test_settings_from_config_refuse_unknown_keys_and_bad_values(raw, fragment):
    with pytest.raises(ConfigError) as err:
        ScoreSettings.from_config(raw)
    assert fragment in err.value.message, err.value.message


# -- end to end: the facts read from what was recorded (SQLite and PostgreSQL) --------------------

# The recorded ministry (TODAY, STORY, RECORDED_TREE, record_ministry): tests/support/score_helpers.py.


@pytest.fixture
def ministry(db, make_ctx):
    return record_ministry(db, make_ctx(TODAY))


def _cards(db, ctx, org="MF", subtree=False, settings=DEFAULT):
    """Project No. 1's evaluation as recorded (the whole evaluation: test_score_projects_2_4)."""
    from workflow.scorecard import service as scoring
    from workflow.storage.db import session as open_session

    with open_session(db) as s:
        return scoring.scorecards(s, ctx, org, 2025, settings, subtree, whole=False)


def test_recorded_ministry_where_subdivisions_were_never_analysed_and_one_is_cancelled(
        db, ministry, make_ctx):
    from workflow import services as svc
    from workflow.storage.db import session as open_session

    before = _cards(db, ministry["ctx"])[0]
    # 6 subdivisions: start D1 IA K-T1 = 50 % -> 1.5; discussion announced D1 K-T1 = 33.33 % ->
    # 0.9; discussed 33.33 % < 40 -> 0; published D1 16.67 % -> 0.3; notes D1 K-T1 -> 33 x 0.3 =
    # 9.9; note and plan missing for IA (and the plan for K-T1): -5, -5; risks 2 identified + 1
    # eliminated x 2 = 4; positions K-T1 of 4 bodies (K, K-T1, K-T2, QS) = 25 % -> 1.0
    assert points(before) == {"1.1.1": 0, "1.1.2": 0, "1.1.3": 1.5, "1.2.1": 0.9, "1.2.2": 0,
                              "1.2.3": -5, "1.3.1": -5, "1.3.2": 0.3, "1.3.3": 9.9,
                              "1.3.3-risks": 4, "1.4.1": 1.0, "1.4.1-penalty": 0, "1.5.1": 0}
    assert totals(before) == (17.6, -10, 7.6)  # 1.5 + 0.9 + 0.3 + 9.9 + 4 + 1.0
    with open_session(db) as s:
        svc.record_event(s, ministry["ctx"], ministry["a2"], "cancel", date(2026, 1, 12),
                         {"note": "Directorate merged"})
        s.commit()
    after = _cards(db, ministry["ctx"])[0]
    # IA did nothing: start 33.33 % -> 0.9; its order is missing too: -10; its risk is gone: 3
    assert points(after) == {"1.1.1": 0, "1.1.2": -10, "1.1.3": 0.9, "1.2.1": 0.9, "1.2.2": 0,
                             "1.2.3": -5, "1.3.1": -5, "1.3.2": 0.3, "1.3.3": 9.9,
                             "1.3.3-risks": 3, "1.4.1": 1.0, "1.4.1-penalty": 0, "1.5.1": 0}
    assert totals(after) == (16.0, -20, -4.0)
    assert after["total"] < before["total"]
    assert after["provisional_until"] is None
    assert after["subject_name"] == "Ministry"


@pytest.mark.slow
def test_recorded_subtree_gives_one_scorecard_per_subject(db, ministry):
    cards = _cards(db, ministry["ctx"], subtree=True)
    # the apparatus's departments and directorate are subdivisions, not subjects
    got = {c["subject"]: c["total"] for c in cards}
    assert got == {
        "MF": 7.6,
        # the committee: K-T1 and K-T2; K-T1 50 %: 1.5 + 1.5 + 2.5 + 0 + 15 = 20.5; its plan
        # missing -5; no schedule -10 (its analysis started on 1 October)
        "MF-K": 5.5,
        # K-T1 itself, analysed by its committee: 3 + 3 + 5 + 0 + 30 = 41; plan -5; schedule -10
        "MF-K-T1": 26.0,
        # never analysed, the year is over: schedule -10, order -10, note -5, plan -5
        "MF-K-T2": -30.0,
        "MF-QS": -30.0,
    }
    for card in cards:
        assert len(card["indicators"]) == 13, card["subject"]


def test_planning_after_an_external_analysis_binds_state_bodies_only(db, make_ctx):
    from workflow import services as svc
    from workflow.core.errors import RuleViolation
    planning_svc = module_of("planning", "service")
    from workflow.storage.db import session as open_session

    ctx = make_ctx(date(2025, 9, 1))
    with open_session(db) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        svc.add_org(s, ctx, "QS", "Corporation JSC", "quasi_state", "AK")
        for code in ("AK", "QS"):
            planning_svc.add_external(s, ctx, code, date(2025, 6, 15))
        with pytest.raises(RuleViolation) as refused:  # 000:L174-180: in a state body
            planning_svc.plan_analysis(s, ctx, "AK", "AK", date(2025, 10, 1))
        assert refused.value.key == "rule.external_year"
        planned = planning_svc.plan_analysis(s, ctx, "QS", "QS", date(2025, 10, 1))
        assert planned.warnings == []
        s.commit()


def test_recorded_region_counts_positions_over_districts_and_qses(db, make_ctx):
    """An akimat: subdivisions APP, EDU, HLT (HLT never analysed); positions over EDU, HLT, the
    district D1, its department D1-EDU and the QSE; cartogram sections EDU, HLT and D1, of which
    EDU and D1 are updated (a third update, of HLT, is voided) (I-7)."""
    from workflow import services as svc
    from workflow.core.errors import RuleViolation
    planning_svc = module_of("planning", "service")
    from workflow.storage.db import session as open_session

    ctx = make_ctx(TODAY)
    with open_session(db) as s:
        for code, name, kind, parent in [
                ("OBL", "Akimat", "akimat", None), ("OBL-APP", "Akim's apparatus", "akim_apparatus", "OBL"),
                ("OBL-EDU", "Education", "department", "OBL"), ("OBL-HLT", "Health", "department", "OBL"),
                ("OBL-D1", "District akimat", "district_akimat", "OBL"),
                ("OBL-D1-EDU", "District education", "department", "OBL-D1"),
                ("OBL-QS", "Corporation JSC", "quasi_state", "OBL")]:
            svc.add_org(s, ctx, code, name, kind, parent)
        ids = {}
        for subject, obj, story in [("OBL", "OBL-APP", STORY), ("OBL", "OBL-EDU", STORY[:6]),
                                    ("OBL-D1", "OBL-D1-EDU", STORY[:6]),
                                    ("OBL-QS", "OBL-QS", [STORY[0], STORY[5]])]:
            aid = planning_svc.plan_analysis(s, ctx, subject, obj, date(2025, 10, 1),
                                    date(2025, 11, 10)).analysis.id
            ids[obj] = aid
            for event, on, evidence in story:
                svc.record_event(s, ctx, aid, event, on, dict(evidence))
        update = "cartogram_update"
        # version 5: each part of a section on its own (positions; the list of risks)
        for section, part, aid in (("OBL-EDU", "positions", ids["OBL-EDU"]),
                                   ("OBL-EDU", "risks", ids["OBL-EDU"]),
                                   ("OBL-D1", "risks", ids["OBL-APP"]),
                                   ("OBL-HLT", "positions", ids["OBL-APP"])):
            svc.record_event(s, ctx, aid, update, date(2025, 12, 10),
                             {"section": section, "cartogram_part": part, **LINK})
        svc.void_record(s, ctx, ids["OBL-APP"], str(max(
            r.id for r in svc.records_of(s, svc.get_case(s, ids["OBL-APP"])))), "wrong section")
        for aid, section, key in ((ids["OBL-D1-EDU"], "OBL-D1-EDU", "rule.not_for_kind"),
                                  (ids["OBL-EDU"], "MF", "rule.not_below"),
                                  (ids["OBL-EDU"], "OBL", "rule.not_below")):
            with pytest.raises(RuleViolation) as refused:  # only a regional akimat, its sections
                svc.record_event(s, ctx, aid, update, date(2025, 12, 10),
                                 {"section": section, "cartogram_part": "risks", **LINK})
            assert refused.value.key == key
        planning_svc.record_schedule(s, ctx, "OBL", 2025, date(2025, 2, 3), dict(DOC))
        s.commit()
    card = _cards(db, ctx, "OBL")[0]
    assert points(card) == {
        "1.1.1": 0, "1.1.2": 0,
        "1.1.3": 1.8,        # APP EDU of 3 = 66.67 % -> 6 x 0.3
        "1.2.1": 1.8,
        "1.2.2": 3.0,        # 66.67 % -> 6 x 0.5
        "1.2.3": 0,
        "1.3.1": -5,         # EDU has no plan
        "1.3.2": 0.9,        # APP: 33.33 % -> 3 x 0.3
        "1.3.3": 19.8,       # 66 x 0.3
        "1.3.3-risks": 0,
        "1.4.1": 3.0,        # EDU, D1-EDU, QS of 5 bodies = 60 % -> 6 x 0.5
        "1.4.1-penalty": 0,
        # EDU's two parts and D1's list of risks of 3 sections x 2 parts, 2 points each
        # (HLT's update voided) (I-7; 001:L232-248)
        "1.5.1": 6.0,
    }
    assert totals(card) == (36.3, -5, 31.3)
    assert indicator(card, "1.5.1")["inputs"] == {"unit": "section", "units": 6, "done": 3,
                                                  "pending": 0, "per_unit": 2, "sections": 3,
                                                  "parts": 2}
