"""What the tests that start `merzim serve` as a process share: the console script, a free
port, the login form's CSRF field, the environment of the several-workers tests, a
process stopped as a service manager stops it, and a gift not handed over through a node's API."""

from __future__ import annotations

import functools
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.support.cli_runner import SCRIPT, merzim_env

__all__ = ["CSRF", "SCRIPT", "env_for", "free_port", "listening", "local", "start_node",
           "terminate", "together", "wait_answering", "wait_up"]

CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_for(db_url: str) -> dict[str, str]:
    """`merzim serve --workers N` on `db_url`, in English, on 2026-02-04."""
    return merzim_env(db_url=db_url, today="2026-02-04")


def start_node(db_url: str, cwd: Path, config: str | None = None
               ) -> tuple[subprocess.Popen, str]:
    """`merzim serve --no-worker` on a free port of 127.0.0.1, in a new working directory
    `cwd` (with `config` as its config.toml, when given): (its process, its address)."""
    cwd.mkdir()
    if config is not None:
        (cwd / "config.toml").write_text(config, encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([str(SCRIPT), "serve", "--no-worker", "--port", str(port)],
                            env=env_for(db_url), cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    return proc, f"http://127.0.0.1:{port}"


@functools.cache
def local() -> httpx.Client:
    """One client per test process for requests to the servers the tests start on 127.0.0.1,
    each request on a connection of its own (no keep-alive), as `httpx.get` sends it; the
    certificate is not checked (a throw-away one, when there is one). `httpx.get` builds a
    client for every call and loads the system's CA certificates into it: ~40 ms of CPU a
    request, and the waits below ask several times a second while a server starts."""
    return httpx.Client(verify=False, limits=httpx.Limits(max_keepalive_connections=0))


def listening(port: int) -> bool:
    """Whether something accepts a TCP connection on 127.0.0.1:`port` (else OSError)."""
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def wait_up(proc: subprocess.Popen, ready: Callable[[], bool],
            message: str = "the server did not come up", within: float = 60,
            pause: float = 0.3) -> None:
    """Wait until `ready()` holds for the server `proc` started (an OSError or an HTTP error
    raised by it counts as not yet); fail with `message` after `within` seconds, or at once
    with its output if the process ended."""
    deadline = time.monotonic() + within
    while True:
        try:
            if ready():
                return
        except (OSError, httpx.HTTPError):
            pass
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, message
        time.sleep(pause)


def wait_answering(proc: subprocess.Popen, url: str, message: str, within: float = 60,
                   pause: float = 0.3) -> None:
    """Wait until GET `url` answers 200 from the server `proc` started; fail with `message`
    after `within` seconds, or at once with its output if the process ended."""
    wait_up(proc, lambda: local().get(url, timeout=2).status_code == 200, message, within, pause)


def terminate(proc: subprocess.Popen, fail: str | None = None) -> None:
    """SIGTERM, and up to 30 s for the process to end; past that it is killed, and with `fail`
    the test fails with that message."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        if fail is not None:
            pytest.fail(fail)


def together(*calls: Callable[[], object], seconds: float = 120) -> list:
    """Run the calls at once, each in a thread of its own released by one barrier (two
    writers on two nodes): their answers in order (None for one still running after
    `seconds`)."""
    import threading

    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        barrier.wait()
        answers[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds)
    return answers


def gift_not_handed_over(base: str, headers: dict, org: str, person: str) -> int:
    """A gift to `person` of `org` received on 12 January 2026 and recorded as not handed over
    on the 26th, through the API of the node at `base` (`headers`: its bearer): its case id."""
    r = local().post(f"{base}/api/v1/cases", headers=headers, timeout=30, json={
        "process": "gift", "subject": org, "person": person,
        "dates": {"received": "2026-01-12"}})
    assert r.status_code in (200, 201), r.text
    case = r.json()["id"]
    r = local().post(f"{base}/api/v1/cases/{case}/events", headers=headers, timeout=30,
                     json={"event": "not_handed_over", "date": "2026-01-26"})
    assert r.status_code in (200, 201), r.text
    return case
