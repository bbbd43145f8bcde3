"""The `[form]` table of a definition (its model, pure): the report form (appendix 1-6 of
seed 000) the process's entries fill, read and checked against the definition's keys when the
file loads into the typed `FormSpec` (workflow/core/register_spec.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt

from workflow.core.definition import Definition
from workflow.core.register_spec import FormSpec, one_of
from workflow.core.register_spec import Keys as DefinitionKeys
from workflow.core.tables import Key, Keys, Table


class FormTable(Table):
    """`[form]`: the report form (appendix 1-6 of seed 000) this process's entries fill."""

    appendix: Annotated[StrictInt, Field(ge=1)]
    """The appendix number (one workflow/forms/layouts.toml lays out)."""
    row: Annotated[StrictInt, Field(ge=1)] | None = None
    """The row of the appendix its entries fill (appendices 2 and 5)."""
    records: Key | None = None
    """Each standing record of this event is a line of the form (absent: each case)."""
    group_by: Key | None = None
    """A choice field or evidence grouping the lines (appendix 3: the category)."""
    columns: Keys | None = None
    """Field, evidence or named-date keys written in the line, in this order (absent: all)."""

    def spec(self, definition: Definition, source: str) -> FormSpec:
        """The table checked against the definition's keys."""
        t, where, keys = self, f"{source}: [form]", DefinitionKeys.of(definition)
        one_of(t.records, keys.events, "event", f"{where}.records")
        known = keys.values | keys.dates | keys.events | keys.stages
        for key in t.columns or ():
            one_of(key, known, "key", f"{where}.columns")
        return FormSpec(t.appendix, t.row, t.records, t.group_by, t.columns)
