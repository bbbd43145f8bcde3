"""The definitions of the other procedures and the recurring obligations
(`workflow/definitions/procedures/`, spec `shared/domain/procedures.md`).

Every file is read and validated as the registry reads it, and for every process the due
dates are computed with the pure planner and compared with literal dates worked out by hand
from the source rule and the Kazakh calendar (`merzim calendar show YEAR`). The days off used
below, besides Saturdays and Sundays:
2021 — 16, 17 December; 2022 — 16 December; 2023 — 2 January, 3 January (1 January fell on
a Sunday); 2025 — 1 September (30 August fell on a Saturday), 16 December; 2026 — 1, 2, 7
January, 9 March (8 March fell on a Sunday), Nauryz 23-25 March (21-22 March fell on the
weekend), 1, 7, 11 May (9 May fell on a Saturday), Kurban Ait 27 May, 6 July, 26 October,
16 December; 2027 (rules only, no decree loaded) — 1, 4 January, 7 January, 8 March.
"""

from __future__ import annotations

from datetime import date

import pytest

from calendars import KazakhstanCalendar
from workflow.core import periods
from workflow.core.deadlines import (
    DONE_LATE,
    DONE_ON_TIME,
    NOT_APPLICABLE,
    OPEN,
    Facts,
    Planner,
    Record,
    StagePlan,
    plan_case,
)
from workflow.core.definition import LANGUAGES, Definition
from workflow.core.errors import ConfigError, RuleViolation
from workflow.core.machine import CaseMachine, check_event, derive_state
from workflow.definitions import DEFINITIONS, REGISTERS, load_registry, read_file

pytestmark = pytest.mark.unit  # pure: no database, no process

FOLDER = DEFINITIONS / "procedures"

EVENT_DRIVEN = ("conflict_of_interest", "gift", "unknowing_funds", "trust_management",
                "foreign_account", "whistleblower_protection", "declaration_law_change",
                "contract_concentration")
RECURRING = ("coi_quarterly_analysis", "whistleblower_awareness", "coi_training",
             "culture_events", "procurement_training", "foreign_accounts_request",
             "declaration_publication", "publication_explanatory_event", "declaration_reminder",
             "contract_concentration_analysis", "national_report_input",
             "akim_commission_meeting", "ethics_explanatory_event", "civil_servant_training",
             "qse_training_events")
ABOUT_A_PERSON = ("conflict_of_interest", "gift", "unknowing_funds", "trust_management",
                  "foreign_account", "whistleblower_protection")
STATE_BODIES = {"central_body", "committee", "territorial_department"}
# Raised for the registers of project No. 4 (the previous text in definitions/versions/)
VERSION_2 = ("akim_commission_meeting", "ethics_explanatory_event", "civil_servant_training",
             "qse_training_events",
             "declaration_publication",  # P-24: 31 December moves back within its year
             # P-22: a breach offers the register entry it is ([[link]])
             "conflict_of_interest", "gift", "foreign_account",
             # the notice carries the day of the incident and the letter
             "corrupt_act_report")
VERSION_3 = ("ethics_explanatory_event",)
# B-27: the fact's day declared (`[process] fact_day`), carried into the entry's counting date
VERSION_4 = ("gift", "foreign_account", "conflict_of_interest")
# Version 2: a repeatable event with a state that is not final (5+ events a month)
OPEN_ENDED = ("ethics_explanatory_event",)
# with the kinds read as one of them: a city of republican significance's akimat as a regional
# akimat, a district's department as a department (workflow/core/kinds.py, COUNTS_AS)
LOCAL_EXECUTIVE = {"akimat", "city_akimat", "department", "district_department", "district_akimat"}
# The enterprise policy (003, P-20 … P-21) and the Concept's action plan (004) in the same folder:
# tests/services/test_enterprise_policy.py and tests/services/test_action_plan.py
OTHER_SOURCES = ("policy_forms", "corrupt_act_report", "candidate_check", "counterparty_check",
                 "internal_act_expertise", "action_plan_item", "enterprise_conflict_of_interest")

