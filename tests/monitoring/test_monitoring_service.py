"""After the note, through the service layer on SQLite and PostgreSQL: the monitoring stages and
their deadlines, reports and reviews, recommendation statuses and the fulfilment rule, the action
plan's import, positions, external analyses.

Due dates are literals counted by hand on the Kazakh calendar (see test_monitoring_periods.py).
Every refusal is checked to leave every table unchanged.

The story runs with the setting `monitoring_periods = "calendar"` (calendar quarters, I-8): the
default since version 5 counts the quarters from the note (tests/monitoring/test_monitoring_from_note.py).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from tests.monitoring import risk_world as world
from tests.monitoring.risk_world import (
    EVIDENCE,
    GOOD,
    SUBDIVISION,
    TODAY,
    commit,
    plan,
    planning_svc,
    read,
    record,
    refused,
)
from workflow import services as svc
from workflow.core.errors import MerzimError, NotFound, RuleViolation, UsageError
from workflow.i18n import Translator
from workflow.monitoring import service as ms
from workflow.storage.models import MonitoringReport, PlanItem, Recommendation

NOTE = date(2025, 11, 20)
STORY = [  # an analysis from 1 October to 10 November 2025, its note signed on 20 November
    *world.STORY,
    ("action_plan", date(2025, 12, 2)),
    ("publication", date(2025, 12, 4)),
]
REPORT_DUE = {  # by hand: the 5th of the month after the quarter, rolled to a working day
    "2025Q4": date(2026, 1, 5),
    "2026Q1": date(2026, 4, 6),   # Sun 5 Apr
    "2026Q2": date(2026, 7, 7),   # Sun 5 Jul, Mon 6 Jul Capital Day
    "2026Q3": date(2026, 10, 5),
    "2026Q4": date(2027, 1, 5),
}


# -- helpers (the story's world, its session helpers and `noted`: tests/monitoring/risk_world.py) --

CALENDAR_QUARTERS = {"monitoring_periods": "calendar"}
noted = world.noted  # an analysis of the education department whose note was signed (fixture)


@pytest.fixture(scope="module")
def definition():
    """The shipped definition with calendar quarters (the setting this story is written for)."""
    from workflow.definitions import load_definition

    return load_definition(overrides=CALENDAR_QUARTERS)


def english(exc) -> str:
    return exc.render(Translator("en"))


def record_upto(db, ctx, aid, last: str) -> None:
    for event, on in STORY:
        record(db, ctx, aid, event, on)
        if event == last:
            return


def stages(db, aid) -> dict:
    return read(db, lambda s: svc.stages_of(s, svc.get_analysis(s, aid)))


def monitoring_stages(db, aid) -> dict:
    return {k: (st.due_date, st.status, st.done_on) for k, st in stages(db, aid).items()
            if k.startswith(("monitoring_report:", "monitoring_review:"))}


def report(db, ctx, aid, period, on):
    return record(db, ctx, aid, "monitoring_report", on, period=period)


def review(db, ctx, aid, period, on):
    return record(db, ctx, aid, "monitoring_review", on, period=period)


@pytest.fixture
def ctx(db, make_ctx):
    """The story's akimat with two departments, a ministry with a committee."""
    ctx = make_ctx(TODAY)

    def setup(s):
        world.akimat(s, ctx)
        svc.add_org(s, ctx, "MF", "Ministry of Finance", "central_body")
        svc.add_org(s, ctx, "MF-KGD", "State Revenue Committee", "committee", "MF")

    commit(db, setup)
    return ctx


# -- the periods as stages ------------------------------------------------------------------------


def test_signed_note_creates_a_report_stage_per_period_with_its_deadline(db, ctx, noted):
    assert monitoring_stages(db, noted) == {
        f"monitoring_report:{p}": (due, "open", None) for p, due in REPORT_DUE.items()}
    rows = read(db, lambda s: list(s.exec(select(MonitoringReport).where(
        MonitoringReport.analysis_id == noted).order_by(MonitoringReport.period))))
    assert [(r.period, r.received_on, r.reviewed_on) for r in rows] == [
        (p, None, None) for p in REPORT_DUE]
    # the timeline shows them after the stages of the definition, by due date
    view = read(db, lambda s: svc.analysis_view(s, ctx, svc.get_analysis(s, noted)))
    shown = [r.key for r in view.stages if r.key.startswith("monitoring_report:")]
    assert shown == [f"monitoring_report:{p}" for p in REPORT_DUE]


