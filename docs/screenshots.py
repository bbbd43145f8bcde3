"""The screenshots of docs/officer-guide.md, docs/operator-guide.md and docs/dashboard.md, made
again from the demo.

    .venv/bin/python docs/screenshots.py            # every picture into docs/img/
    .venv/bin/python docs/screenshots.py --out DIR  # elsewhere (to compare)

What it does: `merzim init --demo` in a temporary directory with the day pinned to
2026-11-23 (the browser tests' day: the same overdue stages every time), `merzim serve
--no-worker` on a free port of 127.0.0.1, then Debian's Chromium (/usr/bin/chromium) driven by
Playwright signs in as the demo's officer (asel) and manager (nurlan), in English, and takes
each picture of the part of the page it shows (the viewport, 1200 px wide, at 1 device pixel:
each PNG stays under 200 KB; the script says so when one does not). The registers' pictures
(`register-*.png` and the others of the guide's "Registers" chapter) are taken at 1366 px, the
laptop width officers use, and a few at 390 px, a phone; on the way the officer imports a small
spreadsheet, opens a gift that was not handed over with its register entry, corrects an entry,
withdraws one and undoes it, as she would. The pictures of the operator guide's "Adopting
merzim mid-year" (`people*.png`, `backfill.png`) are the administrator's (erlan) at 1366 px:
a file of a district's people refused with every mistake named, then accepted, and the year so
far of a district opened from its page. Nothing leaves the machine; the demo's database is
thrown away at the end.

    .venv/bin/python docs/screenshots.py --only registers   # the registers' pictures only
    .venv/bin/python docs/screenshots.py --only moving-in   # the mid-year adoption's only
    .venv/bin/python docs/screenshots.py --only team        # saved views, hand-over, comments
    .venv/bin/python docs/screenshots.py --only documents   # the drafted documents' only

The pictures of the guide's "Drafting the documents" (`document-*.png`, `risk-map.png`) are
the officer's of the demo's analysis whose risks, recommendations, measures and review the demo
records (workflow/documents/demo.toml). On the way she records the units' report of its first
reporting period as received (today), so that the period's monitoring report is offered. Then:
its case page with the "Draft the document" link beside each stage a document confirms (two
pictures: `document-links.png`, `document-links-later.png`); the analytic note's page, its
risks with their grades, level and rank and the analysis's risk map (`risk-map.png`); and the
first page of each document it offers (one of each: the first period's monitoring report),
with the schedule of its subject's year (a programme's document) and the demo's foreign
account's notice (`document-foreign-account-notice.png`), drafted in Russian with
`merzim document draft` and `merzim document schedule` as LibreOffice prints it (converted to
PDF, the page rendered at 60 dpi by poppler's pdftoppm when it is installed, else by
LibreOffice itself); of the analytic note also the page its risk map ends on
(`document-analytic-note-map.png`: needs pdftoppm and pdftotext).

Needs: the merzim console script of this checkout (pip install -e .), /usr/bin/chromium and
the playwright Python package (the browser tests' own); for the documents also LibreOffice
(soffice) and, where LibreOffice cannot write a PNG itself (Debian's writer-nogui), pdftoppm
(apt-get install poppler-utils).
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
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("merzim")
CHROMIUM = "/usr/bin/chromium"
TODAY = "2026-11-23"
WIDTH, HEIGHT = 1200, 760
WIDE = {"width": 1366, "height": 768}  # the registers' pictures: a laptop
PHONE = {"width": 390, "height": 844}  # and a phone
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


def _weigh(path: Path) -> bool:
    """The picture made smaller, its size said; whether it stays under the limit."""
    _smaller(path)
    size = path.stat().st_size
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {size // 1024} KB")
    return size <= LIMIT


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

    def take(self, name: str, selector: str | None = None, *, until: str | None = None,
             full: bool = False) -> None:
        """The viewport, the whole page (`full`), the element `selector`, or the part of the
        page from the top of `selector` down to the bottom of `until`."""
        path = self.out / f"{name}.png"
        self.page.evaluate("document.activeElement && document.activeElement.blur()")
        if selector and until:
            self.page.evaluate("window.scrollTo(0, 0)")
            top = self.page.locator(selector).first.bounding_box()
            bottom = self.page.locator(until).first.bounding_box()
            assert top is not None and bottom is not None, (selector, until)
            self.page.screenshot(path=str(path), full_page=True, clip={
                "x": top["x"], "y": top["y"], "width": top["width"],
                "height": bottom["y"] + bottom["height"] - top["y"]})
        elif selector:
            self.page.locator(selector).first.scroll_into_view_if_needed()
            self.page.locator(selector).first.screenshot(path=str(path))
        else:
            self.page.screenshot(path=str(path), full_page=full)
        if not _weigh(path):
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


def _team_officer(s: Shots) -> None:
    """A saved view (the form under a list, the menu with its count, the views page) and a
    comment mentioning the manager."""
    s.go("/overdue?year=2026")
    s.page.locator("[data-testid=save-view] > summary").click()
    s.page.fill("#save-view-name", "Overdue this year")
    s.take("save-view", "[data-testid=save-view]")
    s.page.locator("[data-testid=save-view-form] button[type=submit]").click()
    s.page.wait_for_load_state()
    s.take("views-menu", "header.top")
    s.go("/views")
    s.take("views-page")
    s.go("/cases/2")
    s.page.fill("#comment-text", "@nurlan the analytic note waits for the akim's signature")
    s.page.locator("[data-testid=comment-form] button[type=submit]").click()
    s.page.wait_for_load_state()
    s.take("comments", "[data-testid=comments]")


def _team_manager(s: Shots) -> None:
    """The unassigned overdue stages with their Assign link (or, where the organisation has no
    officer yet, the link saying so), a case's hand-over picked by name, the mention in the
    manager's notification centre."""
    s.go("/overdue?org=AK-ALM-TLG")
    s.take("overdue-unassigned",
           "main table:has([data-testid=assign-link], [data-testid=assign-no-officer])")
    s.go("/cases/2")
    s.page.locator("details#assign > summary").click()
    s.take("assign-picker", "details#assign")
    s.go("/notifications")
    s.take("mention-notice", "main tr[data-kind=mentioned]")


