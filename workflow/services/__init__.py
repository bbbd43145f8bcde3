"""The service layer: use cases, one transaction each (the caller commits).

Adapters (CLI, web) import this package; its modules are split by what they act on:
cases of any process (`cases`), lists across cases (`lists`), the internal analysis's
planning (`analyses`), obligations (`obligations`), organisations, users, monitoring.
"""

from workflow.services.analyses import (  # noqa: F401
    Planned,
    add_external,
    ensure_programme,
    open_checked,
    plan_analysis,
    programme_cases,
    programme_stage,
    programmes_under,
    record_schedule,
)
from workflow.services.bulk import (  # noqa: F401
    AnalysisRow,
    RowRefused,
    check_analyses,
    plan_analyses,
    write_analyses,
)
from workflow.services.cases import (  # noqa: F401
    analysis_view,
    assign_responsible,
    audit_person_view,
    case_view,
    current_state,
    definition_of,
    facts_of,
    list_cases,
    next_events,
    open_case,
    record_event,
    record_not_done,
    records_of,
    replan,
    shown_status,
    stages_of,
    sync,
    void_record,
    working_days_left,
)
from workflow.services.context import Context  # noqa: F401
from workflow.services.lists import (  # noqa: F401
    count_due,
    count_my_overdue,
    count_overdue,
    count_stages,
    due_within,
    my_work,
    open_stages,
    overdue,
)
from workflow.services.lookup import (  # noqa: F401
    find_case,
    find_org,
    find_programme,
    get_analysis,
    get_case,
    get_org,
    get_user,
    org_by_id,
    user_by_id,
)
from workflow.services.organisations import (  # noqa: F401
    add_org,
    import_orgs,
    list_orgs,
    local_name,
    org_name,
    org_names,
    org_rows,
)
from workflow.services.replanning import replan_all  # noqa: F401
from workflow.services.scoring import scorecards  # noqa: F401
from workflow.services.users import add_user, list_users, update_user  # noqa: F401
from workflow.storage.queries import subtree_range  # noqa: F401