def test_no_monitoring_stage_before_the_note(db, ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "analysis_end")
    assert monitoring_stages(db, aid) == {}
    err = refused(db, lambda s: svc.record_event(s, ctx, aid, "monitoring_report",
                                                 date(2026, 1, 5), {"period": "2025Q4"}),
                  key="rule.prerequisite")  # monitoring needs the note (I-10)
    assert err.params["other"] == "analytic_note"


def test_report_deadlines_appear_in_due_and_overdue(db, ctx, noted, make_ctx):
    def mine(rows):
        return [(r.stage, r.due, r.as_dict().get("working_days_left", r.working_days_overdue))
                for r in rows if r.analysis == noted and r.stage.startswith("monitoring")]

    # Mon 29 Dec 2025: 5 working days ahead is Thu 8 Jan (30, 31 Dec, 5, 6, 8 Jan);
    # 5 Jan is 3 working days away (30, 31 Dec, 5 Jan).
    before = make_ctx(date(2025, 12, 29))
    assert mine(read(db, lambda s: svc.due_within(s, before, "AK", 5))) == [
        ("monitoring_report:2025Q4", date(2026, 1, 5), 3)]
    assert mine(read(db, lambda s: svc.overdue(s, before, "AK"))) == []
    # Tue 6 Jan 2026: one working day overdue; nothing else due within 5 working days.
    after = make_ctx(date(2026, 1, 6))
    assert mine(read(db, lambda s: svc.overdue(s, after, "AK"))) == [
        ("monitoring_report:2025Q4", date(2026, 1, 5), 1)]
    assert mine(read(db, lambda s: svc.due_within(s, after, "AK", 5))) == []
    # another subtree does not see them
    assert mine(read(db, lambda s: svc.overdue(s, after, "MF"))) == []
    # a year on, every report is overdue
    late = make_ctx(date(2027, 1, 6))
    assert [r[0] for r in mine(read(db, lambda s: svc.overdue(s, late)))] == [
        f"monitoring_report:{p}" for p in REPORT_DUE]


def test_receipt_completes_the_report_and_opens_the_review_due_5_working_days_later(
        db, ctx, noted, make_ctx):
    report(db, ctx, noted, "2025Q4", date(2026, 1, 5))       # on the deadline: on time
    report(db, ctx, noted, "2026Q1", date(2026, 3, 20))      # Fri before Nauryz
    report(db, ctx, noted, "2026Q2", date(2026, 7, 8))       # a day after 7 Jul: late
    got = monitoring_stages(db, noted)
    assert got["monitoring_report:2025Q4"] == (date(2026, 1, 5), "done_on_time", date(2026, 1, 5))
    assert got["monitoring_report:2026Q1"] == (date(2026, 4, 6), "done_on_time", date(2026, 3, 20))
    assert got["monitoring_report:2026Q2"] == (date(2026, 7, 7), "done_late", date(2026, 7, 8))
    assert got["monitoring_report:2026Q3"] == (date(2026, 10, 5), "open", None)
    # reviews: 6, (7 off) 8, 9, 12, 13 Jan; (23-25 Mar off) 26, 27, 30, 31 Mar, 1 Apr;
    # 9, 10, 13, 14, 15 Jul
    assert got["monitoring_review:2025Q4"] == (date(2026, 1, 13), "open", None)
    assert got["monitoring_review:2026Q1"] == (date(2026, 4, 1), "open", None)
    assert got["monitoring_review:2026Q2"] == (date(2026, 7, 15), "open", None)
    assert "monitoring_review:2026Q3" not in got
    evidence = stages(db, noted)["monitoring_report:2025Q4"].evidence
    assert evidence == {"date": "2026-01-05", "period": "2025Q4"}

    # the review deadline is in due/overdue like any stage
    jan = make_ctx(date(2026, 1, 12))
    due = [(r.stage, r.due) for r in read(db, lambda s: svc.due_within(s, jan, "AK", 1))
           if r.analysis == noted]
    assert due == [("monitoring_review:2025Q4", date(2026, 1, 13))]
    jan14 = make_ctx(date(2026, 1, 14))
    late = [(r.stage, r.working_days_overdue) for r in read(
        db, lambda s: svc.overdue(s, jan14, "AK")) if r.stage.startswith("monitoring")]
    assert ("monitoring_review:2025Q4", 1) in late

    review(db, ctx, noted, "2025Q4", date(2026, 1, 14))      # a day late
    review(db, ctx, noted, "2026Q1", date(2026, 4, 1))       # on the deadline
    got = monitoring_stages(db, noted)
    assert got["monitoring_review:2025Q4"] == (date(2026, 1, 13), "done_late", date(2026, 1, 14))
    assert got["monitoring_review:2026Q1"] == (date(2026, 4, 1), "done_on_time", date(2026, 4, 1))
    rows = read(db, lambda s: {r.period: (r.received_on, r.reviewed_on) for r in s.exec(
        select(MonitoringReport).where(MonitoringReport.analysis_id == noted))})
    assert rows["2025Q4"] == (date(2026, 1, 5), date(2026, 1, 14))
    assert rows["2026Q2"] == (date(2026, 7, 8), None)


