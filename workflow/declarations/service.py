"""The declarations list (002:L174-181): the one owner of who is obliged to declare in an
organisation, whose notice of submission is recorded for a year, who is missing, and of their
counts (obliged, notified, missing) -- the page, the command line, the export and the
manager's count per organisation all read them from here.

* The flag: `User.declares`, set by the people import (its column "declares") or here
  (`set_obliged`).
* A notice: one per person and year (`DeclarationNotice`), the day she submitted and the scan
  filed to her record, which comes in through the one file path (services/files.py `prepare`:
  the size limit, the accepted types read from the content, the ZIP-bomb bound) and is kept
  in the file store by its SHA-256.
* A reminder (002:L180: at least a month before the deadline): an outbox message to each
  missing person on each channel that reaches her, keyed by (person, channel, day,
  `declaration-YEAR`): the reminder worker delivers it (a crash delays it, never drops it);
  reminding again the same day writes nothing, the next day writes a new one. The list shows
  each reminder's day, channel and state from the outbox.
* The deadline is the declaration reminder's setting (P-5: `declaration_deadline` of the
  `declaration_reminder` definition, config.toml's `[interpretations.declaration_reminder]`).

Who may read or write which organisation's list is the callers' to ask
(services/visibility.py `keeps_declarations`); these act on an organisation they may.
No score or report form reads a declaration count today; `counts` is where one would."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.i18n import Translator
from workflow.reminders import planner
from workflow.services import files
from workflow.services.context import Context
from workflow.services.organisations import org_name
from workflow.storage import audit
from workflow.storage.filestore import FileStore
from workflow.storage.models import DeclarationNotice, Organisation, OutboxMessage, User
from workflow.storage.queries.organisations import orgs_in_path_order

DEFINITION = "declaration_reminder"  # P-5: its `declaration_deadline` is the deadline
DIGEST = "declaration-"  # the outbox key's prefix: declaration-2026
OBLIGED, NOTICE, REMIND = "declaration.obliged", "declaration.notice", "declaration.remind"
CHANNELS = ("email", "telegram")


def deadline(ctx: Context, year: int) -> date:
    """The declaration deadline of `year`: the declaration reminder's setting (MM-DD, P-5:
    its `declaration_deadline`, config.toml's `[interpretations.declaration_reminder]`), read
    as the definition's named date of the deadline reads it."""
    cal = ctx.calendar
    if not cal.first_year <= year <= cal.last_year:
        raise UsageError(key="error.year_outside", year=year, first=cal.first_year,
                         last=cal.last_year)
    # the definition's one date of a month and day: the deadline its setting names
    month_day = next(spec.month_day for spec in ctx.registry.get(DEFINITION).dates.values()
                     if spec.month_day)
    month, day = (int(x) for x in month_day.split("-"))
    return date(year, month, day)


@dataclass(frozen=True)
class Reminder:
    """A reminder written for a person: its day, channel and the outbox's state."""

    day: date
    channel: str
    status: str


@dataclass
class Employee:
    """A person of the organisation on the list: obliged or not, her notice, her reminders."""

    id: int
    login: str
    name: str
    position: str
    email: str | None
    declares: bool
    submitted_on: date | None = None
    notice_id: int | None = None
    file_name: str | None = None
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        return self.declares and self.submitted_on is None


@dataclass
class DeclarationList:
    """An organisation's list for a year: every active person (the obliged ones first, by
    name), the deadline and the counts."""

    code: str
    name: str
    year: int
    deadline: date
    people: list[Employee]

    @property
    def obliged(self) -> list[Employee]:
        return [p for p in self.people if p.declares]

    @property
    def notified(self) -> list[Employee]:
        return [p for p in self.people if p.declares and p.submitted_on is not None]

    @property
    def missing(self) -> list[Employee]:
        return [p for p in self.people if p.missing]

    def counts(self) -> dict[str, int]:
        return {"obliged": len(self.obliged), "with_notice": len(self.notified),
                "missing": len(self.missing)}


def _people(s: Session, org: Organisation) -> list[User]:
    return list(s.exec(select(User).where(User.organisation_id == org.id, User.active)
                       .order_by(col(User.full_name), col(User.login))))


def declaration_list(s: Session, ctx: Context, org: Organisation, year: int) -> DeclarationList:
    """The organisation's list for `year`: three queries whatever its size."""
    due = deadline(ctx, year)
    users = _people(s, org)
    ids = [u.id for u in users]
    notices = {n.user_id: n for n in s.exec(select(DeclarationNotice).where(
        DeclarationNotice.year == year, col(DeclarationNotice.user_id).in_(ids or [0])))}
    sent: dict[int, list[Reminder]] = {}
    for rid, day, channel, status in s.exec(
            select(col(OutboxMessage.recipient_id), col(OutboxMessage.local_day),
                   col(OutboxMessage.channel), col(OutboxMessage.status))
            .where(OutboxMessage.digest == f"{DIGEST}{year}",
                   col(OutboxMessage.recipient_id).in_(ids or [0]))
            .order_by(col(OutboxMessage.local_day), col(OutboxMessage.id))):
        sent.setdefault(rid, []).append(Reminder(day, channel, status))
    people = []
    for u in users:
        n = notices.get(u.id)
        people.append(Employee(u.id, u.login, u.full_name, u.position or "", u.email,
                               u.declares, n.submitted_on if n else None, n.id if n else None,
                               n.file_name if n else None, sent.get(u.id, [])))
    people.sort(key=lambda p: not p.declares)  # the obliged first, each part by name
    return DeclarationList(org.code, org_name(org, ctx.language), year, due, people)


