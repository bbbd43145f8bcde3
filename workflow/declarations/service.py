"""The declarations list (002:L174-181): the one owner of an organisation's staff obliged to
declare, whose notice of submission is recorded for a year, who is missing, and of their counts
(obliged, notified, missing) -- the page, the command line, the export and the manager's count
per organisation all read them from here.

* The staff list: `Declarant`, the organisation's employees obliged to declare (name,
  position, e-mail, language), kept apart from merzim's accounts: an employee who only
  declares never becomes an account (no login, no role, no invitation; she cannot sign in).
  One comes in by the page (`add`: a name already listed is updated, not doubled), or with
  the others of a staff file (`import_staff`: XLSX or CSV, headers in kk/ru/en or keys, the
  whole file checked -- every bad cell named by row and column -- before anything is
  written); one who left is marked so (`mark_left`) and leaves the list, her notices kept.
* A notice: one per declarant and year (`DeclarationNotice`), the day she submitted and the
  scan filed to her record, which comes in through the one file path (services/files.py
  `prepare`: the size limit, the accepted types read from the content, the ZIP-bomb bound) and
  is kept in the file store by its SHA-256.
* A reminder (002:L180: at least a month before the deadline): an outbox message by e-mail to
  each missing declarant who has one, keyed by (declarant, channel, day, `declaration-YEAR`):
  the reminder worker delivers it (a crash delays it, never drops it); reminding again the
  same day writes nothing, the next day writes a new one. A declarant without e-mail is
  shown so and counted apart. The list shows each reminder's day, channel and state.
* The deadline is the declaration reminder's setting (P-5: `declaration_deadline` of the
  `declaration_reminder` definition, config.toml's `[interpretations.declaration_reminder]`).

Who may read or write which organisation's list is the callers' to ask
(services/visibility.py `keeps_declarations`); these act on an organisation they may.
No score or report form reads a declaration count today; `counts` is where one would."""

from __future__ import annotations

import html
import time as clock
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.i18n import LANGUAGES, Translator
from workflow.imports.columns import fold
from workflow.imports.headers import keyed, names
from workflow.imports.people import ALSO, PeopleRefused, language_cell, person_cells
from workflow.services import files
from workflow.services.context import Context
from workflow.services.file_rows import Problem, cell_checker
from workflow.services.organisations import org_name
from workflow.storage import audit
from workflow.storage.filestore import FileStore
from workflow.storage.models import Declarant, DeclarationNotice, Organisation, OutboxMessage
from workflow.storage.queries.organisations import orgs_in_path_order

DEFINITION = "declaration_reminder"  # P-5: its `declaration_deadline` is the deadline
DIGEST = "declaration-"  # the outbox key's prefix: declaration-2026
ADDED, LEFT, IMPORTED = "declaration.staff_add", "declaration.staff_left", "declaration.staff_import"
NOTICE, REMIND = "declaration.notice", "declaration.remind"
CHANNELS = ("email",)  # a declarant links no chat: her reminders go by e-mail
STAFF_COLUMNS = ("name", "position", "email", "language")
STAFF_REQUIRED = ("name",)


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
    """A reminder written for a declarant: its day, channel and the outbox's state."""

    day: date
    channel: str
    status: str


@dataclass
class Employee:
    """A declarant on the list: her notice, her reminders."""

    id: int
    name: str
    position: str
    email: str | None
    submitted_on: date | None = None
    notice_id: int | None = None
    file_name: str | None = None
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        return self.submitted_on is None


@dataclass
class DeclarationList:
    """An organisation's list for a year: every declarant still employed (by name), the
    deadline and the counts."""

    code: str
    name: str
    year: int
    deadline: date
    people: list[Employee]

    @property
    def obliged(self) -> list[Employee]:
        return list(self.people)

    @property
    def notified(self) -> list[Employee]:
        return [p for p in self.people if p.submitted_on is not None]

    @property
    def missing(self) -> list[Employee]:
        return [p for p in self.people if p.missing]

    @property
    def no_email(self) -> list[Employee]:
        """The missing ones no reminder reaches (no e-mail): counted apart."""
        return [p for p in self.missing if not p.email]

    def counts(self) -> dict[str, int]:
        return {"obliged": len(self.obliged), "with_notice": len(self.notified),
                "missing": len(self.missing), "no_email": len(self.no_email)}


def staff(s: Session, org: Organisation) -> list[Declarant]:
    """The organisation's declarants still employed, by name."""
    return list(s.exec(select(Declarant).where(Declarant.organisation_id == org.id,
                                               col(Declarant.active))
                       .order_by(col(Declarant.name), col(Declarant.id))))


