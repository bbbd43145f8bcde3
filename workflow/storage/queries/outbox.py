"""Queries of the reminder outbox for the figures `/metrics` shows (`services/health.py`):
grouped counts on one connection, never a write."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from workflow.storage.models import OutboxMessage, table_of

OUTBOX = table_of(OutboxMessage)


def counts_by_channel_and_status(conn: Connection) -> list[Any]:
    """Rows (channel, status, how many messages)."""
    return list(conn.execute(select(OUTBOX.c.channel, OUTBOX.c.status, func.count())
                             .group_by(OUTBOX.c.channel, OUTBOX.c.status)).all())


def retrying_by_channel(conn: Connection) -> list[Any]:
    """Rows (channel, how many messages are pending after at least one failed attempt)."""
    return list(conn.execute(select(OUTBOX.c.channel, func.count())
                             .where(OUTBOX.c.status == "pending", OUTBOX.c.attempts > 0)
                             .group_by(OUTBOX.c.channel)).all())


def oldest_created(conn: Connection, statuses: Collection[str]) -> Any:
    """The oldest `created_at` (seconds since the epoch) of the messages in one of the
    statuses, or None when there is none."""
    return conn.execute(select(func.min(OUTBOX.c.created_at))
                        .where(OUTBOX.c.status.in_(statuses), OUTBOX.c.created_at > 0)).scalar()
