"""Reminder planning: read open stages and recipients, apply the policy, write outbox rows."""

from __future__ import annotations

import hashlib
import json
import time as clock
from datetime import date, time, timedelta
from typing import Any, Protocol

from sqlalchemy import text
from sqlmodel import Session, col, select

from notifications.policy import (
    Digest,
    Recipient,
    StageItem,
    officers_by_path,
    owner_ids,
    plan_digests,
)
from notifications.render import render_blocked, render_digest, render_moved
from workflow.core.joining import DEFAULT_CONFIRM_DAYS
from workflow.reminders.outbound import OutboundCase, describe, moved_line, stage_item
from workflow.settings import NotifySettings
from workflow.storage.models import (
    OPEN,
    Case,
    Organisation,
    OutboxMessage,
    ReminderHold,
    ReminderPreference,
    Stage,
    User,
)
from workflow.storage.queries import joining, live_case

PLANNER_LOCK = 7_243_002  # PostgreSQL advisory lock: one planner at a time
DAILY = "daily"


def recipients(s: Session, today: date | None = None) -> list[Recipient]:
    """The active users with their reminder preferences (channels, days
    before a due date, digest hour) and, given `today`, the cases they muted and the stages
    they snoozed past it."""
    rows = s.exec(select(User, Organisation)
                  .join(Organisation, col(Organisation.id) == User.organisation_id)
                  .where(User.active))
    prefs = {p.user_id: p for p in s.exec(select(ReminderPreference))}
    muted: dict[int, set[int]] = {}
    snoozed: dict[int, set[tuple[int, str]]] = {}
    if today is not None:
        for h in s.exec(select(ReminderHold)):
            if h.stage_key is None:
                muted.setdefault(h.user_id, set()).add(h.case_id)
            elif h.until is not None and h.until > today:
                snoozed.setdefault(h.user_id, set()).add((h.case_id, h.stage_key))
    out = []
    for u, o in rows:
        uid = u.id
        p = prefs.get(uid)
        out.append(Recipient(
            uid, u.full_name, u.role, u.language, o.path, u.email,
            u.telegram_chat_id if u.telegram_active else None,
            channels=tuple(c for c in p.channels.split(",") if c)
            if p is not None and p.channels is not None else None,
            before=tuple(int(x) for x in p.before.split(",") if x)
            if p is not None and p.before is not None else None,
            digest_hour=p.digest_hour if p is not None else None,
            muted=frozenset(muted.get(uid, ())), snoozed=frozenset(snoozed.get(uid, ()))))
    return out


class Context(Protocol):
    """What the planner needs of a use case's context (the service layer passes its own)."""

    calendar: Any
    registry: Any  # the process definitions, by key (stage names, per-stage reminder offsets)
    today: date
    language: str


def open_items(s: Session, ctx: Context, horizon: date) -> list[StageItem]:
    """Open stages of every case due on or before `horizon` (everything overdue included);
    a closed case has no open stage. Every process's cases: the internal analysis, the
    procedures and the recurring obligations (each item names its process, for the digest's
    grouping, and an obligation's period); never the person a case is about. A stage before
    its organisation joined mid-year (B-25, workflow/core/joining.py) is left out while it is
    to confirm: no reminder, no escalation, until it is ordinary again."""
    confirming = joining.confirming_orgs(s, ctx.calendar, ctx.today, _confirm_days(ctx))
    query = (select(Stage, Case, Organisation)
             .join(Case, col(Stage.case_id) == Case.id)
             .join(Organisation, col(Organisation.id) == Stage.subject_id)
             .where(Stage.status == OPEN, col(Stage.due_date).is_not(None),
                    col(Stage.due_date) <= horizon, joining.ordinary(confirming),
                    live_case()))  # (a withdrawn case: none open)
    objects: dict[int | None, Organisation | None] = {None: None}
    described: dict[int, OutboundCase] = {}
    items = []
    for stage, analysis, subject in s.exec(query):
        if stage.due_date is None:  # (none: the WHERE reads stages with a due date)
            continue
        if analysis.id not in described:
            if analysis.object_id not in objects:
                objects[analysis.object_id] = s.get(Organisation, analysis.object_id)
            described[analysis.id] = describe(ctx, analysis, subject,
                                              objects[analysis.object_id])
        items.append(stage_item(ctx, described[analysis.id], stage,
                                _opened_late(analysis, stage.due_date)))
    return items


def _confirm_days(ctx: Context) -> int:
    """The working days an organisation that joined mid-year confirms its earlier stages."""
    return getattr(ctx, "joining_confirm_days", DEFAULT_CONFIRM_DAYS)


def _opened_late(case: Case, due: date) -> date | None:
    """The day a recurring obligation's case was opened (`typed_on`, merzim's today then),
    when that was after the stage's due date: an earlier period back-filled (`obligations sync
    --from`) or opened by hand. Its escalations count from that day (`escalation_days`)."""
    if case.period is None or case.typed_on is None or case.typed_on <= due:
        return None
    return case.typed_on


