"""Due dates of the internal analysis, worked out by hand from the Kazakh calendar.

Every expected date below is a literal counted on the 2024-2026 calendars
(`merzim calendar show YEAR`): 2024 — Saturday 4 May worked for Wednesday 8 May,
1, 7, 9 May off, Nauryz 21, 22, 25 March; 2025 — 1-3 January off, Sunday 5 January
worked, 7 January, 10 March, Nauryz 21, 24, 25 March, 1, 7, 9 May, Kurban Ait 6 June,
7 July, 1 September, 27 October, 16 December off; 2026 — 1, 2, 7 January, 9 March,
Nauryz 23-25 March, 1, 7, 11 May, Kurban Ait 27 May, 6 July off.
"""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from calendars import KazakhstanCalendar
from workflow.core.dates import apply_rule
from workflow.core.deadlines import Due, Facts, Planner, Record, plan_stages
from workflow.core.definition import Definition, DueRule
from workflow.core.errors import ConfigError
from workflow.definitions.schema import parse_definition

pytestmark = pytest.mark.unit  # pure: no database, no process


@pytest.fixture(scope="module")
def cal() -> KazakhstanCalendar:
    return KazakhstanCalendar()


@pytest.fixture(scope="module")
def iacr() -> Definition:
    from workflow.definitions import load_definition

    return load_definition()


def planned(start: date, end: date, **events: date) -> Facts:
    """The named dates given when the analysis was planned, and the events recorded since."""
    return Facts({"start": start, "end": end}, tuple(Record(k, v) for k, v in events.items()))


def default_end(cal: KazakhstanCalendar, start: date, working_days: int) -> date:
    """I-4 as the definition's default rule: the Nth working day counting the start."""
    return apply_rule(cal, start, DueRule(("start",), working_days, "working_days", "after",
                                          inclusive=True))


def dates(plan: dict[str, Due]) -> dict[str, date]:
    return {key: due.date for key, due in plan.items()}


# -- a whole analysis planned from its start S and end E ------------------------------------


def test_analysis_from_2_march_to_10_april_2026_has_every_due_date(iacr, cal):
    plan = plan_stages(iacr, cal, planned(date(2026, 3, 2), date(2026, 4, 10)))
    assert dates(plan) == {
        "order": date(2026, 2, 16),                 # 10th working day before Monday 2 March
        "start_announcement": date(2026, 2, 16),
        "discussion_announcement": date(2026, 3, 27),
        "public_discussion": date(2026, 4, 3),
        "analytic_note": date(2026, 4, 24),
        "positions_list": date(2026, 4, 24),
        "action_plan": date(2026, 5, 13),           # skips 1, 7 and 11 May
        "publication": date(2026, 5, 18),
    }
    projected = {key for key, due in plan.items() if due.projected}
    assert projected == {"action_plan", "publication"}