CAL = KazakhstanCalendar()


def defn(key: str) -> Definition:
    return read_file(FOLDER / f"{key}.toml").definition


def plan(key: str, given: dict[str, date], *records: tuple[str, date]) -> dict[str, StagePlan]:
    facts = Facts(given, tuple(Record(event, on) for event, on in records))
    return plan_case(defn(key), CAL, facts)


def dues(stages: dict[str, StagePlan]) -> dict[str, date | None]:
    return {key: st.due for key, st in stages.items()}


def statuses(stages: dict[str, StagePlan]) -> dict[str, str]:
    return {key: st.status for key, st in stages.items()}


def projected(stages: dict[str, StagePlan]) -> set[str]:
    return {key for key, st in stages.items() if st.projected}


# -- every file: valid, named, sourced ------------------------------------------------------


def test_the_folder_holds_one_file_per_process_key():
    assert sorted(p.stem for p in FOLDER.glob("*.toml")) == sorted(EVENT_DRIVEN + RECURRING
                                                                   + OTHER_SOURCES)


@pytest.mark.parametrize("key", EVENT_DRIVEN + RECURRING)
def test_file_is_valid_named_and_every_stage_has_a_source(key):
    loaded = read_file(FOLDER / f"{key}.toml")  # validates it, as the registry does
    d = loaded.definition
    assert d.key == loaded.path.stem == key
    # ethics_explanatory_event's version 3 prints the day of each event in appendix 5; a gift's
    # and a foreign account's version 3 open their entry by every outcome (P-25);
    # conflict_of_interest's asks the circumstances of the 2.5.2 entry it opens
    assert d.version == (4 if key in VERSION_4 else 3 if key in VERSION_3
                         else 2 if key in VERSION_2 else 1)
    assert (bool(d.final_states) != (key in OPEN_ENDED)) and d.initial_state in d.states
    for lang in LANGUAGES:
        assert d.names[lang].strip()
    assert d.names["kk"] != d.names["ru"]
    assert d.stages
    for stage in d.stages.values():
        assert stage.source.strip(), f"{key}.{stage.key} has no source"
        for lang in LANGUAGES:
            assert stage.names[lang].strip(), f"{key}.{stage.key} has no {lang} name"
        assert stage.names["kk"] != stage.names["ru"]
        # every stage can be completed by a record
        assert any(e.completes == stage.key for e in d.events.values()), stage.key
    for item in (*d.states.values(), *(e.names for e in d.events.values())):
        assert all(item[lang].strip() for lang in LANGUAGES)
    for named in d.dates.values():
        if named.names is not None:
            assert all(named.names[lang].strip() for lang in LANGUAGES)
    assert (d.recurrence is not None) == (key in RECURRING)


def test_they_are_loaded_by_default_next_to_the_internal_analysis():
    registry = load_registry()
    registers = {k for k, item in registry.loaded.items() if item.path.parent == REGISTERS}
    assert set(registry.keys()) - registers == {"internal_risk_analysis", *EVENT_DRIVEN,
                                                *RECURRING, *OTHER_SOURCES}
    assert {d.key for d in registry.recurring()} - registers == set(RECURRING)
    # the folder once more as an operator's directory: every key is already defined
    with pytest.raises(ConfigError, match="already defined"):
        load_registry((FOLDER,))


def test_parties_person_on_the_procedures_about_an_employee():
    for key in EVENT_DRIVEN:
        parties = defn(key).parties
        assert parties.person == ("required" if key in ABOUT_A_PERSON else "none"), key
        assert parties.object == "none"
        expected = "responsible" if key == "whistleblower_protection" else "organisation"
        assert parties.person_visibility == expected, key
    for key in RECURRING:
        assert defn(key).parties.person == "none"