def declaration_list(s: Session, ctx: Context, org: Organisation, year: int) -> DeclarationList:
    """The organisation's list for `year`: three queries whatever its size."""
    due = deadline(ctx, year)
    people = staff(s, org)
    ids = [d.id for d in people]
    notices = {n.declarant_id: n for n in s.exec(select(DeclarationNotice).where(
        DeclarationNotice.year == year, col(DeclarationNotice.declarant_id).in_(ids or [0])))}
    sent: dict[int, list[Reminder]] = {}
    for rid, day, channel, status in s.exec(
            select(col(OutboxMessage.declarant_id), col(OutboxMessage.local_day),
                   col(OutboxMessage.channel), col(OutboxMessage.status))
            .where(OutboxMessage.digest == f"{DIGEST}{year}",
                   col(OutboxMessage.declarant_id).in_(ids or [0]))
            .order_by(col(OutboxMessage.local_day), col(OutboxMessage.id))):
        sent.setdefault(int(rid or 0), []).append(Reminder(day, channel, status))
    listed = []
    for d in people:
        n = notices.get(d.id)
        listed.append(Employee(d.id, d.name, d.position or "", d.email,
                               n.submitted_on if n else None, n.id if n else None,
                               n.file_name if n else None, sent.get(d.id, [])))
    return DeclarationList(org.code, org_name(org, ctx.language), year, due, listed)


def counts(s: Session, ctx: Context, root: Organisation, year: int, below: bool
           ) -> list[dict[str, Any]]:
    """The counts per organisation (obliged, notified, missing) of `root` and, with `below`,
    of every organisation of its subtree, in tree order: two queries, no name of a person."""
    deadline(ctx, year)
    orgs = orgs_in_path_order(s, root) if below else [root]
    ids = [o.id for o in orgs]
    obliged = dict(s.exec(select(Declarant.organisation_id, func.count()).where(
        col(Declarant.active), col(Declarant.organisation_id).in_(ids))
        .group_by(col(Declarant.organisation_id))).all())
    notified = dict(s.exec(select(Declarant.organisation_id, func.count())
                           .join(DeclarationNotice,
                                 col(DeclarationNotice.declarant_id) == Declarant.id)
                           .where(col(Declarant.active), DeclarationNotice.year == year,
                                  col(Declarant.organisation_id).in_(ids))
                           .group_by(col(Declarant.organisation_id))).all())
    rows = []
    for o in orgs:
        n_obliged, n_notified = obliged.get(o.id, 0), notified.get(o.id, 0)
        rows.append({"code": o.code, "name": org_name(o, ctx.language), "obliged": n_obliged,
                     "with_notice": n_notified, "missing": n_obliged - n_notified})
    return rows


# -- the staff list -------------------------------------------------------------------------------


def _declarant(s: Session, org: Organisation, who: int | str) -> Declarant:
    """The organisation's declarant still employed, by id or by name; anyone else is refused
    alike (an unknown one and one of another organisation say the same: nothing is told)."""
    if isinstance(who, int) or str(who).isdigit():
        row = s.get(Declarant, int(who))
    else:
        row = s.exec(select(Declarant).where(Declarant.organisation_id == org.id,
                                             Declarant.name == str(who).strip())).first()
    if row is None or row.organisation_id != org.id or not row.active:
        raise NotFound(f"no declarant {who} in {org.code}", key="declarations.no_person",
                       login=str(who)[:100], org=org.code)
    return row


def _checked(n: int, row: dict[str, str]) -> tuple[list[Problem], dict[str, Any]]:
    """A staff row's problems (every bad cell) and its values."""
    problems, bad = cell_checker(n, row, STAFF_REQUIRED)
    email = person_cells(row, bad)
    lang = language_cell(row, bad, names("language.", tuple(LANGUAGES)))
    return problems, {"name": " ".join(row.get("name", "").split()),
                      "position": row.get("position") or None, "email": email or None,
                      "language": lang}


def _write(s: Session, org: Organisation, values: dict[str, Any]) -> tuple[Declarant, bool]:
    """The declarant of that name in the organisation updated (and employed again), or added:
    (her row, whether she is new)."""
    stamp = audit.now_iso()
    row = s.exec(select(Declarant).where(Declarant.organisation_id == org.id,
                                         Declarant.name == values["name"])).first()
    new = row is None
    if row is None:
        row = Declarant(organisation_id=org.id, name=values["name"], created_at=stamp,
                        updated_at=stamp)
    row.position, row.email = values["position"], values["email"]
    row.language = values["language"] or row.language
    row.active, row.updated_at = True, stamp
    s.add(row)
    s.flush()
    return row, new


