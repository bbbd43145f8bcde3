"""A procedure's paper in a real browser: Debian's headless Chromium on the demo served by
`merzim serve` (the helpers of tests/support/browser_helpers.py).

The State Revenue Department's officer aigerim opens the demo's yearly declaration reminder of
her department (002:L180), follows "Draft the document" beside its stage, downloads the
written reminder in Russian (it states the declaration deadline as `merzim status --json`
gives it, and its own date is a blank until recorded), then uploads the signed scan from the
paper's page: the reminder's stage is done today, its record carries the file, and the paper
now prints that day.

Screenshots go to test-artifacts/: papers-failure.png when a step fails; papers-page.png with
MERZIM_TEST_SCREENSHOTS=1.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from tests.support import browser_helpers as tb
from tests.support.features import needs

pytestmark = [pytest.mark.browser, needs("documents")]

OFFICER = "aigerim"
ORG = "MF-KGD-ALM"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


server = tb.demo_served("browser-papers", OFFICER)


def _written(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def test_the_officer_drafts_the_reminder_and_records_its_signed_scan(server, tmp_path) -> None:
    with tb.signed_in_on_case(server, OFFICER, ORG, "papers-failure") as (pg, _analysis):
        pg.goto(f"{server.base}/cases?org={ORG}&process=declaration_reminder")
        pg.locator("a[href^='/cases/']").filter(has_text=re.compile(r"^#?\d+$")).first.click()
        pg.wait_for_url(re.compile(r"/cases/\d+$"))
        case = pg.url.rsplit("/", 1)[1]
        status = json.loads(tb.merzim_process(server.workdir, "status", case, "--json").stdout)
        assert status["process"] == "declaration_reminder" and status["subject"] == ORG
        deadline = _written(status["dates"]["declaration_deadline"]["date"])
        paper = tb.drafted(pg, "reminder", "ru", tmp_path, shot="papers-page")
        assert paper.name.startswith("Письменное_напоминание_работникам_")
        text = tb.docx_text(paper)
        assert "ПИСЬМЕННОЕ УВЕДОМЛЕНИЕ РАБОТНИКОВ" in text
        assert f"срок представления деклараций истекает {deadline}" in text
        assert "№ ____" in text  # its own date and number: blanks until recorded
        assert _written(tb.TODAY) not in text  # never the day of drafting

        form = pg.locator("[data-testid=document-form]")
        scan = tmp_path / "signed.pdf"
        scan.write_bytes(PDF)
        form.locator("input[name=files]").set_input_files(str(scan))
        form.locator("[data-testid=document-upload]").click()
        pg.wait_for_url(re.compile(rf"/cases/{case}$"))

        after = json.loads(tb.merzim_process(server.workdir, "status", case, "--json").stdout)
        stage = next(st for st in after["stages"] if st["key"] == "reminder")
        assert stage["done_on"] == tb.TODAY, stage
        files = json.loads(tb.merzim_process(server.workdir, "files", case, "--json").stdout)
        assert "signed.pdf" in json.dumps(files), files
        with pg.expect_download() as got:
            pg.goto(f"{server.base}/cases/{case}/documents/reminder")
            pg.locator("[data-testid=document-docx-ru]").click()
        again = tmp_path / ("again-" + got.value.suggested_filename)
        got.value.save_as(again)
        assert _written(tb.TODAY) in tb.docx_text(again)  # its own date: the day recorded
