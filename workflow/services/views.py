"""What the services hand the adapters to show: one case (`CaseView`, its stages, dates,
records), a list of cases (`CaseRow`), the lists across cases (`StageRow`, `OverdueRow`,
`DoneRow`, one person's `MyWork`).

Views are frozen dataclasses with typed fields, never dicts: the CLI, the pages, the API and
the exports read attributes. `as_dict()` gives the JSON the CLI's `--json` and the API have
always shown (the same keys in the same order; a key a view does not have, such as `person` of
a process without one, is left out rather than null). Values that are data rather than views
(a stage's evidence, a case's fields, the planning warnings) stay mappings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from workflow.storage.models import EVENT


class View:
    """A view the adapters show: `as_dict()` gives its fields in order, nested views as dicts."""

    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        return _shallow(self)


def _shallow(view: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A dataclass's fields in order, nested views as dicts (`as_dict`) and lists of views as
    lists of dicts; mappings and everything else as they are (`skip`: fields for the pages
    only, such as the labelled `values`, which the JSON has as raw evidence already)."""
    out: dict[str, Any] = {}
    for name in _field_names(type(view)):
        if name not in skip:
            out[name] = _plain(getattr(view, name))
    return out


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    """A dataclass's field names in order (asked once per class: a list's rows ask it each)."""
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind))
    return names


# values that are neither views nor containers: as they are, without the checks below
_SCALARS = frozenset((str, int, float, bool, type(None), dt.date, dt.datetime))


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value.as_dict() if hasattr(value, "as_dict") else _shallow(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# -- one case ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Labelled(View):
    """One recorded value in the reader's words: a field of the case or a piece of
    evidence of a record, with its label; `value` typed (a date, a whole number, a text: what
    an export writes), `text` as a page shows it (a choice by its name, a whole number with
    its thousands grouped, a date as the page writes dates); `kind` the definition's type."""

    key: str
    label: str
    value: Any
    text: str
    kind: str


@dataclass(frozen=True, slots=True)
class CaseStage:
    """A stage of one case as its page shows it."""

    key: str
    name: str
    due: dt.date | None
    projected: bool
    status: str  # today's: an open stage past its due date is "overdue"
    done_on: dt.date | None
    working_days_left: int | None  # open stages only; negative when overdue
    evidence: dict[str, Any] | None  # None when the person is hidden
    due_basis: str  # where the due date comes from (I-17): "" the sources, else who sets it
    source: str
    moved_from: dt.date | None  # the date the rule gave before it moved off a non-working day
    moved_note: str | None  # why, in words
    values: tuple[Labelled, ...] = ()  # its evidence in words (the page's; not in the JSON)

    def as_dict(self) -> dict[str, Any]:
        return _shallow(self, skip=("values",))


@dataclass(frozen=True, slots=True)
class CaseDate(View):
    """A named date of a case: as it stands, whether projected, as planned, its name."""

    date: dt.date
    projected: bool
    planned: dt.date | None
    name: str


@dataclass(frozen=True, slots=True)
class CaseSetting(View):
    """A setting of the process the case page shows (its `[shown]` table)."""

    key: str
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Withdrawn(View):
    """A case withdrawn as opened by mistake: when, by whom, why (None: hidden)."""

    at: str
    by: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """One record of a case, in order (nothing is ever edited: a void is a record too)."""

    id: int
    kind: str
    event: str
    on: dt.date
    note: str | None
    void: bool
    evidence: dict[str, Any] | None
    voids: int | None
    actor: str
    values: tuple[Labelled, ...] = ()  # its evidence in words (the page's; not in the JSON)

    def as_dict(self) -> dict[str, Any]:
        return _shallow(self, skip=("values",))


@dataclass(frozen=True, slots=True)
class Person(View):
    """The person a case is about."""

    name: str | None
    position: str | None


@dataclass(frozen=True, slots=True)
class CaseView:
    """One case as the CLI, the API and the page show it (`services.cases.case_view`).

    `has_person`: the process has a person (then `person` is shown, None when hidden);
    `has_planning`: the internal analysis's planned and actual start and end are shown;
    `history`: the whole history, when the adapter asked for it."""

    id: int
    process: str
    process_version: int
    process_name: str
    state: str
    state_name: str
    subject: str
    subject_name: str
    object: str | None
    object_name: str | None
    period: str | None
    fields: dict[str, Any]
    dates: dict[str, CaseDate]
    responsible: str | None
    next_events: list[str]
    settings: list[CaseSetting]
    warnings: list[dict[str, Any]]
    stages: list[CaseStage]
    withdrawn: Withdrawn | None
    records: list[CaseRecord]
    person: Person | None = None
    planned_start: dt.date | None = None
    planned_end: dt.date | None = None
    actual_start: dt.date | None = None
    actual_end: dt.date | None = None
    history: list[dict[str, Any]] | None = None
    has_person: bool = False
    has_planning: bool = False
    # the case's fields in words (the page's, not in the JSON: `fields` has them)
    field_values: tuple[Labelled, ...] = ()

    OPTIONAL = ("person", "planned_start", "planned_end", "actual_start", "actual_end",
                "history", "has_person", "has_planning", "field_values")

    def stage(self, key: str) -> CaseStage | None:
        return next((st for st in self.stages if st.key == key), None)

    def standing(self) -> dict[str, CaseRecord]:
        """The last record of each event that stands (not voided), by its event."""
        return {r.event: r for r in self.records if r.kind == EVENT and not r.void}

    def values_of(self, record: int | None) -> tuple[Labelled, ...]:
        """A record's evidence in words (its history line's): none when hidden or unknown."""
        return next((r.values for r in self.records if r.id == record), ())

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self)
               if f.name not in self.OPTIONAL}
        if self.has_person:
            out["person"] = _plain(self.person)
        if self.has_planning:
            out |= {k: getattr(self, k) for k in ("planned_start", "planned_end",
                                                  "actual_start", "actual_end")}
        if self.history is not None:
            out["history"] = self.history
        return out