REGISTER = "restriction_breach"  # a register of project No. 2 with entries in the demo
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPTED = {"person": "M. Akhmetova", "position": "Methodologist", "kind": "reward_or_gift",
            "giver": "A parents' committee", "reason": "Thanks for an admission",
            "measures": "Reprimand", "detected_independently": "yes", "detected": "2026-11-10"}
REFUSED = {"person": "K. Seitkali", "position": "Accountant", "kind": "gift",
           "detected_independently": "yes", "detected": "2026-11-12"}


def _spreadsheet(s: Shots, rows: list[dict[str, str]]) -> dict[str, object]:
    """The register's template as the officer downloads it, with her rows typed in under its
    header (dates as date cells, as a spreadsheet keeps them)."""
    from datetime import date

    from openpyxl import load_workbook

    from workflow.definitions import load_registry
    from workflow.imports.template import headers
    from workflow.installed import install

    install()  # the features, as merzim's entry point installs them

    got = s.page.request.get(f"{s.base}/registers/{REGISTER}/template.xlsx")
    book = load_workbook(BytesIO(got.body()))
    sheet = book.worksheets[0]
    # the header is in her language's labels: each key's column by the template's own builder
    keys = [key for key, _label in headers(load_registry().get(REGISTER), "en")]
    assert [c.value for c in sheet[1]] == [label for _key, label in headers(
        load_registry().get(REGISTER), "en")]
    for number, row in enumerate(rows, start=2):
        for key, value in row.items():
            cell = sheet.cell(row=number, column=keys.index(key) + 1)
            cell.value = date.fromisoformat(value) if key == "detected" else value
    out = BytesIO()
    book.save(out)
    return {"name": "breaches-2026.xlsx", "mimeType": XLSX, "buffer": out.getvalue()}


