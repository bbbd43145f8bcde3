"""The evaluation of projects No. 2-4 (workflow/scorecard/evaluation.py): worked examples
computed by hand from seed 001 (L252-818) and the interpretations B-1 ... B-15 of
shared/domain/projects-2-4.md, on a regional akimat and on a ministry, with the input
dataclasses built directly (pure: no database).

Formulas: 2.1.1 +3 per administrative, +5 per criminal notice; 2.2.1 band of the reconciliation
act's administrative + criminal facts 0 → 18, 1-5 → 15, 6-20 → 12, 21-40 → 9, 41+ → 6, no act 0;
2.3.1 ... 2.5.5 +3 per fact detected independently; 2.5.4 −5 when the yearly report is not
submitted by 31 January; S2 (3.1.1, 3.2.1-3.2.9) 0.2 per full 10 % of the supervised QSEs,
max 2; 3.3.1 +10 per QSE with a certificate valid in the year; 4.1.1 3 less 0.3 per full 10 % of
the district akimats that missed a quarter, not below 0; 4.1.2 0.5 per full 10 % of the
departments and districts covered, max 5; 4.2.1 0.3 per full 0.5 %, cap 3; 4.2.2 1 per full
10 %, max 10; 4.2.3 min(10, 2 × events) a month, 4.2.4 min(10, servants) a month, summed;
4.3.1 10 report + 5 online + 10 for 1,000 views.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from workflow.core.errors import ConfigError
from workflow.i18n import Translator, catalogue
from workflow.registers.entries import Entry, Record
from workflow.scorecard.catalogue import catalogue as indicators
from workflow.scorecard.evaluation import evaluate as evaluate_with
from workflow.scorecard.evaluation import whole
from workflow.scorecard.rules import (
    DONE,
    MISSING,
    PENDING,
    Org,
    ScoreSettings,
    SubjectFacts,
    score,
)
from workflow.scorecard.words import in_words, score_table

pytestmark = pytest.mark.unit  # pure: no database, no process

DEFAULT = ScoreSettings()
CATALOGUE = indicators()  # workflow/scorecard/indicators.toml
KEYS = CATALOGUE.keys
LAW_REPORT = "2.5.4-penalty"


def evaluate(*args, **kwargs):
    """The evaluation with the shipped catalogue of indicators."""
    return evaluate_with(*args, **kwargs, catalogue=CATALOGUE)
AFTER_2025 = date(2026, 3, 2)  # every stage of 2025 is due, the yearly report of 2.5.4 too
QUARTER_END = {1: date(2025, 3, 31), 2: date(2025, 6, 30), 3: date(2025, 9, 30),
               4: date(2025, 12, 31)}


STANDING = ("3.2.1", "3.2.2", "3.2.4", "3.2.5", "3.2.6", "3.2.7", "3.2.8", "3.2.9")


def case(indicator: str, org: str, year: int | None = 2025, period: str | None = None,
         counted: str = DONE, due: date | None = None, records=(), late: bool = False,
         valid=(None, None), **values: str) -> Entry:
    """An entry as the registers' read side gives it: its years by its register's rule (a
    period's year; a certificate's validity; a standing document from its year on; else the
    year given)."""
    first = last = int(period[:4]) if period else year
    if indicator in STANDING and not period:  # a standing document: from its year on
        last = None
    if valid[0] is not None:
        first, last = valid[0].year, valid[1].year if valid[1] else None
    return Entry(register="", indicator=indicator, org=org, first_year=first, last_year=last,
                 period=period, counted=counted, due=due, values=values,
                 records=tuple(records), valid_from=valid[0], valid_until=valid[1], late=late)


def rec(day: date, **values: str) -> Record:
    return Record(day, values)


def quarters(indicator: str, org: str, done=(1, 2, 3, 4), other: str = MISSING
             ) -> list[Entry]:
    """One case per quarter of 2025: the `done` quarters done, the others `other`."""
    return [case(indicator, org, None, f"2025Q{q}", DONE if q in done else other,
                 QUARTER_END[q]) for q in (1, 2, 3, 4)]


def points(indicators) -> dict[str, float]:
    return {i.key: i.points for i in indicators}


def one(indicators, key: str):
    return next(i for i in indicators if i.key == key)


# -- a regional akimat: departments, district akimats, supervised QSEs --------------------------

REGION = (Org("AK", "akimat"), Org("AK-AP", "akim_apparatus", "AK"),
          Org("D1", "department", "AK"), Org("D2", "department", "AK"),
          Org("D3", "department", "AK"), Org("R1", "district_akimat", "AK"),
          Org("R2", "district_akimat", "AK"), Org("R1-D1", "department", "R1"),
          Org("Q1", "quasi_state", "AK"), Org("Q2", "quasi_state", "AK"),
          Org("Q3", "quasi_state", "AK"), Org("Q4", "quasi_state", "D1"),
          Org("Q5", "quasi_state", "R1"))
EIGHT = ("compliance_regulation", "anticorruption_policy", "anticorruption_manual", "coi_policy",
         "anticorruption_standard", "internal_action_plan", "reporting_procedure", "ethics_code")


def region_cases() -> list[Entry]:
    out = [
        # 2.1.1: 2 administrative + 1 criminal notices of 2025 and one of its department D1
        # (B-18: the region takes in its subdivisions' facts); one of 2024 does not count
        case("2.1.1", "AK", category="administrative"), case("2.1.1", "AK", category="administrative"),
        case("2.1.1", "AK", category="criminal"),
        case("2.1.1", "AK", 2024, category="criminal"), case("2.1.1", "D1", category="criminal"),
        # 2.2.1: the act of 2025 with 3 administrative, 2 criminal, 4 discrediting rows
        case("2.2.1", "AK", None, "2025", DONE, date(2025, 12, 31),
             [rec(date(2025, 11, 3), category="administrative")] * 3
             + [rec(date(2025, 11, 3), category="criminal")] * 2
             + [rec(date(2025, 11, 3), category="discrediting")] * 4),
        case("2.3.1", "AK", independent="yes"), case("2.3.1", "AK", independent="no"),
        case("2.3.2", "AK", independent="yes"),
        # the breaches of restrictions: one register, its `kind` picks 2.5.1-2.5.5
        case("2.5.1", "AK", kind="incompatible_activity", independent="yes"),
        case("2.5.1", "AK", kind="conflict_of_interest", independent="yes"),
        case("2.5.1", "AK", kind="conflict_of_interest", independent="yes"),
        case("2.5.1", "AK", kind="reward_or_gift", independent="no"),
        case("2.5.1", "AK", 2024, kind="foreign_account", independent="yes"),
        # the yearly report of 2.5.4 (its register says "2.5.4", with no kind)
        case("2.5.4", "AK", None, "2025", DONE, date(2026, 1, 31)),
    ]
    # 3.1.1: Q1-Q3 every quarter; Q4 missed the fourth; Q5 nothing
    out += quarters("3.1.1", "Q1") + quarters("3.1.1", "Q2") + quarters("3.1.1", "Q3")
    out += quarters("3.1.1", "Q4", done=(1, 2, 3))
    # 3.2.1: all five; 3.2.2: Q1 (2025), Q2 (2023, still standing); Q3 open after the year,
    # Q4 only in 2026
    out += [case("3.2.1", q) for q in ("Q1", "Q2", "Q3", "Q4", "Q5")]
    out += [case("3.2.2", "Q1"), case("3.2.2", "Q2", 2023),
            case("3.2.2", "Q3", counted=PENDING), case("3.2.2", "Q4", 2026)]
    # 3.2.3: the manual of the year: Q1 for 2025, Q2 only for 2024
    out += [case("3.2.3", "Q1", None, "2025"), case("3.2.3", "Q2", None, "2024")]
    # 3.2.9: Q1 all eight in 2025; Q2 seven (one twice); Q3 the eighth only in 2026
    out += [case("3.2.9", "Q1", 2024, records=[rec(date(2025, 5, 5), document=d) for d in EIGHT]),
            case("3.2.9", "Q2", records=[rec(date(2025, 5, 5), document=d)
                                         for d in (*EIGHT[:7], EIGHT[0])]),
            case("3.2.9", "Q3", records=[rec(date(2025, 5, 5), document=d) for d in EIGHT[:7]]
                 + [rec(date(2026, 1, 10), document=EIGHT[7])])]
    # 3.3.1: Q1 valid through 2025; Q2 expired on 31 Dec 2024; Q3 from 31 Dec 2025 (twice);
    # Q4 only from 2026
    out += [case("3.3.1", "Q1", 2023, valid=(date(2023, 5, 1), date(2026, 5, 1))),
            case("3.3.1", "Q2", 2022, valid=(date(2022, 1, 1), date(2024, 12, 31))),
            case("3.3.1", "Q3", valid=(date(2025, 12, 31), date(2028, 12, 30))),
            case("3.3.1", "Q3", valid=(date(2025, 6, 1), date(2028, 5, 31))),
            case("3.3.1", "Q4", 2026, valid=(date(2026, 1, 5), date(2029, 1, 4)))]
    # 4.1.1: the akimat met every quarter; R1 too; R2 missed the second quarter
    out += quarters("4.1.1", "AK") + quarters("4.1.1", "R1") + quarters("4.1.1", "R2", (1, 3, 4))
    # 4.1.2: the social order covers D1, D2, R1 (D1 twice; R1-D1 is not a unit of the region)
    out += [case("4.1.2", "AK", None, "2025", records=[
        rec(date(2025, 4, 1), unit=u) for u in ("D1", "D2", "R1", "D1", "R1-D1")])]
    # 4.2.1, 4.2.2: every unit with the duty recorded its figures (B-20), 27 of 600 and 450
    # of 500 in all
    out += [case("4.2.1", org, None, "2025", numerator=n, denominator=d) for org, n, d in (
        ("AK", "12", "300"), ("D1", "5", "100"), ("D2", "5", "100"), ("D3", "2", "50"),
        ("R1", "2", "30"), ("R2", "1", "15"), ("R1-D1", "0", "5"))]
    out += [case("4.2.2", org, None, "2025", numerator=n, denominator=d) for org, n, d in (
        ("AK", "300", "320"), ("D1", "50", "60"), ("D2", "40", "50"), ("D3", "30", "30"),
        ("R1", "20", "25"), ("R2", "10", "10"), ("R1-D1", "0", "5"))]
    # 4.2.3: March 7 events, April 2, December 1; one of December 2024
    out += [case("4.2.3", "AK", None, "2025M03", records=[rec(date(2025, 3, d)) for d in range(1, 8)]),
            case("4.2.3", "AK", None, "2025M04", records=[rec(date(2025, 4, 3)), rec(date(2025, 4, 9))]),
            case("4.2.3", "AK", None, "2025M12", records=[rec(date(2025, 12, 1))]),
            case("4.2.3", "AK", None, "2024M12", records=[rec(date(2024, 12, 20))])]
    # 4.2.4: March 4 + 8 servants, May 3
    out += [case("4.2.4", "AK", None, "2025M03", records=[rec(date(2025, 3, 5), count="4"),
                                                         rec(date(2025, 3, 25), count="8")]),
            case("4.2.4", "AK", None, "2025M05", records=[rec(date(2025, 5, 5), count="3")])]
    # 4.3.1: the report; one event online with 300 views, one offline with 1,500
    out += [case("4.3.1", "AK", None, "2025", DONE, date(2025, 12, 31), [
        rec(date(2025, 6, 1), online="yes", views="300"),
        rec(date(2025, 7, 1), online="no", views="1500")])]
    return out


def test_regional_akimat():
    got = evaluate("AK", "akimat", REGION, 2025, AFTER_2025, region_cases(), DEFAULT)
    assert [i.key for i in got] == list(KEYS)
    assert points(got) == {
        "2.1.1": 16,       # 2 × 3 + 2 × 5 (one of them D1's)
        "2.2.1": 15,       # 3 administrative + 2 criminal = 5 facts → band 1-5 (discrediting listed)
        "2.3.1": 3,        # one of two detected independently
        "2.3.2": 3,
        "2.4.1": 0,
        "2.5.1": 3,        # incompatible activity
        "2.5.2": 6,        # two conflicts of interest × 3
        "2.5.3": 0,
        "2.5.4": 0,        # the gift was not detected independently
        LAW_REPORT: 0,     # submitted
        "2.5.5": 0,        # the foreign account was of 2024
        "3.1.1": 1.2,      # Q1-Q3 of 5 = 60 % → 6 × 0.2
        "3.2.1": 2.0,      # 5 of 5
        "3.2.2": 0.8,      # Q1, Q2 of 5 = 40 % → 4 × 0.2 (below 50 % continues, B-8)
        "3.2.3": 0.4,      # Q1 of 5 = 20 % → 2 × 0.2
        "3.2.4": 0, "3.2.5": 0, "3.2.6": 0, "3.2.7": 0, "3.2.8": 0,
        "3.2.9": 0.4,      # Q1 only has all eight by 31 Dec: 20 % → 0.4
        "3.3.1": 20,       # Q1 and Q3 (once) × 10
        "4.1.1": 1.5,      # 3 − 1 of 2 districts (50 % → 5 steps) × 0.3 = 3 − 1.5
        "4.1.2": 3.0,      # B-16: territories AK (D1, D2), R1 (R1, R1-D1) of AK R1 R2 = 66.7 %
        "4.2.1": 2.7,      # 27 / 600 = 4.5 % → 9 steps of 0.5 % × 0.3
        "4.2.2": 9,        # 450 / 500 = 90 % → 9 × 1
        "4.2.3": 16,       # March min(10, 14) + April 4 + December 2
        "4.2.4": 13,       # March min(10, 12) + May 3
        "4.3.1": 25,       # 10 report + 5 online + 10 for 1,500 views
    }
    assert one(got, "4.1.2").inputs["units"] == 3  # the region and its district akimats
    assert one(got, "2.1.1").inputs["from"] == [["AK", 3], ["D1", 1]]
    assert one(got, "3.1.1").inputs["units"] == 5  # every QSE below the akimat
    assert one(got, "2.2.1").inputs["discrediting"] == 4
    assert all(i.pending_until is None for i in got)  # everything of 2025 is due

    # the whole evaluation: project No. 1 of the same akimat with no analysis recorded
    # (1.1.2 −10, 1.2.3 −5, 1.3.1 −5, 1.4.1-penalty −5: −25) and projects No. 2-4
    p1 = score(SubjectFacts("AK", "akimat", 2025, AFTER_2025, REGION, (), schedule_approved=True),
               DEFAULT)
    assert (p1["awards"], p1["deductions"], p1["total"]) == (0, -25, -25)
    result = whole(p1, got)
    assert [(p["project"], p["awards"], p["deductions"], p["subtotal"])
            for p in result["projects"]] == [
        (1, 0, -25, -25),
        (2, 46, 0, 46),       # 16 + 15 + 3 + 3 + 3 + 6
        (3, 24.8, 0, 24.8),   # 1.2 + 2 + 0.8 + 0.4 + 0.4 + 20
        (4, 70.2, 0, 70.2),   # 1.5 + 3 + 2.7 + 9 + 16 + 13 + 25
    ]
    # B-13: Σ awards − Σ penalties = 141 − 25
    assert (result["awards"], result["deductions"], result["total"]) == (141, -25, 116)
    assert len(result["indicators"]) == len(p1["indicators"]) + len(KEYS)
    assert {k: result[k] for k in ("subject", "year", "external_case", "provisional_until")} == {
        "subject": "AK", "year": 2025, "external_case": False, "provisional_until": None}


def test_project_3_over_direct_or_all_qses():
    cases = region_cases()
    direct = evaluate("AK", "akimat", REGION, 2025, AFTER_2025, cases,
                      ScoreSettings(qse_scope="children"))
    # Q1 Q2 Q3 only: 3.1.1 3 of 3 → 2; 3.2.2 Q1 Q2 of 3 = 66.7 % → 6 steps → 1.2; 3.3.1 Q1 Q3
    assert points(direct)["3.1.1"] == 2.0
    assert points(direct)["3.2.2"] == 1.2
    assert points(direct)["3.3.1"] == 20
    assert one(direct, "3.2.1").inputs["units"] == 3


# -- a ministry with committees: the acceptance case ----------------------------------------------

MINISTRY = (Org("MF", "central_body"), Org("MF-D1", "apparatus_department", "MF"),
            Org("K1", "committee", "MF"), Org("K1-T1", "territorial_department", "K1"),
            Org("K2", "committee", "MF"))


def ministry_cases(**report) -> list[Entry]:
    return [
        *(case("2.1.1", "MF", category="criminal") for _ in range(3)),
        *(case("2.1.1", "MF", category="administrative") for _ in range(2)),
        case("2.1.1", "K1", category="criminal"),            # its committee's: taken in (B-18)
        case("2.2.1", "MF", None, "2025", DONE, date(2025, 12, 31)),  # no facts in the act
        case("2.5.1", "MF", kind="reward_or_gift", independent="yes"),
        # 4.2.1: the ministry and every unit with the duty (B-20): 35 of 700
        case("4.2.1", "MF", None, "2025", numerator="15", denominator="300"),
        case("4.2.1", "K1", None, "2025", numerator="10", denominator="200"),
        case("4.2.1", "K1-T1", None, "2025", numerator="5", denominator="100"),
        case("4.2.1", "K2", None, "2025", numerator="5", denominator="100"),
        case("4.3.1", "MF", None, "2025", MISSING, date(2025, 12, 31),
             [rec(date(2025, 9, 1), online="yes", views="999")]),
        *([case("2.5.4", "MF", None, "2025", DONE, date(2026, 1, 31), **report)]
          if report.get("late") is not None else []),
    ]


def test_ministry_acceptance_case():
    """3 criminal and 2 administrative notices and its committee's criminal one, no facts in
    its reconciliation act and one independently detected gift: 2.1.1 = 26, 2.2.1 = 18,
    2.5.4 = 3."""
    got = evaluate("MF", "central_body", MINISTRY, 2025, AFTER_2025, ministry_cases(), DEFAULT)
    pts = points(got)
    assert pts["2.1.1"] == 26  # 3 × 5 + 2 × 3 + the committee's 5 (B-18)
    assert pts["2.2.1"] == 18  # 0 facts
    assert pts["2.5.4"] == 3   # one gift detected independently
    assert pts[LAW_REPORT] == -5  # no yearly report recorded by 31 January 2026
    assert pts["4.2.1"] == 3.0  # 35 / 700 = 5 % → 10 steps × 0.3
    assert pts["4.2.2"] == 0    # no figures
    assert pts["4.3.1"] == 5    # no report, online, 999 views < 1,000
    for key in ("3.1.1", "3.2.1", "3.2.9", "3.3.1"):  # no supervised QSE: "—"
        assert (one(got, key).kind, one(got, key).note) == ("info", "no_entities")
    assert one(got, "4.1.1").note == "commission_kind"
    assert one(got, "4.1.2").note == "social_order_kind"

    p1 = score(SubjectFacts("MF", "central_body", 2025, AFTER_2025, MINISTRY, (),
                            schedule_approved=True), DEFAULT)
    result = whole(p1, got)
    # project 2: 26 + 18 + 3 − 5; project 4: 3 + 5; project 1: −10 −5 −5 −5 (no analysis)
    assert [p["subtotal"] for p in result["projects"]] == [-25, 42, 0, 8]
    assert (result["awards"], result["deductions"], result["total"]) == (55, -30, 25)


def test_the_yearly_report_of_2_5_4_late_or_on_time():
    def penalty(st=DEFAULT, **report):
        got = evaluate("MF", "central_body", MINISTRY, 2025, AFTER_2025, ministry_cases(**report), st)
        return one(got, LAW_REPORT).points

    assert penalty(late=False) == 0
    assert penalty(late=True) == -5  # B-4: not submitted BY its due date
    assert penalty(ScoreSettings(law_report_late="accepted"), late=True) == 0


def test_a_quasi_state_subject():
    """2.2.1, 4.2.x and 4.3.1 are a state body's (001 §5.2): "—" for a QSE; 2.3-2.5 apply."""
    tree = (Org("QS", "quasi_state"), Org("QS-1", "quasi_state", "QS"))
    cases = [case("2.5.1", "QS", kind="insider_information", independent="yes"),
             case("3.2.5", "QS-1")]
    got = evaluate("QS", "quasi_state", tree, 2025, AFTER_2025, cases, DEFAULT)
    for key in ("2.2.1", "4.2.1", "4.2.2", "4.2.3", "4.2.4", "4.3.1"):
        assert (one(got, key).kind, one(got, key).note) == ("info", "state_body_only")
    assert points(got)["2.5.3"] == 3
    assert points(got)["3.2.5"] == 2.0  # its own subsidiary: 1 of 1
    assert points(got)[LAW_REPORT] == -5