def counts(s: Session, ctx: Context, root: Organisation, year: int, below: bool
           ) -> list[dict[str, Any]]:
    """The counts per organisation (obliged, notified, missing) of `root` and, with `below`,
    of every organisation of its subtree, in tree order: two queries, no name of a person."""
    deadline(ctx, year)
    orgs = orgs_in_path_order(s, root) if below else [root]
    ids = [o.id for o in orgs]
    obliged = dict(s.exec(select(User.organisation_id, func.count()).where(
        User.declares, User.active, col(User.organisation_id).in_(ids))
        .group_by(col(User.organisation_id))).all())
    notified = dict(s.exec(select(User.organisation_id, func.count())
                           .join(DeclarationNotice, col(DeclarationNotice.user_id) == User.id)
                           .where(User.declares, User.active, DeclarationNotice.year == year,
                                  col(User.organisation_id).in_(ids))
                           .group_by(col(User.organisation_id))).all())
    rows = []
    for o in orgs:
        n_obliged, n_notified = obliged.get(o.id, 0), notified.get(o.id, 0)
        rows.append({"code": o.code, "name": org_name(o, ctx.language), "obliged": n_obliged,
                     "with_notice": n_notified, "missing": n_obliged - n_notified})
    return rows


# -- writes ---------------------------------------------------------------------------------------


def _person(s: Session, org: Organisation, login: str) -> User:
    """The active person `login` of the organisation; anyone else is refused alike (an unknown
    login and a person of another organisation say the same: nothing of hers is told)."""
    user = s.exec(select(User).where(User.login == login)).first()
    if user is None or user.organisation_id != org.id or not user.active:
        raise NotFound(f"no person {login} in {org.code}", key="declarations.no_person",
                       login=login, org=org.code)
    return user


def set_obliged(s: Session, ctx: Context, org: Organisation, changes: dict[str, bool]
                ) -> list[str]:
    """Set or clear the flag of the organisation's people (login -> obliged); every login is
    checked before anything is written (one unknown: refused, nothing stored). Each change is
    audited; the logins changed are returned."""
    people = {login: _person(s, org, login) for login in changes}
    changed = []
    for login, obliged in changes.items():
        user = people[login]
        if user.declares == obliged:
            continue
        user.declares = obliged
        s.add(user)
        audit.append(s, ctx.actor, OBLIGED, "organisation", org.id,
                     {"login": login, "declares": obliged})
        changed.append(login)
    s.flush()
    return changed


def record_notice(s: Session, ctx: Context, store: FileStore, limits: Any, org: Organisation,
                  login: str, year: int, submitted_on: date, scan: files.Upload
                  ) -> DeclarationNotice:
    """Record a person's notice of submission for `year` with its scan (refused, nothing is
    stored: a person not of the organisation or not obliged, a day after today or of neither
    the year nor the next, a notice already recorded, a scan the file path refuses)."""
    deadline(ctx, year)  # a year of the calendar
    user = _person(s, org, login)
    if not user.declares:
        raise RuleViolation(f"{login} is not obliged to declare", key="declarations.not_obliged",
                            login=login)
    if submitted_on > ctx.today:
        raise UsageError(key="declarations.future_day", day=submitted_on.isoformat())
    if submitted_on.year not in (year, year + 1):  # its year's campaign, or late the next
        raise UsageError(key="declarations.day_outside", day=submitted_on.isoformat(),
                         year=year)
    known = s.exec(select(DeclarationNotice).where(DeclarationNotice.user_id == user.id,
                                                   DeclarationNotice.year == year)).first()
    if known is not None:
        raise RuleViolation(f"{login} notice {year} recorded", key="declarations.recorded",
                            login=login, year=year, day=known.submitted_on.isoformat())
    prepared = files.prepare(store, limits, [scan])
    try:
        item = prepared[0]
        row = DeclarationNotice(user_id=user.id, year=year, submitted_on=submitted_on,
                                sha256=item.sha256, file_name=item.name,
                                media_type=item.media_type, size=item.size,
                                recorded_by=ctx.actor, recorded_at=audit.now_iso())
        s.add(row)
        s.flush()
        audit.append(s, ctx.actor, NOTICE, "organisation", org.id,
                     {"login": login, "year": year, "submitted_on": submitted_on.isoformat(),
                      "notice": row.id, **files.summary(item)})
        store.commit(item.staged)
    except BaseException:
        files.discard(store, prepared)
        raise
    return row


