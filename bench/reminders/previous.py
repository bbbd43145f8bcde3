"""The email channel of the previous head (commit 1056b99), read from git (bench/previous.py).

One SMTP session per message. `bench/reminders/run.py` times it in the same run as the
current channel (one session reused across a dispatch run), for the ratio.
"""

from __future__ import annotations

from bench.previous import from_commit

PreviousEmailChannel = from_commit("1056b99", "notifications/email.py").EmailChannel