def test_recurring_periods_and_whom_they_apply_to():
    expected = {
        "coi_quarterly_analysis": ("quarter", STATE_BODIES | LOCAL_EXECUTIVE),
        "whistleblower_awareness": ("quarter", STATE_BODIES | LOCAL_EXECUTIVE),
        "coi_training": ("half_year", STATE_BODIES | LOCAL_EXECUTIVE),
        "culture_events": ("half_year", STATE_BODIES | LOCAL_EXECUTIVE),
        "procurement_training": ("half_year", STATE_BODIES | LOCAL_EXECUTIVE),
        "foreign_accounts_request": ("year", STATE_BODIES | LOCAL_EXECUTIVE),
        "declaration_publication": ("year", STATE_BODIES | LOCAL_EXECUTIVE),
        "publication_explanatory_event": ("year", STATE_BODIES | LOCAL_EXECUTIVE),
        "declaration_reminder": ("year", STATE_BODIES | LOCAL_EXECUTIVE),
        "contract_concentration_analysis": ("year", STATE_BODIES | LOCAL_EXECUTIVE),
        "national_report_input": ("year", STATE_BODIES | LOCAL_EXECUTIVE | {"quasi_state"}),
        "akim_commission_meeting": ("quarter", {"akimat", "city_akimat", "district_akimat"}),
        "ethics_explanatory_event": ("month", STATE_BODIES | LOCAL_EXECUTIVE),
        "civil_servant_training": ("year", STATE_BODIES | LOCAL_EXECUTIVE),
        "qse_training_events": ("quarter", {"quasi_state"}),
    }
    assert set(expected) == set(RECURRING)
    for key, (period, kinds) in expected.items():
        d = defn(key)
        assert d.recurrence.period == period, key
        assert set(d.recurrence.applies_to) == kinds, key
        assert d.recurrence.enabled
        # one stage due on the period's due date, one completing event, a final state
        (stage,) = d.stages.values()
        assert stage.due.anchors == ("period_due",) and stage.due.offset == 0, key
        completing = [e for e in d.events.values() if e.completes == stage.key]
        if key in OPEN_ENDED:  # the first of the period's records completes the stage
            assert len(completing) == 1 and completing[0].repeatable, key
            continue
        assert len(completing) == 1 and completing[0].dest in d.final_states, key


# -- states and refusals --------------------------------------------------------------------


def state_after(key: str, *records: tuple[str, date]) -> str:
    return derive_state(defn(key), [Record(e, on) for e, on in records], {}, date(2027, 12, 31))


@pytest.mark.parametrize("key", EVENT_DRIVEN + RECURRING)
def test_the_state_machine_builds_and_the_initial_state_accepts_events(key):
    d = defn(key)
    assert CaseMachine(d, d.initial_state).allowed()
    for final in d.final_states:
        assert CaseMachine(d, final).allowed() == []


@pytest.mark.parametrize(("key", "records", "state"), [
    ("conflict_of_interest", (("forwarded", date(2026, 3, 26)),), "notified"),
    ("conflict_of_interest", (("no_conflict", date(2026, 4, 2)),), "no_conflict"),
    ("conflict_of_interest", (("recommended", date(2026, 4, 8)),
                              ("measures_taken", date(2026, 4, 20))), "settled"),
    ("conflict_of_interest", (("unsettled", date(2026, 4, 20)),), "unsettled"),
    ("conflict_of_interest", (("unsettled", date(2026, 4, 20)),
                              ("transferred", date(2026, 6, 1))), "settled"),
    ("gift", (("handed_over", date(2026, 1, 8)),), "handed_over"),
    ("gift", (("pay_service", date(2026, 1, 6)),), "paid"),
    ("unknowing_funds", (("transferred_to_budget", date(2026, 5, 5)),), "transferred"),
    ("trust_management", (("trust_agreement_concluded", date(2026, 1, 5)),), "transferred"),
    ("foreign_account", (("notified", date(2025, 9, 2)),), "found"),
    ("foreign_account", (("closure_proved", date(2026, 2, 1)),), "closed"),
    ("foreign_account", (("not_closed", date(2026, 3, 3)),
                         ("measures_taken", date(2026, 4, 1))), "measures_taken"),
    ("whistleblower_protection", (("decided", date(2026, 12, 11)),), "decided"),
    ("whistleblower_protection", (("decided", date(2026, 12, 11)),
                                  ("protocol_sent", date(2026, 12, 14))), "closed"),
    ("declaration_law_change", (("staff_notified", date(2026, 2, 2)),), "notified"),
    ("contract_concentration", (("reported_to_head", date(2026, 3, 6)),), "reported"),
    ("coi_quarterly_analysis", (("analysed", date(2026, 3, 20)),), "done"),
])
def test_state_after_records(key, records, state):
    assert state_after(key, *records) == state


