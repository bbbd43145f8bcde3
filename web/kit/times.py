"""A moment as every page shows it: in the configured time zone (`[general] timezone`, the
settings' `tz`), to the minute. Stored moments are UTC (ISO text or a Unix time); no page
shows one in UTC beside another in local time."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any


def local_time(value: Any, tz: tzinfo) -> str:
    """`value` (ISO 8601 text, a Unix time or an aware datetime; a naive one is UTC) as
    "YYYY-MM-DD HH:MM" in `tz`; what is none of them is shown as given ("" for None)."""
    if value is None or value == "":
        return ""
    try:
        if isinstance(value, (int, float)):
            moment = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, datetime):
            moment = value
        else:
            moment = datetime.fromisoformat(str(value))
    except (TypeError, ValueError, OverflowError, OSError):
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
