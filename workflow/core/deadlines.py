"""Deadline planning (pure): a case's named dates and every stage's due date and status, from
the definition, the calendar and what is known of the case.

Recomputed from scratch on every change, so an actual date re-plans every stage counted from
it, done stages included (I-12), and a voided record simply drops out of the facts.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from datetime import date

from calendars import KazakhstanCalendar
from workflow.core import periods
from workflow.core.dates import apply_rule, working_days_inclusive
from workflow.core.definition import ALL, Definition
from workflow.core.errors import UsageError

OPEN, DONE_ON_TIME, DONE_LATE = "open", "done_on_time", "done_late"
NOT_APPLICABLE, NOT_DONE = "not_applicable", "not_done"
DONE = (DONE_ON_TIME, DONE_LATE)
CLOSED = (*DONE, NOT_APPLICABLE, NOT_DONE)


@dataclass(frozen=True)
class Due:
    """A date; projected while it rests on a date not yet recorded."""

    date: date
    projected: bool


@dataclass(frozen=True)
class Record:
    """One recorded event that stands (voided records are left out of the facts)."""

    event: str
    on: date
    period: str | None = None


@dataclass(frozen=True)
class Facts:
    """What is known of one case: dates given at opening, records in the order they were
    made, and stages closed as not done (stage -> date)."""

    given: dict[str, date]
    records: tuple[Record, ...] = ()
    not_done: dict[str, date] = field(default_factory=dict)

    def recorded(self) -> dict[str, date]:
        """The date of each recorded event (the first record of a repeatable one)."""
        out: dict[str, date] = {}
        for r in self.records:
            out.setdefault(r.event, r.on)
        return out


@dataclass(frozen=True)
class StagePlan:
    key: str
    due: date | None
    projected: bool
    status: str
    done_on: date | None = None


class Planner:
    """Evaluates one case's dates and stages; memoised, so each date is computed once."""

    def __init__(self, definition: Definition, cal: KazakhstanCalendar, facts: Facts):
        self.d, self.cal, self.facts = definition, cal, facts
        self._dates: dict[tuple[str, bool], Due | None] = {}
        self._dues: dict[str, Due | None] = {}
        self._actual: dict[str, date] = {}
        for r in facts.records:  # the newest record of an event that sets a date wins
            for name in definition.events[r.event].sets if r.event in definition.events else ():
                self._actual[name] = r.on

    def actual(self, name: str) -> date | None:
        """The date a standing record set for this named date, if any."""
        return self._actual.get(name)

    def date(self, name: str, planned: bool = False) -> Due | None:
        """A named date: recorded (actual), given, defaulted, a calendar date, or projected.
        `planned` ignores what was recorded (the value the case was opened with)."""
        key = (name, planned)
        if key not in self._dates:
            self._dates[key] = None  # a guard; definitions are checked for cycles
            self._dates[key] = self._date(name, planned)
        return self._dates[key]

    def _date(self, name: str, planned: bool) -> Due | None:
        spec = self.d.dates[name]
        if not planned and name in self._actual:
            return Due(self._actual[name], False)
        if name in self.facts.given:
            return Due(self.facts.given[name], False)
        if spec.default is not None:
            return self._apply(spec.default, planned)
        if spec.month_day and spec.year_of:
            base = self.date(spec.year_of, planned)
            if base is None:
                return None
            month, day = (int(x) for x in spec.month_day.split("-"))
            return Due(date(base.date.year, month, day), base.projected)
        if spec.projected_from and not planned:
            due = self.due(spec.projected_from)
            return Due(due.date, True) if due else None
        return None

    def _apply(self, rule, planned: bool = False, rolled: bool = True) -> Due | None:
        values = []
        for anchor in rule.anchors:
            name, _, part = anchor.partition(".")
            value = self.date(name, planned or part == "planned")
            if value is None:
                return None
            values.append(value)
        pick = max if rule.combine == "latest" else min
        base = pick(v.date for v in values)
        if not rolled:  # the date the rule gives before it is moved off a day off
            rule = replace(rule, roll="none")
        return Due(apply_rule(self.cal, base, rule), any(v.projected for v in values))

    def due(self, stage: str) -> Due | None:
        if stage not in self._dues:
            rule = self.d.stages[stage].due
            self._dues[stage] = self._apply(rule) if rule is not None else None
        return self._dues[stage]

    def unrolled(self, stage: str) -> _dt.date | None:
        """The date a stage's calendar-date rule gives before it is moved off a non-working
        day (I-1 following, P-3 preceding), when the move changed it; else None."""
        rule = self.d.stages[stage].due
        due = self.due(stage)
        if rule is None or due is None or rule.unit == "working_days" or rule.roll == "none":
            return None
        nominal = self._apply(rule, rolled=False)
        return nominal.date if nominal is not None and nominal.date != due.date else None

    def dates(self) -> dict[str, Due]:
        return {name: v for name in self.d.dates if (v := self.date(name)) is not None}

    def stages(self) -> dict[str, StagePlan]:
        """Every stage the case has now, with its due date and status."""
        present = {k for k, st in self.d.stages.items() if st.initially == "open"}
        done: dict[str, date] = {}
        closed: set[str] = set()
        for r in self.facts.records:
            event = self.d.events.get(r.event)
            if event is None:
                continue
            present.update(event.open)
            if event.completes:
                done.setdefault(event.completes, r.on)
            targets = present if (ALL in event.close or event.terminal) else set(event.close)
            closed.update(k for k in targets if k not in done)
        out = {}
        for key in self.d.stages:
            if key not in present and key not in done:
                continue
            due = self.due(key)
            if key in done:
                late = due is not None and done[key] > due.date
                status, done_on = (DONE_LATE if late else DONE_ON_TIME), done[key]
            elif key in self.facts.not_done:
                status, done_on = NOT_DONE, self.facts.not_done[key]
            elif key in closed:
                status, done_on = NOT_APPLICABLE, None
            else:
                status, done_on = OPEN, None
            out[key] = StagePlan(key, due.date if due else None,
                                 bool(due and due.projected and status == OPEN), status, done_on)
        return out