def test_monitoring_refusals_store_nothing(db, ctx, noted, make_ctx):
    def rec(event, on, period, c=ctx):
        return lambda s: svc.record_event(s, c, noted, event, on, {"period": period})

    err = refused(db, rec("monitoring_report", date(2026, 1, 5), "2025Q3"), key="rule.unknown_period")
    assert err.params["known"] == "2025Q4, 2026Q1, 2026Q2, 2026Q3, 2026Q4"
    refused(db, rec("monitoring_report", date(2027, 1, 5), "2027Q1"), key="rule.unknown_period")
    refused(db, rec("monitoring_report", date(2026, 1, 5), "Q4"), key="rule.unknown_period")
    refused(db, lambda s: svc.record_event(s, ctx, noted, "monitoring_report", date(2026, 1, 5), {}),
            key="rule.missing_evidence")
    # received before its period began
    refused(db, rec("monitoring_report", date(2026, 3, 31), "2026Q2"), key="rule.report_too_early")
    # received before the note
    refused(db, rec("monitoring_report", date(2025, 11, 19), "2025Q4"), key="rule.date_before")
    # in the future
    jan6 = make_ctx(date(2026, 1, 6))
    refused(db, rec("monitoring_report", date(2026, 1, 7), "2025Q4", jan6), key="rule.future_date")
    # reviewed before the report was received
    refused(db, rec("monitoring_review", date(2026, 1, 6), "2025Q4"), key="rule.review_before_report")

    report(db, ctx, noted, "2025Q4", date(2026, 1, 5))
    refused(db, rec("monitoring_report", date(2026, 1, 6), "2025Q4"), key="rule.already_recorded")
    # reviewed before its receipt
    err = refused(db, rec("monitoring_review", date(2026, 1, 2), "2025Q4"), key="rule.date_before")
    assert err.params["other_date"] == "2026-01-05"
    refused(db, rec("monitoring_review", date(2026, 1, 8), "2025Q4", jan6), key="rule.future_date")
    review(db, ctx, noted, "2025Q4", date(2026, 1, 8))
    refused(db, rec("monitoring_review", date(2026, 1, 9), "2025Q4"), key="rule.already_recorded")


def note_on(ctx, aid, day):
    """Recording the monitoring result note dated `day` (an action for commit/refused)."""
    return lambda s: svc.record_event(s, ctx, aid, "monitoring_note", day,
                                      EVIDENCE["monitoring_note"])


# I-8: the monitoring year is free of open periods once the last period's report is overdue:
# 2026Q4's report is due Tue 5 January 2027, so from Wednesday 6 January 2027.
YEAR_OVER = date(2027, 1, 6)


def test_monitoring_note_before_the_year_ends_is_refused_while_a_period_is_open(db, ctx, noted):
    record(db, ctx, noted, "action_plan", date(2025, 12, 2))
    record(db, ctx, noted, "publication", date(2025, 12, 4))
    err = refused(db, note_on(ctx, noted, date(2026, 11, 19)), key="rule.periods_open")
    assert err.params["periods"] == "2025Q4, 2026Q1, 2026Q2, 2026Q3, 2026Q4"
    assert err.params["until"] == "2027-01-06"
    for period, due in REPORT_DUE.items():
        report(db, ctx, noted, period, due)
        if period != "2026Q4":
            review(db, ctx, noted, period, due)
    # the last day before the year is over: still refused, naming the one period not reviewed
    err = refused(db, note_on(ctx, noted, date(2027, 1, 5)), key="rule.periods_open")
    assert (err.params["periods"], err.params["until"]) == ("2026Q4", "2027-01-06")
    review(db, ctx, noted, "2026Q4", date(2027, 1, 5))  # the day of its receipt: on time
    assert stages(db, noted)["monitoring_review:2026Q4"].status == "done_on_time"
    commit(db, note_on(ctx, noted, date(2027, 1, 5)))  # every period reviewed: it closes
    assert read(db, lambda s: svc.get_analysis(s, noted).state) == "closed"
    st = stages(db, noted)["monitoring"]
    assert (st.status, st.done_on) == ("done_on_time", date(2027, 1, 5))
    assert {v[1] for v in monitoring_stages(db, noted).values()} == {"done_on_time"}