# -- 2.2.1: the band edges, discrediting offences, provisional --------------------------------------


def act(facts: int, discrediting: int = 0, counted: str = DONE) -> Entry:
    rows = [rec(date(2025, 10, 1), category="criminal" if n % 2 else "administrative")
            for n in range(facts)]
    rows += [rec(date(2025, 10, 1), category="discrediting")] * discrediting
    return case("2.2.1", "MF", None, "2025", counted, date(2025, 12, 31), rows)


@pytest.mark.parametrize("facts, expected", [
    (0, 18), (1, 15), (5, 15), (6, 12), (20, 12), (21, 9), (40, 9), (41, 6), (100, 6)])
def test_reconciliation_band_edges(facts, expected):
    got = evaluate("MF", "central_body", MINISTRY, 2025, AFTER_2025, [act(facts)], DEFAULT)
    assert points(got)["2.2.1"] == expected
    assert one(got, "2.2.1").inputs["facts"] == facts


def test_discrediting_offences_are_listed_not_counted():
    got = evaluate("MF", "central_body", MINISTRY, 2025, AFTER_2025, [act(0, 3)], DEFAULT)
    assert points(got)["2.2.1"] == 18  # B-2: 0 corruption facts
    counting = ScoreSettings(reconciliation_counted=("administrative", "criminal", "discrediting"))
    got = evaluate("MF", "central_body", MINISTRY, 2025, AFTER_2025, [act(0, 3)], counting)
    assert points(got)["2.2.1"] == 15  # 3 facts


