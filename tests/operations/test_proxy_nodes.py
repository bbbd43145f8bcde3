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

import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.support.cli_runner import SCRIPT, Merzim
from tests.support.deployment import (
    PUBLIC_ORG,
    WORKDAY,
    deploy,
    need,
    proxy_client,
    sign_in,
    small_pdf,
    wait_until,
)
from tests.support.processes import local
from tests.support.proxy_helpers import DEPLOY, Proxy
from tests.support.smtp_server import SmtpSink

pytestmark = pytest.mark.slow  # nginx, two nodes and two workers as processes


# -- the units ------------------------------------------------------------------------------------


def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    need("systemd-analyze", analyze is not None)
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


@pytest.fixture
def deployment(db_url, db, make_ctx, tmp_path) -> Iterator[dict]:
    """The demo on PostgreSQL, asel's password and API token, two machines behind nginx."""
    yield from deploy(db_url, db, make_ctx, tmp_path)



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
