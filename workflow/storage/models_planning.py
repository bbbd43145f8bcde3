"""The tables of the analyses' results and plans: external analyses, subdivisions, risks,
recommendations, plan items, monitoring periods, positions. Built when one of their names is
first asked of `workflow.storage.models`, whose models they are (`__module__ = FACADE`: see
there)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.core import limits
from workflow.storage import columns
from workflow.storage.models import FACADE, _partial


class ExternalAnalysis(SQLModel, table=True):
    """An external analysis of a subject; the internal one follows a year after it."""

    __tablename__ = "external_analysis"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    subject_id: int = Field(foreign_key="organisation.id", index=True)
    completed_on: date
    reference: str | None = Field(default=None, max_length=500)
    closed_on: date | None = None  # monitoring result note of its plan


class Subdivision(SQLModel, table=True):
    """A structural subdivision of an organisation (responsible for plan measures, positions)."""

    __tablename__ = "subdivision"
    __module__ = FACADE
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=300)


class Risk(columns.OfAnalysis, table=True):
    """A corruption risk identified by an internal (or external) analysis."""

    __tablename__ = "risk"
    __module__ = FACADE
    description: str = Field(sa_column=Column(Text, nullable=False))
    process: str | None = Field(default=None, max_length=500)
    subdivision: str | None = Field(default=None, max_length=300)
    # the causes and conditions that favour the offence (the analytic note prints them)
    causes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # its assessment, grades of the scales of workflow/monitoring/risk_levels.toml (None: not
    # assessed); its level is read from them and that file whenever it is shown
    likelihood: int | None = None
    consequence: int | None = None


class Recommendation(SQLModel, table=True):
    """A recommendation against a risk; its status is set in each quarterly review."""

    __tablename__ = "recommendation"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    risk_id: int = Field(foreign_key="risk.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="not_started", max_length=16)
    status_on: date | None = None
    evidence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class PlanItem(columns.OfAnalysis, table=True):
    """A measure of the action plan (Appendix 5 columns), linked to the recommendation it serves."""

    __tablename__ = "plan_item"
    __module__ = FACADE
    recommendation_id: int | None = Field(default=None, foreign_key="recommendation.id")
    measure: str = Field(sa_column=Column(Text, nullable=False))
    completion_form: str = Field(max_length=limits.TITLE)
    deadline: date
    subdivision: str = Field(max_length=limits.TITLE)
    person: str | None = Field(default=None, max_length=limits.PERSON_NAME)


class MonitoringReport(columns.OfAnalysis, table=True):
    """A quarter's report from the object's subdivisions and its review by the authorized person."""

    __tablename__ = "monitoring_period"  # renamed from monitoring_report by migration 0007
    __module__ = FACADE
    __table_args__ = (
        _partial("uq_monitoring_period_case", "analysis_id", "period",
                 where="analysis_id IS NOT NULL"),
        _partial("uq_monitoring_period_external", "external_id", "period",
                 where="external_id IS NOT NULL"),
    )
    period: str = Field(max_length=8)
    received_on: date | None = None
    reviewed_on: date | None = None


class Position(SQLModel, table=True):
    """A position exposed to corruption risk (the list drawn up by the analysis)."""

    __tablename__ = "position"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    analysis_id: int = Field(foreign_key="process_case.id", index=True)
    title: str = Field(max_length=limits.TITLE)
    subdivision: str = Field(max_length=limits.TITLE)
    risk: str = Field(sa_column=Column(Text, nullable=False))  # the risk in words
    # the analysis's risk it is exposed to: the list names it by its number in the note
    risk_id: int | None = Field(default=None, foreign_key="risk.id")
