"""Every benchmark script (bench/<name>/*.py with a command line) still starts: its imports
resolve against the code and the test helpers as they are today (`--help`, nothing measured).
A script that no longer starts is a benchmark nobody can run again."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.features import needs

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p for p in (ROOT / "bench").glob("*/*.py")
                 if "argparse" in p.read_text(encoding="utf-8"))
# A script that reads the previous head's code from git as it starts (`bench/previous.py`, through
# its folder's previous.py) needs a git checkout with that history: a copy of the files alone
# (.ci/feature_removal.py's) has none to read.
GIT_CHECKOUT = subprocess.run(["git", "rev-parse", "--git-dir"], cwd=ROOT,
                              capture_output=True).returncode == 0


# The features a script's imports stand on (its world: the demo's planned analyses, their
# monitoring): without one of them it cannot start, and is skipped, with the reason.
PLANNED, MONITORED = ("planning",), ("planning", "monitoring")
NEEDS: dict[str, tuple[str, ...]] = {
    "api/memory.py": MONITORED, "api/run.py": MONITORED, "engine/run.py": MONITORED,
    "import/pending_reads.py": MONITORED, "import/people_nodes.py": MONITORED,
    "import/run.py": PLANNED,
    "obligations/run.py": PLANNED, "replan/run.py": MONITORED, "score/run.py": PLANNED,
    "score/json_cli.py": PLANNED, "web/proxy.py": MONITORED, "web/region.py": MONITORED,
    "web/run.py": MONITORED, "web/signins.py": MONITORED,
}


def named(script: Path) -> str:
    return f"{script.parent.name}/{script.name}"


def reads_git_on_start(script: Path) -> bool:
    return re.search(r"^from bench\.\w+\.previous import", script.read_text(encoding="utf-8"),
                     re.M) is not None


def test_there_are_benchmark_scripts():
    assert len(SCRIPTS) >= 10


@pytest.mark.parametrize("script", [
    pytest.param(s, id=named(s), marks=[needs(f) for f in NEEDS.get(named(s), ())])
    for s in SCRIPTS])
def test_a_benchmark_script_starts(script: Path):
    if reads_git_on_start(script) and not GIT_CHECKOUT:
        pytest.skip("reads the previous head from git, and this copy is no git checkout")
    done = subprocess.run([sys.executable, str(script), "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout, done.stdout[:500]
