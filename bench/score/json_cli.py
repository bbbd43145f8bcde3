"""Benchmark of `merzim score ROOT --year Y --subtree --json` over a national tree: CPU,
peak memory and bytes printed of the command as a whole, next to the previous head's in the
same run, and the two documents compared value by value (every card, indicator, point and
word; the previous head's projects listed their indicators whole, this head's name them by
key: `projects[].keys`).

Run from the repository root on a database built by `run.py --keep --runs 0` (5,001 subjects):

    git worktree add --detach /tmp/merzim-prev HEAD~N      # the previous head, once
    .venv/bin/python bench/score/json_cli.py --database 'postgresql+psycopg://...' \
        [--previous /tmp/merzim-prev] [--runs 3] [--json PATH]

Each run is a fresh interpreter of the tree's own `.venv` when it has one (else this one),
the trees taking turns after one untimed run each (its modules' bytecode then cached, as an
installed merzim has it: an environment that forbids writing it, PYTHONDONTWRITEBYTECODE,
would have each run compile every module again, ~1 s); CPU (user + system) and the peak
resident set of that child alone (`os.wait4`), its output written to a file. The two
documents are compared byte for byte (`identical`), and value by value when they differ (a
previous head whose projects listed their indicators whole).
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.score.run import LAUNCH, TODAY, YEAR, stamp  # noqa: E402


def once(tree: Path, url: str, argv: list[str], out: Path) -> dict[str, float]:
    stamp(url, tree)
    python = tree / ".venv" / "bin" / "python"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MERZIM_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(tree), MERZIM_TODAY=TODAY.isoformat(), MERZIM_DATABASE_URL=url,
               MERZIM_LANG="en", COLUMNS="200")
    start = time.perf_counter()
    with out.open("wb") as sink:
        child = subprocess.Popen([str(python if python.exists() else sys.executable), "-c",
                                  LAUNCH, *argv], cwd=tree, env=env, stdout=sink,
                                 stderr=subprocess.PIPE)
        _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    assert os.waitstatus_to_exitcode(status) == 0, child.stderr.read() if child.stderr else ""
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "peak_mib": usage.ru_maxrss / 1024, "bytes": out.stat().st_size}


def same_values(previous: Path, now: Path) -> dict[str, Any]:
    """The two documents equal once the previous head's projects name their indicators by
    key (and those indicators were the card's own)."""
    identical = filecmp.cmp(previous, now, shallow=False)
    after = json.loads(now.read_text(encoding="utf-8"))
    before = after if identical else json.loads(previous.read_text(encoding="utf-8"))
    for card in before["subjects"] if not identical else ():
        own = {i["key"]: i for i in card["indicators"]}
        for p in card.get("projects", ()):
            listed = p.pop("indicators")
            assert all(own[i["key"]] == i for i in listed), card["subject"]
            p["keys"] = [i["key"] for i in listed]
    subjects = after["subjects"]
    return {"identical": identical, "equal": identical or before == after,
            "subjects": len(subjects),
            "indicators": sum(len(c["indicators"]) for c in subjects),
            "awards": round(sum(c["awards"] for c in subjects), 2),
            "deductions": round(sum(c["deductions"] for c in subjects), 2),
            "total": round(sum(c["total"] for c in subjects), 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database", required=True)
    p.add_argument("--previous", type=Path, help="a checkout of the previous head")
    p.add_argument("--root", default="RK")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    trees = {"now": ROOT, **({"previous": a.previous.resolve()} if a.previous else {})}
    command = ["score", a.root, "--year", str(YEAR), "--subtree", "--json"]
    out: dict[str, Any] = {"command": "merzim " + " ".join(command),
                           "machine": platform.node(), "python": platform.python_version(),
                           "load_before": os.getloadavg()[0]}
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="merzim-score-json-") as tmp:
        for name, tree in trees.items():  # untimed: the modules' bytecode cached
            once(tree, a.database, command, Path(tmp) / f"{name}.json")
        for run in range(a.runs):
            for name, tree in trees.items():
                figures[name].append(once(tree, a.database, command,
                                          Path(tmp) / f"{name}.json"))
                f = figures[name][-1]
                print(f"[{time.strftime('%H:%M:%S')}] {name} run {run + 1}: {f['cpu']:.2f} s "
                      f"CPU, {f['peak_mib']:.0f} MiB, {f['bytes']:,} bytes, load "
                      f"{os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
        if "previous" in trees:
            out["compared"] = same_values(Path(tmp) / "previous.json", Path(tmp) / "now.json")
    out["load_after"] = os.getloadavg()[0]
    out["figures"] = figures
    print(f"`{out['command']}`; load {out['load_before']:.1f} -> {out['load_after']:.1f}"
          + (f"; the same values: {out['compared']}" if "compared" in out else "") + "\n")
    print("| code | median CPU s | runs (CPU s) | peak MiB | bytes |")
    print("|---|---:|---|---:|---:|")
    for name, runs in figures.items():
        print(f"| {name} | {statistics.median(r['cpu'] for r in runs):.2f} | "
              f"{', '.join(format(r['cpu'], '.2f') for r in runs)} | "
              f"{max(r['peak_mib'] for r in runs):.0f} | {runs[-1]['bytes']:,.0f} |")
    if a.json:
        a.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0 if out.get("compared", {}).get("equal", True) else 1


if __name__ == "__main__":
    raise SystemExit(main())
