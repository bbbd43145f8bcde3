"""A definition's `[scorecard]` and `[form]` tables as typed specs, parsed once when the file
loads (pure: no database, no clock).

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
from dataclasses import dataclass, field, replace
from typing import Any

from workflow.core.errors import ConfigError

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


def _str(table: Mapping[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}.{key}: must be a key")
    return value


def _one_of(value: str | None, known: frozenset[str], what: str, where: str) -> str | None:
    if value is not None and value not in known:
        raise ConfigError(f"{where}: {value!r} is not a {what} of this definition")
    return value


def _map(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise ConfigError(f"{where}: must be a table of keys")
    return dict(raw)


def _list(raw: Any, known: frozenset[str], what: str, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ConfigError(f"{where}: must be a list of keys")
    for value in raw:
        _one_of(value, known, what, where)
    return tuple(raw)


def parse_scorecard(raw: Any, keys: Keys, source: str) -> ScorecardSpec | None:
    """The `[scorecard]` table checked against the definition's keys (None: no table)."""
    if raw is None:
        return None
    where = f"{source}: [scorecard]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    states = raw.get("states") or {}
    dates = _map(raw.get("dates"), f"{where}.dates")
    spec = ScorecardSpec(
        stages=_map(raw.get("stages"), f"{where}.stages"),
        events=_map(raw.get("events"), f"{where}.events"),
        fields=_map(raw.get("fields"), f"{where}.fields"),
        excluded=_list(states.get("excluded"), keys.states, "state", f"{where}.states.excluded"),
        monitoring_closed=_one_of(_str(states, "monitoring_closed", f"{where}.states"),
                                  keys.states, "state", f"{where}.states.monitoring_closed"),
        indicator=_str(raw, "indicator", where),
        counted=_one_of(_str(raw, "counted", where), keys.stages, "stage", f"{where}.counted"),
        counted_states=_list(states.get("counted"), keys.states, "state",
                             f"{where}.states.counted"),
        records=_one_of(_str(raw, "records", where), keys.events, "event", f"{where}.records"),
        year_of=_one_of(_str(raw, "year_of", where), keys.dates, "named date",
                        f"{where}.year_of"),
        valid_from=_one_of(dates.get("valid_from"), keys.dates, "named date",
                           f"{where}.dates.valid_from"),
        valid_until=_one_of(dates.get("valid_until"), keys.dates, "named date",
                            f"{where}.dates.valid_until"),
        ends=_one_of(_str(raw, "ends", where), keys.events, "event", f"{where}.ends"))
    standing = raw.get("standing", False)
    if not isinstance(standing, bool):
        raise ConfigError(f"{where}.standing: must be true or false")
    final_report = raw.get("final_report", False)
    if not isinstance(final_report, bool):
        raise ConfigError(f"{where}.final_report: must be true or false")
    if final_report and (not keys.recurring or spec.counted is None):
        raise ConfigError(f"{where}.final_report: a recurring register with a counted stage")
    declared = [rule for rule, on in ((YEAR_DATE, spec.year_of is not None),
                                      (YEAR_STANDING, standing),
                                      (YEAR_VALIDITY, spec.valid_from is not None))
                if on]
    if len(declared) > 1:
        raise ConfigError(f"{where}: one year rule only (year_of, standing or dates), "
                          f"not {', '.join(declared)}")
    if keys.recurring and declared and declared != [YEAR_DATE]:
        raise ConfigError(f"{where}: a recurring register counts in its period")
    if standing and spec.counted is None:
        raise ConfigError(f"{where}: a standing register names its counted stage")
    if spec.ends is not None and not standing:
        raise ConfigError(f"{where}.ends: only a standing register ends")
    year = (declared[0] if declared else YEAR_PERIOD if keys.recurring else YEAR_OPENED)
    return replace(spec, year=year, final_report=final_report)


def parse_form(raw: Any, keys: Keys, source: str) -> FormSpec | None:
    """The `[form]` table checked against the definition's keys (None: no table)."""
    if raw is None:
        return None
    where = f"{source}: [form]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    appendix = raw.get("appendix")
    if not isinstance(appendix, int) or isinstance(appendix, bool) or appendix < 1:
        raise ConfigError(f"{where}.appendix: must be an appendix's number (1, 2, …)")
    row = raw.get("row")
    if row is not None and (not isinstance(row, int) or isinstance(row, bool) or row < 1):
        raise ConfigError(f"{where}.row: must be a whole number >= 1")
    columns = raw.get("columns")
    known = keys.values | keys.dates | keys.events | keys.stages
    return FormSpec(
        appendix=appendix, row=row,
        records=_one_of(_str(raw, "records", where), keys.events, "event", f"{where}.records"),
        group_by=_str(raw, "group_by", where),
        columns=None if columns is None else _list(columns, known, "key", f"{where}.columns"))
