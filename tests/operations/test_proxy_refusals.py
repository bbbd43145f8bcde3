"""The shipped nginx site (deploy/nginx/merzim.conf) in front of two `merzim serve` nodes keeps
serving through what used to take every node out of it: bodies over the limit, signed in and
not, and PostgreSQL away (the nodes reach it through a relay that is shut and opened again, as
a restart does, and their backends are terminated with pg_terminate_backend — the machine's
PostgreSQL server is shared, it is not restarted). `/healthz` is polled through the proxy the
whole time and never answers anything but 200; a body over the limit gets merzim's own answer
in the reader's language, the same through nginx as straight to a node; requests are refused
(503, never 500 or 502) only while the database is away; afterwards `merzim audit verify`
passes on both machines' checkpoints.

Also, without nginx: its body limits are merzim's, route by route."""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.support.cli_runner import Merzim
from tests.support.databases import POSTGRES_URL
from tests.support.deployment import WORKDAY, deploy, proxy_client, small_pdf
from tests.support.features import installed
from tests.support.processes import CSRF, local
from tests.support.proxy_helpers import DEPLOY
from tests.support.tcp_gate import TcpGate
from web.kit.limits import BODY_BYTES, upload_routes
from web.kit.uploads import largest_body
from workflow.i18n import Translator
from workflow.settings import load_settings

MIB = 1024 * 1024
REFUSAL = re.compile(r'data-testid="refusal">([^<]*)<')
SITE = DEPLOY / "nginx" / "merzim.conf"


# -- the site's limits are merzim's --------------------------------------------------------------


def _size(value: str) -> int:
    units = {"k": 1024, "m": MIB, "g": 1024 * MIB}
    return int(value[:-1]) * units[value[-1].lower()] if value[-1].isalpha() else int(value)


def site_limits() -> tuple[int, list[tuple[re.Pattern, int]]]:
    """The server's client_max_body_size and each regex location's own."""
    text = SITE.read_text(encoding="utf-8")
    server = re.search(r"^    client_max_body_size (\S+);", text, re.M)
    assert server is not None
    locations = [(re.compile(pattern), _size(size)) for pattern, size in re.findall(
        r"^    location ~ (\S+) \{[^}]*?client_max_body_size (\S+);", text, re.M | re.S)]
    return _size(server.group(1)), locations


def test_nginx_refuses_a_body_exactly_where_merzim_would(tmp_path):
    from tests.support.web_helpers import CALENDAR, _settings, route_paths
    from web.app import create_app
    from workflow.definitions import load_registry
    from workflow.storage.db import make_engine

    server, locations = site_limits()
    assert server == BODY_BYTES  # 1m: every route but the uploads
    shipped = load_settings(DEPLOY / "config.toml", env={
        "MERZIM_DATABASE_URL": "postgresql+psycopg://merzim@db/merzim"})
    engine = make_engine("sqlite://")
    app = create_app(_settings(tmp_path, "sqlite://"), engine, CALENDAR, load_registry())
    engine.dispose()
    found = upload_routes(app.routes)
    routes = [line.split(" ", 1) for line in route_paths(app.routes)]
    # a path of each route as a client sends it: an upload route's is a location of the
    # upload cap, every other route's gets 1 MiB
    uploads = set()
    for method, path in routes:
        sample = re.sub(r"\{[^}]+\}", "x1", path)
        matched = [size for pattern, size in locations if pattern.match(sample)]
        if any(method in methods and pattern.match(sample) for methods, pattern in found):
            uploads.add(sample)
            assert matched == [largest_body(shipped.files.max_bytes)], (path, matched)
        elif method in ("POST", "PUT", "PATCH", "DELETE"):
            assert not matched, (method, path, matched)
    assert {"/registers/x1/import", "/api/v1/cases/x1/files", "/bulk",
            "/cases/x1/events"} <= uploads
    if installed("documents"):  # the signed scan of a drafted document, on the page and the API
        assert {"/cases/x1/documents/x1", "/api/v1/cases/x1/documents/x1"} <= uploads


# -- through nginx -------------------------------------------------------------------------------