def test_prerequisites_and_evidence_refuse_what_cannot_have_happened():
    today = date(2027, 1, 1)
    coi, wb, gift = defn("conflict_of_interest"), defn("whistleblower_protection"), defn("gift")
    with pytest.raises(RuleViolation, match="needs unsettled"):
        check_event(coi, "transferred", date(2026, 6, 1), {"number": "1"}, {}, today)
    check_event(coi, "transferred", date(2026, 6, 1), {"number": "1"},
                {"unsettled": date(2026, 4, 20)}, today)
    with pytest.raises(RuleViolation, match="needs number"):
        check_event(coi, "transferred", date(2026, 6, 1), {},
                    {"unsettled": date(2026, 4, 20)}, today)
    with pytest.raises(RuleViolation, match="needs decided"):
        check_event(wb, "protocol_sent", date(2026, 12, 14), {"number": "1"}, {}, today)
    with pytest.raises(RuleViolation, match="needs receipt_act"):
        check_event(gift, "handed_over", date(2026, 1, 8), {}, {}, today)
    check_event(gift, "pay_service", date(2026, 1, 6), {"payment_document": "PP-7"}, {}, today)
    with pytest.raises(RuleViolation, match="needs not_closed"):
        check_event(defn("foreign_account"), "measures_taken", date(2026, 4, 1), {}, {}, today)


# -- conflict of interest (002:L137-148, P-1, P-2) -----------------------------------------

COI_20_MARCH = {"notified": date(2026, 3, 20)}  # Friday, the eve of the Nauryz days off


def test_coi_notice_in_nauryz_week():
    stages = plan("conflict_of_interest", COI_20_MARCH)
    assert dues(stages) == {
        # 3 WD after Fri 20 Mar 2026: 21-22 Mar weekend, 23-25 Mar Nauryz days off ⇒ 26, 27, 30
        "forward": date(2026, 3, 30),
        # P-1: 10 WD after the projected forwarding Mon 30 Mar: 31 Mar, 1-3, 6-10, 13 Apr
        "recommendation": date(2026, 4, 13),
        # 10 WD after the projected recommendation Mon 13 Apr: 14-17, 20-24, 27 Apr
        "measures": date(2026, 4, 27),
    }  # `transfer` is dormant: not part of the case until `unsettled`
    assert projected(stages) == {"recommendation", "measures"}
    assert set(statuses(stages).values()) == {OPEN}


def test_coi_forwarding_recorded_makes_the_recommendation_actual():
    stages = plan("conflict_of_interest", COI_20_MARCH, ("forwarded", date(2026, 3, 26)))
    assert stages["forward"].status == DONE_ON_TIME
    # 10 WD after Thu 26 Mar: 27, 30, 31 Mar, 1, 2, 3, 6, 7, 8, 9 Apr — no longer projected
    assert stages["recommendation"].due == date(2026, 4, 9)
    assert not stages["recommendation"].projected
    # 10 WD after the projected Thu 9 Apr: 10, 13-17, 20-23 Apr
    assert stages["measures"].due == date(2026, 4, 23)
    assert stages["measures"].projected
    planner = Planner(defn("conflict_of_interest"), CAL,
                      Facts(COI_20_MARCH, (Record("forwarded", date(2026, 3, 26)),)))
    assert planner.date("forwarded").date == date(2026, 3, 26)
    assert not planner.date("forwarded").projected
    assert planner.date("recommended").projected


