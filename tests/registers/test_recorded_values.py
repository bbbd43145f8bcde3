"""Every recorded value in sight: the case page and its history show each
field and piece of evidence of a record, labelled in the reader's language (a whole number with
its thousands grouped); the register's XLSX has a column per field and per key evidence, dates
as dates, numbers as numbers, an autofilter on its header row; a manager above does not see a
personal field nor the evidence of a case whose person is hidden from him.

The world is tests/support/registers_world.py's (both backends), with a gift handed over and a year of
training recorded here: aida is AK's officer, bolat a manager of the agency above it.
"""

from __future__ import annotations

import html
import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook

from tests.support.features import needs
from tests.support.registers_world import (  # noqa: F401  (the `web` and `world` fixtures)
    D2026,
    _ok,
    _open,
    _period_case,
    _record,
    name,
    web_fixture,
    world_fixture,
)

pytestmark = needs("planning")  # the cases it reads are the analyses the planning plans

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def more(world) -> dict[str, int]:
    """A gift handed over with its act, and AK's training of 2026 with its figures."""
    m = world["m"]
    gift = _open(m, "gift", "AK", D2026, "Gift Recipient", "Clerk", None,
                 {"received": "2026-06-01"})
    _record(m, gift, "handed_over", "2026-06-03", D2026, receipt_act="ACT-77/2026")
    training = _period_case(m, "civil_servant_training", "AK", "2026")
    _record(m, training, "staff_trained", "2026-11-02", D2026, staff_number="1250",
            trained_number="85")
    return {"gift": gift, "training": training}


def page(web, login: str, case: int, lang: str = "en") -> str:
    r = web.browser(login).get(f"/cases/{case}?lang={lang}")
    assert r.status_code == 200, r.text[:500]
    return html.unescape(r.text)


def history_of(text: str) -> str:
    found = re.search(r'<section class="history".*?</section>', text, re.S)
    assert found, "no history on the page"
    return found.group(0)


def stages_of(text: str) -> str:
    found = re.search(r'<table class="stages">.*?</table>', text, re.S)
    assert found, "no stages on the page"
    return found.group(0)


def test_the_case_page_and_its_history_show_every_recorded_value(web, world, more):
    notice = world["ids"]["notice"]
    text = page(web, "aida", notice)
    letter = f"{name('offence_notice', 'letter', 'en')}: 12-34/567"
    assert letter in stages_of(text) and letter in history_of(text)
    # the opening fields, labelled: a choice by its name, a whole number grouped
    assert re.search(r'data-field="damage">250' + NBSP + "000<", text), text
    assert 'data-field="category">Criminal<' in text
    gift = page(web, "aida", more["gift"])
    act = f"{name('gift', 'receipt_act', 'en')}: ACT-77/2026"
    assert act in stages_of(gift) and act in history_of(gift)
    training = page(web, "aida", more["training"])
    for key, figure in (("staff_number", f"1{NBSP}250"), ("trained_number", "85")):
        shown = f"{name('civil_servant_training', key, 'en')}: {figure}"
        assert shown in stages_of(training) and shown in history_of(training), key


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_labels_in_the_readers_language(web, world, more, lang):
    text = page(web, "aida", world["ids"]["notice"], lang)
    assert f"{name('offence_notice', 'letter', lang)}: 12-34/567" in history_of(text)
    assert name("offence_notice", "damage", lang) in text
    training = page(web, "aida", more["training"], lang)
    assert f"{name('civil_servant_training', 'trained_number', lang)}: 85" in stages_of(training)
    page(web, "aida", more["training"], "en")  # the browser back in English


def test_a_manager_above_sees_neither_personal_fields_nor_a_hidden_persons_evidence(web, world):
    notice = world["ids"]["notice"]
    text = page(web, "bolat", notice)
    assert "12-34/567" not in text
    assert name("offence_notice", "letter", "en") not in text
    assert 'data-field="category">Criminal<' in text  # what is not personal stays
    liability = web.browser("aida").get("/cases?process=manager_liability&lang=en").text
    [case] = re.findall(r'data-case="(\d+)"', liability)
    assert "261234" in page(web, "aida", int(case))
    assert "261234" not in page(web, "bolat", int(case))


def test_the_registers_xlsx_has_typed_columns_and_an_autofilter(web, world, more):
    r = web.browser("aida").get("/cases.xlsx?process=offence_notice&lang=en")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    line = next(row for row in rows[1:] if row[0] == world["ids"]["notice"])
    col = {h: i for i, h in enumerate(header)}
    assert line[col[name("offence_notice", "letter", "en")]] == "12-34/567"
    assert line[col[name("offence_notice", "damage", "en")]] == 250000  # a number
    detected = line[col[name("offence_notice", "detected", "en")]]
    assert isinstance(detected, datetime) and detected.date().isoformat() == "2026-03-10"
    assert line[col[name("offence_notice", "category", "en")]] == "Criminal"
    assert sheet.auto_filter.ref == sheet.dimensions
    assert sheet.auto_filter.ref.startswith("A1:")
    # the training's figures, numbers in its register's export
    r = web.browser("aida").get("/cases.xlsx?process=civil_servant_training&lang=en")
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    col = {h: i for i, h in enumerate(rows[0])}
    line = next(row for row in rows[1:] if row[0] == more["training"])
    assert line[col[name("civil_servant_training", "staff_number", "en")]] == 1250
    assert line[col[name("civil_servant_training", "trained_number", "en")]] == 85
    # the manager above: the column is there, the letter hidden with the person
    r = web.browser("bolat").get("/cases.csv?process=offence_notice&lang=en")
    assert "12-34/567" not in r.content.decode("utf-8-sig")
    assert name("offence_notice", "letter", "en") in r.content.decode("utf-8-sig")


def test_the_json_keeps_its_keys(world):
    shown = _ok(world["m"]("status", str(world["ids"]["notice"]), "--json", today=D2026))
    assert "field_values" not in shown
    assert all("values" not in st for st in shown["stages"])
