"""A definition's `[scorecard]` and `[form]` tables as typed specs, read once when the file
loads by their features' models (workflow/scorecard/table.py, workflow/forms/table.py; pure).

`ScorecardSpec` holds what project No. 1's evaluation reads (its steps by role, the cartogram's
event, its states) and, for a **register** of projects No. 2-4 (a table naming an
`indicator`), what its entries are: the stage that must be done for an entry to count, the
states it counts in, the records it counts, the values it reads by role and **the one rule of
the year an entry counts in** (B-17):

* `date` — the year of a named date (`year_of`): the day the notice was sent, the court act
  entered into force, the hire, the detection;
* `period` — a recurring register's period (its year);
* `standing` — a standing document: every year from the day its counted stage was done until
  the record of its `ends` event (repealed, replaced);
* `validity` — a certificate: every year it is valid on at least one day (`[scorecard.dates]`);
* `opened` — a non-recurring register that declares none of these: the year of the day the case
  is dated (kept for old versions; every shipped register declares its rule).

`FormSpec` is the `[form]` table: the appendix and row its entries fill and the keys a line
writes, in the seed's order. The consumers (workflow/registers/, the features) read these specs,
never the raw tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workflow.core.errors import unknown

if TYPE_CHECKING:
    from workflow.core.definition import Definition

YEAR_DATE, YEAR_PERIOD, YEAR_STANDING, YEAR_VALIDITY, YEAR_OPENED = (
    "date", "period", "standing", "validity", "opened")
YEAR_RULES = (YEAR_DATE, YEAR_PERIOD, YEAR_STANDING, YEAR_VALIDITY, YEAR_OPENED)


@dataclass(frozen=True, slots=True)
class Keys:
    """The keys of a definition a table may name, by what they are."""

    states: frozenset[str]
    final_states: frozenset[str]
    events: frozenset[str]
    stages: frozenset[str]
    dates: frozenset[str]
    values: frozenset[str]  # fields, evidence (built-in and declared)
    recurring: bool

    @classmethod
    def of(cls, d: Definition) -> Keys:
        return cls(frozenset(d.states), frozenset(d.final_states), frozenset(d.events),
                   frozenset(d.stages), frozenset(d.dates), frozenset(d.fields) | frozenset(
                       d.evidence), d.recurrence is not None)


@dataclass(frozen=True, slots=True)
class ScorecardSpec:
    """The `[scorecard]` table, typed (docs/scorecard.md, registers/README.md)."""

    stages: Mapping[str, str] = field(default_factory=dict)   # project 1: role -> stage
    events: Mapping[str, str] = field(default_factory=dict)   # project 1: role -> event
    fields: Mapping[str, str] = field(default_factory=dict)   # role -> field or evidence key
    excluded: tuple[str, ...] = ()                            # states never counted
    monitoring_closed: str | None = None
    indicator: str | None = None                              # a register of projects 2-4
    counted: str | None = None                                # the stage that must be done
    counted_states: tuple[str, ...] = ()                      # the states an entry counts in
    records: str | None = None                                # count this event's records
    year: str = YEAR_OPENED                                   # the year rule (above)
    year_of: str | None = None                                # YEAR_DATE: the named date
    valid_from: str | None = None                             # YEAR_VALIDITY: named dates
    valid_until: str | None = None
    ends: str | None = None                                   # YEAR_STANDING: the ending event
    final_report: bool = False  # B-18: the subject's final reporting form to the body above

    @property
    def is_register(self) -> bool:
        return self.indicator is not None


@dataclass(frozen=True, slots=True)
class FormSpec:
    """The `[form]` table: the appendix its entries fill (1-6), the row (appendices 2, 5), the
    event whose records are its lines (else each case is one), the choice that groups the lines
    (appendix 3) and the keys a line writes in order (None: every one the entry has)."""

    appendix: int
    row: int | None = None
    records: str | None = None
    group_by: str | None = None
    columns: tuple[str, ...] | None = None


def one_of(value: str | None, known: frozenset[str], what: str, where: str) -> str | None:
    """A key a table names (a `what`: state, stage, event, date or key), refused unless the
    definition has it."""
    if value is not None and value not in known:
        raise unknown(where, what, value)
    return value
