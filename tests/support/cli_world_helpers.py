"""The small world some command-line tests share (tests/cli/test_cli_bulk.py,
tests/notices/test_cli_preferences.py, tests/cli/test_cli_language_option.py), built through the real entry
point:
an akimat with two departments, officers in them, and conflict-of-interest notices received
on NOTICE, whose forwarding (3 working days later) is overdue on TODAY.

* `coi1`, `coi2`: AK-EDU's notices, nothing recorded (forwarding overdue), `coi1` assigned to
  asel;
* `done`: AK-EDU's notice already forwarded on NOTICE;
* `hlth`: AK-HLTH's notice (not asel's: another organisation, another officer).

The tests get it from conftest's `cli_world` fixture: `built_world` is the "cli-world" template
recipe (tests/conftest.py, docs/testing.md): `World.build` runs once per test process and
backend, every test gets a copy of the database it stored, and the case ids with it.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

from tests.support.cli_runner import Merzim

TODAY = date(2026, 2, 2)  # a Monday
NOTICE = "2026-01-05"
COI = "conflict_of_interest"
PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
FORWARD = {"en": "Forward the notice to the prevention subdivision",
           "ru": "Направить уведомление в подразделение по предупреждению коррупционных рисков",
           "kk": "Хабарламаны сыбайлас жемқорлық тәуекелдерінің алдын алу жөніндегі құрылымдық "
                 "бөлімшенің қарауына жіберу"}


class World:
    """`merzim` on the test database with a files directory of its own, and the world's case
    ids (`ids["coi1"]`…)."""

    def __init__(self, tmp_path: Path, db_url: str, ids: dict[str, int] | None = None):
        self.tmp = tmp_path
        self.store = tmp_path / "evidence"
        self.config = tmp_path / "merzim.toml"
        self.config.write_text(f'[files]\ndirectory = "{self.store.as_posix()}"\n',
                               encoding="utf-8")
        workdir = tmp_path / "cwd"
        workdir.mkdir(exist_ok=True)
        self.run = Merzim(workdir, db_url=db_url, today=TODAY, config=self.config,
                          env={"COLUMNS": "250"})
        self.ids: dict[str, int] = dict(ids or {})

    def __call__(self, *args: str, **kw):
        return self.run(*args, **kw)

    def ok(self, *args: str, **kw):
        result = self.run(*args, **kw)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    def json(self, *args: str, **kw):
        return json.loads(self.ok(*args, "--json", **kw).stdout)

    def build(self) -> World:
        self.ok("init")
        for args in (("AK", "--name", "Akimat", "--kind", "akimat"),
                     ("AK-EDU", "--name", "Education Department", "--kind", "department",
                      "--parent", "AK", "--name-ru", "Управление образования"),
                     ("AK-HLTH", "--name", "Health Department", "--kind", "department",
                      "--parent", "AK")):
            self.ok("org", "add", *args)
        for login, org in (("asel", "AK-EDU"), ("bolat", "AK-EDU"), ("dana", "AK-HLTH")):
            self.ok("user", "add", login, "--org", org, "--role", "officer", "--name",
                    login.title(), "--email", f"{login}@example.kz")
        for name, org, person, extra in (
                ("coi1", "AK-EDU", "Erlan Sadykov", ("--responsible", "asel")),
                ("coi2", "AK-EDU", "Dana Omarova", ()),
                ("done", "AK-EDU", "Marat Ibraev", ()),
                ("hlth", "AK-HLTH", "Aigul Seitova", ())):
            opened = self.json("case", "open", COI, "--subject", org, "--person", person,
                               "--date", f"notified={NOTICE}", *extra)
            self.ids[name] = opened["id"]
        self.ok("record", str(self.ids["done"]), "forwarded", "--date", NOTICE)
        return self

    def overdue_items(self) -> set[str]:
        rows = self.json("overdue")["overdue"]
        return {f"{r['case']}:{r['stage']}" for r in rows}


def built_world(engine) -> dict[str, int]:
    """The "cli-world" template recipe: `World.build` through the command line on the
    database of `engine` (its files directory and working directory thrown away: the build
    stores no file); the case ids, which every copy shares."""
    url = engine.url.render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory(prefix="merzim-cli-world-") as tmp:
        return World(Path(tmp), url).build().ids

