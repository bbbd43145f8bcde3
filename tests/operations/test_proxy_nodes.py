"""deploy/ as it ships, tested: Debian's nginx, run as an unprivileged process
with the site deploy/nginx/merzim.conf (only its addresses, ports, certificate and log paths
replaced) and a throw-away self-signed certificate, terminates HTTPS in front of two
`merzim serve --no-worker` nodes, each with a working directory and a config.toml of its own
(deploy/config.toml with the test's addresses), and two `merzim worker` processes, all on one
PostgreSQL database. Through the proxy: sign-in and the lock-out hold across the nodes, a file
uploaded through one node is downloaded byte-identical through the other, the public page's
rate limit counts both nodes together (and a forged X-Forwarded-For does not dodge it), the
day's reminders are sent once; then one node and one worker are killed (SIGKILL) mid-run:
every upload the proxy acknowledged is stored, the outbox drains through the other worker,
and `merzim audit verify` finds the chain intact. `systemd-analyze verify` accepts
deploy/systemd's units."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.support.cli_runner import SCRIPT, Merzim, merzim_env
from tests.support.processes import CSRF, free_port, local
from tests.support.proxy_helpers import DEPLOY, NGINX, Proxy
from tests.support.smtp_server import SmtpSink
from workflow import services as svc
from workflow.services import accounts as auth

LOADED, WORKDAY = date(2025, 3, 19), date(2025, 3, 20)
PUBLIC_ORG = "AK-ALM-EDU"
PASSWORD = "asel-correct-horse-42"

pytestmark = pytest.mark.slow  # nginx, two nodes and two workers as processes


def _need(what: str, found: bool) -> None:
    """Skip for want of a program (fail in CI, which installs it: .ci/needs-nginx)."""
    if not found:
        if os.environ.get("MERZIM_REQUIRE_NGINX") == "1":
            pytest.fail(f"{what} is not installed (.ci/run installs it)")
        pytest.skip(f"{what} is not installed")


# -- the units ------------------------------------------------------------------------------------


def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    _need("systemd-analyze", analyze is not None)
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert [u.name for u in units] == ["merzim-web.service", "merzim-worker.service"]
    for unit in units:
        body = unit.read_text(encoding="utf-8")
        # the units name the installed console script; here, this checkout's
        assert body.count("ExecStart=/opt/merzim/.venv/bin/merzim ") == 1, unit.name
        assert "EnvironmentFile=/etc/merzim/merzim.env" in body
        (tmp_path / unit.name).write_text(body.replace("/opt/merzim/.venv/bin/merzim",
                                                       str(SCRIPT)), encoding="utf-8")
    r = subprocess.run([str(analyze), "verify", *[str(tmp_path / u.name) for u in units]],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stderr.strip() == "", (r.stdout, r.stderr)
    web = (tmp_path / "merzim-web.service").read_text(encoding="utf-8")
    worker = (tmp_path / "merzim-worker.service").read_text(encoding="utf-8")
    assert f"ExecStart={SCRIPT} serve --no-worker\n" in web
    assert f"ExecStart={SCRIPT} worker\n" in worker


def test_the_environment_template_names_what_merzim_reads():
    names = re.findall(r"^#?(MERZIM_[A-Z_]+)=", (DEPLOY / "merzim.env.example")
                       .read_text(encoding="utf-8"), flags=re.M)
    assert names == ["MERZIM_DATABASE_URL", "MERZIM_CONFIG", "MERZIM_LANG", "MERZIM_SMTP_USER",
                     "MERZIM_SMTP_PASSWORD", "MERZIM_TELEGRAM_TOKEN", "MERZIM_FILES_DIR"]
    from workflow.settings import load_settings

    shipped = load_settings(DEPLOY / "config.toml", env={
        "MERZIM_DATABASE_URL": "postgresql+psycopg://merzim@db/merzim"})
    assert shipped.web.trusted_proxies == ("127.0.0.1",)
    assert shipped.files.directory is None  # PostgreSQL: the files in the database


# -- the proxy and its nodes ------------------------------------------------------------------


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
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


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


@pytest.fixture
def deployment(db_url, db, make_ctx, tmp_path) -> Iterator[dict]:
    """The demo on PostgreSQL, asel's password and API token, two machines behind nginx."""
    yield from deploy(db_url, db, make_ctx, tmp_path)


