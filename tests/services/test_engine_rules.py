"""The officer's and the manager's stories through the service layer, on SQLite and PostgreSQL.

Due dates are literals counted by hand on the 2026 calendar (9 March, 23-25 March,
1, 7 and 11 May off). Every refusal is checked to leave every table unchanged.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import select

from calendars import KazakhstanCalendar
from tests.support.analysis_world import abai_akimat, analysis_evidence
from tests.support.databases import dump_tables
from tests.support.features import module_of, needs
from workflow import services as svc
from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.core.machine import CaseMachine as AnalysisMachine
from workflow.imports.organisations import import_orgs
from workflow.storage import audit
from workflow.storage.db import session as open_session
from workflow.storage.models import AuditRecord, EventRecord, Organisation, User

planning_svc = module_of("planning", "service")  # the analyses are planned by it

TODAY = date(2026, 6, 1)
START, END = date(2026, 3, 2), date(2026, 4, 10)

EVIDENCE = {
    **analysis_evidence("ak-edu", "Басшы Н. Әбенов", order_signed_by="Бөлім басшысы А. Сейітов"),
    "positions_sent": {"number": "01-17/45"},
    "cartogram_update": {"section": "AK-EDU", "url": "https://abai.gov.kz/cartogram/edu"},
    "monitoring_report": {"period": "2026N1"},
    "monitoring_review": {"period": "2026N1"},
    "cancel": {"note": "Object reorganised by the akim's decision No. 112"},
}

EVENTS = ["order", "start_announcement", "analysis_start", "discussion_announcement",
          "public_discussion", "analysis_end", "analytic_note", "action_plan", "publication",
          "positions_list", "positions_sent", "cartogram_update", "monitoring_report",
          "monitoring_review", "monitoring_note", "cancel"]

# What each state accepts, from the process definition v3 (definition order). Recording
# follows real life (I-10): the order, the announcements, the discussion, the actual dates,
# the positions list, its sending and the cartogram updates are accepted in any non-final
# state (the state machine does not look at prerequisites or the subject's kind: those are
# refused by their own rules); only the hard prerequisites (the plan needs the note, the
# publication the plan, monitoring the note) narrow the later states. v3: the monitoring note
# is accepted from the signed note on (I-8: after the year it closes the analysis).
ANY_TIME = ["order", "start_announcement", "analysis_start", "discussion_announcement",
            "public_discussion", "analysis_end"]
POSITIONS_AND_CARTOGRAM = ["positions_list", "positions_sent", "cartogram_update"]
MONITORING = ["monitoring_report", "monitoring_review", "monitoring_note"]
ALLOWED = {
    "planned": [*ANY_TIME, "analytic_note", *POSITIONS_AND_CARTOGRAM, "cancel"],
    "in_progress": [*ANY_TIME, "analytic_note", *POSITIONS_AND_CARTOGRAM, "cancel"],
    "ended": [*ANY_TIME, "analytic_note", *POSITIONS_AND_CARTOGRAM, "cancel"],
    "note_signed": [*ANY_TIME, "action_plan", *POSITIONS_AND_CARTOGRAM, *MONITORING, "cancel"],
    "plan_approved": [*ANY_TIME, "publication", *POSITIONS_AND_CARTOGRAM, *MONITORING,
                      "cancel"],
    "published": [*ANY_TIME, *POSITIONS_AND_CARTOGRAM, *MONITORING, "cancel"],
    "closed": [],
    "cancelled": [],
}

# Every stage done on time, for an analysis from 2 March to 10 April 2026, each recorded on its
# day; the state is the one of that day (I-11: in progress from the start, ended on the end).
# The actual start and end are recorded on the planned days: v3 needs no record then (I-11),
# but they stand as actual dates equal to the plan and re-plan nothing.
ON_TIME = [
    ("order", date(2026, 2, 10), "planned"),
    ("start_announcement", date(2026, 2, 12), "planned"),
    ("analysis_start", date(2026, 3, 2), "in_progress"),
    ("discussion_announcement", date(2026, 3, 20), "in_progress"),
    ("public_discussion", date(2026, 4, 1), "in_progress"),
    ("analysis_end", date(2026, 4, 10), "ended"),
    ("analytic_note", date(2026, 4, 22), "note_signed"),
    ("positions_list", date(2026, 4, 22), "note_signed"),
    ("action_plan", date(2026, 5, 6), "plan_approved"),
    ("publication", date(2026, 5, 8), "published"),
]


# -- helpers -----------------------------------------------------------------------------------


def commit(db, action):
    """Run `action(session)` in one transaction and commit it."""
    with open_session(db) as s:
        result = action(s)
        s.commit()
        return result


def refused(db, action, error=RuleViolation, key: str | None = None, before=None):
    """`action(session)` raises `error` (with `key`) and every table is byte-for-byte unchanged.

    `before` is a dump taken earlier when several refusals follow one another.
    """
    before = dump_tables(db) if before is None else before
    with open_session(db) as s, pytest.raises(error) as err:
        action(s)
    assert dump_tables(db) == before
    if key is not None:
        assert err.value.key == key, err.value.message
    return err.value


def refused_event(db, ctx, aid: int, event: str, on: date, key: str):
    """Recording `event` on `on` with its evidence is refused with `key`, nothing stored; the
    error."""
    return refused(db, lambda s: svc.record_event(s, ctx, aid, event, on, EVIDENCE[event]),
                   key=key)


def plan(db, ctx, start=START, end=END, subject="AK-EDU", **kw) -> int:
    return commit(db, lambda s: planning_svc.plan_analysis(s, ctx, subject, subject, start, end, **kw)
                  ).analysis.id


def record(db, ctx, aid, event, on, evidence=None):
    evidence = EVIDENCE[event] if evidence is None else evidence
    return commit(db, lambda s: svc.record_event(s, ctx, aid, event, on, evidence))


def on_day(ctx, day: date):
    """The same officer's context on another day (records are made as things happen)."""
    return svc.Context(ctx.calendar, planning_svc.planned_definition(ctx), day, actor=ctx.actor,
                       language="en")


def record_upto(db, ctx, aid, last: str) -> None:
    """Record the on-time story up to and including `last`, each event on its own day."""
    for event, on, _ in ON_TIME:
        record(db, on_day(ctx, on), aid, event, on)
        if event == last:
            return


def view(db, ctx, aid) -> dict:
    with open_session(db) as s:
        return svc.analysis_view(s, ctx, svc.get_analysis(s, aid))


def stages(db, aid) -> dict:
    with open_session(db) as s:
        return svc.stages_of(s, svc.get_analysis(s, aid))


def state(db, aid) -> str:
    with open_session(db) as s:
        return svc.get_analysis(s, aid).state


def audit_rows(db, action: str) -> list[AuditRecord]:
    with open_session(db) as s:
        return list(s.exec(select(AuditRecord).where(AuditRecord.action == action)
                           .order_by(AuditRecord.id)))


@pytest.fixture
def ctx(db, make_ctx):
    """An akimat with its education department, whose officer runs the analyses."""
    ctx = make_ctx(TODAY)

    def setup(s):
        abai_akimat(s, ctx)
        svc.add_user(s, ctx, "aigerim", "Aigerim Nurlanovna", "officer", "AK-EDU")

    commit(db, setup)
    return ctx


# -- planning ----------------------------------------------------------------------------------


