"""The context every use case runs in: calendar, process definitions, today, actor, language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from calendars import KazakhstanCalendar
from workflow.core.definition import Definition
from workflow.core.kinds import widened
from workflow.definitions import Registry


@dataclass
class Context:
    """What a use case needs besides the session. `processes` is the registry (a single
    Definition is accepted and becomes a registry of one)."""

    calendar: KazakhstanCalendar
    processes: Registry | Definition
    today: date
    actor: str = "cli"
    language: str = "en"
    # config.toml [deadlines] own_off: organisations whose deadlines set by merzim are off (I-17)
    own_off: tuple[str, ...] = ()
    # config.toml [processes.organisations]: per process, organisations of another kind whose
    # cases accept the events kept for some kinds (P-21)
    process_orgs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # whether the one the use case runs for may see the person of a case (the case, its
    # definition's person visibility): the one rule for its viewer (services/visibility.py
    # `person_rule`); None, the command line's operator, who sees every person. The rules
    # that compare a person with stored ones (the duplicate rule, a correction) answer alike
    # whether or not a name matches a case whose person the caller may not see.
    sees_person: Callable[[Any, str], bool] | None = None
    # config.toml [deadlines] final_report_before: a subdivision's final report is due this
    # many working days before its body's own (B-21; 0: the same day); the kinds of body that
    # take in their subdivisions' reports ([scorecard] consolidating_kinds, B-18)
    final_report_before: int = 10
    consolidating_kinds: tuple[str, ...] = ("central_body", "akimat")
    # config.toml [deadlines] joining_confirm_days: for this many working days after an
    # organisation joined mid-year, its open stages due before that day are "before joining
    # -- to confirm", counted apart from overdue (B-25, workflow/core/joining.py)
    joining_confirm_days: int = 20
    # config.toml [web] public_url: where people open the pages (the case link of a message a
    # use case writes to the outbox, a mention's notice; "": no link)
    public_url: str = ""

    def __post_init__(self) -> None:
        self.consolidating_kinds = widened(self.consolidating_kinds)
        if isinstance(self.processes, Definition):
            self.processes = Registry.of(self.processes)

    def kind_for(self, process: str, subject: Any) -> str | None:
        """The kind the events of `process` see in a case of `subject`: its own, or None (every
        kind) when the operator switched the process on for it (P-21)."""
        return None if subject.code in self.process_orgs.get(process, ()) else subject.kind

    def own_deadlines_off(self, org_code: str | None) -> bool:
        """Whether the organisation switched off the deadlines merzim sets (I-17)."""
        return bool(self.own_off) and ("*" in self.own_off or org_code in self.own_off)

    def shows_person(self, case: Any, definition: Definition) -> bool:
        """Whether the caller may see the person of `case` (of `definition`)."""
        return (definition.parties.person == "none" or self.sees_person is None
                or self.sees_person(case, definition.parties.person_visibility))

    @property
    def registry(self) -> Registry:
        return self.processes  # type: ignore[return-value]


def report_settings(settings: Any) -> dict[str, Any]:
    """What a context takes of the settings for who reports when (B-21): the working days
    before the body's own report and the kinds of body that take in their subdivisions' (the
    `consolidating_kinds` of the installed feature's settings that name them: config.toml
    `[scorecard]`; none: a central body and an akimat)."""
    kinds = next((own.consolidating_kinds
                  for own in getattr(settings, "features", {}).values()
                  if hasattr(own, "consolidating_kinds")), ("central_body", "akimat"))
    return {"final_report_before": getattr(settings, "final_report_before", 10),
            "consolidating_kinds": tuple(kinds),
            "joining_confirm_days": getattr(settings, "joining_confirm_days", 20)}
