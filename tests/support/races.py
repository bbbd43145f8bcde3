"""Writers at once, as on two nodes of one database (the race tests: tests/imports/
test_mapping_race.py, tests/imports/test_done_work_race.py, tests/services/
test_joining_race.py): each in a thread with a session and a connection of its own, released
together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import text
from sqlmodel import Session


def at_once(engine, writes: list[Callable[[Session], None]], timeout: float = 300
            ) -> list[BaseException]:
    """Each of `writes` run with a session of its own, all released together; what each was
    refused (in the order refused)."""
    barrier = threading.Barrier(len(writes))
    failed: list[BaseException] = []

    def run(write: Callable[[Session], None]) -> None:
        with Session(engine) as s:
            s.execute(text("SELECT 1"))  # a connection of its own, ready
            barrier.wait()
            try:
                write(s)
            except BaseException as exc:  # noqa: BLE001 - what the writer was refused
                failed.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in writes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return failed
