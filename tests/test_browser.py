"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright.

A fresh directory gets `merzim init --demo` and `merzim serve --no-worker` on a free port, with
today pinned (MERZIM_TODAY) so the demo's overdue stages are always the same. Then, as a user
would: the manager nurlan logs in and sees the overdue stages grouped by organisation; he logs
out; the officer asel logs in, opens her overdue analysis from the overdue list, is refused
once (a date in the future, then an event the analysis does not allow now) with the rule's
message, records the analytic note through the form and sees the stage done.

Screenshots go to test-artifacts/ at the repository root (git-ignored): overdue.png,
analysis.png, and failure.png when a step fails.

Without /usr/bin/chromium (or the playwright package) the test is skipped with the reason,
unless MERZIM_REQUIRE_BROWSER=1, which CI sets: then a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.envs import clean_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TODAY = "2026-11-23"  # a Monday, a working day: the demo is dated relative to it
DEMO_LINE = re.compile(r"^Demo account: (\S+) / (\S+)\s*$", re.MULTILINE)
MANAGER, OFFICER = "nurlan", "asel"
OFFICER_ORG = "AK-ALM-EDU"  # the demo's analysis of asel's department: its note is overdue
TIMEOUT_MS = 20_000


def _browser_missing(reason: str) -> None:
    if os.environ.get("MERZIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"MERZIM_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(f"browser test skipped: {reason} (install Debian's chromium: "
                "apt-get install -y chromium; set MERZIM_REQUIRE_BROWSER=1 to make this a failure)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def _env() -> dict[str, str]:
    env = clean_env()
    env.update(MERZIM_LANG="en", MERZIM_TODAY=TODAY)
    return env


def _merzim(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "merzim"
    if not script.exists():
        pytest.fail(f"the console script {script} is not installed (pip install -e .)")
    result = subprocess.run([str(script), *args], cwd=workdir, env=_env(), capture_output=True,
                            text=True, encoding="utf-8", timeout=120)
    assert result.returncode == 0, (args, result.returncode, result.stdout, result.stderr)
    return result


def _password(workdir: Path, login: str, shown: dict[str, str]) -> str:
    """The password init printed, or a fresh one set with `merzim user password --json`."""
    if login in shown:
        return shown[login]
    import json

    return json.loads(_merzim(workdir, "user", "password", login, "--json").stdout)["password"]


@contextlib.contextmanager
def running_server(workdir: Path, passwords: dict[str, str], *options: str) -> Iterator[Server]:
    """`merzim serve --no-worker [options]` on a free port of 127.0.0.1 in `workdir`, once it
    answers /login (at most 60 s); stopped on leaving."""
    port = _free_port()
    log = workdir / "serve.log"
    script = Path(sys.executable).parent / "merzim"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([str(script), "serve", *options, "--no-worker", "--host",
                                 "127.0.0.1", "--port", str(port)], cwd=workdir, env=_env(),
                                stdout=out, stderr=subprocess.STDOUT)
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
    if not CHROMIUM.exists():
        _browser_missing(f"{CHROMIUM} is not installed")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _browser_missing("the playwright Python package is not installed")

    workdir = tmp_path_factory.mktemp("browser")
    init = _merzim(workdir, "init", "--demo")
    shown = dict(DEMO_LINE.findall(init.stdout))
    passwords = {login: _password(workdir, login, shown) for login in (MANAGER, OFFICER)}

    with running_server(workdir, passwords) as srv:
        yield srv


@pytest.fixture
def page(server: Server):
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


def _log_in(page, server: Server, login: str) -> None:
    page.goto(f"{server.base}/")
    assert "/login" in page.url, page.url
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", server.passwords[login])
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, (login, page.url, page.content()[:2000])


def _log_out(page) -> None:
    page.click("form[action='/logout'] button[type=submit]")
    page.wait_for_url(re.compile(r"/login"))
    assert page.locator("[data-testid=current-user]").count() == 0


def _analytic_note(page):
    return page.locator("tr[data-stage='analytic_note']")


def _event_form(page, event: str):
    """One event's form on the case page (a <details> of its own), opened."""
    block = page.locator(f"details#record-{event}")
    if block.get_attribute("open") is None:
        block.locator("summary").click()
    return block


def _fill_event(page, event: str, day: str, number: str = "15-ө",
                signed_by: str = "Head of apparatus") -> None:
    form = _event_form(page, event)
    form.locator("input[name=date]").fill(day)
    form.locator("input[name=number]").fill(number)
    form.locator("input[name=signed_by]").fill(signed_by)


def test_manager_sees_overdue_officer_records_the_note(page, server: Server) -> None:
    try:
        _scenario(page, server)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
        print(f"page: {page.url}\nserver log:\n{server.log_tail()}", file=sys.stderr)
        raise


def _scenario(page, server: Server) -> None:
    # -- the manager: the overdue picture of his subtree, grouped by organisation ----------
    _log_in(page, server, MANAGER)
    assert page.url.rstrip("/").endswith("/overview"), page.url  # the managers' landing page
    page.goto(f"{server.base}/overdue")
    assert "Nurlan Iskakov" in page.locator("[data-testid=current-user]").inner_text()
    sections = page.locator("section[data-org]")
    assert sections.count() >= 1, "no organisation section on the overdue page"
    total = int(page.locator("[data-testid=overdue-total]").inner_text().strip())
    assert total > 0, "the overdue page shows no overdue stage"
    rows = page.locator("section[data-org] tbody tr")
    assert rows.count() == total, (rows.count(), total)
    orgs = sections.evaluate_all("els => els.map(e => e.dataset.org)")
    assert OFFICER_ORG in orgs, orgs
    assert all(o.startswith("AK-ALM") or o == "QS-ZHETYSU" for o in orgs), orgs  # his subtree
    edu = page.locator(f"section[data-org='{OFFICER_ORG}']")
    assert edu.locator("tr[data-stage='analytic_note']").count() == 1
    page.screenshot(path=str(ARTIFACTS / "overdue.png"), full_page=True)
    _log_out(page)

    # -- the officer: from the overdue list to her analysis --------------------------------
    _log_in(page, server, OFFICER)
    assert page.url.rstrip("/").endswith("/work"), page.url  # the officers' landing page
    page.goto(f"{server.base}/overdue")
    mine = page.locator(f"section[data-org='{OFFICER_ORG}']")
    assert page.locator("section[data-org]").count() == 1, "an officer sees her organisation only"
    mine.locator("tr[data-stage='analytic_note'] a").first.click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    analysis_url = page.url
    assert _analytic_note(page).get_attribute("data-status") == "overdue"
    assert page.locator("[data-testid=refusal]").count() == 0
    state_before = page.locator("[data-testid=state]").inner_text()

    # A date after today: refused with the rule's message, nothing stored.
    _fill_event(page, "analytic_note", "2026-12-31")
    _event_form(page, "analytic_note").locator("button[type=submit]").click()
    page.wait_for_load_state()
    refusal = page.locator("[data-testid=refusal]")
    assert refusal.is_visible()
    assert "2026-12-31" in refusal.inner_text() and "future" in refusal.inner_text(), \
        refusal.inner_text()
    assert _analytic_note(page).get_attribute("data-status") == "overdue"
    assert page.locator("[data-testid=state]").inner_text() == state_before

    # An event the analysis does not allow now (the page offers forms of allowed ones only, so
    # the event is changed the way a stale page or a crafted request would send it).
    page.goto(analysis_url)
    _fill_event(page, "analytic_note", TODAY)
    form = _event_form(page, "analytic_note")
    form.locator("input[name=event]").evaluate("e => { e.value = 'publication'; }")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    refusal = page.locator("[data-testid=refusal]")
    assert refusal.is_visible()
    assert "needs “Analytic note signed” to be recorded first" in refusal.inner_text(), \
        refusal.inner_text()
    assert _analytic_note(page).get_attribute("data-status") == "overdue"
    assert page.locator("[data-testid=state]").inner_text() == state_before

    # The analytic note, signed today (after its due date: done late).
    page.goto(analysis_url)
    _fill_event(page, "analytic_note", TODAY, number="42-ө", signed_by="Head of apparatus")
    _event_form(page, "analytic_note").locator("button[type=submit]").click()
    page.wait_for_url(analysis_url)  # Post/Redirect/Get: the case, its confirmation on top
    assert page.locator("[data-testid=recorded]").is_visible()
    assert page.locator("[data-testid=refusal]").count() == 0
    note = _analytic_note(page)
    assert note.get_attribute("data-status") in ("done_on_time", "done_late"), \
        note.get_attribute("data-status")
    assert TODAY in note.inner_text() and "42-ө" in note.inner_text(), note.inner_text()
    assert page.locator("[data-testid=state]").inner_text() != state_before
    page.screenshot(path=str(ARTIFACTS / "analysis.png"), full_page=True)

    # ... and it has left the overdue list.
    page.goto(f"{server.base}/overdue")
    assert page.locator(f"section[data-org='{OFFICER_ORG}'] tr[data-stage='analytic_note']"
                        ).count() == 0

