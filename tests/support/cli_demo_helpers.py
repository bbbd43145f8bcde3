"""The database `merzim init --demo` builds on DEMO_DAY, as a template recipe ("cli-demo":
tests.support.databases.database_from_template): run once per test process and backend through the real entry
point, copied for each test that starts from it (tests/cli/test_cli_operator.py,
tests/registers/test_demo_registers.py). On PostgreSQL the demo loader writes with COPY, so the template
is the migrated schema's statements and the rows the build left (conftest). A test of
tests/cli/test_cli_operator.py compares a copy with `init --demo` run on an empty database."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.cli_runner import Merzim

DEMO_DAY = "2026-11-20"


def init_demo(url: str, cwd: Path) -> dict[str, Any]:
    """`merzim init --demo --json` on `url` (empty, or not) on DEMO_DAY: what it printed, but
    the database's URL."""
    result = Merzim(cwd, db_url=url, today=DEMO_DAY)("init", "--demo", "--json")
    assert result.returncode == 0 and result.stderr == "", (result.stdout, result.stderr)
    printed = json.loads(result.stdout)
    assert printed.pop("database")
    return printed


def demo_loaded(engine) -> dict[str, Any]:
    """The "cli-demo" recipe: `init_demo` on the database of `engine` (empty: the command
    migrates it), from a working directory thrown away (the demo stores no file)."""
    with tempfile.TemporaryDirectory(prefix="merzim-cli-demo-") as tmp:
        return init_demo(engine.url.render_as_string(hide_password=False), Path(tmp))


@contextmanager
def demo_cli(backend: str, tmp_path: Path) -> Iterator[Merzim]:
    """The command line on DEMO_DAY over a copy of the "cli-demo" database, run from a
    working directory of its own under `tmp_path`."""
    from tests.support.databases import database_from_template

    with database_from_template(backend, tmp_path, recipe=demo_loaded,
                                recipe_name="cli-demo") as (url, _printed):
        workdir = tmp_path / "cwd"
        workdir.mkdir()
        yield Merzim(workdir, db_url=url, today=DEMO_DAY)
