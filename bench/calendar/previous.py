"""The calendar of the previous head (commit 1056b99), kept verbatim for the benchmark.

`bench/calendar/run.py` times it in the same run as the current `KazakhstanCalendar`, so
the ratio between the two does not depend on the machine's load at different times. Its
index: a bytearray of working days, prefix counts and working-day ordinals, looked up by
`date.toordinal()` after workalendar's `cleaned_date`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from workalendar.core import SAT, SUN, Calendar, cleaned_date

from calendars.datafiles import shipped_data
from calendars.errors import CalendarRangeError
from calendars.model import CalendarData, NonWorkingDay, WorkedDay
from calendars.overrides import apply_overrides
from calendars.rules import YearDays, compute_year, is_weekend


class PreviousKazakhstanCalendar(Calendar):
    """Working days of the Republic of Kazakhstan (rules 1-4 of docs/calendar.md).

    Behaves as workalendar documents its `Calendar` (a step never counts its start
    day); `add_working_days`, `sub_working_days` and `get_working_days_delta` look
    up a precomputed index of working days instead of walking day by day.
    """

    WEEKEND_DAYS = (SAT, SUN)
    include_new_years_day = False  # the data files carry every holiday

    def __init__(self, overrides: dict[str, Any] | None = None, language: str = "en",
                 data: CalendarData | None = None):
        super().__init__()
        self.data = apply_overrides(data or shipped_data(), overrides)
        self.language = language
        self.first_year, self.last_year = self.data.first_year, self.data.last_year
        self._years = {y: compute_year(self.data, y)
                       for y in range(self.first_year, self.last_year + 1)}
        self._build_index()

    # -- the index ---------------------------------------------------------------

    def _build_index(self) -> None:
        first = date(self.first_year, 1, 1)
        last = date(self.last_year, 12, 31)
        self._base = first.toordinal()
        size = last.toordinal() - self._base + 1
        working = bytearray(size)
        ordinals: list[int] = []
        cumulative: list[int] = [0] * size  # working days in [first, day]
        count = 0
        for i in range(size):
            day = date.fromordinal(self._base + i)
            yd = self._years[day.year]
            if day in yd.worked or (not is_weekend(day) and day not in yd.off):
                working[i] = 1
                ordinals.append(self._base + i)
                count += 1
            cumulative[i] = count
        self._working = bytes(working)
        self._ordinals = ordinals
        self._cumulative = cumulative

    def _offset(self, day: date) -> int:
        i = day.toordinal() - self._base
        if not 0 <= i < len(self._working):
            raise CalendarRangeError(
                f"{day.isoformat()} is outside the calendar's years "
                f"{self.first_year}-{self.last_year}"
            )
        return i

    # -- what the data says about a year -------------------------------------------

    def year_days(self, year: int) -> YearDays:
        """The year's non-working days and worked weekend days, with names and references."""
        if year not in self._years:
            raise CalendarRangeError(
                f"{year} is outside the calendar's years {self.first_year}-{self.last_year}"
            )
        return self._years[year]

    def non_working_weekdays(self, year: int) -> list[NonWorkingDay]:
        """Monday-Friday days off of `year` (what an officer must plan around)."""
        return [d for d in self.year_days(year).off.values() if not is_weekend(d.date)]

    def working_weekend_days(self, year: int) -> list[WorkedDay]:
        """Saturdays and Sundays of `year` that are working days."""
        return [d for d in self.year_days(year).worked.values() if is_weekend(d.date)]

    def decree_notice(self, year: int) -> str | None:
        """None when the year's transfer decree is loaded, else a sentence that says it is not."""
        if self.year_days(year).decree_loaded:
            return None
        return f"{year}: no transfer decree loaded; days follow the holiday and weekend-shift rules"

    def is_ordinary(self, day: date) -> bool:
        """True when no holiday, shift, transfer or override touches `day`."""
        day = cleaned_date(day)
        yd = self.year_days(day.year)
        return day not in yd.worked and day not in yd.off

    def reason(self, day: date) -> str:
        """Why `day` is or is not a working day, in the calendar's language."""
        day = cleaned_date(day)
        yd = self.year_days(day.year)
        if day in yd.worked:
            return yd.worked[day].reason(self.language)
        if day in yd.off:
            return yd.off[day].name(self.language)
        if is_weekend(day):
            return {"kk": "Демалыс күні", "ru": "Выходной день", "en": "Weekend"}[self.language]
        return {"kk": "Жұмыс күні", "ru": "Рабочий день", "en": "Working day"}[self.language]

    # -- workalendar API -------------------------------------------------------------

    def get_calendar_holidays(self, year: int) -> list[tuple[date, str]]:
        return [(d, nw.name(self.language)) for d, nw in self.year_days(year).off.items()]

    def is_working_day(self, day, extra_working_days=None, extra_holidays=None) -> bool:
        day = cleaned_date(day)
        if extra_working_days and day in tuple(map(cleaned_date, extra_working_days)):
            return True
        if extra_holidays and day in tuple(map(cleaned_date, extra_holidays)):
            return False
        return bool(self._working[self._offset(day)])

    def is_holiday(self, day, extra_holidays=None) -> bool:
        day = cleaned_date(day)
        if extra_holidays and day in tuple(map(cleaned_date, extra_holidays)):
            return True
        return day in self.year_days(day.year).off

    def add_working_days(self, day, delta, extra_working_days=None, extra_holidays=None,
                         keep_datetime=False):
        if extra_working_days or extra_holidays:
            return super().add_working_days(day, delta, extra_working_days, extra_holidays,
                                            keep_datetime)
        start = cleaned_date(day)
        i = self._offset(start)
        if delta == 0:
            result = start
        else:
            if delta > 0:
                k = self._cumulative[i] + delta - 1
            else:
                k = self._cumulative[i] - self._working[i] + delta
            if not 0 <= k < len(self._ordinals):
                raise CalendarRangeError(
                    f"{start.isoformat()} {delta:+d} working days is outside the calendar's "
                    f"years {self.first_year}-{self.last_year}"
                )
            result = date.fromordinal(self._ordinals[k])
        if keep_datetime and isinstance(day, datetime):
            return day + timedelta(days=(result - start).days)
        return result

    def sub_working_days(self, day, delta, extra_working_days=None, extra_holidays=None,
                         keep_datetime=False):
        return self.add_working_days(day, -abs(delta), extra_working_days, extra_holidays,
                                     keep_datetime)

    def get_working_days_delta(self, start, end, include_start=False, extra_working_days=None,
                               extra_holidays=None) -> int:
        if extra_working_days or extra_holidays:
            return super().get_working_days_delta(start, end, include_start, extra_working_days,
                                                  extra_holidays)
        start, end = cleaned_date(start), cleaned_date(end)
        if start == end:
            return 0
        if start > end:
            start, end = end, start
        i, j = self._offset(start), self._offset(end)
        count = self._cumulative[j] - self._cumulative[i]
        if include_start:
            count += self._working[i]
        return count

    # -- the definitional walk, for tests and benchmarks -------------------------------

    def walk_add_working_days(self, day: date, delta: int) -> date:
        """workalendar's own day-by-day walk over this calendar's days (slow; the reference)."""
        return Calendar.add_working_days(self, day, delta)

    def walk_working_days_delta(self, start: date, end: date, include_start: bool = False) -> int:
        return Calendar.get_working_days_delta(self, start, end, include_start)
