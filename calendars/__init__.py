"""The Kazakh working-day calendar (leaf package: imports nothing else of merzim)."""

from calendars.errors import CalendarDataError, CalendarError, CalendarRangeError
from calendars.kazakhstan import KazakhstanCalendar

__all__ = ["CalendarDataError", "CalendarError", "CalendarRangeError", "KazakhstanCalendar"]
