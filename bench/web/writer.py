"""The concurrent writer of bench/web/run.py `--writes`: other users writing elsewhere in the
country, through the service layer, in a process of their own.

    python bench/web/writer.py URL RATE CASE_ID [CASE_ID ...]

with MERZIM_TODAY set, and the code under test first on PYTHONPATH (this checkout's or the
previous head's: each writes as that code writes): RATE comments a second (each in its own
transaction, committed, as a web request would), on the cases named in turn, by the operator
(`services.comments.add_comment`: an audit record about the case, as every write of merzim
appends), until terminated; it prints "ready" once it can write, and the number of writes
done when it ends (SIGTERM).
RATE 0: one comment for each line read from stdin, "ok" printed once it is committed (the
benchmark's "right after a write": a write before each request)."""

from __future__ import annotations

import os
import signal
import sys
import time
from datetime import date


def main(argv: list[str]) -> int:
    stop = False

    def end(_sig, _frame) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, end)  # (before the imports: a slow start is not a failure)
    from calendars import KazakhstanCalendar
    from workflow import services as svc
    from workflow.definitions import load_registry
    from workflow.services.comments import add_comment
    from workflow.storage.db import make_engine, session

    try:  # the engine's features, as merzim's entry installs them
        from workflow.installed import install
    except ImportError:
        pass
    else:
        install()
    url, rate, cases = argv[0], float(argv[1]), [int(c) for c in argv[2:]]
    eng = make_engine(url)
    today = date.fromisoformat(os.environ["MERZIM_TODAY"])
    ctx = svc.Context(KazakhstanCalendar(), load_registry(), today, actor="bench-writer",
                      language="en")
    done = 0

    def write() -> None:
        nonlocal done
        with session(eng) as s:
            add_comment(s, ctx, cases[done % len(cases)], None, f"bench write {done}")
            s.commit()
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
        wait = start + done / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
    print(done, flush=True)
    eng.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
