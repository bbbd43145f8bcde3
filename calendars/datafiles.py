"""Load and validate the shipped calendar data files under calendars/data/."""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from calendars.errors import CalendarDataError
from calendars.model import (
    HOLIDAY,
    LANGUAGES,
    RELIGIOUS,
    CalendarData,
    Decree,
    Holiday,
    KurbanAit,
    Transfer,
)

DATA_DIR = Path(__file__).parent / "data"


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax errors into a CalendarDataError naming the file."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise CalendarDataError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CalendarDataError(f"{path}: not valid TOML: {exc}") from exc


def as_date(value: Any, where: str) -> date:
    """Accept a TOML date or an ISO 'YYYY-MM-DD' string; refuse anything else naming `where`."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CalendarDataError(f"{where}: {value!r} is not a date (expected YYYY-MM-DD)")


def as_names(value: Any, where: str) -> dict[str, str]:
    """Names in all three languages, kk, ru and en."""
    if not isinstance(value, dict):
        raise CalendarDataError(f"{where}: names must be a table with kk, ru and en")
    missing = [lang for lang in LANGUAGES if not str(value.get(lang, "")).strip()]
    if missing:
        raise CalendarDataError(f"{where}: missing name in {', '.join(missing)}")
    return {lang: str(value[lang]) for lang in LANGUAGES}


def _require(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise CalendarDataError(f"{where}: missing '{key}'")
    return entry[key]


def parse_holidays(doc: dict[str, Any], source: str) -> tuple[Holiday, ...]:
    result = []
    for i, entry in enumerate(doc.get("holiday", [])):
        where = f"{source}: holiday[{i}] ({entry.get('key', '?')})"
        kind = _require(entry, "kind", where)
        if kind not in (HOLIDAY, RELIGIOUS):
            raise CalendarDataError(f"{where}: kind must be 'holiday' or 'religious', not {kind!r}")
        month, day = int(_require(entry, "month", where)), int(_require(entry, "day", where))
        try:
            date(2000, month, day)
        except ValueError as exc:
            raise CalendarDataError(f"{where}: {month}-{day} is not a day of the year") from exc
        result.append(
            Holiday(
                key=str(_require(entry, "key", where)),
                month=month,
                day=day,
                kind=kind,
                names=as_names(_require(entry, "names", where), where),
                reference=str(_require(entry, "reference", where)),
                first_year=entry.get("first_year"),
                last_year=entry.get("last_year"),
            )
        )
    return tuple(result)


def parse_kurban_ait(doc: dict[str, Any], source: str) -> dict[int, KurbanAit]:
    result: dict[int, KurbanAit] = {}
    for i, entry in enumerate(doc.get("kurban_ait", [])):
        where = f"{source}: kurban_ait[{i}]"
        year = int(_require(entry, "year", where))
        day = as_date(_require(entry, "date", where), where)
        if day.year != year:
            raise CalendarDataError(f"{where}: date {day} is not in year {year}")
        result[year] = KurbanAit(year, day, str(entry.get("status", "announced")),
                                 str(_require(entry, "reference", where)))
    return result


def parse_transfer(entry: Any, where: str, reference: str) -> Transfer:
    if not isinstance(entry, dict):
        raise CalendarDataError(f"{where}: a transfer is a table with day_off and worked")
    return Transfer(
        day_off=as_date(_require(entry, "day_off", where), f"{where}.day_off"),
        worked=as_date(_require(entry, "worked", where), f"{where}.worked"),
        reference=str(entry.get("reference", reference)),
    )


def parse_decrees(doc: dict[str, Any], source: str) -> dict[int, Decree]:
    result: dict[int, Decree] = {}
    for i, entry in enumerate(doc.get("decree", [])):
        where = f"{source}: decree[{i}]"
        year = int(_require(entry, "year", where))
        reference = str(_require(entry, "reference", where))
        transfers = tuple(
            parse_transfer(t, f"{where}.transfers[{j}]", reference)
            for j, t in enumerate(_require(entry, "transfers", where))
        )
        result[year] = Decree(year, reference, transfers)
    return result


@cache
def shipped_data(data_dir: Path = DATA_DIR) -> CalendarData:
    """The calendar data shipped with merzim (no operator overrides)."""
    return CalendarData(
        holidays=parse_holidays(read_toml(data_dir / "holidays.toml"), "holidays.toml"),
        kurban_ait=parse_kurban_ait(read_toml(data_dir / "kurban_ait.toml"), "kurban_ait.toml"),
        decrees=parse_decrees(read_toml(data_dir / "transfers.toml"), "transfers.toml"),
    )