# (S, E, order & start announcement, discussion announcement, public discussion,
#  analytic note & positions list, action plan (projected), publication (projected))
ANALYSES = {
    "note_due_crosses_nauryz_2025": (
        date(2025, 2, 3), date(2025, 3, 14),
        date(2025, 1, 20), date(2025, 2, 27), date(2025, 3, 6),  # 10 March 2025 is skipped
        date(2025, 4, 2), date(2025, 4, 16), date(2025, 4, 21),   # 21, 24, 25 March skipped
    ),
    "note_due_crosses_may_2024_transfer": (
        date(2024, 4, 1), date(2024, 4, 26),
        date(2024, 3, 13), date(2024, 4, 12), date(2024, 4, 19),  # Nauryz 2024 skipped
        date(2024, 5, 15), date(2024, 5, 29), date(2024, 6, 3),   # Saturday 4 May counts, 8 May not
    ),
    "discussion_announcement_counts_back_over_may_2024_transfer": (
        date(2024, 4, 15), date(2024, 5, 20),
        date(2024, 4, 1), date(2024, 5, 2), date(2024, 5, 13),    # 7-9 May skipped, Saturday 4 May counts
        date(2024, 6, 3), date(2024, 6, 17), date(2024, 6, 20),
    ),
    "note_due_crosses_new_year_2025": (
        date(2024, 12, 2), date(2024, 12, 20),
        date(2024, 11, 18), date(2024, 12, 5), date(2024, 12, 12),  # 16 December 2024 skipped
        date(2025, 1, 8), date(2025, 1, 22), date(2025, 1, 27),     # 1-3, 7 Jan off; Sunday 5 Jan worked
    ),
    "note_due_crosses_new_year_2026": (
        date(2025, 12, 1), date(2025, 12, 19),
        date(2025, 11, 17), date(2025, 12, 4), date(2025, 12, 11),  # 16 December 2025 skipped
        date(2026, 1, 6), date(2026, 1, 21), date(2026, 1, 26),     # 1, 2 and 7 January 2026 skipped
    ),
    "note_due_crosses_kurban_ait_2025": (
        date(2025, 5, 5), date(2025, 5, 23),
        date(2025, 4, 18), date(2025, 5, 8), date(2025, 5, 16),     # 1 and 9 May 2025 skipped
        date(2025, 6, 9), date(2025, 6, 23), date(2025, 6, 26),     # Friday 6 June skipped
    ),
    "start_on_monday_after_victory_day_2025": (
        date(2025, 5, 12), date(2025, 6, 23),
        date(2025, 4, 23), date(2025, 6, 9), date(2025, 6, 16),     # 9, 7 and 1 May skipped
        date(2025, 7, 8), date(2025, 7, 22), date(2025, 7, 25),     # Astana Day shift 7 July skipped
    ),
    "start_on_monday_after_new_year_2026": (
        date(2026, 1, 5), date(2026, 2, 13),
        date(2025, 12, 18), date(2026, 1, 30), date(2026, 2, 6),    # 1-2 January and 16 December skipped
        date(2026, 2, 27), date(2026, 3, 16), date(2026, 3, 19),    # 9 March 2026 skipped
    ),
    "spring_2026_across_victory_day_shift_and_kurban_ait": (
        date(2026, 4, 13), date(2026, 5, 15),
        date(2026, 3, 30), date(2026, 4, 28), date(2026, 5, 6),     # 1, 7, 11 May skipped
        date(2026, 6, 1), date(2026, 6, 15), date(2026, 6, 18),     # Wednesday 27 May skipped
    ),
}


@pytest.mark.parametrize("story", ANALYSES)
def test_every_stage_due_date_follows_the_kazakh_calendar(iacr, cal, story):
    s, e, announce, discussion, public, note, plan, publication = ANALYSES[story]
    assert dates(plan_stages(iacr, cal, planned(s, e))) == {
        "order": announce,
        "start_announcement": announce,
        "discussion_announcement": discussion,
        "public_discussion": public,
        "analytic_note": note,
        "positions_list": note,
        "action_plan": plan,
        "publication": publication,
    }


# -- re-planning when actual dates are recorded ----------------------------------------------


def test_end_recorded_a_week_early_brings_note_and_positions_list_forward(iacr, cal):
    plan = plan_stages(iacr, cal, planned(date(2026, 3, 2), date(2026, 4, 10),
                                          analysis_end=date(2026, 4, 3)))
    assert plan["analytic_note"] == Due(date(2026, 4, 17), False)
    assert plan["positions_list"] == Due(date(2026, 4, 17), False)
    # the stages counted back from the end move with it too (I-12): 23-25 March skipped
    assert plan["discussion_announcement"] == Due(date(2026, 3, 17), False)
    assert plan["public_discussion"] == Due(date(2026, 3, 27), False)
    assert "analysis_end" not in plan                # v3: no stage for the end itself (I-11)


def test_end_recorded_a_week_late_pushes_note_plan_and_publication_past_may_holidays(iacr, cal):
    plan = plan_stages(iacr, cal, planned(date(2026, 3, 2), date(2026, 4, 10),
                                          analysis_end=date(2026, 4, 17)))
    assert plan["analytic_note"] == Due(date(2026, 5, 4), False)     # 1 May skipped
    assert plan["positions_list"] == Due(date(2026, 5, 4), False)
    assert plan["action_plan"] == Due(date(2026, 5, 20), True)       # 7 and 11 May skipped
    assert plan["publication"] == Due(date(2026, 5, 25), True)