def test_coi_no_conflict_closes_measures():
    stages = plan("conflict_of_interest", COI_20_MARCH, ("forwarded", date(2026, 3, 26)),
                  ("no_conflict", date(2026, 4, 2)))
    assert statuses(stages) == {"forward": DONE_ON_TIME, "recommendation": DONE_ON_TIME,
                                "measures": NOT_APPLICABLE}
    assert "transfer" not in stages


def test_coi_unsettled_opens_the_transfer_three_months_after_the_notice():
    stages = plan("conflict_of_interest", COI_20_MARCH, ("forwarded", date(2026, 3, 26)),
                  ("recommended", date(2026, 4, 8)), ("unsettled", date(2026, 4, 20)))
    # P-2: Fri 20 Mar + 3 months = Sat 20 Jun 2026 ⇒ Mon 22 Jun (I-1)
    assert stages["transfer"].due == date(2026, 6, 22)
    assert stages["transfer"].status == OPEN and not stages["transfer"].projected
    # measures: 10 WD after Wed 8 Apr = 9, 10, 13-17, 20, 21, 22 Apr; `unsettled` on 20 Apr
    # is the leadership's answer (N-1)
    assert stages["measures"].due == date(2026, 4, 22)
    assert stages["measures"].status == DONE_ON_TIME
    done = plan("conflict_of_interest", COI_20_MARCH, ("forwarded", date(2026, 3, 26)),
                ("recommended", date(2026, 4, 8)), ("unsettled", date(2026, 4, 20)),
                ("transferred", date(2026, 6, 22)))
    assert done["transfer"].status == DONE_ON_TIME


def test_coi_no_conflict_after_unsettled_closes_the_transfer():
    stages = plan("conflict_of_interest", COI_20_MARCH, ("unsettled", date(2026, 4, 1)),
                  ("no_conflict", date(2026, 4, 3)))
    assert stages["transfer"].status == NOT_APPLICABLE


def test_coi_transfer_at_a_month_end():
    stages = plan("conflict_of_interest", {"notified": date(2026, 11, 30)},
                  ("unsettled", date(2026, 12, 1)))
    # 3 WD after Mon 30 Nov 2026: 1, 2, 3 Dec
    assert stages["forward"].due == date(2026, 12, 3)
    # 30 Nov + 3 months = 30 Feb ⇒ the month's last day, Sun 28 Feb 2027 ⇒ Mon 1 Mar 2027
    assert stages["transfer"].due == date(2027, 3, 1)


# -- gift (002:L161-164) --------------------------------------------------------------------


def test_gift_hand_over_across_the_year_end():
    given = {"received": date(2025, 12, 31)}
    # Wed 31 Dec 2025 + 7 calendar days = Wed 7 Jan 2026, Orthodox Christmas ⇒ Thu 8 Jan
    assert dues(plan("gift", given)) == {"hand_over": date(2026, 1, 8)}
    assert plan("gift", given, ("handed_over", date(2026, 1, 8)))["hand_over"].status \
        == DONE_ON_TIME
    assert plan("gift", given, ("handed_over", date(2026, 1, 9)))["hand_over"].status \
        == DONE_LATE


def test_gift_paying_for_a_service_is_the_alternative_completion():
    d = defn("gift")
    assert {e.key for e in d.events.values() if e.completes == "hand_over"} == {
        "handed_over", "pay_service"}
    assert d.requirements(d.events["handed_over"]) == ("receipt_act",)
    assert d.requirements(d.events["pay_service"]) == ("payment_document",)
    stages = plan("gift", {"received": date(2025, 12, 31)}, ("pay_service", date(2026, 1, 6)))
    assert stages["hand_over"].status == DONE_ON_TIME
    assert stages["hand_over"].done_on == date(2026, 1, 6)


