"""Her own column names mapped in a real browser with scripts off (the server and the demo of
tests/support/browser_helpers.py): the preview asks which column each unknown header is,
the plain form is sent, the file is previewed with her mapping and confirmed; the next file
with the same headers asks nothing. Who answers for an entry and whom it is about are not
among the columns offered (the register's own "Лицо" column names the person).
"""

from __future__ import annotations

import uuid

import pytest

from tests.support import browser_helpers as tb

pytestmark = pytest.mark.browser


def _file(tmp_path, person: str):
    path = tmp_path / f"{uuid.uuid4().hex[:8]}.csv"
    path.write_text("№ п/п,Лицо,Вид,Принятые меры,Дата выявления факта\n"
                    f"1,{person},foreign_account,Выговор,03.11.2026\n", encoding="utf-8")
    return path


def _preview(pg, server, path) -> None:
    pg.goto(f"{server.base}/registers/restriction_breach/import")
    pg.locator("input[type=file]").set_input_files(str(path))
    tb.submit(pg, "[data-testid=import-preview]")
    pg.wait_for_load_state()


def test_her_columns_are_mapped_once_without_javascript(chromium, server, tmp_path) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900},
                                   java_script_enabled=False, locale="en-GB")
    context.add_cookies([{"name": "merzim_lang", "value": "en", "url": server.base}])
    pg = context.new_page()
    pg.set_default_timeout(tb.TIMEOUT_MS)
    person = f"Mapped Person {uuid.uuid4().hex[:6]}"
    try:
        tb.log_in(pg, server, tb.OFFICER)
        _preview(pg, server, _file(tmp_path, person))
        form = pg.locator("[data-testid=import-map-form]")
        assert form.count() == 1, pg.content()[-2000:]
        for party in ("subject", "person", "responsible"):
            assert form.locator(f"option[value={party}]").count() == 0, party
        pg.select_option("select[name=field_0]", "kind")
        pg.select_option("select[name=field_1]", "measures")
        tb.submit(pg, "[data-testid=import-map-submit]")
        assert pg.locator("[data-testid=import-ready]").count() == 1, pg.content()[-2000:]
        assert "№ п/п" in pg.locator("[data-testid=import-ignored]").inner_text()
        pg.locator("[data-testid=import-confirm]").click()
        pg.wait_for_load_state()
        assert "1 entry opened" in pg.content()
        # another person's fact (the same name again would be refused as a probable repeat)
        _preview(pg, server, _file(tmp_path, f"Second Witness {uuid.uuid4().hex[:6]}"))
        assert pg.locator("[data-testid=import-map-form]").count() == 0
        assert pg.locator("[data-testid=import-ready]").count() == 1, pg.content()[-2000:]
    except Exception:
        pg.screenshot(path=str(tb.ARTIFACTS / "import-mapping-failure.png"), full_page=True)
        raise
    finally:
        context.close()
