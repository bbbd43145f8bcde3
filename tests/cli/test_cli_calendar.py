"""`merzim calendar ...` run as an officer runs it: the installed command, in a fresh directory."""

from __future__ import annotations

import pytest

from tests.support.cli_runner import ok_json

ACCEPTANCE_2025 = [
    ("2025-01-01", "holiday"),
    ("2025-01-02", "holiday"),
    ("2025-01-03", "transfer"),
    ("2025-01-07", "religious"),
    ("2025-03-10", "weekend_shift"),
    ("2025-03-21", "holiday"),
    ("2025-03-24", "weekend_shift"),
    ("2025-03-25", "weekend_shift"),
    ("2025-05-01", "holiday"),
    ("2025-05-07", "holiday"),
    ("2025-05-09", "holiday"),
    ("2025-06-06", "religious"),
    ("2025-07-07", "weekend_shift"),
    ("2025-09-01", "weekend_shift"),
    ("2025-10-27", "weekend_shift"),
    ("2025-12-16", "holiday"),
]


def refused(result):
    """A usage error: exit code 2, nothing on stdout, one line on stderr, no traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- show --------------------------------------------------------------------------------------


def test_show_2025_json_lists_the_acceptance_days_with_their_kinds(merzim):
    shown = ok_json(merzim("calendar", "show", "2025", "--json"))
    assert shown["year"] == 2025
    assert [(d["date"], d["kind"]) for d in shown["non_working"]] == ACCEPTANCE_2025
    assert [d["date"] for d in shown["working_weekend_days"]] == ["2025-01-05"]
    assert shown["decree_loaded"] is True
    assert shown["notice"] is None
    assert all(d["reference"] for d in shown["non_working"] + shown["working_weekend_days"])
    assert "G24G0000436" in shown["working_weekend_days"][0]["reference"]


def test_show_2020_json_has_no_worked_monday_among_the_weekend_days(merzim):
    shown = ok_json(merzim("calendar", "show", "2020", "--json"))
    assert [d["date"] for d in shown["working_weekend_days"]] == ["2020-01-05", "2020-12-20"]
    assert "2020-05-08" in [d["date"] for d in shown["non_working"]]
    assert "2020-05-11" not in [d["date"] for d in shown["non_working"]]


def test_show_2027_says_no_transfer_decree_is_loaded(merzim):
    shown = ok_json(merzim("calendar", "show", "2027", "--json"))
    assert shown["decree_loaded"] is False
    assert shown["notice"].startswith("2027: no transfer decree loaded")
    table = merzim("calendar", "show", "2027")
    assert table.returncode == 0, table.stderr
    assert "2027: no transfer decree loaded" in table.stdout


def test_show_2025_as_a_table_lists_every_day(merzim):
    table = merzim("calendar", "show", "2025")
    assert table.returncode == 0, table.stderr
    for day, _ in ACCEPTANCE_2025:
        assert day in table.stdout
    assert "2025-01-05" in table.stdout
    assert "no transfer decree" not in table.stdout


# -- is-working, add, between --------------------------------------------------------------------


def test_the_worked_sunday_5_january_2025_is_a_working_day(merzim):
    answer = ok_json(merzim("calendar", "is-working", "2025-01-05", "--json"))
    assert answer["date"] == "2025-01-05"
    assert answer["working"] is True
    assert "3 January 2025" in answer["reason"]


def test_is_working_in_text_says_why(merzim):
    result = merzim("calendar", "is-working", "2025-03-24")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "2025-03-24 is not a working day (Nauryz (day off moved from 22 March 2025))")


def test_one_working_day_after_3_may_2024_is_the_worked_saturday(merzim):
    assert ok_json(merzim("calendar", "add", "2024-05-03", "1", "--json")) == {
        "date": "2024-05-04"}


def test_one_working_day_after_20_march_2025_is_26_march(merzim):
    result = merzim("calendar", "add", "2025-03-20", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2025-03-26\n"


def test_ten_working_days_back_from_20_march_2025_after_the_option_separator(merzim):
    result = merzim("calendar", "add", "2025-03-20", "--json", "--", "-10")
    assert ok_json(result) == {"date": "2025-03-05"}


def test_ten_working_days_back_from_20_march_2025(merzim):
    result = merzim("calendar", "add", "2025-03-20", "-10")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2025-03-05\n"


def test_zero_working_days_from_a_holiday_is_the_holiday(merzim):
    assert ok_json(merzim("calendar", "add", "2025-03-24", "0", "--json")) == {
        "date": "2025-03-24"}


def test_between_counts_working_days_after_the_first_date_up_to_the_second(merzim):
    assert ok_json(merzim("calendar", "between", "2025-03-20", "2025-03-26", "--json")) == {
        "working_days": 1}
    assert ok_json(merzim("calendar", "between", "2025-01-01", "2025-01-31", "--json")) == {
        "working_days": 20}
    assert ok_json(merzim("calendar", "between", "2025-01-31", "2025-01-01", "--json")) == {
        "working_days": 20}
    text = merzim("calendar", "between", "2025-01-01", "2025-12-31")
    assert text.returncode == 0, text.stderr
    assert text.stdout == "246\n"


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(("is-working", "2025-02-30"), "'2025-02-30' is not a date", id="no-such-day"),
        pytest.param(("is-working", "05.01.2025"), "'05.01.2025' is not a date", id="dotted"),
        pytest.param(("add", "2025/03/20", "1"), "'2025/03/20' is not a date", id="slashes"),
        pytest.param(("between", "2025-01-01", "tomorrow"), "DATE2: 'tomorrow' is not a date",
                     id="between-word"),
        pytest.param(("add", "2025-03-20", "ten"), "N: 'ten' is not a whole number",
                     id="n-word"),
        pytest.param(("add", "2025-03-20", "1.5"), "N: '1.5' is not a whole number",
                     id="n-fraction"),
        pytest.param(("show", "twenty"), "YEAR: 'twenty' is not a whole number", id="year-word"),
        pytest.param(("show", "1990"), "1990 is outside the calendar data (2002-2030)",
                     id="year-1990"),
        pytest.param(("show", "2050"), "2050 is outside the calendar data (2002-2030)",
                     id="year-2050"),
        pytest.param(("is-working", "1990-01-01"), "1990-01-01 is outside", id="date-1990"),
        pytest.param(("add", "2050-01-03", "1"), "2050-01-03 is outside", id="add-from-2050"),
        pytest.param(("add", "2030-12-20", "10"), "2030-12-20 +10 working days is outside",
                     id="add-leaves-the-data"),
        pytest.param(("add", "2002-01-03", "--", "-5"), "2002-01-03 -5 working days is outside",
                     id="sub-leaves-the-data"),
        pytest.param(("between", "2025-01-01", "2031-01-01"), "2031-01-01 is outside",
                     id="between-leaves-the-data"),
        pytest.param(("add", "2025-03-20"), "Missing argument", id="missing-n"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(merzim, args, says):
    line = refused(merzim("calendar", *args))
    assert says in line


def test_bad_input_with_json_is_still_one_line_on_stderr(merzim):
    line = refused(merzim("calendar", "add", "2030-12-20", "10", "--json"))
    assert "outside the calendar data" in line


def test_an_unknown_language_is_refused(merzim):
    line = refused(merzim("--lang", "de", "calendar", "show", "2025"))
    assert "--lang: “de” is not a language of merzim; choose kk, ru or en." in line


# -- languages -------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "names", "reason", "words"), [
    pytest.param("ru", {"2025-01-01": "Новый год",
                        "2025-03-24": "Наурыз мейрамы (перенос выходного с 22 марта 2025)",
                        "2025-12-16": "День Независимости"},
                 "рабочий вместо выходного 3 января 2025", ["Новый год", "праздник"],
                 id="russian"),
    pytest.param("kk", {"2025-01-01": "Жаңа жыл", "2025-06-06": "Құрбан айт",
                        "2025-12-16": "Тәуелсіздік күні"},
                 None, ["Жаңа жыл", "мереке"], id="kazakh"),
])
def test_show_names_the_holidays_in_the_language_asked(merzim, lang, names, reason, words):
    """The JSON names each day off (and why a weekend day is worked) in that language; the
    table shows the names and the kind of day in it."""
    shown = ok_json(merzim("--lang", lang, "calendar", "show", "2025", "--json"))
    named = {d["date"]: d["name"] for d in shown["non_working"]}
    for day, name in names.items():
        assert named[day] == name
    if reason is not None:
        assert shown["working_weekend_days"][0]["reason"] == reason
    table = merzim("--lang", lang, "calendar", "show", "2025")
    assert table.returncode == 0, table.stderr
    for word in words:
        assert word in table.stdout


def test_merzim_lang_chooses_the_language_without_the_option(merzim):
    shown = ok_json(merzim("calendar", "show", "2025", "--json", lang="ru"))
    assert shown["non_working"][0]["name"] == "Новый год"


def test_is_working_answers_in_russian(merzim):
    result = merzim("--lang", "ru", "calendar", "is-working", "2025-03-10")
    assert result.returncode == 0, result.stderr
    assert "нерабочий день" in result.stdout
    assert "Международный женский день" in result.stdout


def test_bad_input_is_reported_in_kazakh_and_russian_on_one_line(merzim):
    for lang in ("kk", "ru"):
        line = refused(merzim("--lang", lang, "calendar", "show", "1990"))
        assert "1990" in line
        assert any("\u0400" <= ch <= "\u04ff" for ch in line), line
