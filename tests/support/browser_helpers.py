"""What the browser tests share: Debian's headless Chromium driven by Playwright against a
`merzim serve` process.

A fresh directory gets `merzim init --demo` (the console script, as a process) and
`merzim serve --no-worker` on a free port, with today pinned (MERZIM_TODAY) so the demo's
overdue stages are always the same. A test module imports the fixtures it uses
(``from tests.support.browser_helpers import page, server  # noqa: F401``): pytest registers them
under their names, ``server`` (module scope: the demo served for the whole module) and
``page`` (a fresh browser page with the English cookie set). A module that serves the demo
for other users takes its own from `demo_served`; one serving it otherwise (`serve --lang`)
defines its own ``server`` with `demo_password`, `merzim_process` and `running_server`.

Screenshots go to test-artifacts/ at the repository root (git-ignored). A picture of a failing
step is always taken; the others (full pages for people to look at, not checks: they cost
~10-15 % of the browser tests' CPU) only with MERZIM_TEST_SCREENSHOTS=1 (`screenshot`).

What is shared, and why it checks the same things: the demo's working directory is made by a
real `merzim init --demo` (the console script, as a process) once per test run — under the
run's base temporary directory, with a file lock, so both pytest-xdist workers use the one
made first — and each module's server starts from a copy of it (`demo_copy`: the database, its
write-ahead log and its audit head, byte for byte what the module's own init would have left,
and the passwords it printed). One Chromium is launched per module (`chromium`); each test
still gets a context of its own (own cookies, storage, viewport), as a fresh browser would.

Without /usr/bin/chromium (or the playwright package) a browser test is skipped with the
reason, unless MERZIM_REQUIRE_BROWSER=1, which CI sets: then a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_runner import SCRIPT, merzim_env, run_merzim
from tests.support.databases import BACKENDS
from tests.support.processes import free_port, terminate

# Debian's Chromium: its headless shell when installed (package chromium-headless-shell, which
# .ci/run installs: the same Blink and V8 as /usr/bin/chromium without the desktop browser's
# window machinery, what Playwright itself runs for headless Chromium; the a11y module took 47 s
# of CPU with it against 57 s with the full browser), the full browser otherwise.
HEADLESS_SHELL = Path("/usr/lib/chromium/chromium-headless-shell")
CHROMIUM = HEADLESS_SHELL if HEADLESS_SHELL.exists() else Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TODAY = "2026-11-23"  # a Monday, a working day: the demo is dated relative to it
DEMO_LINE = re.compile(r"^Demo account: (\S+) / (\S+)(?: — .*)?$", re.MULTILINE)
MANAGER, OFFICER, ADMIN = "nurlan", "asel", "erlan"
OFFICER_ORG = "AK-ALM-EDU"  # the demo's analysis of asel's department: its note is overdue
TIMEOUT_MS = 20_000


def submit(page, target) -> None:
    """Click what sends a form (a selector or a locator) and wait for the page that answers it:
    a click alone, or a wait for the load state after it, can return while the old page is still
    shown, before a slow answer (a checked password, an import's preview) has arrived."""
    with page.expect_navigation():
        (page.locator(target) if isinstance(target, str) else target).click()
    page.wait_for_load_state()


def browser_missing(reason: str) -> None:
    """Skip the test (fail it with MERZIM_REQUIRE_BROWSER=1) for want of a browser."""
    if os.environ.get("MERZIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"MERZIM_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(f"browser test skipped: {reason} (install Debian's chromium: "
                "apt-get install -y chromium; set MERZIM_REQUIRE_BROWSER=1 to make this a failure)")


@dataclass
class Server:
    base: str
    passwords: dict[str, str]
    log: Path
    workdir: Path | None = None  # where it runs (its SQLite database, unless `db_url`)
    db_url: str | None = None  # its database when not the working directory's SQLite file

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace")
                             .splitlines()[-n:])
        except OSError:
            return "(no server log)"


def browser_env(db_url: str | None = None) -> dict[str, str]:
    """The environment of the browser tests' merzim: English, today pinned; the database of
    `db_url` (None: the working directory's SQLite file)."""
    return merzim_env(today=TODAY, db_url=db_url)


def merzim_process(workdir: Path, *args: str,
                   db_url: str | None = None) -> subprocess.CompletedProcess[str]:
    """`merzim ARGS` as a process (the console script the server runs too), which must
    succeed."""
    if not SCRIPT.exists():
        pytest.fail(f"the console script {SCRIPT} is not installed (pip install -e .)")
    result = run_merzim(args, env=browser_env(db_url), cwd=workdir, process=True)
    assert result.returncode == 0, (args, result.returncode, result.stdout, result.stderr)
    return result


def demo_password(workdir: Path, login: str, shown: dict[str, str],
                  db_url: str | None = None) -> str:
    """The password init printed, or a fresh one set with `merzim user password --json`."""
    if login in shown:
        return shown[login]
    import json

    return json.loads(merzim_process(workdir, "user", "password", login, "--json",
                                     db_url=db_url).stdout)["password"]


@contextlib.contextmanager
def running_server(workdir: Path, passwords: dict[str, str], *options: str,
                   db_url: str | None = None) -> Iterator[Server]:
    """`merzim serve --no-worker [options]` on a free port of 127.0.0.1 in `workdir` (on the
    database of `db_url`: None, the working directory's SQLite file), once it answers /login
    (at most 60 s); stopped on leaving."""
    port = free_port()
    log = workdir / "serve.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([str(SCRIPT), "serve", *options, "--no-worker", "--host",
                                 "127.0.0.1", "--port", str(port)], cwd=workdir,
                                env=browser_env(db_url), stdout=out, stderr=subprocess.STDOUT)
    srv = Server(f"http://127.0.0.1:{port}", passwords, log, workdir, db_url)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"merzim serve exited with {proc.returncode}:\n{srv.log_tail()}")
            try:
                with urllib.request.urlopen(f"{srv.base}/login", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"merzim serve did not answer on port {port} in 60 s:\n"
                            f"{srv.log_tail()}")
            time.sleep(0.2)
        yield srv
    finally:
        terminate(proc)


