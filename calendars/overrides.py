"""Operator overrides of the calendar from the `[calendar]` table of config.toml.

An operator adds a government decree, a one-off day off, a one-off working day or
a Kurban Ait date the day it is published; merzim applies it at its next start.
Every entry is checked against the shipped rules and refused, naming the entry,
when it cannot be right.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from calendars.datafiles import as_date, parse_transfer
from calendars.errors import CalendarDataError
from calendars.model import LANGUAGES, CalendarData, KurbanAit, OneOffDay
from calendars.rules import compute_year, is_weekend, is_working

KNOWN_KEYS = {"transfers", "days_off", "working_days", "kurban_ait", "decrees"}


def _reference(entry: dict[str, Any], where: str) -> str:
    ref = entry.get("reference")
    if not isinstance(ref, str) or not ref.strip():
        raise CalendarDataError(f"{where}: give the 'reference' (decree or announcement) of the entry")
    return ref


def _names(entry: dict[str, Any], fallback: str) -> dict[str, str]:
    name = entry.get("name")
    if isinstance(name, dict):
        return {lang: str(name.get(lang) or name.get("en") or fallback) for lang in LANGUAGES}
    if isinstance(name, str) and name.strip():
        return {lang: name for lang in LANGUAGES}
    return {lang: fallback for lang in LANGUAGES}


def _entries(section: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = section.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CalendarDataError(f"calendar.{key}: must be a list of tables ([[calendar.{key}]])")
    return value


def apply_overrides(data: CalendarData, section: dict[str, Any] | None) -> CalendarData:  # noqa: C901
    """Return `data` with the operator's overrides, or raise naming the first bad entry."""
    if not section:
        return data
    if not isinstance(section, dict):
        raise CalendarDataError("calendar: must be a table")
    unknown = sorted(set(section) - KNOWN_KEYS)
    if unknown:
        raise CalendarDataError(
            f"calendar.{unknown[0]}: unknown setting (known: {', '.join(sorted(KNOWN_KEYS))})"
        )

    kurban = dict(data.kurban_ait)
    given = []
    for i, entry in enumerate(_entries(section, "kurban_ait")):
        where = f"calendar.kurban_ait[{i}]"
        day = as_date(entry.get("date"), f"{where}.date")
        year = entry.get("year", day.year)
        if year != day.year:
            raise CalendarDataError(f"{where}: date {day} is not in year {year}")
        given.append((day, where, _reference(entry, where)))
    for day, where, ref in sorted(given):  # in year order, so consecutive new years are fine
        first, last = min(kurban), max(kurban)
        if day.year > last + 1 or day.year < data.first_year:
            raise CalendarDataError(
                f"{where}: {day.year} would leave a gap: Kurban Ait is known for "
                f"{first}-{last}; add the years in between first")
        kurban[day.year] = KurbanAit(day.year, day, "announced", ref)
    base = dataclasses.replace(data, kurban_ait=kurban)

    def by_rules(day, where):
        if not base.first_year <= day.year <= base.last_year:
            raise CalendarDataError(
                f"{where}: {day} is outside the calendar's years "
                f"{base.first_year}-{base.last_year}"
            )
        return is_working(day, compute_year(base, day.year))

    transfers = []
    for i, entry in enumerate(_entries(section, "transfers")):
        where = f"calendar.transfers[{i}]"
        t = parse_transfer(entry, where, _reference(entry, where))
        if t.day_off == t.worked:
            raise CalendarDataError(f"{where}: day_off and worked are the same day {t.day_off}")
        if not is_weekend(t.day_off) and not is_weekend(t.worked) and by_rules(t.worked, where):
            raise CalendarDataError(
                f"{where}: {t.day_off} and {t.worked} are both weekdays; a transfer makes a "
                "Saturday, Sunday or moved day off a working day in exchange for a weekday off"
            )
        if by_rules(t.worked, where):
            raise CalendarDataError(f"{where}: worked day {t.worked} is already a working day")
        if not by_rules(t.day_off, where):
            raise CalendarDataError(f"{where}: day_off {t.day_off} is already a day off")
        transfers.append(t)

    days_off = []
    for i, entry in enumerate(_entries(section, "days_off")):
        where = f"calendar.days_off[{i}]"
        day = as_date(entry.get("date"), f"{where}.date")
        if not by_rules(day, where):
            raise CalendarDataError(f"{where}: {day} is already a day off")
        days_off.append(OneOffDay(day, _names(entry, "Day off"), _reference(entry, where)))

    working = []
    for i, entry in enumerate(_entries(section, "working_days")):
        where = f"calendar.working_days[{i}]"
        day = as_date(entry.get("date"), f"{where}.date")
        if by_rules(day, where):
            raise CalendarDataError(f"{where}: {day} is already a working day")
        working.append(OneOffDay(day, _names(entry, "Working day"), _reference(entry, where)))

    years = {t.day_off.year for t in transfers} | {t.worked.year for t in transfers}
    for i, entry in enumerate(_entries(section, "decrees")):
        # A year's decree read and found to move nothing: "decree loaded" without a transfer.
        where = f"calendar.decrees[{i}]"
        year = entry.get("year")
        if not isinstance(year, int) or isinstance(year, bool):
            raise CalendarDataError(f"{where}: 'year' must be a year such as 2027")
        _reference(entry, where)
        years.add(year)
    return dataclasses.replace(
        base,
        extra_transfers=tuple(transfers),
        days_off=tuple(days_off),
        working_days=tuple(working),
        override_years=frozenset(years),
    )
