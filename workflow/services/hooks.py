"""What the generic record path announces, and the features that listen.

`services.cases` records, voids and re-plans a case of any definition; a feature that a
definition switches on with its table (its declaration, workflow/core/feature.py) may need
to act then — the monitoring opens its reporting periods when the note is signed, refuses to void
a note whose reports came, and re-plans its per-period stages after a decree. The generic
code announces each of these moments here; it imports no feature. A feature answers with a
`Listener` its declaration loads (`Feature.listener`), the first time a case of a definition
with its table is touched. The engine answers too where a definition's links ask it: a register
entry a procedure's outcome opened follows that procedure's outcome (`_engine`, B-24).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Protocol

from sqlmodel import Session

from workflow.core.definition import Definition
from workflow.core.feature import Feature, lazy
from workflow.definitions import features
from workflow.services.context import Context
from workflow.storage.models import Case, EventRecord

Moved = tuple[str, date | None, date]  # (stage key, old due date, new due date)


class StageRow(Protocol):
    """A stage row as the re-planning sees it: a table row, or the bulk re-plan's own."""

    key: str
    status: str
    due_date: date | None
    projected: bool
    done_on: date | None


class Listener(Protocol):
    """A feature's answers to what happened to a case. Each is called inside the caller's
    transaction; a refusal (a MerzimError) undoes the whole unit of work."""

    def recorded(self, s: Session, ctx: Context, case: Case, definition: Definition,
                 record: EventRecord) -> None:
        """An event was just recorded (the record is flushed; the stages not yet re-planned)."""

    def voiding(self, s: Session, ctx: Context, case: Case, definition: Definition,
                record: EventRecord) -> None:
        """A record is about to be voided: undo the feature's side of it, or refuse."""

    def facts(self, s: Session, case_ids: Iterable[int]) -> Mapping[int, Any]:
        """What the feature keeps of these cases that its re-planning needs, read at once
        (the bulk re-plan asks for every open case in one call)."""

    def replan(self, ctx: Context, definition: Definition, stages: Mapping[str, StageRow],
               planned: Mapping[str, StageRow], facts: Any) -> list[Moved]:
        """Re-plan the feature's own stages among `stages` (changed in place) once the
        definition's stages are planned (`planned`: the rows just added); pure, no database."""


class Opener(Protocol):
    """A feature that opens the cases of its definitions itself, from the generic forms
    (`services.opening.open_checked`): the planning feature plans an analysis. None: the case
    is not its to open (it opens as any other)."""

    def __call__(self, s: Session, ctx: Context, definition: Definition, subject_code: str,
                 object_code: str | None, person: str | None, position: str | None,
                 fields: dict[str, str] | None, dates: dict[str, date],
                 responsible: str | None, duplicate_reason: str | None) -> Any: ...


def _loaded(feature: Feature, capability: str) -> Any:
    """What the feature's loader of this capability gives (None: it offers none)."""
    load = getattr(feature, capability)
    return load() if load is not None else None


def opener(definition: Definition) -> Opener | None:
    """The opener of the first feature this definition switches on that has one."""
    for table, feature in features.by_table().items():
        if definition.raw.get(table):
            found = _loaded(feature, "opener")
            if found is not None:
                return found
    return None


def bulk_opener(definition: Definition) -> Any:
    """How the feature that opens this definition's cases imports a register file of it in
    batches (`covers`, `check`, `write`: workflow/planning/bulk.py's `RegisterPlanner`), or
    None when its opener has no such way (the file is imported row by row)."""
    found = opener(definition)
    return getattr(found, "bulk", None) if found is not None else None


def listeners(definition: Definition) -> list[Listener]:
    """The listeners of the features this definition switches on, in installation order."""
    found = (_loaded(feature, "listener") for table, feature in features.by_table().items()
             if definition.raw.get(table))
    return [listener for listener in found if listener is not None]


# The engine's own listener (no feature's): the register entries a procedure's outcome opened
# follow that outcome, and a linked case's kind and person are not corrected (B-24,
# services/link_follow.py). Loaded the way a feature's listener is, when first asked: it
# records on the entry, through the record path that announces here.
_LINKS = lazy("workflow.services.link_follow:LISTENER")


def _engine(ctx: Context, definition: Definition) -> list[Listener]:
    """The engine's listeners of a case of this definition: the links' when it has `[[link]]`
    tables (its version's or its current file's)."""
    current = ctx.registry.loaded.get(definition.key)
    if not definition.links and (current is None or not current.definition.links):
        return []
    return [_LINKS()]


def editing(s: Session, ctx: Context, case: Case, definition: Definition, person: str | None,
            fields: Mapping[str, Any]) -> None:
    """A case's opening values are about to be corrected to `person` and `fields` (every
    correction goes through services.recording's `edit_case`): the links refuse what would make
    a linked case another fact (a MerzimError: nothing stored)."""
    _LINKS().editing(s, ctx, case, definition, person, fields)


def recorded(s: Session, ctx: Context, case: Case, definition: Definition,
             record: EventRecord) -> None:
    for listener in (*listeners(definition), *_engine(ctx, definition)):
        listener.recorded(s, ctx, case, definition, record)


def voiding(s: Session, ctx: Context, case: Case, definition: Definition,
            record: EventRecord) -> None:
    for listener in listeners(definition):
        listener.voiding(s, ctx, case, definition, record)


def replanned(s: Session, ctx: Context, case: Case, definition: Definition,
              stages: Mapping[str, StageRow], planned: Mapping[str, StageRow]) -> list[Moved]:
    """One case's feature stages re-planned (services.cases.sync), with the features' facts
    of that case read now."""
    moved: list[Moved] = []
    for listener in listeners(definition):
        facts = listener.facts(s, [case.id]).get(case.id)
        moved += listener.replan(ctx, definition, stages, planned, facts)
    return moved
