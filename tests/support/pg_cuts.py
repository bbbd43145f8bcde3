"""A PostgreSQL test database's connection cut under a running request, as a database restart
or a network failure cuts it: its backend terminated (pg_terminate_backend) from another
connection when the engine is about to run a given statement
(tests/web/test_database_away.py, tests/services/test_idempotency.py,
tests/operations/test_health_metrics.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

import psycopg
from sqlalchemy import event

from tests.support.databases import POSTGRES_URL


def terminate_backend(pid: int) -> None:
    """Terminate the PostgreSQL backend `pid` from a connection of its own."""
    assert POSTGRES_URL
    admin_url = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def listening(engine, **hooks: Callable) -> Callable[[], None]:
    """Each hook listening to the engine's event of its name ("commit",
    "before_cursor_execute", ...); what stops them all."""
    for name, hook in hooks.items():
        event.listen(engine, name, hook)

    def stop() -> None:
        for name, hook in hooks.items():
            event.remove(engine, name, hook)

    return stop


def terminate_before(engine, pattern: str) -> tuple[list[int], Callable[[], None]]:
    """Terminate the backend about to run the next statement matching `pattern` (a regular
    expression, case-insensitive): that statement meets a closed connection. Once. The pids
    terminated, and what stops listening."""
    wanted = re.compile(pattern, re.I | re.S)
    fired: list[int] = []

    def before(_conn, cursor, sql, _params, _context, _many):
        if not fired and wanted.search(sql):
            pid = cursor.connection.info.backend_pid  # psycopg's own, no statement sent
            terminate_backend(pid)
            fired.append(pid)

    return fired, listening(engine, before_cursor_execute=before)
