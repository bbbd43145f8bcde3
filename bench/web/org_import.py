"""`org import` of 5,000 organisations against ten imports of 500: linear or not.

Run from the repository root:

    git worktree add --detach /tmp/merzim-prev REF         # the previous head, once
    .venv/bin/python bench/web/org_import.py [--backend sqlite|postgres|both] \
        [--previous /tmp/merzim-prev] [--repeats 2] [--json PATH]

For each backend, code (this checkout; `--previous DIR`: that checkout, imported first on
the path) and repeat, alternating, in a fresh database each (a SQLite file, a PostgreSQL
schema dropped after): a root organisation, then `services.import_orgs` of the rows in one
transaction as `merzim org import FILE` runs it — once with 5,000 rows, and ten times with
500 (another fresh database, each import its own transaction, the later ones' parents among
the earlier ones'). Rows: districts under the root, each with nine departments under it.
The figure is the wall time of the imports and their commits (the process's start-up and the
CSV's reading are not in it; both are the same for either code); the goal is 5,000 within 2×
the ten imports of 500 together.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def rows(first: int, n: int) -> list[dict[str, str]]:
    out = []
    for i in range(first, first + n):
        district = i - i % 10
        out.append({"code": f"ORG-{i:05d}", "name": f"Organisation {i}",
                    "kind": "district_akimat" if i == district else "department",
                    "parent": "KZ" if i == district else f"ORG-{district:05d}",
                    "name_kk": f"Ұйым {i}", "name_ru": f"Организация {i}"})
    return out


def child(url: str, sizes: list[int]) -> list[float]:
    """In this process (the code on the path): a fresh schema at `url`, the root, then one
    import per size in turn; the seconds of each import with its commit."""
    from calendars import KazakhstanCalendar
    from workflow import services as svc
    from workflow.definitions import load_definition
    from workflow.imports.organisations import import_orgs
    from workflow.storage.db import make_engine, session, upgrade

    eng = make_engine(url)
    upgrade(eng)
    ctx = svc.Context(KazakhstanCalendar(), load_definition(), date(2026, 3, 2), actor="bench",
                      language="en")
    with session(eng) as s:
        svc.add_org(s, ctx, "KZ", "Republic", "central_body")
        s.commit()
    times, first = [], 0
    for n in sizes:
        batch = rows(first, n)
        first += n
        t0 = time.perf_counter()
        with session(eng) as s:
            import_orgs(s, ctx, batch)
            s.commit()
        times.append(time.perf_counter() - t0)
    eng.dispose()
    return times


def measure(code: Path, backend: str, sizes: list[int], pg: str, tmp: Path) -> list[float]:
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'orgs-{uuid.uuid4().hex[:8]}.db'}"
    else:
        from sqlalchemy import create_engine, text

        schema = f"merzim_bench_orgs_{uuid.uuid4().hex[:8]}"
        admin = create_engine(pg)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
    env = {**os.environ, "PYTHONPATH": str(code)}
    try:
        out = subprocess.run([sys.executable, __file__, "--child", url,
                              ",".join(map(str, sizes))], env=env, check=True, cwd=tmp,
                             capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if schema:
            from sqlalchemy import create_engine, text

            admin = create_engine(pg)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text(encoding="ascii").split()[0])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--previous", type=Path)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--postgres-url", default=os.environ.get("MERZIM_BENCH_POSTGRES_URL",
                                                            DEFAULT_PG))
    p.add_argument("--json", type=Path)
    p.add_argument("--child", nargs=2, metavar=("URL", "SIZES"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(child(a.child[0], [int(x) for x in a.child[1].split(",")])))
        return 0
    codes = [("this", ROOT)] + ([("previous", a.previous)] if a.previous else [])
    backends = ["sqlite", "postgres"] if a.backend == "both" else [a.backend]
    results = []
    with tempfile.TemporaryDirectory(prefix="merzim-bench-orgs-") as tmp:
        for backend in backends:
            for r in range(a.repeats):
                for name, code in codes if r % 2 == 0 else codes[::-1]:
                    load0 = loadavg()
                    whole = measure(code, backend, [5000], a.postgres_url, Path(tmp))[0]
                    tens = measure(code, backend, [500] * 10, a.postgres_url, Path(tmp))
                    res = {"backend": backend, "code": name, "repeat": r + 1,
                           "one_5000_s": whole, "ten_500_s": sum(tens), "each_500_s": tens,
                           "ratio": whole / sum(tens), "loadavg": [load0, loadavg()]}
                    results.append(res)
                    print(f"{backend} {name} #{r + 1}: 5,000 in {whole:.2f} s; 10 × 500 in "
                          f"{sum(tens):.2f} s (first {tens[0]:.2f}, last {tens[-1]:.2f}); "
                          f"ratio {res['ratio']:.2f}; load {load0:.1f}-{res['loadavg'][1]:.1f}",
                          file=sys.stderr, flush=True)
    print("| backend | code | 5,000 in one import s | 10 × 500 s (first / last) | ratio | load |")
    print("|---|---|---:|---:|---:|---|")
    for x in results:
        print(f"| {x['backend']} | {x['code']} | {x['one_5000_s']:.2f} | {x['ten_500_s']:.2f} "
              f"({x['each_500_s'][0]:.2f} / {x['each_500_s'][-1]:.2f}) | {x['ratio']:.2f} "
              f"| {x['loadavg'][0]:.1f}-{x['loadavg'][1]:.1f} |")
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