def test_planned_analysis_stores_every_due_date_with_plan_and_publication_projected(db, ctx):
    aid = plan(db, ctx)
    got = {k: (st.due_date, st.projected, st.status) for k, st in stages(db, aid).items()}
    assert got == {
        "order": (date(2026, 2, 16), False, "open"),
        "start_announcement": (date(2026, 2, 16), False, "open"),
        "discussion_announcement": (date(2026, 3, 27), False, "open"),
        "public_discussion": (date(2026, 4, 3), False, "open"),
        "analytic_note": (date(2026, 4, 24), False, "open"),
        "positions_list": (date(2026, 4, 24), False, "open"),
        "positions_sent": (None, False, "open"),  # I-6: no deadline in the sources
        "action_plan": (date(2026, 5, 13), True, "open"),
        "publication": (date(2026, 5, 18), True, "open"),
        "monitoring": (None, False, "open"),  # closed by the monitoring result note, no due date
    }
    with open_session(db) as s:
        analysis = svc.get_analysis(s, aid)
        # I-11: with nothing recorded, the state follows the calendar: planned before the
        # start, in progress from 2 March, ended on the planned end 10 April; as of TODAY
        # (1 June) the analysis has ended
        assert analysis.state == "ended"
        assert [svc.current_state(s, on_day(ctx, day), analysis) for day in (
            date(2026, 2, 2), date(2026, 3, 1), date(2026, 3, 2), date(2026, 4, 9),
            date(2026, 4, 10))] == ["planned", "planned", "in_progress", "in_progress", "ended"]
        assert s.get(User, analysis.responsible_id).login == "aigerim"
    assert (view(db, ctx, aid).planned_start, view(db, ctx, aid).planned_end) == (START, END)


def test_plan_without_an_end_ends_on_the_30th_working_day(db, ctx):
    planned = commit(db, lambda s: planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU", START))
    # the default end is stored with the case as given when it was opened
    assert planned.analysis.given() == {"start": START, "end": date(2026, 4, 16)}
    assert view(db, ctx, planned.analysis.id).planned_end == date(2026, 4, 16)
    assert planned.warnings == []


def test_analysis_of_31_working_days_is_planned_with_a_too_long_warning(db, ctx):
    planned = commit(db, lambda s: planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU", START,
                                                     date(2026, 4, 17)))
    assert planned.warnings == [{"code": "too_long", "working_days": 31, "limit": 30}]
    assert planned.analysis.id is not None


def test_analysis_of_exactly_30_working_days_has_no_warning(db, ctx):
    planned = commit(db, lambda s: planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU", START,
                                                     date(2026, 4, 16)))
    assert planned.warnings == []


def test_start_on_a_saturday_is_planned_with_a_warning_and_counts_from_tuesday(db, ctx):
    planned = commit(db, lambda s: planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU",
                                                     date(2026, 3, 7)))
    assert planned.warnings == [{"code": "start_not_working", "date": date(2026, 3, 7),
                                 "reason": "Weekend"}]
    # Sunday 8 and Monday 9 March (Women's Day shift) are off: day 1 is Tuesday 10 March.
    assert planned.analysis.given()["end"] == date(2026, 4, 23)


def test_end_before_start_is_refused(db, ctx):
    refused(db, lambda s: planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU", START, date(2026, 3, 1)),
            key="rule.end_before_start")


def test_plan_for_an_unknown_subject_is_not_found(db, ctx):
    refused(db, lambda s: planning_svc.plan_analysis(s, ctx, "AK-HEALTH", "AK-HEALTH", START, END),
            error=NotFound, key="notfound.org")


# -- the one-year rule after an external analysis ------------------------------------------------


@pytest.fixture
def external(db, ctx):
    commit(db, lambda s: planning_svc.add_external(s, ctx, "AK-EDU", date(2025, 6, 10),
                                          "Agency's external analysis No. 41"))
    return ctx


def test_start_within_a_year_of_an_external_analysis_is_refused(db, external):
    err = refused(db, lambda s: planning_svc.plan_analysis(s, external, "AK-EDU", "AK-EDU",
                                                  date(2026, 5, 1)),
                  key="rule.external_year")
    assert err.params["external"] == "2025-06-10"
    assert err.params["earliest"] == "2026-06-10"


def test_start_the_day_before_the_anniversary_is_still_refused(db, external):
    refused(db, lambda s: planning_svc.plan_analysis(s, external, "AK-EDU", "AK-EDU", date(2026, 6, 9)),
            key="rule.external_year")


def test_start_on_the_anniversary_of_the_external_analysis_is_allowed(db, external):
    planned = commit(db, lambda s: planning_svc.plan_analysis(s, external, "AK-EDU", "AK-EDU",
                                                     date(2026, 6, 10)))
    assert planned.warnings == []
    assert planned.analysis.override_reason is None


def test_overridden_one_year_rule_stores_the_reason_on_the_analysis_and_in_the_audit(db, external):
    reason = "The Agency asked for an early internal analysis (letter No. 5-12/301)"
    planned = commit(db, lambda s: planning_svc.plan_analysis(s, external, "AK-EDU", "AK-EDU",
                                                     date(2026, 5, 1), override_reason=reason))
    aid = planned.analysis.id
    assert {"code": "external_overridden", "earliest": date(2026, 6, 10),
            "reason": reason} in planned.warnings
    with open_session(db) as s:
        assert svc.get_analysis(s, aid).override_reason == reason
    (row,) = audit_rows(db, "case.open")  # planning an analysis opens a case of the process
    assert row.entity_id == str(aid)
    payload = json.loads(row.payload)
    assert payload["process"] == "internal_risk_analysis"
    assert payload["override_reason"] == reason
    assert payload["start"] == "2026-05-01"


def test_blank_override_reason_does_not_lift_the_one_year_rule(db, external):
    refused(db, lambda s: planning_svc.plan_analysis(s, external, "AK-EDU", "AK-EDU", date(2026, 5, 1),
                                            override_reason="   "),
            error=UsageError, key="error.bad_reason")


def test_external_analysis_of_the_parent_does_not_block_its_department(db, ctx):
    commit(db, lambda s: planning_svc.add_external(s, ctx, "AK", date(2025, 6, 10)))
    assert plan(db, ctx, date(2026, 5, 4), None) is not None


# -- recording the stages in order ---------------------------------------------------------------