def test_an_act_not_yet_due_is_provisional():
    before = date(2025, 11, 1)
    got = one(evaluate("MF", "central_body", MINISTRY, 2025, before, [act(0, counted=PENDING)],
                       DEFAULT), "2.2.1")
    assert (got.points, got.pending_until, got.inputs["filed"]) == (0, date(2025, 12, 31), PENDING)
    # no act case at all yet: pending until the year's end (B-1)
    got = one(evaluate("MF", "central_body", MINISTRY, 2025, before, [], DEFAULT), "2.2.1")
    assert (got.points, got.pending_until) == (0, date(2025, 12, 31))
    # overdue and not approved: 0, final
    got = one(evaluate("MF", "central_body", MINISTRY, 2025, date(2026, 1, 10),
                       [act(0, counted=PENDING)], DEFAULT), "2.2.1")
    assert (got.points, got.pending_until, got.inputs["filed"]) == (0, None, MISSING)
    # the whole evaluation is provisional until the latest pending date: the yearly report of
    # 2.5.4 (no case yet) is due on 31 January 2026
    p1 = score(SubjectFacts("MF", "central_body", 2025, before, MINISTRY, (),
                            schedule_approved=True), DEFAULT)
    result = whole(p1, evaluate("MF", "central_body", MINISTRY, 2025, before, [act(0, counted=PENDING)],
                                DEFAULT))
    assert result["provisional_until"] == date(2026, 1, 31)


