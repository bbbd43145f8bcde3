"""The table of the column names an organisation's files use for a register: a header she
mapped once to a column, so that her next file with it needs no question. Built when its name
is first asked of `workflow.storage.models`, whose model it is (`__module__ = FACADE`: see
there)."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.storage.models import FACADE


class ImportMapping(SQLModel, table=True):
    """One header of an organisation's files for a register (`target`: the register's key),
    folded as every import compares headers (`imports/columns.fold`), and the column it
    names (`field`; empty: the column is ignored). Kept when an import she mapped is
    confirmed (`workflow/imports/usecase.py`)."""

    __tablename__ = "import_mapping"
    __module__ = FACADE
    __table_args__ = (UniqueConstraint("organisation_id", "target", "header_folded",
                                       name="uq_import_mapping_header"),)
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    target: str = Field(max_length=100)
    header_folded: str = Field(max_length=200)
    field: str = Field(default="", max_length=100)
    updated_by: str = Field(max_length=100)
    updated_at: str = Field(max_length=40)  # ISO, UTC (as the audit log's)