def test_officer_records_every_stage_in_order_some_on_time_some_late(db, ctx):
    aid = plan(db, ctx)
    # each event recorded on its own day; the state is that day's (I-11: the analysis is in
    # progress from its start and has ended on its actual end, with or without a record)
    story = [  # event, date, state after, stage status (None: completes no stage)
        ("order", date(2026, 2, 10), "planned", "done_on_time"),                  # due 16 Feb
        ("start_announcement", date(2026, 2, 17), "planned", "done_late"),        # due 16 Feb
        ("analysis_start", date(2026, 3, 2), "in_progress", None),
        ("discussion_announcement", date(2026, 3, 27), "in_progress",
         "done_on_time"),                                                          # due 27 Mar
        ("public_discussion", date(2026, 4, 6), "in_progress", "done_late"),      # due 3 Apr
        ("analysis_end", date(2026, 4, 9), "ended", None),        # actual end, a day early
        ("analytic_note", date(2026, 4, 24), "note_signed", "done_late"),         # due 23 Apr
        ("positions_list", date(2026, 4, 23), "note_signed", "done_on_time"),     # due 23 Apr
        ("positions_sent", date(2026, 4, 27), "note_signed", "done_on_time"),     # no due date
        ("action_plan", date(2026, 5, 13), "plan_approved", "done_on_time"),      # due 13 May
        ("publication", date(2026, 5, 19), "published", "done_late"),             # due 18 May
    ]
    for event, on, after, status in story:
        record(db, on_day(ctx, on), aid, event, on)
        assert state(db, aid) == after, event
        if status is not None:
            st = stages(db, aid)[event]
            assert (st.status, st.done_on) == (status, on), event
    final = {k: (st.due_date, st.status) for k, st in stages(db, aid).items() if ":" not in k}
    assert final == {
        "order": (date(2026, 2, 16), "done_on_time"),
        "start_announcement": (date(2026, 2, 16), "done_late"),
        # I-12: the actual end (Thu 9 April) re-plans the stages counted from it, done ones
        # included: 10 WD before it is 26 March (23-25 March off), so the announcement of
        # 27 March, on time when recorded, is now late; 5 WD before is 2 April
        "discussion_announcement": (date(2026, 3, 26), "done_late"),
        "public_discussion": (date(2026, 4, 2), "done_late"),
        "analytic_note": (date(2026, 4, 23), "done_late"),       # counted from the actual end
        "positions_list": (date(2026, 4, 23), "done_on_time"),
        "positions_sent": (None, "done_on_time"),
        "action_plan": (date(2026, 5, 13), "done_on_time"),      # add_wd(24 Apr, 10)
        "publication": (date(2026, 5, 18), "done_late"),         # add_wd(13 May, 3)
        "monitoring": (None, "open"),
    }
    shown = view(db, ctx, aid)
    assert (shown.actual_start, shown.actual_end) == (date(2026, 3, 2), date(2026, 4, 9))
    assert (shown.planned_start, shown.planned_end) == (START, END)
    with open_session(db) as s:
        recorded = [(e.event, e.on) for e in s.exec(
            select(EventRecord).where(EventRecord.case_id == aid).order_by(EventRecord.id))]
    assert recorded == [(event, on) for event, on, _, _ in story]
    assert [r.action for r in audit_rows(db, "event.publication")] == ["event.publication"]


def test_note_signed_on_its_due_date_is_done_on_time(db, ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "analysis_end")
    record(db, ctx, aid, "analytic_note", date(2026, 4, 24))
    assert stages(db, aid)["analytic_note"].status == "done_on_time"


def test_note_signed_late_is_done_late(db, ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "analysis_end")
    record(db, ctx, aid, "analytic_note", date(2026, 4, 27))
    assert stages(db, aid)["analytic_note"].status == "done_late"


def test_order_signed_after_the_tenth_working_day_before_the_start_is_done_late(db, ctx):
    aid = plan(db, ctx)
    record(db, ctx, aid, "order", date(2026, 2, 17))
    assert stages(db, aid)["order"].status == "done_late"


def test_end_recorded_late_moves_note_and_positions_list_and_warns_of_the_length(db, ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "public_discussion")
    assert view(db, ctx, aid).warnings == []  # 2 March - 10 April: 28 working days
    record(db, ctx, aid, "analysis_end", date(2026, 4, 17))
    st = stages(db, aid)
    assert "analysis_end" not in st  # v3: the end is a date, not a stage to record (I-11)
    # I-12: the done discussion stages are re-planned from the actual end too, still on time:
    # 10 WD before 17 April is 3 April, 5 WD before is 10 April
    assert (st["discussion_announcement"].due_date, st["discussion_announcement"].status) == (
        date(2026, 4, 3), "done_on_time")
    assert (st["public_discussion"].due_date, st["public_discussion"].status) == (
        date(2026, 4, 10), "done_on_time")
    assert st["analytic_note"].due_date == date(2026, 5, 4)     # 1 May skipped
    assert st["positions_list"].due_date == date(2026, 5, 4)
    assert (st["action_plan"].due_date, st["action_plan"].projected) == (date(2026, 5, 20), True)
    assert (st["publication"].due_date, st["publication"].projected) == (date(2026, 5, 25), True)
    (row,) = audit_rows(db, "event.analysis_end")
    moved = {m[0]: (m[1], m[2]) for m in json.loads(row.payload)["moved"]}
    assert moved == {
        "analytic_note": ("2026-04-24", "2026-05-04"),
        "positions_list": ("2026-04-24", "2026-05-04"),
        "action_plan": ("2026-05-13", "2026-05-20"),
        "publication": ("2026-05-18", "2026-05-25"),
    }
    # 2 March - 17 April is 31 working days (the 30th is 16 April): over the recommended
    # length on the dates as they stand, a warning (I-4, I-12)
    assert view(db, ctx, aid).warnings == [{"code": "too_long", "working_days": 31,
                                               "limit": 30}]


def test_signed_note_fixes_the_plan_and_approved_plan_fixes_the_publication(db, ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "analysis_end")
    st = stages(db, aid)
    assert (st["action_plan"].due_date, st["action_plan"].projected) == (date(2026, 5, 13), True)
    assert (st["publication"].due_date, st["publication"].projected) == (date(2026, 5, 18), True)

    record(db, ctx, aid, "analytic_note", date(2026, 4, 22))
    st = stages(db, aid)
    assert (st["analytic_note"].projected, st["analytic_note"].status) == (False, "done_on_time")
    assert (st["action_plan"].due_date, st["action_plan"].projected) == (date(2026, 5, 8), False)
    assert (st["publication"].due_date, st["publication"].projected) == (date(2026, 5, 14), True)

    record(db, ctx, aid, "action_plan", date(2026, 5, 6))
    st = stages(db, aid)
    assert (st["action_plan"].status, st["action_plan"].projected) == ("done_on_time", False)
    # I-5: from the later of N (22 April) and A (6 May): 8, 12, 13 May
    assert (st["publication"].due_date, st["publication"].projected) == (date(2026, 5, 13), False)


def test_evidence_is_stored_on_the_stage_with_the_date(db, ctx):
    aid = plan(db, ctx)
    record(db, ctx, aid, "order", date(2026, 2, 10),
           {"number": "  15-ө ", "signed_by": "Бөлім басшысы А. Сейітов", "url": None})
    assert stages(db, aid)["order"].evidence == {
        "date": "2026-02-10", "number": "15-ө", "signed_by": "Бөлім басшысы А. Сейітов"}


# -- refusals: the state machine -----------------------------------------------------------------


def test_every_event_a_state_does_not_accept_or_already_has_is_refused_and_changes_nothing(
        db, ctx):
    aid = plan(db, on_day(ctx, date(2026, 2, 2)))
    for event, on, after in [(None, date(2026, 2, 2), "planned"), *ON_TIME]:
        day = on_day(ctx, on)
        if event is not None:
            record(db, day, aid, event, on)
        assert state(db, aid) == after
        before = dump_tables(db)
        recorded = [e for e, _, _ in ON_TIME[:[e for e, _, _ in ON_TIME].index(event) + 1]] \
            if event else []
        refusals = 0
        for illegal in EVENTS:
            defn = planning_svc.planned_definition(ctx)
            needs = defn.prerequisites(defn.events[illegal])
            if illegal in recorded:  # not repeatable: refused whatever the state
                key = "rule.already_recorded"
            elif illegal == "cartogram_update":  # regional akimats only (I-7); AK-EDU is not
                key = "rule.not_for_kind"
            elif any(n not in recorded for n in needs):  # a hard prerequisite missing (I-10)
                key = "rule.prerequisite"
            elif illegal not in ALLOWED[after]:
                key = "rule.not_allowed"
            else:
                continue
            refusals += 1
            refused(db, lambda s, illegal=illegal, day=day, on=on: svc.record_event(
                s, day, aid, illegal, on, EVIDENCE[illegal]), key=key, before=before)
        # before the note: the plan, the publication, the monitoring events, the sending of
        # a positions list not yet approved and the cartogram; after it, everything already
        # recorded as well
        assert refusals >= 7, after