def _upload(s: Shots, rows: list[dict[str, str]]) -> None:
    s.go(f"/registers/{REGISTER}/import")
    s.page.set_input_files("#import-file", _spreadsheet(s, rows))
    s.page.click("[data-testid=import-preview]")
    s.page.wait_for_load_state()


def _registers(s: Shots) -> None:
    """The guide's "Registers" chapter: the officer (asel) at 1366 px, doing what it tells."""
    s.go("/registers")
    s.take("registers-index")
    s.go("/cases/new")
    s.take("new-entry")
    # her own spreadsheet: a refused row named, then the file corrected, previewed, confirmed
    _upload(s, [ACCEPTED, REFUSED])
    s.take("import-refused")
    _upload(s, [ACCEPTED, {**REFUSED, "kind": "reward_or_gift"}])
    s.take("import-preview")
    s.page.click("[data-testid=import-confirm]")
    s.page.wait_for_load_state()
    # what was recorded on an entry: its values at the top, its records in the history (the
    # demo's gift handed over)
    s.go(f"/registers/{REGISTER}?person=Mukhanova")
    s.page.locator("table[data-testid=register] tbody a[href^='/cases/']").first.click()
    s.page.wait_for_url(re.compile(r"/cases/\d+$"))
    gift_entry = s.page.url.rsplit("/", 1)[1]
    s.take("register-entry")
    # a gift not handed over: its breach opened from the gift's case, one fact
    s.go("/cases/new/gift")
    s.page.fill("#open-person", "S. Dzhaksybekova")
    s.page.fill("#open-position", "Chief specialist")
    s.page.fill("#open-date_received", "2026-11-02")
    s.page.click("[data-testid=open-submit]")
    s.page.wait_for_url(re.compile(r"/cases/\d+$"))
    s.page.locator("details#record-not_handed_over > summary").click()
    s.page.fill("#not_handed_over-date", "2026-11-12")
    s.page.locator("details#record-not_handed_over button[type=submit]:not([name=repeat])") \
        .first.click()
    s.page.wait_for_load_state()
    s.page.fill("#link-giver", "A publisher of textbooks")
    s.page.fill("#link-measures", "Reprimand")
    s.page.select_option("#link-detected_independently", "no")
    s.take("link-offer", "[data-testid=linked]")
    s.page.click("[data-testid=link-open]")
    s.page.wait_for_load_state()
    entry = s.page.locator("[data-testid=linked-case]").first.get_attribute("href") or ""
    s.take("linked-cases", "[data-testid=linked]")
    # correcting the entry: found by the officer's own check after all
    s.go(entry)
    s.page.locator("details#edit > summary").click()
    s.page.select_option("[data-testid=edit-field-detected_independently]", "yes")
    s.page.fill("#edit-reason", "Our own check found it.")
    s.take("edit-form", "details#edit")
    s.page.locator("[data-testid=edit-form] button[type=submit]").click()
    s.page.wait_for_load_state()
    # withdrawing the imported entry, then undoing it
    s.go(f"/registers/{REGISTER}?person=Akhmetova")
    s.page.locator("table[data-testid=register] tbody a[href^='/cases/']").first.click()
    s.page.wait_for_url(re.compile(r"/cases/\d+$"))
    s.page.locator("details#withdraw > summary").click()
    s.page.locator("#withdraw-reason").fill(f"Entered twice: the same gift is case {gift_entry}.")
    s.page.locator("[data-testid=withdraw-form] button[type=submit]").click()
    s.page.wait_for_load_state()
    s.page.click("[data-testid=confirm-button]")
    s.page.wait_for_load_state()
    s.page.locator("details:has([data-testid=restore-form]) > summary").click()
    s.page.fill("#restore-reason", "Not a repeat after all.")
    s.take("restore-form", "details:has([data-testid=restore-form])")
    s.page.click("[data-testid=restore-button]")
    s.page.wait_for_load_state()
    # the register with what she entered
    s.go(f"/registers/{REGISTER}")
    s.take("register-page", "main h1", until="table[data-testid=register] tbody tr:nth-child(3)")
    # the score page: the points at risk, and the cases behind each indicator
    s.go("/score/AK-ALM-EDU")
    s.take("score-risks")
    s.go("/score/AK-ALM-EDU?project=2#project-2")
    s.take("score-leads", "#project-2 thead",
           until="#project-2 tr:has([data-testid=leads] li[data-case] + li[data-case])")


