"""mypy against a recorded baseline: the errors of each file may only go down.

Runs mypy as pyproject.toml's [tool.mypy] configures it and counts its errors per file. Fails
when a file has more errors than .ci/mypy-baseline.txt records for it (a file the baseline does
not name: none allowed), and prints those files' errors. When files have fewer, it passes and
says how to lower the baseline; `--update` writes the current counts (docs/testing.md, "Type
checks").

    .venv/bin/python .ci/mypy_ratchet.py            # check (what .ci/run does)
    .venv/bin/python .ci/mypy_ratchet.py --update   # record the current counts
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".ci" / "mypy-baseline.txt"
ERROR = re.compile(r"^(?P<path>[^:\s][^:]*\.pyi?):\d+(?::\d+)?: error: ")
HEADER = """\
# mypy errors per file that CI accepts (.ci/mypy_ratchet.py): a count may only go down.
# After fixing errors, or moving a file that has some, record the new counts:
#   .venv/bin/python .ci/mypy_ratchet.py --update
"""
REFRESH = ".venv/bin/python .ci/mypy_ratchet.py --update"


def run_mypy() -> tuple[Counter[str], dict[str, list[str]]]:
    """mypy's errors, counted by file, and their lines."""
    proc = subprocess.run([sys.executable, "-m", "mypy", "--no-pretty", "--no-error-summary"],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode not in (0, 1):  # 2: mypy itself failed (bad configuration, crash)
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        sys.exit(f"mypy: failed to run (exit code {proc.returncode})")
    counts: Counter[str] = Counter()
    lines: dict[str, list[str]] = defaultdict(list)
    for line in proc.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            path = match["path"].replace("\\", "/")
            counts[path] += 1
            lines[path].append(line)
    return counts, lines


def read_baseline() -> dict[str, int]:
    baseline: dict[str, int] = {}
    if not BASELINE.is_file():
        return baseline
    for n, raw in enumerate(BASELINE.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        path, _, count = line.rpartition(" ")
        if not path or not count.isdigit():
            sys.exit(f"mypy: {BASELINE.relative_to(ROOT)}:{n}: expected '<file> <count>'")
        baseline[path.strip()] = int(count)
    return baseline


def write_baseline(counts: Counter[str]) -> None:
    body = "".join(f"{path} {counts[path]}\n" for path in sorted(counts))
    BASELINE.write_text(HEADER + body, encoding="utf-8")


def _errors(n: int) -> str:
    return f"{n} error" if n == 1 else f"{n} errors"


def main(argv: list[str]) -> int:
    if argv not in ([], ["--update"]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    counts, lines = run_mypy()
    total = sum(counts.values())
    if argv == ["--update"]:
        write_baseline(counts)
        print(f"mypy: baseline written: {total} errors in {len(counts)} files "
              f"({BASELINE.relative_to(ROOT)})")
        return 0
    baseline = read_baseline()
    above = sorted(p for p in counts if counts[p] > baseline.get(p, 0))
    below = sorted(p for p in baseline if counts.get(p, 0) < baseline[p])
    for path in above:
        print(f"{path}: {_errors(counts[path])}, the baseline allows {baseline.get(path, 0)}:")
        print("\n".join(f"  {line}" for line in lines[path]))
    allowed = sum(baseline.values())
    if above:
        print(f"mypy: more errors than the baseline in {len(above)} file(s): "
              f"{', '.join(above)}. Fix them (the errors above); a file that was only moved "
              f"or renamed keeps its count: record it with {REFRESH}")
        return 1
    if below:
        print(f"mypy: {total} errors, the baseline allows {allowed}; fewer in "
              f"{', '.join(below)}: lower the baseline with {REFRESH}")
    else:
        print(f"mypy: {total} errors, as the baseline records ({len(counts)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