FINAL_REPORT_BASIS = "B-21"  # a subdivision's final report, due before its body's (merzim's own)


def is_final_report(definition: Definition) -> bool:
    """The final reporting form: a recurring register whose `[scorecard]` says `final_report`."""
    spec = definition.scorecard
    return bool(spec is not None and spec.final_report and definition.recurrence is not None)


def due_basis(definition: Definition, cal: KazakhstanCalendar, key: str,
              period: str | None = None, due: date | None = None) -> str:
    """Who set a stage's due date, the one mark every surface shows (the case page and
    `merzim status`, the overdue and due lists, the missing list, the digests): "" the
    sources; else the stage's own `due_basis` (I-17: "I-2", "merzim", "B-4"); but "B-21" for a
    final report's stage (`period` its case's) due before the rule's date for the period — a
    subdivision's, moved back so that its body can consolidate (services/final_report.py)."""
    spec = definition.stage_spec(key)
    own = spec.due_basis if spec is not None and spec.own_deadline else ""
    recurrence = definition.recurrence
    if due is None or not period or recurrence is None or not is_final_report(definition):
        return own
    try:
        rule = periods.due_date(cal, periods.parse(period), recurrence.due)
    except (UsageError, ValueError):
        return own
    return FINAL_REPORT_BASIS if due < rule else own


def own_keys(definition: Definition) -> frozenset[str]:
    """The stages whose due date merzim sets, the sources giving none (`due_basis`, I-17)."""
    return frozenset(k for k, st in definition.stages.items() if st.own_deadline)


def without_dues(plan: dict[str, StagePlan], keys: frozenset[str]) -> dict[str, StagePlan]:
    """The plan with no due date for the stages of `keys` (an organisation switched off the
    deadlines merzim sets, I-17): such a stage is never overdue, and done is done on time."""
    if not keys:
        return plan
    out = {}
    for key, sp in plan.items():
        if key in keys and sp.due is not None:
            status = DONE_ON_TIME if sp.status == DONE_LATE else sp.status
            sp = StagePlan(sp.key, None, False, status, sp.done_on)
        out[key] = sp
    return out


def plan_case(definition: Definition, cal: KazakhstanCalendar, facts: Facts
              ) -> dict[str, StagePlan]:
    """Every stage's due date and status (done stages re-evaluated against today's due date)."""
    return Planner(definition, cal, facts).stages()


def plan_stages(definition: Definition, cal: KazakhstanCalendar, facts: Facts) -> dict[str, Due]:
    """Every stage's due date, from actual dates where recorded and planned/projected ones."""
    planner = Planner(definition, cal, facts)
    return {key: due for key in definition.stages if (due := planner.due(key)) is not None}


def case_length(cal: KazakhstanCalendar, start: date, end: date) -> int:
    """Working days from `start` to `end`, both included (I-4)."""
    return working_days_inclusive(cal, start, end)
