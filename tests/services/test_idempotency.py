"""Writes that never lie: idempotency keys on the API and the forms, the answer of a
write whose database connection was lost, and a repeatable event sent twice by mistake —
through the real application, on the run's backend."""

from __future__ import annotations

import re
import threading
import uuid

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import Session

from tests.support.databases import migrated_to
from tests.support.features import module_of
from tests.support.pg_cuts import listening, terminate_backend
from tests.support.web_helpers import (
    CALENDAR,
    DEFINITION,
    TODAY,
    Web,
    en,
    wd,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from workflow.i18n import Translator
from workflow.storage.db import alembic_config, upgrade

NOTE = {"event": "positions_list", "date": TODAY.isoformat(), "number": "41",
        "signed_by": "Head of department"}


def records(web: Web, case: int, event_key: str) -> list[int]:
    with web.engine.connect() as conn:
        return [r[0] for r in conn.execute(text(
            "SELECT id FROM event_record WHERE case_id = :c AND event = :e AND kind = 'event' "
            "ORDER BY id"), {"c": case, "e": event_key})]


def keys(web: Web) -> list[tuple]:
    with web.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT key, method, path, status FROM idempotency_key ORDER BY key"))]


def cartogram_case(web: Web) -> int:
    """An analysis of the akimat AK-ALM, whose cartogram updates (a repeatable event) erlan
    records (as tests/web/test_web_recording.py)."""
    from workflow import services as svc
    planning_svc = module_of("planning", "service")

    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-setup", language="en")
    with Session(web.engine) as s:
        aid = planning_svc.plan_analysis(s, ctx, "AK-ALM", "AK-ALM-EDU", wd(-20)).analysis.id
        s.commit()
    return aid


UPDATE = {"event": "cartogram_update", "date": TODAY.isoformat(),
          "evidence": {"section": "AK-ALM-ILE", "cartogram_part": "risks"},
          "url": "https://almaty.gov.kz/c/1"}


# -- the API --------------------------------------------------------------------------------------


def test_the_same_record_sent_twice_with_one_key_is_stored_once_and_answered_alike(web: Web):
    api = web.api("asel")
    edu = web.analyses["edu"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=key)
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    [stored] = records(web, edu, "positions_list")
    before = web.dump()
    again = api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=key)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content  # the first answer, byte for byte
    assert records(web, edu, "positions_list") == [stored]
    assert web.dump() == before  # nothing stored the second time
    # another user's key of the same name is another key: hers is refused by the rules
    other = web.api("erlan").post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=key)
    assert other.status_code in (404, 409) and "idempotent-replayed" not in other.headers


def test_the_same_key_with_another_body_or_path_is_refused_and_nothing_stored(web: Web):
    api = web.api("asel")
    edu = web.analyses["edu"]
    key = {"Idempotency-Key": "batch-7/row-1"}
    assert api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=key).status_code == 200
    before = web.dump()
    for path, body in ((f"/api/v1/cases/{edu}/events", {**NOTE, "number": "42"}),
                       (f"/api/v1/cases/{edu}/not-done", {"stage": "order", "note": "x"})):
        r = api.post(f"{path}?lang=ru", json=body, headers=key)
        assert r.status_code == 422, r.text
        assert r.json() == {"error": "idempotency.reused",
                            "message": Translator("ru")("idempotency.reused")}
        assert web.dump() == before
    r = api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers={"Idempotency-Key": "x" * 201})
    assert r.status_code == 422 and r.json()["error"] == "idempotency.bad_key"
    assert web.dump() == before


def test_a_refusal_keeps_no_key_and_the_same_key_may_be_sent_again(web: Web):
    api = web.api("asel")
    edu = web.analyses["edu"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    before = web.dump()
    early = {**NOTE, "event": "action_plan"}  # needs the note first: refused by the rules
    r = api.post(f"/api/v1/cases/{edu}/events", json=early, headers=key)
    assert r.status_code == 409 and r.json()["error"] == "rule.prerequisite"
    assert web.dump() == before and keys(web) == []
    # the key of a refusal is free: it stored nothing, so the key may carry the next body
    r = api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=key)
    assert r.status_code == 200 and len(records(web, edu, "positions_list")) == 1


