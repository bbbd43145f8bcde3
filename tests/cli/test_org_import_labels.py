"""`merzim org import FILE` in the officer's language: headers in any of the three languages'
labels or the keys, a kind by its name in any language, a parent by its code or its name (an
organisation stored or added by an earlier row), CSV or XLSX; a file with mistakes refused
whole with every refused cell named (row, column label, value, rule) in the reader's language
and nothing stored. On the demo as `merzim init --demo` stores it, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.support.cli_demo_helpers import demo_cli
from tests.support.cli_runner import Merzim


@pytest.fixture
def merzim(backend: str, tmp_path: Path) -> Iterator[Merzim]:
    with demo_cli(backend, tmp_path) as cli:
        yield cli


def _tree(merzim: Merzim, under: str) -> dict[str, tuple[str | None, str]]:
    result = merzim("org", "list", "--under", under, "--json")
    assert result.returncode == 0, result.stderr
    return {o["code"]: (o["parent"], o["kind"]) for o in json.loads(result.stdout)}


def test_russian_headers_kinds_and_parents_by_name_are_read(merzim, tmp_path):
    table = tmp_path / "организации.csv"
    table.write_text(
        "Код,Наименование,Вид,Вышестоящая организация,Наименование на казахском,"
        "Штатная численность\n"
        "AK-ALM-ENB,Акимат Енбекшиказахского района,акимат района,"
        "Акимат Алматинской области,Еңбекшіқазақ ауданының әкімдігі,90\n"
        # the parent by the name an earlier row of the file gave it
        "AK-ALM-ENB-EDU,Отдел образования района,управление,"
        "акимат енбекшиказахского района,,12\n", encoding="utf-8")
    result = merzim("org", "import", str(table), "--json", lang="ru")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"added": ["AK-ALM-ENB", "AK-ALM-ENB-EDU"]}
    assert _tree(merzim, "AK-ALM-ENB") == {"AK-ALM-ENB": ("AK-ALM", "district_akimat"),
                                           "AK-ALM-ENB-EDU": ("AK-ALM-ENB", "department")}


def test_kazakh_labels_in_an_xlsx_and_a_parent_by_its_code(merzim, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Коды", "Атауы", "Түрі", "Жоғары тұрған ұйым"])
    ws.append(["MF-KGD-ZHM", "Жамбыл облысы бойынша МКД", "аумақтық департамент", "MF-KGD"])
    ws.append(["MF-KGD-ZHM-1", "Тараз қаласы бойынша басқарма", "department",
               "Мемлекеттік кірістер комитеті"])  # the stored parent by its Kazakh name
    path = tmp_path / "ұйымдар.xlsx"
    wb.save(path)
    result = merzim("org", "import", str(path), "--json", lang="kk")
    assert result.returncode == 0, result.stderr
    tree = _tree(merzim, "MF-KGD")
    assert tree["MF-KGD-ZHM"] == ("MF-KGD", "territorial_department")
    assert tree["MF-KGD-ZHM-1"] == ("MF-KGD", "department")


BAD = ("Код,Наименование,Вид,Вышестоящая организация,Штатная численность\n"
       "AK-ALM,Снова,акимат района,AK-ALM,10\n"          # row 2: the code exists
       "AK-ALM-X,Школа,школа,Нет такой организации,-5\n"  # row 3: kind, parent, headcount
       "AK-ALM-Y,,department,,\n")                        # row 4: no name

CELLS = {
    "en": ["Row 2, column “Code”, value “AK-ALM”", "Row 3, column “Kind”, value “школа”",
           "Row 3, column “Parent organisation”, value “Нет такой организации”",
           "Row 3, column “Headcount”, value “-5”", "Row 4, column “Name”, value “”"],
    "ru": ["Строка 2, столбец «Код», значение «AK-ALM»", "Строка 3, столбец «Вид», значение «школа»",
           "Строка 3, столбец «Вышестоящая организация», значение «Нет такой организации»",
           "Строка 3, столбец «Штатная численность», значение «-5»",
           "Строка 4, столбец «Наименование», значение «»"],
    "kk": ["2-жол, «Коды» бағаны, «AK-ALM» мәні", "3-жол, «Түрі» бағаны, «школа» мәні",
           "3-жол, «Жоғары тұрған ұйым» бағаны, «Нет такой организации» мәні",
           "3-жол, «Штат саны» бағаны, «-5» мәні", "4-жол, «Атауы» бағаны, «» мәні"],
}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_mistake_is_named_in_the_readers_language_and_nothing_stored(merzim, tmp_path,
                                                                           lang):
    table = tmp_path / "bad.csv"
    table.write_text(BAD, encoding="utf-8")
    before = merzim("org", "list", "--json").stdout
    result = merzim("org", "import", str(table), lang=lang)
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    head, *cells = result.stderr.splitlines()
    assert "5" in head  # five refused cells, all of them at once
    assert len(cells) == 5
    for line, wanted in zip(cells, CELLS[lang], strict=True):
        assert line.startswith(wanted), (line, wanted)
    assert merzim("org", "list", "--json").stdout == before
