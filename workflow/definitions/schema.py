"""The process-definition format: one model per table (`DefinitionTables` for the engine's,
and the one each installed feature's declaration carries, `Feature.table_model`). The models
read a file into the engine's `Definition` (`parse_definition`: what refers to another entry
is checked there) and are the JSON Schema (draft 2020-12) `merzim process schema` publishes
for an operator's editor (taplo, VS Code: docs/process-definitions.md): the tables and keys,
their types, the allowed words, the limits, the names in kk, ru and en.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    create_model,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from workflow.core.case_links import OUTCOME_DAY, LinkSpec
from workflow.core.dates import ROLLS
from workflow.core.definition import (
    ALL,
    BUILTIN_EVIDENCE,
    BUILTIN_TYPES,
    PERIOD_DATE_NAMES,
    PERIOD_DATES,
    Definition,
    DueRule,
    Event,
    EvidenceSpec,
    FieldSpec,
    NamedDate,
    Parties,
    PeriodDue,
    Recurrence,
    Stage,
    Timer,
)
from workflow.core.errors import refused, unknown
from workflow.core.kinds import ORG_KINDS, widened
from workflow.core.limits import INTEGER_CEILING, INTEGER_FLOOR, INTEGER_MAX, INTEGER_MIN
from workflow.core.register_spec import Keys as DefinitionKeys
from workflow.core.tables import (
    Bool,
    Key,
    Keys,
    Names,
    Positive,
    SomeKeys,
    Table,
    Whole,
    invalid,
    listing,
    read,
)
from workflow.definitions.features import by_table


class LinkRecord(Table):
    """An event of the entry recorded as it opens, on the outcome's day."""

    event: Key
    evidence: dict[Key, Key] = {}  # its evidence key <- the outcome record's key


class LinkTable(Table):
    """`[[link]]`: an outcome that is a register's fact (above)."""

    on: Key
    opens: Key
    values: dict[Key, Key] = {}
    carry: dict[Key, SomeKeys] = {}
    files: Bool = True
    source: str = ""
    ask: tuple[Key, ...] = ()
    record: LinkRecord | None = None


def read_links(tables: tuple[LinkTable, ...], keys: DefinitionKeys, source: str
               ) -> tuple[LinkSpec, ...]:
    """The `[[link]]` tables of a definition, checked against its own keys (the register's
    keys are checked by `check_target` once it is loaded)."""
    out: list[LinkSpec] = []
    known = keys.dates | keys.values | {OUTCOME_DAY}
    for i, t in enumerate(tables, 1):
        where = f"{source}: link {i}"
        if t.on not in keys.events:
            raise refused(f"{where} on", f"must name an event of this process (not {t.on!r})",
                          "unknown_event", value=t.on)
        both = sorted(set(t.values) & set(t.carry))
        if both:
            raise refused(f"{where} values", f"{', '.join(both)} both set and carried",
                          "set_and_carried", keys=", ".join(both))
        for target, names in t.carry.items():
            for mine in names:
                if mine not in known:
                    raise refused(f"{where} carry.{target}", f"names {mine!r}, not a date, "
                                  f"field or evidence of this process (nor {OUTCOME_DAY!r})",
                                  "carry_unknown", value=mine)
        evidence = dict(t.record.evidence) if t.record else {}
        for target, mine in evidence.items():
            if mine not in keys.values:
                raise refused(f"{where} record.evidence.{target}", f"names {mine!r}, not an "
                              f"evidence key of this process", "unknown_evidence",
                              value=mine)
        if any(o.on == t.on and o.opens == t.opens for o in out):
            raise refused(f"{where} on", f"{t.on} already opens {t.opens}",
                          "opened_twice", process=t.opens, value=t.on)
        out.append(LinkSpec(t.on, t.opens, dict(t.values), dict(t.carry), t.files, t.source,
                            t.ask, t.record.event if t.record else None, evidence))
    return tuple(out)


def parse_case_links(raw: list[Any], keys: DefinitionKeys, source: str) -> tuple[LinkSpec, ...]:
    """`[[link]]` tables as a file writes them, read by their model and checked."""
    return read_links(tuple(read(LinkTable, item, source, f"link {i}")
                            for i, item in enumerate(raw, 1)), keys, source)


