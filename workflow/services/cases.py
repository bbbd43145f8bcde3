"""Cases of any process definition, one transaction each: open, record an event, close a
stage as not done, void a record, re-plan, hand over, and show one case — the families of
actions in their own modules (`case_plan`, `case_opening`, `recording`, `case_reading`),
named here together for the services' callers.

Every function takes an open Session and a `Context`; the caller commits. A refusal raises
before anything is written and the caller rolls back, so a refused action changes nothing.
After every change the case is re-planned from its facts (`sync`): each stage's due date and
status, done stages included (I-12), and the state replayed from the records that stand.
"""

from __future__ import annotations

from workflow.core.decide import closed_status  # noqa: F401 - the bulk paths' closing rule
from workflow.services.case_opening import (  # noqa: F401
    Opening,
    cancelled_states,
    case_row,
    check_opening,
    check_responsible,
    default_responsible,
    duplicate_cases,
    open_case,
    opened_payload,
    repeat_key,
    responsible_among,
)
from workflow.services.case_plan import (  # noqa: F401
    assign_responsible,
    current_state,
    due_basis,
    facts_of,
    fresh_dates,
    period_dates,
    planned_rows,
    records_of,
    replan,
    stages_of,
    switched_off,
    sync,
)
from workflow.services.case_reading import (  # noqa: F401
    analysis_view,
    audit_person_seen,
    audit_person_view,
    case_view,
    length_warnings,
    list_cases,
    long_date,
    moved_note,
    shown_status,
    too_long,
    working_days_left,
)
from workflow.services.processes import definition_of  # noqa: F401
from workflow.services.recording import (  # noqa: F401
    REPEAT_SECONDS,
    check_organisations,
    check_record,
    edit_case,
    guard_standing,
    record_event,
    record_not_done,
    repeated_record,
    void_record,
)