PHONE = {"width": 390, "height": 844}  # the phone every browser test looks with
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"  # > 0: scrolls sideways


@contextlib.contextmanager
def failing_shot(pg, server, name: str) -> Iterator[None]:
    """On a failure inside the block: a full-page picture named `failure-NAME.png` in the
    artifacts and the server's last log lines on stderr, then the failure goes on."""
    try:
        yield
    except Exception:
        pg.screenshot(path=str(ARTIFACTS / f"failure-{name}.png"), full_page=True)
        print(f"page: {pg.url}\nserver log:\n{server.log_tail()}", file=sys.stderr)
        raise


def screenshot(pg, name: str, *, full_page: bool = True) -> None:
    """test-artifacts/NAME.png, for people to look at (not a check): only with
    MERZIM_TEST_SCREENSHOTS=1. A failing step's picture is taken whatever the setting."""
    if os.environ.get("MERZIM_TEST_SCREENSHOTS") != "1":
        return
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name.removesuffix('.png')}.png"), full_page=full_page)


def prefixed_shots(prefix: str):
    """A test module's `failing_shot` and `screenshot`, each picture named PREFIX-NAME:
    `_failing_shot, _shot = prefixed_shots("browser-phone-forms")`, then
    `with _failing_shot(page, server, "score"): ...` and `_shot(page, "score")`."""

    def failing(pg, server, name: str):
        return failing_shot(pg, server, f"{prefix}-{name}")

    def shot(pg, name: str) -> None:
        screenshot(pg, f"{prefix}-{name}")

    return failing, shot