def test_the_yearly_report_is_pending_until_31_january():
    got = evaluate("MF", "central_body", MINISTRY, 2025, date(2026, 1, 20), [], DEFAULT)
    assert (one(got, LAW_REPORT).points, one(got, LAW_REPORT).pending_until) == (0, date(2026, 1, 31))
    got = evaluate("MF", "central_body", MINISTRY, 2025, date(2026, 2, 2), [], DEFAULT)
    assert (one(got, LAW_REPORT).points, one(got, LAW_REPORT).pending_until) == (-5, None)


# -- project No. 3: the S2 scale -------------------------------------------------------------------

TEN = (Org("MF", "central_body"), *(Org(f"Q{n}", "quasi_state", "MF") for n in range(1, 11)))


@pytest.mark.parametrize("done, expected", [
    (10, 2.0),  # 100 %
    (9, 1.8),   # 90 %
    (6, 1.2),   # 60 %
    (5, 1.0),   # 50 %
    (4, 0.8),   # 40 %: below 50 % continues linearly (B-8)
    (1, 0.2),   # 10 %
    (0, 0.0),
])
def test_s2_scale(done, expected):
    cases = [case("3.2.6", f"Q{n}") for n in range(1, done + 1)]
    assert points(evaluate("MF", "central_body", TEN, 2025, AFTER_2025, cases, DEFAULT))["3.2.6"] \
        == expected


