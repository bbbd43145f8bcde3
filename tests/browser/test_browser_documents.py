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

import pytest

from tests.support import browser_helpers as tb
from tests.support.features import needs

pytestmark = [pytest.mark.browser, needs("documents")]

OFFICER = "aigerim"  # the State Revenue Department's officer: its analysis published, monitored
ORG = "MF-KGD-ALM"


server = tb.demo_served("browser-documents", OFFICER)


def test_the_officer_drafts_the_documents_from_the_case_page(server, tmp_path) -> None:
    with tb.signed_in_on_case(server, OFFICER, ORG, "documents-failure") as (pg, case_url):
        order = tb.drafted(pg, "order", "kk", tmp_path, shot="documents-page")
        assert order.name.startswith("Ішкі_талдау_жүргізу_туралы_бұйрық_MF-KGD-ALM_")
        text = tb.docx_text(order)
        # the signer recorded as "Head of apparatus": that role in Kazakh
        assert "БҰЙРЫҚ" in text and "Aigerim" in text and "Аппарат басшысы" in text

        pg.goto(case_url)
        plan = tb.drafted(pg, "action_plan", "ru", tmp_path)
        assert plan.name.startswith("План_мероприятий_MF-KGD-ALM_")
        assert "Приказ об автоматическом выборе деклараций" in tb.docx_text(plan)
