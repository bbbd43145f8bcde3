"""What the browser tests share: Debian's headless Chromium driven by Playwright against a
`merzim serve` process.

A fresh directory gets `merzim init --demo` (the console script, as a process) and
`merzim serve --no-worker` on a free port, with today pinned (MERZIM_TODAY) so the demo's
overdue stages are always the same. A test module imports the fixtures it uses
(``from tests.browser_helpers import page, server  # noqa: F401``): pytest registers them
under their names, ``server`` (module scope: the demo served for the whole module) and
``page`` (a fresh browser page with the English cookie set). A module that serves the demo
differently (other users, `serve --lang`) defines its own ``server`` with `demo_password`,
`merzim_process` and `running_server`.

Screenshots go to test-artifacts/ at the repository root (git-ignored).

Without /usr/bin/chromium (or the playwright package) a browser test is skipped with the
reason, unless MERZIM_REQUIRE_BROWSER=1, which CI sets: then a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli_runner import SCRIPT, merzim_env, run_merzim
from tests.processes import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TODAY = "2026-11-23"  # a Monday, a working day: the demo is dated relative to it
DEMO_LINE = re.compile(r"^Demo account: (\S+) / (\S+)\s*$", re.MULTILINE)
MANAGER, OFFICER = "nurlan", "asel"
OFFICER_ORG = "AK-ALM-EDU"  # the demo's analysis of asel's department: its note is overdue
TIMEOUT_MS = 20_000


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

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace")
                             .splitlines()[-n:])
        except OSError:
            return "(no server log)"


def browser_env() -> dict[str, str]:
    """The environment of the browser tests' merzim: English, today pinned."""
    return merzim_env(today=TODAY)


def merzim_process(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`merzim ARGS` as a process (the console script the server runs too), which must
    succeed."""
    if not SCRIPT.exists():
        pytest.fail(f"the console script {SCRIPT} is not installed (pip install -e .)")
    result = run_merzim(args, env=browser_env(), cwd=workdir, process=True)
    assert result.returncode == 0, (args, result.returncode, result.stdout, result.stderr)
    return result


def demo_password(workdir: Path, login: str, shown: dict[str, str]) -> str:
    """The password init printed, or a fresh one set with `merzim user password --json`."""
    if login in shown:
        return shown[login]
    import json

    return json.loads(merzim_process(workdir, "user", "password", login, "--json").stdout)[
        "password"]


@contextlib.contextmanager
def running_server(workdir: Path, passwords: dict[str, str], *options: str) -> Iterator[Server]:
    """`merzim serve --no-worker [options]` on a free port of 127.0.0.1 in `workdir`, once it
    answers /login (at most 60 s); stopped on leaving."""
    port = free_port()
    log = workdir / "serve.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([str(SCRIPT), "serve", *options, "--no-worker", "--host",
                                 "127.0.0.1", "--port", str(port)], cwd=workdir,
                                env=browser_env(), stdout=out, stderr=subprocess.STDOUT)
    srv = Server(f"http://127.0.0.1:{port}", passwords, log)
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
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """The demo served for the whole module; the manager's and the officer's passwords."""
    if not CHROMIUM.exists():
        browser_missing(f"{CHROMIUM} is not installed")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        browser_missing("the playwright Python package is not installed")

    workdir = tmp_path_factory.mktemp("browser")
    init = merzim_process(workdir, "init", "--demo")
    shown = dict(DEMO_LINE.findall(init.stdout))
    passwords = {login: demo_password(workdir, login, shown) for login in (MANAGER, OFFICER)}

    with running_server(workdir, passwords) as srv:
        yield srv


@pytest.fixture
def page(server: Server):
    """A fresh page of a fresh browser, 1280x900, English whatever the user's language."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900},
                                          locale="en-GB")
            # Pages in English whatever the demo users' own language (nurlan and asel: kk).
            context.add_cookies([{"name": "merzim_lang", "value": "en", "url": server.base}])
            pg = context.new_page()
            pg.set_default_timeout(TIMEOUT_MS)
            yield pg
            context.close()
        finally:
            browser.close()


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
    except ImportError:  # tests/test_browser_a11y.py requires it; here it is a bonus
        return
    found = Axe().run(pg).response["violations"]
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found
           if v.get("impact") in ("serious", "critical")]
    assert not bad, bad
