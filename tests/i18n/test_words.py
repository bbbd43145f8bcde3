"""Words, not codes: a period reads by its name in the reader's language ("2026 ж. 4-тоқсан",
"2-е полугодие 2026 г.", "October 2026"), in a per-period stage's name too; the date a done
stage keeps with its evidence is labelled in words and shown as a date; a whole number may be
typed with its thousands apart ("4 500 000", with a space, a no-break or a thin space); the
dashboard's bar labels end at the bars and never start left of the chart; the Procedure
filter lists the procedures in the alphabetical order of the reader's language."""

from __future__ import annotations

import re
from datetime import date

import pytest

from web.app import by_name
from web.kit.charts import LABEL_PX, hbars
from workflow.core.collation import sort_key
from workflow.core.limits import ungrouped, whole_number
from workflow.definitions import load_definition, load_registry
from workflow.i18n import Translator, period_name
from workflow.services.recorded import evidence_values

pytestmark = pytest.mark.unit

CODE = re.compile(r"\b20\d\d(?:Q[1-4]|H[12]|M\d\d)\b")


@pytest.mark.parametrize(("label", "language", "words"), [
    ("2026Q4", "kk", "2026 ж. 4-тоқсан"),
    ("2026Q4", "ru", "4-й квартал 2026 г."),
    ("2026Q4", "en", "Q4 2026"),
    ("2026H2", "ru", "2-е полугодие 2026 г."),
    ("2026H2", "kk", "2026 ж. 2-жартыжылдық"),
    ("2026M10", "en", "October 2026"),
    ("2026M10", "ru", "Октябрь 2026 г."),
    ("2026M10", "kk", "2026 ж. қазан"),
    ("2026", "ru", "2026 г."),
    ("not a period", "kk", "not a period"),
])
def test_a_period_by_its_name(label, language, words):
    assert period_name(label, language) == words


def test_a_per_period_stage_is_named_with_its_period_in_words():
    defn = load_definition("internal_risk_analysis")
    key = "monitoring_report:2026Q4"
    names = {lang: defn.stage_name(key, lang) for lang in ("kk", "ru", "en")}
    assert names["ru"] == "Отчёт подразделений об исполнении рекомендаций (4-й квартал 2026 г.)"
    assert names["kk"].endswith("(2026 ж. 4-тоқсан)")
    assert names["en"].endswith("(Q4 2026)")
    assert not any(CODE.search(n) for n in names.values()), names


@pytest.mark.parametrize(("language", "label"), [
    ("kk", "орындалған күні"), ("ru", "дата исполнения"), ("en", "done on")])
def test_a_done_stages_date_is_labelled_in_words_and_read_as_a_date(language, label):
    defn = load_definition("internal_risk_analysis")
    shown = {v.key: v for v in evidence_values(defn, {"date": "2026-10-15", "period": "2026Q3"},
                                                language)}
    assert shown["date"].label == label and shown["date"].label != "date:"
    assert shown["date"].value == date(2026, 10, 15) and shown["date"].kind == "date"
    assert shown["period"].text == period_name("2026Q3", language)
    assert not CODE.search(shown["period"].text)


@pytest.mark.parametrize("typed", ["4 500 000", "4\u00a0500\u00a0000", "4\u2009500\u2009000",
                                   "4\u202f500\u202f000", " 4 500 000 ", "4500000"])
def test_a_whole_number_may_have_its_thousands_apart(typed):
    assert whole_number(ungrouped(typed)) == 4_500_000


@pytest.mark.parametrize("typed", ["45 00", "4 5000", "4  500", "4,500", "4 500.5", "four"])
def test_other_spacing_is_no_number(typed):
    assert whole_number(ungrouped(typed)) is None


def test_the_bar_labels_fit_left_of_the_bars():
    items = [{"label": "Антикоррупциялық мониторинг және талдау басқармасы", "value": 3},
             {"label": "ШЫҒЫСҚАЗАҚСТАНОБЛЫСЫНЫҢҚАРЖЫБАСҚАРМАСЫМЕМЛЕКЕТТІКМЕКЕМЕСІ", "value": 5},
             {"label": "Short", "value": 1}]
    chart = hbars(items, 5, [0, 5])
    for row in chart["rows"]:
        for line in row["lines"]:  # the text ends at plot_x − 8 (overview.html)
            assert chart["plot_x"] - 8 - len(line) * LABEL_PX >= 0, line
    assert chart["plot_w"] > 0


def test_the_procedures_in_the_readers_alphabetical_order():
    definitions = load_registry().all()
    for language in ("kk", "ru", "en"):
        names = [d.name(language) for d in by_name(definitions, language)]
        assert names == sorted(names, key=lambda n: sort_key(n, language))
    keys = [d.key for d in definitions]
    assert [d.key for d in by_name(definitions, "ru")] != keys  # not the key order


def test_the_catalogue_words_exist_in_each_language():
    for language in ("kk", "ru", "en"):
        t = Translator(language)
        for key in ("evidence.date", "ics.alarm_due_today"):
            assert t(key, stage="X") != key


def test_the_offence_notice_is_of_one_offence_administrative_or_criminal():
    """Seed 000 L704-706 and L720: a notice is of one offence, whose category is
    administrative or criminal; the Russian name says "или" as the English says "or"."""
    defn = load_registry().get("offence_notice")
    assert defn.name("ru") == ("Сообщение о коррупционном правонарушении (административном "
                               "или уголовном)")
    assert "(administrative or criminal)" in defn.name("en")
    assert set(defn.fields["category"].choices) == {"administrative", "criminal"}
