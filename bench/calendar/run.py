"""Benchmark of the Kazakh working-day calendar against workalendar and the day-by-day walk.

Run from the repository root:

    .venv/bin/python bench/calendar/run.py [--json PATH] [--quick]

One run, the same inputs for every implementation:

* `N` start dates drawn uniformly (fixed seed) from every day of the sample years,
  weekends and holidays included, and a step of `DELTA` working days;
* ours: `KazakhstanCalendar().add_working_days` (flat lookup tables keyed by the date),
  `sub_working_days`, `get_working_days_delta`, `is_working_day`;
* previous: the same calls on the previous head's calendar (commit 1056b99, its
  ordinal index kept verbatim in `bench/calendar/previous.py`), timed in the same run;
* workalendar 17's own `workalendar.asia.Kazakhstan`, which walks day by day; its
  holiday cache is warmed for every year the inputs touch before timing;
* our definitional walk `KazakhstanCalendar().walk_add_working_days` (workalendar's
  `Calendar.add_working_days` loop over our days);
* 1,000,000 due dates: `add_working_days` over varied start dates and steps of 1-30
  working days, the way the engine computes stage due dates.

Each figure is the best of several repeats (time.perf_counter, garbage collector off
as in timeit) divided by the number of calls; the loop and call overhead of the
benchmark itself is included, which makes our figures larger and the ratios smaller.
Before any timing the script asserts that ours equals the walk on every benchmarked
input, so the speed is not bought with wrong answers.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

from workalendar.asia import Kazakhstan  # noqa: E402

from bench.calendar.previous import PreviousKazakhstanCalendar  # noqa: E402
from bench.host import cpu_model, package_version  # noqa: E402, F401
from calendars import KazakhstanCalendar  # noqa: E402
from calendars.rules import is_working  # noqa: E402

ADD_RATIO_MIN = 100.0  # the goal: add_working_days >= 100x faster than workalendar
DUE_DATES_MAX_S = 3.0  # acceptance: 1,000,000 due dates in under 3 seconds


# -- machine ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "workalendar": package_version("workalendar"),
        # Other processes compete on a shared machine; the 1-minute load says how much.
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


# -- inputs ---------------------------------------------------------------------------------


def days_of(first_year: int, last_year: int) -> list[date]:
    first, last = date(first_year, 1, 1), date(last_year, 12, 31)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def start_dates(rng: random.Random, pool: Sequence[date], n: int) -> list[date]:
    return [rng.choice(pool) for _ in range(n)]


# -- timing ---------------------------------------------------------------------------------


def loop_seconds(fn: Callable[[Any, Any], Any], args: Sequence[tuple[Any, Any]]) -> float:
    """Seconds for one loop calling fn(a, b) over `args`, garbage collector off as in timeit."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for a, b in args:
            fn(a, b)
        return time.perf_counter() - t0
    finally:
        if enabled:
            gc.enable()


def interleaved(cases: dict[str, tuple[Callable[[Any, Any], Any], Sequence[tuple[Any, Any]]]],
                repeats: int) -> dict[str, list[float]]:
    """Per-call seconds of every case in every repeat.

    The cases take turns within each repeat, so that a slow or fast spell of a shared
    machine falls on all of them alike rather than on whichever was measured then.
    """
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, (fn, args) in cases.items():
            times[name].append(loop_seconds(fn, args) / len(args))
    return times


def check(ok: bool, what: Any) -> None:
    """Stop the benchmark on a wrong answer (an `assert` that `python -O` does not remove)."""
    if not ok:
        raise AssertionError(f"ours differs from the day-by-day walk at {what}")


def us(seconds: float) -> float:
    return seconds * 1e6


# -- the benchmark --------------------------------------------------------------------------


