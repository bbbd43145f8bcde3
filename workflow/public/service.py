"""An organisation's public page: whether it is on, the admin's switch, and what it lists.

What a case shows there comes from its definition's `[public]` table (parsed when the
definition is loaded, workflow/public/rules.py): a case is listed while a record of the
table's `announced_by` event stands; it shows the period's named dates and, for each event
the table names, the standing records' dates and the evidence fields the table marks public
(links, the discussion's date and place) -- plus the files marked public. Nothing of a
definition with a person, no person's name, note, document
number, signer, user or another organisation's case is ever read into it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO

from sqlmodel import Session, select

from workflow.core.deadlines import Planner
from workflow.core.definition import Definition
from workflow.core.errors import NotFound, UsageError
from workflow.core.names import name_in
from workflow.public.rules import public_of
from workflow.services.cases import definition_of, facts_of
from workflow.services.context import Context
from workflow.services.lookup import find_org, get_org
from workflow.services.organisations import org_name
from workflow.storage import audit
from workflow.storage.models import EVENT, Case, EventRecord, EvidenceFile, Organisation

SWITCHES = {"on": True, "off": False, "default": None}


# -- the switch -------------------------------------------------------------------------------


def is_on(org: Organisation, configured: tuple[str, ...] | list[str]) -> bool:
    """The admin's choice when she made one, else whether `[public] organisations` names it."""
    return org.public_page if org.public_page is not None else org.code in configured


def public_org(s: Session, code: str, configured: tuple[str, ...] | list[str]) -> Organisation:
    """The organisation of a public page; one that does not exist and one whose page is off
    are refused alike (the page's address tells nothing of which)."""
    org = find_org(s, code)
    if org is None or not is_on(org, configured):
        raise NotFound(f"no public page {code!r}", key="notfound.org", code=code)
    return org


def switch_value(text: str) -> bool | None:
    """`on`, `off` or `default` (back to config.toml) as the column stores it."""
    value = (text or "").strip().lower()
    if value not in SWITCHES:
        raise UsageError(f"bad switch {text!r}", key="public.bad_switch", value=text)
    return SWITCHES[value]


def set_public_page(s: Session, ctx: Context, code: str, value: bool | None) -> Organisation:
    """The admin's switch of an organisation's public page (None: as config.toml says);
    audited, also when it changes nothing (who looked at it and chose)."""
    org = get_org(s, code)
    before = org.public_page
    org.public_page = value
    s.add(org)
    s.flush()
    audit.append(s, ctx.actor, "org.public_page", "organisation", org.id,
                 {"code": org.code, "from": _word(before), "to": _word(value)})
    return org


def _word(value: bool | None) -> str:
    return {True: "on", False: "off", None: "default"}[value]


def switch_rows(orgs: list[Organisation], configured: tuple[str, ...] | list[str],
                language: str) -> list[dict[str, Any]]:
    """Each organisation's switch as the admin page and `merzim org public` show it."""
    return [{"code": o.code, "name": org_name(o, language), "kind": o.kind,
             "depth": o.path.count("/") - 2, "configured": o.code in configured,
             "admin": _word(o.public_page), "on": is_on(o, configured)} for o in orgs]


# -- what the page lists --------------------------------------------------------------------


@dataclass
class PublicRecord:
    """One standing record of an event the definition shows: its name, date, and the public
    evidence (links apart)."""

    event: str
    name: str
    on: date
    links: list[str] = field(default_factory=list)
    values: list[tuple[str, str]] = field(default_factory=list)  # (label, value)


@dataclass
class PublicFile:
    id: int
    name: str
    media_type: str
    size: int
    on: date | None  # the date of the record it confirms


@dataclass
class PublicCase:
    """An announced case as the public page, the feed and the fragment show it."""

    key: str  # a stable anchor that tells nothing of the database's numbering
    process: str
    title: str
    object_name: str | None
    period: list[tuple[str, date]]  # (the named date's name, its value)
    records: list[PublicRecord]
    files: list[PublicFile]
    announced: date
    updated: date


def public_processes(ctx: Context) -> dict[str, Definition]:
    """The current definitions with a `[public]` table (never one with a person)."""
    return {d.key: d for d in ctx.registry.all()
            if public_of(d) is not None and d.parties.person == "none"}