def test_s2_below_a_minimum_and_partial_steps():
    four = [case("3.2.6", f"Q{n}") for n in range(1, 5)]
    st = ScoreSettings(qse_min_percent=50)
    assert points(evaluate("MF", "central_body", TEN, 2025, AFTER_2025, four, st))["3.2.6"] == 0
    twenty = (Org("MF", "central_body"), *(Org(f"Q{n}", "quasi_state", "MF") for n in range(1, 21)))
    eleven = [case("3.2.6", f"Q{n}") for n in range(1, 12)]  # 55 %
    assert points(evaluate("MF", "central_body", twenty, 2025, AFTER_2025, eleven, DEFAULT))[
        "3.2.6"] == 1.0  # 5 full steps × 0.2
    assert points(evaluate("MF", "central_body", twenty, 2025, AFTER_2025, eleven,
                           ScoreSettings(steps="linear")))["3.2.6"] == 1.1  # 5.5 × 0.2


def test_qse_training_pending_during_the_year():
    # on 15 August: Q1-Q2 of Q1..Q10 done, Q3 not yet due → pending until 30 Sep, then 31 Dec
    cases = [c for n in range(1, 11) for c in quarters("3.1.1", f"Q{n}", done=(1, 2), other=PENDING)
             if c.period in ("2025Q1", "2025Q2", "2025Q3")]
    got = one(evaluate("MF", "central_body", TEN, 2025, date(2025, 8, 15), cases, DEFAULT), "3.1.1")
    assert (got.points, got.inputs["pending"], got.pending_until) == (0, 10, date(2025, 12, 31))


def test_published_documents_setting():
    seven = [case("3.2.9", f"Q{n}", records=[rec(date(2025, 2, 1), document=d) for d in EIGHT[:7]])
             for n in range(1, 11)]
    assert points(evaluate("MF", "central_body", TEN, 2025, AFTER_2025, seven, DEFAULT))["3.2.9"] == 0
    st = ScoreSettings(published_documents=7)
    assert points(evaluate("MF", "central_body", TEN, 2025, AFTER_2025, seven, st))["3.2.9"] == 2.0


# -- project No. 4 ------------------------------------------------------------------------------------

TWENTY = (Org("AK", "akimat"), *(Org(f"R{n:02}", "district_akimat", "AK") for n in range(1, 21)))


@pytest.mark.parametrize("missed, expected", [
    (0, 3.0),
    (1, 3.0),   # 5 %: no full step
    (2, 2.7),   # 10 %: the example of 001:L668-672
    (3, 2.7),   # 15 %: one full step
    (4, 2.4),   # 20 %
    (11, 1.5),  # 55 % → 5 full steps: 3 − 5 × 0.3
    (20, 0.0),  # 100 % → 10 steps: 3 − 3
])
def test_commission_reduction_for_district_akimats(missed, expected):
    cases = quarters("4.1.1", "AK")
    for n in range(1, 21):
        cases += quarters("4.1.1", f"R{n:02}", done=(1, 2, 3) if n <= missed else (1, 2, 3, 4))
    got = one(evaluate("AK", "akimat", TWENTY, 2025, AFTER_2025, cases, DEFAULT), "4.1.1")
    assert got.points == expected
    assert got.inputs["missed"] == missed


def test_commission_never_below_zero():
    # the akimat missed a quarter (0) and every district missed one (100 % → −3): 0, not −3
    cases = quarters("4.1.1", "AK", done=(1, 2, 3))
    for n in range(1, 21):
        cases += quarters("4.1.1", f"R{n:02}", done=(1,))
    assert points(evaluate("AK", "akimat", TWENTY, 2025, AFTER_2025, cases, DEFAULT))["4.1.1"] == 0
    # only a regional akimat is evaluated; a district akimat shows "—"
    got = one(evaluate("R01", "district_akimat", TWENTY[1:2], 2025, AFTER_2025, [], DEFAULT), "4.1.1")
    assert (got.kind, got.note) == ("info", "commission_kind")