def test_machine_of_each_state_allows_exactly_the_next_events(definition):
    for st, allowed in ALLOWED.items():
        assert AnalysisMachine(definition, st).allowed() == allowed, st


def test_action_plan_before_the_note_is_signed_is_refused(db, ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "analysis_end")
    # the hard prerequisite, named (I-10)
    err = refused_event(db, ctx, aid, "action_plan", date(2026, 4, 20), key="rule.prerequisite")
    assert (err.params["event"], err.params["other"]) == ("action_plan", "analytic_note")


def test_publication_of_a_planned_analysis_is_refused(db, ctx):
    aid = plan(db, ctx)
    err = refused_event(db, ctx, aid, "publication", date(2026, 2, 1), key="rule.prerequisite")
    assert err.params["other"] == "analytic_note"  # the first of its prerequisites missing


@pytest.mark.parametrize(("event", "again", "first"), [
    pytest.param("start_announcement", date(2026, 2, 13), "2026-02-12", id="start-announced"),
    pytest.param("positions_list", date(2026, 4, 23), "2026-04-22", id="positions-list"),
])
def test_an_event_recorded_twice_is_refused(db, ctx, event, again, first):
    """The refusal names the day the event was first recorded."""
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, event)
    err = refused_event(db, ctx, aid, event, again, key="rule.already_recorded")
    assert err.params["date"] == first


def test_positions_list_before_the_end_is_accepted_on_time(db, ctx):
    # I-6: positions are identified during the analysis, the list may be approved from S on;
    # it is no longer refused before the end
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "public_discussion")
    record(db, on_day(ctx, date(2026, 4, 2)), aid, "positions_list", date(2026, 4, 2))
    st = stages(db, aid)["positions_list"]
    assert (st.due_date, st.status, st.done_on) == (date(2026, 4, 24), "done_on_time",
                                                    date(2026, 4, 2))
    assert st.evidence == {"date": "2026-04-02", **EVIDENCE["positions_list"]}
    assert state(db, aid) == "in_progress"  # the list moves no state


def test_order_announcements_and_discussion_out_of_order_are_accepted_and_judged(db, ctx):
    # I-10: nothing but the hard prerequisites refuses an event; each stage is judged on its
    # own due date. Recorded as it happens, in reverse order, some late, some on time.
    aid = plan(db, ctx)
    for event, on in [("public_discussion", date(2026, 4, 3)),           # due 3 Apr
                      ("discussion_announcement", date(2026, 3, 30)),    # due 27 Mar
                      ("start_announcement", date(2026, 2, 16)),         # due 16 Feb
                      ("order", date(2026, 2, 20))]:                     # due 16 Feb
        record(db, ctx, aid, event, on)
    got = {k: (st.due_date, st.status, st.done_on) for k, st in stages(db, aid).items()
           if k in ("order", "start_announcement", "discussion_announcement",
                    "public_discussion")}
    assert got == {
        "order": (date(2026, 2, 16), "done_late", date(2026, 2, 20)),
        "start_announcement": (date(2026, 2, 16), "done_on_time", date(2026, 2, 16)),
        "discussion_announcement": (date(2026, 3, 27), "done_late", date(2026, 3, 30)),
        "public_discussion": (date(2026, 4, 3), "done_on_time", date(2026, 4, 3)),
    }
    with open_session(db) as s:
        recorded = [(e.kind, e.event, e.on) for e in s.exec(
            select(EventRecord).where(EventRecord.case_id == aid).order_by(EventRecord.id))]
    assert recorded == [("event", "public_discussion", date(2026, 4, 3)),
                        ("event", "discussion_announcement", date(2026, 3, 30)),
                        ("event", "start_announcement", date(2026, 2, 16)),
                        ("event", "order", date(2026, 2, 20))]
    assert state(db, aid) == "ended"  # as of TODAY, 1 June: the planned end has passed


def test_unknown_event_is_refused(db, ctx):
    aid = plan(db, ctx)
    err = refused(db, lambda s: svc.record_event(s, ctx, aid, "risk_register", date(2026, 2, 1),
                                                 {}),
                  key="rule.unknown_event")
    assert "order" in err.params["known"]


@pytest.mark.parametrize("cancelled_after", [None, "analysis_start", "action_plan"])
def test_nothing_can_be_recorded_after_cancel(db, ctx, cancelled_after):
    aid = plan(db, ctx)
    if cancelled_after:
        record_upto(db, ctx, aid, cancelled_after)
    record(db, ctx, aid, "cancel", date(2026, 5, 15))
    assert state(db, aid) == "cancelled"
    before = dump_tables(db)
    for event in EVENTS:
        # every event, recorded before the cancel or not, is refused because the case is closed
        refused(db, lambda s, event=event: svc.record_event(s, ctx, aid, event, date(2026, 5, 20),
                                                            EVIDENCE[event]),
                key="rule.case_closed", before=before)
    err = refused(db, lambda s: svc.record_event(s, ctx, aid, "positions_list",
                                                 date(2026, 5, 20), EVIDENCE["positions_list"]),
                  key="rule.case_closed", before=before)
    assert err.params["state"] == "Cancelled"
    # nor can a stage of a closed case be closed as not done
    refused(db, lambda s: svc.record_not_done(s, ctx, aid, "monitoring", "no longer needed"),
            key="rule.case_closed", before=before)


def test_cancel_needs_a_note(db, ctx):
    aid = plan(db, ctx)
    err = refused(db, lambda s: svc.record_event(s, ctx, aid, "cancel", date(2026, 2, 1),
                                                 {"note": "  "}),
                  key="rule.missing_evidence")
    assert err.params["field"] == "note"


def test_cancel_marks_open_stages_not_applicable_and_keeps_done_ones(db, ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "analysis_start")
    record(db, ctx, aid, "cancel", date(2026, 3, 5))
    statuses = {k: st.status for k, st in stages(db, aid).items()}
    assert statuses == {
        "order": "done_on_time",
        "start_announcement": "done_on_time",
        "discussion_announcement": "not_applicable",
        "public_discussion": "not_applicable",
        "analytic_note": "not_applicable",
        "positions_list": "not_applicable",
        "positions_sent": "not_applicable",
        "action_plan": "not_applicable",
        "publication": "not_applicable",
        "monitoring": "not_applicable",
    }
    with open_session(db) as s:
        assert svc.get_analysis(s, aid).cancel_reason == EVIDENCE["cancel"]["note"]
        assert svc.overdue(s, ctx) == []


@pytest.mark.parametrize("ident", [9999, "abc", None])
def test_event_for_an_unknown_analysis_is_not_found(db, ctx, ident):
    plan(db, ctx)
    refused(db, lambda s: svc.record_event(s, ctx, ident, "order", date(2026, 2, 10),
                                           EVIDENCE["order"]),
            error=NotFound, key="notfound.analysis")


# -- refusals: dates and evidence ----------------------------------------------------------------


