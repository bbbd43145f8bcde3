"""What the unfinished imports' condition costs the lists: the root's overdue count, its
counts by organisation, its first overdue page, its due count and the overview, timed with
the condition (`queries.standing`, no import unfinished), without it (the same queries with
the term left out) and with an unfinished import (a range in `import_pending`), alternating,
over a dataset of `bench/web/run.py --build-only`.

    .venv/bin/python bench/web/run.py --analyses 4000 --stage-rows 200000 --build-only \\
        --workdir /tmp/merzim-bench-web
    .venv/bin/python bench/import/pending_reads.py \\
        --dataset /tmp/merzim-bench-web/national-4000-200000-20261122.db --backend both

Prints the median wall and CPU seconds of the five reads per variant and each against the
variant without the condition (PostgreSQL: wall only is the server's work too)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text, true  # noqa: E402

import bench.boot  # noqa: E402, F401  (the checkout's features installed)
from bench.web.run import DEFAULT_PG, TODAY, copy_to_postgres, drop_schema  # noqa: E402
from calendars import KazakhstanCalendar  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.definitions import load_definition  # noqa: E402
from workflow.services import lists, overview  # noqa: E402
from workflow.storage import queries  # noqa: E402
from workflow.storage.db import make_engine, session  # noqa: E402
from workflow.storage.models import Case, Organisation  # noqa: E402

VARIANTS = ("without", "with", "pending")


def reads(s: Any, ctx: Any, root: str) -> tuple:
    return (lists.count_overdue(s, ctx, root), lists.count_overdue_by_path(s, ctx, root),
            [r.stage_id for r in lists.overdue(s, ctx, root, limit=50)],
            lists.count_due(s, ctx, root, 5), repr(overview.by_organisation(s, ctx, root)))


def variant(name: str, eng: Any, high: int) -> None:
    """The condition as the variant has it (`without`: left out of every query)."""
    real = getattr(variant, "real", None) or (queries.standing, lists.standing)
    variant.real = real  # type: ignore[attr-defined]
    off = name == "without"
    queries.standing = (lambda _c: true()) if off else real[0]
    lists.standing = (lambda _c: true()) if off else real[1]
    with eng.begin() as conn:
        conn.execute(text("DELETE FROM import_pending"))
        if name == "pending":  # an unfinished import's range, of cases not in the lists
            conn.execute(text("INSERT INTO import_pending (import_id, low, high) "
                              "VALUES ('bench', :lo, :hi)"), {"lo": high + 1, "hi": high + 500})


def run(url: str, rounds: int) -> dict[str, Any]:
    eng = make_engine(url)
    ctx = svc.Context(KazakhstanCalendar(), load_definition(), TODAY, actor="bench",
                      language="en")
    with session(eng) as s:
        root = s.execute(select(Organisation.code).where(Organisation.parent_id.is_(None))
                         .order_by(Organisation.id)).scalars().first()
        high = s.execute(select(func.max(Case.id))).scalar_one() or 0
    got: dict[str, list[tuple[float, float]]] = {v: [] for v in VARIANTS}
    shown: dict[str, Any] = {}
    for i in range(rounds + 1):
        for name in VARIANTS:
            variant(name, eng, high)
            with session(eng) as s:
                t, c = time.perf_counter(), time.process_time()
                out = reads(s, ctx, root)
                wall, cpu = time.perf_counter() - t, time.process_time() - c
            shown.setdefault(name, out)
            assert out == shown["without"], f"{name}: other lists"  # the same rows
            if i:  # the first round warms the caches
                got[name].append((wall, cpu))
    variant("with", eng, high)
    eng.dispose()
    med = {v: (statistics.median(w for w, _ in got[v]), statistics.median(c for _, c in got[v]))
           for v in VARIANTS}
    return {"root": root, "rounds": rounds, "count_overdue": shown["with"][0],
            **{v: {"wall_s": med[v][0], "cpu_s": med[v][1],
                   "wall_ratio": med[v][0] / med["without"][0],
                   "cpu_ratio": med[v][1] / med["without"][1]} for v in VARIANTS}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", type=Path, required=True)
    p.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--postgres-url",
                   default=os.environ.get("MERZIM_BENCH_POSTGRES_URL", DEFAULT_PG))
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory(prefix="merzim-pending-reads-") as tmp:
        db = Path(tmp) / "bench.db"
        shutil.copy(a.dataset, db)
        if a.backend in ("sqlite", "both"):
            results["sqlite"] = run(f"sqlite:///{db}", a.rounds)
        if a.backend in ("postgres", "both"):
            url, schema = copy_to_postgres(db, a.postgres_url)
            try:
                results["postgres"] = run(url, a.rounds)
            finally:
                drop_schema(a.postgres_url, schema)
    print("| backend | variant | the five reads, wall ms | CPU ms | wall × | CPU × |")
    print("|---|---|---:|---:|---:|---:|")
    for backend, r in results.items():
        for v in VARIANTS:
            x = r[v]
            print(f"| {backend} | {v} | {x['wall_s'] * 1000:.1f} | {x['cpu_s'] * 1000:.1f} | "
                  f"{x['wall_ratio']:.2f} | {x['cpu_ratio']:.2f} |")
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
