"""An operator corrects the calendar in the [calendar] table of config.toml.

Each kind of entry takes effect; each wrong entry is refused with a message naming it,
in the library and through `merzim calendar`.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

from calendars import CalendarDataError, KazakhstanCalendar
from calendars.model import OVERRIDE, TRANSFER

pytestmark = pytest.mark.unit  # pure: no database, no process

CONFIG_TOML = Path(__file__).resolve().parents[2] / "config.toml"


def overrides(toml_text: str) -> dict:
    """The [calendar] table of a config file, parsed as merzim parses it (TOML dates)."""
    return tomllib.loads(toml_text)["calendar"]


DECREE_2027 = """
[[calendar.transfers]]
day_off = 2027-01-08
worked = 2027-01-10
reference = "Government resolution No. 1 of 2026"
"""


@pytest.fixture(scope="module")
def shipped() -> KazakhstanCalendar:
    return KazakhstanCalendar()


# -- each kind of entry takes effect -------------------------------------------------------


def test_a_2027_decree_makes_friday_8_january_off_and_sunday_10_january_worked(shipped):
    assert shipped.is_working_day(date(2027, 1, 8))
    assert not shipped.is_working_day(date(2027, 1, 10))
    assert shipped.add_working_days(date(2027, 1, 7), 1) == date(2027, 1, 8)
    assert shipped.decree_notice(2027) is not None

    cal = KazakhstanCalendar(overrides=overrides(DECREE_2027))

    assert not cal.is_working_day(date(2027, 1, 8))
    assert cal.is_working_day(date(2027, 1, 10))
    assert cal.add_working_days(date(2027, 1, 7), 1) == date(2027, 1, 10)
    assert cal.get_working_days_delta(date(2027, 1, 7), date(2027, 1, 11)) == 2
    off = {d.date: d for d in cal.non_working_weekdays(2027)}
    assert off[date(2027, 1, 8)].kind == TRANSFER
    assert off[date(2027, 1, 8)].reference == "Government resolution No. 1 of 2026"
    worked = cal.working_weekend_days(2027)
    assert [d.date for d in worked] == [date(2027, 1, 10)]
    assert cal.decree_notice(2027) is None


def test_a_decree_may_move_a_shifted_monday_off_to_friday_as_in_2020():
    # 9 May 2026 is a Saturday, its day off Monday 11 May; a decree like 2020's moves it to 8 May.
    cal = KazakhstanCalendar(overrides=overrides("""
[[calendar.transfers]]
day_off = 2026-05-08
worked = 2026-05-11
reference = "Government resolution (test)"
"""))
    assert not cal.is_working_day(date(2026, 5, 8))
    assert cal.is_working_day(date(2026, 5, 11))
    assert cal.working_weekend_days(2026) == []  # 11 May is a weekday


def test_a_one_off_day_off_for_constitution_day_2026_moves_the_deadlines(shipped):
    assert shipped.add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 16)
    cal = KazakhstanCalendar(overrides=overrides("""
[[calendar.days_off]]
date = 2026-03-16
name = { kk = "Конституция күні", ru = "День Конституции", en = "Constitution Day (moved)" }
reference = "Law No. 267-II as amended in 2026 (operator's reading)"
"""), language="ru")
    assert not cal.is_working_day(date(2026, 3, 16))
    assert cal.add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 17)
    off = {d.date: d for d in cal.non_working_weekdays(2026)}
    assert off[date(2026, 3, 16)].kind == OVERRIDE
    assert cal.reason(date(2026, 3, 16)) == "День Конституции"
    assert cal.decree_notice(2026) is None


def test_a_one_off_working_saturday_counts_as_a_working_day(shipped):
    cal = KazakhstanCalendar(overrides=overrides("""
[[calendar.working_days]]
date = 2027-01-09
reference = "Government resolution (test)"
"""))
    assert cal.is_working_day(date(2027, 1, 9))
    assert cal.add_working_days(date(2027, 1, 8), 1) == date(2027, 1, 9)
    assert shipped.add_working_days(date(2027, 1, 8), 1) == date(2027, 1, 11)
    assert [d.date for d in cal.working_weekend_days(2027)] == [date(2027, 1, 9)]
    assert cal.reason(date(2027, 1, 9)) == "Working day"


def test_an_announced_kurban_ait_replaces_the_expected_date(shipped):
    assert not shipped.is_working_day(date(2026, 5, 27))
    cal = KazakhstanCalendar(overrides=overrides("""