def test_two_requests_at_once_with_one_key_store_one_record(web: Web):
    """The second waits for the first (on the key's row) and gets its answer."""
    edu = web.analyses["edu"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    clients = [web.api("asel"), web.api("asel")]
    answers: list = [None, None]
    go = threading.Barrier(2)

    def send(n: int) -> None:
        go.wait()
        answers[n] = clients[n].post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=key)

    threads = [threading.Thread(target=send, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert answers[0].content == answers[1].content
    assert sorted(a.headers.get("idempotent-replayed", "") for a in answers) == ["", "true"]
    assert len(records(web, edu, "positions_list")) == 1


def test_every_write_of_the_api_documents_the_header(web: Web):
    schema = web.client().get("/openapi.json").json()
    writes = [(path, method) for path, ops in schema["paths"].items()
              if path.startswith("/api/v1/") for method in ops
              if method in ("post", "put", "patch", "delete")]
    assert len(writes) >= 12 and ("/api/v1/cases/{case_id}/events", "post") in writes
    for path, method in writes:
        names = [p["name"] for p in schema["paths"][path][method].get("parameters", [])]
        assert names.count("Idempotency-Key") == 1, (path, method)
    header = next(p for p in schema["paths"]["/api/v1/cases/{case_id}/events"]["post"]
                  ["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["schema"]["maxLength"] == 200
    reads = schema["paths"]["/api/v1/cases/{case_id}"]["get"].get("parameters", [])
    assert "Idempotency-Key" not in [p["name"] for p in reads]


# -- the forms ------------------------------------------------------------------------------------


def _record_form(page: str, event_key: str) -> dict[str, str]:
    block = re.search(rf'id="record-{event_key}".*?</form>', page, re.S).group(0)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', block))


def test_a_form_sent_twice_records_once_and_answers_the_same_redirect(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    page = b.get(f"/cases/{edu}").text
    hidden = _record_form(page, "positions_list")
    assert hidden["idempotency_key"] and hidden["csrf"]
    assert _record_form(b.get(f"/cases/{edu}").text, "positions_list")["idempotency_key"] != \
        hidden["idempotency_key"]  # a new key each time the form is rendered
    form = {**hidden, "date": TODAY.isoformat(), "number": "41", "signed_by": "Head"}
    first = b.post(f"/cases/{edu}/events", data=form, files={"files": ("", b"")})
    assert first.status_code == 303 and first.headers["location"] == f"/cases/{edu}"
    before = web.dump()
    again = b.post(f"/cases/{edu}/events", data=form, files={"files": ("", b"")})
    assert again.status_code == 303 and again.headers["location"] == f"/cases/{edu}"
    assert again.headers["idempotent-replayed"] == "true"
    assert len(records(web, edu, "positions_list")) == 1
    assert web.dump() == before


def test_a_form_that_stores_nothing_twice_is_not_kept_and_a_page_answer_is_not_replayed(web: Web):
    b = web.browser("asel")
    page = b.get("/account").text
    form = re.search(r'<form method="post" action="/account/tokens".*?</form>', page, re.S).group(0)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    r = b.post("/account/tokens", data={**hidden, "name": "script"})
    assert r.status_code == 200 and "mz_" in r.text
    before = web.dump()
    again = b.post("/account/tokens", data={**hidden, "name": "script"})
    # a page holding a new token is not kept: said so, and no second token
    assert again.status_code == 409 and "mz_" not in again.text
    assert web.dump() == before


# -- a repeatable event recorded twice by mistake -------------------------------------------------


def test_a_repeatable_event_recorded_again_within_a_minute_asks_for_confirmation(web: Web):
    aid = cartogram_case(web)
    api = web.api("erlan")
    assert api.post(f"/api/v1/cases/{aid}/events", json=UPDATE).status_code == 200
    before = web.dump()
    r = api.post(f"/api/v1/cases/{aid}/events", json=UPDATE)
    assert r.status_code == 409 and r.json()["error"] == "rule.repeat_event", r.text
    [first] = records(web, aid, "cartogram_update")
    assert f"#{first}" in r.json()["message"]
    assert "Corruption cartogram updated" in r.json()["message"]  # the event by its name
    assert web.dump() == before
    # another day, or other evidence, is another record; "repeat" confirms the same again
    other = {**UPDATE, "evidence": {**UPDATE["evidence"], "cartogram_part": "positions"}}
    assert api.post(f"/api/v1/cases/{aid}/events", json=other).status_code == 200
    r = api.post(f"/api/v1/cases/{aid}/events", json={**UPDATE, "repeat": True})
    assert r.status_code == 200
    assert len(records(web, aid, "cartogram_update")) == 3
    # with a key that already answered, a resend is simply the first answer
    key = {"Idempotency-Key": str(uuid.uuid4())}
    third = {**UPDATE, "date": wd(-1).isoformat()}
    first_answer = api.post(f"/api/v1/cases/{aid}/events", json=third, headers=key)
    assert first_answer.status_code == 200
    again = api.post(f"/api/v1/cases/{aid}/events", json=third, headers=key)
    assert again.status_code == 200 and again.content == first_answer.content
    assert len(records(web, aid, "cartogram_update")) == 4


def test_the_case_page_offers_to_record_a_repeatable_event_again(web: Web):
    aid = cartogram_case(web)
    b = web.browser("erlan")
    fields = {"event": "cartogram_update", "date": TODAY.isoformat(),
              "ev_section": "AK-ALM-ILE", "ev_cartogram_part": "risks",
              "url": "https://almaty.gov.kz/c/1"}
    hidden = _record_form(b.get(f"/cases/{aid}").text, "cartogram_update")
    assert b.post(f"/cases/{aid}/events", data={**hidden, **fields}).status_code == 303
    hidden = _record_form(b.get(f"/cases/{aid}").text, "cartogram_update")  # a new form
    before = web.dump()
    r = b.post(f"/cases/{aid}/events", data={**hidden, **fields})
    assert r.status_code == 409
    assert 'data-testid="repeat-confirm"' in r.text and en("record.repeat_confirm") in r.text
    assert web.dump() == before
    hidden = _record_form(r.text, "cartogram_update")
    r = b.post(f"/cases/{aid}/events", data={**hidden, **fields, "repeat": "yes"})
    assert r.status_code == 303
    assert len(records(web, aid, "cartogram_update")) == 2


def test_the_command_line_records_a_repeatable_event_again_with_repeat(web: Web, tmp_path):
    from tests.support.cli_runner import merzim_env, run_merzim

    aid = cartogram_case(web)
    env = merzim_env(db_url=web.engine.url.render_as_string(hide_password=False), today=TODAY)
    args = ["record", str(aid), "cartogram_update", "--date", TODAY.isoformat(),
            "--evidence", "section=AK-ALM-ILE", "--evidence", "cartogram_part=risks",
            "--url", "https://almaty.gov.kz/c/1"]
    first = run_merzim(args, env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = web.dump()
    again = run_merzim(args, env, cwd=tmp_path)
    assert again.returncode != 0 and "--repeat" in again.stderr, again.stderr
    assert web.dump() == before
    assert run_merzim([*args, "--repeat"], env, cwd=tmp_path).returncode == 0
    assert len(records(web, aid, "cartogram_update")) == 2


# -- a connection lost after the commit (PostgreSQL: pg_terminate_backend) -----------------------


def _cut_after_commit(engine):
    """Terminate the backend of the first statement a connection runs after it committed: the
    answer of a write is being built when its connection drops."""
    committed: set[int] = set()
    fired: list[int] = []

    def on_commit(conn):
        if not fired:
            committed.add(id(conn.connection.dbapi_connection))

    def before(conn, cursor, _sql, _params, _context, _many):
        if fired or id(conn.connection.dbapi_connection) not in committed:
            return
        pid = cursor.connection.info.backend_pid
        terminate_backend(pid)
        fired.append(pid)

    return fired, listening(engine, commit=on_commit, before_cursor_execute=before)


def _cut_at_commit(engine):
    """Terminate the backend of the next COMMIT: the commit's outcome is unknown to merzim."""
    fired: list[int] = []

    def on_commit(conn):
        if fired:
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        terminate_backend(pid)
        fired.append(pid)

    return fired, listening(engine, commit=on_commit)


def _note_through_a_cut(web: Web, api, cut, headers: dict[str, str]):
    """Asel's note of the education analysis sent by her API client, its connection cut by
    `cut` (her token looked up first, so that the cut meets the write): the backends
    terminated, the answer."""
    assert api.get("/api/v1/organisations").status_code == 200
    fired, stop = cut(web.engine)
    try:
        answer = api.post(f"/api/v1/cases/{web.analyses['edu']}/events", json=NOTE,
                          headers=headers)
    finally:
        stop()
    return fired, answer


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_connection_cut_after_the_commit_never_says_nothing_was_committed(web: Web):
    edu = web.analyses["edu"]
    # without a key: the write commits, then its answer's reads meet a dead connection
    fired, r = _note_through_a_cut(web, web.api("asel"), _cut_after_commit, {})
    assert fired, "no backend was terminated"
    assert r.status_code == 503 and r.json()["error"] == "error.db_lost_saved", r.text
    assert "retry-after" not in r.headers
    assert r.json()["message"] == en("error.db_lost_saved")
    assert r.json()["error"] != "error.db_unavailable"
    assert len(records(web, edu, "positions_list")) == 1


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_with_a_key_the_answer_is_built_before_the_commit_and_a_resend_finds_one_record(
        web: Web):
    api = web.api("asel")
    edu = web.analyses["edu"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    # the same cut: with a key the answer was built before the commit, so it arrives whole
    _fired, first = _note_through_a_cut(web, api, _cut_after_commit, key)
    assert first.status_code == 200, first.text
    assert first.json()["state"] and len(records(web, edu, "positions_list")) == 1
    again = api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=key)
    assert again.status_code == 200 and again.content == first.content
    assert len(records(web, edu, "positions_list")) == 1


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_connection_cut_at_the_commit_says_it_may_have_landed_and_the_key_tells(web: Web):
    api = web.api("asel")
    edu = web.analyses["edu"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    fired, r = _note_through_a_cut(web, api, _cut_at_commit, key)
    assert fired, "no backend was terminated"
    assert r.status_code == 503 and r.json()["error"] == "error.db_lost_unknown", r.text
    assert "Idempotency-Key" in r.json()["message"]
    # the same request with the same key: done (it had not landed), or its first answer
    again = api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=key)
    assert again.status_code == 200, again.text
    assert len(records(web, edu, "positions_list")) == 1
    third = api.post(f"/api/v1/cases/{edu}/events", json=NOTE, headers=key)
    assert third.content == again.content and third.headers["idempotent-replayed"] == "true"
    assert len(records(web, edu, "positions_list")) == 1


# -- the table: its migration on both backends -----------------------------------------------------


at_0017 = migrated_to("0017", "merzim_idem")  # before the keys


def test_the_keys_table_is_added_and_removed_with_everything_else_intact(at_0017):
    from tests.support.databases import dump_tables

    eng = at_0017
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, code, name, kind, path) "
                          "VALUES (1, 'AK', 'Akimat', 'akimat', '/1/')"))
        conn.execute(text("INSERT INTO app_user (id, login, full_name, role, organisation_id, "
                          "language, active, telegram_active, failed_logins) VALUES "
                          "(1, 'asel', 'Asel', 'officer', 1, 'kk', true, true, 0)"))
    before = dump_tables(eng)
    command.upgrade(alembic_config(eng), "0018")  # the revision that adds the keys' table
    after = dump_tables(eng)
    assert after.pop("idempotency_key") == []
    assert {k: v for k, v in after.items() if k != "alembic_version"} == \
        {k: v for k, v in before.items() if k != "alembic_version"}
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO idempotency_key (user_id, key, method, path, status, "
                          "created_at) VALUES (1, 'k1', 'POST', '/api/v1/cases', 200, 1.5)"))
        with pytest.raises(Exception, match="(?i)unique|duplicate"), conn.begin_nested():
            conn.execute(text("INSERT INTO idempotency_key (user_id, key, method, path, "
                              "created_at) VALUES (1, 'k1', 'POST', '/x', 2.5)"))
    command.downgrade(alembic_config(eng), "0017")
    assert "idempotency_key" not in dump_tables(eng)
    upgrade(eng)
    assert dump_tables(eng)["idempotency_key"] == []


def test_the_worker_forgets_keys_older_than_a_day(web: Web):
    import time

    from workflow.storage.queries import idempotency

    api = web.api("asel")
    edu = web.analyses["edu"]
    assert api.post(f"/api/v1/cases/{edu}/events", json=NOTE,
                    headers={"Idempotency-Key": "old"}).status_code == 200
    assert [k[0] for k in keys(web)] == ["old"]
    with web.engine.begin() as conn:
        assert idempotency.forget_keys(conn, time.time() - idempotency.KEEP_SECONDS) == 0
        assert idempotency.forget_keys(conn, time.time() + 1) == 1
    assert keys(web) == []