def test_note_signed_fixes_the_action_plan_due_date(iacr, cal):
    plan = plan_stages(iacr, cal, planned(date(2026, 3, 2), date(2026, 4, 10),
                                          analysis_end=date(2026, 4, 10),
                                          analytic_note=date(2026, 4, 22)))
    assert plan["action_plan"] == Due(date(2026, 5, 8), False)       # add_wd(22 Apr, 10)
    assert plan["publication"] == Due(date(2026, 5, 14), True)       # still waits for A


def test_publication_counts_from_the_note_when_it_is_signed_after_the_plan(iacr, cal):
    plan = plan_stages(iacr, cal, planned(date(2026, 3, 2), date(2026, 4, 10),
                                          analytic_note=date(2026, 4, 27),
                                          action_plan=date(2026, 4, 20)))
    assert plan["publication"] == Due(date(2026, 4, 30), False)      # add_wd(27 Apr, 3)


def test_publication_counts_from_the_plan_when_it_is_approved_after_the_note(iacr, cal):
    plan = plan_stages(iacr, cal, planned(date(2026, 3, 2), date(2026, 4, 10),
                                          analytic_note=date(2026, 4, 22),
                                          action_plan=date(2026, 5, 6)))
    assert plan["publication"] == Due(date(2026, 5, 13), False)      # add_wd(6 May, 3): 8, 12, 13


def test_actual_start_replaces_the_planned_one_for_the_order(iacr, cal):
    plan = plan_stages(iacr, cal, planned(date(2026, 3, 2), date(2026, 4, 10),
                                          analysis_start=date(2026, 3, 30)))
    assert plan["order"] == Due(date(2026, 3, 11), False)            # 23-25 March skipped
    assert plan["start_announcement"] == Due(date(2026, 3, 11), False)


# -- the default end (I-4) ---------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [
    (date(2026, 3, 2), date(2026, 4, 16)),    # Monday; 9 and 23-25 March skipped
    (date(2025, 5, 12), date(2025, 6, 23)),   # Monday after Victory Day; 6 June skipped
    (date(2025, 8, 18), date(2025, 9, 29)),   # 1 September 2025 skipped
    (date(2024, 5, 4), date(2024, 6, 18)),    # worked Saturday 4 May is day 1
])
def test_default_end_is_the_30th_working_day_counting_the_start(cal, start, end):
    assert default_end(cal, start, 30) == end


@pytest.mark.parametrize(("start", "end"), [
    (date(2026, 3, 21), date(2026, 5, 8)),    # Saturday before Nauryz: day 1 is Thursday 26 March
    (date(2025, 1, 3), date(2025, 2, 14)),    # transferred day off: day 1 is Sunday 5 January
])
def test_default_end_counts_from_the_next_working_day_when_start_is_a_day_off(cal, start, end):
    assert default_end(cal, start, 30) == end


def test_one_day_analysis_ends_on_its_start(cal):
    assert default_end(cal, date(2026, 3, 26), 1) == date(2026, 3, 26)


def test_the_definition_defaults_the_end_to_the_30th_working_day(iacr, cal):
    planner = Planner(iacr, cal, Facts({"start": date(2026, 3, 2)}))
    assert planner.date("end") == Due(date(2026, 4, 16), False)


# -- other units, through a small definition ---------------------------------------------------

NAMES = 'names = { kk = "Атауы", ru = "Название", en = "Name" }'


def probe(stages: str, anchors: str = "", events: str = "", extra_states: str = "") -> str:
    """A one-state process whose stages count from `planned_start` (anchor `start`)."""
    return f"""
[process]
key = "probe"
initial_state = "open"
{NAMES}

[states]
open = {{ kk = "Ашық", ru = "Открыт", en = "Open" }}
{extra_states}

[dates.start]
given = "required"
{anchors}
{events}
{stages}
"""


