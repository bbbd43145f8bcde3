"""`audit verify` compares the chain with the head kept outside the database.

Before the checkpoint, emptying the audit log or removing its newest records passed `verify`:
every remaining link still held."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.support.features import needs
from workflow.storage import audit, checkpoint
from workflow.storage.db import make_engine


def _config(tmp_path: Path, db_url: str) -> tuple[Path | None, Path]:
    """No config file on SQLite (the default file next to the database); one on PostgreSQL."""
    if db_url.startswith("sqlite"):
        return None, Path(db_url.removeprefix("sqlite:///") + ".audit-head")
    head = tmp_path / "audit-head"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[audit]\ncheckpoint = "{head}"\n', encoding="utf-8")
    return cfg, head


def _sql(db_url: str, statement: str) -> None:
    eng = make_engine(db_url)
    with eng.begin() as conn:
        conn.execute(text(statement))
    eng.dispose()


def _verify(merzim_db, cfg):
    run = merzim_db("audit", "verify", "--json", config=cfg)
    return run, (json.loads(run.stdout) if run.stdout.strip() else None)


@needs("planning")
def test_removing_the_newest_records_fails_verify_and_later_appends_do_not_hide_it(
        merzim_db, db_url, tmp_path):
    cfg, head_file = _config(tmp_path, db_url)
    assert merzim_db("init", "--demo", config=cfg).returncode == 0
    assert head_file.is_file()
    run, out = _verify(merzim_db, cfg)
    assert run.returncode == 0 and out["ok"] and out["checkpoint"] == str(head_file), run.stderr
    head = checkpoint.read(head_file)
    assert head is not None and head.id > 3

    _sql(db_url, f"DELETE FROM audit_log WHERE id > {head.id - 3}")
    run = merzim_db("audit", "verify", config=cfg)
    assert run.returncode == 3
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert f"record {head.id}" in run.stderr and "removed from the end" in run.stderr

    # the next recorded action does not move the checkpoint past the gap
    assert merzim_db("org", "add", "NEW", "--name", "New", "--kind", "akimat", config=cfg
                     ).returncode == 0
    assert checkpoint.read(head_file) == head
    assert merzim_db("audit", "verify", config=cfg).returncode == 3


def test_emptying_the_log_fails_verify(merzim_db, db_url, tmp_path):
    cfg, _head = _config(tmp_path, db_url)
    assert merzim_db("init", "--demo", config=cfg).returncode == 0
    _sql(db_url, "DELETE FROM audit_log")
    run = merzim_db("audit", "verify", config=cfg)
    assert run.returncode == 3 and "removed from the end" in run.stderr


def test_replacing_the_newest_record_fails_verify(db, tmp_path):
    checkpoint.configure(db, tmp_path / "head")
    with Session(db) as s:
        for i in range(3):
            audit.append(s, "test", "a", "x", i, {})
        s.commit()
    with db.begin() as conn:  # rewrite the last record and re-hash it: the chain itself holds
        last = conn.execute(text("SELECT id, prev_hash, at FROM audit_log ORDER BY id DESC")
                            ).first()
        forged = audit.record_hash(last.prev_hash, last.at, "forger", "a", "x", "2", "{}")
        conn.execute(text("UPDATE audit_log SET actor='forger', hash=:h WHERE id=:i"),
                     {"h": forged, "i": last.id})
    with Session(db) as s:
        result = audit.verify(s)
    assert not result.ok and result.first_bad_id == last.id
    assert "replaced" in result.problem


def test_no_checkpoint_file_yet_is_said_and_an_unreadable_one_fails(db, tmp_path):
    head = tmp_path / "head"
    checkpoint.configure(db, head)
    with Session(db) as s:
        assert audit.verify(s).ok and audit.verify(s).checkpoint is None
    head.write_bytes(b"\x00garbage")
    with Session(db) as s:
        result = audit.verify(s)
    assert not result.ok and "cannot be read" in result.problem


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_verify_names_the_checkpoint_in_the_readers_language(merzim_db, db_url, tmp_path, lang):
    from workflow.i18n import Translator

    cfg, head_file = _config(tmp_path, db_url)
    assert merzim_db("init", config=cfg).returncode == 0
    run = merzim_db("audit", "verify", config=cfg, lang=lang)
    assert run.returncode == 0
    assert Translator(lang)("audit.no_checkpoint") in run.stdout
    assert merzim_db("org", "add", "NEW", "--name", "New", "--kind", "akimat", config=cfg
                     ).returncode == 0
    run = merzim_db("audit", "verify", config=cfg, lang=lang)
    assert Translator(lang)("audit.checkpoint_ok", path=str(head_file)) in run.stdout