# -- the format's tables (each one model: it reads the table and is the published schema) --


OrgKind = Literal[ORG_KINDS]  # type: ignore[valid-type]
Roll = Literal[ROLLS]  # type: ignore[valid-type]
# A list of kinds read with the kinds that count as one of them (`core.kinds.widened`).
Kinds = Annotated[tuple[OrgKind, ...], listing(OrgKind), AfterValidator(widened)]
SomeKinds = Annotated[tuple[OrgKind, ...], Field(min_length=1), listing(OrgKind, 1),
                      AfterValidator(widened)]
# The parties an import's mapping may name only when the definition lists them
# (`[parties] mappable`; workflow/imports/cells.py: PROTECTED).
Party = Literal["subject", "person", "responsible"]
Anchor = Annotated[str, StringConstraints(pattern=r"^[^.]+(\.planned)?$")]
EvidenceAny = Annotated[tuple[Annotated[tuple[Key, ...], Field(min_length=1)], ...],
                        Field(min_length=1)]
Bound = Annotated[StrictInt, Field(ge=INTEGER_FLOOR, le=INTEGER_CEILING)]
INCLUSIVE = "inclusive applies to working days with an offset >= 1"


def _rule(condition: dict[str, Any], then: dict[str, Any]) -> ConfigDict:
    """A table's rule the schema states as if/then (the model's validator checks it)."""
    return ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True,
                      json_schema_extra={"if": condition, "then": then})


class _Typed(Table):
    """What a field and an evidence field share: choices with their names, integer bounds."""

    type: str = "text"
    choices: Keys = ()
    choice_names: dict[str, Names] = {}
    min: Bound = INTEGER_MIN
    max: Bound = INTEGER_MAX
    names: Names

    @model_validator(mode="after")
    def _typed(self) -> _Typed:
        kind = self.type
        if kind in ("choice", "links") and not self.choices:
            raise invalid("choices_needed", "a {kind} field needs choices", kind=kind)
        if kind not in ("choice", "links") and self.choices:
            raise invalid("choices_not_here", "choices are for type = \"choice\" or \"links\"")
        unknown = [k for k in self.choice_names if k not in self.choices]
        if unknown:
            raise invalid("choice_names_unknown", "choice_names names {keys}, not a choice",
                          keys=", ".join(unknown))
        if kind != "integer" and {"min", "max"} & self.model_fields_set:
            raise invalid("bounds_not_here", "min and max are for type = \"integer\"")
        if self.min > self.max:
            raise invalid("min_above_max", "min {min} is above max {max}", min=self.min,
                          max=self.max)
        return self


class FieldTable(_Typed):
    """`[[field]]`: a typed field of a case, given when it is opened."""

    model_config = _rule({"properties": {"type": {"const": "choice"}}, "required": ["type"]},
                         {"properties": {"choices": {"type": "array", "minItems": 1}},
                          "required": ["choices"]})
    key: Key
    type: Literal["text", "integer", "date", "choice"] = "text"
    required: Bool = False
    personal: Bool = False  # it may name a person: shown only to those who see the person
    # required in an entry whose choice field (named before it) holds one of these values
    required_when: Annotated[dict[Key, Annotated[tuple[Key, ...], Field(min_length=1)]],
                             Field(min_length=1)] | None = None


class EvidenceTable(_Typed):
    """`[evidence.KEY]`: an evidence field beyond the built-in ones (BUILTIN_EVIDENCE)."""

    model_config = _rule({"properties": {"type": {"enum": ["choice", "links"]}},
                          "required": ["type"]},
                         {"properties": {"choices": {"type": "array", "minItems": 1}},
                          "required": ["choices"]})
    type: Literal["text", "url", "date", "period", "organisation", "draft", "integer", "choice",
                  "links"] = "text"
    hints: Names | None = None
    """What to write in the field, shown under it on the record forms ("each member as \"name,
    position\", members separated by \";\""): its label stays its name."""


