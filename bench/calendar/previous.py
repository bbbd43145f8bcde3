"""The calendar of the previous head (commit 1056b99), read from git (bench/previous.py).

`bench/calendar/run.py` times it in the same run as the current `KazakhstanCalendar`, so
the ratio between the two does not depend on the machine's load at different times. Its
index: a bytearray of working days, prefix counts and working-day ordinals, looked up by
`date.toordinal()` after workalendar's `cleaned_date`.
"""

from __future__ import annotations

from bench.previous import from_commit

PreviousKazakhstanCalendar = from_commit("1056b99", "calendars/kazakhstan.py").KazakhstanCalendar