def test_monthly_caps():
    cases = [case("4.2.3", "MF", None, "2025M03", records=[rec(date(2025, 3, d)) for d in range(1, 8)]),
             case("4.2.3", "MF", None, "2025M04", records=[rec(date(2025, 4, 1)), rec(date(2025, 4, 2))]),
             case("4.2.4", "MF", None, "2025M03", records=[rec(date(2025, 3, 1), count="12")]),
             case("4.2.4", "MF", None, "2025M04", records=[rec(date(2025, 4, 1), count="4")])]
    got = evaluate("MF", "central_body", MINISTRY, 2025, AFTER_2025, cases, DEFAULT)
    assert points(got)["4.2.3"] == 14  # March 7 events → min(10, 14) = 10; April 2 → 4
    assert one(got, "4.2.3").inputs["months"] == [[3, 7, 10], [4, 2, 4]]
    assert points(got)["4.2.4"] == 14  # March 12 servants → 10; April 4 → 4


@pytest.mark.parametrize("counted, online, views, cumulative, expected", [
    (DONE, "no", "0", True, 10),      # the report only
    (DONE, "yes", "10", True, 15),    # + published online
    (DONE, "yes", "1000", True, 25),  # + 1,000 views (1,000 counts)
    (DONE, "no", "999", True, 10),
    (MISSING, "no", "1000", True, 10),  # no report: the views alone
    (DONE, "yes", "1000", False, 20),   # not cumulative: the higher of 5 and 10
])
def test_legal_outreach_three_parts(counted, online, views, cumulative, expected):
    cases = [case("4.3.1", "MF", None, "2025", counted, date(2025, 12, 31),
                  [rec(date(2025, 5, 5), online=online, views=views)])]
    st = ScoreSettings(outreach_cumulative=cumulative)
    assert points(evaluate("MF", "central_body", MINISTRY, 2025, AFTER_2025, cases, st))["4.3.1"] \
        == expected


def test_ratio_cap_and_documentolog():
    cases = [case("4.2.1", "MF", None, "2025", numerator="40", denominator="300"),  # 13.3 %
             case("4.2.2", "MF", None, "2025", numerator="299", denominator="300")]  # 99.7 %
    alone = MINISTRY[:2]  # the ministry and its apparatus department (no duty of its own)
    got = points(evaluate("MF", "central_body", alone, 2025, AFTER_2025, cases, DEFAULT))
    assert got["4.2.1"] == 3  # 26 steps × 0.3 = 7.8, capped at 3 (B-10)
    assert got["4.2.2"] == 9  # 9 full steps of 10 %


# -- settings --------------------------------------------------------------------------------------


def test_new_settings_from_config():
    got = ScoreSettings.from_config({"qse_scope": "children", "published_documents": 7,
                                     "reconciliation_counted": ["criminal"],
                                     "social_order_units": ["department"],
                                     "outreach_cumulative": False, "qse_min_percent": 50})
    assert got == ScoreSettings(qse_scope="children", published_documents=7,
                                reconciliation_counted=("criminal",),
                                social_order_units=("department",), outreach_cumulative=False,
                                qse_min_percent=50)


@pytest.mark.parametrize("raw, fragment", [
    ({"qse_scope": "all"}, "scorecard.qse_scope"),
    ({"social_order_scope": "tree"}, "scorecard.social_order_scope"),
    ({"law_report_late": "ok"}, "scorecard.law_report_late"),
    ({"published_documents": 9}, "scorecard.published_documents"),
    ({"published_documents": "8"}, "scorecard.published_documents"),
    ({"reconciliation_counted": ["civil"]}, "unknown category civil"),
    ({"commission_kinds": ["region"]}, "unknown organisation kind region"),
    ({"outreach_cumulative": "yes"}, "scorecard.outreach_cumulative"),
    ({"qse_min_percent": 120}, "scorecard.qse_min_percent"),
])
def test_new_settings_refuse_bad_values(raw, fragment):
    with pytest.raises(ConfigError) as err:
        ScoreSettings.from_config(raw)
    assert fragment in err.value.message, err.value.message


# -- in words ----------------------------------------------------------------------------------------

ENDS = {"en": r"\d points?$", "ru": r"\d балл(а|ов)?$", "kk": r"\d балл$"}
PROPER_NAMES = {"Documentolog", "ISO"}


def _whole_results():
    """The region and the ministry as above; the ministry on 1 November 2025 (the act, the
    reports and the figures not yet due), with nothing recorded after the year, and with its
    yearly report late; a QSE."""
    before = date(2025, 11, 1)
    not_due = [act(0, counted=PENDING),
               case("4.2.1", "MF", None, "2025", PENDING, date(2025, 12, 31)),
               case("4.3.1", "MF", None, "2025", PENDING, date(2025, 12, 31))]
    qse = (Org("QS", "quasi_state"),)
    out = []
    for subject, kind, tree, today, cases in (
            ("AK", "akimat", REGION, AFTER_2025, region_cases()),
            ("MF", "central_body", MINISTRY, AFTER_2025, ministry_cases()),
            ("MF", "central_body", MINISTRY, before, not_due),
            ("MF", "central_body", MINISTRY, AFTER_2025, []),
            ("MF", "central_body", MINISTRY, AFTER_2025, ministry_cases(late=True)),
            ("QS", "quasi_state", qse, date(2025, 8, 1), [])):
        p1 = score(SubjectFacts(subject, kind, 2025, today, tree, (), schedule_approved=True),
                   DEFAULT)
        got = evaluate(subject, kind, tree, 2025, today, cases, DEFAULT)
        out.append({**whole(p1, got), "subject_name": subject})
    return out


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_every_indicator_in_words(language):
    t = Translator(language)
    texts = catalogue(language)  # the language's own catalogue: no fallback to English hides a gap
    english = Translator("en")
    for result in _whole_results():
        card = in_words(result, t)
        for ind in card["indicators"]:
            key = ind["key"]
            if key not in KEYS:
                continue
            assert f"score.title.{key}" in texts, (language, key)
            assert f"score.rule.{key}" in texts, (language, key)
            for part in ("title", "rule", "text"):
                assert ind[part] and "score." not in ind[part] and "{" not in ind[part], \
                    (language, key, part, ind[part])
                assert "()" not in ind[part], (language, key, part, ind[part])
            if ind["kind"] != "info":
                assert re.search(ENDS[language], ind["text"]), (language, key, ind["text"])
            if language != "en":  # no English indicator text in kk and ru
                assert ind["title"] != english(f"score.title.{key}")
                latin = set(re.findall(r"[A-Za-z]{3,}", ind["title"] + ind["rule"] + ind["text"]))
                assert latin <= PROPER_NAMES, (language, key, latin)
        assert [p["project"] for p in card["projects"]] == [1, 2, 3, 4]
        assert all(p["title"] != f"score.project.{p['project']}" for p in card["projects"])
        assert "score." not in card["heading"] + "".join(p["summary"] for p in card["projects"])


