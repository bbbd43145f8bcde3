"""No traceback reaches a user: odd input and a sick database answer in one line (CLI) or with
a 4xx/503 and a message (web), and change nothing."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import text

from tests.support.databases import dump_tables
from tests.support.features import needs
from tests.support.web_helpers import en
from workflow.i18n import Translator
from workflow.storage.db import make_engine

HUGE = "99999999999999999999"  # above 2^63


def one_line(run: subprocess.CompletedProcess, code: int | None = None) -> str:
    assert run.returncode != 0, run.stdout
    if code is not None:
        assert run.returncode == code, (run.returncode, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    return lines[0]


# -- web -----------------------------------------------------------------------------------------


@needs("planning")
def test_pages_and_api_answer_4xx_for_odd_dates_and_huge_ids(web):
    b = web.browser("nurlan")
    for as_of, says in (("1900-01-02", "outside the calendar data"),
                        ("9999-12-31", "a date from 1900-01-01 to 2100-12-31")):
        r = b.get(f"/overdue?as_of={as_of}")
        assert r.status_code == 422, (as_of, r.status_code)
        assert says in r.text
    for url in (f"/analyses/{HUGE}", f"/programmes/{HUGE}", f"/programmes/{HUGE}.csv",
                f"/overdue?year={HUGE}"):
        r = b.get(url)
        assert 400 <= r.status_code < 500, (url, r.status_code)
    api = web.api("nurlan")
    for url in (f"/api/v1/analyses/{HUGE}", f"/api/v1/programmes/{HUGE}"):
        r = api.get(url)
        assert 400 <= r.status_code < 500, (url, r.status_code, r.text[:200])
        assert r.json()["message"]
    assert api.get(f"/api/v1/analyses?limit=10&offset={HUGE}").status_code in (200, 422)
    before = web.dump()
    csrf = web.csrf(b)
    for url in (f"/account/feeds/{HUGE}/revoke", f"/account/tokens/{HUGE}/revoke"):
        r = b.post(url, data={"csrf": csrf})
        assert r.status_code == 422, (url, r.status_code)
        assert "too large" in r.text
    assert web.dump() == before


@needs("planning")
def test_export_file_names_with_cyrillic_letters_and_quotes(web):
    code = 'АК-"Білім";x'
    with web.engine.begin() as conn:
        conn.execute(text("UPDATE organisation SET code = :c WHERE code = 'AK-ALM-EDU'"),
                     {"c": code})
    b = web.browser("nurlan")
    prog = web.programmes["AK-ALM-EDU"]
    for fmt in ("csv", "xlsx"):
        r = b.get(f"/programmes/{prog}.{fmt}")
        assert r.status_code == 200, r.text[:300]
        disposition = r.headers["content-disposition"]
        plain, star = disposition.split("; filename*=UTF-8''")
        assert plain.startswith('attachment; filename="') and plain.count('"') == 2
        assert unquote(star).startswith(f"programme-{code}-") and star.endswith(f".{fmt}")


def test_a_busy_database_answers_503_with_retry_after(web, tmp_path):
    if web.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL does not lock the whole database")
    from sqlmodel import Session

    from tests.support.web_helpers import build

    quick = make_engine(str(web.engine.url), busy_seconds=0.2)
    app = build.__globals__["create_app"](web.app.state.settings, quick, web.app.state.calendar,
                                          web.app.state.registry)
    from fastapi.testclient import TestClient

    c = TestClient(app, follow_redirects=False)
    c.cookies.set("merzim_lang", "en")
    form = c.get("/login")
    holder = sqlite3.connect(str(web.engine.url.database), timeout=1)
    holder.execute("BEGIN IMMEDIATE")  # a long import holds the write lock
    try:
        r = c.post("/login", data={"login": "nurlan", "password": "whatever-password",
                                   "csrf": form.cookies.get("merzim_login_csrf")
                                   or c.cookies.get("merzim_login_csrf")})
    finally:
        holder.rollback()
        holder.close()
    assert r.status_code == 503 and r.headers["retry-after"]
    assert en("error.db_busy") in r.text
    with Session(quick) as s:
        assert s.connection().exec_driver_sql("SELECT 1").scalar() == 1
    quick.dispose()


def test_a_refusal_whose_audit_meets_a_busy_database_answers_503(web):
    """A refused request is audited; when that append meets a busy SQLite, the answer is 503
    with Retry-After (try again), never a 500 from inside the error handler."""
    if web.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL does not lock the whole database")
    from fastapi.testclient import TestClient

    from tests.support.web_helpers import build

    quick = make_engine(str(web.engine.url), busy_seconds=0.2)
    app = build.__globals__["create_app"](web.app.state.settings, quick, web.app.state.calendar,
                                          web.app.state.registry)
    c = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    c.cookies.set("merzim_lang", "en")
    c.headers["Authorization"] = f"Bearer {web.token('nurlan')}"
    before, last = web.dump(), web.last_audit()
    holder = sqlite3.connect(str(web.engine.url.database), timeout=1)
    holder.execute("BEGIN IMMEDIATE")
    try:
        r = c.get("/ics/no-such-feed.ics")  # an unknown feed: refused (404) and audited
    finally:
        holder.rollback()
        holder.close()
    assert r.status_code == 503 and r.headers["retry-after"], (r.status_code, r.text[:200])
    assert web.dump() == before and web.last_audit() == last
    r = c.get("/ics/no-such-feed.ics")  # the lock gone: the refusal is answered and audited
    assert r.status_code == 404
    assert [action for _, action, _ in web.audit_since(last)] == ["refused"]
    quick.dispose()


# -- command line ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_huge_ids_on_the_command_line(merzim_db, db_url):
    assert merzim_db("init", "--demo").returncode == 0
    eng = make_engine(db_url)
    before = dump_tables(eng)
    for args in (("status", HUGE), ("record", HUGE, "order", "--date", "2025-11-19"),
                 ("analysis", "assign", HUGE, "asel"), ("positions", "add", HUGE,
                                                         "--position", "p", "--subdivision", "s",
                                                         "--risk", "r")):
        one_line(merzim_db(*args))
    assert dump_tables(eng) == before
    eng.dispose()


@needs("monitoring")  # `merzim plan export`
def test_plan_export_to_a_directory_is_one_line(merzim_db, tmp_path):
    assert merzim_db("init", "--demo").returncode == 0
    line = one_line(merzim_db("plan", "export", "1", str(tmp_path)), 2)
    assert str(tmp_path) in line and "cannot be written" in line


def test_an_unknown_database_scheme_and_a_binary_config_are_one_line(merzim, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[database]\nurl = "mongodb://db.example/merzim"\n', encoding="utf-8")
    line = one_line(merzim("overdue", config=cfg), 2)
    assert "'mongodb' is not a database merzim knows" in line
    cfg.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe binary")
    line = one_line(merzim("overdue", config=cfg), 2)
    assert "not a text file" in line


def _sqlite(tmp_path: Path, merzim) -> tuple[Path, Path]:
    db = tmp_path / "m.db"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\npath = "{db}"\nbusy_seconds = 1\n', encoding="utf-8")
    assert merzim("init", "--demo", config=cfg).returncode == 0
    return db, cfg


@pytest.mark.slow
def test_a_database_busy_past_the_timeout_is_one_line(merzim, tmp_path):
    db, cfg = _sqlite(tmp_path, merzim)
    holder = sqlite3.connect(db, timeout=1)
    holder.execute("BEGIN IMMEDIATE")
    try:
        run = merzim("org", "add", "NEW", "--name", "New", "--kind", "akimat", config=cfg)
    finally:
        holder.rollback()
        holder.close()
    assert one_line(run, 1) == Translator("en")("error.db_busy_cli")
    assert "NEW" not in merzim("org", "list", config=cfg).stdout


@needs("planning")
def test_a_stored_value_that_cannot_be_read_back_is_a_damaged_file_not_a_bad_request(
        merzim, tmp_path):
    """A due date that is not a date (damage inside a row) and a name that is not UTF-8: one
    line saying the file is damaged, not an unexpected error or a bad request."""
    db, cfg = _sqlite(tmp_path, merzim)
    good = merzim("status", "1", config=cfg)
    assert good.returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE stage SET due_date = '99999999999999999999-01-01' WHERE case_id = 1")
    line = one_line(merzim("status", "1", config=cfg), 1)
    assert "damaged" in line and "Invalid isoformat" in line, line
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE stage SET due_date = NULL WHERE case_id = 1")
        conn.execute("UPDATE organisation SET name = CAST(x'8cda' AS TEXT)")
    line = one_line(merzim("org", "list", config=cfg), 1)
    assert "damaged" in line, line
    # a number given on the command line that no column holds is still the request's fault
    line = one_line(merzim("status", "99999999999999999999", config=cfg))
    assert "damaged" not in line


def test_a_corrupt_sqlite_file_is_one_line_and_verify_detects_damage(merzim, tmp_path):
    db, cfg = _sqlite(tmp_path, merzim)
    shutil.copy(db, tmp_path / "good.db")
    size = db.stat().st_size
    # damage pages after the first (the header still reads) with fixed random bytes: where
    # the damage falls decides what SQLite reports — a malformed image, text that is not
    # UTF-8, a date whose digits overflow — and each must read as a damaged file (os.urandom
    # here once gave "a number in the request is too large" in a full run)
    for seed in (0, 109, 330):
        shutil.copy(tmp_path / "good.db", db)
        noise = random.Random(seed)
        with open(db, "r+b") as fh:
            for offset in range(4096 * 2, size, 4096 * 3):
                fh.seek(offset + 100)
                fh.write(noise.randbytes(200))
        run = merzim("audit", "verify", config=cfg)
        assert "damaged" in one_line(run), seed
    db.write_bytes(b"this is not a database at all" * 100)
    for args in (("overdue",), ("audit", "verify"), ("org", "add", "X", "--name", "X",
                                                    "--kind", "akimat")):
        assert "damaged" in one_line(merzim(*args, config=cfg)), args


@needs("monitoring")  # `merzim plan export` writes the file
def test_a_full_disk_is_one_line(merzim, tmp_path):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(disk)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        db, cfg = _sqlite(disk, merzim)
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as fh:  # unbuffered: closing writes nothing
            try:
                while True:
                    fh.write(b"\0" * 65536)
            except OSError:
                pass
        line = one_line(merzim("plan", "export", "1", str(disk / "plan.xlsx"),
                               config=cfg))
        # SQLite may already fail to open its WAL: either way, one line that says so
        assert any(w in line for w in ("No space left", "cannot be written", "disk")), line
        runs = [merzim("org", "add", f"N{i}", "--name", f"New {i}", "--kind", "akimat",
                       config=cfg) for i in range(3)]
        failed = [r for r in runs if r.returncode != 0]
        assert failed, "the disk never filled"
        for r in failed:
            assert "disk" in one_line(r).lower()
        filler.unlink()
    finally:
        subprocess.run(["umount", "-l", str(disk)])


def test_a_nul_character_in_input_is_refused_on_every_backend(web):
    api = web.api("asel")
    b = web.browser("asel")
    csrf = web.csrf(b)
    before = web.dump()
    edu = web.analyses["edu"]
    r = api.post(f"/api/v1/analyses/{edu}/events",
                 json={"event": "order", "date": "2025-11-19", "number": "1\u00002"})
    assert r.status_code == 422 and r.json()["error"] == "error.nul_in_input"
    r = b.post(f"/analyses/{edu}/events", data={"csrf": csrf, "event": "order",
                                                "date": "2025-11-19", "number": "1\x002"})
    assert r.status_code == 422 and en("error.nul_in_input") in r.text
    assert r.headers["cache-control"] == "no-store"
    assert b.get("/overdue?org=%00").status_code == 422
    assert web.dump() == before
