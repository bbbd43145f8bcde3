"""How every import reads a header, a number and a date as an office writes them
(workflow/imports/columns.py)."""

from __future__ import annotations

import pytest

from workflow.imports.columns import day, fold, not_a_field, number


@pytest.mark.parametrize("written", ["E-mail", "e-mail", "EMAIL", " Email ", "E‑mail"])
def test_a_header_is_compared_as_a_person_reads_it(written: str) -> None:
    assert fold(written) == fold("email")


def test_different_words_stay_different() -> None:
    assert fold("Должность") != fold("Подразделение")
    assert fold("ФИО") == fold("Ф.И.О.")


@pytest.mark.parametrize("header", ["№", "№ п/п", "№п/п", "N п/п", "Телефон", "тел.",
                                    "Ұялы телефон", "Phone", "р/с"])
def test_a_running_number_or_a_phone_is_never_a_field(header: str) -> None:
    assert not_a_field(header)


@pytest.mark.parametrize("header", ["ФИО", "Наименование", "Код", "Штатная численность", "E-mail"])
def test_a_field_is_not_taken_for_a_running_number(header: str) -> None:
    assert not not_a_field(header)


@pytest.mark.parametrize("written, read", [
    ("1150", "1150"), ("1 150", "1150"), ("1\u00a0150", "1150"), ("1\u2009150", "1150"),
    ("4\u202f500\u202f000", "4500000"), ("-12", "-12"), (" 7 ", "7")])
def test_numbers_grouped_with_any_space(written: str, read: str) -> None:
    assert number(written) == read


@pytest.mark.parametrize("written", ["1 15", "11 50", "1,150", "12a", "", "1 150 00"])
def test_what_is_not_a_whole_number(written: str) -> None:
    assert number(written) is None


@pytest.mark.parametrize("written, read", [
    ("05.07.2026", "2026-07-05"), ("5.7.2026", "2026-07-05"), ("05/07/2026", "2026-07-05"),
    ("2026-07-05", "2026-07-05")])
def test_dates_as_an_office_writes_them(written: str, read: str) -> None:
    assert day(written) == read


@pytest.mark.parametrize("written", ["31.02.2026", "2026-13-01", "07.2026", "05.07.26", "tomorrow"])
def test_what_is_not_a_day(written: str) -> None:
    assert day(written) is None
