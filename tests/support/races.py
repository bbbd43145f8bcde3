"""Writers at once, as on two nodes of one database (the race tests: tests/imports/
test_mapping_race.py, tests/imports/test_done_work_race.py, tests/services/
test_joining_race.py): each in a thread with a session and a connection of its own, released
together by a barrier; `in_threads`, any work started in several threads and waited for;
and `opened_for`, what a joining race leaves an organisation (tests/operations/
test_joining_nodes.py too)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, text
from sqlmodel import Session, select

from workflow.storage.models import Case, Organisation


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

    in_threads(lambda k: run(writes[k]), len(writes), timeout)
    return failed


def in_threads(run: Callable[[int], None], n: int, timeout: float | None = None) -> None:
    """`run(k)` for each k of range(n), each in a thread of its own: all started, then each
    waited for (`timeout` seconds at most each)."""
    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)


def opened_for(s: Session, code: str) -> tuple[Organisation, int, int]:
    """The organisation `code`, its cases and their distinct (process, period)s: as many as
    its cases when no period was opened twice."""
    org = s.exec(select(Organisation).where(Organisation.code == code)).one()
    cases = s.exec(select(func.count()).select_from(Case).where(Case.subject_id == org.id)).one()
    periods = s.exec(select(func.count()).select_from(
        select(Case.process, Case.period).where(Case.subject_id == org.id)
        .distinct().subquery())).one()
    return org, cases, periods
