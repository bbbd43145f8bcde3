"""The table of `merzim score ROOT --subtree` at 80 and 200 columns: its drawing's CPU.

Run from the repository root:

    git worktree add --detach /tmp/merzim-prev REF        # the previous head, once
    .venv/bin/python bench/score/table.py [--previous /tmp/merzim-prev] [--repeats 5] \
        [--json PATH]

The rows are the national tree of bench/score/run.py (a root, 50 akimats of 99 departments:
5,001 subjects, named as that script names them) in the words `in_short` gives the table
(workflow/scorecard/words.py: the kinds and statuses of the Kazakh catalogue, the numbers
written as in Kazakh), random points from a fixed seed. For each code (this checkout;
`--previous DIR`: that checkout first on the path, in a process of its own) and width, the
table is drawn as `_print_subtree` draws it, into the console the CLI makes
(workflow/cli/common.py: no colour, as when the output goes to a file or a pipe) with that
width (COLUMNS); the figure is the process CPU of the drawing (the median of --repeats), and
the output's lines. The evaluation before it costs the same at any width; the goal is the
table's cost at 80 columns within 1.1× of 200 columns'.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DRAW = r'''
import io, json, random, sys, time
from datetime import date
from rich.console import Console
from workflow.cli.common import STATE
from workflow.i18n import Translator
from workflow.scorecard import cli
from workflow.scorecard.words import number

width, repeats = int(sys.argv[1]), int(sys.argv[2])
t = Translator("kk")
STATE.t = t
rng = random.Random(20261125)
subjects = [("RK", "Republic", "central_body")]
for i in range(1, 51):
    subjects.append((f"AK{i:02d}", f"Akimat {i}", "akimat"))
    subjects += [(f"AK{i:02d}-D{d:02d}", f"Department {i}.{d}", "department")
                 for d in range(1, 100)]
status = [t("score.final"), t("score.provisional_short", date="31.12.2026")]
cards = []
for code, name, kind in subjects:
    awards, deductions = rng.randint(0, 400) / 4, rng.randint(0, 80) / 4
    cards.append({"subject": code, "subject_name": name, "kind_name": t(f"org_kind.{kind}"),
                  "awards_text": number(awards, "kk"), "deductions_text": number(deductions, "kk"),
                  "total_text_short": number(awards - deductions, "kk"),
                  "status": rng.choice(status)})


def console():
    return Console(highlight=False, soft_wrap=True, markup=False, file=io.StringIO(),
                   width=width)


def draw():
    STATE.console = console()  # the command's console, writing to memory
    cli._print_subtree("RK", 2026, date(2026, 11, 25), cards)
    return STATE.console.file.getvalue()


header = [t(f"score.{col}") for col in ("col_subject", "col_kind", "col_awards",
                                         "col_deductions", "col_total", "col_status")]
rows = [[f"{c['subject_name']} ({c['subject']})", c["kind_name"], c["awards_text"],
         c["deductions_text"], c["total_text_short"], c["status"]] for c in cards]
plain = cli.plain_table(console(), header, rows) is not None
cpu = []
for _ in range(repeats):
    t0 = time.process_time()
    text = draw()
    cpu.append(time.process_time() - t0)
print(json.dumps({"cpu_s": cpu, "lines": text.count("\n"), "plain": plain}))
'''


def measure(code: Path, width: int, repeats: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERZIM_")}
    env["PYTHONPATH"] = str(code)
    done = subprocess.run([sys.executable, "-c", DRAW, str(width), str(repeats)], env=env,
                          cwd=code, capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    found["median_cpu_s"] = statistics.median(found["cpu_s"])
    return found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--previous", type=Path)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", type=Path)
    a = p.parse_args()
    with open("/proc/loadavg", encoding="ascii") as fh:
        load = float(fh.read().split()[0])
    codes = {"this": ROOT, **({"previous": a.previous} if a.previous else {})}
    out: dict = {"load": load}
    print(f"5,001 rows, load {load:.1f}\n")
    print("| code | width | median CPU s | runs | lines | drawn as plain text |")
    print("|---|---:|---:|---|---:|---|")
    for name, code in codes.items():
        for width in (80, 200):
            r = measure(code, width, a.repeats)
            out[f"{name}-{width}"] = r
            print(f"| {name} | {width} | {r['median_cpu_s']:.3f} | "
                  f"{', '.join(f'{x:.3f}' for x in r['cpu_s'])} | {r['lines']} | "
                  f"{r['plain']} |")
        ratio = out[f"{name}-80"]["median_cpu_s"] / out[f"{name}-200"]["median_cpu_s"]
        out[f"{name}-ratio"] = ratio
        print(f"| {name} | 80 / 200 | {ratio:.2f}× | | | |")
    if a.json:
        a.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