# -- a stage due from one given date ----------------------------------------------------------


@pytest.mark.parametrize(("key", "given", "stage", "due"), [
    # money credited without the person's knowledge (002:L159): Mon 27 Apr 2026 + 2 weeks =
    # Mon 11 May, the day off for Victory Day (Sat 9 May) ⇒ Tue 12
    pytest.param("unknowing_funds", {"discovered": date(2026, 4, 27)},
                 "transfer_to_budget", date(2026, 5, 12), id="unknowing-funds-may-holidays"),
    # trust management (002:L116): Tue 2 Dec 2025 + 30 days = Thu 1 Jan 2026 (New Year; 2 Jan
    # off, 3-4 weekend) ⇒ Mon 5 Jan
    pytest.param("trust_management", {"appointed": date(2025, 12, 2)},
                 "trust_agreement", date(2026, 1, 5), id="trust-management-new-year"),
    # Mon 2 Feb 2026 + 30 days = Wed 4 Mar 2026, a working day
    pytest.param("trust_management", {"appointed": date(2026, 2, 2)},
                 "trust_agreement", date(2026, 3, 4), id="trust-management-working-day"),
    # a change of the declaration rules (002:L179): 30 WD after Thu 1 Jan 2026 (not counted):
    # 2 Jan off; 5, 6, (7 off) 8, 9 Jan = 4; 12-16 = 9; 19-23 = 14; 26-30 = 19; 2-6 Feb = 24;
    # 9-13 Feb = 29; Mon 16 Feb = 30
    pytest.param("declaration_law_change", {"entry_into_force": date(2026, 1, 1)},
                 "staff_notice", date(2026, 2, 16), id="declaration-law-change-30-wd"),
    # contract concentration, the report (002:L308-309, P-4): Thu 5 Mar 2026 + 3 days = Sun
    # 8 Mar (Women's Day) ⇒ Mon 9 Mar off ⇒ Tue 10 Mar
    pytest.param("contract_concentration", {"completed": date(2026, 3, 5)},
                 "report_to_head", date(2026, 3, 10), id="contract-concentration-report"),
])
def test_a_stage_due_from_one_given_date(key, given, stage, due):
    assert dues(plan(key, given)) == {stage: due}


# -- foreign bank account (002:L219-225) ----------------------------------------------------


def test_foreign_account_notice_and_closure():
    stages = plan("foreign_account", {"found": date(2025, 8, 29)})
    assert dues(stages) == {
        # 2 WD after Fri 29 Aug 2025: 30-31 weekend, Mon 1 Sep off (Constitution Day,
        # Sat 30 Aug) ⇒ Tue 2, Wed 3 Sep
        "notify": date(2025, 9, 3),
        # 29 Aug + 6 months = 29 Feb 2026, which does not exist ⇒ Sat 28 Feb ⇒ Mon 2 Mar
        "closure_proof": date(2026, 3, 2),
    }  # `measures` is dormant until `not_closed`
    stages = plan("foreign_account", {"found": date(2025, 10, 31)})
    # 2 WD after Fri 31 Oct 2025: Mon 3, Tue 4 Nov; 31 Oct + 6 months ⇒ Thu 30 Apr 2026
    assert dues(stages) == {"notify": date(2025, 11, 4), "closure_proof": date(2026, 4, 30)}


def test_foreign_account_not_closed_opens_measures_without_a_deadline():
    stages = plan("foreign_account", {"found": date(2025, 8, 29)},
                  ("notified", date(2025, 9, 2)), ("not_closed", date(2026, 3, 3)))
    assert stages["notify"].status == DONE_ON_TIME
    assert stages["measures"].status == OPEN
    assert stages["measures"].due is None  # no deadline in the source (L225)
    assert stages["closure_proof"].status == OPEN  # missed: stays overdue until closed