class FieldRefused(PeopleRefused):
    """One employee's values refused (the page's form, `merzim declarations add`): each bad
    value named by its field, in the reader's language; nothing stored."""

    def lines(self, t: Translator) -> list[str]:
        return [t("declarations.bad_field", column=t(f"people.col_{p.column}"), value=p.value,
                  rule=t(p.key, **{k: ", ".join(t(x) for x in v) if isinstance(v, list) else v
                                   for k, v in p.params.items()}))
                for p in self.problems]

    def render(self, translate) -> str:
        return "; ".join(self.lines(translate))


def add(s: Session, ctx: Context, org: Organisation, name: str, position: str = "",
        email: str = "", language: str = "") -> Declarant:
    """Add one declarant to the organisation's staff list (one of the same name: updated, not
    doubled). A bad value is refused, named by its column, nothing stored. Audited."""
    problems, values = _checked(1, {"name": name.strip(), "position": position.strip(),
                                    "email": email.strip(), "language": language.strip()})
    if problems:
        raise FieldRefused(problems)
    row, new = _write(s, org, values)
    audit.append(s, ctx.actor, ADDED, "organisation", org.id,
                 {"declarant": row.id, "name": row.name, "new": new})
    return row


def mark_left(s: Session, ctx: Context, org: Organisation, who: int | str) -> Declarant:
    """The declarant has left the organisation: off the list (her notices kept). Audited."""
    row = _declarant(s, org, who)
    row.active, row.updated_at = False, audit.now_iso()
    s.add(row)
    s.flush()
    audit.append(s, ctx.actor, LEFT, "organisation", org.id,
                 {"declarant": row.id, "name": row.name})
    return row