def _registers_phone(s: Shots) -> None:
    s.go(f"/registers/{REGISTER}")
    s.take("register-phone", "[data-testid=found]",
           until="table[data-testid=register] tbody tr:nth-child(2)")
    s.go("/score/AK-ALM-EDU")
    s.take("score-risks-phone", "[data-testid=score-risks]")


PEOPLE_REFUSED = ("Name,Login,E-mail,Role,Organisation,Language\n"
                  "Aida Bekova,aida,aida@example,officer,Akimat of Karasai district,kk\n"
                  "Ruslan Omarov,ruslan,ruslan@example.kz,director,Akimat of Karasai district,ru\n"
                  "Dina Aliyeva,aida,dina@example.kz,officer,Karasai education,kk\n")
# the office's own list as it keeps it: a running number, no logins and no roles, a phone
PEOPLE = ("№ п/п,ФИО,Должность,Подразделение,E-mail,Телефон\n"
          "1,Aida Bekova,Chief specialist,Akimat of Karasai district,aida@example.kz,"
          "+7 701 000 00 01\n"
          "2,Ruslan Omarov,Head of department,Akimat of Karasai district,ruslan@example.kz,"
          "+7 701 000 00 02\n")


def _moving_in(s: Shots) -> None:
    """The operator guide's "Adopting merzim mid-year": the administrator (erlan) brings in a
    district's people (a file refused with every mistake named, then accepted) and opens the
    year so far of another district from its page."""
    for name, text in (("people-refused", PEOPLE_REFUSED), ("people-preview", PEOPLE)):
        s.go("/people")
        s.page.set_input_files("form[action='/people/import'] input[type=file]", {
            "name": "karasai-people.csv", "mimeType": "text/csv",
            "buffer": text.encode("utf-8")})
        s.page.click("form[action='/people/import'] button[type=submit]")
        s.page.wait_for_load_state()
        s.take(name, "main h1", until="[data-testid=people-refused], "
                                      "[data-testid=people-import-confirm]")
    s.page.select_option("[data-testid=role-3]", "manager")  # Ruslan heads the department
    s.page.click("[data-testid=people-import-confirm]")
    s.page.wait_for_load_state()
    s.go("/people?status=invited")  # the two invited, each with when her link expires
    s.take("people", "[data-testid=people-list]")
    s.go("/orgs/AK-ALM-TLG")
    s.page.fill("#backfill-since", "2026-01-01")
    s.page.click("[data-testid=org-backfill-form] button[type=submit]")
    s.page.wait_for_load_state()
    s.take("backfill", "[data-testid=org-backfill]",
           until="[data-testid=backfill-opened] li:nth-child(8)")


def _manager_registers(s: Shots) -> None:
    s.go("/notifications")
    s.take("notifications-escalated")


DOCUMENTS_DEMO = ROOT / "workflow" / "documents" / "demo.toml"  # the analysis they are of


def _documents_analysis(workdir: Path, init: str) -> int:
    """The analysis the demo's documents' part fills (its first of demo.toml's subject and
    process), among those `merzim init --demo` said it loaded."""
    import tomllib

    if not DOCUMENTS_DEMO.exists():
        sys.exit(f"no documents feature here ({DOCUMENTS_DEMO.relative_to(ROOT)})")
    demo = tomllib.loads(DOCUMENTS_DEMO.read_text(encoding="utf-8"))
    loaded = re.search(r"analyses \[([\d, ]+)\]", init)
    for number in sorted(int(n) for n in loaded.group(1).split(",")) if loaded else []:
        status = json.loads(_merzim(workdir, "status", str(number), "--json"))
        if (status["subject"], status["process"]) == (demo["subject"], demo["process"]):
            return number
    sys.exit(f"the demo loaded no {demo['process']} of {demo['subject']}")