def test_monitoring_note_after_the_year_closes_with_the_unreported_period_not_done(db, ctx,
                                                                                   noted):
    # v3: the note needs the analytic note only (a plan or publication never recorded stays
    # not done), and after the year it closes whatever the periods (I-8)
    for period, due in REPORT_DUE.items():
        if period != "2026Q4":  # the last quarter's report never came
            report(db, ctx, noted, period, due)
            review(db, ctx, noted, period, due)
    assert read(db, lambda s: svc.get_analysis(s, noted).state) == "note_signed"
    err = refused(db, note_on(ctx, noted, date(2027, 1, 5)), key="rule.periods_open")
    assert (err.params["periods"], err.params["until"]) == ("2026Q4", "2027-01-06")
    commit(db, note_on(ctx, noted, YEAR_OVER))
    assert read(db, lambda s: svc.get_analysis(s, noted).state) == "closed"
    st = stages(db, noted)
    assert (st["monitoring"].status, st["monitoring"].done_on) == ("done_on_time", YEAR_OVER)
    assert monitoring_stages(db, noted) == {
        **{f"monitoring_report:{p}": (due, "done_on_time", due)
           for p, due in REPORT_DUE.items() if p != "2026Q4"},
        # reviewed on the day of the receipt, due 5 WD after it
        **{f"monitoring_review:{p}": (due, "done_on_time", REPORT_DUE[p]) for p, due in {
            "2025Q4": date(2026, 1, 13),   # 5 WD after Mon 5 Jan 2026 (7 January off)
            "2026Q1": date(2026, 4, 13),   # 5 WD after Mon 6 Apr
            "2026Q2": date(2026, 7, 14),   # 5 WD after Tue 7 Jul
            "2026Q3": date(2026, 10, 12),  # 5 WD after Mon 5 Oct
        }.items()},
        "monitoring_report:2026Q4": (date(2027, 1, 5), "not_done", None),
    }
    # every stage still open when the case closed can no longer be done
    assert {k: st[k].status for k in ("action_plan", "publication", "positions_list",
                                      "positions_sent")} == dict.fromkeys(
        ("action_plan", "publication", "positions_list", "positions_sent"), "not_done")
    shown = read(db, lambda s: svc.analysis_view(s, ctx, svc.get_analysis(s, noted)))
    assert shown.next_events == []


def half_years(calendar):
    """A context whose definition reports by half-year, by the 10th, reviewed within 3 WD."""
    from workflow.definitions import load_definition

    definition = load_definition(overrides={**CALENDAR_QUARTERS, "monitoring_period_months": 6,
                                            "monitoring_report_day": 10,
                                            "monitoring_review_working_days": 3})
    return svc.Context(calendar, definition, TODAY, actor="test", language="en")


HALF_YEARS = {  # by hand: the 10th of the month after each half-year, rolled
    "monitoring_report:2025H2": (date(2026, 1, 12), "open", None),   # Sat 10 Jan -> Mon 12
    "monitoring_report:2026H1": (date(2026, 7, 10), "open", None),   # Fri
    "monitoring_report:2026H2": (date(2027, 1, 11), "open", None),   # Sun 10 Jan -> Mon 11
}


def test_interpretations_set_the_periods_and_the_report_day(db, ctx, calendar):
    c = half_years(calendar)
    aid = plan(db, c)
    record_upto(db, c, aid, "analytic_note")
    assert monitoring_stages(db, aid) == HALF_YEARS
    refused(db, lambda s: svc.record_event(s, c, aid, "monitoring_report", date(2025, 12, 31),
                                           {"period": "2026H1"}), key="rule.report_too_early")
    refused(db, lambda s: svc.record_event(s, c, aid, "monitoring_report", date(2026, 1, 12),
                                           {"period": "2026Q1"}), key="rule.unknown_period")