class DueTable(Table):
    """A due rule: a named date (or the latest or earliest of several) moved by an offset."""

    model_config = _rule({"properties": {"inclusive": {"const": True}}, "required": ["inclusive"]},
                         {"properties": {"unit": {"const": "working_days"},
                                         "offset": {"anyOf": [{"type": "integer", "minimum": 1},
                                                              {"type": "string"}]}},
                          "required": ["offset"]})
    anchor: Annotated[tuple[Anchor, ...], Field(min_length=1), listing(Anchor, 1)]
    """The named date counted from (NAME: the recorded value, else the planned one; NAME.planned:
    the value given at opening), or several (see combine)."""
    offset: Whole = 0
    """How many units from the anchor: a whole number or an interpretation's name."""
    unit: Literal["working_days", "calendar_days", "weeks", "months", "years"] = "working_days"
    direction: Literal["before", "after"] = "after"
    roll: Roll | None = None
    """A due date on a day off moves to the following or preceding working day, or stays; date_rule:
    the date rule (P-24). Default: the interpretation `roll`, else following."""
    combine: Key = "latest"
    """With several anchors: latest or earliest, or an interpretation holding one."""
    inclusive: Bool = False
    """Working days, offset 1 or more: the anchor day counts as the first (I-4)."""

    @model_validator(mode="after")
    def _inclusive(self) -> DueTable:
        if self.inclusive and (self.unit != "working_days" or self.offset in (0, "")):
            raise invalid("inclusive", INCLUSIVE)
        return self


class DateTable(Table):
    """`[dates.NAME]`: a date due rules count from."""

    model_config = _rule({"required": ["month_day"]}, {"required": ["year_of"]})
    given: Literal["none", "optional", "required"] = "none"
    """Entered when the case is opened."""
    past: Bool = False
    """Given at opening, it may not lie in the future."""
    default: DueTable | None = None
    """When not given: computed from other dates."""
    projected_from: Key | None = None
    """Until an event sets it: this stage's due date, marked projected."""
    month_day: Key | None = None
    """A calendar date MM-DD (or an interpretation holding one) in the year of year_of."""
    year_of: Key | None = None
    not_before: Key | None = None
    names: Names | None = None

    @model_validator(mode="after")
    def _year_of(self) -> DateTable:
        if self.month_day and not self.year_of:
            raise invalid("month_day_year_of", "month_day needs year_of naming another date")
        return self


class Reminders(Table):
    before: tuple[Annotated[StrictInt, Field(ge=0)], ...] | None = None


class StageTable(Table):
    """`[[stage]]` (and dynamic, programme): a deadline with its due rule."""

    key: Key
    names: Names
    due: DueTable | None = None
    evidence: Keys | None = None
    requires: Annotated[Keys | None, Field(json_schema_extra={"deprecated": True})] = None
    evidence_any: EvidenceAny | None = None
    responsible: str = "officer"
    """Who is reminded: officer or manager."""
    source: str = ""
    due_basis: Annotated[str, StringConstraints(pattern=r"^([A-Z]-[0-9]+|merzim)?$")] = ""
    """Who sets the due date when the sources give none (I-17): an interpretation (I-2) or
    merzim."""
    reminders: Reminders | None = None
    initially: Literal["open", "dormant"] = "open"
    """dormant: the stage exists only once an event's open names it."""
    prerequisites: Keys = ()

    @model_validator(mode="after")
    def _basis(self) -> StageTable:
        if self.due_basis and self.due is None:
            raise invalid("due_basis_no_due",
                          "due_basis names who sets a due date; the stage has none")
        return self


class OpensCase(Table):
    process: Key
    date: Key


class EventTable(Table):
    """`[[event]]`: what an officer records, and what it changes."""

    key: Key
    names: Names
    source: Keys = ()
    dest: Key | None = None
    completes: Key | None = None
    """The stage it fulfils."""
    prerequisites: Keys = ()
    evidence: Keys | None = None
    requires: Annotated[Keys | None, Field(json_schema_extra={"deprecated": True})] = None
    optional: Keys = ()
    """Evidence keys it may carry (shown in its form), not required."""
    evidence_any: EvidenceAny | None = None
    sets: Keys = ()
    """Named dates its date sets."""
    close: Keys = ()
    """Stages it closes as not applicable ("*": every stage still open)."""
    open: Keys = ()
    """Dormant stages it opens."""
    terminal: Bool = False
    """Closes the case: every open stage becomes not applicable."""
    repeatable: Bool = False
    not_before: Key | None = None
    subject_kinds: Kinds = ()
    opens_case: OpensCase | None = None
    """Recording it opens a case of another process for the same subject, on the event's date."""


