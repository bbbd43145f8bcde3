"""`merzim serve` checks its options and takes its address before anything is written:
a port out of range or in use exits 2 with one line and the database unchanged, even
with the worker embedded; X-Forwarded-For is believed only from a configured trusted proxy, so
the public page's rate limit is not dodged by a header."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.cli_runner import run_merzim
from tests.support.databases import dump_tables
from tests.support.processes import SCRIPT, env_for, free_port, local, terminate, wait_answering

pytestmark = pytest.mark.slow  # merzim serve as a process


def test_a_port_out_of_range_exits_2_in_one_line_and_writes_nothing(db_url, db, tmp_path):
    before = dump_tables(db)
    for value, words in (("99999", "--port must be a whole number from 1 to 65535, not 99999."),
                         ("0", "--port must be a whole number from 1 to 65535, not 0.")):
        r = run_merzim(["serve", "--port", value], env=env_for(db_url), cwd=tmp_path,
                       process=True, timeout=60)
        assert r.returncode == 2, (r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], r.stderr
        assert "Traceback" not in r.stderr and r.stdout == ""
    assert dump_tables(db) == before


def test_a_port_in_use_exits_2_before_the_worker_writes(db_url, db, tmp_path):
    before = dump_tables(db)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        r = run_merzim(["serve", "--port", str(port)], env=env_for(db_url), cwd=tmp_path,
                       process=True, timeout=60)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.strip() == f"Cannot listen on 127.0.0.1:{port}: Address already in use."
    assert dump_tables(db) == before
    r = run_merzim(["serve", "--port", "8000", "--host", "no-such-host.invalid"],
                   env=env_for(db_url), cwd=tmp_path, process=True, timeout=60)
    assert r.returncode == 2 and r.stderr.startswith(
        "Cannot listen on no-such-host.invalid:8000: "), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert dump_tables(db) == before


@contextmanager
def serving(db_url: str, cwd: Path, *options: str, config: str = ""):
    """`merzim serve --no-worker` on a free port, with `config` as its config.toml."""
    (cwd / "config.toml").write_text(config, encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([str(SCRIPT), "serve", "--no-worker", "--port", str(port), *options],
                            env=env_for(db_url), cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_answering(proc, f"{base}/healthz", "the server did not come up", pause=0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            terminate(proc, fail="serve did not stop on SIGTERM")


PUBLIC = """[public]
organisations = ["AK-ALM-EDU"]
requests_per_minute = 3
cache_seconds = 0
"""


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(db_url, db, make_ctx, tmp_path):
    from datetime import date

    from sqlmodel import Session

    from workflow.services.demo import load_demo

    with Session(db) as s:
        load_demo(s, make_ctx(date(2026, 2, 4)))
        s.commit()
    # nobody trusted (the default): a header naming another address changes nothing
    with serving(db_url, tmp_path, config=PUBLIC) as (base, _proc):
        codes = [local().get(f"{base}/public/AK-ALM-EDU", timeout=10,
                           headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                 for i in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        # nor does a header claiming HTTPS: the cookies of a plain-HTTP answer are not Secure
        login = local().get(f"{base}/login", timeout=10, headers={"X-Forwarded-Proto": "https"})
        assert login.headers["set-cookie"] and "secure" not in login.headers["set-cookie"].lower()
    # behind a trusted proxy on loopback: each client its own limit, named by the header
    with serving(db_url, tmp_path, config=PUBLIC + '\n[web]\ntrusted_proxies = ["127.0.0.1"]\n'
                 ) as (base, _proc):
        codes = [local().get(f"{base}/public/AK-ALM-EDU", timeout=10,
                           headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                 for i in range(5)]
        assert codes == [200] * 5
        same = [local().get(f"{base}/public/AK-ALM-EDU", timeout=10,
                          headers={"X-Forwarded-For": "198.51.100.77"}).status_code
                for _ in range(4)]
        assert same == [200, 200, 200, 429]
        # the trusted proxy's X-Forwarded-Proto is believed: the cookies are Secure
        login = local().get(f"{base}/login", timeout=10, headers={"X-Forwarded-Proto": "https"})
        assert "secure" in login.headers["set-cookie"].lower()


def test_sigterm_lets_a_request_under_way_finish(db_url, db, tmp_path):
    with serving(db_url, tmp_path) as (base, proc):
        port = int(base.rsplit(":", 1)[1])
        body = b"login=nobody&password=wrong&csrf=x"
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall((f"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json"
                          f"\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n").encode() + body[:10])
            time.sleep(0.3)
            proc.send_signal(signal.SIGTERM)  # the request is half received
            time.sleep(0.5)
            assert proc.poll() is None  # still answering the request under way
            sock.sendall(body[10:])
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 "), answer[:200]
        assert not answer.startswith(b"HTTP/1.1 5"), answer[:200]
        assert proc.wait(timeout=30) == 0
