"""Process definitions: a parsed TOML document turned into validated, immutable data.

A definition declares the case's parties and typed fields, its named dates, states, events
(with their effects), stages (with their due rules), time-driven transitions and, for a
recurring obligation, its recurrence. Nothing here reads a file: the registry
(`workflow.definitions`) does, and hands the parsed document to `parse_definition`.
A broken definition is refused with the entry and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workflow.core.case_links import LinkSpec, parse_case_links
from workflow.core.dates import ROLLS
from workflow.core.errors import ConfigError, KeyList
from workflow.core.kinds import NON_STATE_KINDS, ORG_KINDS  # noqa: F401  (named here too)
from workflow.core.limits import INTEGER_CEILING, INTEGER_FLOOR, INTEGER_MAX, INTEGER_MIN
from workflow.core.register_spec import FormSpec, Keys, ScorecardSpec, parse_form, parse_scorecard

LANGUAGES = ("kk", "ru", "en")
UNITS = ("working_days", "calendar_days", "weeks", "months", "years")
DIRECTIONS = ("before", "after")
PARTY_MODES = ("none", "optional", "required")
FIELD_TYPES = ("text", "integer", "date", "choice")
PERIODS = ("month", "quarter", "half_year", "year")
PERIOD_DUE_RULES = ("period_end", "month_after", "fixed")
STAGE_INITIALLY = ("open", "dormant")
PERSON_VISIBILITY = ("organisation", "responsible")
# The tables the engine parses; every other table of a file is a feature's (raw, below).
GENERIC_TABLES = ("process", "parties", "field", "evidence", "dates", "states", "timer",
                  "event", "stage", "dynamic_stage", "programme_stage", "recurrence",
                  "interpretations", "interpretation_sources", "link")
# Evidence every definition may use without declaring it; a definition may declare more.
# `approver_role`: who approved the document, one of APPROVER_ROLES (the cross-platform's check).
BUILTIN_EVIDENCE = ("number", "signed_by", "url", "note", "period", "approver_role")
# "organisation": the code of an organisation in the case subject's subtree (a cartogram section);
# "draft": the published text of an announcement, kept with its record ([drafts])
# "links": several links, each with its channel, one of `choices` (core/links.py)
EVIDENCE_TYPES = ("text", "url", "date", "period", "organisation", "draft", "integer", "choice",
                  "links")
ALL = "*"  # in an event's `close`: every stage still open
# The dates a recurring definition's cases get from their period.
PERIOD_DATES = ("period_start", "period_end", "period_due")
PERIOD_DATE_NAMES = {
    "period_start": {"kk": "Кезеңнің басы", "ru": "Начало периода", "en": "Start of the period"},
    "period_end": {"kk": "Кезеңнің соңы", "ru": "Конец периода", "en": "End of the period"},
    "period_due": {"kk": "Кезеңнің мерзімі", "ru": "Срок периода", "en": "Due date of the period"},
}


# How a per-period stage's period is named in a language ('2026Q4' -> "4-й квартал 2026 г."):
# the catalogue's words, set by workflow.i18n when it is loaded (the core reads no catalogue).
PERIOD_NAMES: list[Callable[[str, str], str]] = []


@dataclass(frozen=True)
class DueRule:
    """Due = a named date (or the latest/earliest of several) moved by offset units.

    An anchor is a named date ("end": the actual value when recorded, else the planned one)
    or "NAME.planned" (the value given at opening, whatever was recorded since)."""

    anchors: tuple[str, ...]
    offset: int
    unit: str
    direction: str
    combine: str = "latest"
    roll: str = "following"
    inclusive: bool = False  # working days: the anchor day counts as the first (I-4)


@dataclass(frozen=True)
class NamedDate:
    """A date a due rule counts from: given at opening, set by an event, defaulted or projected."""

    key: str
    names: dict[str, str] | None
    given: str = "none"  # none | optional | required: given when the case is opened
    default: DueRule | None = None  # when not given: computed from other dates
    projected_from: str | None = None  # until set: this stage's due date, marked projected
    month_day: str | None = None  # "MM-DD" in the year of `year_of`: a calendar date
    year_of: str | None = None
    not_before: str | None = None  # a recorded value may not precede this date (end >= start)
    past: bool = False  # given at opening, it may not lie in the future (a notice received)


@dataclass(frozen=True)
class Stage:
    key: str
    names: dict[str, str]
    due: DueRule | None
    requires: tuple[str, ...]  # evidence its completing event must carry
    responsible: str
    source: str = ""
    remind_before: tuple[int, ...] | None = None  # overrides [reminders].before for this stage
    initially: str = "open"  # "dormant": exists only once an event's `open` names it
    prerequisites: tuple[str, ...] = ()  # events recorded before it can be completed
    evidence_any: tuple[tuple[str, ...], ...] = ()  # one of these groups, complete (I-13)
    # who sets its due date (I-17): "" the sources (its `source` line); "I-2", "B-1"…: the
    # interpretation by which merzim sets a deadline the sources do not give; "merzim": one
    # merzim sets with no numbered interpretation
    due_basis: str = ""

    @property
    def own_deadline(self) -> bool:
        """Whether its due date is merzim's own (the sources give none: I-17)."""
        return bool(self.due_basis) and self.due is not None


