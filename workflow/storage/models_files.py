"""The tables of evidence files' content stored in the database: blobs and their chunks. Built when
one of their names is first asked of `workflow.storage.models`, whose models they are
(`__module__ = FACADE`: see there)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, LargeBinary
from sqlmodel import Field, SQLModel

from workflow.storage.models import FACADE


class FileBlob(SQLModel, table=True):
    """An evidence file's content stored in the database (PostgreSQL: every node reaches it),
    by its SHA-256; written with all its chunks in one transaction, never changed (0012)."""

    __tablename__ = "file_blob"
    __module__ = FACADE
    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    chunks: int
    stored_at: str = Field(max_length=40)


class FileChunk(SQLModel, table=True):
    """One piece of a stored blob, in order (`seq` from 0): a blob is read and written a chunk
    at a time, never whole in memory."""

    __tablename__ = "file_chunk"
    __module__ = FACADE
    sha256: str = Field(primary_key=True, max_length=64, foreign_key="file_blob.sha256")
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