# -- whistleblower protection (002:L265-278) ------------------------------------------------

WB = {"application_received": date(2026, 11, 20), "reported": date(2024, 2, 29)}


def test_whistleblower_decision_protocol_and_protection_window():
    stages = plan("whistleblower_protection", WB)
    assert dues(stages) == {
        # Fri 20 Nov 2026 + 30 calendar days = Sun 20 Dec ⇒ Mon 21 Dec
        "decision": date(2026, 12, 21),
        # 3 WD after the projected decision Mon 21 Dec: 22, 23, 24 Dec
        "protocol_to_agency": date(2026, 12, 24),
    }
    assert projected(stages) == {"protocol_to_agency"}
    values = Planner(defn("whistleblower_protection"), CAL, Facts(WB)).dates()
    # Thu 29 Feb 2024 + 3 years = 28 Feb 2027 (no 29th), a Sunday ⇒ Mon 1 Mar 2027 (I-1)
    assert values["protected_until"].date == date(2027, 3, 1)
    assert not values["protected_until"].projected


def test_whistleblower_decision_recorded_counts_the_protocol_from_it():
    stages = plan("whistleblower_protection", WB, ("decided", date(2026, 12, 11)))
    assert stages["decision"].status == DONE_ON_TIME
    # 3 WD after Fri 11 Dec 2026: Mon 14, Tue 15, (Wed 16 Independence Day) Thu 17 Dec
    assert stages["protocol_to_agency"].due == date(2026, 12, 17)
    assert not stages["protocol_to_agency"].projected


def test_whistleblower_without_a_report_date_has_no_protection_window():
    values = Planner(defn("whistleblower_protection"), CAL,
                     Facts({"application_received": date(2026, 11, 20)})).dates()
    assert "protected_until" not in values


# -- recurring obligations: one due date per period -----------------------------------------


def recurring(key: str, label: str, *records: tuple[str, date]) -> tuple[date, StagePlan]:
    d = defn(key)
    period = periods.parse(label)
    due = periods.due_date(CAL, period, d.recurrence.due)
    facts = Facts({"period_start": period.start, "period_end": period.end, "period_due": due},
                  tuple(Record(event, on) for event, on in records))
    (stage,) = plan_case(d, CAL, facts).values()
    return due, stage


