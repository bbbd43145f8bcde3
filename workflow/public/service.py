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

from sqlmodel import Session, col, select

from workflow.core.deadlines import Planner
from workflow.core.definition import Definition
from workflow.core.errors import NotFound, UsageError
from workflow.core.links import parse_links
from workflow.core.names import name_in
from workflow.public.rules import public_of
from workflow.services.cases import definition_of, facts_of
from workflow.services.context import Context
from workflow.services.lookup import find_org
from workflow.services.organisations import change_org, org_name
from workflow.storage.models import EVENT, Case, EventRecord, EvidenceFile, Organisation
from workflow.storage.queries import live_case

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
    org = change_org(s, ctx, code, "public_page", value, "org.public_page",
                     lambda before: {"from": _word(before), "to": _word(value)})
    forget_answers(s, org.code)  # every node's cached page of it: gone with the switch
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
    channels: dict[str, str] = field(default_factory=dict)  # link -> its channel's name (I-15)


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
                                           col(Case.process).in_(sorted(processes)),
                                           col(Case.person_name).is_(None),
                                           col(Case.person_position).is_(None),
                                           live_case())  #
                        .order_by(col(Case.id))))
    if not cases:
        return []
    ids = [c.id for c in cases]
    records: dict[int, list[EventRecord]] = {i: [] for i in ids}
    for r in s.exec(select(EventRecord).where(col(EventRecord.case_id).in_(ids))
                    .order_by(col(EventRecord.on), col(EventRecord.id))):
        records[r.case_id].append(r)
    files: dict[int, list[EvidenceFile]] = {i: [] for i in ids}
    for f in s.exec(select(EvidenceFile).where(col(EvidenceFile.case_id).in_(ids),
                                               col(EvidenceFile.public).is_(True),
                                               col(EvidenceFile.voided_at).is_(None))
                    .order_by(col(EvidenceFile.id))):
        files[f.case_id].append(f)
    objects = {o.id: o for o in s.exec(select(Organisation).where(
        col(Organisation.id).in_({c.object_id for c in cases if c.object_id})))} \
        if any(c.object_id for c in cases) else {}
    out = []
    for case in cases:
        shown = _public_case(s, ctx, processes[case.process], case, records[case.id],
                             files[case.id],
                             objects.get(case.object_id) if case.object_id else None)
        if shown is not None:
            out.append(shown)
    out.sort(key=lambda c: (c.announced, c.key), reverse=True)
    return out


def _public_case(s: Session, ctx: Context, current: Definition, case: Case,
                 rows: list[EventRecord], files: list[EvidenceFile],
                 obj: Organisation | None) -> PublicCase | None:
    spec = public_of(current)
    if spec is None:  # its current version has no public page
        return None
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
            text = str(evidence.get(key) or "").strip()
            if not text or key not in current.evidence:
                continue
            if current.evidence[key].type == "url":
                if text not in record.links:
                    record.links.append(text)
            elif current.evidence[key].type == "links":  # every channel (I-15)
                channels = current.evidence[key].choice_names
                for link in parse_links(text):
                    if link.url not in record.links:
                        record.links.append(link.url)
                    if link.channel in channels:
                        record.channels[link.url] = name_in(channels[link.channel], lang,
                                                            link.channel)
            else:
                record.values.append((_label(current, key, lang), text))
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
            found = s.get(EvidenceFile, f.id) if str(f.id) == str(file_id).strip() else None
            if found is not None:
                return found
    raise NotFound(f"no public file {file_id!r}", key="files.not_found", id=file_id)


def public_file_content(s: Session, ctx: Context, settings: Any, org: Organisation,
                        file_id: int | str) -> tuple[EvidenceFile, BinaryIO]:
    """A public file's row and its content (checked against its hash: a changed or missing
    blob is refused, never served)."""
    from workflow.services.files import open_blob
    from workflow.storage.filestore import file_store

    row = public_file(s, ctx, org, file_id)
    return row, open_blob(file_store(settings), row)


# -- the rate limit and the cache, the same for every node -----------------------------
#
# Several `merzim serve` nodes (and the processes of `--workers N`) answer the public pages: a
# limit or a cache kept in each process would let a client N times the limit through, and would
# keep serving a page an admin switched off on another node. Both live in the database: the
# rate limit as one row per request let through in the last minute (`public_hit`, a moving
# window, rows older than a minute removed as requests are counted: the table holds at most a
# minute of accepted requests), the cache as one row per built answer (`public_cache`, expired
# rows removed and at most CACHE_ROWS kept: the oldest go first). Time is each node's clock
# (kept by NTP, as the sessions' expiry already assumes).

