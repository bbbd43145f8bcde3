"""The counts kept by the writes (workflow/storage/kept.py). Built when its name is first asked
of `workflow.storage.models`, whose model it is (`__module__ = FACADE`: see there): a command
that reads no count builds no table of them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from workflow.storage.models import FACADE, identifier


class OpenStageCount(SQLModel, table=True):
    """How many open stages of cases an organisation has falling due on a day, per process:
    the overdue and due counts of a subtree are sums of these rows (workflow/storage/kept.py),
    kept by every write in its own transaction and equal to a recount of the stage table (the
    stages of an unfinished import left out, as every list leaves them; migration 0033)."""

    __tablename__ = "open_stage_count"
    __module__ = FACADE
    __table_args__ = (
        Index("ix_open_stage_count_due", "due_date", "subject_path"),
        Index("ix_open_stage_count_path", "subject_path", "due_date"),
    )
    subject_id: int = Field(primary_key=True, foreign_key="organisation.id")
    process: str = Field(primary_key=True, max_length=64, sa_type=identifier(64))
    due_date: date = Field(primary_key=True)
    subject_path: str = Field(max_length=400, sa_type=identifier(400))
    n: int


class KeptFigure(SQLModel, table=True):
    """A subject's figure that costs seconds to compute (its scorecard, its points still to
    win: workflow/scorecard/stored.py), kept for the installation: every process reads it
    instead of computing it while its key matches: the versions of the subject's organisation
    path it was computed at and the fingerprint of the day, the settings, the calendar, the
    definitions and the code it was computed with. One row per subject, figure, year and
    language, replaced when computed again (migration 0040)."""

    __tablename__ = "kept_figure"
    __module__ = FACADE
    figure: str = Field(primary_key=True, max_length=40, sa_type=identifier(40))
    subject_path: str = Field(primary_key=True, max_length=400, sa_type=identifier(400))
    year: int = Field(primary_key=True)
    language: str = Field(primary_key=True, max_length=8, sa_type=identifier(8))
    versions: str = Field(max_length=400)
    fingerprint: str = Field(max_length=64)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    stored_at: float