def _document_offers(workdir: Path, case: int) -> list[dict[str, str]]:
    """The case's documents, one of each (the monitoring report: its first period's, once the
    officer has recorded that period's units' report as received today), as `merzim document
    list` names them with the stage each confirms."""
    periods = json.loads(_merzim(workdir, "monitoring", "periods", str(case), "--json"))
    first = periods["periods"][0]
    if not first["received_on"]:
        _merzim(workdir, "record", str(case), "monitoring_report", "--period", first["period"],
                "--date", TODAY)
    found = json.loads(_merzim(workdir, "document", "list", str(case), "--json"))["documents"]
    each: dict[str, dict[str, str]] = {}
    for offer in found:
        each.setdefault(offer["document"], offer)
    return list(each.values())


def _document_links(s: Shots, case: int, stages: list[str]) -> None:
    """The case page of the analysis, its stages from the order down to the stage of the last
    document, in two pictures (one would pass the limit): beside each stage a document
    confirms, its "Draft the document" link; then the analytic note's page, from its risks'
    table down to the analysis's risk map."""
    s.go(f"/cases/{case}")
    half = (len(stages) - 1) // 2  # the first stages' records are the tallest
    s.take("document-links", "table.stages",
           until=f"table.stages tr[data-stage='{stages[half - 1]}']")
    s.take("document-links-later", f"table.stages tr[data-stage='{stages[half]}']",
           until=f"table.stages tr[data-stage='{stages[-1]}']")
    s.go(f"/cases/{case}/documents/analytic_note")
    s.take("risk-map", "[data-testid=document-risks] table", until="[data-testid=risk-map]")


# the procedures' papers pictured (docs/officer-guide.md, "The procedures' papers"): the
# demo's foreign account's notice, with its closing deadline
PAPERS_PICTURED = (("foreign_account", "notify", "document-foreign-account-notice"),)
# the pages pictured besides each document's first: the analytic note's risk map
MORE_PAGES = {"document-analytic-note": {"map": "Маловероятно"}}  # the map's last row


