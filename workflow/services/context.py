"""The context every use case runs in: calendar, process definitions, today, actor, language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from calendars import KazakhstanCalendar
from workflow.core.definition import Definition
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

    def __post_init__(self) -> None:
        if isinstance(self.processes, Definition):
            self.processes = Registry.of(self.processes)

    def own_deadlines_off(self, org_code: str | None) -> bool:
        """Whether the organisation switched off the deadlines merzim sets (I-17)."""
        return bool(self.own_off) and ("*" in self.own_off or org_code in self.own_off)

    @property
    def registry(self) -> Registry:
        return self.processes  # type: ignore[return-value]
