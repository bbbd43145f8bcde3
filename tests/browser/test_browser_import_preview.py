"""A register's file in Russian previewed in a real browser (the server, the demo and the
pinned day of tests/support/browser_helpers.py) on a phone (390 px) and a laptop (1366 px):
the page never scrolls sideways (the preview's table scrolls in its own box), the refused
cells are marked, and axe-core finds nothing serious.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from tests.support import browser_helpers as tb

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}
HEADER = ["Лицо", "Должность", "Вид ограничения (подзадача)", "Дата выявления факта",
          "Факт выявлен самостоятельно", "Причина предоставления благ",
          "Сведения о лице, предоставившем блага", "Меры, принятые руководством "
          "государственного органа, организации"]


def _file(tmp_path, mistaken: bool):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(12):
        ws.append([f"Сотрудник Номер {i} Длиннофамильный", "Главный специалист отдела "
                   "государственных закупок", "Принятие материального вознаграждения, "
                   "подарков или услуг", "03.11.2026", "может быть" if mistaken and i == 3
                   else "да", "Подарок стоимостью 4 500 000 тенге к юбилею организации",
                   "Представитель поставщика ТОО «Очень длинное наименование»",
                   "Проведена служебная проверка, материалы направлены в дисциплинарную "
                   "комиссию"])
    path = tmp_path / ("ошибки.xlsx" if mistaken else "нарушения.xlsx")
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.parametrize("viewport", [tb.PHONE, LAPTOP], ids=["phone", "laptop"])
def test_the_import_preview_never_scrolls_the_page_sideways(page, server: tb.Server, tmp_path,
                                                            viewport) -> None:
    name = f"browser-import-preview-{viewport['width']}"
    with tb.failing_shot(page, server, name):
        page.set_viewport_size(viewport)
        tb.log_in(page, server, tb.OFFICER)
        for mistaken in (False, True):
            page.goto(f"{server.base}/registers/restriction_breach/import")
            page.locator("input[type=file]").set_input_files(str(_file(tmp_path, mistaken)))
            with page.expect_navigation():
                page.locator("[data-testid=import-preview]").click()
            assert page.locator("[data-testid=import-rows]").count() == 1, page.content()[-2000:]
            assert page.evaluate(tb.OVERFLOW) <= 0, page.evaluate(tb.OVERFLOW)
            marked = page.locator("td.refused-cell")
            assert marked.count() == (1 if mistaken else 0)
            if mistaken:
                assert "может быть" in marked.first.inner_text()
            tb.screenshot(page, f"{name}-{'refused' if mistaken else 'ready'}")
            tb.axe_check(page)