def _document_pages(workdir: Path, out: Path, case: int,
                    offers: list[dict[str, str]]) -> list[str]:
    """The first page of each document, drafted in Russian as the officer drafts it, and the
    schedule of the analysis's subject for the analysis's year, printed by LibreOffice (and
    the pages of `MORE_PAGES`, each the first page holding its words); returns the names of
    the pictures over the limit."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        sys.exit("the documents' pages need LibreOffice (soffice)")
    drafts = workdir / "documents"
    drafts.mkdir()
    names = []
    for offer in offers:
        name = "document-" + offer["document"].replace("_", "-")
        _merzim(workdir, "document", "draft", str(case), offer["stage"], "--lang", "ru",
                "--out", str(drafts / f"{name}.docx"))
        names.append(name)
    status = json.loads(_merzim(workdir, "status", str(case), "--json"))
    _merzim(workdir, "document", "schedule", status["subject"], "--year",
            status["planned_start"][:4], "--lang", "ru", "--out",
            str(drafts / "document-schedule.docx"))
    names.append("document-schedule")
    for process, stage, name in PAPERS_PICTURED:  # a procedure's paper, from the demo's case
        cases = json.loads(_merzim(workdir, "case", "list", "--process", process, "--json"))
        if cases:
            _merzim(workdir, "document", "draft", str(cases[0]["id"]), stage, "--lang", "ru",
                    "--out", str(drafts / f"{name}.docx"))
            names.append(name)
    pdftoppm = shutil.which("pdftoppm")
    # a profile of its own: not the user's LibreOffice, nor one another run has open
    done = subprocess.run([soffice, f"-env:UserInstallation={(drafts / 'profile').as_uri()}",
                           "--headless", "--convert-to", "pdf" if pdftoppm else "png",
                           "--outdir", str(drafts), *(str(drafts / f"{n}.docx") for n in names)],
                          capture_output=True, text=True, check=False, timeout=600)
    too_big = []
    for name in names:
        picture = out / f"{name}.png"
        if pdftoppm and (drafts / f"{name}.pdf").exists():
            subprocess.run([pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                            str(drafts / f"{name}.pdf"), str(picture.with_suffix(""))],
                           check=True, timeout=120)
        elif not pdftoppm and (drafts / f"{name}.png").exists():
            shutil.move(drafts / f"{name}.png", picture)
        else:
            sys.exit(f"LibreOffice printed no page of {name}.docx"
                     f"{'' if pdftoppm else ' (without pdftoppm: apt-get install poppler-utils)'}"
                     f":\n{done.stdout}\n{done.stderr}")
        if not _weigh(picture):
            too_big.append(name)
        for suffix, words in MORE_PAGES.get(name, {}).items():
            if not pdftoppm:
                sys.exit(f"the pages of {name} after its first need pdftoppm "
                         "(apt-get install poppler-utils)")
            page = _page_with(drafts / f"{name}.pdf", words)
            picture = out / f"{name}-{suffix}.png"
            subprocess.run([pdftoppm, "-png", "-r", "60", "-f", str(page), "-l", str(page),
                            "-singlefile", str(drafts / f"{name}.pdf"),
                            str(picture.with_suffix(""))], check=True, timeout=120)
            if not _weigh(picture):
                too_big.append(f"{name}-{suffix}")
    return too_big


def _page_with(pdf: Path, words: str) -> int:
    """The number of the first page of `pdf` whose text holds `words` (poppler's pdftotext)."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        sys.exit("finding a page needs pdftotext (apt-get install poppler-utils)")
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=120).stdout
    for number, page in enumerate(text.split("\f"), start=1):
        if words in page:
            return number
    sys.exit(f"no page of {pdf.name} holds «{words}»")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--only", choices=("all", "registers", "moving-in", "team", "documents"),
                        default="all",
                        help="registers: only the pictures of the guide's Registers chapter; "
                             "moving-in: only those of the operator guide's \"Adopting merzim "
                             "mid-year\"; team: only those of saved views, hand-over and "
                             "comments; documents: only those of \"Drafting the documents\"")
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
        passwords = {login: _password(workdir, login, shown)
                     for login in ("asel", "nurlan", "erlan", "aigerim")}
        documents = []  # the officer of the analysis the documents are drafted from
        # the documents are a feature: an installation without it has no such pictures
        if args.only == "documents" or (args.only == "all" and DOCUMENTS_DEMO.exists()):
            analysis = _documents_analysis(workdir, init)
            offers = _document_offers(workdir, analysis)
            documents = [("aigerim", lambda s: _document_links(
                s, analysis, [o["stage"] for o in offers]))]
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
            too_big: list[str] = []
            team = [("asel", _team_officer), ("nurlan", _team_manager)]
            for viewport, parts in (
                    ({"width": WIDTH, "height": HEIGHT},
                     ([("asel", _officer), ("nurlan", _manager)] if args.only == "all" else [])
                     + (team if args.only in ("all", "team") else []) + documents),
                    (WIDE, ([("asel", _registers), ("nurlan", _manager_registers)]
                            if args.only in ("all", "registers") else [])
                     + ([("erlan", _moving_in)] if args.only in ("all", "moving-in") else [])),
                    (PHONE, [("asel", _registers_phone)]
                     if args.only in ("all", "registers") else [])):
                if not parts:
                    continue
                context = browser.new_context(viewport=viewport, device_scale_factor=1,
                                              locale="en-GB")
                shots = Shots(context.new_page(), base, args.out)
                for login, part in parts:
                    shots.sign_in(login, passwords[login])
                    part(shots)
                too_big += shots.too_big
                context.close()
            browser.close()
        if documents:
            too_big += _document_pages(workdir, args.out, analysis, offers)
        if too_big:
            print(f"over {LIMIT // 1000} KB: {', '.join(too_big)}", file=sys.stderr)
            return 1
        return 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=15)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