@dataclass(frozen=True)
class Event:
    key: str
    source: tuple[str, ...]  # states that accept it (every state that is not final when empty)
    dest: str | None
    completes: str | None
    prerequisites: tuple[str, ...]  # events that must be recorded first (hard prerequisites)
    requires: tuple[str, ...]  # evidence it must carry
    names: dict[str, str]
    repeatable: bool = False  # recorded once per period (monitoring), not once per case
    sets: tuple[str, ...] = ()  # named dates its date sets (an actual start, end, notice...)
    close: tuple[str, ...] = ()  # stages it closes as not applicable ("*": every open one)
    open: tuple[str, ...] = ()  # dormant stages it opens
    terminal: bool = False  # closes the case: its open stages become not applicable
    not_before: str | None = None  # its date may not precede this named date (I-6)
    subject_kinds: tuple[str, ...] = ()  # only cases of subjects of these kinds (I-7); all: ()
    evidence_any: tuple[tuple[str, ...], ...] = ()  # one of these groups, complete (I-13)
    # recording it opens a case of another process for the same subject, the event's date
    # being that process's named date: (process key, date name) (procedures.md, P002-25)
    opens_case: tuple[str, str] | None = None
    optional: tuple[str, ...] = ()  # evidence it may carry (shown in its form), not required


@dataclass(frozen=True)
class Timer:
    """A time-driven transition: the case enters `dest` on the named date, without a record."""

    on: str
    source: tuple[str, ...]
    dest: str


@dataclass(frozen=True)
class FieldSpec:
    key: str
    type: str
    names: dict[str, str]
    required: bool = False
    choices: tuple[str, ...] = ()
    choice_names: dict[str, dict[str, str]] = field(default_factory=dict)  # choice -> kk/ru/en
    # it may name a person (a giver, who checked): shown only to those who see the person
    personal: bool = False
    # type "integer": the bounds a value must lie in (`min`/`max`; core/limits.py's default)
    minimum: int = INTEGER_MIN
    maximum: int = INTEGER_MAX
    # `required_when = { kind = ["incompatible_activity"] }`: required in an entry whose choice
    # field `kind` holds one of these values (2.5.1's additional activity), else optional
    required_when: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def required_for(self, values: Mapping[str, Any]) -> bool:
        """Whether an entry with these field values must have this field."""
        if self.required:
            return True
        return bool(self.required_when) and all(
            str(values.get(k)) in allowed for k, allowed in self.required_when)


@dataclass(frozen=True)
class EvidenceSpec:
    key: str
    type: str
    names: dict[str, str] | None  # None: a built-in field named by the message catalogue
    choices: tuple[str, ...] = ()  # type "choice": the allowed values
    choice_names: dict[str, dict[str, str]] = field(default_factory=dict)  # choice -> kk/ru/en
    # type "integer": the bounds a value must lie in (`min`/`max`; core/limits.py's default)
    minimum: int = INTEGER_MIN
    maximum: int = INTEGER_MAX


@dataclass(frozen=True)
class Parties:
    object: str = "none"  # none | optional | required: an object organisation
    person: str = "none"  # none | optional | required: a person (name and position)
    person_visibility: str = "organisation"  # who sees the person: see procedures.md


@dataclass(frozen=True)
class PeriodDue:
    """When a period's obligation is due, relative to the period."""

    rule: str  # period_end | month_after | fixed
    months: int = 1  # month_after: the month after the period's end counts as 1
    day: int = 1  # month_after, fixed
    month: int = 12  # fixed
    year_offset: int = 0  # fixed: years after the period's (last) year
    roll: str = "following"


@dataclass(frozen=True)
class Recurrence:
    period: str
    applies_to: tuple[str, ...]
    due: PeriodDue
    enabled: bool = True