[[calendar.kurban_ait]]
date = 2026-05-26
reference = "QMDB announcement (test)"
"""))
    assert not cal.is_working_day(date(2026, 5, 26))
    assert cal.is_working_day(date(2026, 5, 27))
    assert cal.data.kurban_ait[2026].status == "announced"
    assert cal.add_working_days(date(2026, 5, 25), 1) == date(2026, 5, 27)


def test_a_kurban_ait_on_a_saturday_is_not_moved_to_monday():
    cal = KazakhstanCalendar(overrides={
        "kurban_ait": [{"date": "2026-05-30", "reference": "QMDB announcement (test)"}],
    })
    assert cal.is_holiday(date(2026, 5, 30))
    assert cal.is_working_day(date(2026, 5, 27))
    assert cal.is_working_day(date(2026, 6, 1))


def test_dates_may_also_be_written_as_iso_strings():
    cal = KazakhstanCalendar(overrides={
        "transfers": [{"day_off": "2027-01-08", "worked": "2027-01-10", "reference": "r"}],
    })
    assert not cal.is_working_day(date(2027, 1, 8))


def test_an_empty_calendar_table_changes_nothing(shipped):
    cal = KazakhstanCalendar(overrides={})
    assert cal.non_working_weekdays(2025) == shipped.non_working_weekdays(2025)


def test_the_examples_documented_in_config_toml_are_all_accepted():
    text = CONFIG_TOML.read_text(encoding="utf-8")
    assert "calendar" not in tomllib.loads(text)  # shipped with no active override
    block = text[text.index("# Calendar overrides"):]
    uncommented = "\n".join(
        line[2:] for line in block.splitlines()
        if re.match(r"# (\[\[calendar\.\w+\]\]|\w+ = )", line)
    )
    section = overrides(uncommented)
    assert set(section) == {"transfers", "days_off", "working_days", "kurban_ait", "decrees"}
    cal = KazakhstanCalendar(overrides=section)
    assert cal.decree_notice(2027) is None  # the documented "decree that moves nothing"
    assert not cal.is_working_day(date(2027, 1, 8))
    assert cal.is_working_day(date(2027, 1, 9))
    assert cal.is_working_day(date(2027, 1, 10))
    assert not cal.is_working_day(date(2026, 3, 16))


# -- wrong entries are refused, naming the entry ----------------------------------------------


def entry(kind: str, reference: str | None = "r", **fields) -> dict:
    """A [calendar] table of one entry of `kind` with `fields` and its `reference` (None: none)."""
    return {kind: [{**fields, **({} if reference is None else {"reference": reference})}]}


@pytest.mark.parametrize(("section", "message"), [
    pytest.param(entry("transfers", day_off="2027-13-01", worked="2027-01-10"),
                 "calendar.transfers[0].day_off: '2027-13-01' is not a date", id="unparseable-date"),
    pytest.param(entry("days_off", date="8 March"),
                 "calendar.days_off[0].date: '8 March' is not a date", id="unparseable-day-off"),
    pytest.param(entry("working_days", date="2027-01-11"),
                 "calendar.working_days[0]: 2027-01-11 is already a working day",
                 id="working-day-already-working"),
    pytest.param(entry("transfers", day_off="2025-01-10", worked="2025-01-05"),
                 "calendar.transfers[0]: worked day 2025-01-05 is already a working day",
                 id="transfer-worked-day-already-worked-by-decree"),
    pytest.param(entry("transfers", day_off="2027-01-12", worked="2027-01-13"),
                 "calendar.transfers[0]: 2027-01-12 and 2027-01-13 are both weekdays",
                 id="transfer-between-two-ordinary-weekdays"),
    pytest.param(entry("transfers", day_off="2027-01-08", worked="2027-01-08"),
                 "calendar.transfers[0]: day_off and worked are the same day", id="transfer-to-itself"),
    pytest.param(entry("transfers", day_off="2025-03-10", worked="2025-03-15"),
                 "calendar.transfers[0]: day_off 2025-03-10 is already a day off",
                 id="transfer-day-off-already-off"),
    pytest.param(entry("days_off", date="2025-03-10"),
                 "calendar.days_off[0]: 2025-03-10 is already a day off", id="day-off-already-off"),
    pytest.param(entry("days_off", date="2025-03-15"),
                 "calendar.days_off[0]: 2025-03-15 is already a day off", id="day-off-on-a-saturday"),
    pytest.param(entry("transfers", None, day_off="2027-01-08", worked="2027-01-10"),
                 "calendar.transfers[0]: give the 'reference'", id="transfer-without-reference"),
    pytest.param(entry("days_off", " ", date="2026-03-16"),
                 "calendar.days_off[0]: give the 'reference'", id="day-off-with-blank-reference"),
    pytest.param(entry("working_days", None, date="2027-01-09"),
                 "calendar.working_days[0]: give the 'reference'", id="working-day-without-reference"),
    pytest.param(entry("kurban_ait", None, date="2027-05-16"),
                 "calendar.kurban_ait[0]: give the 'reference'", id="kurban-ait-without-reference"),
    pytest.param(entry("kurban_ait", year=2027, date="2026-05-27"),
                 "calendar.kurban_ait[0]: date 2026-05-27 is not in year 2027",
                 id="kurban-ait-in-the-wrong-year"),
    pytest.param(entry("transfer", day_off="2027-01-08", worked="2027-01-10"),
                 "calendar.transfer: unknown setting", id="unknown-key"),
    pytest.param({"days_off": {"date": "2026-03-16", "reference": "r"}},
                 "calendar.days_off: must be a list of tables", id="table-instead-of-list"),
    pytest.param(entry("working_days", date="2035-01-06"),
                 "calendar.working_days[0]: 2035-01-06 is outside the calendar's years 2002-2030",
                 id="outside-the-data"),
    pytest.param({"days_off": [{"date": "2026-03-16", "reference": "r"},
                               {"date": "2026-03-16x", "reference": "r"}]},
                 "calendar.days_off[1].date", id="second-entry-named-by-index"),
])
def test_a_wrong_override_is_refused_naming_the_entry(section, message):
    with pytest.raises(CalendarDataError) as refused:
        KazakhstanCalendar(overrides=section)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_datetime_is_not_a_date():
    with pytest.raises(CalendarDataError, match=re.escape("calendar.days_off[0].date")):
        KazakhstanCalendar(overrides=overrides("""