def test_interpretations_survive_the_next_event(db, ctx, calendar):
    c = half_years(calendar)
    aid = plan(db, c)
    record_upto(db, c, aid, "analytic_note")
    record(db, c, aid, "action_plan", date(2025, 12, 2))  # re-plans the open stages
    assert monitoring_stages(db, aid) == HALF_YEARS
    report(db, c, aid, "2025H2", date(2026, 1, 12))
    got = monitoring_stages(db, aid)
    assert got["monitoring_report:2025H2"] == (date(2026, 1, 12), "done_on_time", date(2026, 1, 12))
    assert got["monitoring_review:2025H2"] == (date(2026, 1, 15), "open", None)  # 13, 14, 15 Jan
    record(db, c, aid, "publication", date(2025, 12, 4))
    assert monitoring_stages(db, aid)["monitoring_review:2025H2"][0] == date(2026, 1, 15)


# -- recommendations and the fulfilment rule ---------------------------------------------------------


def test_recommendation_statuses_and_the_fulfilment_rule(db, ctx, noted, make_ctx):
    risk = commit(db, lambda s: ms.add_risk(s, ctx, "Manual allocation of places", "Queue",
                                            SUBDIVISION, analysis_id=noted))
    rec = commit(db, lambda s: ms.add_recommendation(s, ctx, risk.id, "Move to the e-queue")).id
    other = commit(db, lambda s: ms.add_recommendation(s, ctx, risk.id, "Publish the queue")).id
    assert read(db, lambda s: s.get(Recommendation, rec).status) == "not_started"

    def status(st, on, c=ctx, rid=rec, **evidence):
        return lambda s: ms.set_status(s, c, rid, st, on, evidence)

    commit(db, status("in_progress", date(2026, 1, 8), number="12-4/15"))
    got = read(db, lambda s: s.get(Recommendation, rec))
    assert (got.status, got.status_on, got.evidence) == ("in_progress", date(2026, 1, 8),
                                                         {"number": "12-4/15"})
    refused(db, status("done", date(2026, 1, 9)), UsageError, "error.bad_status")
    refused(db, status("in_progress", date(2026, 1, 9), make_ctx(date(2026, 1, 8))),
            key="rule.future_date")
    refused(db, status("in_progress", date(2026, 1, 9), rid=9999), NotFound, "notfound.recommendation")
    # no plan measure serves it yet
    refused(db, status("fulfilled", date(2026, 4, 8), form="Order of the head", number="45-ө"),
            key="rule.no_plan_measure")

    commit(db, lambda s: ms.import_plan(s, ctx, [
        {"measure": "Move allocation to the e-queue", "completion_form": "Order of the head",
         "deadline": "2026-03-31", "responsible": SUBDIVISION, "recommendation": str(rec)},
    ], analysis_id=noted))
    err = refused(db, status("fulfilled", date(2026, 4, 8), form="Letter", number="45-ө"),
                  key="rule.wrong_form")
    assert err.params["wanted"] == "Order of the head"
    refused(db, status("fulfilled", date(2026, 4, 8), number="45-ө"), key="rule.wrong_form")
    refused(db, status("fulfilled", date(2026, 4, 8), form="Order of the head"),
            key="rule.missing_evidence")
    refused(db, status("fulfilled", date(2026, 4, 8), form="Order of the head", number="  "),
            key="rule.missing_evidence")
    # the other recommendation of the same risk has no measure of its own
    refused(db, status("fulfilled", date(2026, 4, 8), rid=other, form="Order of the head",
                       number="45-ө"), key="rule.no_plan_measure")

    commit(db, status("fulfilled", date(2026, 4, 8), form="order of the head ", number="45-ө"))
    got = read(db, lambda s: s.get(Recommendation, rec))
    assert (got.status, got.status_on) == ("fulfilled", date(2026, 4, 8))
    assert got.evidence == {"form": "order of the head", "number": "45-ө"}
    commit(db, status("fulfilled", date(2026, 4, 9), form="Order of the head",
                      url="https://gov.kz/doc/45"))
    commit(db, status("not_fulfilled", date(2026, 7, 9), note="cancelled by the akim"))
    assert read(db, lambda s: s.get(Recommendation, rec).status) == "not_fulfilled"