def run(n: int, delta: int, seed: int, repeats: int, due_dates: int, due_repeats: int,
        first_year: int, last_year: int, verify_all_due: bool) -> dict[str, Any]:
    rng = random.Random(seed)
    pool = days_of(first_year, last_year)
    starts = start_dates(rng, pool, n)

    t0 = time.perf_counter()
    ours = KazakhstanCalendar()
    build_s = time.perf_counter() - t0

    prev = PreviousKazakhstanCalendar()
    wk = Kazakhstan()
    # workalendar warns on every year that its Islamic dates are estimates; not our concern.
    warnings.filterwarnings("ignore", message="Please take note that, due to arbitrary")
    # Warm workalendar's per-year holiday cache for every year a step can touch, so that
    # its figure is the walk alone, not the first computation of a year's holidays.
    for year in range(first_year - 1, last_year + 2):
        wk.holidays(year)

    add_args = [(d, delta) for d in starts]
    delta_args = [(d, ours.add_working_days(d, delta)) for d in starts]

    day_args = [(d, None) for d in starts]  # is_working_day(day, extra_working_days=None)

    # Correctness first: ours equals the definitional walk (and the previous head) on
    # every input.
    for d in starts:
        check(ours.add_working_days(d, delta) == ours.walk_add_working_days(d, delta), d)
        check(ours.sub_working_days(d, delta) == ours.walk_add_working_days(d, -delta), d)
        check(ours.add_working_days(d, delta) == prev.add_working_days(d, delta), d)
        check(ours.sub_working_days(d, delta) == prev.sub_working_days(d, delta), d)
        check(ours.is_working_day(d) is prev.is_working_day(d), d)
        check(ours.is_working_day(d) is is_working(d, ours.year_days(d.year)), d)
    for a, b in delta_args:
        check(ours.get_working_days_delta(a, b) == ours.walk_working_days_delta(a, b), (a, b))
        check(ours.get_working_days_delta(a, b) == delta, (a, b))
        check(ours.get_working_days_delta(a, b) == prev.get_working_days_delta(a, b), (a, b))
    wk_differs = sum(ours.add_working_days(d, delta) != wk.add_working_days(d, delta)
                     for d in starts)

    def walk_sub(d: date, k: int) -> date:
        return ours.walk_add_working_days(d, -k)

    def bare(a: Any, b: Any) -> Any:
        return a

    def walk_day(d: date, _: Any) -> bool:
        return is_working(d, ours.year_days(d.year))  # the year rules, without the tables

    walks = {"add_working_days": ours.walk_add_working_days, "sub_working_days": walk_sub,
             "get_working_days_delta": ours.walk_working_days_delta, "is_working_day": walk_day}
    args_of = {"add_working_days": add_args, "sub_working_days": add_args,
               "get_working_days_delta": delta_args, "is_working_day": day_args}
    cases = {(op, impl): (fn, args) for op, args in args_of.items()
             for impl, fn in (("ours", getattr(ours, op)), ("previous", getattr(prev, op)),
                              ("walk", walks[op]), ("workalendar", getattr(wk, op)))}
    cases["overhead", "bare"] = (bare, add_args)
    for fn, args in cases.values():  # warm-up pass, not timed
        loop_seconds(fn, args[:1000])
    times = interleaved(cases, repeats)
    ops: dict[str, dict[str, float]] = {}
    for (op, impl), per_call in times.items():
        ops.setdefault(op, {})[impl] = min(per_call)
    overhead = ops.pop("overhead")["bare"]
    add_round_ratios = [
        w / o for w, o in zip(times[("add_working_days", "workalendar")],
                              times[("add_working_days", "ours")], strict=True)
    ]

    # 1,000,000 due dates: varied start dates and stage lengths of 1-30 working days.
    due_args = [(rng.choice(pool), rng.randint(1, 30)) for _ in range(due_dates)]
    distinct = set(due_args)
    ordered = sorted(distinct)
    checked = ordered if verify_all_due else rng.sample(ordered, min(20_000, len(ordered)))
    for d, k in checked:
        check(ours.add_working_days(d, k) == ours.walk_add_working_days(d, k), (d, k))
    due_runs, due_prev_runs = [], []
    for _ in range(due_repeats):  # taking turns, as above
        due_runs.append(loop_seconds(ours.add_working_days, due_args))
        due_prev_runs.append(loop_seconds(prev.add_working_days, due_args))
    due_s = min(due_runs)

    result: dict[str, Any] = {
        "date": date.today().isoformat(),
        "machine": machine(),
        "inputs": {
            "calls": n,
            "delta": delta,
            "seed": seed,
            "repeats": repeats,
            "start_dates_from": f"{first_year}-01-01",
            "start_dates_to": f"{last_year}-12-31",
            "calendar_years": f"{ours.first_year}-{ours.last_year}",
            "workalendar_cache_warmed": f"{first_year - 1}-{last_year + 1}",
        },
        "us_per_call": {op: {k: us(v) for k, v in figs.items()} for op, figs in ops.items()},
        "ratios": {
            op: {
                "workalendar/ours": figs["workalendar"] / figs["ours"],
                "walk/ours": figs["walk"] / figs["ours"],
                "previous/ours": figs["previous"] / figs["ours"],
            }
            for op, figs in ops.items()
        },
        "add_working_days_ratio_each_repeat": add_round_ratios,
        "us_per_call_each_repeat": {
            f"{op} {impl}": [us(t) for t in per_call] for (op, impl), per_call in times.items()
        },
        "loop_overhead_us_per_call": us(overhead),
        "calendar_build_ms": build_s * 1e3,
        "verified": {
            "ours_equals_walk_inputs": n,
            "due_date_pairs_distinct": len(distinct),
            "due_date_pairs_checked": len(checked),
            "workalendar_kazakhstan_differs_on": wk_differs,
        },
        "due_dates": {
            "count": due_dates,
            "repeats": due_repeats,
            "deltas": "1-30",
            "seconds": due_s,
            "seconds_each_repeat": due_runs,
            "us_per_call": us(due_s / due_dates),
            "seconds_with_build": due_s + build_s,
            "previous_seconds": min(due_prev_runs),
            "previous_seconds_each_repeat": due_prev_runs,
        },
    }
    add_ratio = result["ratios"]["add_working_days"]["workalendar/ours"]
    million_s = due_s * 1_000_000 / due_dates  # exact unless --due-dates/--quick changed it
    result["acceptance"] = {
        "add_working_days_vs_workalendar": {
            "required": f">= {ADD_RATIO_MIN:g}x",
            "measured": f"{add_ratio:.1f}x",
            "holds": add_ratio >= ADD_RATIO_MIN,
        },
        "one_million_due_dates": {
            "required": f"< {DUE_DATES_MAX_S:g} s",
            "measured": f"{million_s:.3f} s" + (
                "" if due_dates == 1_000_000 else f" (scaled from {due_dates:,} calls)"),
            "holds": million_s < DUE_DATES_MAX_S,
        },
    }
    return result