def listing(s: Session, ctx: Context, org: Organisation) -> list[PublicCase]:
    """The organisation's announced cases, newest announcement first (in ctx.language)."""
    processes = public_processes(ctx)
    if not processes:
        return []
    cases = list(s.exec(select(Case).where(Case.subject_id == org.id,
                                           Case.process.in_(sorted(processes)),
                                           Case.person_name.is_(None),
                                           Case.person_position.is_(None))
                        .order_by(Case.id)))
    if not cases:
        return []
    ids = [c.id for c in cases]
    records: dict[int, list[EventRecord]] = {i: [] for i in ids}
    for r in s.exec(select(EventRecord).where(EventRecord.case_id.in_(ids))
                    .order_by(EventRecord.on, EventRecord.id)):
        records[r.case_id].append(r)
    files: dict[int, list[EvidenceFile]] = {i: [] for i in ids}
    for f in s.exec(select(EvidenceFile).where(EvidenceFile.case_id.in_(ids),
                                               EvidenceFile.public.is_(True),
                                               EvidenceFile.voided_at.is_(None))
                    .order_by(EvidenceFile.id)):
        files[f.case_id].append(f)
    objects = {o.id: o for o in s.exec(select(Organisation).where(
        Organisation.id.in_({c.object_id for c in cases if c.object_id})))} \
        if any(c.object_id for c in cases) else {}
    out = []
    for case in cases:
        shown = _public_case(s, ctx, processes[case.process], case, records[case.id],
                             files[case.id], objects.get(case.object_id))
        if shown is not None:
            out.append(shown)
    out.sort(key=lambda c: (c.announced, c.key), reverse=True)
    return out


def _public_case(s: Session, ctx: Context, current: Definition, case: Case,
                 rows: list[EventRecord], files: list[EvidenceFile],
                 obj: Organisation | None) -> PublicCase | None:
    spec = public_of(current)
    lang = ctx.language
    standing = [r for r in rows if r.kind == EVENT and r.voided_by_id is None]
    announcements = [r for r in standing if r.event == spec.announced_by]
    if not announcements:
        return None
    defn = definition_of(s, ctx, case)  # the version the case was opened with: its dates
    planner = Planner(defn, ctx.calendar, facts_of(s, case, rows))
    period = []
    for name in spec.period:
        value = planner.date(name) if name in defn.dates else None
        if value is not None:
            period.append((name_in(current.dates[name].names, lang, name), value.date))
    shown = []
    standing_ids = set()
    for r in standing:
        standing_ids.add(r.id)
        if r.event not in spec.events or r.event not in current.events:
            continue
        evidence = r.evidence or {}
        record = PublicRecord(r.event, name_in(current.events[r.event].names, lang, r.event), r.on)
        for key in spec.fields:
            value = str(evidence.get(key) or "").strip()
            if not value or key not in current.evidence:
                continue
            if current.evidence[key].type == "url":
                record.links.append(value)
            else:
                record.values.append((_label(current, key, lang), value))
        shown.append(record)
    public_files = [PublicFile(f.id, f.name, f.media_type, f.size,
                               next((r.on for r in standing if r.id == f.record_id), None))
                    for f in files if f.record_id is None or f.record_id in standing_ids]
    announced = announcements[0].on
    updated = max([announced, *(r.on for r in shown), *(f.on for f in public_files if f.on)])
    return PublicCase(_anchor(case), case.process, current.name(lang),
                      org_name(obj, lang) if obj is not None else None, period, shown,
                      public_files, announced, updated)


def _label(defn: Definition, key: str, lang: str) -> str:
    names = defn.evidence[key].names
    if names:
        return name_in(names, lang, key)
    from workflow.i18n import Translator

    return Translator(lang)(f"form.{key}", default=key)


def _anchor(case: Case) -> str:
    """A case's anchor on the page and id in the feed: stable, not its number."""
    return "a" + hashlib.sha256(f"{case.id}:{case.created_at}".encode()).hexdigest()[:16]


def public_file(s: Session, ctx: Context, org: Organisation, file_id: int | str) -> EvidenceFile:
    """A file the organisation's public page links to (public, not void, of a listed case);
    anything else is refused as if it did not exist."""
    for case in listing(s, ctx, org):
        for f in case.files:
            if str(f.id) == str(file_id).strip():
                return s.get(EvidenceFile, f.id)
    raise NotFound(f"no public file {file_id!r}", key="files.not_found", id=file_id)


def public_file_content(s: Session, ctx: Context, settings: Any, org: Organisation,
                        file_id: int | str) -> tuple[EvidenceFile, BinaryIO]:
    """A public file's row and its content (checked against its hash: a changed or missing
    blob is refused, never served)."""
    from workflow.services.files import open_blob
    from workflow.storage.filestore import file_store

    row = public_file(s, ctx, org, file_id)
    return row, open_blob(file_store(settings), row)
