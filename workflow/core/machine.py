"""The state machine of a case, built with `transitions` from its definition, and the checks
an event must pass before it is recorded (pure: dates and data in, a state or a refusal out).

Recording follows real life (I-10): an event is refused only by its definition's hard
prerequisites, by a state that does not accept it (a closed case), by a date in the future,
or by missing evidence. The state is derived by replaying the records that stand, with the
time-driven transitions entered on their dates (I-11), so a void simply replays without it.
Each rule of an event is here once (an unknown event, a prerequisite, a state that does not
accept it, its date and evidence); core/decide.py decides with them what a case records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from transitions import Machine

from workflow.core.dates import FIRST_DAY, LAST_DAY, check_day, in_bounds, not_in_future, read_day
from workflow.core.deadlines import Due, Record
from workflow.core.definition import BUILTIN_EVIDENCE, Definition, Event
from workflow.core.errors import RuleViolation
from workflow.core.kinds import APPROVER_ROLES
from workflow.core.limits import whole_number
from workflow.core.links import MAX_LINKS

URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
MAX_TEXT = 500
MAX_DRAFT = 20_000  # an evidence field of type "draft": an announcement's published text
TIMER = "timer:"  # trigger names of time-driven transitions: "timer:<date name>"


class CaseMachine:
    """Holds the current state; `fire(event)` moves it or raises RuleViolation.

    The definition's transitions are built into one `transitions.Machine` per definition (no
    model of its own, kept for the definition's life): a case's machine only holds its state
    and reads the shared event table, so replaying a case costs no machine construction."""

    def __init__(self, definition: Definition, state: str):
        self.definition = definition
        self.machine = _machine(definition)
        self.state = state

    def allowed(self) -> list[str]:
        """Events the current state accepts, in definition order."""
        triggers = set(self.machine.get_triggers(self.state))
        return [key for key in self.definition.events if key in triggers]

    def _take(self, trigger: str) -> bool:
        event = self.machine.events.get(trigger)
        taken = event.transitions.get(self.state) if event is not None else None
        if not taken:
            return False
        self.state = taken[0].dest or self.state  # no dest: the state stays
        return True

    def fire(self, event: str) -> str:
        """The state after `event`; refused for an event the definition does not have or the
        current state does not accept."""
        if not self._take(event):
            if event not in self.definition.events:
                raise unknown_event(self.definition, event)
            raise not_allowed(event, self.state, self.state, self.allowed())
        return self.state

    def tick(self, date_name: str) -> None:
        """A time-driven transition: taken when the current state is one it leaves."""
        self._take(TIMER + date_name)


_MACHINES: dict[int, tuple[Definition, Machine]] = {}


def _machine(definition: Definition) -> Machine:
    """The definition's state machine, built once (definitions are immutable)."""
    cached = _MACHINES.get(id(definition))
    if cached is not None and cached[0] is definition:
        return cached[1]
    transitions = [
        {"trigger": e.key, "source": src, "dest": e.dest}
        for e in definition.events.values()
        for src in definition.sources_of(e)
    ]
    transitions += [{"trigger": TIMER + t.on, "source": src, "dest": t.dest}
                    for t in definition.timers for src in t.source]
    machine = Machine(model=None, states=list(definition.states),
                      initial=definition.initial_state, transitions=transitions,
                      auto_transitions=False, ignore_invalid_triggers=False)
    if len(_MACHINES) > 256:  # definitions are few; a test building many starts afresh
        _MACHINES.clear()
    _MACHINES[id(definition)] = (definition, machine)
    return machine


def derive_state(definition: Definition, records: Iterable[Record], dates: dict[str, Due],
                 today: date) -> str:
    """The state after the records that stand, in recording order, with each time-driven
    transition taken on its date (before a record dated on or after it, or by today)."""
    timers = sorted(((dates[t.on].date, t.on) for t in definition.timers
                     if t.on in dates and not dates[t.on].projected), key=lambda x: x[0])
    machine = CaseMachine(definition, definition.initial_state)
    fired: set[str] = set()

    def run_timers(until: date) -> None:
        for day, name in timers:
            if day <= until and name not in fired:
                fired.add(name)
                machine.tick(name)

    for record in records:
        run_timers(record.on)
        if record.event in definition.events:
            machine._take(record.event)  # taken when the state allows it, else ignored
    run_timers(today)
    return machine.state