def stage(key: str, due: str) -> str:
    return f'[[stage]]\nkey = "{key}"\ndue = {{ {due} }}\n{NAMES}\n'


def build(text: str) -> Definition:
    return parse_definition(tomllib.loads(text), "probe.toml")


def refused(text: str, *named: str) -> None:
    """Building the definition `text` is refused with a message naming each of `named`."""
    with pytest.raises(ConfigError) as err:
        build(text)
    for words in named:
        assert words in err.value.message, (words, err.value.message)


def due_of(defn: Definition, cal, start: date) -> dict[str, date]:
    return dates(plan_stages(defn, cal, Facts({"start": start})))


def with_stages(anchors: str = "", **dues: str) -> Definition:
    """The probe process with a stage of each key, due as its value says (the inside of `due`)."""
    return build(probe("".join(stage(key, due) for key, due in dues.items()), anchors=anchors))


def test_calendar_days_landing_on_nauryz_roll_to_the_next_working_day(cal):
    defn = with_stages(
        gift_handover='anchor = "start", offset = 7, unit = "calendar_days"',
        gift_handover_back='anchor = "start", offset = 7, unit = "calendar_days", roll = "preceding"',
        gift_handover_exact='anchor = "start", offset = 7, unit = "calendar_days", roll = "none"')
    # 16 March 2026 + 7 days = Monday 23 March (Nauryz); 24 and 25 March are off too.
    assert due_of(defn, cal, date(2026, 3, 16)) == {
        "gift_handover": date(2026, 3, 26),
        "gift_handover_back": date(2026, 3, 20),
        "gift_handover_exact": date(2026, 3, 23),
    }


def test_roll_of_the_interpretations_applies_to_stages_without_their_own(cal):
    text = probe(stage("handover", 'anchor = "start", offset = 1, unit = "calendar_days"'))
    text = text.replace("[states]", '[interpretations]\nroll = "preceding"\n\n[states]')
    # Friday 1 May 2026 - (roll preceding) -> Thursday 30 April
    assert due_of(build(text), cal, date(2026, 4, 30)) == {"handover": date(2026, 4, 30)}


def test_weeks_landing_on_defenders_day_roll_to_friday(cal):
    defn = with_stages(transfer='anchor = "start", offset = 3, unit = "weeks"',
                       review='anchor = "start", offset = 2, unit = "weeks"')
    # Thursday 16 April 2026 + 3 weeks = Thursday 7 May (Defender of the Fatherland Day)
    assert due_of(defn, cal, date(2026, 4, 16)) == {"transfer": date(2026, 5, 8),
                                                     "review": date(2026, 4, 30)}


def test_a_month_after_31_january_is_the_end_of_february(cal):
    defn = with_stages(closure='anchor = "start", offset = 1, unit = "months", roll = "none"',
                       closure_working='anchor = "start", offset = 1, unit = "months"')
    # 2026: 28 February is a Saturday; rolled it becomes Monday 2 March.
    assert due_of(defn, cal, date(2026, 1, 31)) == {"closure": date(2026, 2, 28),
                                                     "closure_working": date(2026, 3, 2)}
    # 2024 is a leap year: Thursday 29 February, a working day.
    assert due_of(defn, cal, date(2024, 1, 31)) == {
        "closure": date(2024, 2, 29),
        "closure_working": date(2024, 2, 29),
    }


def test_six_months_after_31_august_is_the_last_of_february(cal):
    defn = with_stages(
        account_closed='anchor = "start", offset = 6, unit = "months", roll = "none"')
    assert due_of(defn, cal, date(2025, 8, 31)) == {"account_closed": date(2026, 2, 28)}