def preview(s: Session, ctx: Context, ns: NotifySettings) -> list[Digest]:
    """The digests of `ctx.today` (nothing is written)."""
    people = recipients(s, ctx.today)
    per_stage = [x for d in ctx.registry.all() for st in d.stages.values()
                 for x in (st.remind_before or ())]
    per_person = [x for r in people for x in (r.before or ())]
    most = max([*ns.policy.before, *per_stage, *per_person], default=0)
    # Every day up to the next working day after the furthest offset: a stage due on a day off
    # (an end planned on a Saturday) is that many working days away too.
    horizon = ctx.calendar.add_working_days(ctx.today, most + 1) - timedelta(days=1)
    return plan_digests(open_items(s, ctx, horizon), people, ctx.today, ctx.calendar,
                        ns.policy)


def address_for(recipient: Recipient, channel: str) -> str | None:
    """Where a channel reaches her; None when it does not, or she chose other channels."""
    if recipient.channels is not None and channel not in recipient.channels:
        return None
    return recipient.email if channel == "email" else recipient.telegram_chat_id


def digest_due(recipient: Recipient, now: time | None, send_time: time) -> bool:
    """Whether her digest of today may be planned at `now` (None: the send time has come for
    everyone, as with a pinned day or `merzim remind`): from her digest hour when she chose
    one, else from the organisation's send time."""
    if now is None:
        return True
    if recipient.digest_hour is not None:
        return now.hour >= recipient.digest_hour
    return now >= send_time


def early_hours(s: Session) -> list[int]:
    """The digest hours people chose (the worker plans before the send time only for them)."""
    return sorted(set(s.exec(select(ReminderPreference.digest_hour).where(
        col(ReminderPreference.digest_hour).is_not(None))).all()) - {None})  # type: ignore[arg-type]


def reminder_days(s: Session, user_id: int, default: tuple[int, ...]) -> tuple[int, ...]:
    """The working days before a due date a person is reminded: her own,
    else the organisation's `default` (the calendar feed's alarms)."""
    pref = s.get(ReminderPreference, user_id)
    if pref is None or pref.before is None:
        return default
    return tuple(int(x) for x in pref.before.split(",") if x)


def _exists(s: Session, recipient_id: int, channel: str, day: date, digest: str) -> bool:
    return s.exec(select(OutboxMessage.id).where(
        OutboxMessage.recipient_id == recipient_id, OutboxMessage.channel == channel,
        OutboxMessage.local_day == day, OutboxMessage.digest == digest)).first() is not None


def enqueue(s: Session, recipient_id: int, channel: str, day: date, digest: str, address: str,
            subject: str, body_text: str, body_html: str) -> OutboxMessage | None:
    """Write one outbox row unless its key is already there (written once)."""
    if _exists(s, recipient_id, channel, day, digest):
        return None
    row = _outbox_row(recipient_id, channel, day, digest, address, subject, body_text,
                      body_html)
    s.add(row)
    s.flush()
    return row


def enqueue_new(s: Session,
                messages: list[tuple[int, str, date, str, str, str, str, str]]) -> None:
    """Write outbox rows whose keys are new by construction (each names a row the same
    transaction has just written, as a batch of invitations): no look-up of each key, one
    bulk insert for them all (the columns `enqueue` leaves to their defaults as it leaves
    them). `messages`: `enqueue`'s arguments after the session."""
    from workflow.storage.bulkinsert import insert_rows
    from workflow.storage.models import table_of

    if not messages:
        return
    table = table_of(OutboxMessage)
    names = [c.name for c in table.columns if c.name != "id"]
    template = _outbox_row(0, "", date.min, "", "", "", "", "")
    fixed = {name: getattr(template, name) for name in names}
    keys = ("recipient_id", "channel", "local_day", "digest", "address", "subject",
            "body_text", "body_html")
    rows = []
    for message in messages:
        values = {**fixed, **dict(zip(keys, message, strict=True))}
        values["subject"] = values["subject"][:500]
        rows.append(tuple(values[name] for name in names))
    insert_rows(s.connection(), table, names, rows)


def _outbox_row(recipient_id: int, channel: str, day: date, digest: str, address: str,
                subject: str, body_text: str, body_html: str) -> OutboxMessage:
    return OutboxMessage(recipient_id=recipient_id, channel=channel, local_day=day,
                         digest=digest, address=address, subject=subject[:500],
                         body_text=body_text, body_html=body_html, status="pending",
                         next_attempt_at=0.0, created_at=clock.time())


