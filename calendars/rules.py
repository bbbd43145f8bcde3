"""Rules 1-4 of the Kazakh calendar: which days of a year are off and which weekend days are worked.

Pure functions of `CalendarData`; the calendar class indexes their results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from calendars.model import (
    HOLIDAY,
    OVERRIDE,
    RELIGIOUS,
    TRANSFER,
    WEEKEND_SHIFT,
    CalendarData,
    NonWorkingDay,
    Transfer,
    WorkedDay,
)

SATURDAY, SUNDAY = 5, 6
MONTHS = {
    "kk": ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз",
           "қыркүйек", "қазан", "қараша", "желтоқсан"],
    "ru": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}


def is_weekend(day: date) -> bool:
    return day.weekday() >= SATURDAY


def spell(day: date, language: str) -> str:
    """A date as an officer writes it: '3 January 2025', '3 января 2025', '2025 жылғы 3 қаңтар'."""
    month = MONTHS[language][day.month - 1]
    if language == "kk":
        return f"{day.year} жылғы {day.day} {month}"
    return f"{day.day} {month} {day.year}"


@dataclass(frozen=True)
class YearDays:
    """One year's exceptions to the five-day week."""

    year: int
    off: dict[date, NonWorkingDay]  # every holiday (also on weekends), shift, transfer, override
    worked: dict[date, WorkedDay]  # weekend or shifted days that are working days
    decree_loaded: bool


def statutory_holidays(data: CalendarData, year: int) -> list[NonWorkingDay]:
    """Rule 2: the holidays of `year` on their own dates, Kurban Ait included."""
    days = [
        NonWorkingDay(date(year, h.month, h.day), h.kind, h.names, h.reference)
        for h in data.holidays
        if h.valid_in(year)
    ]
    kurban = data.kurban_ait.get(year)
    if kurban is not None:
        days.append(
            NonWorkingDay(
                kurban.date,
                RELIGIOUS,
                {"kk": "Құрбан айт", "ru": "Курбан айт", "en": "Kurban Ait"},
                kurban.reference,
            )
        )
    return sorted(days, key=lambda d: d.date)


def weekend_shifts(holidays: list[NonWorkingDay]) -> list[NonWorkingDay]:
    """Rule 3: a non-religious holiday on Saturday or Sunday moves to the next working day."""
    taken = {h.date for h in holidays}
    shifted = []
    for h in holidays:
        if h.kind == RELIGIOUS or not is_weekend(h.date):
            continue
        target = h.date + timedelta(days=1)
        while is_weekend(target) or target in taken:
            target += timedelta(days=1)
        taken.add(target)
        names = {
            "kk": f"{h.names['kk']} ({spell(h.date, 'kk')} күнінен ауыстырылған демалыс)",
            "ru": f"{h.names['ru']} (перенос выходного с {spell(h.date, 'ru')})",
            "en": f"{h.names['en']} (day off moved from {spell(h.date, 'en')})",
        }
        shifted.append(NonWorkingDay(target, WEEKEND_SHIFT, names, "Labour Code of the RK, art. 85"))
    return shifted


def transfers_touching(data: CalendarData, year: int) -> list[Transfer]:
    """Rule 4: decree and operator transfers with either day in `year`."""
    found = [
        t
        for decree in data.decrees.values()
        for t in decree.transfers
        if year in (t.day_off.year, t.worked.year)
    ]
    found += [t for t in data.extra_transfers if year in (t.day_off.year, t.worked.year)]
    return found


def transfer_day_off(t: Transfer) -> NonWorkingDay:
    names = {
        "kk": f"Демалыс күні ({spell(t.worked, 'kk')} күнінен ауыстырылды)",
        "ru": f"Выходной день (перенесён с {spell(t.worked, 'ru')})",
        "en": f"Day off (transferred from {spell(t.worked, 'en')})",
    }
    return NonWorkingDay(t.day_off, TRANSFER, names, t.reference)


def transfer_worked_day(t: Transfer) -> WorkedDay:
    reasons = {
        "kk": f"{spell(t.day_off, 'kk')} демалыс күнінің орнына жұмыс күні",
        "ru": f"рабочий вместо выходного {spell(t.day_off, 'ru')}",
        "en": f"worked in exchange for the day off on {spell(t.day_off, 'en')}",
    }
    return WorkedDay(t.worked, reasons, t.reference)


def compute_year(data: CalendarData, year: int) -> YearDays:
    """All of rules 1-4 plus operator overrides for one year."""
    holidays = statutory_holidays(data, year)
    off: dict[date, NonWorkingDay] = {}
    for h in holidays:
        off.setdefault(h.date, h)
    for s in weekend_shifts(holidays):
        off.setdefault(s.date, s)
    # Shifts of holidays of the previous December cannot reach January (31 Dec is no holiday),
    # so a year is computed from its own holidays alone.
    worked: dict[date, WorkedDay] = {}
    for t in transfers_touching(data, year):
        if t.day_off.year == year:
            off[t.day_off] = transfer_day_off(t)
        if t.worked.year == year:
            off.pop(t.worked, None)
            worked[t.worked] = transfer_worked_day(t)
    for one in data.days_off:
        if one.date.year == year:
            off[one.date] = NonWorkingDay(one.date, OVERRIDE, one.names, one.reference)
            worked.pop(one.date, None)
    for one in data.working_days:
        if one.date.year == year:
            off.pop(one.date, None)
            worked[one.date] = WorkedDay(one.date, one.names, one.reference)
    loaded = year in data.decrees or year in data.override_years
    return YearDays(year, dict(sorted(off.items())), dict(sorted(worked.items())), loaded)


def is_working(day: date, year_days: YearDays) -> bool:
    """Rule 1 plus the year's exceptions."""
    if day in year_days.worked:
        return True
    return not is_weekend(day) and day not in year_days.off


__all__ = ["HOLIDAY", "YearDays", "compute_year", "is_working", "is_weekend", "spell"]
