"""The screenshots of docs/officer-guide.md and docs/dashboard.md, made again from the demo.

    .venv/bin/python docs/screenshots.py            # every picture into docs/img/
    .venv/bin/python docs/screenshots.py --out DIR  # elsewhere (to compare)

What it does: `merzim init --demo` in a temporary directory with the day pinned to
2026-11-23 (the browser tests' day: the same overdue stages every time), `merzim serve
--no-worker` on a free port of 127.0.0.1, then Debian's Chromium (/usr/bin/chromium) driven by
Playwright signs in as the demo's officer (asel) and manager (nurlan), in English, and takes
each picture of the part of the page it shows (the viewport, 1200 px wide, at 1 device pixel:
each PNG stays under 200 KB; the script says so when one does not). Nothing leaves the machine;
the demo's database is thrown away at the end.

Needs: the merzim console script of this checkout (pip install -e .), /usr/bin/chromium and
the playwright Python package (the browser tests' own).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("merzim")
CHROMIUM = "/usr/bin/chromium"
TODAY = "2026-11-23"
WIDTH, HEIGHT = 1200, 760
LIMIT = 200_000  # bytes a picture may weigh


def _env() -> dict[str, str]:
    env = dict(os.environ, MERZIM_TODAY=TODAY, MERZIM_LANG="en", LANG="C.UTF-8")
    for name in [n for n in env if n.startswith("MERZIM_")
                 and n not in ("MERZIM_TODAY", "MERZIM_LANG")]:
        env.pop(name)  # not the shell's database, configuration or files
    return env


def _merzim(workdir: Path, *args: str) -> str:
    done = subprocess.run([str(SCRIPT), *args], cwd=workdir, env=_env(), capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"merzim {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _password(workdir: Path, login: str, shown: dict[str, str]) -> str:
    if login in shown:
        return shown[login]
    return str(json.loads(_merzim(workdir, "user", "password", login, "--json"))["password"])


def _smaller(path: Path) -> None:
    """The PNG's image data compressed again at zlib's best level (Chromium writes it fast,
    not small): the same pixels, fewer bytes."""
    data = path.read_bytes()
    out, pos, idat = [data[:8]], 8, b""
    chunks = []
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IDAT":
            idat += body
        else:
            chunks.append((kind, body))
    for kind, body in chunks:
        if kind == b"IEND":
            packed = zlib.compress(zlib.decompress(idat), 9)
            out.append(_chunk(b"IDAT", packed))
        out.append(_chunk(kind, body))
    smaller = b"".join(out)
    if len(smaller) < len(data):
        path.write_bytes(smaller)


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return len(body).to_bytes(4, "big") + kind + body + crc.to_bytes(4, "big")


class Shots:
    def __init__(self, page, base: str, out: Path):
        self.page, self.base, self.out = page, base, out
        self.too_big: list[str] = []

    def go(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")
        self.page.wait_for_load_state()

    def take(self, name: str, selector: str | None = None) -> None:
        path = self.out / f"{name}.png"
        if selector:
            self.page.locator(selector).first.scroll_into_view_if_needed()
            self.page.locator(selector).first.screenshot(path=str(path))
        else:
            self.page.screenshot(path=str(path))
        _smaller(path)
        size = path.stat().st_size
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {size // 1024} KB")
        if size > LIMIT:
            self.too_big.append(name)

    def sign_in(self, login: str, password: str) -> None:
        self.page.context.clear_cookies()
        self.page.context.add_cookies([{"name": "merzim_lang", "value": "en", "url": self.base}])
        self.go("/login")
        self.page.fill("input[name=login]", login)
        self.page.fill("input[name=password]", password)
        self.page.click("form[action='/login'] button[type=submit]")
        self.page.wait_for_load_state()
        offer = self.page.locator("[data-testid=lang-offer-keep]")
        if offer.count():  # the demo's people read Kazakh: the pictures are in English
            offer.click()
            self.page.wait_for_load_state()


def _officer(s: Shots) -> None:
    s.go("/work")
    s.take("work")
    # work in bulk: two overdue stages ticked, the record form open
    rows = s.page.locator("section[data-section=overdue] [data-testid=select]")
    for i in range(min(2, rows.count())):
        rows.nth(i).check()
    s.page.locator("[data-testid=bulk-record] > summary").click()
    s.page.locator("#bulk input[name=number]").fill("12-04/77")
    s.page.locator("#bulk input[name=signed_by]").fill("A. Nurpeisova")
    s.take("bulk-actions", "[data-testid=bulk-bar]")
    s.go("/notifications")
    s.take("notifications")
    s.go("/account/reminders")
    s.take("reminder-preferences")
    # a case with records: its history
    s.go("/cases/2")
    s.take("case-history", "[data-testid=history]")
    # a case: withdrawing it (the form, then the confirmation step)
    s.go("/work")
    s.page.locator("section[data-section=overdue] tr[data-stage] a[href^='/cases/']").first \
        .click()
    s.page.wait_for_url(re.compile(r"/cases/\d+$"))
    s.take("case-page")
    s.page.locator("details#withdraw > summary").click()
    s.page.locator("#withdraw-reason").fill("Opened twice by mistake: see the case before.")
    s.take("withdraw-form", "details#withdraw")
    s.page.locator("[data-testid=withdraw-form] button[type=submit]").click()
    s.page.wait_for_load_state()
    s.take("withdraw-confirm")
    # the open-a-case form with its problems
    s.go("/cases/new/gift")
    s.page.locator("[data-testid=open-submit]").click()
    s.page.wait_for_load_state()
    s.take("open-case-problems")


def _manager(s: Shots) -> None:
    s.go("/overview")
    s.take("overview")
    s.go("/score")
    s.take("score")
    first = s.page.locator("[data-testid=score-summary] tbody tr td a").first
    first.click()
    s.page.wait_for_load_state()
    s.take("score-subject")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    if not SCRIPT.exists() or not Path(CHROMIUM).exists():
        sys.exit(f"needs {SCRIPT} (pip install -e .) and {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="merzim-shots-"))
    server = None
    try:
        init = _merzim(workdir, "init", "--demo")
        shown = dict(re.findall(r"^Demo account: (\S+) / (\S+)(?: — .*)?$", init, re.MULTILINE))
        passwords = {login: _password(workdir, login, shown) for login in ("asel", "nurlan")}
        port = _free_port()
        log = open(workdir / "serve.log", "w", encoding="utf-8")  # noqa: SIM115 - kept open
        server = subprocess.Popen([str(SCRIPT), "serve", "--no-worker", "--host", "127.0.0.1",
                                   "--port", str(port)], cwd=workdir, env=_env(), stdout=log,
                                  stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{base}/login", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                          device_scale_factor=1, locale="en-GB")
            shots = Shots(context.new_page(), base, args.out)
            shots.sign_in("asel", passwords["asel"])
            _officer(shots)
            shots.sign_in("nurlan", passwords["nurlan"])
            _manager(shots)
            browser.close()
        if shots.too_big:
            print(f"over {LIMIT // 1000} KB: {', '.join(shots.too_big)}", file=sys.stderr)
            return 1
        return 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=15)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
