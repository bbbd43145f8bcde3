"""Files confirming a record in a real browser: Debian's headless
Chromium on the demo served by `merzim serve` (SQLite; the files beside the database).

The officer asel records her analysis's analytic note with its signed PDF chosen in the form's
file input; the case page lists it (name, type, size, who attached it) and the link downloads
the same bytes. A renamed executable is refused beside the file input, nothing stored. Then,
from the same browser, with a personal token made on her account page, the API: upload a PNG
with `fetch` and a FormData, list the case's files, download the PDF. The manager of another
tree gets "not found" for the file's address. axe-core finds no serious or critical
violation on the case page with its files.

Screenshots go to test-artifacts/: failure-files.png when a step fails; files-listed.png with
MERZIM_TEST_SCREENSHOTS=1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import browser_helpers as tb

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
OUTSIDER = "gulnar"  # a manager of the ministry's tree: asel's case does not exist for her


server = tb.demo_served("browser-files", tb.OFFICER, OUTSIDER)




def test_attach_list_download_in_the_browser_and_through_the_api(page, server) -> None:
    with tb.failing_shot(page, server, "files"):
        _scenario(page, server)


def _note_form(pg):
    form = pg.locator("details#record-analytic_note")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    form.locator("input[name=number]").fill("21-ө")
    form.locator("input[name=signed_by]").fill("Head of department")
    return form


def _scenario(pg, server) -> None:
    store = Path(server.workdir) / "merzim-files"
    tb.log_in(pg, server, tb.OFFICER)
    case_url = tb.case_of_overdue_note(pg, server)
    case_id = int(case_url.rsplit("/", 1)[1])

    # a renamed executable: refused beside the file input, nothing stored
    form = _note_form(pg)
    form.locator("input[name=files]").set_input_files(
        {"name": "signed-note.pdf", "mimeType": "application/pdf", "buffer": EXE})
    form.locator("button[type=submit]").click()
    pg.wait_for_load_state()
    error = pg.locator("#analytic_note-files-error")
    assert "«signed-note.pdf»" in error.inner_text() and "EXE" in error.inner_text()
    assert pg.locator("tr[data-stage='analytic_note']").get_attribute("data-status") == "overdue"
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]

    # the signed PDF: saved with the record, listed, downloaded as it was
    form = _note_form(pg)
    form.locator("input[name=files]").set_input_files(
        {"name": "signed-note.pdf", "mimeType": "application/pdf", "buffer": PDF})
    form.locator("button[type=submit]").click()
    pg.wait_for_url(case_url)
    row = pg.locator("table[data-testid=files] tr[data-file]")
    assert row.count() == 1
    text = row.inner_text()
    assert "signed-note.pdf" in text and "PDF" in text and f"{len(PDF)} B" in text
    assert "Asel Nurpeisova" in text and "Analytic note" in text  # her name, not her login
    tb.axe_check(pg)
    tb.screenshot(pg, "files-listed", full_page=False)
    link = row.locator("a[data-testid=file-link]")
    with pg.expect_download() as caught:
        link.click()
    download = caught.value
    assert download.suggested_filename == "signed-note.pdf"
    assert Path(download.path()).read_bytes() == PDF
    file_url = link.get_attribute("href")
    assert re.fullmatch(rf"/cases/{case_id}/files/\d+", file_url)

    # the API from the same browser: a token made on her account page, then fetch()
    pg.goto(f"{server.base}/account")
    pg.locator("form[action='/account/tokens'] input[name=name]").fill("files test")
    pg.locator("form[action='/account/tokens'] button[type=submit]").click()
    token = pg.locator("[data-testid=new-token] code").inner_text().strip()
    result = pg.evaluate("""async ([caseId, token, png]) => {
        const auth = {Authorization: `Bearer ${token}`};
        const body = new FormData();
        body.append("files", new Blob([new Uint8Array(png)], {type: "image/png"}), "scan.png");
        const up = await fetch(`/api/v1/cases/${caseId}/files`, {method: "POST", headers: auth,
                                                                  body});
        const uploaded = await up.json();
        const list = await (await fetch(`/api/v1/cases/${caseId}/files`, {headers: auth})).json();
        const pdf = list.items.find(i => i.type === "PDF");
        const got = await fetch(pdf.url, {headers: auth});
        const bytes = Array.from(new Uint8Array(await got.arrayBuffer()));
        const png2 = await fetch(uploaded.items[0].url, {headers: auth});
        return {status: up.status, uploaded, names: list.items.map(i => i.name),
                type: got.headers.get("content-type"), bytes,
                png: Array.from(new Uint8Array(await png2.arrayBuffer()))};
    }""", [case_id, token, list(PNG)])
    assert result["status"] == 201, result
    assert result["names"] == ["signed-note.pdf", "scan.png"]
    assert result["type"] == "application/pdf" and bytes(result["bytes"]) == PDF
    assert bytes(result["png"]) == PNG
    pg.goto(case_url)
    assert pg.locator("table[data-testid=files] tr[data-file]").count() == 2

    # another tree's manager: the file does not exist for her
    tb.log_out(pg)
    tb.log_in(pg, server, OUTSIDER)
    response = pg.goto(f"{server.base}{file_url}")
    assert response.status == 404
    assert "signed-note" not in pg.content()
