"""The documents of an analysis in a real browser: Debian's headless Chromium on the demo served
by `merzim serve` (the helpers of tests/support/browser_helpers.py).

The State Revenue Department's officer aigerim opens her published analysis, follows the
order's "Draft the document" link beside its stage, and downloads the order in Kazakh and the
action plan in Russian: each opens with python-docx and carries her name, the signer, and the
plan's measures.

Screenshots go to test-artifacts/: documents-failure.png when a step fails; documents-page.png
with MERZIM_TEST_SCREENSHOTS=1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import docx
import pytest

from tests.support import browser_helpers as tb
from tests.support.features import needs

pytestmark = [pytest.mark.browser, needs("documents")]

OFFICER = "aigerim"  # the State Revenue Department's officer: its analysis published, monitored
ORG = "MF-KGD-ALM"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tb.Server]:
    tb.require_browser()
    workdir, shown = tb.demo_copy(tmp_path_factory, "browser-documents")
    with tb.running_server(workdir, {OFFICER: tb.demo_password(workdir, OFFICER, shown)}) as srv:
        yield srv


def _text(path) -> str:
    d = docx.Document(str(path))
    return "\n".join([p.text for p in d.paragraphs]
                     + [c.text for t in d.tables for r in t.rows for c in r.cells])


def test_the_officer_drafts_the_documents_from_the_case_page(server, tmp_path) -> None:
    with tb.signed_in_on_case(server, OFFICER, ORG, "documents-failure") as (pg, case_url):
        pg.locator("tr[data-stage='order'] [data-testid=stage-action]").click()
        pg.wait_for_url(re.compile(r"/documents/order$"))
        tb.screenshot(pg, "documents-page", full_page=False)
        tb.axe_check(pg)
        with pg.expect_download() as got:
            pg.locator("[data-testid=document-docx-kk]").click()
        order = tmp_path / got.value.suggested_filename
        got.value.save_as(order)
        assert order.name.startswith("Ішкі_талдау_жүргізу_туралы_бұйрық_MF-KGD-ALM_")
        text = _text(order)
        # the signer recorded as "Head of apparatus": that role in Kazakh
        assert "БҰЙРЫҚ" in text and "Aigerim" in text and "Аппарат басшысы" in text

        pg.goto(case_url)
        pg.locator("tr[data-stage='action_plan'] [data-testid=stage-action]").click()
        pg.wait_for_url(re.compile(r"/documents/action_plan$"))
        with pg.expect_download() as got:
            pg.locator("[data-testid=document-docx-ru]").click()
        plan = tmp_path / got.value.suggested_filename
        got.value.save_as(plan)
        assert plan.name.startswith("План_мероприятий_MF-KGD-ALM_")
        assert "Приказ об автоматическом выборе деклараций" in _text(plan)
