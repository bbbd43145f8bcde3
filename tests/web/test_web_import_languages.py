"""A register's file in the officer's own words, imported from the web: headers and choices in
Russian, Kazakh or English (or the keys), dates as dd.mm.yyyy, numbers with spaces, an
organisation by its name and an officer by hers; a file with mistakes refused with every cell
named (row, column label, value, rule) in the reader's language and nothing stored; the
template in the reader's language — on SQLite and PostgreSQL.

The world: the demo for TODAY (tests/support/web_helpers.py); Asel is the education
department's officer (AK-ALM-EDU, «Управление образования»).
"""

from __future__ import annotations

import html
import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session

from tests.support.import_helpers import (
    but_kept,
    site_fixture,  # noqa: F401 - the `site` fixture
)
from tests.support.web_helpers import (
    TODAY,
    Web,
)
from tests.support.web_import_helpers import PROCESS, breaches, confirm, upload
from workflow.definitions import load_registry
from workflow.imports import cells as import_cells

DETECTED = TODAY.replace(day=3).strftime("%d.%m.%Y")
HANDED = TODAY.replace(day=5).strftime("%d.%m.%Y")
BEFORE = TODAY.replace(day=1).strftime("%d.%m.%Y")

RU_HEADER = ["Организация", "Лицо", "Должность", "Вид ограничения (подзадача)",
             "Дата выявления факта", "Факт выявлен самостоятельно",
             "Причина предоставления благ", "Ответственный сотрудник (логин)",
             "Уже произошедшее событие (ключ)", "Дата события",
             "Акт приёма-передачи уполномоченному органу"]
GIFT = "Принятие материального вознаграждения, подарков или услуг"
HANDED_OVER = "Подарок передан уполномоченному органу по акту приёма-передачи"