def reachable_by_timers(definition: Definition, state: str) -> frozenset[str]:
    """The states a case in `state` can be in after time-driven transitions alone, however
    many of them fire: `state` itself and each state a chain of timers leads to from it (what
    a stored state may have become by today when no record came since)."""
    found, todo = {state}, [state]
    while todo:
        at = todo.pop()
        for timer in definition.timers:
            if at in timer.source and timer.dest not in found:
                found.add(timer.dest)
                todo.append(timer.dest)
    return frozenset(found)


def unknown_event(definition: Definition, event: str) -> RuleViolation:
    """The refusal of an event the process does not have, listing the events it has."""
    return RuleViolation(f"unknown event {event!r}", key="rule.unknown_event", event=event,
                         known=", ".join(definition.events))


def check_prerequisites(definition: Definition, spec: Event, recorded: Mapping[str, date],
                        on: date | None = None) -> None:
    """Each event the definition says must come first is recorded (`rule.prerequisite`) and,
    given the event's date `on`, not after it (`rule.date_before`)."""
    event = spec.key
    for before in definition.prerequisites(spec):
        if before not in recorded:
            raise RuleViolation(f"{event} needs {before} first", key="rule.prerequisite",
                                event=event, other=before)
        if on is not None and on < recorded[before]:
            raise RuleViolation(
                f"{event} on {on} is before {before} on {recorded[before]}",
                key="rule.date_before", event=event, date=on.isoformat(), other=before,
                other_date=recorded[before].isoformat())


def not_allowed(event: str, state: str, state_name: str, allowed: Iterable[str]
                ) -> RuleViolation:
    """The refusal of an event the case's state does not accept, naming what it accepts."""
    return RuleViolation(f"{event} is not allowed in state {state}", key="rule.not_allowed",
                         event=event, state=state_name, allowed=", ".join(allowed) or "-")


def check_event(definition: Definition, event: str, on: date,
                evidence: Mapping[str, str | None],
                recorded: dict[str, date], today: date,
                date_floor: dict[str, date] | None = None) -> None:
    """Refuse an event whose date, prerequisites or evidence break the rules (its state is
    checked by core/decide.py's `decide_record`). `date_floor` maps a date the event sets to
    the date it may not precede (an end before the start)."""
    spec = definition.events.get(event)
    if spec is None:
        raise unknown_event(definition, event)
    check_day(on, "date")
    not_in_future(on, today)
    check_prerequisites(definition, spec, recorded, on)
    for name, floor in (date_floor or {}).items():
        if on < floor:
            raise RuleViolation(f"{name} {on} is before {floor}", key="rule.date_floor",
                                event=event, date=on.isoformat(), floor=floor.isoformat())
    problems = evidence_problems(definition, spec, evidence)
    if problems:
        raise problems[0]


def evidence_problems(definition: Definition, spec: Event,
                      evidence: Mapping[str, str | None]) -> list[RuleViolation]:
    """Every problem of an event's evidence at once (a form reports them all): required fields
    missing, no alternative group complete, then each field's own problems. Each refusal's
    `field` parameter names the field it is about (None: a group)."""
    event = spec.key
    problems = [RuleViolation(f"{event} needs {field}", key="rule.missing_evidence", event=event,
                              field=field)
                for field in definition.requirements(spec)
                if not (evidence.get(field) or "").strip()]
    groups = definition.evidence_groups(spec)
    if groups and not any(all((evidence.get(f) or "").strip() for f in g) for g in groups):
        problems.append(RuleViolation(f"{event} needs one of {groups}",
                                      key="rule.missing_evidence_any", event=event,
                                      groups=" | ".join(" + ".join(g) for g in groups)))
    return problems + field_problems(definition, evidence)


def check_evidence(definition: Definition, evidence: Mapping[str, str | None]) -> None:
    """Known fields only, each at most MAX_TEXT characters, links that are web links."""
    problems = field_problems(definition, evidence)
    if problems:
        raise problems[0]


