"""A case decides once: the pure decision of core/decide.py (the definition, the case's facts,
the calendar and today in; a decision or a refusal out) refuses each thing an officer may not
record with its catalogue key and parameters, and re-plans a case's stage rows, with no
database. The services and adapters built on it are tested through them
(test_engine_rules.py, test_cli_engine.py, test_replan_bulk.py)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from calendars import KazakhstanCalendar
from workflow.core import decide
from workflow.core.deadlines import NOT_DONE, OPEN, Facts, Record
from workflow.core.errors import RuleViolation, UsageError
from workflow.definitions import DEFINITIONS, load_definition, read_file

pytestmark = [pytest.mark.unit, pytest.mark.unit]

CAL = KazakhstanCalendar()
TODAY = date(2026, 6, 1)
ANALYSIS = load_definition()  # the internal analysis of corruption risks
COI = read_file(DEFINITIONS / "procedures" / "conflict_of_interest.toml").definition
NOTIFIED = {"notified": date(2026, 2, 2)}  # a Monday


def record(definition, facts: Facts, event: str, on: date = date(2026, 3, 10),
           evidence: dict[str, str] | None = None, kind: str | None = "akimat"):
    return decide.decide_record(definition, facts, CAL, TODAY, kind, 7, event, on,
                                evidence or {}, "en")


def refusal(call) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        call()
    return refused.value


def test_an_event_the_process_does_not_have_is_refused_listing_its_events():
    error = refusal(lambda: record(COI, Facts(NOTIFIED), "no_such_event"))
    assert (error.key, error.params) == ("rule.unknown_event", {
        "event": "no_such_event",
        "known": "forwarded, recommended, no_conflict, measures_taken, unsettled, transferred"})


def test_the_command_line_names_the_events_in_the_readers_language():
    decide.check_known_event(COI, "forwarded", "en")  # known: nothing to say
    with pytest.raises(UsageError) as refused:
        decide.check_known_event(COI, "forwardd", "en")
    assert refused.value.key == "rule.unknown_event" and refused.value.exit_code == 2
    assert refused.value.params["known"].split("; ")[:2] == [
        "«Notice forwarded to the subdivision» (forwarded)", "«Recommendations given» (recommended)"]


def test_an_event_before_its_prerequisite_is_refused_naming_it():
    error = refusal(lambda: record(COI, Facts(NOTIFIED), "transferred", evidence={"number": "1"}))
    assert (error.key, error.params) == ("rule.prerequisite",
                                         {"event": "transferred", "other": "unsettled"})


def test_an_event_dated_before_its_prerequisite_is_refused():
    facts = Facts(NOTIFIED, (Record("unsettled", date(2026, 3, 10)),))
    error = refusal(lambda: record(COI, facts, "transferred", date(2026, 3, 9), {"number": "1"}))
    assert (error.key, error.params["other"], error.params["other_date"]) == (
        "rule.date_before", "unsettled", "2026-03-10")


def test_an_event_the_state_does_not_accept_is_refused_naming_what_it_accepts():
    # the plan stands among the records but was recorded before the note: the state after the
    # note accepts the plan, not the publication
    facts = Facts({"start": date(2026, 2, 2)}, (Record("action_plan", date(2026, 3, 2)),
                                                Record("analytic_note", date(2026, 3, 3))))
    error = refusal(lambda: record(ANALYSIS, facts, "publication"))
    assert error.key == "rule.not_allowed"
    assert error.params["event"] == "publication"
    assert error.params["state"] == "Note signed"
    assert "publication" not in error.params["allowed"].split(", ")


def test_a_closed_case_accepts_nothing_more():
    facts = Facts(NOTIFIED, (Record("measures_taken", date(2026, 3, 2)),))
    error = refusal(lambda: record(COI, facts, "forwarded"))
    assert (error.key, error.params) == ("rule.case_closed", {"id": 7, "state": "Settled"})
    with pytest.raises(RuleViolation, match="is settled"):
        decide.check_open(COI, 7, "settled", "en")
    decide.check_open(COI, 7, "notified", "en")


def test_an_event_recorded_once_is_not_recorded_twice():
    facts = Facts(NOTIFIED, (Record("forwarded", date(2026, 2, 3)),))
    error = refusal(lambda: record(COI, facts, "forwarded", date(2026, 2, 4)))
    assert (error.key, error.params) == ("rule.already_recorded",
                                         {"event": "forwarded", "date": "2026-02-03"})


def test_an_event_for_another_kind_of_subject_is_refused_naming_the_kinds():
    check = read_file(DEFINITIONS / "procedures" / "candidate_check.toml").definition
    event = next(e.key for e in check.events.values() if e.subject_kinds)
    facts = Facts({k: date(2026, 2, 2) for k, d in check.dates.items() if d.given == "required"})
    error = refusal(lambda: decide.decide_record(check, facts, CAL, TODAY, "akimat", 7, event,
                                                 date(2026, 3, 10), {}, "en",
                                                 kind_name=str.upper))
    assert (error.key, error.params["kind"], error.params["kinds"]) == (
        "rule.not_for_kind", "ORG_KIND.AKIMAT", "ORG_KIND.QUASI_STATE")


def test_an_event_accepted_gives_the_record_and_the_state_it_leads_to():
    decision = record(COI, Facts(NOTIFIED), "unsettled", date(2026, 3, 10))
    assert decision.state == "unsettled" and decision.spec.key == "unsettled"
    assert decision.record == Record("unsettled", date(2026, 3, 10), None)


def rows(**statuses: str) -> dict[str, SimpleNamespace]:
    return {key: SimpleNamespace(key=key, status=status) for key, status in statuses.items()}


def test_only_an_open_stage_of_the_definition_is_closed_as_not_done():
    stages = rows(forward=OPEN, recommendation="done_on_time")
    decide.decide_not_done(COI, stages, "forward", TODAY, TODAY)
    error = refusal(lambda: decide.decide_not_done(COI, stages, "no_stage", TODAY, TODAY))
    assert (error.key, error.params) == ("rule.unknown_stage", {
        "stage": "no_stage", "known": "forward, recommendation"})
    error = refusal(lambda: decide.decide_not_done(COI, stages, "recommendation", TODAY, TODAY))
    assert (error.key, error.params) == ("rule.stage_not_open", {
        "stage": "recommendation", "status": "done_on_time"})
    error = refusal(lambda: decide.decide_not_done(COI, stages, "forward", date(2026, 6, 2),
                                                   TODAY))
    assert error.key == "rule.future_date"


def row(id: int, event: str, kind: str = decide.EVENT, voided_by_id: int | None = None):
    return SimpleNamespace(id=id, event=event, kind=kind, voided_by_id=voided_by_id)


def test_a_void_names_one_standing_record_no_later_event_needs():
    records = [row(1, "forwarded"), row(2, "unsettled"), row(3, "transferred"),
               row(4, "recommended"), row(5, "recommended", voided_by_id=6),
               row(6, "recommended", decide.VOID), row(7, "forward", decide.NOT_DONE_RECORD)]
    assert decide.decide_void(COI, records, "forwarded").id == 1
    assert decide.decide_void(COI, records, "4").id == 4  # the voided one does not stand
    assert decide.decide_void(COI, records, "forward").id == 7  # a stage closed as not done
    error = refusal(lambda: decide.decide_void(COI, records, "unsettled"))
    assert (error.key, error.params) == ("rule.void_needed_by",
                                         {"event": "unsettled", "other": "transferred"})
    error = refusal(lambda: decide.decide_void(COI, records, "no_conflict"))
    assert (error.key, error.params["known"]) == (
        "rule.nothing_to_void", "forwarded, unsettled, transferred, recommended, forward")
    twice = [row(1, "forwarded"), row(2, "forwarded")]
    error = refusal(lambda: decide.decide_void(COI, twice, "forwarded"))
    assert (error.key, error.params) == ("rule.void_ambiguous",
                                         {"target": "forwarded", "ids": "1, 2"})


def stage_row(key: str, due: date | None = None, status: str = OPEN) -> SimpleNamespace:
    return SimpleNamespace(key=key, due_date=due, projected=False, status=status, done_on=None,
                           evidence=None)


def test_the_one_replan_writes_the_plan_onto_the_rows_and_reports_what_moved():
    existing = {"forward": stage_row("forward", date(2026, 2, 4))}
    seen = []
    planned = decide.replan(COI, CAL, Facts(NOTIFIED), TODAY, [], existing, stage_row,
                            features=lambda new: seen.append(sorted(new)) or [])
    assert planned.state == "notified" and planned.closed == []
    assert existing["forward"].due_date == date(2026, 2, 5)  # 3 working days from Monday
    assert planned.moved == [("forward", date(2026, 2, 4), date(2026, 2, 5))]
    assert seen == [sorted(planned.new)] and "forward" not in planned.new


def test_the_replan_closes_what_a_closed_case_leaves_open():
    existing = {"forward": stage_row("forward", date(2026, 2, 5))}
    taken = SimpleNamespace(id=1, kind=decide.EVENT, event="measures_taken", on=date(2026, 2, 3),
                            evidence=None, voided_by_id=None)
    facts = Facts(NOTIFIED, (Record("measures_taken", date(2026, 2, 3)),))
    planned = decide.replan(COI, CAL, facts, TODAY, [taken], existing, stage_row)
    assert planned.state == "settled"
    assert existing["forward"].status == NOT_DONE and existing["forward"] in planned.closed
    assert all(stage.status != OPEN for stage in (*existing.values(), *planned.new.values()))
    measures = planned.new["measures"]
    assert measures.evidence == {"date": "2026-02-03"} and measures.done_on == date(2026, 2, 3)