def xlsx(header: list[str], *rows: list[str]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def good_rows() -> list[list[str]]:
    return [
        ["Управление образования", "А. Иванов", "Главный специалист", GIFT, DETECTED, "да",
         "Подарок стоимостью 4 500 000 тенге", "Asel Nurpeisova", HANDED_OVER, HANDED,
         "Акт № 7"],
        ["AK-ALM-EDU", "Б. Петров", "", "Счета (вклады), наличные деньги и ценности в "
         "иностранных банках", TODAY.replace(day=4).isoformat(), "Нет", "", "asel", "", "", ""],
        ["", "В. Сидоров", "", "foreign_account", DETECTED, "иә", "", "", "", "", ""],
    ]


def test_a_russian_file_of_the_breach_register_is_imported(site: Web):
    asel = site.browser("asel")
    asel.cookies.set("merzim_lang", "ru")
    before, known = site.dump(), {c.id for c in breaches(site)}
    r = upload(asel, xlsx(RU_HEADER, *good_rows()), name="нарушения.xlsx")
    assert r.status_code == 200, r.text[-3000:]
    page = html.unescape(r.text)
    # the preview in labels and names, not keys and codes
    assert "Вид ограничения (подзадача)" in page and GIFT in page
    assert "Управление образования" in page and DETECTED in page
    assert "reward_or_gift" not in page and "AK-ALM-EDU" not in page
    assert 'class="table-scroll"' in r.text
    assert but_kept(site.dump()) == but_kept(before)  # the file kept for the confirm, no more
    done = confirm(asel, r.text)
    assert done.status_code == 200, done.text[-3000:]
    new = [c for c in breaches(site) if c.id not in known]
    assert [(c.person_name, c.fields["kind"], c.fields.get("detected_independently"))
            for c in new] == [("А. Иванов", "reward_or_gift", "yes"),
                              ("Б. Петров", "foreign_account", "no"),
                              ("В. Сидоров", "foreign_account", "yes")]
    assert new[0].dates["detected"] == TODAY.replace(day=3).isoformat()
    assert new[0].state == "breach_identified"
    # the link to what was opened: the register's list of these entries only
    link = re.search(r'href="(/registers/restriction_breach\?cases=[^"]+)"', done.text)
    assert link, done.text[-2000:]
    listed = asel.get(html.unescape(link.group(1)))
    assert listed.status_code == 200
    for c in new:
        assert f"/cases/{c.id}\"" in listed.text
    assert all(f"/cases/{i}\"" not in listed.text for i in known)
    # a filter that is no list of entry numbers is refused in words, and changes nothing
    before = site.dump()
    wrong = asel.get(f"/registers/{PROCESS}?cases=12-x")
    assert wrong.status_code == 422, wrong.status_code
    assert "«12-x» — не список номеров записей" in html.unescape(wrong.text)
    assert site.dump() == before


def mistaken_rows() -> list[list[str]]:
    rows = good_rows()
    rows[0][4] = "31.02.2026"  # no such day
    rows[1][3] = "Взятка"  # no such kind
    rows[1][5] = "может быть"
    rows[2][7] = "Нет Такого"  # no such officer
    return rows


EXPECTED = {
    "ru": ['Строка 2: столбец «Дата выявления факта», значение «31.02.2026»: это не дата',
           'Строка 3: столбец «Вид ограничения (подзадача)», значение «Взятка»: такого значения '
           'нет в списке этого столбца',
           'Строка 3: столбец «Факт выявлен самостоятельно», значение «может быть»',
           'Строка 4: столбец «Ответственный сотрудник», значение «Нет Такого»: нет '
           'пользователя с таким именем или логином'],
    "kk": ['2-жол', '«Фактінің анықталған күні» бағаны, мәні «31.02.2026»: күн емес',
           '«Шектеудің түрі (қосалқы тапсырма)» бағаны, мәні «Взятка»',
           '«Жауапты қызметкер» бағаны, мәні «Нет Такого»'],
    "en": ['Row 2: column “Fact detected”, value “31.02.2026”: not a date',
           'Row 3: column “Kind of restriction (sub-task)”, value “Взятка”: not one of this '
           "column's choices",
           'Row 4: column “Responsible officer”, value “Нет Такого”: no user has this '
           'name or login'],
}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_file_with_mistakes_names_each_cell_and_stores_nothing(site: Web, lang: str):
    asel = site.browser("asel")
    asel.cookies.set("merzim_lang", lang)
    before = site.dump()
    r = upload(asel, xlsx(RU_HEADER, *mistaken_rows()), name="нарушения.xlsx")
    assert r.status_code == 409, r.text[-3000:]
    page = html.unescape(r.text)
    for text in EXPECTED[lang]:
        assert text in page, (text, page[-4000:])
    assert 'name="token"' not in r.text  # nothing to confirm
    # the refused cells marked in the preview
    assert len(re.findall(r'class="refused-cell"', r.text)) == 4
    assert site.dump() == before


def test_a_date_before_the_fact_names_both_columns(site: Web):
    asel = site.browser("asel")
    asel.cookies.set("merzim_lang", "en")
    rows = good_rows()
    rows[0][9] = BEFORE  # handed over before the fact was detected
    before = site.dump()
    r = upload(asel, xlsx(RU_HEADER, *rows))
    assert r.status_code == 409, r.text[-3000:]
    line = re.search(r'<li data-row="2"[^>]*>([^<]*)</li>', html.unescape(r.text))
    assert line, r.text[-3000:]
    assert f"value “{BEFORE}”: the day is before “Fact detected” ({DETECTED}) of the same " \
        "row" in line.group(1), line.group(1)
    assert line.group(1).startswith("Row 2: column “"), line.group(1)
    assert site.dump() == before


def test_the_template_speaks_the_readers_language_and_reads_back(site: Web):
    asel = site.browser("asel")
    asel.cookies.set("merzim_lang", "ru")
    r = asel.get(f"/registers/{PROCESS}/template.xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert "Вид ограничения (подзадача)" in header and "Организация" in header
    # only the columns that apply to the register
    for absent in ("object", "period", "approver_role", "Объект"):
        assert absent not in header
    assert all(re.fullmatch(r"[a-z_]+", h) is None for h in header), header
    lists = wb["lists"]
    values = {c.value for row in lists.iter_rows() for c in row if c.value}
    assert GIFT in values and "Да" in values and "reward_or_gift" not in values
    # filled in with its own lists' values, it is imported
    kind, found = header.index("Вид ограничения (подзадача)") + 1, header.index("Лицо") + 1
    ws.cell(row=2, column=kind, value=GIFT)
    ws.cell(row=2, column=found, value="Г. Ахметов")
    ws.cell(row=2, column=header.index("Дата выявления факта") + 1,
            value=TODAY.replace(day=3))
    buf = io.BytesIO()
    wb.save(buf)
    known = {c.id for c in breaches(site)}
    p = upload(asel, buf.getvalue(), name="шаблон.xlsx")
    assert p.status_code == 200, p.text[-3000:]
    assert confirm(asel, p.text).status_code == 200
    new = [c for c in breaches(site) if c.id not in known]
    assert [(c.person_name, c.fields["kind"]) for c in new] == [("Г. Ахметов", "reward_or_gift")]


def test_numbers_with_spaces_and_names_read_as_the_import_reads_them(site: Web):
    """The cells' reading itself: thousands separators (space, no-break, thin), dates."""
    registry = load_registry()
    defn = next(d for d in registry.all()
                if any(f.type == "integer" for f in d.fields.values()))
    number = next(k for k, f in defn.fields.items() if f.type == "integer")
    with Session(site.engine) as s:
        for text in ("4 500 000", "4\u00a0500\u00a0000", "4\u2009500\u2009000",
                     "4\u202f500\u202f000", "4500000"):
            rows, refused = import_cells.read_cells(
                s, defn, [{import_cells.label_in(defn, number, "ru"): text, "_row": 2}], "ru")
            assert refused == [] and rows[0][number] == "4500000", text
        rows, refused = import_cells.read_cells(
            s, defn, [{number: "4 50 000", "_row": 2}], "en")
        assert [r.row for r in refused] == [2]
        assert refused[0].render(lambda k, **kw: k)  # rendered, not raised


def test_the_preview_writes_a_number_and_a_date_as_her_language_does():
    """What the preview shows of a cell read: a whole number grouped and a date as dd.mm.yyyy
    in kk and ru; the stored value stays plain."""
    registry = load_registry()
    defn = next(d for d in registry.all()
                if any(f.type == "integer" for f in d.fields.values()))
    number = next(k for k, f in defn.fields.items() if f.type == "integer")
    assert import_cells.shown(defn, number, "4500000", "ru") == "4\u00a0500\u00a0000"
    assert import_cells.shown(defn, number, "4500000", "kk") == "4\u00a0500\u00a0000"
    assert import_cells.shown(defn, number, "4500000", "en") == "4,500,000"
    assert import_cells.shown(defn, "on", "2026-07-05", "ru") == "05.07.2026"