def notice_of(s: Session, org: Organisation, notice_id: int) -> DeclarationNotice:
    """A notice of a person of the organisation (anything else: not found)."""
    row = s.get(DeclarationNotice, notice_id)
    user = s.get(User, row.user_id) if row is not None else None
    if row is None or user is None or user.organisation_id != org.id:
        raise NotFound(f"no notice {notice_id}", key="notfound.generic", id=notice_id)
    return row


@dataclass
class Reminded:
    """What a reminder of the missing ones wrote: the people written to today (login ->
    channels), those already reminded today, those no channel reaches."""

    written: dict[str, list[str]] = field(default_factory=dict)
    already: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)


def _message(user: User, org: Organisation, year: int, due: date) -> tuple[str, str, str]:
    t = Translator(user.language)
    subject = t("declarations.mail_subject", year=year, deadline=due.strftime("%d.%m.%Y"))
    body = t("declarations.mail_body", name=user.full_name, year=year,
             deadline=due.strftime("%d.%m.%Y"), org=org_name(org, user.language))
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n\n"))
    return subject, body, f"<html><body>{paragraphs}</body></html>"


def remind_missing(s: Session, ctx: Context, org: Organisation, year: int,
                   channels: Iterable[str] = ("email",), logins: Iterable[str] | None = None
                   ) -> Reminded:
    """A written reminder to each missing person (obliged, no notice for `year`; with `logins`,
    those of them only) on each of `channels` that reaches her, through the outbox: once a
    person, channel and day. Refused after the deadline (002:L180: a reminder comes before it).
    Audited once, naming the people written to."""
    due = deadline(ctx, year)
    if ctx.today > due:
        raise RuleViolation("after the deadline", key="declarations.after_deadline",
                            deadline=due.isoformat())
    listed = declaration_list(s, ctx, org, year)
    missing = listed.missing
    if logins is not None:
        wanted = list(dict.fromkeys(logins))
        by_login = {p.login: p for p in missing}
        for login in wanted:
            if login not in by_login:
                raise NotFound(f"{login} is not missing", key="declarations.not_missing",
                               login=login, year=year)
        missing = [by_login[x] for x in wanted]
    users = {u.id: u for u in _people(s, org)}
    done = Reminded()
    digest = f"{DIGEST}{year}"
    for person in missing:
        user = users[person.id]
        reach = {"email": user.email,
                 "telegram": user.telegram_chat_id if user.telegram_active else None}
        ways = [c for c in channels if c in CHANNELS and reach.get(c)]
        if not ways:
            done.unreachable.append(user.login)
            continue
        subject, text_body, html_body = _message(user, org, year, listed.deadline)
        wrote = [c for c in ways if planner.enqueue(s, user.id, c, ctx.today, digest,
                                                    str(reach[c]), subject, text_body,
                                                    html_body) is not None]
        if wrote:
            done.written[user.login] = wrote
        else:
            done.already.append(user.login)
    if done.written:
        audit.append(s, ctx.actor, REMIND, "organisation", org.id,
                     {"year": year, "day": ctx.today.isoformat(), "people": done.written})
    return done


# -- the export -------------------------------------------------------------------------------


EXPORT_COLUMNS = ("col_name", "col_position", "col_login", "col_submitted", "col_scan",
                  "col_reminded")


def export_rows(listed: DeclarationList, t: Translator) -> tuple[list[str], list[list[Any]]]:
    """The export's header and rows (the obliged people: the list's sheet), in the reader's
    language: name, position, login, the day she submitted (blank: missing), the scan's file,
    the reminders (day and channel)."""
    header = [t(f"declarations.{c}") for c in EXPORT_COLUMNS]
    rows = [[p.name, p.position, p.login, p.submitted_on or t("declarations.missing"),
             p.file_name or "",
             "; ".join(f"{r.day.isoformat()} {t('web.channel.' + r.channel)}" for r in p.reminders)]
            for p in listed.obliged]
    return header, rows


def export(s: Session, ctx: Context, org: Organisation, year: int, fmt: str) -> bytes:
    """The list as an XLSX or CSV file (audited as a read)."""
    from workflow import tabular

    if fmt not in ("xlsx", "csv"):
        raise UsageError(key="declarations.bad_format", format=fmt)
    listed = declaration_list(s, ctx, org, year)
    t = Translator(ctx.language)
    header, rows = export_rows(listed, t)
    audit.append(s, ctx.actor, "declaration.export", "organisation", org.id,
                 {"year": year, "format": fmt, "rows": len(rows)}, changes=False)
    if fmt == "csv":
        return tabular.table_csv(header, rows)
    return tabular.table_xlsx(t("declarations.sheet", year=year), header, rows)
