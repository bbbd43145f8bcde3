"""The concurrent writer of bench/web/run.py `--writes`: other users writing elsewhere in the
country, through the service layer, in a process of their own.

    python bench/web/writer.py [--comments] URL RATE CASE_ID [CASE_ID ...]

with MERZIM_TODAY set, and the code under test first on PYTHONPATH (this checkout's or the
previous head's: each writes as that code writes): RATE writes a second (each in its own
transaction, committed, as a web request would), by the operator, until terminated; it prints
"ready" once it can write, and the number of writes done when it ends (SIGTERM).
RATE 0: one write for each line read from stdin, "ok" printed once it is committed (the
benchmark's "right after a write": a write before each request).

The writes are **stage writes only**, in a cycle of two on one case at a time (the cases named
that have a recorded event, taken in turn), each changing a stage:
1. the case's last recorded event voided (`services.void_record`: its stage open again, the
   case re-planned: the lists' counts and rows, the managers' escalations may change);
2. the same event recorded again, on the same day with the same evidence
   (`services.record_event`: the stage done again), so the data stay as they were.
With `--comments`, comments only (`services.comments.add_comment`: the case's page and the
centres of those it mentions, no list): what run.py reports apart from the stage writes.
A write refused (nothing stored) is told on stderr and not counted."""

from __future__ import annotations

import os
import signal
import sys
import time
from datetime import date
from typing import Any


def main(argv: list[str]) -> int:
    stop = False

    def end(_sig, _frame) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, end)  # (before the imports: a slow start is not a failure)
    from sqlalchemy import select

    from calendars import KazakhstanCalendar
    from workflow import services as svc
    from workflow.core.errors import MerzimError
    from workflow.definitions import load_registry
    from workflow.services.comments import add_comment
    from workflow.storage.db import make_engine, session
    from workflow.storage.models import EventRecord

    try:  # the engine's features, as merzim's entry installs them
        from workflow.installed import install
    except ImportError:
        pass
    else:
        install()
    comments_only = argv[:1] == ["--comments"]
    url, given_rate, *named = argv[1:] if comments_only else argv
    rate = float(given_rate)
    eng = make_engine(url)
    today = date.fromisoformat(os.environ["MERZIM_TODAY"])
    ctx = svc.Context(KazakhstanCalendar(), load_registry(), today, actor="bench-writer",
                      language="en")

    def last_event(s: Any, case: int) -> Any:
        """The case's last recorded event not voided (None: none)."""
        return s.execute(select(EventRecord).where(
            EventRecord.case_id == case, EventRecord.kind == "event",
            EventRecord.voided_by_id.is_(None)).order_by(EventRecord.id.desc())
            .limit(1)).scalars().first()

    with session(eng) as s:
        cases = [c for c in map(int, named) if last_event(s, c) is not None] or \
            [int(c) for c in named]
    done = tried = 0
    voided: dict[int, tuple[str, date, Any]] = {}  # case → the event voided, to record again

    def write() -> None:
        nonlocal done, tried
        step = 0 if comments_only else 1 + tried % 2  # 0 a comment, 1 a void, 2 a record
        case = cases[(tried if comments_only else tried // 2) % len(cases)]
        tried += 1
        with session(eng) as s:
            try:
                if step == 0:
                    add_comment(s, ctx, case, None, f"bench write {tried}")
                elif step == 1:
                    record = last_event(s, case)
                    if record is None:
                        raise LookupError(f"case {case} has no event to void")
                    voided[case] = (record.event, record.on, record.evidence)
                    svc.void_record(s, ctx, case, str(record.id), "bench: voided, recorded again")
                else:
                    event, on, evidence = voided.pop(case)
                    svc.record_event(s, ctx, case, event, on, evidence, repeat=True)
                s.commit()
            except (MerzimError, LookupError, KeyError) as exc:
                s.rollback()
                print(f"refused: step {step} on case {case}: {exc}", file=sys.stderr,
                      flush=True)
                return
        done += 1

    print("ready", flush=True)
    if rate == 0:
        for _line in sys.stdin:
            write()
            print("ok", flush=True)
        return 0
    start = time.perf_counter()
    while not stop:
        write()
        wait = start + tried / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
    for case, (event, on, evidence) in voided.items():  # stopped between the two: undone
        with session(eng) as s:
            svc.record_event(s, ctx, case, event, on, evidence, repeat=True)
            s.commit()
    print(done, flush=True)
    eng.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
