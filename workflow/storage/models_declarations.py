"""The personnel service's declarations list (002:L174-181): its staff list (`Declarant`, the
organisation's employees obliged to declare, kept apart from merzim's accounts: a declarant
never signs in) and each one's notice of having submitted her declaration (`DeclarationNotice`:
one per declarant and year, with the day she submitted it and the scan filed to her record, the
content in the file store under its SHA-256, as an evidence file's). Built when their names are
first asked of `workflow.storage.models`, whose models they are (`__module__ = FACADE`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.storage.models import FACADE


class Declarant(SQLModel, table=True):
    """An employee of an organisation obliged to declare her income and property: her name
    (one per organisation), position, e-mail (where her reminders go; optional) and language
    (the reminders'; optional), and whether she still works there (`active`; one who left
    stays, with her notices, off the list). Not an account: she has no login or role."""

    __tablename__ = "declarant"
    __module__ = FACADE
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_declarant_name"),)
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    position: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=254)
    language: str | None = Field(default=None, max_length=2)
    active: bool = True
    created_at: str = Field(max_length=40)
    updated_at: str = Field(max_length=40)


class DeclarationNotice(SQLModel, table=True):
    """An employee's notice of submission for a year (`year`: the declaration's campaign, the
    year its deadline falls in): the day she submitted, who recorded it and when, its scan."""

    __tablename__ = "declaration_notice"
    __module__ = FACADE
    __table_args__ = (UniqueConstraint("declarant_id", "year", name="uq_declaration_notice_year"),)
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    declarant_id: int = Field(foreign_key="declarant.id", index=True)
    year: int
    submitted_on: date
    sha256: str = Field(max_length=64)
    file_name: str = Field(max_length=255)
    media_type: str = Field(max_length=100)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    recorded_by: str = Field(max_length=100)
    recorded_at: str = Field(max_length=40)
