"""An announcement draft in a real browser: Debian's headless Chromium on
the demo served by `merzim serve` (the helpers of tests/support/browser_helpers.py).

The Ile district akimat's officer saule opens her planned analysis, follows the start
announcement's "Draft" link, reads the draft in Russian, copies it (the clipboard holds the
text box as edited), downloads it as DOCX, and records the publication with her edited text and
the link: the case page then shows the published text with the stage.

Screenshots go to test-artifacts/: draft-failure.png when a step fails; draft-page.png and
draft-published.png with MERZIM_TEST_SCREENSHOTS=1.
"""

from __future__ import annotations

import re

import docx
import pytest

from tests.support import browser_helpers as tb
from tests.support.features import needs

pytestmark = [pytest.mark.browser, needs("drafts")]

OFFICER = "saule"  # the Ile district akimat's officer: her analysis is planned, nothing recorded
ORG = "AK-ALM-ILE"


server = tb.demo_served("browser-drafts", OFFICER)


def test_the_officer_copies_downloads_and_publishes_a_draft(server, tmp_path) -> None:
    with tb.signed_in_on_case(server, OFFICER, ORG, "draft-failure",
                              permissions=("clipboard-read", "clipboard-write")) as (pg, case_url):
        pg.locator("tr[data-stage='start_announcement'] [data-testid=draft-link]").click()
        pg.wait_for_url(re.compile(r"/drafts/start_announcement"))
        pg.locator("[data-testid=draft-lang-ru]").click()
        pg.wait_for_url(re.compile(r"draft_lang=ru"))
        box = pg.locator("[data-testid=draft-text]")
        assert box.input_value().startswith("ОБЪЯВЛЕНИЕ\n")
        assert "Отдел образования Илийского района" in box.input_value()
        tb.screenshot(pg, "draft-page", full_page=False)
        tb.axe_check(pg)

        box.fill(box.input_value().replace("ОБЪЯВЛЕНИЕ", "ОБЪЯВЛЕНИЕ ДЛЯ САЙТА"))
        copy = pg.locator("[data-testid=draft-copy]")
        assert copy.is_visible()  # shown by the script; hidden without one
        copy.click()
        pg.wait_for_function("() => document.querySelector('[data-copy-status]')"
                             ".textContent.length > 0")
        assert pg.locator("[data-copy-status]").inner_text() == "Copied."
        copied = pg.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("ОБЪЯВЛЕНИЕ ДЛЯ САЙТА\n")

        path = tb.downloaded(pg, "[data-testid=draft-docx]", tmp_path)
        assert path.name.endswith("-start_announcement-ru.docx")
        texts = [para.text for para in docx.Document(str(path)).paragraphs]
        assert texts[1] == "ОБЪЯВЛЕНИЕ ДЛЯ САЙТА"  # the edited text, after the title

        record = pg.locator("[data-testid=draft-record]")
        record.locator("input[name=url]").fill("https://ile.example.kz/news/start")
        record.locator("[data-testid=draft-record-button]").click()
        pg.wait_for_url(case_url)
        assert "Start announced" in pg.locator("[data-testid=recorded]").inner_text()
        row = pg.locator("tr[data-stage='start_announcement']")
        row.locator("[data-testid=published] summary").click()
        assert row.locator("[data-testid=published-text]").inner_text().startswith(
            "ОБЪЯВЛЕНИЕ ДЛЯ САЙТА")
        tb.screenshot(pg, "draft-published", full_page=False)