class Poller:
    """GET /healthz through the proxy every 50 ms on one keep-alive connection, from a thread:
    what it answered, in order (-1: no answer at all)."""

    def __init__(self, base: str):
        self.base, self.codes, self.stop = base, [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, verify=False, timeout=10) as c:
            while not self.stop.is_set():
                try:
                    self.codes.append(c.get("/healthz").status_code)
                except httpx.HTTPError:
                    self.codes.append(-1)
                time.sleep(0.05)

    def end(self) -> Counter:
        self.stop.set()
        self.thread.join(30)
        return Counter(self.codes)


def _admin_url() -> str:
    assert POSTGRES_URL
    return POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")


def terminate_backends(name: str) -> int:
    """pg_terminate_backend on every backend of the nodes (their application_name): how many."""
    with psycopg.connect(_admin_url(), autocommit=True) as admin:
        return len(admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (name,)).fetchall())


@pytest.fixture
def gated(db_url, db, make_ctx, tmp_path) -> Iterator[dict]:
    """`deployment` whose nodes reach PostgreSQL through a relay (`gate`) and name themselves
    (`app_name`) to it."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the nodes share one PostgreSQL database")
    found = re.match(r"postgresql\+psycopg://([^@/]*@)?([^:/]+):(\d+)/", db_url)
    assert found, db_url
    gate = TcpGate(found.group(2), int(found.group(3)))
    app_name = f"merzim-proxy-{secrets.token_hex(4)}"
    nodes_url = (db_url[:found.start(2)] + f"127.0.0.1:{gate.port}" + db_url[found.end(3):]
                 + ("&" if "?" in db_url else "?") + f"application_name={app_name}")
    try:
        for d in deploy(db_url, db, make_ctx, tmp_path, nodes_url=nodes_url):
            yield {**d, "gate": gate, "app_name": app_name}
    finally:
        gate.close()


def sign_in(client: httpx.Client, login: str, password: str) -> None:
    form = client.get("/login")
    field = CSRF.search(form.text)
    assert form.status_code == 200 and field is not None, form.text[:300]
    r = client.post("/login", data={"login": login, "password": password, "next": "/overdue",
                                    "csrf": field.group(1)})
    assert r.status_code == 303, r.text[:500]


def import_register(client: httpx.Client, data: bytes) -> tuple[int, str]:
    """A register's file sent to the web import, as the browser sends the form: the status and
    merzim's refusal (or the preview's title)."""
    path = "/registers/restriction_breach/import"
    form = client.get(path)
    assert form.status_code == 200, form.text[:500]
    r = client.post(path, data={"csrf": CSRF.search(form.text).group(1)},
                    files={"file": ("breaches.csv", data, "text/csv")})
    said = REFUSAL.search(r.text)
    return r.status_code, (said.group(1) if said else r.text[:200])


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_oversized_bodies_and_a_database_away_leave_the_proxy_serving(gated):
    d = gated
    proxy, gate = d["proxy"], d["gate"]
    a, b = d["machines"]
    api = {"Authorization": f"Bearer {d['token']}"}
    poller = Poller(proxy.base)
    try:
        # -- 20 POSTs of 1.5 MB, anonymous sign-ins and an officer's API writes -----------------
        body = 1536 * 1024
        answers = []
        with proxy_client(proxy) as anonymous, proxy_client(proxy, headers=api) as officer:
            for i in range(10):
                lang = ("en", "ru", "kk")[i % 3]
                r = anonymous.post("/login", content=b"login=asel&password=" + b"x" * body,
                                   headers={"Content-Type": "application/x-www-form-urlencoded",
                                            "Accept-Language": lang})
                answers.append(r.status_code)
                message = Translator(lang)("error.body_too_large", limit="1 MiB")
                assert r.status_code == 413 and message in r.text, r.text[:500]
                r = officer.post("/api/v1/cases", content=b"{" + b" " * body + b"}",
                                 headers={"Content-Type": "application/json",
                                          "Idempotency-Key": str(uuid.uuid4())})
                answers.append(r.status_code)
                assert r.status_code == 413, r.text[:500]
                assert r.json() == {"error": "error.body_too_large", "message": Translator(
                    "en")("error.body_too_large", limit="1 MiB")}
            # the same body sent straight to a node: the same answer
            direct = local().post(f"{a.base}/api/v1/cases", content=b"{" + b" " * body + b"}",
                                  headers={**api, "Content-Type": "application/json"})
            assert direct.status_code == 413 and direct.json() == r.json()
            # and a small write through the proxy right after: both nodes still take it
            for _ in range(4):
                ok = officer.get("/api/v1/organisations")
                assert ok.status_code == 200
        assert answers == [413] * 20

        # -- a 3 MB register file through nginx: merzim's answer, as straight to a node --------
        register = ("title,date\n" + "".join(f"breach {i:07d},{WORKDAY}\n"
                                              for i in range(3 * MIB // 27))).encode()
        assert len(register) > 3 * 1000 * 1000
        with proxy_client(proxy) as browser, httpx.Client(base_url=a.base, timeout=30) as node:
            sign_in(browser, "asel", "asel-correct-horse-42")
            sign_in(node, "asel", "asel-correct-horse-42")
            through = import_register(browser, register)
            straight = import_register(node, register)
        assert through == straight and through[0] < 500, (through, straight)
        assert "nginx" not in through[1].lower()

        # -- PostgreSQL away: 503 while it is, answers again as soon as it is back --------------
        written: list[int] = []
        stop = threading.Event()

        def writes() -> None:  # keyed writes through the proxy all along
            n = 0
            with proxy_client(proxy, headers=api) as c:
                while not stop.is_set():
                    n += 1
                    try:
                        r = c.post(f"/api/v1/cases/{d['case']}/files",
                                   headers={"Idempotency-Key": str(uuid.uuid4())},
                                   files=[("files", (f"w{n}.pdf", small_pdf(n),
                                                     "application/pdf"))])
                        written.append(r.status_code)
                    except httpx.HTTPError:
                        written.append(-1)
                    time.sleep(0.05)

        writer = threading.Thread(target=writes, daemon=True)
        writer.start()
        try:
            with proxy_client(proxy, headers=api) as c:
                assert c.get("/api/v1/organisations").status_code == 200
                time.sleep(1)
                gate.shut()  # "PostgreSQL restarts": connections dropped, new ones refused
                away = []
                ends = time.monotonic() + 3
                while time.monotonic() < ends:
                    r = c.get("/api/v1/organisations")
                    away.append(r.status_code)
                    assert r.status_code == 503, r.text[:300]
                    assert r.json()["error"] == "error.db_unavailable"
                    assert r.headers["retry-after"] == "5"
                    time.sleep(0.1)
                gate.open()
                back = time.monotonic()
                while (r := c.get("/api/v1/organisations")).status_code != 200:
                    assert r.status_code == 503, r.text[:300]
                    assert time.monotonic() - back < 5, "still refused 5 s after the database"
                    time.sleep(0.05)
                recovered = time.monotonic() - back
                # every request after: answered, on both nodes
                assert [c.get("/api/v1/organisations").status_code for _ in range(10)] \
                    == [200] * 10
                # then the nodes' backends terminated, three times, under the keyed writes
                for _ in range(3):
                    time.sleep(0.7)
                    assert terminate_backends(d["app_name"]) >= 1
                    assert c.get("/api/v1/organisations").status_code == 200
                time.sleep(1)
        finally:
            stop.set()
            writer.join(60)
    finally:
        health = poller.end()
    print(f"healthz through nginx: {dict(health)}; refused while away: {len(away)}; "
          f"answering {recovered:.2f} s after the database was back; keyed writes: "
          f"{dict(Counter(written))}")
    assert set(health) == {200} and sum(health.values()) > 50, health
    assert recovered < 3
    assert set(written) <= {201, 503} and written.count(201) >= 5, Counter(written)
    site_log = proxy.run / "merzim.error.log"
    errors = proxy.errors() + (site_log.read_text(encoding="utf-8") if site_log.exists() else "")
    assert "no live upstreams" not in errors and "upstream prematurely closed" not in errors \
        and "reset by peer" not in errors, errors
    print(f"register file through nginx and straight to a node: {through}")

    # -- the audit chain and both machines' checkpoints hold ------------------------------------
    for m in (a, b):
        run = Merzim(m.home, db_url=d["db_url"], config=m.config, today=WORKDAY)(
            "audit", "verify", "--json")
        assert run.returncode == 0 and json.loads(run.stdout)["ok"], (run.stdout, run.stderr)
