"""`KazakhstanCalendar`: workalendar's Calendar API over correct Kazakh data, with O(1) arithmetic."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from workalendar.core import SAT, SUN, Calendar, cleaned_date

from calendars.datafiles import shipped_data
from calendars.errors import CalendarRangeError
from calendars.model import CalendarData, NonWorkingDay, WorkedDay
from calendars.overrides import apply_overrides
from calendars.rules import YearDays, compute_year, is_weekend

# The tables computed from a data object, by its identity (the object is kept, so its id is
# not reused): every calendar without operator overrides shares `shipped_data()`'s object, and
# a process that builds many calendars (each `merzim` command run in a test process, a web
# process's contexts) computes the years and tables once. The tables are only read after
# they are built; CalendarData is frozen (its dicts are never changed after loading).
_BUILT: dict[int, tuple[Any, ...]] = {}


class KazakhstanCalendar(Calendar):
    """Working days of the Republic of Kazakhstan (rules 1-4 of docs/calendar.md).

    Behaves as workalendar documents its `Calendar` (a step never counts its start
    day); `is_working_day`, `add_working_days`, `sub_working_days` and
    `get_working_days_delta` look up flat tables built once per calendar (and rebuilt
    when its `data` is replaced) instead of walking day by day.
    """

    WEEKEND_DAYS = (SAT, SUN)
    include_new_years_day = False  # the data files carry every holiday

    def __init__(self, overrides: dict[str, Any] | None = None, language: str = "en",
                 data: CalendarData | None = None):
        super().__init__()
        self.language = language
        self.data = apply_overrides(data or shipped_data(), overrides)

    @property
    def data(self) -> CalendarData:
        """What the calendar is computed from; assigning new data rebuilds the tables."""
        return self._data

    @data.setter
    def data(self, value: CalendarData) -> None:
        self._data = value
        self.first_year, self.last_year = value.first_year, value.last_year
        built = _BUILT.get(id(value))
        if built is not None and built[0] is value:  # the same data object: its tables
            self._years, self._dates, self._upto, self._before, self._is_working = built[1:]
            return
        self._years = {y: compute_year(value, y)
                       for y in range(self.first_year, self.last_year + 1)}
        self._build_tables()
        if len(_BUILT) >= 8:  # bounded: the oldest goes
            del _BUILT[next(iter(_BUILT))]
        _BUILT[id(value)] = (value, self._years, self._dates, self._upto, self._before,
                             self._is_working)

    # -- the tables ----------------------------------------------------------------

    def _build_tables(self) -> None:
        """Flat lookup tables over every day of the calendar's years, keyed by the date.

        `_dates[k]` is the k-th working day (0-based); for each covered day, `_upto[day]`
        is the index in `_dates` of the last working day on or before it (-1 before the
        first one) and `_before[day]` the number of working days strictly before it;
        `_is_working[day]` says whether it is one. Every hot query is then one or two
        dictionary lookups and a list index, whatever the step; a day outside the
        calendar's years is missing from the dictionaries, which sends the call to the
        checked path that raises `CalendarRangeError`.
        """
        day = date(self.first_year, 1, 1)
        last = date(self.last_year, 12, 31)
        one = timedelta(days=1)
        dates: list[date] = []
        upto: dict[date, int] = {}
        before: dict[date, int] = {}
        is_working: dict[date, bool] = {}
        while day <= last:
            yd = self._years[day.year]
            working = day in yd.worked or (not is_weekend(day) and day not in yd.off)
            before[day] = len(dates)
            if working:
                dates.append(day)
            upto[day] = len(dates) - 1
            is_working[day] = working
            day += one
        self._dates = dates
        self._upto = upto
        self._before = before
        self._is_working = is_working

    def _check(self, day: date) -> date:
        """`day` as a plain date inside the calendar's years, or `CalendarRangeError`."""
        day = cleaned_date(day)
        day = date(day.year, day.month, day.day)  # a subclass of date is looked up as a date
        if day not in self._is_working:
            raise CalendarRangeError(
                f"{day.isoformat()} is outside the calendar's years "
                f"{self.first_year}-{self.last_year}"
            )
        return day

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
        if not extra_working_days and not extra_holidays:
            try:  # the fast path: a plain date inside the calendar's years
                return self._is_working[day]
            except (KeyError, TypeError):  # a datetime, a day outside the years, not a date
                pass
        day = cleaned_date(day)
        if extra_working_days and day in tuple(map(cleaned_date, extra_working_days)):
            return True
        if extra_holidays and day in tuple(map(cleaned_date, extra_holidays)):
            return False
        return self._is_working[self._check(day)]

    def is_holiday(self, day, extra_holidays=None) -> bool:
        day = cleaned_date(day)
        if extra_holidays and day in tuple(map(cleaned_date, extra_holidays)):
            return True
        return day in self.year_days(day.year).off

    def add_working_days(self, day, delta, extra_working_days=None, extra_holidays=None,
                         keep_datetime=False):
        if not extra_working_days and not extra_holidays:
            try:  # the fast path: a plain date inside the calendar's years, an int step
                if delta > 0:
                    return self._dates[self._upto[day] + delta]
                if delta < 0:
                    k = self._before[day] + delta
                    if k >= 0:
                        return self._dates[k]
                elif day in self._is_working:
                    return day
            except (KeyError, IndexError, TypeError):
                pass  # the checked path below answers, or raises the error that says why
        else:
            return super().add_working_days(day, delta, extra_working_days, extra_holidays,
                                            keep_datetime)
        start = self._check(day)
        if delta == 0:
            result = start
        else:
            k = self._upto[start] + delta if delta > 0 else self._before[start] + delta
            if not 0 <= k < len(self._dates):
                raise CalendarRangeError(
                    f"{start.isoformat()} {delta:+d} working days is outside the calendar's "
                    f"years {self.first_year}-{self.last_year}"
                )
            result = self._dates[k]
        if keep_datetime and isinstance(day, datetime):
            return day + timedelta(days=(result - start).days)
        return result

    def sub_working_days(self, day, delta, extra_working_days=None, extra_holidays=None,
                         keep_datetime=False):
        if not extra_working_days and not extra_holidays:
            try:  # the fast path, as in add_working_days with -abs(delta)
                if delta:
                    k = self._before[day] - (delta if delta > 0 else -delta)
                    if k >= 0:
                        return self._dates[k]
                elif day in self._is_working:
                    return day
            except (KeyError, TypeError):
                pass
        return self.add_working_days(day, -abs(delta), extra_working_days, extra_holidays,
                                     keep_datetime)

    def get_working_days_delta(self, start, end, include_start=False, extra_working_days=None,
                               extra_holidays=None) -> int:
        if extra_working_days or extra_holidays:
            return super().get_working_days_delta(start, end, include_start, extra_working_days,
                                                  extra_holidays)
        try:  # the fast path: two plain dates inside the calendar's years
            if start < end:
                if include_start:
                    return self._upto[end] + 1 - self._before[start]
                return self._upto[end] - self._upto[start]
            if end < start:
                if include_start:
                    return self._upto[start] + 1 - self._before[end]
                return self._upto[start] - self._upto[end]
        except (KeyError, TypeError):
            pass
        start, end = cleaned_date(start), cleaned_date(end)
        if start == end:
            return 0
        if start > end:
            start, end = end, start
        start, end = self._check(start), self._check(end)
        if include_start:
            return self._upto[end] + 1 - self._before[start]
        return self._upto[end] - self._upto[start]

    # -- the definitional walk, for tests and benchmarks -------------------------------

    def walk_add_working_days(self, day: date, delta: int) -> date:
        """workalendar's own day-by-day walk over this calendar's days (slow; the reference)."""
        return Calendar.add_working_days(self, day, delta)

    def walk_working_days_delta(self, start: date, end: date, include_start: bool = False) -> int:
        return Calendar.get_working_days_delta(self, start, end, include_start)
