"""Nothing that touches the database runs on the event loop.

A web process serves every request on one event loop; FastAPI runs `def` routes, dependencies
and exception handlers in its worker threads, `async def` ones on the loop. A database call on
the loop waits there for what it waits for (a lock, a pooled connection), and nothing else of
the process moves meanwhile -- not `/healthz`, not the very request that holds the lock and
needs the loop to finish it. So a refusal's audit record written by an `async` exception
handler, while another request of the process held the writers' lock, froze the process.

Every statement an application's engine runs passes `_before` (a SQLAlchemy
`before_cursor_execute` listener, installed by `web.app.create_app`): a statement sent from the
thread that runs an event loop is a mistake of the code. It is logged with where it came from,
kept in `found()` (the test suite fails the test that made one: tests/conftest.py), and with
`MERZIM_LOOP_GUARD=raise` (the test suite's setting) refused with `OnTheEventLoop` before it
reaches the database."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import traceback
from collections import deque

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
ENV = "MERZIM_LOOP_GUARD"  # "raise": a statement on the loop is refused (the tests); else logged
_FOUND: deque[str] = deque(maxlen=100)
_LOCK = threading.Lock()


class OnTheEventLoop(RuntimeError):
    """A database statement sent from the event loop's thread (a bug: see the module)."""


def on_the_loop() -> bool:
    """Whether this thread runs an event loop now (FastAPI's worker threads do not)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _before(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    if not on_the_loop():
        return
    where = "".join(traceback.format_stack(limit=12)[:-1])
    said = f"a database statement on the event loop: {str(statement)[:120]!r}\n{where}"
    with _LOCK:
        _FOUND.append(said)
    log.error("%s", said)
    if os.environ.get(ENV) == "raise":
        raise OnTheEventLoop(said)


def install(engine: Engine) -> None:
    """Watch every statement `engine` runs (once per engine, however many applications use
    it)."""
    if not event.contains(engine, "before_cursor_execute", _before):
        event.listen(engine, "before_cursor_execute", _before)


def found() -> list[str]:
    """The statements sent on an event loop since the last call (and forgets them)."""
    with _LOCK:
        seen = list(_FOUND)
        _FOUND.clear()
    return seen
