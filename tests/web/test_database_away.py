"""A keyed write (Idempotency-Key) while PostgreSQL is away or its backend is terminated
(pg_terminate_backend, from another connection): the answer is 503 with Retry-After, never a
500, whichever look-up meets the dead connection; and the audit checkpoint only ever names a
record that was committed, so `merzim audit verify` passes afterwards.

PostgreSQL only: a SQLite database has no connection to lose."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.support.databases import POSTGRES_URL
from tests.support.pg_cuts import listening, terminate_backend, terminate_before
from tests.support.processes import free_port
from tests.support.web_helpers import (
    CALENDAR,
    DEFINITION,
    TODAY,
    Web,
    en,
)
from tests.support.web_helpers import _settings as web_settings
from web.app import create_app
from workflow.storage import checkpoint
from workflow.storage.db import make_engine

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)

NOTE = {"event": "positions_list", "date": TODAY.isoformat(), "number": "41",
        "signed_by": "Head of department"}


def terminate_after_audit(engine):
    """Terminate the backend of a connection right after it inserted an audit record, before
    its next statement: the record was flushed, its transaction is lost."""
    inserted: set[int] = set()
    fired: list[int] = []

    def before(_conn, cursor, sql, _params, _context, _many):
        if fired:
            return
        pid = cursor.connection.info.backend_pid
        if pid in inserted:
            terminate_backend(pid)
            fired.append(pid)

    def after(_conn, cursor, sql, _params, _context, _many):
        if not fired and re.match(r"\s*INSERT INTO audit_log\b", sql, re.I):
            inserted.add(cursor.connection.info.backend_pid)

    return fired, listening(engine, before_cursor_execute=before, after_cursor_execute=after)


def keyed() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def records(web: Web, case: int) -> int:
    with web.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM event_record WHERE case_id = :c AND "
                                 "event = 'positions_list'"), {"c": case}).scalar_one()


def assert_unavailable(r) -> None:
    assert r.status_code == 503, r.text
    assert r.json() == {"error": "error.db_unavailable", "message": en("error.db_unavailable")}
    assert r.headers["retry-after"] == "5" and r.headers["cache-control"] == "no-store"


# -- 503, never 500 ----------------------------------------------------------------------------


@pytest.mark.parametrize("look_up", [
    r"\bJOIN api_token\b",  # who sends the write
    r"\bFROM idempotency_key\b",  # whether its key was used
])
def test_a_keyed_write_whose_look_up_loses_the_connection_is_answered_503(web: Web, look_up):
    api = web.api("asel")
    edu = web.analyses["edu"]
    assert api.get("/api/v1/organisations").status_code == 200
    before = web.dump()
    fired, stop = terminate_before(web.engine, look_up)
    try:
        r = api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=keyed())
    finally:
        stop()
    assert fired, "no backend was terminated"
    assert_unavailable(r)
    assert web.dump() == before
    # the same write with a key, sent again: done once
    key = keyed()
    first = api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=key)
    assert first.status_code == 200, first.text
    again = api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=key)
    assert again.headers["idempotent-replayed"] == "true" and again.content == first.content
    assert records(web, edu) == 1


def test_a_keyed_write_while_the_database_is_unreachable_is_answered_503_in_every_language(
        web: Web, tmp_path):
    # the same application on a database address where nothing answers (PostgreSQL stopped)
    token = web.token("asel")
    edu = web.analyses["edu"]
    url = re.sub(r"@[^/]+/", f"@127.0.0.1:{free_port()}/", POSTGRES_URL or "")
    away = make_engine(url)
    try:
        app = create_app(web_settings(tmp_path, url), away, CALENDAR, DEFINITION)
        from fastapi.testclient import TestClient

        with TestClient(app) as client:
            for lang in ("en", "ru", "kk"):
                r = client.post(f"/api/v1/cases/{edu}/events", json=NOTE,
                                headers={**keyed(), "Authorization": f"Bearer {token}",
                                         "Accept-Language": lang})
                assert r.status_code == 503, r.text
                assert r.json()["error"] == "error.db_unavailable"
                from workflow.i18n import Translator

                assert r.json()["message"] == Translator(lang)("error.db_unavailable")
                assert r.headers["retry-after"] == "5"
            # a signed-in browser's form with its hidden key: the same
            r = client.post(f"/cases/{edu}/events", data={"idempotency_key": "k" * 20,
                                                          "csrf": "x"},
                            cookies={"merzim_session": "s" * 40})
            assert r.status_code == 503, r.text
    finally:
        away.dispose()


# -- the checkpoint names only committed records ------------------------------------------------


def _verify(merzim_db, cfg: Path):
    run = merzim_db("audit", "verify", "--json", config=cfg)
    return run, (json.loads(run.stdout) if run.stdout.strip() else None)


def last_audit(web: Web) -> tuple[int, str]:
    with web.engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")).one())


def test_a_keyed_write_whose_connection_dies_after_its_audit_record_leaves_the_checkpoint(
        web: Web, merzim_db, tmp_path):
    head_file = tmp_path / "audit-head"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[audit]\ncheckpoint = "{head_file}"\n', encoding="utf-8")
    checkpoint.configure(web.engine, head_file)
    api = web.api("asel")  # her token's record: the checkpoint's first head
    edu = web.analyses["edu"]
    committed = last_audit(web)
    assert checkpoint.read(head_file) == checkpoint.Head(*committed)

    # the connection dies once the write's record was flushed: nothing of it is committed
    fired, stop = terminate_after_audit(web.engine)
    try:
        lost = api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=keyed())
    finally:
        stop()
    assert fired, "no backend was terminated"
    assert lost.status_code == 503 and lost.json()["error"] == "error.db_unavailable", lost.text
    assert last_audit(web) == committed and records(web, edu) == 0
    assert checkpoint.read(head_file) == checkpoint.Head(*committed)
    run, out = _verify(merzim_db, cfg)
    assert run.returncode == 0 and out["ok"], (run.stdout, run.stderr)

    # sent again: done, and the checkpoint moves to its own, committed record
    again = api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=keyed())
    assert again.status_code == 200, again.text
    assert records(web, edu) == 1 and last_audit(web)[0] > committed[0]
    assert checkpoint.read(head_file) == checkpoint.Head(*last_audit(web))
    run, out = _verify(merzim_db, cfg)
    assert run.returncode == 0 and out["ok"], (run.stdout, run.stderr)
