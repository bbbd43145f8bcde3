"""`merzim serve --workers N`: several web processes behind one address (journey 8: several web
processes on PostgreSQL). Each process answers, a session made through one is honoured by the
others (sessions live in the database), SIGTERM stops them all, and a bad --workers exits 2.
"""

from __future__ import annotations

import re
import subprocess
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from tests.support.cli_runner import run_merzim
from tests.support.processes import CSRF, SCRIPT, env_for, free_port, local, terminate, wait_answering
from workflow import services as svc
from workflow.services import accounts as auth

pytestmark = pytest.mark.slow  # merzim serve --workers as processes


def children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(entry.name))
    return out


def test_several_web_processes_share_sessions_and_stop_together(db_url, db, make_ctx, tmp_path):
    from workflow.services.demo import load_demo

    with Session(db) as s:
        load_demo(s, make_ctx(date(2026, 2, 4)))
        auth.set_password(s, svc.get_user(s, "nurlan"), "nurlan-correct-horse-42", "test")
        s.commit()
    port = free_port()
    proc = subprocess.Popen([str(SCRIPT), "serve", "--workers", "3", "--no-worker", "--port",
                             str(port)], env=env_for(db_url), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_answering(proc, f"{base}/login", "the server did not come up")
        workers = {p for p in children(proc.pid)
                   if "multiprocessing.resource_tracker" not in Path(f"/proc/{p}/cmdline")
                   .read_bytes().decode(errors="replace")}
        assert len(workers) == 3, workers
        for p in workers:  # [web] malloc_arenas, handed to each (test_serve_malloc_arenas.py)
            assert b"MALLOC_ARENA_MAX=1\0" in Path(f"/proc/{p}/environ").read_bytes()

        with httpx.Client(base_url=base, follow_redirects=False, timeout=10) as browser:
            form = browser.get("/login")
            token = CSRF.search(form.text).group(1)
            r = browser.post("/login", data={"login": "nurlan", "password":
                                             "nurlan-correct-horse-42", "csrf": token,
                                             "next": "/overdue"})
            assert r.status_code == 303, r.text
            # Many requests: the connections land on different processes; each knows the
            # session (it lives in the database) and shows the same overdue total.
            totals = set()
            for _ in range(24):
                with httpx.Client(base_url=base, cookies=browser.cookies, timeout=10,
                                  verify=False) as c:  # plain HTTP: no CA bundle to load
                    page = c.get("/overdue")
                    assert page.status_code == 200
                    totals.add(re.search(r'data-testid="overdue-total">(\d+)<', page.text)
                               .group(1))
            assert len(totals) == 1 and int(totals.pop()) > 0
            assert local().get(f"{base}/overdue", timeout=10).status_code in (302, 303)
    finally:
        terminate(proc, fail="the server did not stop on SIGTERM")
    time.sleep(0.5)
    assert not any(Path(f"/proc/{p}").exists() for p in workers), "a web process outlived it"


def test_bad_workers_exits_2(db_url, tmp_path):
    for value in ("0", "65", "many"):
        r = run_merzim(["serve", "--workers", value, "--port", "1"], env=env_for(db_url),
                       cwd=tmp_path, process=True, timeout=60)
        assert r.returncode == 2, (value, r.stdout, r.stderr)
        assert "--workers" in r.stderr and "Traceback" not in r.stderr