class TimerTable(Table):
    """`[[timer]]`: the case enters `dest` on the named date `on`, without a record."""

    on: Key
    source: Keys = ()
    dest: Key


class ProcessTable(Table):
    key: Key
    version: Annotated[StrictInt, Field(ge=1)] = 1
    """Raise it when the rules change: a case keeps the version it was opened with."""
    names: Names
    initial_state: Key
    final_states: Keys = ()
    applies_to: SomeKinds | None = None
    """The kinds of organisation a case may be opened for (default: every kind)."""
    fact_day: Key | None = None
    """The named date on which the procedure's fact occurred (a gift received or notified, a
    conflict notified): the register entry a `[[link]]` opens counts in its year (B-27), so
    the link carries it into the register's counting date."""


class PartiesTable(Table):
    object: Literal["none", "optional", "required"] = "none"
    person: Literal["none", "optional", "required"] = "none"
    person_visibility: Literal["organisation", "responsible"] = "organisation"
    """Who sees the person: the case's organisation, or only its responsible officer."""
    mappable: Annotated[tuple[Party, ...], listing(Party)] = ()
    """The parties a column of the officer's own, mapped when she imports the register's file,
    may name: the organisation (subject), the person, the responsible officer. None unless
    listed: the register's own columns name them."""


class PeriodDueTable(Table):
    rule: Literal["period_end", "month_after", "fixed"]
    """period_end: the last working day of the period; month_after: a day of a month after its end;
    fixed: a calendar date of the period's year."""
    roll: Roll | None = None  # default: preceding for period_end, else following
    months: Positive = 1
    """month_after: which month after the period's end (1: the next)."""
    day: Annotated[StrictInt, Field(ge=1, le=31)] | Key = 1
    month: Annotated[StrictInt, Field(ge=1, le=12)] | Key = 12
    year_offset: Whole = 0
    date: Key | None = None  # fixed: "MM-DD" or an interpretation holding one


class RecurrenceTable(Table):
    period: Literal["month", "quarter", "half_year", "year"]
    applies_to: SomeKinds
    enabled: Bool = True
    """Switched on (config.toml [obligations.KEY] overrides it)."""
    due: PeriodDueTable


class ShownTable(Table):
    names: Names


class DefinitionTables(Table):
    """A process definition: the engine's tables (each feature's own is its declaration's)."""

    model_config = ConfigDict(extra="ignore", frozen=True, title="merzim process definition",
                              json_schema_extra={"allOf": [{
                                  "if": {"required": ["recurrence"]},
                                  "then": {"properties": {"dates": {"propertyNames": {
                                      "not": {"enum": list(PERIOD_DATES)}}}}}}]})
    process: ProcessTable
    parties: PartiesTable = PartiesTable()
    field: tuple[FieldTable, ...] = ()
    evidence: Annotated[dict[Annotated[str, Field(json_schema_extra={"not": {"enum": list(
        BUILTIN_EVIDENCE)}})], EvidenceTable], Field()] = {}
    dates: dict[Key, DateTable] = {}
    states: Annotated[dict[Key, Names], Field(min_length=1)]
    timer: tuple[TimerTable, ...] = ()
    event: tuple[EventTable, ...] = ()
    link: tuple[LinkTable, ...] = ()
    stage: tuple[StageTable, ...] = ()
    dynamic_stage: tuple[StageTable, ...] = ()
    programme_stage: tuple[StageTable, ...] = ()
    recurrence: RecurrenceTable | None = None
    interpretations: dict[str, StrictStr | StrictInt | float | StrictBool] = {}
    interpretation_sources: dict[str, str] = {}
    shown: dict[Key, ShownTable] = {}  # interpretations every case shows, with their labels


# -- from the tables to the Definition (what refers to another entry is checked here) -----