def _run_dir(tmp_path_factory) -> Path:
    """The directory every process of this run shares: the base temporary directory, or with
    pytest-xdist its parent (each worker has a base directory of its own under it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def demo_copy(tmp_path_factory, name: str) -> tuple[Path, dict[str, str]]:
    """A new directory holding what `merzim init --demo` left in its working directory, and
    the demo passwords it printed. The init runs once per test run (the console script, as a
    process, in a directory of the run's own); every call copies its files."""
    template = _run_dir(tmp_path_factory) / "browser-demo-init"
    with open(_run_dir(tmp_path_factory) / "browser-demo-init.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (template / "done").exists():
                shutil.rmtree(template, ignore_errors=True)
                (template / "work").mkdir(parents=True)
                init = merzim_process(template / "work", "init", "--demo")
                (template / "stdout").write_text(init.stdout, encoding="utf-8")
                (template / "done").touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    workdir = tmp_path_factory.mktemp(name)
    shutil.copytree(template / "work", workdir, dirs_exist_ok=True)
    shown = dict(DEMO_LINE.findall((template / "stdout").read_text(encoding="utf-8")))
    return workdir, shown


@contextlib.contextmanager
def demo_on(tmp_path_factory, backend: str,
            name: str) -> Iterator[tuple[Path, dict[str, str], str | None]]:
    """(working directory, the passwords init printed, database URL) of a fresh demo: on
    SQLite the run's copy of it (`demo_copy`); on PostgreSQL `merzim init --demo` in a schema
    of its own on the run's server, dropped afterwards."""
    if backend == "sqlite":
        workdir, shown = demo_copy(tmp_path_factory, name)
        yield workdir, shown, None
        return
    from tests.support.databases import postgres_schema

    with postgres_schema("merzim_b") as url:
        workdir = tmp_path_factory.mktemp(f"{name}-pg")
        init = merzim_process(workdir, "init", "--demo", db_url=url)
        yield workdir, dict(DEMO_LINE.findall(init.stdout)), url


def require_browser(*packages: str) -> None:
    """Skip (fail with MERZIM_REQUIRE_BROWSER=1) without Chromium, Playwright or PACKAGES."""
    if not CHROMIUM.exists():
        browser_missing(f"{CHROMIUM} is not installed")
    import importlib

    for package in ("playwright.sync_api", *packages):
        try:
            importlib.import_module(package)
        except ImportError as exc:
            browser_missing(f"a Python package is not installed ({exc.name})")


def demo_served(name: str, *logins: str):
    """A module-scoped ``server`` fixture: a copy of the demo (`demo_copy`, a directory named
    after `name`) served for the whole module, with the passwords of `logins`. A module serving
    other users than `server`'s takes one as its own (``server = tb.demo_served(…)``)."""

    @pytest.fixture(scope="module")
    def served(tmp_path_factory) -> Iterator[Server]:
        require_browser()
        workdir, shown = demo_copy(tmp_path_factory, name)
        with running_server(workdir, {login: demo_password(workdir, login, shown)
                                      for login in logins}) as srv:
            yield srv

    return served


server = demo_served("browser", MANAGER, OFFICER, ADMIN)
"""The demo served for the whole module; the manager's, the officer's and the administrator's
passwords."""


@pytest.fixture(scope="module", params=BACKENDS)
def server_on_each_backend(request, tmp_path_factory) -> Iterator[Server]:
    """`server`, on each backend of the run: a module takes it as its `server`
    (``server = browser_helpers.server_on_each_backend``) when what it checks must hold on
    SQLite and PostgreSQL alike."""
    require_browser()
    with demo_on(tmp_path_factory, request.param, "browser") as (workdir, shown, url):
        passwords = {login: demo_password(workdir, login, shown, db_url=url)
                     for login in (MANAGER, OFFICER, ADMIN)}
        with running_server(workdir, passwords, db_url=url) as srv:
            yield srv


@pytest.fixture(scope="module")
def chromium(server: Server):
    """Chromium, launched once for the module (each test opens a context of its own)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium, server: Server):
    """A fresh page in a fresh browser context (no cookie, no storage of an earlier test),
    1280x900, English whatever the user's language."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        # Pages in English whatever the demo users' own language (nurlan and asel: kk).
        context.add_cookies([{"name": "merzim_lang", "value": "en", "url": server.base}])
        pg = context.new_page()
        pg.set_default_timeout(TIMEOUT_MS)
        yield pg
    finally:
        context.close()


def open_documents(pg, stage: str) -> None:
    """From a case page, opens the documents page of `stage` by its row's action."""
    pg.locator(f"tr[data-stage='{stage}'] [data-testid=stage-action]").click()
    pg.wait_for_url(re.compile(rf"/documents/{stage}$"))


def drafted(pg, stage: str, language: str, folder: Path, *, shot: str = "") -> Path:
    """From a case page, the .docx of `stage`'s document in `language` (kk, ru), saved in
    `folder`: its documents page opened, with `shot` pictured (`screenshot`) and checked by
    axe-core first."""
    open_documents(pg, stage)
    if shot:
        screenshot(pg, shot, full_page=False)
        axe_check(pg)
    return downloaded(pg, f"[data-testid=document-docx-{language}]", folder)


def docx_text(path: Path) -> str:
    """The text of a .docx: its paragraphs, then its tables' cells."""
    import docx

    d = docx.Document(str(path))
    return "\n".join([p.text for p in d.paragraphs]
                     + [c.text for t in d.tables for r in t.rows for c in r.cells])


def downloaded(pg, selector: str, folder: Path) -> Path:
    """Clicks `selector` on the page and saves the file it downloads in `folder`, under the
    name the server suggests; its path."""
    with pg.expect_download() as got:
        pg.locator(selector).click()
    path = folder / got.value.suggested_filename
    got.value.save_as(path)
    return path


def log_in(page, server: Server, login: str) -> None:
    page.goto(f"{server.base}/")
    assert "/login" in page.url, page.url
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", server.passwords[login])
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, (login, page.url, page.content()[:2000])


def log_out(page) -> None:
    page.click("form[action='/logout'] button[type=submit]")
    page.wait_for_url(re.compile(r"/login"))
    assert page.locator("[data-testid=current-user]").count() == 0


def case_of_overdue_note(pg, server) -> str:
    """The officer's case whose analytic note is overdue, opened from the overdue list."""
    pg.goto(f"{server.base}/overdue")
    mine = pg.locator(f"section[data-org='{OFFICER_ORG}']")
    mine.locator("tr[data-stage='analytic_note'] a").first.click()
    pg.wait_for_url(re.compile(r"/cases/\d+$"))
    return pg.url


def axe_check(pg) -> None:
    """axe-core on the page as it is now (a form open, its problems shown, a confirmation
    step): no serious or critical violation."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:  # tests/browser/test_browser_a11y.py requires it; here it is a bonus
        return
    found = Axe().run(pg).response["violations"]
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found
           if v.get("impact") in ("serious", "critical")]
    assert not bad, bad


@contextlib.contextmanager
def signed_in_on_case(server: Server, login: str, org: str, failure: str, *,
                      permissions: tuple[str, ...] = ()) -> Iterator[tuple[Any, str]]:
    """Chromium (a desktop window, English, downloads accepted, `permissions` granted on the
    server) signed in as `login`, on the case page of `org`'s first internal analysis in the
    cases list: yields the page and the case's address. A failing step's full-page picture is
    test-artifacts/FAILURE.png; the browser is closed either way."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900},
                                          locale="en-GB", accept_downloads=True)
            if permissions:
                context.grant_permissions(list(permissions), origin=server.base)
            context.add_cookies([{"name": "merzim_lang", "value": "en", "url": server.base}])
            pg = context.new_page()
            pg.set_default_timeout(TIMEOUT_MS)
            try:
                log_in(pg, server, login)
                pg.goto(f"{server.base}/cases?org={org}&process=internal_risk_analysis")
                pg.locator("a[href^='/cases/']").filter(has_text=re.compile(r"^#?\d+$")).first \
                    .click()
                pg.wait_for_url(re.compile(r"/cases/\d+$"))
                yield pg, pg.url
            except Exception:
                pg.screenshot(path=str(ARTIFACTS / f"{failure}.png"), full_page=True)
                raise
            finally:
                context.close()
        finally:
            browser.close()