def test_words_of_the_region_in_english():
    card = in_words(_whole_results()[0], Translator("en"))
    text = {i["key"]: i["text"] for i in card["indicators"]}
    assert text["2.1.1"] == ("notices in 2025: administrative 2 × 3, criminal 2 × 5; facts taken "
                             "in: AK 3, D1 1 → 16 points")
    assert text["2.2.1"] == ("reconciliation act approved: administrative 3, criminal 2, "
                             "discrediting 4; corruption facts counted: 5 → band 1–5 → 15 points")
    assert text["3.1.1"] == ("3 of 5 supervised entities held the events in every quarter (60 %) "
                             "→ 6 steps of 10 % → 1.2 points")
    assert text["4.1.1"] == ("the commission met in 4 of 4 quarters: 3; district akimats that "
                             "missed a quarter: 1 of 2 (50 %), 5 steps of 10 % × 0.3 = −1.5 "
                             "→ 1.5 points")
    assert text["4.2.3"] == ("March: 7 events → 10; April: 2 events → 4; December: 1 event → 2 "
                             "→ 16 points")
    assert text["4.3.1"] == ("report (appendix 6): submitted; events: 2, published online: 1, "
                             "most views of an event: 1500 → 10 + 5 + 10 → 25 points")
    assert card["heading"] == "Evaluation of projects No. 1–4: AK, 2025"
    assert card["projects"][1]["summary"] == "Project No. 2: awards 46, deductions 0, subtotal 46."


def test_words_in_russian_and_kazakh():
    ru = {i["key"]: i["text"] for i in in_words(_whole_results()[1], Translator("ru"))["indicators"]}
    assert ru["2.1.1"] == ("уведомления за 2025 год: административные — 2 × 3, уголовные — 4 × 5; "
                           "учтены факты организаций: MF 5, K1 1 → 26 баллов")
    assert ru["2.5.4"] == "фактов за 2025 год: 1, выявлено самостоятельно: 1 × 3 → 3 балла"
    kk = {i["key"]: i["text"] for i in in_words(_whole_results()[1], Translator("kk"))["indicators"]}
    assert kk["2.2.1"].endswith("есепке алынған сыбайлас жемқорлық фактілері: 0 → 0 аралығы → 18 балл")
    assert kk["4.2.1"] == ("700 мемлекеттік қызметшіден 35 оқытылды (5 %); ескерілген "
                           "ұйымдардың фактілері: MF 1, K1 1, K1-T1 1, K2 1 → 0,5 %-дан 10 қадам "
                           "→ 3 балл")
    pending = {i["key"]: i["text"]
               for i in in_words(_whole_results()[2], Translator("ru"))["indicators"]}
    assert pending["2.2.1"] == "акт сверки за 2025 год ещё не утверждён; срок — 2025-12-31 → 0 баллов"
    assert pending["4.3.1"] == ("отчёт (приложение 6): ещё нет, срок — 2025-12-31; мероприятий: 0, "
                                "опубликовано в интернете: 0, наибольшее число просмотров: 0 "
                                "→ 0 + 0 + 0 → 0 баллов")


def test_score_table_has_every_indicator_and_the_projects():
    cards = [in_words(r, Translator("en")) for r in _whole_results()]
    header, body = score_table(cards, Translator("en"))
    assert header[-8:-4] == ["Project No. 1", "Project No. 2", "Project No. 3", "Project No. 4"]
    assert "2.2.1 Reconciliation of corruption offences and offences discrediting the civil service" \
        in header
    assert len(body) == 6
    ministry = dict(zip(header, body[1], strict=True))
    # not evaluated: "—", as on the pages and the command line
    assert ministry["3.1.1 Quarterly explanatory and training events"] == "—"
    assert ministry["Project No. 2"] == 42
    assert ministry["Total"] == 25


# -- the catalogue of indicators (workflow/scorecard/indicators.toml) -----------------------------


def test_the_catalogue_is_the_scorecard_order_and_each_indicator_has_its_words():
    assert KEYS[:3] == ("2.1.1", "2.2.1", "2.3.1") and KEYS[-1] == "4.3.1"
    assert len(KEYS) == len(set(KEYS)) == 29
    for lang in ("kk", "ru", "en"):
        t = Translator(lang)
        for key in KEYS:
            assert t(f"score.title.{key}") != f"score.title.{key}", (lang, key)


def test_a_new_indicator_of_a_known_kind_is_data():
    """An indicator added to a catalogue (here 2.6.1, facts × 3) scores the entries of a
    register naming it, with no code."""
    from workflow.scorecard.evaluation import parse_catalogue

    extended = parse_catalogue({"indicator": [
        {"key": "2.6.1", "kind": "facts", "source": "001:L999", "per_fact": 4}]}, "test")
    got = evaluate_with("MF", "central_body", MINISTRY, 2025, AFTER_2025,
                        [case("2.6.1", "MF", independent="yes"),
                         case("2.6.1", "K1", independent="yes"),   # its committee's (B-18)
                         case("2.6.1", "MF", independent="no")], DEFAULT, extended)
    assert [(i.key, i.points, i.scored_by) for i in got] == [("2.6.1", 8, "facts")]
    assert got[0].inputs["from"] == [["MF", 1], ["K1", 1]]


