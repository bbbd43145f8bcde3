"""A deployment as the shipped units run it, for the tests of nodes behind the proxy: two
machines (a `merzim serve` node each, a worker on demand) on one database, Debian's nginx with
the shipped site in front, a local SMTP server (tests/operations/test_proxy_nodes.py,
tests/operations/test_proxy_refusals.py)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from tests.support.cli_runner import SCRIPT, merzim_env
from tests.support.processes import CSRF, free_port, local, terminate
from tests.support.proxy_helpers import DEPLOY, NGINX, Proxy
from tests.support.smtp_server import SmtpSink
from workflow import services as svc
from workflow.services import accounts as auth
from workflow.storage.models import Organisation

LOADED, WORKDAY = date(2025, 3, 19), date(2025, 3, 20)
PUBLIC_ORG = "AK-ALM-EDU"
PASSWORD = "asel-correct-horse-42"



def need(what: str, found: bool) -> None:
    """Skip for want of a program (fail in CI, which installs it: .ci/needs-nginx)."""
    if not found:
        if os.environ.get("MERZIM_REQUIRE_NGINX") == "1":
            pytest.fail(f"{what} is not installed (.ci/run installs it)")
        pytest.skip(f"{what} is not installed")


def _toml(data: dict) -> str:
    lines = []
    for name, values in data.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
        lines.append("")
    return "\n".join(lines)


def machine_config(home: Path, smtp_port: int, metrics_sha: str) -> Path:
    """deploy/config.toml with the test's SMTP server, checkpoint, token and shorter waits."""
    data = tomllib.loads((DEPLOY / "config.toml").read_text(encoding="utf-8"))
    data["web"].update(workers=1, metrics_token_sha256=metrics_sha)
    data["audit"]["checkpoint"] = str(home / "audit-head")
    data["email"].update(host="127.0.0.1", port=smtp_port, security="none", timeout=5)
    data["public"].update(organisations=[PUBLIC_ORG], requests_per_minute=5)
    data["outbox"].update(batch=1, lease_seconds=2, backoff_seconds=0.2)
    data["worker"].update(dispatch_seconds=0.2, catch_up_minutes=60)
    path = home / "config.toml"
    path.write_text(_toml(data), encoding="utf-8")
    return path


class Machine:
    """One machine of the deployment: a working directory, its config.toml, a web node and a
    worker (started on demand), as merzim-web.service and merzim-worker.service run them."""

    def __init__(self, home: Path, db_url: str, smtp_port: int, metrics_sha: str):
        home.mkdir()
        self.home, self.port = home, free_port()
        self.config = machine_config(home, smtp_port, metrics_sha)
        self.env = {**merzim_env(db_url=db_url, today=WORKDAY), "MERZIM_CONFIG": str(self.config)}
        self.web = self._spawn("serve", "--no-worker", "--port", str(self.port))
        self.worker: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def _spawn(self, *args: str) -> subprocess.Popen:
        log = (self.home / f"{args[0]}.log").open("ab")
        try:
            return subprocess.Popen([str(SCRIPT), *args], env=self.env, cwd=self.home,
                                    stdout=log, stderr=log)
        finally:
            log.close()

    def start_worker(self) -> None:
        self.worker = self._spawn("worker")

    def wait_up(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                if local().get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.web.poll() is None, self.log("serve")
            assert time.monotonic() < deadline, "the node did not come up"
            time.sleep(0.3)

    def log(self, name: str) -> str:
        path = self.home / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def requests(self, token: str, method: str, route: str) -> int:
        """How many requests this node answered on `route` (its own /metrics, read directly
        as Prometheus does)."""
        r = local().get(f"{self.base}/metrics", headers={"Authorization": f"Bearer {token}"},
                      timeout=10)
        assert r.status_code == 200, r.text
        pattern = re.compile(r'^merzim_http_requests_total\{(.*)\} ([0-9.e+]+)$', re.M)
        total = 0.0
        for labels, value in pattern.findall(r.text):
            if f'method="{method}"' in labels and f'route="{route}"' in labels:
                total += float(value)
        return int(total)

    def stop(self) -> None:
        for proc in (self.web, self.worker):
            if proc is not None and proc.poll() is None:
                terminate(proc)


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.1)


def small_pdf(n: int) -> bytes:
    return (b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\n% upload " + str(n).encode()
            + b" " + secrets.token_hex(16).encode() + b"\ntrailer <</Root 1 0 R>>\n%%EOF\n")


def sign_in(client: httpx.Client, login: str, password: str) -> httpx.Response:
    form = client.get("/login")
    field = CSRF.search(form.text)
    assert form.status_code == 200 and field is not None, form.text[:300]
    return client.post("/login", data={"login": login, "password": password, "next": "/overdue",
                                       "csrf": field.group(1)})


def deploy(db_url, db, make_ctx, tmp_path, nodes_url: str | None = None) -> Iterator[dict]:
    """`deployment`; the nodes reach the database at `nodes_url` (default: `db_url`)."""
    need("nginx (/usr/sbin/nginx)", NGINX.exists())
    need("openssl", shutil.which("openssl") is not None)
    from workflow.services.demo import load_demo

    ctx = make_ctx(LOADED)
    with Session(db) as s:
        demo = load_demo(s, ctx)
        for i in range(12):  # more managers: more digests, so that a worker dies mid-run
            svc.add_user(s, ctx, f"manager{i}", f"Manager {i}", "manager", "AK-ALM",
                         f"manager{i}@example.kz", "en")
        asel = svc.get_user(s, "asel")
        auth.set_password(s, asel, PASSWORD, "test")
        for login in ("nurlan", "marat"):
            auth.set_password(s, svc.get_user(s, login), f"{login}-correct-horse-42", "test")
        token = auth.create_api_token(s, asel, "proxy")
        # a second officer of asel's organisation with a token of her own: a client whose
        # writes no other identity (asel's fuzzer, say) may change
        writer = svc.add_user(s, ctx, "zhanna", "Zhanna Writer", "officer",
                              s.get(Organisation, asel.organisation_id).code,
                              "zhanna@example.kz", "en")
        writer_token = auth.create_api_token(s, writer, "writer")
        s.commit()
    metrics = secrets.token_hex(16)
    sink = SmtpSink(delay=0.3).start()
    machines, proxy = [], None
    try:
        machines = [Machine(tmp_path / name, nodes_url or db_url, sink.port,
                            hashlib.sha256(metrics.encode()).hexdigest())
                    for name in ("machine-a", "machine-b")]
        for m in machines:
            m.wait_up()
        proxy = Proxy([m.port for m in machines])
        yield {"machines": machines, "proxy": proxy, "sink": sink, "token": token,
               "writer_token": writer_token,
               "metrics": metrics, "case": demo["analyses"][1], "db": db, "db_url": db_url,
               "tmp": tmp_path}
    finally:
        if proxy is not None:
            errors = proxy.errors()
            proxy.stop()
            print("nginx error.log:\n" + errors)
        for m in machines:
            m.stop()
        sink.stop()


def proxy_client(proxy: Proxy, **kw) -> httpx.Client:
    return httpx.Client(base_url=proxy.base, verify=False, timeout=30, **kw)