def _number(value: Any, where: str, defaults: Mapping[str, Any], minimum: int = 0) -> int:
    if isinstance(value, str):  # a named interpretation, e.g. "announcement_working_days_before"
        if value not in defaults:
            raise unknown(where, "interpretation", value)
        value = defaults[value]
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise refused(where, f"must be a whole number >= {minimum}",
                      "greater_than_equal", expected=f" {minimum}")
    return value


def _month_day(value: Any, where: str, defaults: Mapping[str, Any]) -> str:
    text = defaults.get(value, value) if isinstance(value, str) else value
    try:
        month, day = (int(x) for x in str(text).split("-"))
        date(2000, month, day)
    except ValueError as exc:
        raise refused(where, f"{text!r} is not a month and day (MM-DD)",
                      "month_day", value=text) from exc
    return f"{month:02d}-{day:02d}"


def _due(due: DueTable, where: str, dates: Mapping[str, Any], defaults: Mapping[str, Any]
         ) -> DueRule:
    where = f"{where}.due"
    for name in due.anchor:
        if name.partition(".")[0] not in dates:
            raise unknown(f"{where}.anchor", "date", name)
    roll = due.roll or defaults.get("roll", "following")
    if roll not in ROLLS:
        raise refused(f"{where}.roll", f"must be one of {', '.join(ROLLS)}",
                      "literal_error", expected=f" {', '.join(ROLLS)}")
    combine = defaults.get(due.combine, due.combine) if due.combine not in (
        "latest", "earliest") else due.combine
    if combine not in ("latest", "earliest"):
        raise refused(f"{where}.combine", "must be latest or earliest",
                      "literal_error", expected=" latest, earliest")
    offset = _number(due.offset, f"{where}.offset", defaults)
    if due.inclusive and offset < 1:
        raise refused(f"{where}.inclusive", INCLUSIVE, "inclusive")
    return DueRule(due.anchor, offset, due.unit, due.direction, combine, roll, due.inclusive)


def _evidence_keys(items: tuple[str, ...] | None, where: str,
                   evidence: Mapping[str, EvidenceSpec]) -> tuple[str, ...]:
    for item in items or ():
        if item not in evidence:
            raise unknown(where, "evidence", item)
    return items or ()


def _evidence_any(groups: tuple[tuple[str, ...], ...] | None, where: str,
                  evidence: Mapping[str, EvidenceSpec]) -> tuple[tuple[str, ...], ...]:
    return tuple(_evidence_keys(g, f"{where}.evidence_any", evidence) for g in groups or ())


def _stages(tables: tuple[StageTable, ...], section: str, source: str, dates, defaults,
            evidence) -> dict[str, Stage]:
    out: dict[str, Stage] = {}
    for i, t in enumerate(tables):
        where = f"{source}: {section}[{i}] ({t.key})"
        if t.key in out:
            raise refused(f"{source}: {section}[{i}] key", f"duplicate stage key {t.key!r}",
                          "duplicate_key", value=t.key)
        out[t.key] = Stage(
            t.key, t.names.as_dict(), _due(t.due, where, dates, defaults) if t.due else None,
            _evidence_keys(t.evidence if t.evidence is not None else t.requires, where, evidence),
            t.responsible, t.source, t.reminders.before if t.reminders else None, t.initially,
            t.prerequisites, _evidence_any(t.evidence_any, where, evidence), t.due_basis)
    return out


def check_kinds(kinds: tuple[str, ...], where: str) -> tuple[str, ...]:
    """Organisation kinds a recurring obligation applies to: known ones, at least one."""
    if not kinds:
        raise refused(f"{where}.applies_to", "names no organisation kind", "too_short")
    unknown = [k for k in kinds if k not in ORG_KINDS]
    if unknown:
        raise refused(f"{where}.applies_to", f"unknown organisation kind {', '.join(unknown)} "
                      f"(known: {', '.join(ORG_KINDS)})", "literal_error",
                      expected=f" {', '.join(ORG_KINDS)} (≠ {', '.join(unknown)})")
    return widened(kinds)


