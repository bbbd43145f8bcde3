"""Queries of the idempotency keys (`services/idempotency.py`): one user's key, and the keys
older than they are kept."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from workflow.storage.models import IdempotencyKey, table_of

KEEP_SECONDS = 24 * 3600  # how long a key answers; the worker deletes older ones


def key_of(s: Session, user_id: int, key: str) -> IdempotencyKey | None:
    """The row of a user's key (re-read from the database, whatever the session holds), or
    None."""
    return s.exec(select(IdempotencyKey)
                  .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
                  .execution_options(populate_existing=True)).first()


def forget_key(s: Session, user_id: int, key: str, before: float) -> None:
    """Delete a user's key when it was written before `before` (its day is over)."""
    s.execute(delete(table_of(IdempotencyKey))
              .where(table_of(IdempotencyKey).c.user_id == user_id,
                     table_of(IdempotencyKey).c.key == key,
                     table_of(IdempotencyKey).c.created_at < before))


def forget_keys(conn: Connection, before: float) -> int:
    """Delete every key written before `before`; how many (the index on created_at finds
    them)."""
    return conn.execute(delete(table_of(IdempotencyKey))
                        .where(col(IdempotencyKey.created_at) < before)).rowcount