@dataclass(frozen=True, slots=True)
class CaseRow(View):
    """A case in a list of cases (`services.cases.list_cases`): its state today."""

    id: int
    process: str
    subject: str
    subject_name: str
    period: str | None
    case_date: dt.date
    state: str
    state_name: str


# -- lists across cases ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageRow(View):
    """An open stage in a list across cases (due soon, a day's, calendar feeds)."""

    stage_id: int
    organisation: str
    organisation_name: str
    subject_path: str
    year: int
    analysis: int  # the case (the internal analysis's word, kept for the API)
    case: int
    process: str
    object: str | None
    stage: str
    stage_name: str
    due: dt.date
    projected: bool
    due_basis: str  # "" the sources set the due date, else who does: "I-2", "merzim" (I-17)
    working_days_left: int | None  # negative when overdue
    responsible: str | None
    responsible_name: str | None

    @property
    def working_days_overdue(self) -> int:
        """The working days past the due date (an overdue list's, a past day's)."""
        return -(self.working_days_left or 0)


@dataclass(frozen=True, slots=True)
class OverdueRow(StageRow):
    """An open stage past its due date: its JSON shows the working days overdue."""

    def as_dict(self) -> dict[str, Any]:
        out = _shallow(self)
        out["working_days_overdue"] = -(out.pop("working_days_left") or 0)
        return out


@dataclass(frozen=True, slots=True)
class DoneRow(StageRow):
    """A stage done (on time or late) in one person's work."""

    status: str
    done_on: dt.date | None


@dataclass(frozen=True, slots=True)
class MyWork(View):
    """The stages of the cases one person answers for (`services.lists.my_work`)."""

    overdue: list[OverdueRow]
    due: list[StageRow]
    done: list[DoneRow]
    # open, due before her organisation joined mid-year: to confirm, not overdue (B-25)
    before_joining: list[OverdueRow] = dataclasses.field(default_factory=list)


def as_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    """Views as their JSON dicts (the API's items, the CLI's --json)."""
    return [row.as_dict() for row in rows]