def test_order_dated_tomorrow_is_refused(db, make_ctx, ctx):
    aid = plan(db, ctx)
    today = make_ctx(date(2026, 2, 10))
    err = refused(db, lambda s: svc.record_event(s, today, aid, "order", date(2026, 2, 11),
                                                 EVIDENCE["order"]),
                  key="rule.future_date")
    assert err.params == {"date": "2026-02-11", "today": "2026-02-10"}
    record(db, today, aid, "order", date(2026, 2, 10))  # today itself is fine


def test_announcement_dated_before_the_order_is_accepted(db, ctx):
    # 000:L275-277: the start is announced "for inclusion in the order", so the announcement
    # may precede the order (I-2: neither must precede the other); no longer refused
    aid = plan(db, ctx)
    record(db, ctx, aid, "order", date(2026, 2, 10))
    record(db, ctx, aid, "start_announcement", date(2026, 2, 9))
    st = stages(db, aid)
    assert (st["order"].status, st["start_announcement"].status) == ("done_on_time",
                                                                     "done_on_time")
    assert st["start_announcement"].evidence == {"date": "2026-02-09",
                                                 **EVIDENCE["start_announcement"]}


def test_action_plan_dated_before_the_note_is_refused_with_the_dates(db, ctx):
    # a hard prerequisite still fixes the order of the dates
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "analytic_note")
    err = refused_event(db, ctx, aid, "action_plan", date(2026, 4, 21), key="rule.date_before")
    assert (err.params["other"], err.params["other_date"]) == ("analytic_note", "2026-04-22")
    record(db, ctx, aid, "action_plan", date(2026, 4, 22))  # the same day is fine


def test_end_dated_before_the_public_discussion_is_accepted_and_makes_it_late(db, ctx):
    # I-10, I-12: the actual end is no longer refused before the discussion; it re-plans the
    # stages counted from the end, done ones included
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "public_discussion")
    record(db, ctx, aid, "analysis_end", date(2026, 3, 31))
    st = stages(db, aid)
    # Tue 31 March: 5 WD before are 30, 27, 26, 20, 19 March (21-25 March off), 10 WD before
    # reach 12 March; the discussion held 1 April and announced 20 March are now late
    assert (st["public_discussion"].due_date, st["public_discussion"].status) == (
        date(2026, 3, 19), "done_late")
    assert (st["discussion_announcement"].due_date, st["discussion_announcement"].status) == (
        date(2026, 3, 12), "done_late")
    assert "analysis_end" not in st  # v3: an actual end completes no stage (I-11)
    assert view(db, ctx, aid).actual_end == date(2026, 3, 31)
    # the note is counted from the actual end: 10 WD after 31 March is 14 April
    assert st["analytic_note"].due_date == date(2026, 4, 14)


def test_end_dated_before_the_start_is_refused(db, ctx):
    aid = plan(db, ctx)
    before = dump_tables(db)
    # no actual start: the planned start 2 March is the floor (dates.end not_before = start)
    err = refused(db, lambda s: svc.record_event(s, ctx, aid, "analysis_end", date(2026, 2, 27),
                                                 {}),
                  key="rule.date_floor", before=before)
    assert (err.params["date"], err.params["floor"]) == ("2026-02-27", "2026-03-02")
    # an actual start recorded later moves the floor with it
    record(db, ctx, aid, "analysis_start", date(2026, 3, 4))
    err = refused(db, lambda s: svc.record_event(s, ctx, aid, "analysis_end", date(2026, 3, 3),
                                                 {}),
                  key="rule.date_floor")
    assert err.params["floor"] == "2026-03-04"
    record(db, ctx, aid, "analysis_end", date(2026, 3, 4))  # the start day itself is fine


def test_publication_dated_before_the_plan_is_refused(db, ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "action_plan")
    refused_event(db, ctx, aid, "publication", date(2026, 5, 5), key="rule.date_before")


@pytest.mark.parametrize(("event", "evidence", "field"), [
    ("order", {"signed_by": "Head"}, "number"),
    ("order", {"number": "15-ө"}, "signed_by"),
    ("order", {"number": "   ", "signed_by": "Head"}, "number"),
    ("order", {}, "number"),
    ("start_announcement", {}, "links | url"),
    ("start_announcement", {"url": ""}, "links | url"),
    ("start_announcement", {"url": "", "links": "  "}, "links | url"),
])
def test_step_without_its_confirming_document_is_refused(db, ctx, event, evidence, field):
    """A single required field is named; an announcement (version 5) takes several links or
    one url, and the refusal names both ways (every channel)."""
    aid = plan(db, ctx)
    if event == "start_announcement":
        record(db, ctx, aid, "order", date(2026, 2, 10))
        err = refused(db, lambda s: svc.record_event(s, ctx, aid, event, date(2026, 2, 12),
                                                     evidence), key="rule.missing_evidence_any")
        assert (err.params["event"], err.params["groups"]) == (event, field)
        return
    err = refused(db, lambda s: svc.record_event(s, ctx, aid, event, date(2026, 2, 12), evidence),
                  key="rule.missing_evidence")
    assert (err.params["event"], err.params["field"]) == (event, field)


@pytest.mark.parametrize("url", [
    "gov.kz/memleket/entities/ak-edu/press/news/1",
    "ftp://gov.kz/news/1",
    "https://gov.kz/news with spaces",
    "javascript:alert(1)",
    "https://",
])
def test_announcement_with_a_malformed_link_is_refused(db, ctx, url):
    aid = plan(db, ctx)
    record(db, ctx, aid, "order", date(2026, 2, 10))
    refused(db, lambda s: svc.record_event(s, ctx, aid, "start_announcement", date(2026, 2, 12),
                                           {"url": url}),
            key="rule.bad_url")


def test_order_number_longer_than_500_characters_is_refused(db, ctx):
    aid = plan(db, ctx)
    err = refused(db, lambda s: svc.record_event(s, ctx, aid, "order", date(2026, 2, 10),
                                                 {"number": "1" * 501, "signed_by": "Head"}),
                  key="rule.too_long")
    assert (err.params["field"], err.params["limit"]) == ("number", 500)
    record(db, ctx, aid, "order", date(2026, 2, 10), {"number": "1" * 500, "signed_by": "Head"})
    assert stages(db, aid)["order"].evidence["number"] == "1" * 500


def test_cancel_note_longer_than_500_characters_is_refused(db, ctx):
    aid = plan(db, ctx)
    refused(db, lambda s: svc.record_event(s, ctx, aid, "cancel", date(2026, 2, 10),
                                           {"note": "ы" * 501}),
            key="rule.too_long")


# -- persistence ---------------------------------------------------------------------------------


def test_reloaded_analysis_has_the_stored_state_stages_and_evidence(db, ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "analysis_end")
    with open_session(db) as s:
        analysis = svc.get_analysis(s, str(aid))
        shown = svc.analysis_view(s, ctx, analysis)
        assert (analysis.state, shown.planned_start, shown.planned_end) == (
            "ended", START, END)
        assert (shown.actual_start, shown.actual_end) == (date(2026, 3, 2), END)
        assert analysis.given() == {"start": START, "end": END}
        st = svc.stages_of(s, analysis)
        assert st["order"].evidence == {"date": "2026-02-10", **EVIDENCE["order"]}
        assert st["public_discussion"].evidence == {"date": "2026-04-01",
                                                    **EVIDENCE["public_discussion"]}
        assert {k: s_.status for k, s_ in st.items()} == {
            "order": "done_on_time", "start_announcement": "done_on_time",
            "discussion_announcement": "done_on_time", "public_discussion": "done_on_time",
            "analytic_note": "open", "positions_list": "open", "positions_sent": "open",
            "action_plan": "open", "publication": "open", "monitoring": "open"}
        events = {e.event: (e.on, e.evidence, e.actor) for e in s.exec(
            select(EventRecord).where(EventRecord.case_id == aid))}
        assert events["order"] == (date(2026, 2, 10), EVIDENCE["order"], "test")
        assert events["analysis_start"] == (date(2026, 3, 2), None, "test")
        assert events["analysis_end"] == (END, None, "test")  # a record, no stage (v3)
        machine = AnalysisMachine(planning_svc.planned_definition(ctx), analysis.state)
        assert machine.allowed() == ALLOWED["ended"]
        # what the state accepts minus what is recorded, the case-closing cancel last; v3
        # hides the sending of a list not yet approved (its prerequisite) and the cartogram
        # update, which is for regional akimats only (AK-EDU is a department)
        assert shown.next_events == ["analytic_note", "positions_list", "cancel"]


