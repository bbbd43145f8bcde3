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
from typing import TYPE_CHECKING, Any

# every write the services make appends to the audit chain, which hands its records to the kept
# figures: installed with the services, whichever of them a command asks for first
import workflow.kept  # noqa: F401

_EXPORTS: dict[str, tuple[str, ...]] = {  # module (under workflow.) → the names it gives here
    "services.bulk": ("RowRefused",),
    "services.case_opening": ("duplicate_cases", "open_case", "possible_repeats"),
    "services.case_plan": ("assign_responsible", "current_state", "facts_of", "records_of",
                           "replan", "stages_of", "sync"),
    "services.case_reading": ("analysis_view", "audit_person_seen", "audit_person_view",
                              "MARK_STEP", "Marks", "case_marks", "case_view", "list_cases",
                              "match_state", "page_cases", "shown_status", "StateMatch",
                              "working_days_left"),
    "services.recording": ("case_revision", "edit_case", "record_event", "record_not_done",
                           "void_record"),
    "services.processes": ("definition_of",),
    "core.decide": ("next_events",),
    "services.context": ("Context",),
    "services.lists": ("before_joining", "bell_scopes", "count_before_joining", "count_due",
                       "count_my_overdue", "count_overdue", "count_stages", "figure_versions",
                       "list_versions", "lists_versions", "due_within", "mine_scopes",
                       "my_work", "open_stages", "overdue", "scoped_versions", "views_scopes"),
    "services.lookup": ("find_case", "find_org", "find_programme", "get_analysis", "get_case",
                        "get_org", "get_user", "org_by_id", "org_of", "user_by_id"),
    "services.opening": ("Planned", "open_checked"),
    "services.organisations": ("add_org", "children", "headcount_of",
                               "list_orgs", "local_name", "org_name", "roots", "set_headcount",
                               "set_name_forms", "org_genitive", "checked_forms",
                               "proposed_forms", "org_names", "org_rows",
                               "subtree_kinds"),
    "services.programmes": ("programme_cases", "programme_definition", "programme_of",
                            "programme_stage", "programmes_under"),
    "services.replanning": ("replan_all",),
    "services.users": ("add_user", "display_names", "list_users", "update_user"),
    "services.withdrawal": ("case_history", "restore_case", "void_with_linked", "withdraw_case"),
    "services.links": ("left_to_officer", "link_cases", "linked_cases", "offers", "open_linked",
                       "opened_by_record", "same_entries", "standing_linked", "unlink_cases"),
    "storage.queries": ("subtree_range",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)

# The same names imported for the type checker, so that a call through `svc.NAME` is checked
# (at run time they are imported when first asked for, below); tests/test_architecture.py
# keeps the two lists the same.
if TYPE_CHECKING:
    from workflow.core.decide import next_events as next_events
    from workflow.services.bulk import RowRefused as RowRefused
    from workflow.services.case_opening import duplicate_cases as duplicate_cases
    from workflow.services.case_opening import open_case as open_case
    from workflow.services.case_opening import possible_repeats as possible_repeats
    from workflow.services.case_plan import assign_responsible as assign_responsible
    from workflow.services.case_plan import current_state as current_state
    from workflow.services.case_plan import facts_of as facts_of
    from workflow.services.case_plan import records_of as records_of
    from workflow.services.case_plan import replan as replan
    from workflow.services.case_plan import stages_of as stages_of
    from workflow.services.case_plan import sync as sync
    from workflow.services.case_reading import MARK_STEP as MARK_STEP
    from workflow.services.case_reading import Marks as Marks
    from workflow.services.case_reading import StateMatch as StateMatch
    from workflow.services.case_reading import analysis_view as analysis_view
    from workflow.services.case_reading import audit_person_seen as audit_person_seen
    from workflow.services.case_reading import audit_person_view as audit_person_view
    from workflow.services.case_reading import case_marks as case_marks
    from workflow.services.case_reading import case_view as case_view
    from workflow.services.case_reading import list_cases as list_cases
    from workflow.services.case_reading import match_state as match_state
    from workflow.services.case_reading import page_cases as page_cases
    from workflow.services.case_reading import shown_status as shown_status
    from workflow.services.case_reading import working_days_left as working_days_left
    from workflow.services.context import Context as Context
    from workflow.services.links import left_to_officer as left_to_officer
    from workflow.services.links import link_cases as link_cases
    from workflow.services.links import linked_cases as linked_cases
    from workflow.services.links import offers as offers
    from workflow.services.links import open_linked as open_linked
    from workflow.services.links import opened_by_record as opened_by_record
    from workflow.services.links import same_entries as same_entries
    from workflow.services.links import standing_linked as standing_linked
    from workflow.services.links import unlink_cases as unlink_cases
    from workflow.services.lists import before_joining as before_joining
    from workflow.services.lists import bell_scopes as bell_scopes
    from workflow.services.lists import count_before_joining as count_before_joining
    from workflow.services.lists import count_due as count_due
    from workflow.services.lists import count_my_overdue as count_my_overdue
    from workflow.services.lists import count_overdue as count_overdue
    from workflow.services.lists import count_stages as count_stages
    from workflow.services.lists import due_within as due_within
    from workflow.services.lists import figure_versions as figure_versions
    from workflow.services.lists import list_versions as list_versions
    from workflow.services.lists import lists_versions as lists_versions
    from workflow.services.lists import mine_scopes as mine_scopes
    from workflow.services.lists import my_work as my_work
    from workflow.services.lists import open_stages as open_stages
    from workflow.services.lists import overdue as overdue
    from workflow.services.lists import scoped_versions as scoped_versions
    from workflow.services.lists import views_scopes as views_scopes
    from workflow.services.lookup import find_case as find_case
    from workflow.services.lookup import find_org as find_org
    from workflow.services.lookup import find_programme as find_programme
    from workflow.services.lookup import get_analysis as get_analysis
    from workflow.services.lookup import get_case as get_case
    from workflow.services.lookup import get_org as get_org
    from workflow.services.lookup import get_user as get_user
    from workflow.services.lookup import org_by_id as org_by_id
    from workflow.services.lookup import org_of as org_of
    from workflow.services.lookup import user_by_id as user_by_id
    from workflow.services.opening import Planned as Planned
    from workflow.services.opening import open_checked as open_checked
    from workflow.services.organisations import add_org as add_org
    from workflow.services.organisations import checked_forms as checked_forms
    from workflow.services.organisations import children as children
    from workflow.services.organisations import headcount_of as headcount_of
    from workflow.services.organisations import list_orgs as list_orgs
    from workflow.services.organisations import local_name as local_name
    from workflow.services.organisations import org_genitive as org_genitive
    from workflow.services.organisations import org_name as org_name
    from workflow.services.organisations import org_names as org_names
    from workflow.services.organisations import org_rows as org_rows
    from workflow.services.organisations import proposed_forms as proposed_forms
    from workflow.services.organisations import roots as roots
    from workflow.services.organisations import set_headcount as set_headcount
    from workflow.services.organisations import set_name_forms as set_name_forms
    from workflow.services.organisations import subtree_kinds as subtree_kinds
    from workflow.services.processes import definition_of as definition_of
    from workflow.services.programmes import programme_cases as programme_cases
    from workflow.services.programmes import programme_definition as programme_definition
    from workflow.services.programmes import programme_of as programme_of
    from workflow.services.programmes import programme_stage as programme_stage
    from workflow.services.programmes import programmes_under as programmes_under
    from workflow.services.recording import case_revision as case_revision
    from workflow.services.recording import edit_case as edit_case
    from workflow.services.recording import record_event as record_event
    from workflow.services.recording import record_not_done as record_not_done
    from workflow.services.recording import void_record as void_record
    from workflow.services.replanning import replan_all as replan_all
    from workflow.services.users import add_user as add_user
    from workflow.services.users import display_names as display_names
    from workflow.services.users import list_users as list_users
    from workflow.services.users import update_user as update_user
    from workflow.services.withdrawal import case_history as case_history
    from workflow.services.withdrawal import restore_case as restore_case
    from workflow.services.withdrawal import void_with_linked as void_with_linked
    from workflow.services.withdrawal import withdraw_case as withdraw_case
    from workflow.storage.queries import subtree_range as subtree_range


if not TYPE_CHECKING:  # (to the type checker, a name not imported above does not exist)
    def __getattr__(name: str) -> Any:
        """A use case by its name, from its module (imported now if it was not yet)."""
        module = _MODULE_OF.get(name)
        if module is None:  # a submodule not imported yet: the import system imports it
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"workflow.{module}"), name)
        globals()[name] = value  # asked once
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