def _recurrence(t: RecurrenceTable | None, source: str, defaults: Mapping[str, Any]
                ) -> Recurrence | None:
    if t is None:
        return None
    where, due = f"{source}: [recurrence].due", t.due
    roll = due.roll or ("preceding" if due.rule == "period_end" else
                        defaults.get("roll", "following"))
    if due.rule == "fixed":
        if due.date is not None:  # "MM-DD" or an interpretation naming one (P-5)
            month, day = (int(x) for x in _month_day(due.date, f"{where}.date",
                                                     defaults).split("-"))
        else:
            month = _number(due.month, f"{where}.month", defaults, 1)
            day = _number(due.day, f"{where}.day", defaults, 1)
            _month_day(f"{month}-{day}", where, {})
        period_due = PeriodDue(due.rule, month=month, day=day, roll=roll, year_offset=_number(
            due.year_offset, f"{where}.year_offset", defaults))
    elif due.rule == "month_after":
        period_due = PeriodDue(due.rule, months=_number(due.months, f"{where}.months",
                                                        defaults, 1),
                               day=_number(due.day, f"{where}.day", defaults, 1), roll=roll)
        if period_due.day > 31:
            raise refused(f"{where}.day", "must be 1-31", "less_than_equal", expected=" 31")
    else:
        period_due = PeriodDue(due.rule, roll=roll)
    return Recurrence(t.period, t.applies_to, period_due, t.enabled)


def _typed(t: _Typed) -> dict[str, Any]:
    return {"choices": t.choices, "minimum": t.min, "maximum": t.max,
            "choice_names": {k: v.as_dict() for k, v in t.choice_names.items()}}


def _fields(t: DefinitionTables, source: str) -> dict[str, FieldSpec]:
    fields: dict[str, FieldSpec] = {}
    for i, f in enumerate(t.field):
        where = f"{source}: field[{i}] ({f.key})"
        if f.key in fields:
            raise refused(f"{source}: field[{i}] key", "duplicate key",
                          "duplicate_key", value=f.key)
        for key, values in (f.required_when or {}).items():
            spec = fields.get(key)
            if spec is None or spec.type != "choice":
                raise refused(f"{where} required_when", f"{key!r} is not a choice field named "
                              f"before it", "required_when_field", value=key)
            if any(v not in spec.choices for v in values):
                raise refused(f"{where} required_when.{key}", f"a list of its choices "
                              f"({', '.join(spec.choices)})", "literal_error",
                              expected=f" {', '.join(spec.choices)}")
        fields[f.key] = FieldSpec(f.key, f.type, f.names.as_dict(), f.required,
                                  personal=f.personal, **_typed(f),
                                  required_when=tuple((f.required_when or {}).items()))
    return fields


def _evidence(t: DefinitionTables, source: str) -> dict[str, EvidenceSpec]:
    evidence = {k: EvidenceSpec(k, BUILTIN_TYPES.get(k, "text"), None) for k in BUILTIN_EVIDENCE}
    for key, e in t.evidence.items():
        if key in BUILTIN_EVIDENCE:
            raise refused(f"{source}: evidence.{key}", f"{key!r} is built in; choose another "
                          f"key", "built_in")
        evidence[key] = EvidenceSpec(key, e.type, e.names.as_dict(), **_typed(e),
                                     hints=e.hints.as_dict() if e.hints else None)
    return evidence


def _dates(t: DefinitionTables, recurring: bool, source: str, defaults: Mapping[str, Any]
           ) -> dict[str, NamedDate]:
    """Named dates: declared first (rules may refer to any of them), then their rules read."""
    tables = dict(t.dates)
    if recurring:
        for name in PERIOD_DATES:
            if name in tables:
                raise refused(f"{source}: dates.{name}", "set by [recurrence]; do not declare "
                              "it", "period_date")
            tables[name] = DateTable(given="required", names=Names(**PERIOD_DATE_NAMES[name]))
    dates: dict[str, NamedDate] = {}
    for name, d in tables.items():
        where = f"{source}: dates.{name}"
        month_day = _month_day(d.month_day, f"{where}.month_day", defaults) if d.month_day \
            else None
        for other, what in ((d.year_of, "year_of"), (d.not_before, "not_before")):
            if other is not None and other not in tables:
                raise unknown(f"{where}.{what}", "date", other)
        dates[name] = NamedDate(name, d.names.as_dict() if d.names else None, d.given,
                                _due(d.default, where, tables, defaults) if d.default
                                else None, d.projected_from, month_day, d.year_of,
                                d.not_before, d.past)
    return dates