def plan_reminders(s: Session, ctx: Context, ns: NotifySettings,
                   now: time | None = None) -> list[OutboxMessage]:
    """Write today's digests to the outbox (idempotent; one planner at a time on PostgreSQL);
    given the local time `now`, only of those whose digest hour (or the send time) has come."""
    if s.get_bind().dialect.name == "postgresql":
        got = s.execute(text("SELECT pg_try_advisory_xact_lock(:k, hashtext(current_schema()))"),
                        {"k": PLANNER_LOCK}).scalar()
        if not got:
            return []
    written = []
    for digest in preview(s, ctx, ns):
        if not digest_due(digest.recipient, now, ns.send_time):
            continue
        rendered = None
        for channel in ns.channels:
            address = address_for(digest.recipient, channel)
            if not address:
                continue
            rendered = rendered or render_digest(digest, ns.public_url)
            row = enqueue(s, digest.recipient.id, channel, ctx.today, DAILY, address,
                          rendered.subject, rendered.text, rendered.html)
            if row is not None:
                row.stages = digest_stages(digest)  # what its snooze buttons snooze (0014)
                written.append(row)
    return written


def digest_stages(digest: Digest) -> str:
    """The stages a digest lists, JSON [[case id, stage key], …] in its order, each once."""
    seen: dict[tuple[int, str], None] = {}
    for ln in digest.lines:
        seen.setdefault((ln.item.analysis_id, ln.item.stage_key), None)
    return json.dumps([list(k) for k in seen])


def notify_moved(s: Session, ctx: Context, ns: NotifySettings,
                 moved: list[dict]) -> list[OutboxMessage]:
    """Queue one message per owner and channel listing the deadlines a re-planning moved
    (journey 5). The owners are those the reminders go to (`policy.owner_ids`).

    The outbox key holds a hash of the recipient's moves, so running `replan` again after the
    same change writes nothing, while a later, different change is a new message."""
    if not moved:
        return []
    ids = sorted({m["analysis"] for m in moved})
    rows = s.exec(select(Case, Organisation).join(Organisation,
                                                  col(Organisation.id) == Case.subject_id)
                  .where(col(Case.id).in_(ids)))
    analyses = {a.id: (a, subject) for a, subject in rows}
    objects: dict[int | None, Organisation | None] = {o.id: o for o in s.exec(
        select(Organisation).where(
            col(Organisation.id).in_({a.object_id for a, _subj in analyses.values()})))}
    objects[None] = None
    people = {r.id: r for r in recipients(s, ctx.today)}
    officers_at = officers_by_path(people.values())
    per_person: dict[int, list[dict]] = {}
    described = {cid: describe(ctx, a, subject, objects[a.object_id])
                 for cid, (a, subject) in analyses.items()}
    for m in moved:
        analysis, subject = analyses[m["analysis"]]
        line = moved_line(ctx, described[analysis.id], m["stage"], m["old"], m["new"])
        for rid in owner_ids(analysis.responsible_id, subject.path, people, officers_at):
            if analysis.id not in people[rid].muted:  # a case she muted: not even its moves
                per_person.setdefault(rid, []).append(line)
    written = []
    # the keys already queued today, read once (a re-plan at national scale tells thousands)
    queued = set(s.exec(select(OutboxMessage.recipient_id, OutboxMessage.channel,
                               OutboxMessage.digest)
                        .where(OutboxMessage.local_day == ctx.today,
                               col(OutboxMessage.digest).like("moved-%"))).all())
    for rid, lines in sorted(per_person.items()):
        person = people[rid]
        lines.sort(key=lambda ln: (ln["new"], ln["analysis"], ln["stage"]))
        key = hashlib.sha256(repr([(ln["analysis"], ln["stage"], ln["old"].isoformat(),
                                    ln["new"].isoformat()) for ln in lines]).encode()).hexdigest()
        digest = f"moved-{key[:32]}"
        rendered = None
        for channel in ns.channels:
            address = address_for(person, channel)
            if not address or (rid, channel, digest) in queued:
                continue
            rendered = rendered or render_moved(person.language, person.name, ctx.today, lines,
                                                 ns.public_url)
            row = _outbox_row(rid, channel, ctx.today, digest, address, rendered.subject,
                              rendered.text, rendered.html)
            s.add(row)
            queued.add((rid, channel, digest))
            written.append(row)
    s.flush()
    return written


def tell_admins_blocked(s: Session, user: User, day: date) -> int:
    """Queue an email to the admins over `user`'s organisation (those whose subtree holds it;
    every admin when none does) that `user`'s Telegram chat blocked the bot."""
    n = 0
    org = s.get(Organisation, user.organisation_id)
    admins = list(s.exec(select(User, Organisation)
                         .join(Organisation, col(Organisation.id) == User.organisation_id)
                         .where(User.role == "admin", User.active, col(User.email).is_not(None))))
    over = [a for a, a_org in admins if org is not None and org.path.startswith(a_org.path)]
    for admin in over or [a for a, _o in admins]:
        r = render_blocked(admin.language, user.full_name, user.login)
        if admin.email is not None and enqueue(  # (not None: the WHERE)
                s, admin.id, "email", day, f"blocked-{user.id}", admin.email, r.subject,
                r.text, r.html):
            n += 1
    return n
