"""The database as the operator meets it: unreachable, newer than the installed merzim, or named
with a password in config.toml. Each is one line on stderr with exit 2, no traceback, and the
database (where there is one) is left as it was."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.support.cli_runner import merzim_env, run_merzim
from workflow.storage.db import HEAD_REVISION

pytestmark = pytest.mark.slow  # the console script as a process, an unreachable server's timeout


def run(*args: str, url: str | None = None, config: Path | None = None,
        cwd: Path) -> subprocess.CompletedProcess:
    """The console script as a process (the point of this file: what the operator meets)."""
    return run_merzim(args, env=merzim_env(db_url=url, config=config), cwd=cwd, process=True,
                      timeout=60)


def one_line(result: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


def dump(db: Path) -> list[str]:
    """The database's content as SQL (the file's bytes change when a WAL is checkpointed)."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_init_on_an_unreachable_database_is_one_line(tmp_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/merzim"
    for args in (("init",), ("init", "--demo"), ("overdue",)):
        one_line(run(*args, url=url, cwd=tmp_path), 2, "cannot open the database")
    one_line(run("init", url=f"sqlite:///{tmp_path}/no/such/dir/m.db", cwd=tmp_path), 2,
             "cannot open the database")


def test_a_schema_newer_than_this_merzim_is_refused_and_left_alone(tmp_path):
    db = tmp_path / "m.db"
    url = f"sqlite:///{db}"
    ok = run("init", url=url, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    newer = f"{int(HEAD_REVISION) + 1:04d}"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (newer,))
    before = dump(db)
    for args in (("init",), ("overdue",), ("org", "list")):
        line = one_line(run(*args, url=url, cwd=tmp_path), 2, newer, HEAD_REVISION, "newer")
        assert "to upgrade it" not in line and "do not run 'merzim init'" in line
    assert dump(db) == before

    # An older schema (as after installing a newer merzim) says to run init, which upgrades.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (HEAD_REVISION,))
    assert run("overdue", url=url, cwd=tmp_path).returncode == 0


def test_a_password_in_the_config_file_is_refused(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[database]\nurl = "postgresql+psycopg://merzim:s3cret-pw@db.example/merzim"\n',
                   encoding="utf-8")
    line = one_line(run("overdue", config=cfg, cwd=tmp_path), 2, "database.url", "password",
                    "MERZIM_DATABASE_URL")
    assert "s3cret-pw" not in line
    cfg.write_text('[database]\nurl = "no url at all"\n', encoding="utf-8")
    one_line(run("overdue", config=cfg, cwd=tmp_path), 2, "database.url")
    # Without a password the file's URL is accepted (the server is simply not there).
    cfg.write_text(f'[database]\nurl = "postgresql+psycopg://merzim@127.0.0.1:{closed_port()}/m"\n',
                   encoding="utf-8")
    one_line(run("overdue", config=cfg, cwd=tmp_path), 2, "cannot open the database")