def _event(e: EventTable, where: str, d: Definition) -> Event:
    """One event, what it names checked against the definition's states, stages and dates."""
    for key, state in (*(("source", x) for x in e.source), ("dest", e.dest)):
        if state is not None and state not in d.states:
            raise unknown(f"{where} {key}", "state", state)
    if e.completes is not None and e.completes not in d.stages:
        raise unknown(f"{where} completes", "stage", e.completes)
    for name in e.sets:
        if name not in d.dates:
            raise unknown(f"{where} sets", "date", name)
    for stage_key in (*e.close, *e.open):
        if stage_key != ALL and stage_key not in d.stages:
            raise unknown(where, "stage", stage_key)
    for stage_key in e.open:
        if stage_key == ALL or d.stages[stage_key].initially != "dormant":
            raise refused(f"{where} open", f"{stage_key!r} is not dormant",
                          "not_dormant", value=stage_key)
    if e.not_before is not None and e.not_before not in d.dates:
        raise unknown(f"{where} not_before", "date", e.not_before)
    return Event(
        e.key, e.source, e.dest, e.completes, e.prerequisites,
        _evidence_keys(e.evidence if e.evidence is not None else e.requires, where, d.evidence),
        e.names.as_dict(), e.repeatable, e.sets, e.close, e.open, e.terminal, e.not_before,
        e.subject_kinds, _evidence_any(e.evidence_any, where, d.evidence),
        (e.opens_case.process, e.opens_case.date) if e.opens_case else None,
        _evidence_keys(e.optional, where, d.evidence))


def _check(d: Definition, t: DefinitionTables, source: str) -> None:
    """What an entry names across the tables: prerequisites, projections, timers, shown."""
    for ev in d.events.values():
        for other in ev.prerequisites:
            if other not in d.events or other == ev.key:
                raise refused(f"{source}: event ({ev.key}) prerequisites",
                              f"{other!r} is not another event", "not_another_event", value=other)
    for st in d.stages.values():
        for other in st.prerequisites:
            if other not in d.events:
                raise refused(f"{source}: stage ({st.key}) prerequisites", f"{other!r} is not "
                              f"an event", "unknown_event", value=other)
    for nd in d.dates.values():
        if nd.projected_from and nd.projected_from not in d.stages:
            raise unknown(f"{source}: dates.{nd.key}.projected_from", "stage", nd.projected_from)
        if not (nd.given != "none" or nd.default or nd.projected_from or nd.month_day
                or any(nd.key in e.sets for e in d.events.values())):
            raise refused(f"{source}: dates.{nd.key}", "never has a value (give it at opening, "
                          "set it by an event, default it or project it)",
                          "no_value")
    for i, timer in enumerate(d.timers):
        if timer.on not in d.dates:
            raise unknown(f"{source}: timer[{i}] on", "date", timer.on)
        missing = [s for s in (*timer.source, timer.dest) if s not in d.states]
        if missing:
            raise unknown(f"{source}: timer[{i}]", "state", missing[0])
    for key in t.shown:  # settings a case shows (P-5)
        if key not in d.interpretations:
            raise unknown(f"{source}: [shown.{key}]", "interpretation", key)
    _check_cycles(d.stages, d.dates, source)


