"""The tables of the public pages: the rate limit's hits and the shared cache. Built when one of
their names is first asked of `workflow.storage.models`, whose models they are (`__module__ =
FACADE`: see there)."""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from workflow.storage.models import FACADE


class PublicHit(SQLModel, table=True):
    """One request to a public page let through, per client address: the rate limit's moving
    window of the last minute, shared by every node; older rows are removed as it counts."""

    __tablename__ = "public_hit"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    client: str = Field(max_length=100, index=True)
    at: float = Field(index=True)


class PublicCache(SQLModel, table=True):
    """A built public page, feed or fragment, shared by every node for `cache_seconds`;
    bounded (the oldest removed past a fixed number of rows)."""

    __tablename__ = "public_cache"
    __module__ = FACADE
    key: str = Field(primary_key=True, max_length=64)
    code: str = Field(max_length=100, index=True)
    media: str = Field(max_length=100)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    built_at: float = Field(index=True)