def test_direction_before_counts_back_and_rolls_as_configured(cal):
    defn = with_stages(
        notice='anchor = "start", offset = 10, unit = "calendar_days", direction = "before"',
        notice_early='anchor = "start", offset = 10, unit = "calendar_days", '
                     'direction = "before", roll = "preceding"',
        month_before='anchor = "start", offset = 1, unit = "months", direction = "before"',
        wd_before='anchor = "start", offset = 3, direction = "before"')
    # 2 April 2026 - 10 days = Monday 23 March (Nauryz)
    assert due_of(defn, cal, date(2026, 4, 2)) == {
        "notice": date(2026, 3, 26),
        "notice_early": date(2026, 3, 20),
        "month_before": date(2026, 3, 2),      # 2 March 2026, a Monday
        "wd_before": date(2026, 3, 30),        # 1 April, 31 March, 30 March
    }
    # 31 March 2026 - 1 month = Saturday 28 February -> following: Monday 2 March
    assert due_of(defn, cal, date(2026, 3, 31))["month_before"] == date(2026, 3, 2)


def test_calendar_date_deadline_on_a_sunday_rolls_to_monday(cal):
    defn = with_stages(
        quarter_report='anchor = "q1_report", offset = 0, unit = "calendar_days"',
        anchors='[dates.q1_report]\nmonth_day = "04-05"\nyear_of = "start"\n')
    # "by the 5th of the month after the quarter": Sunday 5 April 2026 -> Monday 6 April (I-1)
    assert due_of(defn, cal, date(2026, 1, 15)) == {"quarter_report": date(2026, 4, 6)}
    # 5 April 2025 is a Saturday -> Monday 7 April 2025
    assert due_of(defn, cal, date(2025, 2, 3)) == {"quarter_report": date(2025, 4, 7)}


def test_combine_earliest_counts_from_the_earlier_anchor(cal):
    defn = with_stages(first='anchor = ["start", "other"], combine = "earliest", offset = 2',
                       anchors='[dates.other]\ngiven = "optional"\n')
    facts = Facts({"start": date(2026, 3, 20), "other": date(2026, 3, 18)})
    # 18 March 2026 + 2 working days = 20 March
    assert dates(plan_stages(defn, cal, facts)) == {"first": date(2026, 3, 20)}


# -- a broken definition is refused, naming the entry ------------------------------------------


def test_unknown_anchor_is_refused_naming_the_stage():
    text = probe(stage("gift_handover", 'anchor = "handover_day", offset = 7'))
    refused(text, "gift_handover", "'handover_day'")


def test_due_rules_depending_on_each_other_through_projected_anchors_are_refused():
    text = probe(
        stage("note", 'anchor = "plan_approved", offset = 10')
        + stage("plan", 'anchor = "note_signed", offset = 10'),
        anchors=('[dates.note_signed]\nprojected_from = "note"\n'
                 '[dates.plan_approved]\nprojected_from = "plan"\n'))
    refused(text, "cycle", "note -> plan_approved -> plan -> note_signed -> note")


def test_stage_without_its_kazakh_name_is_refused():
    text = probe('[[stage]]\nkey = "order"\ndue = { anchor = "start", offset = 1 }\n'
                 'names = { ru = "Приказ", en = "Order" }\n')
    refused(text, "stage[0] (order)", "names.kk: is missing")


def test_unknown_unit_is_refused_naming_the_stage():
    text = probe(stage("order", 'anchor = "start", offset = 1, unit = "fortnights"'))
    refused(text, "order", "'fortnights'")


def test_event_from_an_unknown_state_is_refused_naming_the_event():
    event = ('[[event]]\nkey = "close"\nsource = ["open", "archived"]\ndest = "open"\n'
             + NAMES + "\n")
    refused(probe(stage("order", 'anchor = "start", offset = 1'), events=event),
            "event[0] (close)", "'archived'")


def test_event_into_an_unknown_state_is_refused_naming_the_event():
    event = ('[[event]]\nkey = "close"\nsource = ["open"]\ndest = "closed"\n' + NAMES + "\n")
    refused(probe(stage("order", 'anchor = "start", offset = 1'), events=event),
            "event[0] (close)", "'closed'")


def test_the_shipped_definition_names_every_stage_and_state_in_three_languages(iacr):
    for stage_ in [*iacr.stages.values(), *iacr.dynamic_stages.values()]:
        assert all(stage_.names[lang].strip() for lang in ("kk", "ru", "en")), stage_.key
    for key, names in iacr.states.items():
        assert all(names[lang].strip() for lang in ("kk", "ru", "en")), key