[[calendar.days_off]]
date = 2026-03-16T00:00:00
reference = "r"
"""))


# -- through the command line ------------------------------------------------------------------


def test_a_decree_in_the_config_file_changes_merzim_calendar_is_working(merzim, tmp_path):
    before = merzim("calendar", "is-working", "2027-01-08", "--json")
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout)["working"] is True

    config = tmp_path / "merzim.toml"
    config.write_text(DECREE_2027, encoding="utf-8")
    after = merzim("calendar", "is-working", "2027-01-08", "--json", config=config)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == {
        "date": "2027-01-08",
        "working": False,
        "reason": "Day off (transferred from 10 January 2027)",
    }
    shown = json.loads(merzim("calendar", "show", "2027", "--json", config=config).stdout)
    assert shown["decree_loaded"] is True
    assert [d["date"] for d in shown["working_weekend_days"]] == ["2027-01-10"]


def test_a_bad_override_stops_merzim_with_one_line_naming_the_entry(merzim, tmp_path):
    config = tmp_path / "merzim.toml"
    config.write_text("""
[[calendar.transfers]]
day_off = 2027-01-12
worked = 2027-01-13
reference = "Government resolution (test)"
""", encoding="utf-8")
    result = merzim("calendar", "is-working", "2027-01-08", config=config)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "calendar.transfers[0]" in lines[0]
    assert str(config) in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_bad_override_is_reported_in_every_language(merzim, tmp_path, lang):
    config = tmp_path / "merzim.toml"
    config.write_text('[calendar]\nholidays = []\n', encoding="utf-8")
    result = merzim("calendar", "show", "2025", config=config, lang=lang)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "calendar.holidays: unknown setting" in result.stderr
    assert "Traceback" not in result.stderr