def deploy(db_url, db, make_ctx, tmp_path, nodes_url: str | None = None) -> Iterator[dict]:
    """`deployment`; the nodes reach the database at `nodes_url` (default: `db_url`)."""
    _need("nginx (/usr/sbin/nginx)", NGINX.exists())
    _need("openssl", shutil.which("openssl") is not None)
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


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_nodes_and_two_workers_behind_nginx(deployment):
    d = deployment
    proxy: Proxy = d["proxy"]
    a, b = d["machines"]
    metrics, api = d["metrics"], {"Authorization": f"Bearer {d['token']}"}

    # -- HTTP is only a redirect; HTTPS carries merzim's answers with HSTS ---------------------
    plain = local().get(f"http://127.0.0.1:{proxy.http}/login", timeout=10)
    assert plain.status_code == 301
    assert plain.headers["location"] == "https://127.0.0.1/login"
    with proxy_client(proxy) as c:
        assert c.get("/healthz").text.strip() == "ok"
        closed = c.get("/metrics", headers={"Authorization": f"Bearer {metrics}"})
        assert closed.status_code == 404  # Prometheus reads each node, never through nginx
        page = c.get("/login")
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        assert page.headers["x-frame-options"] == "DENY"
        assert "secure" in page.headers["set-cookie"].lower()  # X-Forwarded-Proto believed

    # -- sign-in across nodes: a session opened through one node is known to the other ----------
    before = [m.requests(metrics, "GET", "/overdue") for m in (a, b)]
    with proxy_client(proxy) as browser:
        r = sign_in(browser, "nurlan", "nurlan-correct-horse-42")
        assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower(), r.text
        for _ in range(4):
            page = browser.get("/overdue")
            assert page.status_code == 200 and 'data-testid="overdue-total"' in page.text
    served = [m.requests(metrics, "GET", "/overdue") - n for m, n in zip((a, b), before, strict=True)]
    assert sum(served) == 4 and min(served) >= 1, served  # both nodes knew the session

    # -- the lock-out counts the guesses of both nodes -------------------------------------------
    with proxy_client(proxy) as guesser:
        codes = []
        for i in range(5):
            if i % 2:  # one request more: the next guess goes to the other node (round robin)
                guesser.get("/healthz")
            codes.append(sign_in(guesser, "marat", f"wrong-guess-{i}").status_code)
        assert codes == [401] * 5
        assert sign_in(guesser, "marat", "marat-correct-horse-42").status_code == 401
    posted = [m.requests(metrics, "POST", "/login") for m in (a, b)]
    assert min(posted) >= 2, posted  # the guesses went to both nodes
    with Session(d["db"]) as s:
        locked, failures = s.execute(text(
            "SELECT locked_until, failed_logins FROM app_user WHERE login = 'marat'")).one()
    assert locked is not None and locked > time.time() + 14 * 60 and failures == 0

    # -- a file uploaded through one node, downloaded through the other ------------------------
    data = small_pdf(0) * 3000  # ~300 kB
    with proxy_client(proxy, headers=api) as c:
        up = c.post(f"/api/v1/cases/{d['case']}/files",
                    files=[("files", ("plan.pdf", data, "application/pdf"))])
        assert up.status_code == 201, up.text
        [item] = up.json()["items"]
        route = item["url"]
        downloads = [c.get(route) for _ in range(4)]
    assert [(g.status_code, g.content == data) for g in downloads] == [(200, True)] * 4
    file_route = next(r for r in re.findall(r'route="([^"]+)"', local().get(
        f"{a.base}/metrics", headers={"Authorization": f"Bearer {metrics}"}).text)
        if "{" in r and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", r), route))
    got = [m.requests(metrics, "GET", file_route) for m in (a, b)]
    assert sum(got) == 4 and min(got) >= 1, got  # both nodes served it, from the database
    for m in (a, b):
        assert not [p for p in m.home.rglob("*") if p.is_file() and p.stat().st_size >= len(data)]

    # -- the public page's rate limit, counted across nodes; a forged header does not dodge it --
    with proxy_client(proxy) as c:
        answers = [c.get(f"/public/{PUBLIC_ORG}",
                         headers={"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(7)]
    assert [r.status_code for r in answers] == [200] * 5 + [429] * 2
    assert 1 <= int(answers[5].headers["retry-after"]) <= 60
    public = [m.requests(metrics, "GET", "/public/{code}") for m in (a, b)]
    assert min(public) >= 2, public
    with Session(d["db"]) as s:
        assert s.execute(text("SELECT DISTINCT client FROM public_hit")).scalars().all() == [
            "127.0.0.1"]

    # -- two workers, a stream of uploads; one node and one worker killed mid-run --------------
    sink: SmtpSink = d["sink"]
    acknowledged: list[str] = []
    refused: list[int] = []
    stop = threading.Event()

    def uploads() -> None:
        n = 0
        with proxy_client(proxy, headers=api) as c:
            while not stop.is_set():
                n += 1
                body = small_pdf(n)
                try:
                    r = c.post(f"/api/v1/cases/{d['case']}/files",
                               files=[("files", (f"u{n}.pdf", body, "application/pdf"))])
                except httpx.HTTPError:
                    refused.append(-1)
                    continue
                if r.status_code == 201:
                    acknowledged.append(r.json()["items"][0]["sha256"])
                else:
                    refused.append(r.status_code)
                time.sleep(0.2)

    stream = threading.Thread(target=uploads)
    stream.start()
    try:
        wait_until(lambda: len(acknowledged) >= 5, 90, "5 uploads acknowledged")
        a.start_worker()
        b.start_worker()
        wait_until(lambda: len(sink.messages) >= 3, 90, "3 reminders sent")
        a.web.send_signal(signal.SIGKILL)
        a.worker.send_signal(signal.SIGKILL)
        assert a.web.wait(10) == -signal.SIGKILL and a.worker.wait(10) == -signal.SIGKILL
        killed_at = len(acknowledged)
        with Session(d["db"]) as s:
            statuses = Counter(s.execute(text("SELECT status FROM outbox")).scalars())
        assert statuses["sent"] < sum(statuses.values()), "killed too late: all was sent"
        killed = time.monotonic()
        # on for 12 s: nginx keeps trying the dead node (the site never marks a node down),
        # finds its port closed and passes each upload to the live one, the client sees nothing
        wait_until(lambda: len(acknowledged) >= killed_at + 10
                   and time.monotonic() - killed > 12, 90,
                   "uploads acknowledged for 12 s after the kill")
    finally:
        stop.set()
        stream.join(60)
    # at most the request the node was answering when it died went unacknowledged
    assert len(refused) <= 1 and set(refused) <= {502}, refused

    with Session(d["db"]) as s:
        stored = set(s.execute(text("SELECT sha256 FROM evidence_file")).scalars())
    assert set(acknowledged) <= stored and len(set(acknowledged)) == len(acknowledged)

    def drained() -> bool:
        with Session(d["db"]) as s:
            return set(s.execute(text("SELECT status FROM outbox")).scalars()) == {"sent"}

    wait_until(drained, 90, "the outbox drained through the other worker")
    with Session(d["db"]) as s:
        rows = s.execute(text("SELECT recipient_id, channel, local_day FROM outbox")).all()
    assert len(rows) >= 10 and len(set(rows)) == len(rows)  # planned once by two planners
    counts = Counter(sink.message_ids())
    assert len(counts) == len(rows), (len(counts), len(rows))  # every message arrived
    assert sum(c - 1 for c in counts.values()) <= 1, counts  # at most the interrupted one twice

    # -- the survivors stop cleanly; the audit chain is intact -----------------------------------
    b.stop()
    assert b.web.returncode == 0 and b.worker.returncode == 0, (b.log("serve"), b.log("worker"))
    verify = Merzim(b.home, db_url=d["db_url"], config=b.config, today=WORKDAY)("audit", "verify")
    assert verify.returncode == 0, (verify.stdout, verify.stderr)
    assert f"{len(stored)} files" in verify.stdout, verify.stdout
