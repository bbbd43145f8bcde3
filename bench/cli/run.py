"""A quick CLI: the wall and CPU time of `merzim` commands, each in a fresh
process as an officer runs it, next to the previous head's in the same run.

Run from the repository root:

    .venv/bin/python bench/cli/run.py [--runs 9] [--backend sqlite|postgresql|both]
        [--previous f0d45c2] [--previous-tree PATH] [--json PATH] [--quick]

Each command runs `--runs` times per tree (median reported, every run kept in the JSON), in a
fresh interpreter started as the console script starts it (`from workflow.cli import main;
main()`), the trees taking turns so that both see the same load:

* `current`: this checkout;
* `previous`: the previous head (`--previous`, default f0d45c2, the head before this work),
  checked out with `git worktree add --detach` under /tmp unless `--previous-tree` names a
  checkout; both run with the same virtual environment, PYTHONPATH pointing at the tree.

Commands: `--version`, `--help`, `calendar add 2026-01-05 3` (in Kazakh, the default language,
and in English), then `status 1` and `overdue` on a small database — the demo (`init --demo`,
run by each tree on a database of its own: a SQLite file, or a PostgreSQL schema dropped at the
end) — on each backend. MERZIM_TODAY pins the day (2026-11-23). Wall time is measured around
the child process; CPU time is the child's user + system time (getrusage). The 1-minute load
average is printed before and after each command.

Goals: `calendar add` under 0.3 s and `status ID` under 0.8 s wall on an idle machine, and
`status ID` within 1.5× of a bare `python -c "import sqlalchemy, sqlmodel"` (the
bare import also takes a turn in each round of `status`, after both trees, and each tree's
`status` is compared with those runs by CPU time; the row "bare import" is timed on its own,
like the other commands). The exit code is 0 when all hold on every backend measured, else 1
(a loaded machine may miss them: the load is recorded next to each figure).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PREVIOUS = "f0d45c2"
TODAY = "2026-11-23"
GOALS = {"calendar add": 0.3, "status": 0.8}  # seconds of wall time, idle machine
LAUNCH = "import sys; from workflow.cli import main; sys.argv[0] = 'merzim'; sys.exit(main())"
BARE = "import sqlalchemy, sqlmodel"  # what any command on the database imports at least
WITHIN = 1.5  # `status ID` within this many times the bare import's CPU time
POSTGRES = os.environ.get("MERZIM_BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")

PLAIN = [  # (label, argv, MERZIM_LANG or None for the configured default: kk); argv None: BARE
    ("bare import", None, None),
    ("--version", ["--version"], None),
    ("--help", ["--help"], None),
    ("calendar add (kk)", ["calendar", "add", "2026-01-05", "3"], None),
    ("calendar add (en)", ["calendar", "add", "2026-01-05", "3"], "en"),
]
DATABASE = [
    ("status 1", ["status", "1"], None),
    ("overdue", ["overdue"], None),
]


def load() -> float:
    return round(os.getloadavg()[0], 2)


def previous_tree(rev: str, given: str | None) -> Path:
    """A checkout of the previous head: the one given, or a detached worktree under /tmp."""
    if given:
        return Path(given)
    path = Path(tempfile.gettempdir()) / f"merzim-cli-previous-{rev}"
    if not (path / "workflow" / "cli").is_dir():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), rev],
                       check=True, capture_output=True)
    return path


def compile_tree(tree: Path) -> None:
    """Each tree's bytecode written before anything is timed, as an installed package has it:
    with PYTHONDONTWRITEBYTECODE set (this machine's shells set it) a fresh worktree, or a file
    changed since its .pyc, would be compiled again in every run (~0.5 G instructions of
    `status`, more than what is measured)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", *(
        str(tree / package) for package in ("workflow", "calendars", "notifications", "web"))],
                   env=env, check=True, capture_output=True)


