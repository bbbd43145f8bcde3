"""Errors the calendar raises: each carries a message an operator can act on."""


class CalendarError(ValueError):
    """Base class of calendar errors."""


class CalendarDataError(CalendarError):
    """A data file or an operator override is malformed or contradicts the rules."""


class CalendarRangeError(CalendarError):
    """A date lies outside the years the calendar has data for."""