@dataclass
class Imported:
    """What a staff file did: the declarants added and those updated (by name)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def import_staff(s: Session, ctx: Context, org: Organisation, rows: list[dict[str, Any]],
                 language: str) -> Imported:
    """A staff file's rows (`tabular.read_rows(..., as_written=True)`) into the organisation's
    list: headers by their labels in kk, ru or en, an office's own headings or the keys; the
    whole file checked first -- every bad cell named by row and column in the reader's
    language (`PeopleRefused`), nothing stored -- then written: a name already listed is
    updated, not doubled (a name twice in the file is refused). Audited once."""
    cells, header = keyed(rows, names("people.col_", STAFF_COLUMNS, ALSO), STAFF_REQUIRED,
                          "accounts.import_header", "people.col_", language)
    if not cells:
        raise UsageError("no rows", key="accounts.import_empty")
    problems: list[Problem] = []
    checked: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for row in cells:
        n = int(row.get("_row") or 0)
        found, values = _checked(n, row)
        problems += found
        key = fold(values["name"])
        if values["name"] and key in seen:
            problems.append(Problem(n, "name", row.get("name", ""), "declarations.rule_twice",
                                    {"row": seen[key]}))
        seen.setdefault(key, n)
        checked.append(values)
    if problems:
        raise PeopleRefused(problems)
    done = Imported(ignored=list(header.ignored))
    for values in checked:
        person, new = _write(s, org, values)
        (done.added if new else done.updated).append(person.name)
    audit.append(s, ctx.actor, IMPORTED, "organisation", org.id,
                 {"added": len(done.added), "updated": len(done.updated)})
    return done


# -- notices and reminders ------------------------------------------------------------------------


def record_notice(s: Session, ctx: Context, store: FileStore, limits: Any, org: Organisation,
                  who: int | str, year: int, submitted_on: date, scan: files.Upload
                  ) -> DeclarationNotice:
    """Record a declarant's notice of submission for `year` with its scan (refused, nothing is
    stored: a declarant not of the organisation's list, a day after today or of neither the
    year nor the next, a notice already recorded, a scan the file path refuses)."""
    deadline(ctx, year)  # a year of the calendar
    person = _declarant(s, org, who)
    if submitted_on > ctx.today:
        raise UsageError(key="declarations.future_day", day=submitted_on.isoformat())
    if submitted_on.year not in (year, year + 1):  # its year's campaign, or late the next
        raise UsageError(key="declarations.day_outside", day=submitted_on.isoformat(),
                         year=year)
    known = s.exec(select(DeclarationNotice).where(DeclarationNotice.declarant_id == person.id,
                                                   DeclarationNotice.year == year)).first()
    if known is not None:
        raise RuleViolation(f"{person.name} notice {year} recorded", key="declarations.recorded",
                            login=person.name, year=year, day=known.submitted_on.isoformat())
    prepared = files.prepare(store, limits, [scan])
    try:
        item = prepared[0]
        row = DeclarationNotice(declarant_id=person.id, year=year, submitted_on=submitted_on,
                                sha256=item.sha256, file_name=item.name,
                                media_type=item.media_type, size=item.size,
                                recorded_by=ctx.actor, recorded_at=audit.now_iso())
        s.add(row)
        s.flush()
        audit.append(s, ctx.actor, NOTICE, "organisation", org.id,
                     {"declarant": person.id, "name": person.name, "year": year,
                      "submitted_on": submitted_on.isoformat(), "notice": row.id,
                      **files.summary(item)})
        store.commit(item.staged)
    except BaseException:
        files.discard(store, prepared)
        raise
    return row


def notice_of(s: Session, org: Organisation, notice_id: int) -> DeclarationNotice:
    """A notice of a declarant of the organisation (anything else: not found)."""
    row = s.get(DeclarationNotice, notice_id)
    person = s.get(Declarant, row.declarant_id) if row is not None else None
    if row is None or person is None or person.organisation_id != org.id:
        raise NotFound(f"no notice {notice_id}", key="notfound.generic", id=notice_id)
    return row


@dataclass
class Reminded:
    """What a reminder of the missing ones wrote: the declarants written to today (name ->
    channels), those already reminded today, those without e-mail."""

    written: dict[str, list[str]] = field(default_factory=dict)
    already: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)


def _message(person: Declarant, org: Organisation, year: int, due: date, language: str
             ) -> tuple[str, str, str]:
    lang = person.language or language
    t = Translator(lang)
    subject = t("declarations.mail_subject", year=year, deadline=due.strftime("%d.%m.%Y"))
    body = t("declarations.mail_body", name=person.name, year=year,
             deadline=due.strftime("%d.%m.%Y"), org=org_name(org, lang))
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n\n"))
    return subject, body, f"<html><body>{paragraphs}</body></html>"


def _enqueue(s: Session, person: Declarant, day: date, digest: str, subject: str, text: str,
             body_html: str) -> bool:
    """The declarant's e-mail reminder of `day` in the outbox, once (its key: declarant,
    channel, day, digest); False: already there."""
    there = s.exec(select(OutboxMessage.id).where(
        OutboxMessage.declarant_id == person.id, OutboxMessage.channel == "email",
        OutboxMessage.local_day == day, OutboxMessage.digest == digest)).first()
    if there is not None:
        return False
    s.add(OutboxMessage(recipient_id=None, declarant_id=person.id, channel="email",
                        local_day=day, digest=digest, address=str(person.email),
                        subject=subject[:500], body_text=text, body_html=body_html,
                        status="pending", next_attempt_at=0.0, created_at=clock.time()))
    s.flush()
    return True


def remind_missing(s: Session, ctx: Context, org: Organisation, year: int,
                   channels: Iterable[str] = ("email",), who: Iterable[str] | None = None
                   ) -> Reminded:
    """An e-mail reminder to each missing declarant (no notice for `year`; with `who`, those of
    them only, by name) who has an e-mail, through the outbox: once a declarant and day.
    Refused after the deadline (002:L180: a reminder comes before it). Audited once, naming
    the declarants written to. (`channels`: the operator's; a declarant is reached by e-mail
    only.)"""
    due = deadline(ctx, year)
    if ctx.today > due:
        raise RuleViolation("after the deadline", key="declarations.after_deadline",
                            deadline=due.isoformat())
    listed = declaration_list(s, ctx, org, year)
    missing = listed.missing
    if who is not None:
        wanted = list(dict.fromkeys(who))
        by_name = {p.name: p for p in missing}
        for name in wanted:
            if name not in by_name:
                raise NotFound(f"{name} is not missing", key="declarations.not_missing",
                               login=name, year=year)
        missing = [by_name[x] for x in wanted]
    rows = {d.id: d for d in staff(s, org)}
    done = Reminded()
    digest = f"{DIGEST}{year}"
    for p in missing:
        person = rows[p.id]
        if "email" not in tuple(channels) or not person.email:
            done.unreachable.append(person.name)
            continue
        subject, text_body, html_body = _message(person, org, year, listed.deadline,
                                                 ctx.language)
        if _enqueue(s, person, ctx.today, digest, subject, text_body, html_body):
            done.written[person.name] = ["email"]
        else:
            done.already.append(person.name)
    if done.written:
        audit.append(s, ctx.actor, REMIND, "organisation", org.id,
                     {"year": year, "day": ctx.today.isoformat(), "people": done.written})
    return done


# -- the export -------------------------------------------------------------------------------


EXPORT_COLUMNS = ("col_name", "col_position", "col_email", "col_submitted", "col_scan",
                  "col_reminded")


def export_rows(listed: DeclarationList, t: Translator) -> tuple[list[str], list[list[Any]]]:
    """The export's header and rows (the obliged people: the list's sheet), in the reader's
    language: name, position, e-mail, the day she submitted (blank: missing), the scan's file,
    the reminders (day and channel)."""
    header = [t(f"declarations.{c}") for c in EXPORT_COLUMNS]
    rows = [[p.name, p.position, p.email or t("declarations.no_email"),
             p.submitted_on or t("declarations.missing"),
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
