"""A web process sets what it built at start-up aside from the cycle collector (without it,
every ~11th page of the root overdue list paid a full collection of 34-39 ms walking the
modules, models, routes and definitions): `app_factory`, which uvicorn calls in each web
process of `merzim serve`, freezes them (`gc.freeze`) once the application is built. Checked
in a process of its own, as uvicorn's are."""

from __future__ import annotations

import subprocess
import sys

from tests.support.cli_runner import merzim_env

PROBE = """
import gc
from web.app import app_factory
before = gc.get_freeze_count()
app = app_factory()
print(before, gc.get_freeze_count(), len(app.routes) > 10)
"""


def test_a_web_process_freezes_its_start_up_objects(db_url, db, tmp_path):
    env = merzim_env(db_url=db_url)
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after, built = done.stdout.split()
    assert int(before) == 0 and built == "True"
    assert int(after) > 50_000  # modules, table models, routes, templates, definitions
