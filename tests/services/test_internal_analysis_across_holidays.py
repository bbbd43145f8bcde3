"""The internal analysis as the sources have it (definition version 3), with
exact dates across the 2025-2027 holidays.

Every expected date is written by hand from the Kazakh production calendar
(`merzim calendar show YEAR`), counted day by day in the comments; `add_wd(d, n)` never counts
`d` itself, E is the 30th working day counted from S (both included, I-4):

* 2025: Women's Day Sat 8 Mar -> Mon 10 Mar off; Nauryz Fri 21, Mon 24, Tue 25 Mar off;
  1, 7, 9 May off (Thu, Wed, Fri); no holiday in February or April.
* 2026: 16 Dec (Wed) off; Sat 5 and 12 Sep, Sat 5 Dec are weekends.
* 2027: Fri 1 Jan, Mon 4 Jan (moved from Sat 2 Jan), Thu 7 Jan off.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.analysis_world import add_orgs, plan, record
from tests.support.features import module_of, needs
from workflow.core.errors import RuleViolation

DOC = {"number": "15-ө", "signed_by": "Head of apparatus"}
LINK = {"url": "https://akimat.example.kz/news/1"}


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture
def world(db, make_ctx):
    """A regional akimat with a department and a district akimat with its department."""
    return add_orgs(db, make_ctx(d("2025-01-10")),
                    [("AK-EDU", "department", "AK"), ("AK-D1", "district_akimat", "AK"),
                     ("AK-D1-EDU", "department", "AK-D1")], root=("AK", "akimat"))


_plan = plan


_record = record


def _view(db, ctx, aid):
    from workflow import services as svc
    from workflow.storage.db import session as open_session

    with open_session(db) as s:
        return svc.case_view(s, ctx, svc.get_case(s, aid))


def _snapshot(db, aid):
    """Everything stored about one case (to prove a refusal changed nothing)."""
    from sqlmodel import select

    from workflow.storage.db import session as open_session
    from workflow.storage.models import AuditRecord, Case, EventRecord, Stage

    with open_session(db) as s:
        case = s.get(Case, aid)
        return (case.state, case.dates,
                sorted((st.key, st.status, st.due_date, st.done_on)
                       for st in s.exec(select(Stage).where(Stage.case_id == aid))),
                len(list(s.exec(select(EventRecord).where(EventRecord.case_id == aid)))),
                len(list(s.exec(select(AuditRecord)))))


def _refused(db, ctx, aid, event, on, evidence, key):
    before = _snapshot(db, aid)
    with pytest.raises(RuleViolation) as refused:
        _record(db, ctx, aid, event, on, evidence)
    assert refused.value.key == key
    assert _snapshot(db, aid) == before
    return refused.value


def _dues(view) -> dict[str, date | None]:
    return {st.key: st.due for st in view.stages if ":" not in st.key}


def _status(view) -> dict[str, str]:
    return {st.key: st.status for st in view.stages}


# -- the dates of one analysis across Nauryz 2025 ------------------------------------------------


def test_every_due_date_of_an_analysis_across_nauryz_2025(world, make_ctx):
    """S = Mon 3 Mar 2025. Order and start announcement: the 10th WD before S = Mon 17 Feb
    (28, 27, 26, 25, 24, 21, 20, 19, 18, 17 Feb). E = the 30th WD from S: March gives 17 (3-7,
    11-14, 17-20, 26-28, 31), April 1-4, 7-11, 14-17 -> Thu 17 Apr. Discussion announced by the
    10th WD before E = Thu 3 Apr (16, 15, 14, 11, 10, 9, 8, 7, 4, 3), held by the 5th = Thu
    10 Apr; note and positions list 10 WD after E = Fri 2 May (18, 21-25, 28-30, 2 May; 1 May
    off). No stage "end of the analysis" (I-11)."""
    ctx = make_ctx(d("2025-01-10"))
    aid = _plan(world, ctx, "AK", "AK-EDU", d("2025-03-03"))
    view = _view(world, ctx, aid)
    assert view.planned_end == d("2025-04-17")
    assert _dues(view) == {
        "order": d("2025-02-17"), "start_announcement": d("2025-02-17"),
        "discussion_announcement": d("2025-04-03"), "public_discussion": d("2025-04-10"),
        "analytic_note": d("2025-05-02"), "positions_list": d("2025-05-02"),
        "action_plan": d("2025-05-20"),  # projected from the note's due date: see below
        "publication": d("2025-05-23"), "positions_sent": None, "monitoring": None}
    # N = Fri 2 May: plan by the 10th WD after N = Tue 20 May (5, 6, 8, 12-16, 19, 20; 7 and
    # 9 May off); A = 20 May: publication by the 3rd WD after = Fri 23 May (21, 22, 23)
    _record(world, make_ctx(d("2025-05-02")), aid, "analytic_note", d("2025-05-02"), DOC)
    view = _view(world, make_ctx(d("2025-05-02")), aid)
    assert _dues(view)["action_plan"] == d("2025-05-20")
    assert not {st.key: st.projected for st in view.stages}["action_plan"]
    _record(world, make_ctx(d("2025-05-20")), aid, "action_plan", d("2025-05-20"), DOC)
    assert _dues(_view(world, make_ctx(d("2025-05-20")), aid))["publication"] == d("2025-05-23")


# -- from plan to closed, as real life goes ------------------------------------------------------


def test_runs_from_plan_to_closed_without_any_start_or_end_record(world, make_ctx):
    """Acceptance: no "analysis started" record; the start announcement before the order (I-2);
    in progress on the planned S and ended after the planned E by themselves (I-11); the list
    of positions approved during the analysis and sent on (I-6); publication by a justification
    note signed by the head of apparatus (I-13); the monitoring note after the year closes the
    analysis with the unreported period not done (I-8)."""
    ms = module_of("monitoring", "service")
    from workflow.storage.db import session as open_session

    aid = _plan(world, make_ctx(d("2025-01-10")), "AK", "AK-EDU", d("2025-03-03"))
    at = make_ctx
    view = _view(world, at(d("2025-02-28")), aid)
    assert view.state == "planned"
    # before the start neither the note nor the positions list can be dated: not offered yet
    assert "analytic_note" not in view.next_events
    assert "positions_list" not in view.next_events
    _record(world, at(d("2025-02-12")), aid, "start_announcement", d("2025-02-12"), LINK)
    _record(world, at(d("2025-02-14")), aid, "order", d("2025-02-14"), DOC)  # after: I-2
    view = _view(world, at(d("2025-03-03")), aid)
    assert view.state == "in_progress"  # on the planned S, with no record (I-11)
    assert "analysis_start" in view.next_events  # only if it started on another day
    assert "action_plan" not in view.next_events  # needs the note (I-10)
    assert {"analytic_note", "positions_list", "cancel"} <= set(view.next_events)
    # positions identified during the analysis: the list approved before E, then sent (I-6)
    _record(world, at(d("2025-03-20")), aid, "positions_list", d("2025-03-20"), DOC)
    _record(world, at(d("2025-03-21")), aid, "positions_sent", d("2025-03-21"), {"number": "9"})
    _record(world, at(d("2025-04-01")), aid, "discussion_announcement", d("2025-04-01"), LINK)
    _record(world, at(d("2025-04-09")), aid, "public_discussion", d("2025-04-09"),
            {"number": "3", **LINK})
    assert _view(world, at(d("2025-04-18")), aid).state == "ended"  # the day after E
    _record(world, at(d("2025-04-28")), aid, "analytic_note", d("2025-04-28"), DOC)
    _record(world, at(d("2025-05-06")), aid, "action_plan", d("2025-05-06"), DOC)
    # publication: a link or a justification note signed by the head of apparatus (I-13)
    ctx = at(d("2025-05-08"))
    err = _refused(world, ctx, aid, "publication", d("2025-05-08"), {"number": "4"},
                   "rule.missing_evidence_any")
    assert err.params["groups"] == "links | url | number + signed_by"
    # ... signed by the head of apparatus (I-16, tests/services/test_justification_signer.py)
    _record(world, ctx, aid, "publication", d("2025-05-08"),
            {**DOC, "approver_role": "head_of_apparatus"})
    view = _view(world, ctx, aid)
    # A = Tue 6 May 2025 is after N: 3 WD after it = Tue 13 May (8, 12, 13; 7 and 9 May off)
    assert _dues(view)["publication"] == d("2025-05-13")
    assert _status(view)["publication"] == "done_on_time"
    # N = Mon 28 Apr 2025 (I-8, version 5: quarters counted from the note): [28 Apr, 27 Jul],
    # [28 Jul, 27 Oct], [28 Oct 2025, 27 Jan 2026], [28 Jan, 27 Apr 2026]; reports by the 5th
    # of the month after each: Tue 5 Aug, Wed 5 Nov 2025, Thu 5 Feb, Tue 5 May 2026
    with open_session(world) as s:
        periods = ms.periods_of(s, ctx, aid)
    assert [(p["period"], p["report_due"]) for p in periods] == [
        ("2025N1", d("2025-08-05")), ("2025N2", d("2025-11-05")), ("2025N3", d("2026-02-05")),
        ("2025N4", d("2026-05-05"))]
    for period, received in (("2025N1", "2025-08-04"), ("2025N2", "2025-11-04"),
                             ("2025N3", "2026-02-04")):
        _record(world, at(d(received)), aid, "monitoring_report", d(received),
                {"period": period})
        _record(world, at(d(received)), aid, "monitoring_review", d(received),
                {"period": period})
    # 2025N4's report never came: until its due date passes the note waits (refused) ...
    ctx = at(d("2026-05-05"))
    err = _refused(world, ctx, aid, "monitoring_note", d("2026-05-05"), DOC, "rule.periods_open")
    assert err.params["until"] == "2026-05-06" and err.params["periods"] == "2025N4"
    # ... then it closes the analysis; the unreported period is not done (I-8)
    ctx = at(d("2026-05-06"))
    _record(world, ctx, aid, "monitoring_note", d("2026-05-06"), DOC)
    view = _view(world, ctx, aid)
    assert view.state == "closed"
    status = _status(view)
    assert status["monitoring_report:2025N4"] == "not_done"
    assert status["monitoring"] == "done_on_time"
    assert status["monitoring_review:2025N3"] == "done_on_time"
    assert {k: v for k, v in status.items() if ":" not in k} == {
        "order": "done_on_time", "start_announcement": "done_on_time",
        "discussion_announcement": "done_on_time", "public_discussion": "done_on_time",
        "analytic_note": "done_on_time", "action_plan": "done_on_time",
        "publication": "done_on_time", "positions_list": "done_on_time",
        "positions_sent": "done_on_time", "monitoring": "done_on_time"}


@needs("scorecard")
def test_a_note_without_a_discussion_is_recorded_and_scored_not_done(world, make_ctx):
    """Acceptance: the note of an analysis whose discussion never happened can be recorded; the
    scorecard counts that discussion as not done (1.2.2: 0 of 1 subdivision)."""
    from workflow.scorecard import service as scoring
    from workflow.scorecard.rules import ScoreSettings
    from workflow.storage.db import session as open_session

    aid = _plan(world, make_ctx(d("2025-01-10")), "AK", "AK-EDU", d("2025-03-03"))
    _record(world, make_ctx(d("2025-04-28")), aid, "analytic_note", d("2025-04-28"), DOC)
    ctx = make_ctx(d("2026-02-02"))
    view = _view(world, ctx, aid)
    assert view.state == "note_signed"
    assert _status(view)["public_discussion"] == "overdue"
    with open_session(world) as s:
        card = scoring.scorecards(s, ctx, "AK", 2025, ScoreSettings())[0]
    discussed = next(i for i in card["indicators"] if i["key"] == "1.2.2")
    # the akimat's subdivisions are its departments (the district is not one): AK-EDU only
    assert discussed["inputs"]["done"] == 0 and discussed["inputs"]["units"] == 1
    assert discussed["points"] == 0


# -- actual dates re-plan, the length is checked on them (I-12, I-4) ---------------------------


def test_an_actual_end_across_new_year_2027_replans_and_warns_on_the_length(world, make_ctx):
    """S = Tue 1 Dec 2026. E = 30th WD from S: December 1-4, 7-11, 14, 15, 17, 18, 21-25,
    28-31 (22; 16 Dec off), January 5, 6, 8 (25; 1, 4, 7 Jan off), 11-15 -> Fri 15 Jan 2027.
    Order by the 10th WD before S: Tue 17 Nov 2026 (30, 27-23, 20-17 Nov). Discussion announced
    by Tue 29 Dec (14, 13, 12, 11, 8, 6, 5 Jan, 31, 30, 29 Dec), held by Fri 8 Jan (14-11, 8);
    note by Fri 29 Jan (18-22, 25-29).
    The actual end Fri 22 Jan 2027 re-plans: announced by Fri 8 Jan (21-18, 15-11, 8), held
    by Fri 15 Jan (21-18, 15), note by Fri 5 Feb (25-29, 1-5 Feb); 35 working days > 30: a
    warning, not a refusal."""
    ctx = make_ctx(d("2026-11-02"))
    aid = _plan(world, ctx, "AK", "AK-EDU", d("2026-12-01"))
    view = _view(world, ctx, aid)
    assert view.planned_end == d("2027-01-15") and view.warnings == []
    dues = _dues(view)
    assert (dues["order"], dues["discussion_announcement"], dues["public_discussion"],
            dues["analytic_note"]) == (d("2026-11-17"), d("2026-12-29"), d("2027-01-08"),
                                       d("2027-01-29"))
    # the discussion announced 10 WD before the planned end: on time, for now
    _record(world, make_ctx(d("2026-12-29")), aid, "discussion_announcement", d("2026-12-29"),
            LINK)
    ctx = make_ctx(d("2027-01-25"))
    _record(world, ctx, aid, "analysis_end", d("2027-01-22"))
    view = _view(world, ctx, aid)
    dues = _dues(view)
    assert (dues["discussion_announcement"], dues["public_discussion"],
            dues["analytic_note"], dues["positions_list"]) == (
        d("2027-01-08"), d("2027-01-15"), d("2027-02-05"), d("2027-02-05"))
    assert view.actual_end == d("2027-01-22") and view.planned_end == d("2027-01-15")
    assert view.warnings == [{"code": "too_long", "working_days": 35, "limit": 30}]
    # done stages are re-checked against the actual end too: 29 Dec is before 8 Jan, on time
    assert _status(view)["discussion_announcement"] == "done_on_time"
    _record(world, ctx, aid, "cancel", d("2027-01-25"), {"note": "merged with another"})
    assert _view(world, ctx, aid).warnings == []  # a cancelled analysis warns of nothing


def test_positions_are_approved_from_the_actual_start_on(world, make_ctx):
    """I-6: the list may be approved any time from S (the actual start once recorded), never
    before; sending it needs the list first."""
    ctx = make_ctx(d("2026-12-10"))
    aid = _plan(world, make_ctx(d("2026-11-02")), "AK", "AK-EDU", d("2026-12-01"))
    err = _refused(world, ctx, aid, "positions_sent", d("2026-12-02"), {"number": "1"},
                   "rule.prerequisite")
    assert err.params["other"] == "positions_list"
    assert "positions_sent" not in _view(world, ctx, aid).next_events
    _refused(world, ctx, aid, "positions_list", d("2026-11-30"), DOC, "rule.date_floor")
    _record(world, ctx, aid, "analysis_start", d("2026-12-03"))  # started two days late
    err = _refused(world, ctx, aid, "positions_list", d("2026-12-02"), DOC, "rule.date_floor")
    assert err.params["floor"] == "2026-12-03"
    _record(world, ctx, aid, "positions_list", d("2026-12-03"), DOC)
    assert "positions_sent" in _view(world, ctx, aid).next_events


# -- the cartogram (I-7) ------------------------------------------------------------------------


def test_cartogram_sections_are_updated_by_a_regional_akimat_only(world, make_ctx):
    ctx = make_ctx(d("2025-06-02"))
    regional = _plan(world, make_ctx(d("2025-01-10")), "AK", "AK-EDU", d("2025-03-03"))
    district = _plan(world, make_ctx(d("2025-01-10")), "AK-D1", "AK-D1-EDU", d("2025-03-03"))
    assert "cartogram_update" in _view(world, ctx, regional).next_events
    assert "cartogram_update" not in _view(world, ctx, district).next_events
    err = _refused(world, ctx, district, "cartogram_update", d("2025-06-02"),
                   {"section": "AK-D1-EDU", **LINK}, "rule.not_for_kind")
    # a city of republican significance's akimat counts as a region's (docs/projects-2-4.md)
    assert (err.params["kinds"], err.params["kind"]) == (
        "regional akimat, akimat of a city of republican significance", "district akimat")
    kk = make_ctx(d("2025-06-02"))
    kk.language = "kk"  # the kinds in the reader's words
    err = _refused(world, kk, district, "cartogram_update", d("2025-06-02"),
                   {"section": "AK-D1-EDU", **LINK}, "rule.not_for_kind")
    assert (err.params["kinds"], err.params["kind"]) == (
        "облыс әкімдігі, республикалық маңызы бар қала әкімдігі", "аудан әкімдігі")
    _refused(world, ctx, regional, "cartogram_update", d("2025-06-02"), {"section": "AK-D1"},
             "rule.missing_evidence")
    _refused(world, ctx, regional, "cartogram_update", d("2025-06-02"),
             {"section": "NOWHERE", "cartogram_part": "positions", **LINK}, "rule.not_below")
    for section in ("AK-EDU", "AK-D1"):  # repeatable: one record per section and part
        _record(world, ctx, regional, "cartogram_update", d("2025-06-02"),
                {"section": section, "cartogram_part": "positions", **LINK})
    records = [r for r in _view(world, ctx, regional).records if r.event ==
               "cartogram_update"]
    assert sorted(r.evidence["section"] for r in records) == ["AK-D1", "AK-EDU"]


# -- monitoring periods counted from the note (I-8 setting) ---------------------------------------


def test_monitoring_periods_counted_from_the_note(db, calendar):
    """monitoring_periods = "from_note", N = Thu 20 Nov 2025: [20 Nov 2025, 19 Feb 2026],
    [20 Feb, 19 May], [20 May, 19 Aug], [20 Aug, 19 Nov 2026]; reports by the 5th of the
    month after each: Thu 5 Mar, Fri 5 Jun, Sat 5 Sep -> Mon 7 Sep, Sat 5 Dec -> Mon 7 Dec
    2026. With calendar quarters the same note has five periods (2025Q4 ... 2026Q4)."""
    from workflow import services as svc
    from workflow.definitions import load_definition
    ms = module_of("monitoring", "service")
    planning_svc = module_of("planning", "service")
    from workflow.services import Context
    from workflow.storage.db import session as open_session

    definition = load_definition(overrides={"monitoring_periods": "from_note"})
    ctx = Context(calendar, definition, d("2025-11-20"), actor="test")
    with open_session(db) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        aid = planning_svc.plan_analysis(s, ctx, "AK", "AK", d("2025-09-01")).analysis.id
        svc.record_event(s, ctx, aid, "analytic_note", d("2025-11-20"), dict(DOC))
        s.commit()
        periods = ms.periods_of(s, ctx, aid)
    assert [(p["period"], p["report_due"]) for p in periods] == [
        ("2025N1", d("2026-03-05")), ("2025N2", d("2026-06-05")),
        ("2025N3", d("2026-09-07")), ("2025N4", d("2026-12-07"))]
    # a report of the second period cannot come before it starts (20 Feb 2026)
    ctx = Context(calendar, definition, d("2026-03-02"), actor="test")
    with open_session(db) as s, pytest.raises(RuleViolation) as refused:
        svc.record_event(s, ctx, aid, "monitoring_report", d("2026-02-19"), {"period": "2025N2"})
    assert refused.value.key == "rule.report_too_early"
    assert refused.value.params["start"] == "2026-02-20"
    with open_session(db) as s:
        svc.record_event(s, ctx, aid, "monitoring_report", d("2026-02-20"), {"period": "2025N2"})
        s.commit()
        review = {st.key: st.due for st in svc.case_view(s, ctx, svc.get_case(s, aid))
                  .stages}["monitoring_review:2025N2"]
    assert review == d("2026-02-27")  # 5 WD after Fri 20 Feb: 23-27 Feb


def test_an_unknown_monitoring_setting_is_refused(calendar):
    from workflow.core.errors import ConfigError
    mon = module_of("monitoring", "rules")

    with pytest.raises(ConfigError, match="monitoring_periods"):
        mon.periods(calendar, d("2025-11-20"), counting="weekly")


# -- earlier versions --------------------------------------------------------------------------


def test_a_case_migrated_at_version_2_keeps_the_shipped_version_2(calendar):
    """Cases migrated from before version texts were stored (migration 0005) are version 2:
    the registry reads the shipped copy, with its "end of the analysis" stage."""
    from workflow.definitions import load_registry

    registry = load_registry()
    current = registry.get("internal_risk_analysis")
    assert current.version >= 3 and "analysis_end" not in current.stages
    older = registry.version("internal_risk_analysis", 2)
    assert older.version == 2 and "analysis_end" in older.stages


def test_an_analysis_opened_from_the_generic_form_is_planned_like_any_other(world, make_ctx):
    """`merzim case open`, the web's form and the API plan an analysis as `analysis plan` does:
    in the subject's programme of the year (so the scorecard counts it), with the planning
    rules (the year after an external analysis)."""
    from workflow import services as svc
    planning_svc = module_of("planning", "service")
    from workflow.storage.db import session as open_session

    ctx = make_ctx(d("2025-02-03"))
    with open_session(world) as s:
        planned = svc.open_checked(s, ctx, "internal_risk_analysis", "AK", "AK-EDU",
                                   dates={"start": d("2025-03-03")})
        s.commit()
        assert planned.analysis.programme_id is not None
        planning_svc.add_external(s, ctx, "AK-D1", d("2025-01-15"))
        s.commit()
        with pytest.raises(RuleViolation) as refused:
            svc.open_checked(s, ctx, "internal_risk_analysis", "AK-D1", "AK-D1-EDU",
                             dates={"start": d("2025-03-03")})
        assert refused.value.key == "rule.external_year"
