"""The lock-out holds under parallel guesses, and a locked account answers like a wrong password.

Before the fix, 40 parallel wrong passwords were all checked and left the counter at 3 with no
lock on SQLite (2 with two web processes on PostgreSQL): every request read the same count."""

from __future__ import annotations

import multiprocessing
import re
import ssl
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from argon2 import PasswordHasher
from sqlmodel import Session, select

from tests.support.web_helpers import en
from workflow import services as svc
from workflow.services import accounts as auth
from workflow.storage.db import make_engine
from workflow.storage.models import AuditRecord, User, WebSession

PASSWORD = "the-right-password-42"
# one TLS context for the file's HTTP clients (plain http here): each client would otherwise
# load the system's certificate bundle, ~20 ms of CPU a client, 40 clients a test
TLS = ssl.create_default_context()
# The account's hash uses light argon2 parameters (the hash carries them), so that 40 checks
# at once fit in a test machine's memory; the code path is the one every login takes.
LIGHT = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def _account(url: str, make_ctx) -> int:
    eng = make_engine(url)
    with Session(eng) as s:
        ctx = make_ctx(date(2025, 11, 19))
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        user = svc.add_user(s, ctx, "marat", "Marat", "officer", "AK")
        user.password_hash = LIGHT.hash(PASSWORD)
        s.add(user)
        s.commit()
        uid = user.id
    eng.dispose()
    return uid


def _attempt(url: str, password: str) -> tuple[bool, str | None]:
    eng = make_engine(url)
    try:
        with Session(eng) as s:
            result = auth.authenticate(s, "marat", password)
            s.commit()
            return result.user is not None, result.error
    finally:
        eng.dispose()


def _attempts_in_threads(url: str, passwords: list[str]) -> list[tuple[bool, str | None]]:
    with ThreadPoolExecutor(max_workers=10) as pool:
        return list(pool.map(lambda p: _attempt(url, p), passwords))


def _outcome(url: str, uid: int) -> tuple[User, list[str]]:
    eng = make_engine(url)
    with Session(eng) as s:
        user = s.get(User, uid)
        actions = [a for a in s.exec(select(AuditRecord.action)
                                     .where(AuditRecord.action.like("login.%")))]
    eng.dispose()
    return user, actions


@pytest.mark.slow
def test_forty_parallel_wrong_passwords_lock_the_account_after_five(db_url, make_ctx):
    uid = _account(db_url, make_ctx)
    results = _attempts_in_threads(db_url, [f"wrong-guess-{i:02}" for i in range(40)])
    assert results == [(False, "login.failed")] * 40
    user, actions = _outcome(db_url, uid)
    assert user.locked_until is not None
    # four counted failures, the fifth locks; the other 35 met the lock
    assert actions.count("login.failed") == 4
    assert actions.count("login.locked") == 36
    # the right password after the lock: refused with the same answer
    assert _attempt(db_url, PASSWORD) == (False, "login.failed")


def _process(url: str, passwords: list[str], out) -> None:
    out.put(_attempts_in_threads(url, passwords))


@pytest.mark.slow
def test_parallel_guesses_from_several_processes_lock_the_account(db_url, make_ctx):
    """Like several web processes (`serve --workers`): 4 processes x 10 guesses, one right."""
    uid = _account(db_url, make_ctx)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    guesses = [f"wrong-guess-{i:02}" for i in range(39)] + [PASSWORD]
    procs = [ctx.Process(target=_process, args=(db_url, guesses[k::4], out)) for k in range(4)]
    for p in procs:
        p.start()
    results = [r for _ in procs for r in out.get(timeout=180)]
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 4
    user, actions = _outcome(db_url, uid)
    assert user.locked_until is not None
    signed_in = results.count((True, None))
    # the right password only gets in if it came before the fifth failure; then it resets the
    # count, and five more failures lock again
    assert actions.count("login.ok") == signed_in <= 1
    assert 4 <= actions.count("login.failed") <= 4 + 4 * signed_in
    assert len(actions) == 40


def _answer(web, login: str, password: str) -> tuple[int, str]:
    c = web.client()
    r = web.post_login(c, login, password)
    body = re.sub(r'name="csrf" value="[^"]*"', 'name="csrf" value=""', r.text)
    return r.status_code, body


def test_a_locked_account_answers_exactly_like_a_wrong_password(web):
    password = web.ensure_password("marat")
    unknown = _answer(web, "nobody-such", "wrong-password-1")
    wrong = _answer(web, "marat", "wrong-password-1")
    assert wrong == unknown and wrong[0] == 401 and en("login.failed") in wrong[1]
    for _ in range(4):
        _answer(web, "marat", "wrong-password-1")
    assert web.user("marat").locked_until is not None
    assert _answer(web, "marat", "wrong-password-1") == unknown
    assert _answer(web, "marat", password) == unknown
    with Session(web.engine) as s:
        assert s.exec(select(WebSession).where(WebSession.user_id == web.user("marat").id)
                      ).all() == []


def test_the_login_form_and_user_password_accept_the_same_longest_password(web):
    from workflow.core.errors import UsageError

    longest = "p" * auth.MAX_PASSWORD
    with Session(web.engine) as s:
        auth.set_password(s, svc.get_user(s, "timur"), longest, "test")
        s.commit()
        try:
            auth.set_password(s, svc.get_user(s, "timur"), longest + "p", "test")
        except UsageError as exc:
            assert exc.key == "error.long_password"
        else:
            raise AssertionError("a password over the limit was accepted")
        s.rollback()
    assert web.post_login(web.client(), "timur", longest).status_code == 303
    # longer: refused, not cut to the limit and let in
    assert web.post_login(web.client(), "timur", longest + "p").status_code == 401


@pytest.mark.slow
def test_forty_parallel_guesses_over_http_against_two_web_processes(db_url, make_ctx, tmp_path):
    """Measured end to end: `merzim serve --workers 2`, 40 parallel POST /login
    with wrong passwords, then the right one; every answer is the same 401."""
    import subprocess

    import httpx

    from tests.support.processes import CSRF, SCRIPT, env_for, free_port, terminate, wait_up

    uid = _account(db_url, make_ctx)
    port = free_port()
    proc = subprocess.Popen([str(SCRIPT), "serve", "--workers", "2", "--no-worker", "--port",
                             str(port)], env=env_for(db_url), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"

    def attempt(password: str) -> tuple[int, str]:
        with httpx.Client(base_url=base, follow_redirects=False, timeout=60, verify=TLS) as c:
            token = CSRF.search(c.get("/login").text).group(1)
            r = c.post("/login", data={"login": "marat", "password": password, "csrf": token})
            message = re.search(r'<p class="error" role="alert">([^<]*)</p>', r.text)
            return r.status_code, message.group(1) if message else r.text[:100]

    try:
        wait_up(proc, lambda: httpx.get(f"{base}/login", timeout=2, verify=TLS).status_code == 200)
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(attempt, [f"wrong-guess-{i:02}" for i in range(40)]))
        assert answers == [(401, en("login.failed"))] * 40
        assert attempt(PASSWORD) == (401, en("login.failed"))
    finally:
        terminate(proc)
    user, actions = _outcome(db_url, uid)
    assert user.locked_until is not None
    assert actions.count("login.failed") == 4 and actions.count("login.locked") == 37
