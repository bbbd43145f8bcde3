"""Evidence files where every node reaches them: with PostgreSQL and no
`[files] directory`, a file's content is kept in the database itself, in chunks of 1 MiB written
in one transaction and read back one at a time; `merzim files move-to-database` copies a
directory's files into it (checked by their hashes, one transaction a file, idempotent,
resumable); a file uploaded through one `merzim serve` node is downloaded, byte-identical,
through another with a working directory of its own."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.support.databases import dump_tables
from tests.support.processes import SCRIPT, env_for, free_port, local, terminate, wait_up
from workflow import services as svc
from workflow.services import accounts as auth
from workflow.storage.filestore import (
    DB_CHUNK,
    BlobChanged,
    DatabaseFileStore,
    FileStore,
    file_store,
)

PDF_HEAD = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\n"
PDF_TAIL = b"trailer <</Root 1 0 R>>\n%%EOF\n"


def big_pdf(size: int, seed: int = 1) -> bytes:
    """A PDF of `size` bytes or a little more, its middle not repeating (seeded)."""
    body, block = bytearray(), hashlib.sha256(str(seed).encode()).digest()
    while len(body) < size:
        block = hashlib.sha256(block).digest()
        body += block.hex().encode() + b"\n"
    return PDF_HEAD + bytes(body) + PDF_TAIL


def chunk_rows(engine, sha256: str) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT seq, length(data) FROM file_chunk WHERE sha256 = :s ORDER BY seq"),
            {"s": sha256})]


# -- the store itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_blob_is_stored_in_chunks_read_back_whole_and_never_twice(db_url, db, tmp_path):
    store = DatabaseFileStore(db_url, tmp_path / "staging")
    data = big_pdf(int(2.5 * DB_CHUNK))
    staged = store.stage_bytes(data)
    sha = staged.sha256
    assert not store.exists(sha) and not store.matches(sha)
    store.commit(staged)
    assert not staged.path.exists(), "the staged copy is dropped once stored"
    assert chunk_rows(db, sha) == [(0, DB_CHUNK), (1, DB_CHUNK), (2, len(data) - 2 * DB_CHUNK)]
    assert store.exists(sha) and store.matches(sha) and store.read(sha) == data
    with store.open(sha) as fh:  # streamed: what a download reads, a piece at a time
        assert len(fh.read(1000)) == 1000
    assert store.local_path(sha) is None
    # the same content again: found there, nothing written
    before = dump_tables(db)
    assert store.put(data) == (sha, len(data))
    assert dump_tables(db) == before
    # a content that is not what its name says is refused, nothing written
    with pytest.raises(BlobChanged), open(tmp_path / "x", "w+b") as empty:
        store.store_stream("0" * 64, empty)  # empty: not what "000…" names
    assert dump_tables(db) == before
    with pytest.raises(FileNotFoundError):
        store.open("f" * 64)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_blob_row_or_chunk_changed_in_the_database_is_found(db_url, db, tmp_path):
    store = DatabaseFileStore(db_url, tmp_path / "staging")
    sha, _size = store.put(big_pdf(DB_CHUNK + 10))
    with db.begin() as conn:
        conn.execute(text("UPDATE file_chunk SET data = :d WHERE sha256 = :s AND seq = 1"),
                     {"d": b"forged", "s": sha})
    assert store.exists(sha) and not store.matches(sha)
    with db.begin() as conn:
        conn.execute(text("DELETE FROM file_chunk WHERE sha256 = :s AND seq = 1"), {"s": sha})
    assert not store.matches(sha)


def test_which_store_the_settings_choose(tmp_path):
    from workflow.settings import load_settings

    config = tmp_path / "none.toml"
    config.write_text("", encoding="utf-8")
    sqlite = load_settings(config, env={"MERZIM_DATABASE_URL": f"sqlite:///{tmp_path}/m.db"})
    assert type(file_store(sqlite)) is FileStore
    pg_url = "postgresql+psycopg://m@db/m"
    pg = load_settings(config, env={"MERZIM_DATABASE_URL": pg_url})
    found = file_store(pg)
    assert isinstance(found, DatabaseFileStore) and found.url == pg_url
    named = load_settings(config, env={"MERZIM_DATABASE_URL": pg_url,
                                       "MERZIM_FILES_DIR": str(tmp_path / "store")})
    assert type(file_store(named)) is FileStore  # a directory named: still the directory


# -- merzim files move-to-database ----------------------------------------------------------------


@pytest.fixture
def moving(merzim_db, db, tmp_path):
    """A PostgreSQL database whose files are in a directory (config `with_dir`), and a second
    configuration without it (`no_dir`: the database store)."""
    store_dir = tmp_path / "evidence"
    with_dir, no_dir = tmp_path / "with-dir.toml", tmp_path / "no-dir.toml"
    with_dir.write_text(f'[files]\ndirectory = "{store_dir.as_posix()}"\n', encoding="utf-8")
    no_dir.write_text("[files]\nmax_bytes = 20971520\n", encoding="utf-8")

    def run(*args: str, config: Path = with_dir, lang: str = "en"):
        return merzim_db(*args, today="2026-03-02", lang=lang, config=config)

    for args in (("init",), ("org", "add", "AK", "--name", "Akimat", "--kind", "akimat"),
                 ("analysis", "plan", "--subject", "AK", "--object", "AK",
                  "--start", "2026-03-02")):
        r = run(*args)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    run.store, run.no_dir, run.engine, run.tmp = store_dir, no_dir, db, tmp_path
    return run


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_move_to_database_copies_checks_resumes_and_is_idempotent(moving):
    run = moving
    one, two = big_pdf(DB_CHUNK + 5, seed=1), big_pdf(300, seed=2)
    paths = []
    for name, data in (("one.pdf", one), ("two.pdf", two)):
        path = run.tmp / name
        path.write_bytes(data)
        paths.append(path)
    r = run("record", "1", "order", "--date", "2026-03-02", "--number", "12",
            "--signed-by", "Akim", "--file", str(paths[0]), "--file", str(paths[1]))
    assert r.returncode == 0, r.stderr
    files = json.loads(run("files", "1", "--json").stdout)["files"]
    shas = [f["sha256"] for f in files]
    assert shas == [hashlib.sha256(one).hexdigest(), hashlib.sha256(two).hexdigest()]
    directory = FileStore(run.store)
    # the second file's blob gone from the directory: the first is moved, the second named
    hidden = run.tmp / "hidden"
    directory.path(shas[1]).rename(hidden)
    audit_before = dump_tables(run.engine)["audit_log"]
    r = run("files", "move-to-database")
    assert r.returncode == 3, (r.stdout, r.stderr)
    line = f"File {shas[1]}: missing on disk; not moved."
    assert line in r.stdout and line in r.stderr and "1 file could not be moved" in r.stderr
    assert "Files moved into the database: 1 (1 MiB); there already: 0." in r.stdout
    assert chunk_rows(run.engine, shas[0]) == [(0, DB_CHUNK), (1, len(one) - DB_CHUNK)]
    assert chunk_rows(run.engine, shas[1]) == []
    # back in place: the run goes on where it stopped
    hidden.rename(directory.path(shas[1]))
    r = run("files", "move-to-database", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"moved": 1, "bytes": len(two), "present": 1, "problems": []}
    again = run("files", "move-to-database", lang="ru")
    assert again.returncode == 0, again.stderr
    assert "Перенесено в базу данных файлов: 0 (0 B); уже были там: 2." in again.stdout
    assert "Удалите [files] directory" in again.stdout
    # the rows and the audit log are not touched; the directory is left as it was
    assert dump_tables(run.engine)["audit_log"] == audit_before
    assert directory.matches(shas[0]) and directory.matches(shas[1])
    # without the directory: the database's copies are the files
    got = run("files", "get", str(files[0]["id"]), "--out", str(run.tmp / "got.pdf"),
              config=run.no_dir)
    assert got.returncode == 0, got.stderr
    assert (run.tmp / "got.pdf").read_bytes() == one
    verify = run("audit", "verify", config=run.no_dir)
    assert verify.returncode == 0 and "2 files" in verify.stdout, verify.stdout


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_changed_file_is_not_moved_and_nothing_of_it_is_written(moving):
    run = moving
    path = run.tmp / "one.pdf"
    path.write_bytes(big_pdf(100))
    assert run("record", "1", "order", "--date", "2026-03-02", "--number", "12",
               "--signed-by", "Akim", "--file", str(path)).returncode == 0
    [f] = json.loads(run("files", "1", "--json").stdout)["files"]
    blob = FileStore(run.store).path(f["sha256"])
    blob.chmod(0o644)
    blob.write_bytes(big_pdf(100, seed=9))
    before = dump_tables(run.engine)
    r = run("files", "move-to-database", lang="kk")
    assert r.returncode == 3 and "көшірілмеді" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert dump_tables(run.engine) == before


def test_move_to_database_is_refused_with_sqlite_and_without_a_directory(merzim_db, db,
                                                                           tmp_path):
    config = tmp_path / "files.toml"
    config.write_text(f'[files]\ndirectory = "{(tmp_path / "e").as_posix()}"\n', encoding="utf-8")
    assert merzim_db("init").returncode == 0
    before = dump_tables(db)
    if str(db.url).startswith("sqlite"):
        r = merzim_db("files", "move-to-database", config=config)
        assert r.returncode == 2 and "only when it is PostgreSQL" in r.stderr, r.stderr
    else:
        r = merzim_db("files", "move-to-database", lang="ru")
        assert r.returncode == 2 and "Не указан каталог" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert dump_tables(db) == before


# -- two nodes ------------------------------------------------------------------------------------


def _start(db_url: str, cwd: Path) -> tuple[subprocess.Popen, str]:
    cwd.mkdir()
    port = free_port()
    proc = subprocess.Popen([str(SCRIPT), "serve", "--no-worker", "--port", str(port)],
                            env=env_for(db_url), cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    return proc, f"http://127.0.0.1:{port}"


def _wait(proc: subprocess.Popen, base: str) -> None:
    wait_up(proc, lambda: local().get(f"{base}/healthz", timeout=2).status_code < 500
            or local().get(f"{base}/login", timeout=2).status_code == 200)


def _stop(proc: subprocess.Popen) -> None:
    terminate(proc)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_file_uploaded_through_one_node_is_downloaded_through_another(db_url, db, make_ctx,
                                                                         tmp_path):
    from workflow.services.demo import load_demo

    with Session(db) as s:
        demo = load_demo(s, make_ctx(date(2026, 2, 4)))
        asel = svc.get_user(s, "asel")
        auth.set_password(s, asel, "asel-correct-horse-42", "test")
        token = auth.create_api_token(s, asel, "nodes")
        s.commit()
    case = demo["analyses"][1]  # the education department's analysis: asel's
    # several chunks of the store and more than the 1 MiB body cap of the other routes
    data = big_pdf(int(2.5 * DB_CHUNK), seed=30)
    nodes = [_start(db_url, tmp_path / name) for name in ("node-a", "node-b")]
    try:
        for proc, base in nodes:
            _wait(proc, base)
        (_pa, a), (_pb, b) = nodes
        auth_header = {"Authorization": f"Bearer {token}"}
        r = local().post(f"{a}/api/v1/cases/{case}/files", headers=auth_header, timeout=30,
                       files=[("files", ("plan.pdf", data, "application/pdf"))])
        assert r.status_code == 201, r.text
        [item] = r.json()["items"]
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
        got = local().get(f"{b}{item['url']}", headers=auth_header, timeout=30)
        assert got.status_code == 200, got.text[:300]
        assert got.content == data and got.headers["content-length"] == str(len(data))
        assert got.headers["content-type"] == "application/pdf"
        # and the other way round, through the API's own listing
        listed = local().get(f"{b}/api/v1/cases/{case}/files", headers=auth_header, timeout=30)
        assert [i["sha256"] for i in listed.json()["items"]] == [item["sha256"]]
        back = local().get(f"{a}{item['url']}", headers=auth_header, timeout=30)
        assert back.content == data
    finally:
        for proc, _base in nodes:
            _stop(proc)
    # neither node's working directory holds the file: it is in the database
    for name in ("node-a", "node-b"):
        assert not [p for p in (tmp_path / name).rglob("*") if p.is_file()
                    and p.stat().st_size >= len(data)], name
    assert [n for _s, n in chunk_rows(db, item["sha256"])] == [DB_CHUNK, DB_CHUNK,
                                                               len(data) - 2 * DB_CHUNK]
