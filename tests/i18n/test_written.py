"""How a date, a number and a period read in Kazakh, Russian and English: one writer
(notifications/written.py, through workflow.i18n) for the pages, the digests, the bot and the
command line."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from jinja2 import Environment

import web
from notifications.written import NBSP
from web.app import page_templates
from workflow.i18n import date_text, number_text, period_name


@pytest.mark.parametrize("language, shown", [("ru", "05.01.2026"), ("kk", "05.01.2026"),
                                             ("en", "2026-01-05")])
def test_a_date_reads_as_its_reader_writes_it(language, shown):
    assert date_text(date(2026, 1, 5), language) == shown
    assert date_text(datetime(2026, 1, 5, 23, 59), language) == shown
    assert date_text("2026-01-05", language) == shown  # an ISO text is read first
    assert date_text(None, language) == ""
    assert date_text("not a date", language) == "not a date"


def test_a_number_is_grouped_by_thousands():
    assert number_text(4500000, "ru") == f"4{NBSP}500{NBSP}000"
    assert number_text(4500000, "kk") == f"4{NBSP}500{NBSP}000"
    assert number_text(4500000, "en") == "4,500,000"
    assert number_text(1.5, "ru") == "1,5" and number_text(1.5, "en") == "1.5"
    assert number_text(1234.5, "kk", places=2) == f"1{NBSP}234,50"
    assert number_text("4500000.00", "ru") == f"4{NBSP}500{NBSP}000"
    assert number_text(999, "ru") == "999" and number_text(-12000, "en") == "-12,000"
    assert number_text("n/a", "ru") == "n/a" and number_text(None, "ru") == ""


@pytest.mark.parametrize("label, shown", [
    ("2026Q1", {"ru": "1-й квартал 2026 г.", "kk": "2026 ж. 1-тоқсан", "en": "Q1 2026"}),
    ("2026H2", {"ru": "2-е полугодие 2026 г.", "kk": "2026 ж. 2-жартыжылдық", "en": "H2 2026"}),
    ("2026", {"ru": "2026 г.", "kk": "2026 ж.", "en": "2026"}),
])
def test_a_period_reads_by_its_name(label, shown):
    for language, text in shown.items():
        assert period_name(label, language) == text
    assert "2026M01" not in period_name("2026M01", "ru") and "2026" in period_name("2026M01", "ru")


def test_the_pages_filters_ask_the_same_writer():
    """{{ d | day }}, {{ n | number }} and {{ d | month }} on a page: the reader's language
    (the page's `lang`)."""
    env: Environment = page_templates((str(Path(web.__file__).parent / "templates"),)).env
    page = env.from_string("{{ d | day }} {{ n | number }} {{ d | month }}")
    assert page.render(lang="ru", d=date(2026, 11, 26), n=4500000) == (
        f"26.11.2026 4{NBSP}500{NBSP}000 " + period_name("2026M11", "ru"))
    assert page.render(lang="en", d=date(2026, 11, 26), n=4500000) == (
        "2026-11-26 4,500,000 November 2026")