HIT_WINDOW = 60.0  # seconds: the rate limit's moving window
CACHE_ROWS = 2048  # built answers kept at most (as the per-process cache held)
_SWEEP = 500  # old rows removed at most per request (the rest by the next ones)


def _now(now: float | None) -> float:
    import time

    return time.time() if now is None else now


def _sweep_sql(s: Session, table: str, column: str, key: str, before: float) -> None:
    """Remove up to _SWEEP rows of `table` older than `before`; on PostgreSQL rows another
    transaction is removing are skipped (never waited for: no two requests deadlock)."""
    from sqlalchemy import text

    lock = " FOR UPDATE SKIP LOCKED" if s.get_bind().dialect.name == "postgresql" else ""
    s.execute(text(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} "  # noqa: S608
                   f"WHERE {column} <= :before LIMIT {_SWEEP}{lock})"), {"before": before})


def count_hit(s: Session, client: str, per_minute: int, now: float | None = None) -> int:
    """Count a public request of `client` (its address) against the moving window of the last
    minute, across every node: 0 when it is let through (and counted), else the seconds until
    the oldest request of the window leaves it (Retry-After). In the caller's transaction; the
    requests of one client are counted one at a time (PostgreSQL: an advisory lock on the
    address; SQLite: the write lock)."""
    from sqlalchemy import text

    from workflow.storage.db import begin_write
    from workflow.storage.models import PublicHit

    t, client = _now(now), (client or "unknown")[:100]
    begin_write(s)
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:c))"), {"c": f"public:{client}"})
    _sweep_sql(s, "public_hit", "at", "id", t - HIT_WINDOW)
    times = list(s.exec(select(PublicHit.at).where(PublicHit.client == client,
                                                   col(PublicHit.at) > t - HIT_WINDOW)
                        .order_by(col(PublicHit.at))))
    if len(times) >= per_minute:
        import math

        return max(1, math.ceil(times[len(times) - per_minute] + HIT_WINDOW - t))
    s.add(PublicHit(client=client, at=t))
    s.flush()
    return 0


def cache_key(*parts: str) -> str:
    """The cache row's key: a SHA-256 of what the answer depends on."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def cached_answer(s: Session, key: str, max_age: float, now: float | None = None,
                  ) -> tuple[bytes, str] | None:
    """A built answer younger than `max_age` seconds, built by any node; None."""
    from workflow.storage.models import PublicCache

    row = s.get(PublicCache, key)
    if row is None or row.built_at <= _now(now) - max_age:
        return None
    return bytes(row.body), row.media


def keep_answer(s: Session, key: str, code: str, answer: tuple[bytes, str], max_age: float,
                now: float | None = None) -> None:
    """Keep a built answer for every node (replacing an older one of the same key); expired
    rows are removed, and the oldest past CACHE_ROWS. In the caller's transaction."""
    from sqlalchemy import func

    from workflow.storage.models import PublicCache

    t = _now(now)
    values = {"key": key, "code": code[:100], "body": answer[0], "media": answer[1][:100],
              "built_at": t}
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(PublicCache).values(**values)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(PublicCache).values(**values)  # type: ignore[assignment]
    s.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={
        "code": stmt.excluded.code, "body": stmt.excluded.body, "media": stmt.excluded.media,
        "built_at": stmt.excluded.built_at}))
    _sweep_sql(s, "public_cache", "built_at", "key", t - max_age)
    rows = s.exec(select(func.count()).select_from(PublicCache)).one()
    if rows > CACHE_ROWS:
        oldest = s.exec(select(PublicCache.built_at).order_by(col(PublicCache.built_at))
                        .offset(rows - CACHE_ROWS - 1).limit(1)).first()
        if oldest is not None:
            _sweep_sql(s, "public_cache", "built_at", "key", oldest)


def forget_answers(s: Session, code: str | None = None) -> None:
    """Forget what was built, for one organisation or all (after an admin's switch): for every
    node at once. In the caller's transaction."""
    from sqlalchemy import delete

    from workflow.storage.models import PublicCache

    stmt = delete(PublicCache)
    if code is not None:
        stmt = stmt.where(col(PublicCache.code) == code)
    s.execute(stmt)


def write_stamp(s: Session) -> str:
    """What the cache's keys carry so that no node serves a page linking a file that is no
    longer public (made private or void on any node): the set of public files, as their
    count and the sum of their numbers. A new record still shows after `cache_seconds`, as
    before; a switch of the page empties the cache itself (`set_public_page`)."""
    from sqlalchemy import func

    count, total = s.exec(select(func.count(), func.coalesce(func.sum(EvidenceFile.id), 0))
                          .where(col(EvidenceFile.public).is_(True))).one()
    return f"{count}:{total}"
