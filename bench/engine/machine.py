"""Micro-benchmark: replaying one analysis's state (`derive_state`) and listing what it accepts
(`CaseMachine.allowed`), the two calls every record, view and import makes per case.

Run from the repository root: `.venv/bin/python bench/engine/machine.py [--calls N]`.
Each figure is the best of 5 repeats of N calls (time.perf_counter), in microseconds a call.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bench.boot  # noqa: E402, F401  (the checkout's features installed)
from calendars import KazakhstanCalendar  # noqa: E402
from workflow.core.deadlines import Facts, Planner, Record  # noqa: E402
from workflow.core.machine import CaseMachine, derive_state  # noqa: E402
from workflow.definitions import load_definition  # noqa: E402


def best(fn, calls: int) -> float:
    out = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        out.append((time.perf_counter() - t) / calls * 1e6)
    return min(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    definition, cal = load_definition(), KazakhstanCalendar()
    first = definition.initial_state
    # a case with three records standing, replayed to a day after its timers
    events = [e for e in definition.events.values() if e.completes][:3]
    facts = Facts({k: date(2025, 3, 3) for k, d in definition.dates.items()
                   if d.given == "required"},
                  tuple(Record(e.key, date(2025, 2, 10 + i)) for i, e in enumerate(events)))
    dates = Planner(definition, cal, facts).dates()
    replay = best(lambda: derive_state(definition, facts.records, dates, date(2025, 6, 1)),
                  args.calls)
    allowed = best(lambda: CaseMachine(definition, first).allowed(), args.calls)
    print(f"derive_state: {replay:.1f} µs/call; CaseMachine(...).allowed(): {allowed:.1f} µs/call")


if __name__ == "__main__":
    main()