def test_risk_and_recommendation_refusals(db, ctx, noted):
    refused(db, lambda s: ms.add_risk(s, ctx, "  ", analysis_id=noted), UsageError, "error.empty_field")
    refused(db, lambda s: ms.add_risk(s, ctx, "x" * 501, analysis_id=noted), key="rule.too_long")
    refused(db, lambda s: ms.add_risk(s, ctx, "risk"), UsageError, "error.owner")
    refused(db, lambda s: ms.add_risk(s, ctx, "risk", analysis_id=noted, external_id=1),
            UsageError, "error.owner")
    refused(db, lambda s: ms.add_risk(s, ctx, "risk", analysis_id=9999), NotFound, "notfound.analysis")
    refused(db, lambda s: ms.add_risk(s, ctx, "risk", external_id=9999), NotFound, "notfound.external")
    refused(db, lambda s: ms.add_recommendation(s, ctx, 9999, "text"), NotFound, "notfound.risk")


# -- the action plan ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad, fragment", [
    ({"measure": "  "}, "measure must not be empty"),
    ({"completion_form": ""}, "completion_form must not be empty"),
    ({"deadline": "31.02.2026"}, "'31.02.2026' is not a date"),
    ({"deadline": ""}, "deadline"),
    ({"deadline": "2026-02-30"}, "2026-02-30"),
    ({"responsible": "Health department"}, "'Health department' is not a subdivision of AK-EDU"),
    ({"responsible": ""}, "responsible must not be empty"),
    ({"recommendation": "one"}, "'one'"),
    ({"recommendation": "9999"}, "No recommendation 9999"),
    ("other-analysis", "No recommendation"),
])
def test_plan_import_refuses_a_bad_row_naming_it_and_stores_nothing(db, ctx, noted, bad, fragment):
    if bad == "other-analysis":  # a recommendation of another analysis
        aid = plan(db, ctx, obj="AK-HLTH")
        risk = commit(db, lambda s: ms.add_risk(s, ctx, "Other risk", analysis_id=aid))
        rid = commit(db, lambda s: ms.add_recommendation(s, ctx, risk.id, "Other")).id
        bad = {"recommendation": str(rid)}
    rows = [dict(GOOD), dict(GOOD, measure="Second"), {**GOOD, **bad}, dict(GOOD, measure="Fourth")]
    err = refused(db, lambda s: ms.import_plan(s, ctx, rows, analysis_id=noted), MerzimError)
    assert err.key == "error.row"
    assert err.params["row"] == 4  # the header is row 1
    text = english(err)
    assert text.startswith("Row 4: "), text
    assert fragment in text, (fragment, text)
    assert read(db, lambda s: ms.plan_rows(s, analysis_id=noted)) == []


def test_plan_import_refusal_error_classes(db, ctx, noted):
    def attempt(**bad):
        return lambda s: ms.import_plan(s, ctx, [{**GOOD, **bad}], analysis_id=noted)

    assert refused(db, attempt(measure=""), UsageError).params["row"] == 2
    assert refused(db, attempt(responsible="Nowhere"), RuleViolation).params["row"] == 2
    assert refused(db, attempt(recommendation="77"), NotFound).params["row"] == 2
    refused(db, lambda s: ms.import_plan(s, ctx, [GOOD], analysis_id=9999), NotFound)


