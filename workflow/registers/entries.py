"""A case of a register, with its records and counted stage, turned into an **entry**: what the
evaluation, the report forms and every list read (pure: no database, no clock).

An entry says which organisation it belongs to, the years it counts in by its register's one
year rule (B-17, core/register_spec.py), whether it is counted (done), may still be (pending,
until its due date) or is not (missing), and why; its values by role; the standing records of
the register's `records` event; and the day it was entered, so that an entry typed in after its
year's end is counted in its year and marked "entered late".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workflow.core.deadlines import DONE_LATE, DONE_ON_TIME, OPEN
from workflow.core.definition import Definition
from workflow.core.periods import parse as parse_period
from workflow.core.register_spec import (
    YEAR_DATE,
    YEAR_PERIOD,
    YEAR_STANDING,
    YEAR_VALIDITY,
    ScorecardSpec,
)

DONE, PENDING, MISSING = "done", "pending", "missing"
# a stage done on time or late; open (core/deadlines.py, the statuses as stored)
DONE_STATUSES = (DONE_ON_TIME, DONE_LATE)
OPEN_STATUS = OPEN
# why an entry is not counted
WHY_NOT_DONE, WHY_STATE, WHY_PENDING = "stage_not_done", "state", "pending"
# its year's day is not recorded (a notice not yet sent, its letter voided): pending in every
# year from the day it is dated until that day is recorded, a fact of none
WHY_UNDATED = "undated"


@dataclass(frozen=True, slots=True)
class RecordRow:
    """A standing (not voided) event record of a case, as read."""

    id: int
    event: str
    on: date
    evidence: Mapping[str, Any]
    recorded_on: date | None = None


@dataclass(frozen=True, slots=True)
class CaseRow:
    """What the reader read of a register's case: its columns, its counted stage's status and
    due date (None: no such stage), its standing records in the order recorded."""

    id: int
    process: str
    process_version: int
    subject_id: int
    org: str
    state: str
    fields: Mapping[str, Any]
    given: Mapping[str, date]
    period: str | None
    case_date: date
    created_on: date
    person_name: str | None = None
    person_position: str | None = None
    stage_status: str | None = None
    stage_due: date | None = None
    stage_done_on: date | None = None
    records: tuple[RecordRow, ...] = ()
    responsible_id: int | None = None
    not_done: tuple[RecordRow, ...] = ()  # stages closed as not done (`event`: the stage)


@dataclass(frozen=True, slots=True)
class Record:
    """A standing record of the register's `records` event: its day, its values by role, and
    the row it was read from."""

    day: date
    values: Mapping[str, str] = field(default_factory=dict)
    row: RecordRow | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a register (docs/projects-2-4.md): the register's key and indicator, the
    organisation, the years it counts in (`first_year` .. `last_year`, None: open-ended), its
    period, whether its counted stage is done (`late`: done after its due date), pending (until
    `due`) or missing and why, its values by role, its counted records, its validity, the day it
    was entered, and the case it was read from."""

    register: str
    indicator: str
    org: str
    first_year: int | None = None
    last_year: int | None = None
    period: str | None = None
    counted: str = DONE
    why: str | None = None
    due: date | None = None
    late: bool = False
    values: Mapping[str, str] = field(default_factory=dict)
    records: tuple[Record, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    entered: date | None = None
    case: CaseRow | None = None
    dated: bool = True  # False: the day its year rule reads is not recorded (WHY_UNDATED)

    def counts_in(self, year: int) -> bool:
        """Whether the entry concerns `year` (its register's year rule): counted, pending or
        missing there. An undated entry concerns every year from the day it is dated, pending."""
        if self.first_year is None:
            return False
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)

    def fact_of(self, year: int) -> bool:
        """Whether the entry is a fact of `year`, as every report lists it (the forms, the
        national input, the register lists): it concerns the year and its year is decided
        (a notice is a fact of the year its letter was sent; not yet sent, of none)."""
        return self.dated and self.counts_in(year)

    def counts(self, year: int) -> bool:
        """Whether the entry is counted in `year` (its fact of the year, its counted stage or
        state reached): what the score counts and the register lists show as counted."""
        return self.counted == DONE and self.fact_of(year)

    def entered_late(self, year: int) -> bool:
        """Typed in after the year's 31 December (counted in its year all the same, B-17)."""
        return self.entered is not None and self.entered > date(year, 12, 31)

    @property
    def year(self) -> int | None:
        """The one year of an entry of a single year (None: standing or unknown)."""
        return self.first_year if self.first_year == self.last_year else None


def named_date(definition: Definition, case: CaseRow, key: str | None) -> tuple[date | None,
                                                                                RecordRow | None]:
    """A named date of the case: given when it was opened, else the date of the last standing
    record of an event that sets it (with that record)."""
    if not key:
        return None, None
    given = case.given.get(key)
    if given is not None:
        return given, None
    setters = {e.key for e in definition.events.values() if key in e.sets}
    found = [r for r in case.records if r.event in setters]
    return (found[-1].on, found[-1]) if found else (None, None)


