"""Process definitions as the engine reads them: validated, immutable data.

A definition declares the case's parties and typed fields, its named dates, states, events
(with their effects), stages (with their due rules), time-driven transitions and, for a
recurring obligation, its recurrence. Nothing here reads a file or a table: the format's
models (`workflow/definitions/schema.py`, and each feature's own) read and check a document
and build the `Definition`; a broken one is refused naming file, table, key and reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from workflow.core.case_links import LinkSpec
from workflow.core.kinds import NON_STATE_KINDS, ORG_KINDS  # noqa: F401  (named here too)
from workflow.core.limits import INTEGER_MAX, INTEGER_MIN
from workflow.core.names import PERIOD_NAMES
from workflow.core.register_spec import FormSpec, ScorecardSpec

LANGUAGES = ("kk", "ru", "en")
# Evidence every definition may use without declaring it; a definition may declare more.
# `approver_role`: who approved the document, one of APPROVER_ROLES (the cross-platform's check).
BUILTIN_EVIDENCE = ("number", "signed_by", "url", "note", "period", "approver_role")
BUILTIN_TYPES = {"url": "url", "period": "period", "approver_role": "role"}
ALL = "*"  # in an event's `close`: every stage still open
# The dates a recurring definition's cases get from their period.
PERIOD_DATES = ("period_start", "period_end", "period_due")
PERIOD_DATE_NAMES = {
    "period_start": {"kk": "Кезеңнің басы", "ru": "Начало периода", "en": "Start of the period"},
    "period_end": {"kk": "Кезеңнің соңы", "ru": "Конец периода", "en": "End of the period"},
    "period_due": {"kk": "Кезеңнің мерзімі", "ru": "Срок периода", "en": "Due date of the period"},
}



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
    hints: dict[str, str] | None = None  # what to write in it, shown under it on the forms


@dataclass(frozen=True)
class Parties:
    object: str = "none"  # none | optional | required: an object organisation
    person: str = "none"  # none | optional | required: a person (name and position)
    person_visibility: str = "organisation"  # who sees the person: see procedures.md
    # the parties (subject, person, responsible) an officer's own header may be mapped to when
    # she imports the register's file; none unless listed (workflow/imports/cells.py: PROTECTED)
    mappable: tuple[str, ...] = ()


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


@runtime_checkable
class Span(Protocol):
    """A feature's table that gives a case's span (planned --start and --end, I-4's length)."""

    start: str
    end: str | None
    length_limit: str | None


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
    # the [[link]] tables, typed (core/case_links.py): an outcome that is a register's fact
    links: tuple[LinkSpec, ...] = ()
    # `[shown]`: the interpretations every case shows, by name, with their names (kk/ru/en)
    shown: dict[str, dict[str, str]] = field(default_factory=dict)
    # `[process] applies_to`: the kinds of organisation a case may be opened for (every kind
    # when empty); a recurring obligation's own is its [recurrence]'s
    applies_to: tuple[str, ...] = ()
    # `[process] fact_day`: the named date the procedure's fact occurred on (B-27): a register
    # entry its `[[link]]` opens counts in that date's year (core/case_links.check_target)
    fact_day: str | None = None

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
        """Label the parameters of a refusal that hold keys of this definition so that it reads
        in the reader's language (MerzimError.named); returns the error."""
        return error.named(self.key_names)

    @property
    def span(self) -> Span | None:
        """The named dates a case starts and ends on and the interpretation holding its
        recommended length, when a feature's table says so (the internal analysis's)."""
        return next((v for v in self.features.values() if isinstance(v, Span)), None)

    @property
    def scorecard(self) -> ScorecardSpec | None:
        """The [scorecard] table, typed by its feature's model (workflow/scorecard/table.py):
        what the evaluation and the registers' read side (workflow/registers/) read."""
        return self.features.get("scorecard")

    @property
    def form(self) -> FormSpec | None:
        """The [form] table, typed by its feature's model (workflow/forms/table.py)."""
        return self.features.get("form")

    @property
    def recurring(self) -> bool:
        return self.recurrence is not None

