"""What a load balancer and a monitoring system ask of merzim: is the database
reachable, is its schema this merzim's (`/readyz`), is a worker alive (reported there, and in
`/metrics`, where an alert on its heartbeat belongs); and the figures
`/metrics` shows: the outbox (depth, the oldest unsent message, sent and failed by channel)
and every worker's heartbeat (workflow/reminders/heartbeat.py). Reads only, one short
connection each; never a write."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from workflow.reminders import heartbeat
from workflow.storage import db
from workflow.storage.queries import outbox as queries

UNSENT = ("pending", "sending")


@dataclass
class Readiness:
    """Each check's outcome (True: fine) and, when not, why, in English for the operator."""

    database: bool = False
    schema: bool = False
    worker: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """A web node serves when its database answers at this merzim's schema; a stopped
        reminder worker is reported (`worker`, `problems`, /metrics) but takes no node out:
        the dashboard keeps serving while reminders wait."""
        return self.database and self.schema

    def as_dict(self) -> dict:
        return {"ready": self.ready, "database": self.database, "schema": self.schema,
                "worker": self.worker, "problems": self.problems}


def readiness(engine: Engine, heartbeat_seconds: float, now: float | None = None) -> Readiness:
    """The database answers, its schema is at this merzim's head (ready), and whether some
    worker's heartbeat is younger than three heartbeats (reported)."""
    now = time.time() if now is None else now
    out = Readiness()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            out.database = True
            current = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() \
                if inspect(conn).has_table("alembic_version") else None
            out.schema = current == db.HEAD_REVISION
            if not out.schema:
                out.problems.append(f"schema at {current or 'nothing'}, this merzim needs "
                                    f"{db.HEAD_REVISION}")
            beats = heartbeat.beats(conn) if out.schema else []
    except Exception as exc:  # noqa: BLE001 - any failure to reach it is "not ready"
        out.problems.append(f"database: {type(exc).__name__}")
        return out
    fresh = [b for b in beats if now - b.at <= 3 * heartbeat_seconds]
    out.worker = bool(fresh)
    if not fresh:
        out.problems.append("no worker heartbeat in the last "
                            f"{3 * heartbeat_seconds:g} s" + (
                                f" (the newest is {now - beats[0].at:.0f} s old)" if beats else ""))
    return out


@dataclass
class Figures:
    """What /metrics reads from the database at each scrape."""

    unsent: dict[str, int]  # pending or being sent, by channel
    oldest_unsent_age: float  # seconds; 0 when nothing waits
    messages: dict[tuple[str, str], int]  # (channel, status) → rows
    retrying: dict[str, int]  # pending after at least one failed attempt, by channel
    beats: list[heartbeat.Beat]
    replans: heartbeat.Runs = field(default_factory=heartbeat.Runs)  # `merzim replan` runs


def figures(engine: Engine, now: float | None = None) -> Figures:
    now = time.time() if now is None else now
    with engine.connect() as conn:
        counts = queries.counts_by_channel_and_status(conn)
        retrying = queries.retrying_by_channel(conn)
        oldest = queries.oldest_created(conn, UNSENT)
        beats = heartbeat.beats(conn)
        replans = heartbeat.replans(conn)
    messages = {(str(c), str(st)): int(n) for c, st, n in counts}
    unsent: dict[str, int] = {}
    for (channel, status), n in messages.items():
        if status in UNSENT:
            unsent[channel] = unsent.get(channel, 0) + n
    age = max(0.0, now - float(oldest)) if oldest else 0.0
    return Figures(unsent, age, messages, {str(c): int(n) for c, n in retrying}, beats, replans)
