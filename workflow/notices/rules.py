"""The notification centre's rules, pure: item kinds and keys, and a person's reminder
preferences typed in a form, checked."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from workflow.core.errors import UsageError

OVERDUE, DUE_SOON, RECORDED, WITHDRAWN, ASSIGNED = (
    "overdue", "due_soon", "recorded", "withdrawn", "assigned")
ESCALATED = "escalated"  # a manager's: a stage of his subtree overdue, as his digest escalates it
MENTIONED = "mentioned"  # a comment on a case names her as @login
KINDS = (OVERDUE, ESCALATED, DUE_SOON, RECORDED, WITHDRAWN, ASSIGNED, MENTIONED)
STAGE_KINDS = (OVERDUE, ESCALATED, DUE_SOON)
KIND_ORDER = {k: i for i, k in enumerate(KINDS)}
CHANNELS = ("email", "telegram")
MAX_ITEMS = 200  # a person's centre lists at most this many items (the newest first)
RECENT_DAYS = 30  # records, withdrawals and assignments by others: those of the last 30 days
PAGE = 50
MAX_OFFSET = 30  # working days before a due date a person may ask to be told


@dataclass(frozen=True)
class Item:
    """One item of a person's centre. `at` orders it (an ISO day or time); `case` is the case's
    number; `stage` a stage's key or, for a record, its event; `actor` who did it."""

    kind: str
    case: int
    at: str
    stage: str = ""
    due: date | None = None
    days: int = 0  # working days left (due soon) or overdue
    actor: str = ""
    record: int | None = None

    @functools.cached_property
    def key(self) -> str:
        """Stable while the item means the same: a stage's item changes with its due date
        (worked out once per item: items are frozen, and a manager's escalations are shared
        between his bell's reads)."""
        if self.kind in STAGE_KINDS:
            return f"{self.kind}:{self.case}:{self.stage}:{self.due}"
        if self.kind == RECORDED:
            return f"{self.kind}:{self.record}"
        if self.kind == MENTIONED:
            return f"{self.kind}:{self.record}:{self.at}"
        return f"{self.kind}:{self.case}:{self.at}"


def ordered(items: list[Item]) -> list[Item]:
    """Overdue first (the longest overdue first), then the escalated stages of others, then
    due soon (the nearest first), then the rest, newest first; at most MAX_ITEMS."""
    stages = sorted((i for i in items if i.kind in STAGE_KINDS),
                    key=lambda i: (KIND_ORDER[i.kind], i.due, i.case, i.stage))
    others = sorted((i for i in items if i.kind not in STAGE_KINDS),
                    key=lambda i: (i.at, i.case), reverse=True)
    return (stages + others)[:MAX_ITEMS]


def parse_channels(values: list[str]) -> str:
    """The channels ticked in the form, checked: stored as "email,telegram" ("" for none)."""
    for v in values:
        if v not in CHANNELS:
            raise UsageError(f"unknown channel {v!r}", key="notices.error_channel", value=v)
    return ",".join(c for c in CHANNELS if c in values)


def parse_before(text: str) -> str | None:
    """"5, 1, 0" → "5,1,0" (largest first, each once); blank → None (the organisation's)."""
    text = (text or "").strip()
    if not text:
        return None
    days = set()
    bad: list[str] = []  # every value that is no day count, each named
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit() or int(part) > MAX_OFFSET:
            bad.append(part[:20])
        else:
            days.add(int(part))
    if len(bad) == 1:
        raise UsageError(f"bad day count {bad[0]!r}", key="notices.error_before",
                         value=bad[0], limit=MAX_OFFSET)
    if bad:
        shown = list(dict.fromkeys(bad))[:10]
        raise UsageError(f"bad day counts {', '.join(shown)}", key="notices.error_before_many",
                         n=len(shown), values=", ".join(shown), limit=MAX_OFFSET)
    return ",".join(str(d) for d in sorted(days, reverse=True)) or None


def before_days(stored: str | None) -> tuple[int, ...] | None:
    return tuple(int(x) for x in stored.split(",") if x) if stored is not None else None


def parse_hour(text: str) -> int | None:
    """The digest hour 0-23; blank → None (the organisation's send time)."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > 23:
        raise UsageError(f"bad hour {text!r}", key="notices.error_hour", value=text[:20])
    return int(text)


def check_snooze(until: date, today: date) -> None:
    """A snooze ends after today (a day in the past or today would hold nothing)."""
    if until <= today:
        raise UsageError("a snooze ends after today", key="notices.error_snooze_past",
                         value=until.isoformat())