# -- output ---------------------------------------------------------------------------------


def markdown(r: dict[str, Any]) -> str:
    m, i, v, due = r["machine"], r["inputs"], r["verified"], r["due_dates"]
    lines = [
        f"Calendar benchmark, {r['date']}",
        "",
        f"Machine: {m['platform']}; {m['cpu']}; {m['cpu_count']} CPUs; {m['python']}; "
        f"workalendar {m['workalendar']}; load average {m['load_average_1min']} at start",
        "",
        f"Inputs: {i['calls']:,} start dates from {i['start_dates_from']} to "
        f"{i['start_dates_to']} (seed {i['seed']}), step {i['delta']} working days; "
        f"best of {i['repeats']} repeats; workalendar's holiday cache warmed for "
        f"{i['workalendar_cache_warmed']} before timing.",
        "",
        "| operation | ours (tables) µs/call | previous head µs/call | walk µs/call "
        "| workalendar KZ µs/call | workalendar/ours | previous/ours | walk/ours |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for op, figs in r["us_per_call"].items():
        ratio = r["ratios"][op]
        lines.append(
            f"| `{op}` | {figs['ours']:.3f} | {figs['previous']:.3f} | {figs['walk']:.2f} "
            f"| {figs['workalendar']:.2f} | {ratio['workalendar/ours']:.1f}× "
            f"| {ratio['previous/ours']:.1f}× | {ratio['walk/ours']:.1f}× |"
        )
    rr = r["add_working_days_ratio_each_repeat"]
    lines += [
        "",
        f"workalendar/ours for `add_working_days` within each repeat (the two timed "
        f"back to back): {min(rr):.1f}× to {max(rr):.1f}×.",
        "",
        f"{due['count']:,} due dates (`add_working_days`, one call each, steps "
        f"{due['deltas']} working days, best of {due['repeats']}): {due['seconds']:.3f} s "
        f"({due['us_per_call']:.2f} µs/call); slowest repeat "
        f"{max(due['seconds_each_repeat']):.3f} s; with building the calendar once "
        f"({r['calendar_build_ms']:.1f} ms): {due['seconds_with_build']:.3f} s. The previous "
        f"head's calendar on the same calls: {due['previous_seconds']:.3f} s.",
        "",
        f"Loop and call overhead of the benchmark (a bare two-argument function): "
        f"{r['loop_overhead_us_per_call']:.2f} µs/call, included in every figure above.",
        "",
        f"Verified: ours equals the day-by-day walk for all {v['ours_equals_walk_inputs']:,} "
        f"inputs (add, sub, delta) and for {v['due_date_pairs_checked']:,} of "
        f"{v['due_date_pairs_distinct']:,} distinct (date, step) pairs of the due-date run. "
        f"workalendar's Kazakhstan answers differently on "
        f"{v['workalendar_kazakhstan_differs_on']:,} of the {i['calls']:,} add inputs "
        "(its Kazakh data is out of date).",
        "",
        "Acceptance:",
    ]
    for name, acc in r["acceptance"].items():
        verdict = "holds" if acc["holds"] else "DOES NOT HOLD"
        lines.append(f"* {name}: required {acc['required']}, measured {acc['measured']} "
                     f"— {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    p.add_argument("--calls", type=int, default=20_000, help="start dates (default 20000)")
    p.add_argument("--delta", type=int, default=10, help="working days per step (default 10)")
    p.add_argument("--seed", type=int, default=20261122)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--due-dates", type=int, default=1_000_000)
    p.add_argument("--due-repeats", type=int, default=3)
    p.add_argument("--first-year", type=int, default=2018)
    p.add_argument("--last-year", type=int, default=2027)
    p.add_argument("--quick", action="store_true",
                   help="small run to check the script (2,000 calls, 100,000 due dates)")
    a = p.parse_args(argv)
    if a.quick:
        a.calls, a.repeats, a.due_dates, a.due_repeats = 2_000, 2, 100_000, 1
    result = run(a.calls, a.delta, a.seed, a.repeats, a.due_dates, a.due_repeats,
                 a.first_year, a.last_year, verify_all_due=not a.quick)
    print(markdown(result))
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")
    return 0 if all(acc["holds"] for acc in result["acceptance"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
