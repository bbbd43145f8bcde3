"""The personnel service's record of an employee's notice of having submitted her declaration
(002:L174-181): one per person and year, with the day she submitted it and the scan filed to her
record (the content in the file store under its SHA-256, as an evidence file's). Built when its
name is first asked of `workflow.storage.models`, whose model it is (`__module__ = FACADE`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.storage.models import FACADE


class DeclarationNotice(SQLModel, table=True):
    """An employee's notice of submission for a year (`year`: the declaration's campaign, the
    year its deadline falls in): the day she submitted, who recorded it and when, its scan."""

    __tablename__ = "declaration_notice"
    __module__ = FACADE
    __table_args__ = (UniqueConstraint("user_id", "year", name="uq_declaration_notice_year"),)
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    year: int
    submitted_on: date
    sha256: str = Field(max_length=64)
    file_name: str = Field(max_length=255)
    media_type: str = Field(max_length=100)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    recorded_by: str = Field(max_length=100)
    recorded_at: str = Field(max_length=40)
