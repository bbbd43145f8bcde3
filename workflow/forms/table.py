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
    row: Annotated[StrictInt, Field(ge=1)] | None = None
    records: Key | None = None
    group_by: Key | None = None
    columns: Keys | None = None

    def spec(self, definition: Definition, source: str) -> FormSpec:
        """The table checked against the definition's keys."""
        t, where, keys = self, f"{source}: [form]", DefinitionKeys.of(definition)
        one_of(t.records, keys.events, "event", f"{where}.records")
        known = keys.values | keys.dates | keys.events | keys.stages
        for key in t.columns or ():
            one_of(key, known, "key", f"{where}.columns")
        return FormSpec(t.appendix, t.row, t.records, t.group_by, t.columns)