def test_recorded_positions_list_is_not_offered_again(db, ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "positions_list")
    with open_session(db) as s:
        shown = svc.analysis_view(s, ctx, svc.get_analysis(s, aid))
    assert shown.state == "note_signed"
    # v3: the approved list may now be sent (its prerequisite is recorded) and the monitoring
    # note is accepted from the signed note on (I-8); no cartogram for a department (I-7)
    assert shown.next_events == ["action_plan", "positions_sent", "monitoring_report",
                                    "monitoring_review", "monitoring_note", "cancel"]


# -- overdue and due soon, for managers of a subtree ---------------------------------------------


@pytest.fixture
def ministry(db, make_ctx):
    """A ministry with two committees (one with a territorial department) and an akimat."""
    ctx = make_ctx(date(2026, 2, 20))

    def setup(s):
        svc.add_org(s, ctx, "MIN", "Ministry", "central_body")
        svc.add_org(s, ctx, "MIN-C1", "Committee one", "committee", "MIN")
        svc.add_org(s, ctx, "MIN-C1-T1", "Territorial department", "territorial_department",
                    "MIN-C1")
        svc.add_org(s, ctx, "MIN-C2", "Committee two", "committee", "MIN")
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        svc.add_user(s, ctx, "c1.officer", "Officer of C1", "officer", "MIN-C1")
        svc.add_user(s, ctx, "c1.manager", "Manager of C1", "manager", "MIN-C1")
        svc.add_user(s, ctx, "c2.officer", "Officer of C2", "officer", "MIN-C2")
        ids = {}
        # order and start announcement due 16 February 2026
        ids["c1"] = planning_svc.plan_analysis(s, ctx, "MIN-C1", "MIN-C1", START, END).analysis.id
        # due 27 February 2026 (10th working day before 16 March, 9 March skipped)
        ids["t1"] = planning_svc.plan_analysis(s, ctx, "MIN-C1-T1", "MIN-C1-T1", date(2026, 3, 16),
                                      date(2026, 4, 24)).analysis.id
        ids["c2"] = planning_svc.plan_analysis(s, ctx, "MIN-C2", "MIN-C2", START, END).analysis.id
        ids["ak"] = planning_svc.plan_analysis(s, ctx, "AK", "AK", START, END).analysis.id
        return ids

    return ctx, commit(db, setup)


def rows_of(rows, value="working_days_overdue"):
    return [(r.organisation, r.analysis, r.stage, r.due, getattr(r, value)) for r in rows]


def test_manager_of_a_committee_sees_only_its_own_overdue_stages(db, ministry):
    ctx, ids = ministry
    with open_session(db) as s:
        manager = svc.get_user(s, "c1.manager")
        branch = s.get(Organisation, manager.organisation_id).code
        rows = svc.overdue(s, ctx, branch)
    # 17, 18, 19, 20 February: 4 working days overdue
    assert sorted(rows_of(rows)) == [
        ("MIN-C1", ids["c1"], "order", date(2026, 2, 16), 4),
        ("MIN-C1", ids["c1"], "start_announcement", date(2026, 2, 16), 4),
    ]
    assert rows[0].responsible == "c1.officer"
    assert rows[0].object == "MIN-C1"


def test_overdue_as_of_a_later_day_groups_by_organisation_then_due_date(db, ministry, make_ctx):
    _, ids = ministry
    later = make_ctx(date(2026, 3, 4))
    with open_session(db) as s:
        rows = svc.overdue(s, later, "MIN")
    # grouped by organisation in tree order: C1, its department T1, then C2; AK is elsewhere
    assert [r.organisation for r in rows] == ["MIN-C1"] * 2 + ["MIN-C1-T1"] * 2 + ["MIN-C2"] * 2
    # 16 Feb -> 4 Mar: 12 working days; 27 Feb -> 4 Mar: 2, 3, 4 March
    assert sorted(rows_of(rows)) == sorted([
        ("MIN-C1", ids["c1"], "order", date(2026, 2, 16), 12),
        ("MIN-C1", ids["c1"], "start_announcement", date(2026, 2, 16), 12),
        ("MIN-C1-T1", ids["t1"], "order", date(2026, 2, 27), 3),
        ("MIN-C1-T1", ids["t1"], "start_announcement", date(2026, 2, 27), 3),
        ("MIN-C2", ids["c2"], "order", date(2026, 2, 16), 12),
        ("MIN-C2", ids["c2"], "start_announcement", date(2026, 2, 16), 12),
    ])
    with open_session(db) as s:
        everything = svc.overdue(s, later)
    assert {r.organisation for r in everything} == {"MIN-C1", "MIN-C1-T1", "MIN-C2", "AK"}


def test_overdue_within_one_organisation_is_sorted_by_due_date(db, ministry, make_ctx):
    ctx, ids = ministry
    # another object: the same one's period overlaps (a duplicate)
    commit(db, lambda s: planning_svc.plan_analysis(s, ctx, "MIN-C2", "MIN", date(2026, 2, 16),
                                           date(2026, 3, 20)))
    with open_session(db) as s:
        rows = svc.overdue(s, make_ctx(date(2026, 3, 4)), "MIN-C2")
    # the second analysis's order was due 2 February (10 working days before 16 February)
    assert [r.due for r in rows] == [date(2026, 2, 2)] * 2 + [date(2026, 2, 16)] * 2
    assert rows[-1].analysis == ids["c2"]


def test_a_stage_is_not_overdue_on_its_due_date_and_is_one_day_overdue_the_next(db, ministry,
                                                                                make_ctx):
    with open_session(db) as s:
        assert svc.overdue(s, make_ctx(date(2026, 2, 16)), "MIN-C1") == []
        rows = svc.overdue(s, make_ctx(date(2026, 2, 17)), "MIN-C1")
    assert {r.working_days_overdue for r in rows} == {1}


def test_overdue_counts_only_working_days(db, ministry, make_ctx):
    # due 16 February; as of Tuesday 10 March: 17-20 Feb, 23-27 Feb, 2-6 March, 10 March (9 off)
    with open_session(db) as s:
        rows = svc.overdue(s, make_ctx(date(2026, 3, 10)), "MIN-C2")
    assert {r.working_days_overdue for r in rows} == {15}


def test_recorded_order_leaves_only_the_announcement_overdue(db, ministry):
    ctx, ids = ministry
    record(db, ctx, ids["c1"], "order", date(2026, 2, 18))
    with open_session(db) as s:
        rows = svc.overdue(s, ctx, "MIN-C1")
    assert [r.stage for r in rows] == ["start_announcement"]