def environment(tree: Path, url: str | None, lang: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MERZIM_") and k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(tree), MERZIM_TODAY=TODAY, COLUMNS="120")
    if url:
        env["MERZIM_DATABASE_URL"] = url
    if lang:
        env["MERZIM_LANG"] = lang
    return env


def command(argv: list[str] | None) -> list[str]:
    """The interpreter's command line: merzim ARGV, or the bare import when `argv` is None."""
    return [sys.executable, "-c", BARE] if argv is None else [sys.executable, "-c", LAUNCH, *argv]


def once(tree: Path, argv: list[str] | None, cwd: Path, url: str | None,
         lang: str | None) -> tuple[float, float, int]:
    """One run in a fresh interpreter: (wall s, CPU s, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command(argv), cwd=cwd,
                            env=environment(tree, url, lang), capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.returncode


def output(tree: Path, argv: list[str] | None, cwd: Path, url: str | None,
           lang: str | None) -> str:
    result = subprocess.run(command(argv), cwd=cwd,
                            env=environment(tree, url, lang), capture_output=True, text=True)
    return result.stdout + result.stderr


def measure(trees: dict[str, Path], label: str, argv: list[str] | None, lang: str | None,
            runs: int, cwds: dict[str, Path], urls: dict[str, str | None], backend: str,
            bare: bool = False) -> dict[str, Any]:
    """Both trees on one command, taking turns; the first run of each is a warm-up. `bare`:
    the bare import takes a turn too, after the trees in each round (its figures in
    "bare_same_turns": what `status` is compared with, at the load `status` saw)."""
    outputs = {name: output(tree, argv, cwds[name], urls[name], lang)
               for name, tree in trees.items()}
    figures: dict[str, dict[str, list]] = {name: {"wall": [], "cpu": [], "codes": []}
                                           for name in trees}
    paired: dict[str, list] = {"wall": [], "cpu": []}
    load_before = load()
    for _ in range(runs):
        for name, tree in trees.items():
            wall, cpu, code = once(tree, argv, cwds[name], urls[name], lang)
            figures[name]["wall"].append(round(wall, 4))
            figures[name]["cpu"].append(round(cpu, 4))
            figures[name]["codes"].append(code)
        if bare:
            wall, cpu, _code = once(ROOT, None, cwds["current"], None, None)
            paired["wall"].append(round(wall, 4))
            paired["cpu"].append(round(cpu, 4))
    row: dict[str, Any] = {"command": label, "argv": argv, "lang": lang or "kk (default)",
                           "backend": backend, "load_before": load_before,
                           "load_after": load(), "runs": figures}
    for name in trees:
        row[name] = {"wall_median": round(statistics.median(figures[name]["wall"]), 4),
                     "cpu_median": round(statistics.median(figures[name]["cpu"]), 4),
                     "exit_codes": sorted(set(figures[name]["codes"])),
                     "same_output_as_current": outputs[name] == outputs["current"]}
    if bare:
        row["bare_same_turns"] = {**paired, "cpu_median": round(statistics.median(paired["cpu"]),
                                                                4)}
    if "previous" in trees:
        row["ratio_wall"] = round(row["previous"]["wall_median"] / row["current"]["wall_median"], 2)
        row["ratio_cpu"] = round(row["previous"]["cpu_median"] / row["current"]["cpu_median"], 2)
    return row


def databases(trees: dict[str, Path], backend: str, work: Path) -> tuple[dict, dict, list]:
    """A demo database per tree (each tree's own `init --demo`): its URL, cwd, and the schemas
    to drop."""
    urls: dict[str, str | None] = {}
    cwds: dict[str, Path] = {}
    schemas: list[str] = []
    for name, tree in trees.items():
        cwd = work / f"{backend}-{name}"
        cwd.mkdir()
        cwds[name] = cwd
        if backend == "sqlite":
            urls[name] = f"sqlite:///{cwd / 'merzim.db'}"
        else:
            schema = f"bench_cli_{name}_{uuid.uuid4().hex[:8]}"
            _sql(f'CREATE SCHEMA "{schema}"')
            schemas.append(schema)
            sep = "&" if "?" in POSTGRES else "?"
            urls[name] = f"{POSTGRES}{sep}options=-csearch_path%3D{schema}"
        result = subprocess.run([sys.executable, "-c", LAUNCH, "init", "--demo"], cwd=cwd,
                                env=environment(tree, urls[name], "en"), capture_output=True,
                                text=True)
        if result.returncode != 0:
            raise SystemExit(f"{name}: init --demo failed on {backend}: {result.stderr}")
    return urls, cwds, schemas


def _sql(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(POSTGRES)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def table(rows: list[dict[str, Any]], with_previous: bool) -> str:
    head = "| command | backend | current wall ms | current CPU ms |"
    rule = "|---|---|---:|---:|"
    if with_previous:
        head += " previous wall ms | previous CPU ms | ratio wall | ratio CPU |"
        rule += "---:|---:|---:|---:|"
    head += " same output | load before/after |"
    rule += "---|---|"
    lines = [head, rule]
    for r in rows:
        cur = r["current"]
        line = (f"| {r['command']} | {r['backend']} | {cur['wall_median'] * 1000:.0f} | "
                f"{cur['cpu_median'] * 1000:.0f} |")
        if with_previous:
            prev = r["previous"]
            line += (f" {prev['wall_median'] * 1000:.0f} | {prev['cpu_median'] * 1000:.0f} | "
                     f"{r['ratio_wall']}× | {r['ratio_cpu']}× |")
        same = all(r[n]["same_output_as_current"] for n in ("current", "previous") if n in r)
        line += f" {'yes' if same else 'no'} | {r['load_before']}/{r['load_after']} |"
        lines.append(line)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--previous", default=PREVIOUS, help="the previous head's commit")
    parser.add_argument("--previous-tree", help="a checkout of it (default: a git worktree)")
    parser.add_argument("--no-previous", action="store_true", help="time this checkout only")
    parser.add_argument("--json", help="write every figure here")
    parser.add_argument("--quick", action="store_true", help="3 runs, SQLite: checks the script")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    backends = ["sqlite"] if args.quick or args.backend == "sqlite" else (
        ["postgresql"] if args.backend == "postgresql" else ["sqlite", "postgresql"])
    trees = {"current": ROOT}
    if not args.no_previous:
        trees["previous"] = previous_tree(args.previous, args.previous_tree)
    for tree in trees.values():
        compile_tree(tree)
    started = load()
    print(f"# merzim CLI: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; load {started}; {runs} runs a command and tree",
          flush=True)
    rows: list[dict[str, Any]] = []
    work = Path(tempfile.mkdtemp(prefix="merzim-bench-cli-"))
    schemas: list[str] = []
    try:
        plain_cwds = {}
        for name in trees:
            plain_cwds[name] = work / f"plain-{name}"
            plain_cwds[name].mkdir()
        none = dict.fromkeys(trees)
        for label, argv, lang in PLAIN:
            rows.append(measure(trees, label, argv, lang, runs, plain_cwds, none, "—"))
            print(table(rows[-1:], len(trees) > 1).splitlines()[-1], flush=True)
        for backend in backends:
            urls, cwds, made = databases(trees, backend, work)
            schemas += made
            for label, argv, lang in DATABASE:
                rows.append(measure(trees, label, argv, lang, runs, cwds, urls, backend,
                                    bare=label.startswith("status")))
                print(table(rows[-1:], len(trees) > 1).splitlines()[-1], flush=True)
    finally:
        for schema in schemas:
            _sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(rows, len(trees) > 1))
    met = {}
    for goal, limit in GOALS.items():
        figures = [r["current"]["wall_median"] for r in rows if r["command"].startswith(goal)]
        met[goal] = bool(figures) and max(figures) < limit
        print(f"goal: {goal} under {limit} s wall: "
              f"{'met' if met[goal] else 'missed'} (worst median {max(figures):.3f} s)")
    for r in rows:  # against the bare import timed in the same rounds as `status`
        if r["command"].startswith("status"):
            bare = r["bare_same_turns"]["cpu_median"]
            ratio = r["current"]["cpu_median"] / bare
            r["times_bare_import_cpu"] = round(ratio, 2)
            met[f"status within {WITHIN}x ({r['backend']})"] = ratio <= WITHIN
            print(f"goal: status ({r['backend']}) within {WITHIN}× of the bare import's CPU: "
                  f"{'met' if ratio <= WITHIN else 'missed'} ({ratio:.2f}×: "
                  f"{r['current']['cpu_median'] * 1000:.0f} ms against {bare * 1000:.0f} ms)")
            if "previous" in r:
                before = r["previous"]["cpu_median"] / bare
                r["previous_times_bare_import_cpu"] = round(before, 2)
                print(f"      previous head: {before:.2f}× "
                      f"({r['previous']['cpu_median'] * 1000:.0f} ms against the same)")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "date": time.strftime("%Y-%m-%d"), "machine": platform.platform(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "previous": args.previous if not args.no_previous else None,
            "runs": runs, "load_at_start": started, "load_at_end": load(),
            "goals": {**GOALS, "status_within_bare_import_cpu": WITHIN}, "met": met,
            "rows": rows,
        }, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