def field_problems(definition: Definition,
                   evidence: Mapping[str, str | None]) -> list[RuleViolation]:
    """The problems of each evidence field: unknown, longer than MAX_TEXT, not a web link."""
    problems = []
    for field, value in evidence.items():
        if field not in definition.evidence:
            problems.append(RuleViolation(f"unknown evidence {field!r}",
                                          key="rule.unknown_evidence", field=field,
                                          known=", ".join(definition.evidence)))
        elif value and definition.evidence[field].type == "links":
            problems += _link_problems(definition, field, value)
        elif value and len(value) > (limit := MAX_DRAFT if definition.evidence[field].type
                                     == "draft" else MAX_TEXT):
            problems.append(RuleViolation(f"{field} is longer than {limit} characters",
                                          key="rule.too_long", field=field, limit=limit))
        elif value and definition.evidence[field].type == "date" and not _is_date(value):
            problems.append(RuleViolation(f"{value!r} is not a date", key="rule.bad_evidence_date",
                                          field=field, value=value, first=FIRST_DAY.isoformat(),
                                          last=LAST_DAY.isoformat()))
        elif (value and definition.evidence[field].type == "role"
              and value.strip() not in APPROVER_ROLES):
            problems.append(RuleViolation(f"{value!r} is not an approver's role",
                                          key="rule.bad_approver_role", field=field, value=value,
                                          known=", ".join(APPROVER_ROLES)))
        elif (value and (spec := definition.evidence[field]).type == "integer"
              and whole_number(value, spec.minimum, spec.maximum) is None):
            problems.append(RuleViolation(f"{value!r} is not a whole number from {spec.minimum} "
                                          f"to {spec.maximum}",
                                          key="rule.bad_evidence_integer", field=field,
                                          value=value, min=spec.minimum, max=spec.maximum))
        elif (value and definition.evidence[field].type == "choice"
              and value.strip() not in definition.evidence[field].choices):
            problems.append(RuleViolation(f"{value!r} is not one of the allowed values",
                                          key="rule.bad_evidence_choice", field=field, value=value,
                                          known=", ".join(definition.evidence[field].choices)))
        elif value and definition.evidence[field].type == "url" and not URL.match(value.strip()):
            problems.append(RuleViolation(f"{value!r} is not a web link", key="rule.bad_url",
                                          url=value, field=field))
    return problems


def _link_problems(definition: Definition, field: str, value: str) -> list[RuleViolation]:
    """A links field (core/links.py): "CHANNEL URL" a line, a known channel, a web link of at
    most MAX_TEXT characters, at most MAX_LINKS links."""
    spec = definition.evidence[field]
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    if len(lines) > MAX_LINKS:
        return [RuleViolation(f"{field}: more than {MAX_LINKS} links", key="rule.too_many_links",
                              field=field, limit=MAX_LINKS)]
    problems = []
    for line in lines:
        channel, _, url = line.partition(" ")
        url = url.strip()
        if not url or channel not in spec.choices:
            problems.append(RuleViolation(f"{line!r} is not CHANNEL URL", key="rule.bad_link",
                                          field=field, value=line[:80],
                                          known=", ".join(spec.choices)))
        elif len(url) > MAX_TEXT:
            problems.append(RuleViolation(f"{field} is longer than {MAX_TEXT} characters",
                                          key="rule.too_long", field=field, limit=MAX_TEXT))
        elif not URL.match(url):
            problems.append(RuleViolation(f"{url!r} is not a web link", key="rule.bad_url",
                                          url=url, field=field))
    return problems


def _is_date(value: str) -> bool:
    """YYYY-MM-DD in ASCII digits, between FIRST_DAY and LAST_DAY (core/dates.py)."""
    day = read_day(value.strip())
    return day is not None and in_bounds(day)


def builtin_evidence(given: Mapping[str, Any]) -> dict[str, Any]:
    """The built-in evidence (BUILTIN_EVIDENCE: number, signed_by, url, …) among the values an
    adapter received by name — a command's options, an API body's fields, a form's inputs —
    in that order (one list of them: the definition's); a definition's own fields come
    separately (`--evidence`, the body's `evidence`, the form's `ev_*`)."""
    return {key: given[key] for key in BUILTIN_EVIDENCE if key in given}


def clean_evidence(evidence: Mapping[str, str | None] | None) -> dict[str, str]:
    """Evidence as recorded: blank values dropped, the rest stripped (one copy)."""
    return {k: v.strip() for k, v in (evidence or {}).items() if v is not None and v.strip()}