def test_branch_filter_does_not_catch_an_organisation_whose_id_starts_alike(db, ministry):
    ctx, _ = ministry

    def add_until_alike(s):
        branch = svc.get_org(s, "MIN-C1")
        prefix = branch.path[:-1]  # "/1/2"
        n = 0
        while True:
            n += 1
            org = svc.add_org(s, ctx, f"MIN-X{n}", f"Filler {n}", "committee", "MIN")
            if org.path.startswith(prefix) and not org.path.startswith(branch.path):
                return org.code

    alike = commit(db, add_until_alike)
    commit(db, lambda s: planning_svc.plan_analysis(s, ctx, alike, alike, START, END))
    with open_session(db) as s:
        assert {r.organisation for r in svc.overdue(s, ctx, "MIN-C1")} == {"MIN-C1"}
        assert alike in {r.organisation for r in svc.overdue(s, ctx, "MIN")}


def test_overdue_for_an_unknown_branch_is_not_found(db, ministry):
    ctx, _ = ministry
    with open_session(db) as s, pytest.raises(NotFound):
        svc.overdue(s, ctx, "NOWHERE")


def test_due_within_five_working_days_shows_the_order_due_next_monday(db, ministry, make_ctx):
    _, ids = ministry
    with open_session(db) as s:
        # Tuesday 10 February + 5 working days = 17 February; 16 February is 4 working days away
        rows = svc.due_within(s, make_ctx(date(2026, 2, 10)), "MIN-C1", within=5)
        assert sorted(rows_of(rows, "working_days_left")) == [
            ("MIN-C1", ids["c1"], "order", date(2026, 2, 16), 4),
            ("MIN-C1", ids["c1"], "start_announcement", date(2026, 2, 16), 4),
        ]
        assert svc.due_within(s, make_ctx(date(2026, 2, 10)), "MIN-C1", within=3) == []
        assert len(svc.due_within(s, make_ctx(date(2026, 2, 10)), "MIN-C1", within=4)) == 2
        # on the due date itself, with no look-ahead
        today = svc.due_within(s, make_ctx(date(2026, 2, 16)), "MIN-C1", within=0)
        assert {r.working_days_left for r in today} == {0}
        assert len(today) == 2
        # the day after, it is overdue, not due
        assert svc.due_within(s, make_ctx(date(2026, 2, 17)), "MIN-C1", within=5) == []
        with pytest.raises(UsageError):
            svc.due_within(s, make_ctx(date(2026, 2, 10)), "MIN-C1", within=-1)


def test_due_within_for_a_manager_of_the_ministry_covers_its_committees_only(db, ministry,
                                                                            make_ctx):
    with open_session(db) as s:
        rows = svc.due_within(s, make_ctx(date(2026, 2, 23)), "MIN", within=5)
    # 23 Feb + 5 working days = 2 March: only T1's order and announcement (27 February)
    assert [(r.organisation, r.stage, r.working_days_left) for r in
            sorted(rows, key=lambda r: r.stage)] == [
        ("MIN-C1-T1", "order", 4), ("MIN-C1-T1", "start_announcement", 4)]


# -- the calendar changes: re-planning every open analysis ---------------------------------------


def override_ctx(make_ctx, *days_off: str):
    base = make_ctx(TODAY)
    cal = KazakhstanCalendar(overrides={"days_off": [{"date": d, "reference": "test decree"}
                                                     for d in days_off]})
    return svc.Context(cal, planning_svc.planned_definition(base), base.today, actor="operator",
                       language="en")


def test_new_day_off_moves_exactly_the_open_deadlines_it_crosses(db, ctx, make_ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "analysis_start")
    untouched = plan(db, ctx, date(2026, 6, 1), date(2026, 7, 10))
    cancelled = plan(db, ctx, subject="AK")  # the akimat's: the same one's would duplicate it
    record(db, ctx, cancelled, "cancel", date(2026, 2, 1))
    before = {a: {k: (st.due_date, st.status, st.done_on) for k, st in stages(db, a).items()}
              for a in (aid, untouched, cancelled)}

    # Friday 20 February (behind the done order) and Thursday 16 April become days off.
    new = override_ctx(make_ctx, "2026-02-20", "2026-04-16")
    moved = commit(db, lambda s: svc.replan_all(s, new))

    assert sorted((m["analysis"], m["stage"], m["old"], m["new"]) for m in moved) == [
        (aid, "action_plan", date(2026, 5, 13), date(2026, 5, 14)),
        (aid, "analytic_note", date(2026, 4, 24), date(2026, 4, 27)),
        (aid, "positions_list", date(2026, 4, 24), date(2026, 4, 27)),
        (aid, "publication", date(2026, 5, 18), date(2026, 5, 19)),
    ]
    after = {a: {k: (st.due_date, st.status, st.done_on) for k, st in stages(db, a).items()}
             for a in (aid, untouched, cancelled)}
    assert after[untouched] == before[untouched]
    assert after[cancelled] == before[cancelled]
    for key in ("discussion_announcement", "public_discussion", "positions_sent"):
        assert after[aid][key] == before[aid][key], key
    # I-12: done stages are re-planned too (not reported as moved): 10 WD before 2 March is
    # now 13 February; the order of 10 February and the announcement of 12 February stay on time
    assert after[aid]["order"] == (date(2026, 2, 13), "done_on_time", date(2026, 2, 10))
    assert after[aid]["start_announcement"] == (date(2026, 2, 13), "done_on_time",
                                                date(2026, 2, 12))
    assert stages(db, aid)["action_plan"].projected
    (row,) = audit_rows(db, "calendar.replan")
    assert row.actor == "operator"
    assert len(json.loads(row.payload)["moved"]) == 4


def test_replanning_with_an_unchanged_calendar_moves_nothing_and_logs_nothing(db, ctx):
    aid = plan(db, ctx)
    record(db, ctx, aid, "order", date(2026, 2, 10))  # recorded on TODAY: the state is today's
    before = dump_tables(db)
    assert commit(db, lambda s: svc.replan_all(s, ctx)) == []
    after = dump_tables(db)
    # the one row that changes is the run counter of /metrics: a run, 0 moved
    runs = [row for row in after.pop("worker_state") if row[0] == "runs:replan"]
    assert len(runs) == 1 and '"n":1' in runs[0][1] and '"m":0' in runs[0][1]
    before["worker_state"] = [row for row in before["worker_state"] if row[0] != "runs:replan"]
    assert after == {k: v for k, v in before.items() if k != "worker_state"}
    assert before["worker_state"] == []


def test_new_day_off_moves_the_open_positions_list_of_a_published_analysis(db, ctx, make_ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "analysis_end")
    record(db, ctx, aid, "analytic_note", date(2026, 4, 13))
    record(db, ctx, aid, "action_plan", date(2026, 4, 14))
    record(db, ctx, aid, "publication", date(2026, 4, 15))
    assert state(db, aid) == "published"
    assert stages(db, aid)["positions_list"].due_date == date(2026, 4, 24)

    moved = commit(db, lambda s: svc.replan_all(s, override_ctx(make_ctx, "2026-04-16")))

    assert [(m["stage"], m["old"], m["new"]) for m in moved] == [
        ("positions_list", date(2026, 4, 24), date(2026, 4, 27))]
    assert stages(db, aid)["positions_list"].due_date == date(2026, 4, 27)
    # done stages are re-planned too (I-12), without being reported as moved: 3 WD after the
    # plan (14 April) were 15, 16, 17 April, now 15, 17, 20 April; published 15 April, on time
    pub = stages(db, aid)["publication"]
    assert (pub.due_date, pub.status) == (date(2026, 4, 20), "done_on_time")