@dataclass(frozen=True)
class Definition:
    key: str
    version: int
    names: dict[str, str]
    initial_state: str
    states: dict[str, dict[str, str]]
    events: dict[str, Event]
    stages: dict[str, Stage]
    programme_stages: dict[str, Stage]
    dates: dict[str, NamedDate]
    interpretations: dict[str, Any] = field(default_factory=dict)
    dynamic_stages: dict[str, Stage] = field(default_factory=dict)
    final_states: tuple[str, ...] = ()
    parties: Parties = field(default_factory=Parties)
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    evidence: dict[str, EvidenceSpec] = field(default_factory=dict)
    timers: tuple[Timer, ...] = ()
    recurrence: Recurrence | None = None
    sources: dict[str, str] = field(default_factory=dict)  # interpretation key -> source line
    # the tables a feature reads ([scorecard], [monitoring], [drafts], [public], [form] …) and
    # the [planning] and [shown] tables, as written: the features parse their own (parsed below)
    raw: dict[str, Any] = field(default_factory=dict)
    # each feature's table as its parser returned it, by table (workflow.definitions.parse_document)
    features: dict[str, Any] = field(default_factory=dict)
    # the [scorecard] and [form] tables, typed (core/register_spec.py): what the evaluation and
    # the registers' read side (workflow/registers/) read, never the raw tables
    scorecard: ScorecardSpec | None = None
    form: FormSpec | None = None
    # the [[link]] tables, typed (core/case_links.py): an outcome that is a register's fact
    links: tuple[LinkSpec, ...] = ()
    # `[process] applies_to`: the kinds of organisation a case may be opened for (every kind
    # when empty); a recurring obligation's own is its [recurrence]'s
    applies_to: tuple[str, ...] = ()

    def opens_for(self, kind: str | None) -> bool:
        """Whether a case may be opened for a subject of `kind` (`[process] applies_to`; a
        recurring obligation's period case: its [recurrence]'s, obligations.open_period)."""
        return not self.applies_to or kind is None or kind in self.applies_to

    def stage_spec(self, key: str) -> Stage | None:
        """The stage of a key; 'report:2025Q4' is the dynamic stage 'report' (per period)."""
        base = key.split(":", 1)[0]
        return self.stages.get(key) or self.programme_stages.get(key) or self.dynamic_stages.get(base)

    def stage_name(self, key: str, language: str) -> str:
        stage = self.stage_spec(key)
        if stage is None:
            return key
        name = stage.names.get(language, stage.names["en"])
        if ":" not in key:
            return name
        period = key.split(":", 1)[1]
        return f"{name} ({PERIOD_NAMES[0](period, language) if PERIOD_NAMES else period})"

    def event_for_stage(self, stage_key: str) -> Event | None:
        return next((e for e in self.events.values() if e.completes == stage_key), None)

    def requirements(self, event: Event) -> tuple[str, ...]:
        """Evidence an event needs: its own plus that of the stage it completes."""
        extra = self.stages[event.completes].requires if event.completes in self.stages else ()
        return tuple(dict.fromkeys(event.requires + extra))

    def evidence_groups(self, event: Event) -> tuple[tuple[str, ...], ...]:
        """Alternative evidence an event needs (one group complete): its own or its stage's."""
        stage = self.stages.get(event.completes) if event.completes else None
        return event.evidence_any or (stage.evidence_any if stage else ())

    def for_kind(self, event: Event, kind: str | None) -> bool:
        """Whether a case whose subject is of `kind` accepts the event."""
        return not event.subject_kinds or kind is None or kind in event.subject_kinds

    def prerequisites(self, event: Event) -> tuple[str, ...]:
        """Events that must be recorded before this one: its own and its stage's."""
        extra = (self.stages[event.completes].prerequisites if event.completes in self.stages
                 else ())
        return tuple(dict.fromkeys(event.prerequisites + extra))

    def sources_of(self, event: Event) -> tuple[str, ...]:
        """The states that accept an event (every state that is not final when none is named)."""
        return event.source or tuple(s for s in self.states if s not in self.final_states)

    def name(self, language: str) -> str:
        return self.names.get(language, self.names["en"])

    def key_names(self, key: str) -> dict[str, str] | str | None:
        """How a key of this definition reads in each language: an event's, a stage's, a
        state's or a field's names ({lang: text}), a catalogue key for a built-in evidence
        field ("evidence.number"), None for a key it does not know."""
        if key in self.events:
            return self.events[key].names
        stage = self.stage_spec(key)
        if stage is not None:
            return stage.names
        if key in self.states:
            return self.states[key]
        if key in self.evidence:
            return self.evidence[key].names or f"evidence.{key}"
        if key in self.fields:
            return self.fields[key].names
        if key in self.dates and self.dates[key].names:
            return self.dates[key].names
        return None

    def name_keys(self, error: Any) -> Any:
        """Label the parameters of a refusal that hold keys of this definition (an event, a
        stage, a state, a field, or a list of them) so that it reads in the reader's language
        (MerzimError.render); returns the error."""
        status = error.params.get("status")
        if isinstance(status, str) and status in STAGE_STATUSES and "status" not in error.labels:
            error.labels["status"] = f"status.{status}"
        for param, value in error.params.items():
            if param not in KEY_PARAMS or not isinstance(value, str) or param in error.labels:
                continue
            keys = [k.strip() for k in value.replace("|", ",").replace("+", ",").split(",")]
            named = [self.key_names(k) for k in keys if k]
            if not named or any(n is None for n in named):
                continue
            if len(named) == 1:
                error.labels[param] = named[0]
            else:  # a list: each key named, the value's separators kept ("a + b | c")
                error.labels[param] = KeyList(value, dict(zip(keys, named, strict=True)))
        return error

    @property
    def recurring(self) -> bool:
        return self.recurrence is not None


