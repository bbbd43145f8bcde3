"""The service layer: use cases, one transaction each (the caller commits).

Adapters (CLI, web) import this package; its modules are split by what they act on:
cases of any process (`cases`, naming the families `case_opening`, `case_plan`, `recording`,
`case_reading` together), opening one from the generic forms (`opening`), lists across
cases (`lists`), programmes read (`programmes`), obligations (`obligations`), organisations,
users. The internal analysis's planning is a feature (workflow/planning/).

The names below are imported from their module when first asked for (PEP 562), so a command
that reads one case (`merzim status`) does not import the bulk import, the lists, scoring or
re-planning; `tests/cli/test_cli_lazy.py` checks it.
"""

from __future__ import annotations

import importlib

_EXPORTS: dict[str, tuple[str, ...]] = {  # module (under workflow.) → the names it gives here
    "services.bulk": ("RowRefused",),
    "services.case_opening": ("duplicate_cases", "open_case", "possible_repeats"),
    "services.case_plan": ("assign_responsible", "current_state", "facts_of", "records_of",
                           "replan", "stages_of", "sync"),
    "services.case_reading": ("analysis_view", "audit_person_seen", "audit_person_view",
                              "case_view", "list_cases", "page_cases", "shown_status",
                              "working_days_left"),
    "services.recording": ("case_revision", "edit_case", "record_event", "record_not_done",
                           "void_record"),
    "services.processes": ("definition_of",),
    "core.decide": ("next_events",),
    "services.context": ("Context",),
    "services.lists": ("count_due", "count_my_overdue", "count_overdue", "count_stages",
                       "list_versions", "due_within", "my_work", "open_stages", "overdue"),
    "services.lookup": ("find_case", "find_org", "find_programme", "get_analysis", "get_case",
                        "get_org", "get_user", "org_by_id", "user_by_id"),
    "services.opening": ("Planned", "open_checked"),
    "services.organisations": ("add_org", "children", "headcount_of", "import_orgs",
                               "list_orgs", "local_name", "org_name", "set_headcount",
                               "org_names", "org_rows", "orgs_version"),
    "services.programmes": ("programme_cases", "programme_definition", "programme_stage",
                            "programmes_under"),
    "services.replanning": ("replan_all",),
    "services.users": ("add_user", "display_names", "list_users", "update_user"),
    "services.withdrawal": ("case_history", "restore_case", "void_with_linked", "withdraw_case"),
    "services.links": ("left_to_officer", "link_cases", "linked_cases", "offers", "open_linked",
                       "opened_by_record", "same_entries", "standing_linked", "unlink_cases"),
    "storage.queries": ("subtree_range",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    """A use case by its name, from its module (imported now if it was not yet)."""
    module = _MODULE_OF.get(name)
    if module is None:  # a submodule not imported yet: the import system imports it
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"workflow.{module}"), name)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
