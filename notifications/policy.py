"""Reminder policy: who hears about which stage on a given day (a pure function of plain data).

Before a due date the responsible officer is told at fixed working-day offsets (default
5, 1 and 0); after it, every working day; managers of the organisation and of its
parents (up to `escalate_levels` up) get the overdue items from the first working day
overdue. Nothing is planned on a non-working day. Each recipient gets one digest a day.

A stage whose case was opened after its due date (an earlier period back-filled by an office
that adopts merzim mid-year) is overdue to its officer from the day it was opened, and its
escalation counts the working days from that day, not from the due date
(`escalation_days`): the managers are not flooded with months-old escalations on the day of
the back-fill.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from calendars import KazakhstanCalendar
from notifications.settings import ReminderSettings

DUE_SOON, DUE_TODAY, OVERDUE, ESCALATION = "due_soon", "due_today", "overdue", "escalation"
KIND_ORDER = {OVERDUE: 0, ESCALATION: 1, DUE_TODAY: 2, DUE_SOON: 3}


@dataclass(frozen=True)
class Recipient:
    """A person who can be reminded; `org_path` is '/root/.../own/' of their organisation."""

    id: int
    name: str
    role: str
    language: str
    org_path: str
    email: str | None = None
    telegram_chat_id: str | None = None
    # her preferences; None: the organisation's settings
    channels: tuple[str, ...] | None = None
    before: tuple[int, ...] | None = None  # working days before a due date
    digest_hour: int | None = None
    muted: frozenset[int] = frozenset()  # cases she hears nothing of
    snoozed: frozenset[tuple[int, str]] = frozenset()  # (case, stage) held today

    def hears(self, item: StageItem) -> bool:
        """Whether she is told of this item at all (a muted case, a snoozed stage: no)."""
        return item.analysis_id not in self.muted and \
            (item.analysis_id, item.stage_key) not in self.snoozed


@dataclass(frozen=True)
class StageItem:
    """An open stage with a due date, as the policy needs it (`analysis_id` is its case's id,
    whatever the process). A case about a person carries no name of the person."""

    analysis_id: int
    stage_key: str
    stage_names: dict[str, str]
    due: date
    subject_code: str
    subject_name: str
    object_code: str
    subject_path: str
    responsible_id: int | None
    projected: bool = False
    before: tuple[int, ...] | None = None  # per-stage override of the settings' offsets
    process: str = ""  # the key of the case's process definition
    process_names: dict[str, str] = field(default_factory=dict)  # its name in kk, ru, en
    period: str | None = None  # a recurring obligation's period ("2026Q4")
    period_names: dict[str, str] = field(default_factory=dict)  # its name in kk, ru, en
    internal_analysis: bool = True  # an internal analysis (else a procedure's or an
    #                                 obligation's case): listed first, named "analysis #N"
    subject_names: dict[str, str] = field(default_factory=dict)  # the subject in kk, ru, en
    object_names: dict[str, str] = field(default_factory=dict)  # the object in kk, ru, en
    # who set the due date when the sources give none: "I-2", "merzim" (I-17); "": the sources
    due_basis: str = ""
    # the day its case was opened, when after the due date (an earlier period opened late, as
    # the back-fill of an office adopting merzim mid-year opens it): escalations count from it
    opened_late: date | None = None


def escalation_days(item: StageItem, today: date, cal: KazakhstanCalendar) -> int:
    """The working days overdue an escalation counts: from the due date, or, for a stage
    whose case was opened after it was due, from the day it was opened. The officer hears of
    such a stage as overdue from that day; the managers hear of it only once it has stayed
    overdue `escalate_after` working days since, never on the day it was opened."""
    start = item.due
    if item.opened_late is not None and item.opened_late > start:
        start = item.opened_late
    return cal.get_working_days_delta(start, today) if today > start else 0


@dataclass(frozen=True)
class Line:
    """One item of a digest."""

    kind: str
    working_days: int  # left (due soon / today) or overdue (overdue / escalation)
    item: StageItem


@dataclass
class Digest:
    recipient: Recipient
    day: date
    lines: list[Line] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for line in self.lines:
            out[line.kind] = out.get(line.kind, 0) + 1
        return out


def ancestors(path: str, levels: int) -> list[str]:
    """The organisation path itself and up to `levels` parent paths."""
    parts = [p for p in path.strip("/").split("/") if p]
    out = []
    for up in range(0, levels + 1):
        if up >= len(parts):
            break
        out.append("/" + "/".join(parts[: len(parts) - up]) + "/")
    return out


def escalated_to(item: StageItem, late: int, settings: ReminderSettings) -> list[str]:
    """The organisation paths whose managers hear of an item `late` working days overdue (its
    subject's and up to `escalate_levels` above it, from `escalate_after` working days on;
    none before): the digest's escalations and the managers' notification centres both ask
    this."""
    if late < 1 or late < settings.escalate_after:
        return []
    return ancestors(item.subject_path, settings.escalate_levels)


def officers_by_path(people: Iterable[Recipient]) -> dict[str, list[int]]:
    """The ids of the officers of each organisation path."""
    out: dict[str, list[int]] = {}
    for r in people:
        if r.role == "officer":
            out.setdefault(r.org_path, []).append(r.id)
    return out


def owner_ids(responsible_id: int | None, subject_path: str, people: dict[int, Recipient],
              officers_at: dict[str, list[int]]) -> list[int]:
    """Who answers for an analysis's stage: its responsible officer; when none is named or
    that account is inactive (not among `people`), every active officer of the subject
    organisation, so that a stage never goes unreminded because its officer left."""
    if responsible_id in people:
        return [responsible_id]
    return officers_at.get(subject_path, [])


def plan_digests(items: Iterable[StageItem], recipients: Iterable[Recipient], today: date,  # noqa: C901
                 cal: KazakhstanCalendar, settings: ReminderSettings) -> list[Digest]:
    """The digests to send on `today`, one per recipient with something to say."""
    if not cal.is_working_day(today):
        return []
    people = {r.id: r for r in recipients}
    managers_at: dict[str, list[Recipient]] = {}
    for r in people.values():
        if r.role == "manager":
            managers_at.setdefault(r.org_path, []).append(r)
    officers_at = officers_by_path(people.values())

    def owners(item: StageItem) -> list[int]:
        return owner_ids(item.responsible_id, item.subject_path, people, officers_at)

    lines: dict[int, list[Line]] = {}
    for item in items:
        if item.due >= today:
            left = cal.get_working_days_delta(today, item.due)
            for owner in owners(item):
                person = people[owner]
                # her own days win over the stage's and the organisation's
                offsets = person.before if person.before is not None else \
                    item.before if item.before is not None else settings.before
                if left in offsets and person.hears(item):
                    kind = DUE_TODAY if left == 0 else DUE_SOON
                    lines.setdefault(owner, []).append(Line(kind, left, item))
            continue
        late = cal.get_working_days_delta(item.due, today)
        if late < 1:
            continue  # due on a day off just passed: not yet a working day overdue
        if settings.overdue_daily:
            for owner in owners(item):
                if people[owner].hears(item):
                    lines.setdefault(owner, []).append(Line(OVERDUE, late, item))
        for path in escalated_to(item, escalation_days(item, today, cal), settings):
            for manager in managers_at.get(path, []):
                if manager.hears(item):
                    lines.setdefault(manager.id, []).append(Line(ESCALATION, late, item))
    digests = []
    for rid in sorted(lines):
        ordered = sorted(lines[rid], key=lambda ln: (KIND_ORDER[ln.kind], ln.item.due,
                                                     ln.item.analysis_id, ln.item.stage_key))
        digests.append(Digest(people[rid], today, ordered))
    return digests
