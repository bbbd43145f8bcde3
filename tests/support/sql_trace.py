"""The SQL statements an engine sends while a block runs (a SQLAlchemy event on the engine:
every statement, as the driver gets it), for tests that count what a request costs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event


@contextlib.contextmanager
def statements(engine: Any) -> Iterator[list[str]]:
    """The statements `engine` sends while the block runs, in order."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextlib.contextmanager
def statements_with_parameters(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """The statements `engine` sends while the block runs, each with its parameters as the
    driver gets them (a tuple, or a dict of named ones), in order."""
    sent: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, params, _context, _many):
        sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