# -- parsing ---------------------------------------------------------------------------------


# Refusal parameters that may hold keys of a definition (Definition.name_keys).
KEY_PARAMS = frozenset({"event", "other", "target", "state", "stage", "field", "allowed",
                        "known", "groups"})
STAGE_STATUSES = ("open", "overdue", "done_on_time", "done_late", "not_applicable", "not_done")


def _names(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: missing names (kk, ru, en)")
    missing = [lang for lang in LANGUAGES if not str(value.get(lang, "")).strip()]
    if missing:
        raise ConfigError(f"{where}: missing name in {', '.join(missing)}")
    return {lang: str(value[lang]) for lang in LANGUAGES}


def _keys(raw: Any, where: str, what: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        raise ConfigError(f"{where}: {what} must be a list of keys")
    return tuple(raw)


def _choice(raw: dict, name: str, allowed: tuple[str, ...], default: str, where: str) -> str:
    value = raw.get(name, default)
    if value not in allowed:
        raise ConfigError(f"{where}: {name} must be one of {', '.join(allowed)} (not {value!r})")
    return value


def _number(value: Any, where: str, defaults: dict[str, Any], minimum: int = 0) -> int:
    if isinstance(value, str):  # a named interpretation, e.g. "announcement_working_days_before"
        if value not in defaults:
            raise ConfigError(f"{where}: names unknown interpretation {value!r}")
        value = defaults[value]
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{where}: must be a whole number >= {minimum}")
    return value


def _due(raw: Any, where: str, dates: dict[str, Any], defaults: dict[str, Any]) -> DueRule:
    where = f"{where}.due"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    names = _keys(raw.get("anchor"), where, "anchor")
    if not names:
        raise ConfigError(f"{where}: missing anchor")
    for name in names:
        base, _, part = name.partition(".")
        if base not in dates or part not in ("", "planned"):
            raise ConfigError(f"{where}: unknown date {name!r} (known: {', '.join(dates)})")
    unit = _choice(raw, "unit", UNITS, "working_days", where)
    direction = _choice(raw, "direction", DIRECTIONS, "after", where)
    roll = raw.get("roll", defaults.get("roll", "following"))
    if roll not in ROLLS:
        raise ConfigError(f"{where}: roll must be one of {', '.join(ROLLS)}")
    combine = raw.get("combine", "latest")
    if combine not in ("latest", "earliest") and combine in defaults:  # names an interpretation
        combine = defaults[combine]
    if combine not in ("latest", "earliest"):
        raise ConfigError(f"{where}: combine must be 'latest' or 'earliest'")
    offset = _number(raw.get("offset", 0), f"{where}.offset", defaults)
    inclusive = raw.get("inclusive", False)
    if not isinstance(inclusive, bool) or (inclusive and (unit != "working_days" or offset < 1)):
        raise ConfigError(f"{where}: inclusive applies to working days with an offset >= 1")
    return DueRule(names, offset, unit, direction, combine, roll, inclusive)


def _month_day(value: Any, where: str, defaults: dict[str, Any]) -> str:
    text = defaults.get(value, value) if isinstance(value, str) else value
    try:
        month, day = (int(x) for x in str(text).split("-"))
        date(2000, month, day)
    except ValueError as exc:
        raise ConfigError(f"{where}: {text!r} is not a month and day (MM-DD)") from exc
    return f"{month:02d}-{day:02d}"


def _evidence_keys(raw: Any, where: str, evidence: dict[str, EvidenceSpec]) -> tuple[str, ...]:
    items = _keys(raw, where, "evidence")
    for item in items:
        if item not in evidence:
            raise ConfigError(f"{where}: unknown evidence {item!r} (known: {', '.join(evidence)})")
    return items


def _evidence_any(raw: Any, where: str, evidence: dict[str, EvidenceSpec]
                  ) -> tuple[tuple[str, ...], ...]:
    """`evidence_any = [["url"], ["number", "signed_by"]]`: one group must be complete."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw or not all(isinstance(g, list) and g for g in raw):
        raise ConfigError(f"{where}: evidence_any must be a list of lists of evidence keys")
    return tuple(_evidence_keys(group, f"{where}.evidence_any", evidence) for group in raw)


def _choices(raw: dict[str, Any], kind: str, where: str
             ) -> tuple[tuple[str, ...], dict[str, dict[str, str]]]:
    """A choice field's allowed values and, when given, each value's name in kk/ru/en
    (`choice_names = { criminal = { kk = "…", ru = "…", en = "…" } }`)."""
    choices = _keys(raw.get("choices"), where, "choices")
    if kind in ("choice", "links") and not choices:
        raise ConfigError(f"{where}: a {kind} field needs choices")
    if kind not in ("choice", "links") and choices:
        raise ConfigError(f"{where}: choices are for type = \"choice\" or \"links\"")
    named = raw.get("choice_names") or {}
    if not isinstance(named, dict):
        raise ConfigError(f"{where}: choice_names must be a table")
    unknown = [k for k in named if k not in choices]
    if unknown:
        raise ConfigError(f"{where}: choice_names names {', '.join(unknown)}, not a choice")
    return choices, {k: _names(v, f"{where}.choice_names.{k}") for k, v in named.items()}


def _required_when(raw: Any, fields: Mapping[str, FieldSpec], where: str
                   ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`required_when`: a table of choice fields named before this one, each with the values
    (among its choices) for which this field is required."""
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{where}: required_when must be a table of choice fields")
    out = []
    for key, values in raw.items():
        spec = fields.get(key)
        if spec is None or spec.type != "choice":
            raise ConfigError(f"{where}: required_when: {key!r} is not a choice field named "
                              f"before it")
        if (not isinstance(values, list) or not values
                or any(v not in spec.choices for v in values)):
            raise ConfigError(f"{where}: required_when.{key}: a list of its choices "
                              f"({', '.join(spec.choices)})")
        out.append((key, tuple(values)))
    return tuple(out)


def _bounds(raw: dict[str, Any], kind: str, where: str) -> tuple[int, int]:
    """An integer field's or evidence's `min` and `max` (whole numbers, min <= max, within
    INTEGER_FLOOR … INTEGER_CEILING); INTEGER_MIN and INTEGER_MAX when not declared. Refused on
    a field of another type."""
    if kind != "integer" and ("min" in raw or "max" in raw):
        raise ConfigError(f"{where}: min and max are for type = \"integer\"")
    bounds = []
    for key, default in (("min", INTEGER_MIN), ("max", INTEGER_MAX)):
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) \
                or not INTEGER_FLOOR <= value <= INTEGER_CEILING:
            raise ConfigError(f"{where}: {key} must be a whole number between {INTEGER_FLOOR} "
                              f"and {INTEGER_CEILING}")
        bounds.append(value)
    if bounds[0] > bounds[1]:
        raise ConfigError(f"{where}: min {bounds[0]} is above max {bounds[1]}")
    return bounds[0], bounds[1]


def _stage(raw: dict[str, Any], where: str, dates, defaults, evidence) -> Stage:
    key = raw.get("key")
    if not key or not isinstance(key, str):
        raise ConfigError(f"{where}: missing key")
    where = f"{where} ({key})"
    due = _due(raw["due"], where, dates, defaults) if "due" in raw else None
    remind = (raw.get("reminders") or {}).get("before")
    if remind is not None and (not isinstance(remind, list)
                               or not all(isinstance(x, int) and x >= 0 for x in remind)):
        raise ConfigError(f"{where}.reminders.before: must be a list of working days >= 0")
    return Stage(key, _names(raw.get("names"), where), due,
                 _evidence_keys(raw.get("evidence", raw.get("requires")), where, evidence),
                 str(raw.get("responsible", "officer")), str(raw.get("source", "")),
                 tuple(remind) if remind is not None else None,
                 _choice(raw, "initially", STAGE_INITIALLY, "open", where),
                 _keys(raw.get("prerequisites"), where, "prerequisites"),
                 _evidence_any(raw.get("evidence_any"), where, evidence),
                 _due_basis(raw, where))


DUE_BASIS = re.compile(r"^([A-Z]-[0-9]+|merzim)$")


def _due_basis(raw: dict[str, Any], where: str) -> str:
    """`due_basis`: the interpretation ("I-2") or "merzim" that sets a due date the sources do
    not give (I-17); it needs a due rule to qualify."""
    value = raw.get("due_basis", "")
    if value == "":
        return ""
    if not isinstance(value, str) or not DUE_BASIS.match(value):
        raise ConfigError(f"{where}: due_basis must name an interpretation (\"I-2\") or be "
                          f"\"merzim\", not {value!r}")
    if "due" not in raw:
        raise ConfigError(f"{where}: due_basis names who sets a due date; the stage has none")
    return value


def _stages(doc: dict, section: str, source: str, dates, defaults, evidence) -> dict[str, Stage]:
    out: dict[str, Stage] = {}
    for i, raw in enumerate(doc.get(section) or []):
        stage = _stage(raw, f"{source}: {section}[{i}]", dates, defaults, evidence)
        if stage.key in out:
            raise ConfigError(f"{source}: {section}[{i}]: duplicate stage key {stage.key!r}")
        out[stage.key] = stage
    return out


def check_kinds(kinds: tuple[str, ...], where: str) -> tuple[str, ...]:
    """Organisation kinds a recurring obligation applies to: known ones, at least one."""
    if not kinds:
        raise ConfigError(f"{where}: applies_to names no organisation kind")
    unknown = [k for k in kinds if k not in ORG_KINDS]
    if unknown:
        raise ConfigError(f"{where}: unknown organisation kind {', '.join(unknown)} "
                          f"(known: {', '.join(ORG_KINDS)})")
    return kinds


def _recurrence(raw: Any, source: str, defaults: dict[str, Any]) -> Recurrence | None:
    if raw is None:
        return None
    where = f"{source}: [recurrence]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    period = _choice(raw, "period", PERIODS, "", where)
    applies_to = check_kinds(_keys(raw.get("applies_to"), where, "applies_to"), where)
    due_raw = raw.get("due")
    if not isinstance(due_raw, dict):
        raise ConfigError(f"{where}.due: must be a table")
    rule = _choice(due_raw, "rule", PERIOD_DUE_RULES, "", f"{where}.due")
    roll = _choice(due_raw, "roll", ROLLS, "preceding" if rule == "period_end" else
                   defaults.get("roll", "following"), f"{where}.due")
    if rule == "fixed":
        if "date" in due_raw:  # "MM-DD" or an interpretation naming one (P-5)
            month, day = (int(x) for x in _month_day(due_raw["date"], f"{where}.due.date",
                                                     defaults).split("-"))
        else:
            month = _number(due_raw.get("month", 12), f"{where}.due.month", defaults, 1)
            day = _number(due_raw.get("day", 1), f"{where}.due.day", defaults, 1)
            _month_day(f"{month}-{day}", f"{where}.due", {})
        due = PeriodDue(rule, month=month, day=day, roll=roll,
                        year_offset=_number(due_raw.get("year_offset", 0),
                                            f"{where}.due.year_offset", defaults))
    elif rule == "month_after":
        due = PeriodDue(rule, months=_number(due_raw.get("months", 1), f"{where}.due.months",
                                             defaults, 1),
                        day=_number(due_raw.get("day", 1), f"{where}.due.day", defaults, 1),
                        roll=roll)
        if due.day > 31:
            raise ConfigError(f"{where}.due.day: must be 1-31")
    else:
        due = PeriodDue(rule, roll=roll)
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: enabled must be true or false")
    return Recurrence(period, applies_to, due, enabled)


def parse_definition(doc: dict[str, Any], source: str, overrides: dict[str, Any] | None = None,  # noqa: C901
                     ) -> Definition:
    """Validate a parsed TOML document and build the Definition (`source` names the file)."""
    process = doc.get("process") or {}
    key = process.get("key")
    if not key or not isinstance(key, str):
        raise ConfigError(f"{source}: [process] needs a key")
    version = process.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ConfigError(f"{source}: [process] version must be a whole number >= 1")
    interpretations = {**(doc.get("interpretations") or {}), **(overrides or {})}
    states = {name: _names(v, f"{source}: states.{name}") for name, v in
              (doc.get("states") or {}).items()}
    initial = process.get("initial_state")
    if not isinstance(initial, str) or initial not in states:
        raise ConfigError(f"{source}: initial_state {initial!r} is not a state")
    final_states = _keys(process.get("final_states"), f"{source}: [process]", "final_states")
    for state in final_states:
        if state not in states:
            raise ConfigError(f"{source}: [process] final state {state!r} is not a state")

    parties_raw = doc.get("parties") or {}
    parties = Parties(
        _choice(parties_raw, "object", PARTY_MODES, "none", f"{source}: [parties]"),
        _choice(parties_raw, "person", PARTY_MODES, "none", f"{source}: [parties]"),
        _choice(parties_raw, "person_visibility", PERSON_VISIBILITY, "organisation",
                f"{source}: [parties]"))

    fields: dict[str, FieldSpec] = {}
    for i, raw in enumerate(doc.get("field") or []):
        where = f"{source}: field[{i}]"
        fkey = raw.get("key")
        if not fkey or fkey in fields:
            raise ConfigError(f"{where}: missing or duplicate key")
        ftype = _choice(raw, "type", FIELD_TYPES, "text", where)
        choices, choice_names = _choices(raw, ftype, f"{where} ({fkey})")
        low, high = _bounds(raw, ftype, f"{where} ({fkey})")
        fields[fkey] = FieldSpec(fkey, ftype, _names(raw.get("names"), f"{where} ({fkey})"),
                                 bool(raw.get("required", False)), choices, choice_names,
                                 bool(raw.get("personal", False)), low, high,
                                 _required_when(raw.get("required_when"), fields,
                                                f"{where} ({fkey})"))

    evidence: dict[str, EvidenceSpec] = {k: EvidenceSpec(k, "url" if k == "url" else
                                                         "period" if k == "period" else
                                                         "role" if k == "approver_role" else "text",
                                                         None) for k in BUILTIN_EVIDENCE}
    for ekey, raw in (doc.get("evidence") or {}).items():
        where = f"{source}: evidence.{ekey}"
        if ekey in BUILTIN_EVIDENCE:
            raise ConfigError(f"{where}: {ekey!r} is built in; choose another key")
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: must be a table")
        etype = _choice(raw, "type", EVIDENCE_TYPES, "text", where)
        choices, choice_names = _choices(raw, etype, where)
        low, high = _bounds(raw, etype, where)
        evidence[ekey] = EvidenceSpec(ekey, etype, _names(raw.get("names"), where), choices,
                                      choice_names, low, high)

    recurrence = _recurrence(doc.get("recurrence"), source, interpretations)

    # Named dates: declared first (rules may refer to any of them), then their rules parsed.
    raw_dates = dict(doc.get("dates") or {})
    if recurrence is not None:
        for name in PERIOD_DATES:
            if name in raw_dates:
                raise ConfigError(f"{source}: dates.{name}: set by [recurrence]; do not declare it")
            raw_dates[name] = {"given": "required", "names": PERIOD_DATE_NAMES[name]}
    for name, raw in raw_dates.items():
        if not isinstance(raw, dict):
            raise ConfigError(f"{source}: dates.{name}: must be a table")
    dates: dict[str, NamedDate] = {}
    for name, raw in raw_dates.items():
        where = f"{source}: dates.{name}"
        given = _choice(raw, "given", PARTY_MODES, "none", where)
        default = _due(raw["default"], where, raw_dates, interpretations) if "default" in raw \
            else None
        month_day = _month_day(raw["month_day"], f"{where}.month_day", interpretations) \
            if "month_day" in raw else None
        year_of = raw.get("year_of")
        if month_day and year_of not in raw_dates:
            raise ConfigError(f"{where}: month_day needs year_of naming another date")
        names = _names(raw["names"], where) if "names" in raw else None
        not_before = raw.get("not_before")
        if not_before is not None and not_before not in raw_dates:
            raise ConfigError(f"{where}: not_before names unknown date {not_before!r}")
        past = raw.get("past", False)
        if not isinstance(past, bool):
            raise ConfigError(f"{where}: past must be true or false")
        dates[name] = NamedDate(name, names, given, default, raw.get("projected_from"),
                                month_day, year_of, not_before, past)

    stages = _stages(doc, "stage", source, raw_dates, interpretations, evidence)
    dynamic_stages = _stages(doc, "dynamic_stage", source, raw_dates, interpretations, evidence)
    programme_stages = _stages(doc, "programme_stage", source, raw_dates, interpretations,
                               evidence)

    events: dict[str, Event] = {}
    for i, raw in enumerate(doc.get("event") or []):
        ekey = raw.get("key")
        if not ekey:
            raise ConfigError(f"{source}: event[{i}]: missing key")
        where = f"{source}: event[{i}] ({ekey})"
        if ekey in events:
            raise ConfigError(f"{where}: duplicate event key")
        sources = _keys(raw.get("source"), where, "source")
        for state in (*sources, raw.get("dest")):
            if state is not None and state not in states:
                raise ConfigError(f"{where}: unknown state {state!r}")
        completes = raw.get("completes")
        if completes is not None and completes not in stages:
            raise ConfigError(f"{where}: completes unknown stage {completes!r}")
        sets = _keys(raw.get("sets"), where, "sets")
        for name in sets:
            if name not in dates:
                raise ConfigError(f"{where}: sets unknown date {name!r}")
        close = _keys(raw.get("close"), where, "close")
        opens = _keys(raw.get("open"), where, "open")
        for stage_key in (*close, *opens):
            if stage_key != ALL and stage_key not in stages:
                raise ConfigError(f"{where}: names unknown stage {stage_key!r}")
        for stage_key in opens:
            if stage_key == ALL or stages[stage_key].initially != "dormant":
                raise ConfigError(f"{where}: open names {stage_key!r}, which is not dormant")
        not_before = raw.get("not_before")
        if not_before is not None and not_before not in dates:
            raise ConfigError(f"{where}: not_before names unknown date {not_before!r}")
        kinds = _keys(raw.get("subject_kinds"), where, "subject_kinds")
        if kinds:
            check_kinds(kinds, f"{where}: subject_kinds")
        opens_case = raw.get("opens_case")
        if opens_case is not None:
            if (not isinstance(opens_case, dict) or set(opens_case) != {"process", "date"}
                    or not all(isinstance(v, str) and v for v in opens_case.values())):
                raise ConfigError(f"{where}: opens_case must be {{ process = \"KEY\", "
                                  f"date = \"NAME\" }}")
            opens_case = (opens_case["process"], opens_case["date"])
        events[ekey] = Event(
            ekey, sources, raw.get("dest"), completes,
            _keys(raw.get("prerequisites"), where, "prerequisites"),
            _evidence_keys(raw.get("evidence", raw.get("requires")), where, evidence),
            _names(raw.get("names"), where), bool(raw.get("repeatable", False)), sets, close,
            opens, bool(raw.get("terminal", False)), not_before, kinds,
            _evidence_any(raw.get("evidence_any"), where, evidence), opens_case,
            _evidence_keys(raw.get("optional"), where, evidence))
    for e in events.values():
        for other in e.prerequisites:
            if other not in events or other == e.key:
                raise ConfigError(f"{source}: event {e.key}: prerequisite {other!r} is not "
                                  f"another event")
    for st in stages.values():
        for other in st.prerequisites:
            if other not in events:
                raise ConfigError(f"{source}: stage {st.key}: prerequisite {other!r} is not "
                                  f"an event")
    for d in dates.values():
        if d.projected_from and d.projected_from not in stages:
            raise ConfigError(f"{source}: dates.{d.key}: projected_from names unknown stage "
                              f"{d.projected_from!r}")
        if not (d.given != "none" or d.default or d.projected_from or d.month_day
                or any(d.key in e.sets for e in events.values())):
            raise ConfigError(f"{source}: dates.{d.key}: never has a value (give it at opening, "
                              f"set it by an event, default it or project it)")

    timers = []
    for i, raw in enumerate(doc.get("timer") or []):
        where = f"{source}: timer[{i}]"
        on, dest = raw.get("on"), raw.get("dest")
        if on not in dates:
            raise ConfigError(f"{where}: on names unknown date {on!r}")
        src = _keys(raw.get("source"), where, "source")
        for state in (*src, dest):
            if state not in states:
                raise ConfigError(f"{where}: unknown state {state!r}")
        timers.append(Timer(on, src, dest))

    for skey, spec in (doc.get("shown") or {}).items():  # settings a case shows (P-5)
        if skey not in interpretations:
            raise ConfigError(f"{source}: [shown.{skey}]: not an interpretation of this process")
        _names((spec or {}).get("names"), f"{source}: [shown.{skey}]")
    _check_cycles(stages, dates, source)
    keys = Keys(states=frozenset(states), final_states=frozenset(final_states),
                events=frozenset(events), stages=frozenset(stages),
                dates=frozenset(dates) | (frozenset(PERIOD_DATE_NAMES) if recurrence else
                                          frozenset()),
                values=frozenset(fields) | frozenset(evidence) | frozenset(BUILTIN_EVIDENCE),
                recurring=recurrence is not None)
    return Definition(key, version, _names(process.get("names"), f"{source}: [process]"),
                      initial, states, events, stages, programme_stages, dates, interpretations,
                      dynamic_stages, final_states, parties, fields, evidence, tuple(timers),
                      recurrence, dict(doc.get("interpretation_sources") or {}),
                      {k: v for k, v in doc.items() if k not in GENERIC_TABLES},
                      scorecard=parse_scorecard(doc.get("scorecard"), keys, source),
                      form=parse_form(doc.get("form"), keys, source),
                      links=parse_case_links(doc.get("link"), keys, source),
                      applies_to=check_kinds(_keys(process.get("applies_to"),
                                                   f"{source}: [process]", "applies_to"),
                                             f"{source}: [process]")
                      if "applies_to" in process else ())


def _check_cycles(stages: dict[str, Stage], dates: dict[str, NamedDate], source: str) -> None:
    """Refuse due rules that depend on themselves through projected or defaulted dates."""

    def date_deps(name: str) -> list[str]:
        d = dates[name.split(".")[0]]
        out = [f"stage:{d.projected_from}"] if d.projected_from else []
        if d.default:
            out += [f"date:{a.split('.')[0]}" for a in d.default.anchors]
        if d.year_of:
            out.append(f"date:{d.year_of}")
        return out

    def deps(node: str) -> list[str]:
        kind, _, key = node.partition(":")
        if kind == "date":
            return date_deps(key)
        rule = stages[key].due
        return [f"date:{a.split('.')[0]}" for a in rule.anchors] if rule else []

    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = " -> ".join(n.split(":")[1] for n in [*path[path.index(node):], node])
            raise ConfigError(f"{source}: due rules form a cycle ({cycle})")
        if node in done:
            return
        for dep in deps(node):
            visit(dep, [*path, node])
        done.add(node)

    for key in stages:
        visit(f"stage:{key}", [])
    for key in dates:
        visit(f"date:{key}", [])


def table_keys(raw: Any, where: str, what: str) -> tuple[str, ...]:
    """A feature table's list of keys (a single key is a list of one), as the engine reads its
    own: for the features' parsers (workflow/<feature>/rules.py parse_table)."""
    return _keys(raw, where, what)


def table_evidence_keys(raw: Any, where: str, definition: Definition) -> tuple[str, ...]:
    """A feature table's list of the definition's evidence keys (unknown ones refused)."""
    return _evidence_keys(raw, where, definition.evidence)
