"""The state machine of one analysis, built with `transitions` from its process definition."""

from __future__ import annotations

import re
from datetime import date

from transitions import Machine, MachineError

from workflow.core.definition import Definition
from workflow.core.errors import RuleViolation

URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
MAX_TEXT = 500


class AnalysisMachine:
    """Holds the current state; `fire(event)` moves it or raises RuleViolation."""

    def __init__(self, definition: Definition, state: str):
        self.definition = definition
        transitions = [
            {"trigger": e.key, "source": src, "dest": e.dest}
            for e in definition.events.values()
            for src in e.source
        ]
        self.machine = Machine(model=self, states=list(definition.states), initial=state,
                               transitions=transitions, auto_transitions=False)

    def allowed(self) -> list[str]:
        """Events the current state accepts, in definition order."""
        triggers = set(self.machine.get_triggers(self.state))
        return [key for key in self.definition.events if key in triggers]

    def fire(self, event: str) -> str:
        if event not in self.definition.events:
            raise RuleViolation(f"unknown event {event!r}", key="rule.unknown_event", event=event,
                                known=", ".join(self.definition.events))
        try:
            getattr(self, event)()
        except MachineError:
            raise RuleViolation(
                f"{event} is not allowed in state {self.state}",
                key="rule.not_allowed", event=event, state=self.state,
                allowed=", ".join(self.allowed()) or "-",
            ) from None
        return self.state


def check_event(definition: Definition, event: str, on: date, evidence: dict[str, str | None],
                recorded: dict[str, date], today: date, start: date | None = None) -> None:
    """Refuse an event whose date or evidence breaks the rules (the state is checked by fire)."""
    spec = definition.events.get(event)
    if spec is None:
        raise RuleViolation(f"unknown event {event!r}", key="rule.unknown_event", event=event,
                            known=", ".join(definition.events))
    if on > today:
        raise RuleViolation(f"{on} is in the future", key="rule.future_date", date=on.isoformat(),
                            today=today.isoformat())
    for before in spec.not_before:
        if before in recorded and on < recorded[before]:
            raise RuleViolation(
                f"{event} on {on} is before {before} on {recorded[before]}",
                key="rule.date_before", event=event, date=on.isoformat(), other=before,
                other_date=recorded[before].isoformat())
    if event == "analysis_end" and start is not None and on < start:
        raise RuleViolation(f"end {on} is before the start {start}", key="rule.end_before_start",
                            date=on.isoformat(), start=start.isoformat())
    for field in definition.requirements(spec):
        value = (evidence.get(field) or "").strip()
        if not value:
            raise RuleViolation(f"{event} needs {field}", key="rule.missing_evidence", event=event,
                                field=field)
    for field, value in evidence.items():
        if value and len(value) > MAX_TEXT:
            raise RuleViolation(f"{field} is longer than {MAX_TEXT} characters",
                                key="rule.too_long", field=field, limit=MAX_TEXT)
    url = (evidence.get("url") or "").strip()
    if url and not URL.match(url):
        raise RuleViolation(f"{url!r} is not a web link", key="rule.bad_url", url=url)
