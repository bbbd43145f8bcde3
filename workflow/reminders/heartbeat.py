"""A worker's heartbeat: every worker process writes, every `[worker] heartbeat_seconds`, one
row of `worker_state` keyed by its host and process id, holding the time and what it has done
since it started (planner runs, messages planned, sent, retried and failed by channel).
`/readyz` wants one younger than three heartbeats; `/metrics` shows them all.
A row older than a day (a worker gone) is removed by the next heartbeat of any worker.

Re-plan runs (`merzim replan`, by whichever process) are counted in one row, `runs:replan`,
in the transaction of the re-plan itself (`count_replan`): how many, the last one's time and
the deadlines they moved; `/metrics` shows them with the workers' planner runs."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from workflow.storage.models import WorkerState

STATE = WorkerState.metadata.tables[str(WorkerState.__tablename__)]  # key, value

PREFIX = "heartbeat:"
FORGET_SECONDS = 24 * 3600  # a worker silent this long is gone: its row is removed


def worker_name() -> str:
    """This process: host:pid (cut to fit the key)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


@dataclass
class Beat:
    """What a heartbeat row holds (short keys: the value column holds 200 characters)."""

    worker: str
    at: float = 0.0
    started: float = 0.0
    plan_runs: int = 0  # planner passes that ran (a working day, the send time reached)
    plan_last: float = 0.0
    planned: int = 0  # messages the planner wrote
    sent: int = 0  # messages sent, retried later, failed for good
    retried: int = 0
    failed: int = 0

    def value(self) -> str:
        data = {"a": round(self.at, 1), "s": round(self.started, 1), "r": self.plan_runs,
                "l": round(self.plan_last, 1), "p": self.planned, "ok": self.sent,
                "t": self.retried, "f": self.failed}
        return json.dumps(data, separators=(",", ":"))[:200]

    @classmethod
    def read(cls, worker: str, value: str) -> Beat | None:
        try:
            data = json.loads(value)
            return cls(worker, float(data["a"]), float(data.get("s", 0)), int(data.get("r", 0)),
                       float(data.get("l", 0)), int(data.get("p", 0)),
                       int(data.get("ok", 0)), int(data.get("t", 0)), int(data.get("f", 0)))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def write(engine: Engine, beat: Beat) -> None:
    """Store this worker's row (one UPDATE, or the INSERT of its first beat) and forget the
    workers silent for a day; one short transaction."""
    key = (PREFIX + beat.worker)[:64]
    with engine.begin() as conn:
        done = conn.execute(update(STATE).where(STATE.c.key == key)
                            .values(value=beat.value())).rowcount
        if not done:
            conn.execute(insert(STATE).values(key=key, value=beat.value()))
        gone = [k for k, b in _rows(conn) if b is None or b.at < beat.at - FORGET_SECONDS]
        if gone:
            conn.execute(delete(STATE).where(STATE.c.key.in_(gone)))


def _rows(conn: Any) -> list[tuple[str, Beat | None]]:
    rows = conn.execute(select(STATE.c.key, STATE.c.value)
                        .where(STATE.c.key.startswith(PREFIX, autoescape=True))).all()
    return [(k, Beat.read(k[len(PREFIX):], v)) for k, v in rows]


REPLAN_KEY = "runs:replan"


@dataclass
class Runs:
    """A count of runs of a job done by any process (the re-plan): how many, the last one's
    time, and what they did (deadlines moved)."""

    runs: int = 0
    last: float = 0.0
    moved: int = 0

    def value(self) -> str:
        return json.dumps({"n": self.runs, "l": round(self.last, 1), "m": self.moved},
                          separators=(",", ":"))

    @classmethod
    def read(cls, value: str | None) -> Runs:
        try:
            data = json.loads(value or "{}")
            return cls(int(data.get("n", 0)), float(data.get("l", 0)), int(data.get("m", 0)))
        except (ValueError, TypeError, AttributeError):
            return cls()


def count_replan(conn: Any, moved: int, at: float) -> None:
    """One more re-plan run, in the caller's transaction (the row locked while it is counted,
    so two re-plans at once both count)."""
    found = conn.execute(select(STATE.c.value).where(STATE.c.key == REPLAN_KEY)
                         .with_for_update()).first()
    runs = Runs.read(found[0] if found else None)
    runs = Runs(runs.runs + 1, at, runs.moved + moved)
    if found:
        conn.execute(update(STATE).where(STATE.c.key == REPLAN_KEY).values(value=runs.value()))
    else:
        conn.execute(insert(STATE).values(key=REPLAN_KEY, value=runs.value()))


def replans(conn: Any) -> Runs:
    """The re-plan runs counted so far."""
    return Runs.read(conn.execute(select(STATE.c.value)
                                  .where(STATE.c.key == REPLAN_KEY)).scalar())


def beats(conn: Any) -> list[Beat]:
    """Every worker's last heartbeat, newest first."""
    found = [b for _k, b in _rows(conn) if b is not None]
    return sorted(found, key=lambda b: -b.at)