def _status(spec: ScorecardSpec, definition: Definition, case: CaseRow
            ) -> tuple[str, str | None, date | None]:
    """Counted, pending or missing (with why), and until when it may still be done."""
    if spec.counted_states:
        if case.state in spec.counted_states:
            return DONE, None, None
        if case.state in definition.final_states:
            return MISSING, WHY_STATE, None
        return PENDING, WHY_PENDING, None
    if spec.counted is None:
        return DONE, None, None
    if case.stage_status is None:
        return MISSING, WHY_NOT_DONE, None
    if case.stage_status in DONE_STATUSES:
        return DONE, None, None
    if case.stage_status == OPEN_STATUS:
        return PENDING, WHY_PENDING, case.stage_due
    return MISSING, WHY_NOT_DONE, None


def _text(value: Any) -> str:
    return str(value)


def _values(spec: ScorecardSpec, case: CaseRow) -> dict[str, str]:
    """The values by role: the case's fields, else the newest standing record's evidence (not
    of the `records` event, whose records carry their own)."""
    out: dict[str, str] = {}
    for role, key in spec.fields.items():
        value = case.fields.get(key)
        if value is None:
            value = next((r.evidence.get(key) for r in reversed(case.records)
                          if r.evidence.get(key) is not None and r.event != spec.records), None)
        if value is not None:
            out[role] = _text(value)
    return out


def _counted_day(definition: Definition, spec: ScorecardSpec, case: CaseRow
                 ) -> tuple[date | None, RecordRow | None]:
    """The day the counted stage was done: the last standing record of the event completing it
    (else the stage's own completion day)."""
    event = next((e.key for e in definition.events.values() if e.completes == spec.counted),
                 None)
    found = [r for r in case.records if r.event == event]
    if found:
        return found[-1].on, found[-1]
    return case.stage_done_on, None


def _years(definition: Definition, spec: ScorecardSpec, case: CaseRow
           ) -> tuple[int | None, int | None, date | None]:
    """The years the entry counts in and the day it was entered (the day the record deciding
    its year was typed in, else the day the case was). A named date not recorded (a notice
    not yet sent, its letter voided): every year from the day the case is dated, open-ended
    (the entry is undated: pending there, a fact of none)."""
    entered = case.created_on
    if spec.year == YEAR_PERIOD and case.period:
        year = parse_period(case.period).start.year
        return year, year, entered
    if spec.year == YEAR_DATE:
        day, record = named_date(definition, case, spec.year_of)
        if record is not None and record.recorded_on is not None:
            entered = max(entered, record.recorded_on)
        if day is None:  # B-17: the year of the day it decides, never of another
            return case.case_date.year, None, entered
        return day.year, day.year, entered
    if spec.year == YEAR_VALIDITY:
        start, _ = named_date(definition, case, spec.valid_from)
        until, _ = named_date(definition, case, spec.valid_until)
        return ((start or case.case_date).year, until.year if until else None, entered)
    if spec.year == YEAR_STANDING:
        since, record = _counted_day(definition, spec, case)
        if since is None and case.records:  # a register of records: from its first one
            since = case.records[0].on
        if record is not None and record.recorded_on is not None:
            entered = max(entered, record.recorded_on)
        ended = [r.on for r in case.records if spec.ends and r.event == spec.ends]
        last = ended[-1].year if ended else None
        if since is None:  # not yet approved: it concerns every year from its opening
            return case.case_date.year, last, entered
        return since.year, last, entered
    year = case.case_date.year  # YEAR_OPENED, or a recurring case without a period
    return year, year, entered


def entry_of(definition: Definition, case: CaseRow) -> Entry | None:
    """The entry a register's case gives (None: not a register, or a case in an excluded
    state: cancelled, opened by mistake). `definition` is the register's current definition:
    its spec reads every version's cases alike."""
    spec = definition.scorecard
    if spec is None or spec.indicator is None or case.state in spec.excluded:
        return None
    counted, why, due = _status(spec, definition, case)
    first, last, entered = _years(definition, spec, case)
    dated = spec.year != YEAR_DATE or named_date(definition, case, spec.year_of)[0] is not None
    if not dated and counted != MISSING:  # counted nowhere until its day is recorded
        counted, why = PENDING, WHY_UNDATED
    if counted == DONE and spec.counted and spec.year != YEAR_STANDING:
        record = _counted_day(definition, spec, case)[1]  # the record that made it count
        if record is not None and record.recorded_on is not None and entered is not None:
            entered = max(entered, record.recorded_on)
    valid_from = valid_until = None
    if spec.year == YEAR_VALIDITY:
        valid_from = named_date(definition, case, spec.valid_from)[0]
        valid_until = named_date(definition, case, spec.valid_until)[0]
    roles = spec.fields
    records = tuple(
        Record(r.on, {role: _text(r.evidence[key]) for role, key in roles.items()
                      if r.evidence.get(key) is not None}, r)
        for r in case.records if r.event == spec.records) if spec.records else ()
    return Entry(register=definition.key, indicator=spec.indicator, org=case.org,
                 first_year=first, last_year=last, period=case.period, counted=counted,
                 why=why, due=due, late=case.stage_status == DONE_LATE,
                 values=_values(spec, case), records=records, valid_from=valid_from,
                 valid_until=valid_until, entered=entered, case=case, dated=dated)
