"""No request stops merzim (web/kit/loop_guard.py; docs/operator-guide.md, "Every wait has a
bound"): two `merzim serve` nodes on one PostgreSQL database, `[database] busy_seconds = 2`.

* A storm of refusals (404, 409, 422, 401 from several users, on both nodes) while keyed
  comments are written: `/healthz` answers on both nodes throughout; every write lands or is
  answered 503 and then lands when sent again with its key -- none lost, none doubled; the
  audit chain verifies. (A refusal's audit record used to be written on the event loop: with a
  write of the same process holding the writers' lock, the loop waited for a lock only the loop
  could release, and the node stopped answering until killed.)
* An outside session holding the writers' lock: a write is answered 503 with Retry-After
  and the busy message (not left hanging), a refusal alike or as itself, `/healthz` answers,
  and the moment the lock is released the same write with the same key lands, once.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.support.processes import gift_not_handed_over, local, start_node, terminate, wait_up
from web.kit.deps import SESSION_COOKIE
from workflow import services as svc
from workflow.services import accounts as auth
from workflow.services import transactions as tx
from workflow.storage.audit import LOCK_ID

pytestmark = pytest.mark.slow  # two nodes as processes

BUSY_SECONDS = 2
STORM_SECONDS = 60
ORG = "AK-ALM-EDU"


@pytest.fixture
def nodes(db_url, db, make_ctx, tmp_path):
    """The demo, API tokens of an officer (asel) and a manager (nurlan), the manager's
    browser session, two nodes."""
    from workflow.services.demo import load_demo

    with Session(db) as s:
        load_demo(s, make_ctx(date(2026, 2, 4)))
        tokens = {login: auth.create_api_token(s, svc.get_user(s, login), "storm")
                  for login in ("asel", "nurlan")}
        tokens["nurlan-browser"], _row = auth.open_session(s, svc.get_user(s, "nurlan"))
        s.commit()
    started = [start_node(db_url, tmp_path / name,
                          f"[database]\nbusy_seconds = {BUSY_SECONDS}\n") for name in ("node-a", "node-b")]
    try:
        for proc, base in started:
            wait_up(proc, lambda base=base: local().get(f"{base}/healthz",
                                                        timeout=2).status_code == 200)
        yield [base for _proc, base in started], tokens, [proc for proc, _base in started]
    finally:
        for proc, _base in started:
            terminate(proc)


def _bearer(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **more}


def _gift_with_entry(base: str, headers: dict) -> int:
    """A gift not handed over whose register entry is opened: opening it again is refused (409
    rule.link_exists) however often it is asked."""
    case = gift_not_handed_over(base, headers, ORG, "Storm Person")
    r = local().post(f"{base}/api/v1/cases/{case}/linked", headers=headers, json={}, timeout=30)
    assert r.status_code == 200, r.text
    return case


def _write_until_landed(base: str, token: str, case: int, key: str, words: str,
                        busy: list[int]) -> httpx.Response:
    """A keyed comment sent until it lands (a 503 sent again with its key, as a client does)."""
    while True:
        r = local().post(f"{base}/api/v1/cases/{case}/comments", timeout=60,
                         headers=_bearer(token, **{"Idempotency-Key": key}),
                         json={"text": words})
        if r.status_code != 503:
            return r
        busy.append(1)
        time.sleep(float(r.headers.get("retry-after", "1")) / 5)


def _comments(base: str, token: str, case: int) -> list[str]:
    r = local().get(f"{base}/api/v1/cases/{case}/comments", headers=_bearer(token), timeout=60)
    assert r.status_code == 200, r.text
    return [c["text"] for c in r.json()]


@contextlib.contextmanager
def _writers_lock_held(db) -> Iterator[None]:
    """Another program's session holds the writers' lock of this schema meanwhile."""
    holder = db.connect()
    try:
        assert holder.execute(text("SELECT pg_try_advisory_lock(:k, hashtext(current_schema()))"),
                              {"k": LOCK_ID}).scalar() is True
        yield
    finally:
        holder.rollback()
        holder.execute(text("SELECT pg_advisory_unlock_all()"))
        holder.close()


def _verify_audit(db) -> None:
    with Session(db) as s:
        found = tx.verify_audit(s)
    assert found.ok, found


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_storm_of_refusals_while_keyed_writes_run_stops_no_node(db, nodes):
    (a, b), tokens, procs = nodes
    asel, nurlan = tokens["asel"], tokens["nurlan"]
    case = _gift_with_entry(a, _bearer(asel))
    stop = threading.Event()
    refusals: dict[int, int] = {}
    health: dict[str, list] = {"slowest": [0.0], "failed": []}
    lock = threading.Lock()

    def refuse(base: str, token: str | None, ask) -> None:
        while not stop.is_set():
            r = ask(base, {} if token is None else _bearer(token))
            with lock:
                refusals[r.status_code] = refusals.get(r.status_code, 0) + 1

    asks = [
        (a, asel, lambda base, h: local().get(f"{base}/api/v1/cases/987654321", headers=h,
                                              timeout=60)),  # 404
        (b, asel, lambda base, h: local().post(f"{base}/api/v1/cases/{case}/linked",
                                               headers=h, json={}, timeout=60)),  # 409
        (a, nurlan, lambda base, h: local().post(f"{base}/api/v1/cases", headers=h,
                                                 json={"process": 7}, timeout=60)),  # 422
        (b, None, lambda base, h: local().get(f"{base}/cases/987654321", timeout=60, headers={
            "Cookie": f"{SESSION_COOKIE}={tokens['nurlan-browser']}",
            "Accept": "text/html"})),  # 404: the error page with its reader's menu
        (a, None, lambda base, h: local().get(f"{base}/api/v1/cases", headers={
            "Authorization": "Bearer wrong"}, timeout=60)),  # 401
    ]

    def watch(base: str) -> None:
        while not stop.is_set():
            began = time.monotonic()
            try:
                r = local().get(f"{base}/healthz", timeout=5)
                ok = r.status_code == 200
            except httpx.HTTPError as exc:
                ok, r = False, exc
            took = time.monotonic() - began
            with lock:
                health["slowest"].append(took)
                if not ok:
                    health["failed"].append((base, repr(r)))
            time.sleep(0.2)

    written: list[str] = []
    busy: list[int] = []

    def write() -> None:
        n = 0
        while not stop.is_set():
            words = f"storm comment {n}"
            r = _write_until_landed((a, b)[n % 2], asel, case, str(uuid.uuid4()), words, busy)
            assert r.status_code == 201, r.text
            written.append(words)
            n += 1

    threads = [threading.Thread(target=refuse, args=ask, daemon=True) for ask in asks]
    threads += [threading.Thread(target=watch, args=(base,), daemon=True) for base in (a, b)]
    writer = threading.Thread(target=write, daemon=True)
    for t in [*threads, writer]:
        t.start()
    time.sleep(STORM_SECONDS)
    stop.set()
    for t in [*threads, writer]:
        t.join(120)
        assert not t.is_alive(), "a client of the storm is still waiting"
    print(json.dumps({"refusals": refusals, "written": len(written), "busy": len(busy),
                      "healthz_slowest_s": round(max(health["slowest"]), 3),
                      "healthz_asked": len(health["slowest"]) - 1}))
    assert health["failed"] == [], health["failed"][:5]
    assert {404, 409, 422, 401} <= refusals.keys(), refusals
    assert set(refusals) <= {401, 404, 409, 422, 503}, refusals
    assert written, "no write landed during the storm"
    assert sorted(_comments(b, asel, case)) == sorted(written)  # none lost, none doubled
    for proc in procs:
        assert proc.poll() is None
    _verify_audit(db)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_writers_lock_held_outside_answers_busy_and_writes_again_once_released(
        db, nodes):
    (a, b), tokens, _procs = nodes
    asel = tokens["asel"]
    case = _gift_with_entry(a, _bearer(asel))
    key = str(uuid.uuid4())
    headers = _bearer(asel, **{"Idempotency-Key": key})
    with _writers_lock_held(db):
        for base in (a, b):
            r = local().post(f"{base}/api/v1/cases/{case}/comments", headers=headers,
                             json={"text": "while the lock is held"}, timeout=60)
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"] and r.json()["error"] == "error.db_busy"
            assert "busy" in r.json()["message"]
            r = local().get(f"{base}/api/v1/cases/987654321", headers=_bearer(asel),
                            timeout=60)
            assert r.status_code in (404, 503), r.text  # its audit record waits as a write
            if r.status_code == 503:
                assert r.json()["error"] == "error.db_busy"
            assert local().get(f"{base}/healthz", timeout=5).status_code == 200
    r = local().post(f"{b}/api/v1/cases/{case}/comments", headers=headers,
                     json={"text": "while the lock is held"}, timeout=60)
    assert r.status_code == 201, r.text
    again = local().post(f"{a}/api/v1/cases/{case}/comments", headers=headers,
                         json={"text": "while the lock is held"}, timeout=60)
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
    assert _comments(a, asel, case).count("while the lock is held") == 1
    _verify_audit(db)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_command_behind_a_writers_lock_held_outside_is_one_line(db, db_url, merzim,
                                                                  tmp_path):
    """The command line waits `busy_seconds` for the writers' lock, then says so in one line
    and stores nothing; once it is free the same command writes."""
    from workflow.i18n import Translator

    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[database]\nbusy_seconds = {BUSY_SECONDS}\n", encoding="utf-8")
    env = {"MERZIM_DATABASE_URL": db_url}
    assert merzim("init", config=cfg, env=env).returncode == 0
    with _writers_lock_held(db):
        run = merzim("org", "add", "NEW", "--name", "New", "--kind", "akimat", config=cfg,
                     env=env)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.strip() == Translator("en")("error.db_busy_cli")
    assert "NEW" not in merzim("org", "list", config=cfg, env=env).stdout
    assert merzim("org", "add", "NEW", "--name", "New", "--kind", "akimat", config=cfg,
                  env=env).returncode == 0
    assert "NEW" in merzim("org", "list", config=cfg, env=env).stdout