def test_good_plan_import_creates_a_deadline_stage_per_measure(db, ctx, noted, make_ctx):
    risk = commit(db, lambda s: ms.add_risk(s, ctx, "Manual allocation", analysis_id=noted))
    rec = commit(db, lambda s: ms.add_recommendation(s, ctx, risk.id, "Use the e-queue")).id
    rows = [
        dict(GOOD, recommendation=str(rec)),
        # by the object's code and in another case; a datetime-like cell; no person
        {"measure": "Train the staff", "completion_form": "Letter", "deadline": "2026-06-30 00:00:00",
         "responsible": "ak-edu", "person": "", "recommendation": ""},
        {"measure": "Audit the queue", "completion_form": "Report", "deadline": "2026-09-15",
         "responsible": "education DEPARTMENT"},
    ]
    items = commit(db, lambda s: ms.import_plan(s, ctx, rows, analysis_id=noted))
    ids = [i.id for i in items]
    assert read(db, lambda s: ms.plan_rows(s, analysis_id=noted)) == [
        {"measure": "Move allocation to the e-queue", "completion_form": "Order of the head",
         "deadline": date(2026, 3, 31), "responsible": SUBDIVISION, "person": "A. Seitov",
         "recommendation": rec},
        {"measure": "Train the staff", "completion_form": "Letter", "deadline": date(2026, 6, 30),
         "responsible": "AK-EDU", "person": None, "recommendation": None},
        {"measure": "Audit the queue", "completion_form": "Report", "deadline": date(2026, 9, 15),
         "responsible": "Education department", "person": None, "recommendation": None},
    ]
    st = stages(db, noted)
    assert {k: (st[k].due_date, st[k].status) for k in st if k.startswith("plan_item:")} == {
        f"plan_item:{ids[0]}": (date(2026, 3, 31), "open"),
        f"plan_item:{ids[1]}": (date(2026, 6, 30), "open"),
        f"plan_item:{ids[2]}": (date(2026, 9, 15), "open"),
    }
    # the measures' deadlines show in overdue and due like every stage
    april = make_ctx(date(2026, 4, 1))
    assert [r.stage for r in read(db, lambda s: svc.overdue(s, april, "AK"))
            if r.stage.startswith("plan_item:")] == [f"plan_item:{ids[0]}"]
    june = make_ctx(date(2026, 6, 26))  # Fri; 29, 30 Jun
    assert [r.stage for r in read(db, lambda s: svc.due_within(s, june, "AK", 2))
            if r.stage.startswith("plan_item:")] == [f"plan_item:{ids[1]}"]
    # a second import adds to the plan
    commit(db, lambda s: ms.import_plan(s, ctx, [dict(GOOD, measure="More")], analysis_id=noted))
    assert len(read(db, lambda s: ms.plan_rows(s, analysis_id=noted))) == 4


def test_subdivisions_are_registered_once(db, ctx):
    refused(db, lambda s: ms.add_subdivision(s, ctx, "AK-EDU", SUBDIVISION), key="rule.subdivision_exists")
    refused(db, lambda s: ms.add_subdivision(s, ctx, "NOPE", "X"), NotFound, "notfound.org")
    refused(db, lambda s: ms.add_subdivision(s, ctx, "AK-EDU", " "), UsageError, "error.empty_field")
    commit(db, lambda s: ms.add_subdivision(s, ctx, "AK-HLTH", SUBDIVISION))  # another organisation
    names = read(db, lambda s: ms.known_subdivisions(s, svc.get_org(s, "AK")))
    # the akimat's subtree: its bodies' names and codes, but not the departments' registered ones
    assert names["ak-edu"] == "AK-EDU" and names["health department"] == "Health department"
    assert SUBDIVISION.casefold() not in names


# -- positions ---------------------------------------------------------------------------------------


def test_positions_are_consolidated_per_subtree(db, ctx, noted):
    health = plan(db, ctx, subject="AK-HLTH", obj="AK-HLTH")
    ministry = plan(db, ctx, subject="MF-KGD", obj="MF-KGD")
    add = ms.add_position
    commit(db, lambda s: add(s, ctx, noted, "Chief specialist, admissions", SUBDIVISION,
                             "Manual allocation of places"))
    commit(db, lambda s: add(s, ctx, health, "Head of procurement", "Procurement", "Collusion"))
    commit(db, lambda s: add(s, ctx, ministry, "Tax inspector", "Audit", "Extortion"))
    commit(db, lambda s: add(s, ctx, noted, "Deputy head", SUBDIVISION, "Conflict of interest"))
    record(db, ctx, noted, "positions_list", date(2025, 11, 24))

    def listed(org):
        return [(r["organisation"], r["analysis"], r["position"], r["subdivision"], r["risk"],
                 r["approved_on"]) for r in read(db, lambda s: ms.positions_under(s, org))]

    assert listed("AK") == [
        ("AK", noted, "Chief specialist, admissions", SUBDIVISION, "Manual allocation of places",
         date(2025, 11, 24)),
        ("AK", noted, "Deputy head", SUBDIVISION, "Conflict of interest", date(2025, 11, 24)),
        ("AK-HLTH", health, "Head of procurement", "Procurement", "Collusion", None),
    ]
    assert listed("AK-HLTH") == [
        ("AK-HLTH", health, "Head of procurement", "Procurement", "Collusion", None)]
    assert listed("MF") == [("MF-KGD", ministry, "Tax inspector", "Audit", "Extortion", None)]
    assert listed("AK-EDU") == []  # the analysis belongs to the akimat, its subject
    stage = stages(db, noted)["positions_list"]
    assert (stage.status, stage.done_on) == ("done_on_time", date(2025, 11, 24))

    refused(db, lambda s: add(s, ctx, noted, "", SUBDIVISION, "risk"), UsageError, "error.empty_field")
    refused(db, lambda s: add(s, ctx, noted, "Clerk", SUBDIVISION, ""), UsageError, "error.empty_field")
    refused(db, lambda s: add(s, ctx, 9999, "Clerk", SUBDIVISION, "risk"), NotFound)
    with pytest.raises(NotFound):
        read(db, lambda s: ms.positions_under(s, "NOPE"))


