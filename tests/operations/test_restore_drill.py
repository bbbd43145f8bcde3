"""The restore drill of docs/operator-guide.md ("Restore drill"), done for real: a PostgreSQL
installation whose evidence files are in the database is backed up
with `pg_dump` (its audit checkpoint copied first), restored with `psql` into a new database
as on a fresh machine, and `merzim audit verify` there is clean; the case and its file are
there, the file's bytes the same. PostgreSQL only: on SQLite the backup is a copy of the file
(the guide's "Backups"), tested elsewhere."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import text

from tests.support.cli_runner import Merzim
from tests.support.databases import POSTGRES_URL

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
TOOLS = [shutil.which("pg_dump"), shutil.which("psql")]


def _libpq(url: str) -> str:
    """A SQLAlchemy URL of the test server as libpq takes it (no driver name)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1).split("?", 1)[0]


def _server(database: str) -> str:
    """The test server's URL, naming another database."""
    base = _libpq(POSTGRES_URL)
    return base.rsplit("/", 1)[0] + "/" + database


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(statement)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
@pytest.mark.skipif(None in TOOLS, reason="pg_dump and psql are not installed")
def test_a_backup_restored_on_a_fresh_database_verifies_and_holds_the_case_and_its_file(
        backend, db, db_url, merzim_db, tmp_path: Path):
    machine = tmp_path / "server"
    machine.mkdir()
    config = machine / "config.toml"  # no [files] directory: the files are in the database
    config.write_text(f'[audit]\ncheckpoint = "{(machine / "audit-head").as_posix()}"\n',
                      encoding="utf-8")
    note = tmp_path / "note.pdf"
    note.write_bytes(PDF)

    def run(*args: str, on: Merzim = merzim_db, **kw):
        r = on(*args, today="2026-03-02", config=kw.pop("config", config), **kw)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r

    run("init")
    run("org", "add", "AK", "--name", "Akimat", "--kind", "akimat")
    run("user", "add", "asel", "--name", "Asel", "--role", "officer", "--org", "AK")
    run("analysis", "plan", "--subject", "AK", "--object", "AK", "--start", "2026-03-02")
    run("record", "1", "order", "--date", "2026-03-02", "--number", "12", "--signed-by", "Akim",
        "--file", str(note))
    [stored] = json.loads(run("files", "1", "--json").stdout)["files"]
    assert (machine / "audit-head").is_file()
    with db.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        assert conn.execute(text("SELECT count(*) FROM file_blob")).scalar() == 1

    # the backup: the checkpoint first (it only moves forward, so the dump holds its record),
    # then the database with its files
    backup = tmp_path / "backup"
    backup.mkdir()
    shutil.copy2(machine / "audit-head", backup / "audit-head")
    dump = backup / "merzim.sql"
    subprocess.run(["pg_dump", "--dbname", _libpq(POSTGRES_URL), "--schema", schema,
                    "--no-owner", "--format", "plain", "--file", str(dump)], check=True,
                   capture_output=True, timeout=120)
    run("org", "add", "LATER", "--name", "After the backup", "--kind", "akimat")  # not in it

    # the fresh machine: a new database, the dump restored with psql, the checkpoint put back
    fresh = f"merzim_restore_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{fresh}"')
    try:
        subprocess.run(["psql", "--dbname", _server(fresh), "--quiet", "--no-psqlrc",
                        "--set", "ON_ERROR_STOP=1", "--file", str(dump)], check=True,
                       capture_output=True, timeout=120)
        restored_machine = tmp_path / "fresh"
        restored_machine.mkdir()
        shutil.copy2(backup / "audit-head", restored_machine / "audit-head")
        restored_url = (POSTGRES_URL.split("?", 1)[0].rsplit("/", 1)[0] + f"/{fresh}"
                        + "?options=" + quote(f"-csearch_path={schema}"))
        there = Merzim(restored_machine, db_url=restored_url,
                       env={"MERZIM_AUDIT_CHECKPOINT": str(restored_machine / "audit-head")})

        verified = run("audit", "verify", "--json", on=there, config=None)
        result = json.loads(verified.stdout)
        assert result["ok"] is True, result
        assert result["checkpoint"] == str(restored_machine / "audit-head")
        assert verified.stderr.strip() == ""

        history = run("case", "history", "1", "--json", on=there, config=None).stdout
        assert "Order approved" in history and "note.pdf" in history
        [copied] = json.loads(run("files", "1", "--json", on=there, config=None).stdout)["files"]
        assert copied == stored
        out = tmp_path / "copy.pdf"
        run("files", "get", str(copied["id"]), "--out", str(out), on=there, config=None)
        assert out.read_bytes() == PDF
        orgs = run("org", "list", "--json", on=there, config=None).stdout
        assert "LATER" not in orgs and "AK" in orgs
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