RECURRING_DUES = [
    # P-3: the last working day of the period (rolled back, never out of it)
    ("coi_quarterly_analysis", "2026Q1", date(2026, 3, 31)),   # Tue 31 Mar, a working day
    ("coi_quarterly_analysis", "2022Q4", date(2022, 12, 30)),  # Sat 31 Dec 2022 ⇒ Fri 30 Dec
    ("coi_quarterly_analysis", "2026Q4", date(2026, 12, 31)),  # Thu 31 Dec 2026
    ("whistleblower_awareness", "2025Q1", date(2025, 3, 31)),  # Mon 31 Mar 2025, after Nauryz
    ("coi_training", "2026H1", date(2026, 6, 30)),             # Tue 30 Jun 2026
    ("coi_training", "2026H2", date(2026, 12, 31)),            # Thu 31 Dec 2026
    ("culture_events", "2025H2", date(2025, 12, 31)),          # Wed 31 Dec 2025
    ("procurement_training", "2024H1", date(2024, 6, 28)),     # Sun 30 Jun 2024 ⇒ Fri 28 Jun
    ("foreign_accounts_request", "2022", date(2022, 12, 30)),  # Sat 31 Dec 2022 ⇒ Fri 30 Dec
    ("publication_explanatory_event", "2023", date(2023, 12, 29)),  # Sun 31 Dec ⇒ Fri 29 Dec
    ("contract_concentration_analysis", "2026", date(2026, 12, 31)),
    ("akim_commission_meeting", "2026Q3", date(2026, 9, 30)),  # Wed 30 Sep 2026
    ("akim_commission_meeting", "2022Q4", date(2022, 12, 30)),
    ("ethics_explanatory_event", "2026M01", date(2026, 1, 30)),  # Sat 31 Jan ⇒ Fri 30 Jan
    ("ethics_explanatory_event", "2026M03", date(2026, 3, 31)),
    ("ethics_explanatory_event", "2026M05", date(2026, 5, 29)),  # Sun 31 May ⇒ Fri 29 May
    ("civil_servant_training", "2021", date(2021, 12, 31)),    # Fri 31 Dec 2021
    ("qse_training_events", "2026Q2", date(2026, 6, 30)),
    # 002:L214: no later than 31 December of the year (P-24: the year's last day on a day off
    # moves back to the year's last working day, never into January): Sat 31 Dec 2022 ⇒ Fri
    # 30 Dec 2022; Sun 31 Dec 2028 (Sat 30 Dec) ⇒ Fri 29 Dec 2028
    ("declaration_publication", "2022", date(2022, 12, 30)),
    ("declaration_publication", "2028", date(2028, 12, 29)),
    ("declaration_publication", "2026", date(2026, 12, 31)),
    # 004:L3202-3204: by 15 April of the year after the reporting year (I-1)
    ("national_report_input", "2022", date(2023, 4, 17)),      # Sat 15 Apr 2023 ⇒ Mon 17 Apr
    ("national_report_input", "2025", date(2026, 4, 15)),      # Wed 15 Apr 2026
    # P-5: one month before the 15 September deadline = 15 August; N-2: a day off rolls back
    ("declaration_reminder", "2026", date(2026, 8, 14)),       # Sat 15 Aug 2026 ⇒ Fri 14 Aug
    ("declaration_reminder", "2025", date(2025, 8, 15)),       # Fri 15 Aug 2025
]


@pytest.mark.parametrize(("key", "label", "expected"), RECURRING_DUES)
def test_recurring_due_date(key, label, expected):
    due, stage = recurring(key, label)
    assert due == expected
    assert stage.due == expected and stage.status == OPEN and not stage.projected


def test_every_recurring_obligation_has_a_due_date_case():
    assert {key for key, _, _ in RECURRING_DUES} == set(RECURRING)


def test_recurring_record_on_time_and_late():
    _, stage = recurring("coi_quarterly_analysis", "2022Q4", ("analysed", date(2022, 12, 30)))
    assert stage.status == DONE_ON_TIME
    _, stage = recurring("coi_quarterly_analysis", "2022Q4", ("analysed", date(2022, 12, 31)))
    assert stage.status == DONE_LATE
    _, stage = recurring("declaration_publication", "2022", ("published", date(2022, 12, 30)))
    assert stage.status == DONE_ON_TIME
    _, stage = recurring("declaration_publication", "2022", ("published", date(2023, 1, 4)))
    assert stage.status == DONE_LATE  # P-24: not moved into January


def test_declaration_reminder_deadline_is_a_setting():
    d = defn("declaration_reminder")
    assert d.interpretations["declaration_deadline"] == "09-15"
    assert d.interpretations["declaration_reminder_date"] == "08-15"
    period = periods.parse("2026")
    due = periods.due_date(CAL, period, d.recurrence.due)
    facts = Facts({"period_start": period.start, "period_end": period.end, "period_due": due})
    # the case shows the deadline itself: 15 September of the period's year
    assert Planner(d, CAL, facts).date("declaration_deadline").date == date(2026, 9, 15)
    # an operator who moves the deadline to 31 October moves the reminder to 30 September
    moved = read_file(FOLDER / "declaration_reminder.toml",
                      {"declaration_deadline": "10-31",
                       "declaration_reminder_date": "09-30"}).definition
    assert periods.due_date(CAL, period, moved.recurrence.due) == date(2026, 9, 30)  # Wed