@needs("monitoring")  # its reporting periods' stages
def test_signed_note_opens_a_report_deadline_for_each_quarter_of_the_following_year(db, ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "analytic_note")  # signed Wed 22 April 2026
    reports = {k: (st.due_date, st.status) for k, st in stages(db, aid).items()
               if k.startswith("monitoring_report:")}
    # I-8 (version 5): quarters counted from the note, [22 Apr, 21 Jul 2026], [22 Jul, 21 Oct],
    # [22 Oct, 21 Jan 2027], [22 Jan, 21 Apr 2027]; by the 5th of the month after each
    assert reports == {
        "monitoring_report:2026N1": (date(2026, 8, 5), "open"),   # Wed
        "monitoring_report:2026N2": (date(2026, 11, 5), "open"),  # Thu
        "monitoring_report:2026N3": (date(2027, 2, 5), "open"),   # Fri
        "monitoring_report:2026N4": (date(2027, 5, 5), "open"),   # Wed
    }


@needs("monitoring")  # its reporting periods' stages
def test_new_day_off_moves_monitoring_report_and_review_deadlines(db, ctx, make_ctx):
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "analytic_note")
    july = make_ctx(date(2026, 7, 2))
    record(db, july, aid, "monitoring_report", date(2026, 7, 1), {"period": "2026N1"})
    st = stages(db, aid)
    assert st["monitoring_report:2026N1"].status == "done_on_time"
    # review within 5 working days of receipt (1 July): 2, 3, 7, 8, 9 July (6 July off)
    assert st["monitoring_review:2026N1"].due_date == date(2026, 7, 9)

    # Wednesday 8 July and Thursday 5 November 2026 become days off
    moved = commit(db, lambda s: svc.replan_all(s, override_ctx(make_ctx, "2026-07-08",
                                                                "2026-11-05")))

    assert sorted((m["stage"], m["old"], m["new"]) for m in moved) == [
        ("monitoring_report:2026N2", date(2026, 11, 5), date(2026, 11, 6)),
        ("monitoring_review:2026N1", date(2026, 7, 9), date(2026, 7, 10)),
    ]
    st = stages(db, aid)
    assert st["monitoring_report:2026N1"].due_date == date(2026, 8, 5)  # done: not re-planned
    assert st["monitoring_report:2026N3"].due_date == date(2027, 2, 5)


# -- the audit chain -----------------------------------------------------------------------------


def story_with_audit(db, ctx) -> list[int]:
    aid = plan(db, ctx)
    record_upto(db, ctx, aid, "start_announcement")
    with open_session(db) as s:
        return [r.id for r in s.exec(select(AuditRecord).order_by(AuditRecord.id))]


def test_untouched_audit_chain_verifies(db, ctx):
    ids = story_with_audit(db, ctx)
    with open_session(db) as s:
        result = audit.verify(s)
    # AK, AK-EDU, aigerim, the plan, the order, the announcement
    assert (result.ok, result.checked, result.first_bad_id) == (True, 6, None)
    assert len(ids) == 6


@pytest.mark.parametrize(("column", "value", "victim", "problem"), [
    pytest.param("payload", '{"event":"order","on":"2026-02-16"}', 4,  # the order
                 "content does not match its hash", id="edited-payload"),
    pytest.param("prev_hash", "f" * 64, 2, "link to the previous record is broken",
                 id="edited-link-to-the-previous-record"),
])
def test_an_edited_record_is_reported_as_the_first_bad_record(db, ctx, column, value, victim,
                                                              problem):
    ids = story_with_audit(db, ctx)
    with db.begin() as conn:
        conn.execute(text(f"UPDATE audit_log SET {column} = :v WHERE id = :i"),
                     {"v": value, "i": ids[victim]})
    with open_session(db) as s:
        result = audit.verify(s)
    assert (result.ok, result.first_bad_id) == (False, ids[victim])
    assert result.problem == problem


def test_the_earliest_of_two_edited_records_is_reported(db, ctx):
    ids = story_with_audit(db, ctx)
    with db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = :i"), {"i": ids[5]})
        conn.execute(text("UPDATE audit_log SET payload = '{}' WHERE id = :i"), {"i": ids[1]})
    with open_session(db) as s:
        assert audit.verify(s).first_bad_id == ids[1]


# -- organisations -------------------------------------------------------------------------------


def test_organisation_under_an_unknown_parent_is_not_found(db, ctx):
    err = refused(db, lambda s: svc.add_org(s, ctx, "AK-HEALTH", "Health", "department", "AQ"),
                  error=NotFound, key="notfound.org")
    assert err.params["code"] == "AQ"


def test_organisation_code_used_twice_is_refused(db, ctx):
    refused(db, lambda s: svc.add_org(s, ctx, "AK-EDU", "Education again", "department", "AK"),
            key="rule.org_exists")


def test_organisation_of_an_unknown_kind_is_refused(db, ctx):
    refused(db, lambda s: svc.add_org(s, ctx, "AK-X", "X", "ministry", "AK"),
            error=UsageError, key="error.bad_kind")


def test_imported_organisations_form_a_tree(db, ctx):
    rows = [
        {"code": "AK-HEALTH", "name": "Health", "kind": "department", "parent": "AK"},
        {"code": "AK-D1", "name": "District akimat", "kind": "district_akimat", "parent": "AK"},
        {"code": "AK-D1-EDU", "name": "District education", "kind": "department",
         "parent": "AK-D1", "name_kk": "Білім бөлімі"},
    ]
    commit(db, lambda s: import_orgs(s, ctx, rows))
    with open_session(db) as s:
        under = [o.code for o in svc.list_orgs(s, "AK-D1")]
        d1 = svc.get_org(s, "AK-D1-EDU")
        assert d1.name_kk == "Білім бөлімі"
        assert d1.path == svc.get_org(s, "AK-D1").path + f"{d1.id}/"
    assert under == ["AK-D1", "AK-D1-EDU"]


def test_import_with_an_unknown_kind_in_the_third_row_stores_nothing(db, ctx):
    rows = [
        {"code": "AK-HEALTH", "name": "Health", "kind": "department", "parent": "AK"},
        {"code": "AK-D1", "name": "District akimat", "kind": "district_akimat", "parent": "AK"},
        {"code": "AK-D1-EDU", "name": "District education", "kind": "school", "parent": "AK-D1"},
        {"code": "AK-D2", "name": "Another district", "kind": "district_akimat", "parent": "AK"},
    ]
    err = refused(db, lambda s: import_orgs(s, ctx, rows), error=UsageError,
                  key="org.import_refused")
    # the header is row 1 of the file; the cell named by its row, column and value
    assert [(p.row, p.column, p.value) for p in err.problems] == [(4, "kind", "school")]
    with open_session(db) as s:
        assert [o.code for o in svc.list_orgs(s)] == ["AK", "AK-EDU"]


def test_import_with_a_duplicate_code_stores_nothing(db, ctx):
    rows = [
        {"code": "AK-HEALTH", "name": "Health", "kind": "department", "parent": "AK"},
        {"code": "AK-HEALTH", "name": "Health again", "kind": "department", "parent": "AK"},
    ]
    err = refused(db, lambda s: import_orgs(s, ctx, rows), error=UsageError,
                  key="org.import_refused")
    assert [(p.row, p.column, p.params) for p in err.problems] == [(3, "code", {"row": 2})]