@pytest.mark.parametrize("doc, error", [
    ({"indicator": [{"key": "2.1.1", "kind": "guess", "source": "001:L1"}]}, "kind must be"),
    ({"indicator": [{"key": "2.1.1", "kind": "facts", "source": "001:L1"},
                    {"key": "2.1.1", "kind": "facts", "source": "001:L2"}]}, "a key of its own"),
    ({"indicator": [{"key": "2.1.1", "kind": "facts"}]}, "source"),
    ({"indicator": [{"key": "2.1.1", "kind": "facts", "source": "001:L1",
                     "per_fact": "three"}]}, "must be a number"),
    ({}, "no indicator"),
])
def test_a_broken_catalogue_is_refused_with_where(doc, error):
    from workflow.scorecard.evaluation import parse_catalogue

    with pytest.raises(ConfigError, match=error):
        parse_catalogue(doc, "indicators.toml")


# -- B-20: a consolidated share over every unit with the duty ----------------------------------------

FIVE = ("K1", "K1-T1", "K1-T2", "K2", "K2-T1")


def five_units(*staff) -> tuple[Org, ...]:
    """A ministry, its apparatus department (no duty) and five units with the duty, with the
    headcounts given (None: not known)."""
    parents = ("MF", "K1", "K1", "MF", "K2")
    return (Org("MF", "central_body"), Org("MF-D1", "apparatus_department", "MF"),
            *(Org(code, "committee" if parent == "MF" else "territorial_department", parent,
                  headcount) for code, parent, headcount in zip(FIVE, parents, staff,
                                                                strict=True)))


def test_a_share_is_never_the_maximum_from_a_part_of_the_body():
    own = [case("4.2.1", "MF", None, "2025", numerator="12", denominator="240")]  # 5 %
    alone = one(evaluate("MF", "central_body", five_units(*[None] * 5)[:2], 2025, AFTER_2025,
                         own, DEFAULT), "4.2.1")
    assert alone.points == 3  # the ministry alone: its own 5 %
    got = one(evaluate("MF", "central_body", five_units(*[None] * 5), 2025, AFTER_2025, own,
                       DEFAULT), "4.2.1")
    assert (got.points, got.inputs["not_reported"]) == (0, list(FIVE))
    # with the headcounts: 12 of 240 + 760 = 1.2 % → 2 steps × 0.3
    got = one(evaluate("MF", "central_body", five_units(300, 200, 150, 60, 50), 2025,
                       AFTER_2025, own, DEFAULT), "4.2.1")
    assert (got.inputs["numerator"], got.inputs["denominator"], got.points) == (12, 1000, 0.6)
    assert "not_reported" not in got.inputs
    # one unit with figures of its own, one with neither: incomplete, that one named
    mixed = [*own, case("4.2.1", "K1", None, "2025", numerator="30", denominator="300")]
    got = one(evaluate("MF", "central_body", five_units(999, 200, 150, 60, None), 2025,
                       AFTER_2025, mixed, DEFAULT), "4.2.1")
    assert (got.inputs["numerator"], got.inputs["denominator"]) == (42, 950)  # K1's own 300
    assert (got.inputs["not_reported"], got.points) == (["K2-T1"], 0)
    words = in_words({**whole(score(SubjectFacts("MF", "central_body", 2025, AFTER_2025,
                                                 five_units(999, 200, 150, 60, None), ()),
                                    DEFAULT), [got]), "subject_name": "MF"},
                     Translator("en"))
    text = next(i["text"] for i in words["indicators"] if i["key"] == "4.2.1")
    assert "1 unit not reported (neither figures nor a headcount): K2-T1" in text
    assert "3 units recorded no figures and count as none trained of their headcount: " \
        "K1-T1 200, K1-T2 150, K2 60" in text


def test_a_unit_whose_figures_may_still_come_keeps_the_share_provisional():
    before = date(2025, 11, 1)
    cases = [case("4.2.1", "MF", None, "2025", numerator="12", denominator="240"),
             *(case("4.2.1", code, None, "2025", PENDING, date(2025, 12, 31)) for code in FIVE)]
    got = one(evaluate("MF", "central_body", five_units(*[None] * 5), 2025, before, cases,
                       DEFAULT), "4.2.1")
    assert got.pending_until == date(2025, 12, 31) and got.points == 0


def test_a_project_with_an_award_without_a_cap_shows_its_points_without_a_percentage():
    from workflow.scorecard.words import Words, project_maximum

    w = Words(Translator("en"), "AK")
    # 30 points of a capped 20 and an award with no cap: no "150 % of maximum"
    shown = project_maximum([{"kind": "award", "maximum": 20, "points": 20},
                             {"kind": "award", "maximum": None, "points": 10}], w)
    assert (shown["maximum_text"], shown["uncapped"], shown["percent_text"]) == ("20", True, "—")
    capped = project_maximum([{"kind": "award", "maximum": 20, "points": 5}], w)
    assert capped["percent_text"] == "25 %"


def test_a_monthly_indicator_lists_as_counted_only_the_cases_whose_records_it_counts():
    from workflow.scorecard.evaluation import behind

    cases = [case("4.2.4", "AK", None, "2025M03", records=[rec(date(2025, 3, 5), count="4")]),
             case("4.2.4", "AK", None, "2025M05")]  # opened, nothing recorded
    got = evaluate("AK", "akimat", REGION, 2025, date(2025, 12, 15), cases, DEFAULT)
    assert [i.inputs["months"] for i in got if i.key == "4.2.4"] == [[[3, 4.0, 4.0]]]
    statuses = [status for _c, status, _d in behind(
        "AK", "akimat", REGION, 2025, date(2025, 12, 15), cases, DEFAULT, CATALOGUE)["4.2.4"]]
    assert statuses == [DONE, PENDING]
    # with nothing recorded at all, no case is said to be counted beside "nothing recorded"
    empty = [case("4.2.4", "AK", None, "2025M05")]
    listed = behind("AK", "akimat", REGION, 2025, AFTER_2025, empty, DEFAULT, CATALOGUE)
    assert [s for _c, s, _d in listed["4.2.4"]] == [MISSING]
