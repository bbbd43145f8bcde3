"""Columns that several tables share, declared once: each table model (workflow/storage/
models_*.py) that has them subclasses one of these (no table of their own)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class UserToken(SQLModel):
    """What a web session and an API token both hold first: their number, the SHA-256 of the
    secret token (the secret itself is never stored) and the user it signs in."""

    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)


class OfAnalysis(SQLModel):
    """A row of an internal analysis (`analysis_id`, its case) or of an external one
    (`external_id`): its risks, plan measures and monitoring periods."""

    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    analysis_id: int | None = Field(default=None, foreign_key="process_case.id", index=True)
    external_id: int | None = Field(default=None, foreign_key="external_analysis.id", index=True)