# -- external analyses ---------------------------------------------------------------------------------


def test_external_analysis_keeps_its_own_risks_and_plan(db, ctx, noted):
    ext = commit(db, lambda s: planning_svc.add_external(s, ctx, "MF", date(2025, 6, 15), "ACA report 7")).id
    risk = commit(db, lambda s: ms.add_risk(s, ctx, "Discretion in refunds", "VAT refunds",
                                            "MF-KGD", external_id=ext))
    assert (risk.analysis_id, risk.external_id) == (None, ext)
    rec = commit(db, lambda s: ms.add_recommendation(s, ctx, risk.id, "Automate refunds")).id
    internal_risk = commit(db, lambda s: ms.add_risk(s, ctx, "Internal", analysis_id=noted))
    internal_rec = commit(db, lambda s: ms.add_recommendation(s, ctx, internal_risk.id, "x")).id
    row = {"measure": "Automate VAT refunds", "completion_form": "Order of the minister",
           "deadline": "2025-12-31", "responsible": "State Revenue Committee"}
    # a recommendation of an internal analysis, or an unknown subdivision: refused, row named
    err = refused(db, lambda s: ms.import_plan(s, ctx, [row, dict(row, recommendation=str(
        internal_rec))], external_id=ext), NotFound)
    assert english(err).startswith("Row 3: ")
    err = refused(db, lambda s: ms.import_plan(s, ctx, [dict(row, responsible=SUBDIVISION)],
                                               external_id=ext), RuleViolation)
    assert english(err).startswith("Row 2: ") and "not a subdivision of MF" in english(err)
    refused(db, lambda s: ms.import_plan(s, ctx, [row], analysis_id=noted, external_id=ext),
            UsageError, "error.owner")
    # the ministry's own plan, one measure per recommendation
    n_stages = read(db, svc.count_stages)
    items = commit(db, lambda s: ms.import_plan(s, ctx, [
        dict(row, recommendation=str(rec)),
        {"measure": "Publish refund decisions", "completion_form": "Report",
         "deadline": "2026-03-31", "responsible": "mf-kgd"}], external_id=ext))
    assert [(i.analysis_id, i.external_id) for i in items] == [(None, ext), (None, ext)]
    assert read(db, svc.count_stages) == n_stages  # no deadline stages for an external plan (yet)
    assert read(db, lambda s: ms.plan_rows(s, external_id=ext)) == [
        {"measure": "Automate VAT refunds", "completion_form": "Order of the minister",
         "deadline": date(2025, 12, 31), "responsible": "State Revenue Committee", "person": None,
         "recommendation": rec},
        {"measure": "Publish refund decisions", "completion_form": "Report",
         "deadline": date(2026, 3, 31), "responsible": "MF-KGD", "person": None,
         "recommendation": None}]
    assert read(db, lambda s: ms.plan_rows(s, analysis_id=noted)) == []
    # monitored the same way: fulfilled only in the plan's form
    refused(db, lambda s: ms.set_status(s, ctx, rec, "fulfilled", date(2026, 1, 10),
                                        {"form": "Letter", "number": "1"}), key="rule.wrong_form")
    commit(db, lambda s: ms.set_status(s, ctx, rec, "fulfilled", date(2026, 1, 10),
                                       {"form": "Order of the minister", "number": "112"}))
    assert read(db, lambda s: s.get(Recommendation, rec).status) == "fulfilled"
    assert read(db, lambda s: len(list(s.exec(select(PlanItem).where(PlanItem.external_id == ext))))) == 2