def parse_definition(doc: dict[str, Any], source: str, overrides: dict[str, Any] | None = None,
                     ) -> Definition:
    """A parsed TOML document read by its tables' models, then what refers to another entry
    checked, built into the Definition (`source` names the file)."""
    t = read(DefinitionTables, doc, source)
    p = t.process
    defaults = {**t.interpretations, **(overrides or {})}
    states = {k: v.as_dict() for k, v in t.states.items()}
    if p.initial_state not in states:
        raise unknown(f"{source}: [process] initial_state", "state", p.initial_state)
    for state in p.final_states:
        if state not in states:
            raise unknown(f"{source}: [process] final_states", "state", state)
    evidence = _evidence(t, source)
    recurrence = _recurrence(t.recurrence, source, defaults)
    dates = _dates(t, recurrence is not None, source, defaults)
    if p.fact_day is not None and p.fact_day not in dates:
        raise unknown(f"{source}: [process] fact_day", "date", p.fact_day)
    d = Definition(
        p.key, p.version, p.names.as_dict(), p.initial_state, states, {},
        _stages(t.stage, "stage", source, dates, defaults, evidence),
        _stages(t.programme_stage, "programme_stage", source, dates, defaults, evidence),
        dates, defaults, _stages(t.dynamic_stage, "dynamic_stage", source, dates, defaults,
                                 evidence),
        p.final_states, Parties(t.parties.object, t.parties.person,
                                t.parties.person_visibility, t.parties.mappable),
        _fields(t, source), evidence, tuple(Timer(x.on, x.source, x.dest) for x in t.timer),
        recurrence, dict(t.interpretation_sources),
        {k: v for k, v in doc.items() if k not in DefinitionTables.model_fields},
        shown={k: v.names.as_dict() for k, v in t.shown.items()}, applies_to=p.applies_to or (),
        fact_day=p.fact_day)
    for i, e in enumerate(t.event):
        where = f"{source}: event[{i}] ({e.key})"
        if e.key in d.events:
            raise refused(f"{where} key", "duplicate event key", "duplicate_key", value=e.key)
        d.events[e.key] = _event(e, where, d)
    _check(d, t, source)
    return replace(d, links=read_links(t.link, DefinitionKeys.of(d), source))


def _check_cycles(stages: dict[str, Stage], dates: dict[str, NamedDate], source: str) -> None:
    """Refuse due rules that depend on themselves through projected or defaulted dates."""

    def deps(node: str) -> list[str]:
        kind, _, key = node.partition(":")
        if kind == "stage":
            rule = stages[key].due
            return [f"date:{a.split('.')[0]}" for a in rule.anchors] if rule else []
        d = dates[key.split(".")[0]]
        out = [f"stage:{d.projected_from}"] if d.projected_from else []
        out += [f"date:{a.split('.')[0]}" for a in (d.default.anchors if d.default else ())]
        return out + ([f"date:{d.year_of}"] if d.year_of else [])

    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = " -> ".join(n.split(":")[1] for n in [*path[path.index(node):], node])
            kind, _, key = node.partition(":")
            raise refused(f"{source}: stage ({key}) due" if kind == "stage" else
                          f"{source}: dates.{key}", f"due rules form a cycle ({cycle})",
                          "cycle", cycle=cycle)
        if node in done:
            return
        for dep in deps(node):
            visit(dep, [*path, node])
        done.add(node)

    for key in stages:
        visit(f"stage:{key}", [])
    for key in dates:
        visit(f"date:{key}", [])


DIALECT = "https://json-schema.org/draft/2020-12/schema"
TITLE = "merzim process definition"
DESCRIPTION = ("A process definition (docs/process-definitions.md): parties, named dates, "
               "states, events, stages with their due rules, timers and, for a recurring "
               "obligation, its period; and the tables of the installed features.")


class _Schema(GenerateJsonSchema):
    """TOML has no null: a key that may be absent is not also null."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> dict[str, Any]:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> dict[str, Any]:
        out = super().default_schema(schema)
        if out.get("default", 0) is None:
            del out["default"]
        return out


def feature_models() -> dict[str, Any]:
    """Each installed feature's table model, by its table."""
    return {table: f.table_model() for table, f in by_table().items() if f.table_model}


def definition_schema() -> dict[str, Any]:
    """The whole format: the engine's tables with every installed feature's own."""
    models = feature_models()
    document = create_model("Definition", __base__=DefinitionTables,  # type: ignore[call-overload]
                            **{table: (model | None, None) for table, model in models.items()})
    schema = document.model_json_schema(schema_generator=_Schema)
    schema.pop("title", None)
    rules = [rule for model in models.values() for rule in getattr(model, "DOCUMENT_RULES", ())]
    schema["allOf"] = [*schema.get("allOf", []), *rules]
    return {"$schema": DIALECT, "title": TITLE, "description": DESCRIPTION, **schema}
