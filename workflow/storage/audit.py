"""The append-only audit log: each record carries the hash of the previous one."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from workflow.storage import checkpoint
from workflow.storage.bulkinsert import insert_rows
from workflow.storage.db import begin_write
from workflow.storage.models import AuditRecord, table_of

GENESIS = "0" * 64
log = logging.getLogger(__name__)
LOCK_ID = 7_243_001  # PostgreSQL advisory lock serialising appends to the chain


def canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def record_hash(prev_hash: str, at: str, actor: str, action: str, entity: str, entity_id: str,
                payload: str) -> str:
    material = "\x1f".join((prev_hash, at, actor, action, entity, entity_id, payload))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def append(session: Session, actor: str, action: str, entity: str, entity_id: Any,
           payload: Any, changes: bool = True) -> AuditRecord:
    """Add one record at the end of the chain (in the caller's transaction). `changes`: the
    record is of a write, handed to the kept figures (`keep_with`: workflow/kept/, which move
    what it touches); False for a record of something read (an export, a view, a refusal).

    Appends are serialised before the tail is read: an advisory lock on PostgreSQL, the
    database's write lock (BEGIN IMMEDIATE) on SQLite; a unique index on prev_hash refuses a
    fork should anything slip past."""
    prev = _tail(session)
    at, body, eid = now_iso(), canonical(payload), str(entity_id)
    rec = AuditRecord(at=at, actor=actor, action=action, entity=entity, entity_id=eid,
                      payload=body, prev_hash=prev,
                      hash=record_hash(prev, at, actor, action, entity, eid, body))
    session.add(rec)
    session.flush()
    if changes:
        _keep(session, [(action, entity, eid, payload)], rec.id)
    session.info[_TAIL] = (_innermost(session), rec.hash)
    session.info.pop(VERSION, None)  # the session's data changed: read the version again
    session.info[WROTE] = session.get_transaction()
    _note_head(session, rec)
    return rec


# what a write's records are handed to (workflow/kept/ installs it: the kept figures sit above
# the storage they keep, which only says what was appended)
_KEEPER: list[Callable[[Session, Sequence[tuple[str, str, Any, Any]], int], None]] = []


def keep_with(keeper: Callable[[Session, Sequence[tuple[str, str, Any, Any]], int], None]
              ) -> None:
    """Hand every write's records (action, entity, entity id, payload) and the last one's id
    to `keeper` (workflow/kept/versions.py `move`), in the write's transaction."""
    _KEEPER[:] = [keeper]


def _keep(session: Session, records: Sequence[tuple[str, str, Any, Any]], version: int) -> None:
    if not _KEEPER:  # a write no kept figure hears of would leave them wrong: refused
        raise RuntimeError("the kept figures are not installed (import workflow.kept)")
    _KEEPER[0](session, records, version)


def _innermost(session: OrmSession):
    """The transaction (or savepoint) the session writes in now: a tail noted in another one
    (a savepoint since rolled back or released) is read again."""
    return session.get_nested_transaction() or session.get_transaction()


def serialise(session: OrmSession) -> None:
    """Take the lock that serialises appends (held until the transaction ends; on PostgreSQL
    taken once a transaction: a savepoint rolled back since gives it up, and it is taken
    again)."""
    if session.get_bind().dialect.name == "postgresql":
        held = session.info.get(_LOCKED)
        inner = _innermost(session)
        if held is not None and held.is_active and descends(inner, held):
            return
        # per schema: tenants and test schemas do not queue; on the session's connection (a
        # lock, not an ORM statement: what the session keeps of the write's rows stays kept)
        session.connection().execute(
            text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"), {"k": LOCK_ID})
        session.info[_LOCKED] = inner
    else:
        begin_write(session)


def descends(tx: Any, ancestor: Any) -> bool:
    """Whether the transaction (or savepoint) `tx` is `ancestor` or one begun within it."""
    while tx is not None:
        if tx is ancestor:
            return True
        tx = tx.parent
    return False


# The tables written by transactions that never append (a session's or a token's use, a
# request's key taken first of all, the public page's counters and cache, the workers' state
# and leases, the kept figures' own rows, the file store's rows in its own transactions): a
# flush of these alone does not take the appends' lock.
UNCHAINED = frozenset(("web_session", "api_token", "idempotency_key", "public_hit",
                       "public_cache", "worker_state", "lease", "kept_figure", "file_blob",
                       "file_chunk"))
_CHAINED: dict[type, bool] = {}  # a model class: whether its table is not of UNCHAINED


def _chained(cls: type) -> bool:
    known = _CHAINED.get(cls)
    if known is None:
        table = getattr(cls, "__table__", None)
        known = _CHAINED[cls] = table is None or table.name not in UNCHAINED
    return known


def _before_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    """PostgreSQL: a flush that writes a row of the chain's writes takes the appends' lock
    first, when its transaction does not hold it yet. A write that changed a row and only then
    waited for the lock, held by another writer waiting for that row, was a deadlock (two
    writers of one case's stages; a re-planning); taken before the first write, the lock
    orders them (`_before_statement`: an update or a delete the session sends; writes on the
    connection itself call `serialise` first: the re-planning, the imports). SQLite has one
    writer: nothing to do."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for group in (session.new, session.deleted, session.dirty):
        for obj in group:
            if _chained(type(obj)):
                serialise(session)
                return


def _before_statement(state: Any) -> None:
    """PostgreSQL: an UPDATE, DELETE or INSERT the session sends (not a flush) on a table of
    the chain's writes takes the appends' lock first, as a flush does."""
    if state.is_select or not (state.is_update or state.is_delete or state.is_insert):
        return
    session = state.session
    if session.get_bind().dialect.name != "postgresql":
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in UNCHAINED:
        serialise(session)


if not event.contains(OrmSession, "before_flush", _before_flush):
    event.listen(OrmSession, "before_flush", _before_flush)
    event.listen(OrmSession, "do_orm_execute", _before_statement)


def _tail(session: Session) -> str:
    """The hash of the chain's last record, read under the lock; a transaction that appended
    already holds the lock and knows its last record (no second query)."""
    known = session.info.get(_TAIL)
    if known is not None and known[0] is _innermost(session) and known[0].is_active:
        return known[1]
    serialise(session)
    last = session.exec(select(AuditRecord.id, AuditRecord.hash)
                        .order_by(col(AuditRecord.id).desc()).limit(1)).first()
    session.info[_READ] = (_innermost(session), *last) if last else None
    return last[1] if last else GENESIS


def append_many(session: Session, actor: str,
                items: list[tuple[str, str, Any, str]]) -> int:
    """Add records (action, entity, entity id, payload as `canonical` JSON) at the end of the
    chain, in order, in one lock and one bulk insert: the chain `append` would build, every
    record with the same moment (that of the insert; a clock read per record was a tenth of a
    country's `obligations sync`)."""
    if not items:
        return 0
    last: list[tuple] = []

    def rows():  # hashed as the insert asks for them (on PostgreSQL while it writes the last)
        prev = _tail(session)
        row = ()
        at = now_iso()
        for action, entity, entity_id, body in items:
            eid = str(entity_id)
            digest = record_hash(prev, at, actor, action, entity, eid, body)
            row = (at, actor, action, entity, eid, body, prev, digest)
            yield row
            prev = digest
        last.append(row)

    count = insert_rows(session.connection(), table_of(AuditRecord), _COLUMNS, rows())
    last_id = session.exec(select(AuditRecord.id).order_by(col(AuditRecord.id).desc())
                           .limit(1)).one()
    head = AuditRecord(id=last_id, **dict(zip(_COLUMNS, last[0], strict=True)))
    _keep(session, items, head.id)
    session.info[_TAIL] = (_innermost(session), last[0][-1])
    session.info.pop(VERSION, None)
    session.info[WROTE] = session.get_transaction()
    _note_head(session, head)
    return count


# services.lists.list_versions's memo of the lists' versions read in a session's transaction
# (dropped by every append)
VERSION = "merzim.list_versions"
WROTE = "merzim.audit_wrote"  # the (outermost) transaction that last appended


def wrote(session: Session) -> bool:
    """Whether the session's open transaction appended to the chain (not yet committed: what
    it reads is not yet anyone else's, and may be rolled back)."""
    tx = session.get_transaction()
    return tx is not None and session.info.get(WROTE) is tx
_COLUMNS = ("at", "actor", "action", "entity", "entity_id", "payload", "prev_hash", "hash")
_HEAD = "merzim.audit_head"
_TAIL = "merzim.audit_tail"  # (transaction, hash of the last record it appended)
_READ = "merzim.audit_read"  # (transaction, id, hash) of the last record as the lock found it
_LOCKED = "merzim.audit_locked"  # the transaction (or savepoint) that took the appends' lock


def _note_head(session: Session, rec: AuditRecord) -> None:
    """Remember the new head with the transaction that wrote it; it goes to the checkpoint file
    once that very transaction commits (a head noted by a transaction that ended otherwise -- its
    connection lost, the session closed -- is forgotten, never carried into a later commit)."""
    root = session.get_transaction()
    pending = session.info.get(_HEAD)
    if pending is not None and pending["tx"] is not root:
        pending = None  # noted by a transaction that is over: not this one's
    if pending is None:
        path = checkpoint.path_for(session.get_bind().engine)
        if path is None:
            return
        pending = session.info[_HEAD] = {"path": path, "ok": _checkpoint_holds(session, path),
                                         "tx": root}
        if not session.info.get(_HEAD + ".listening"):
            session.info[_HEAD + ".listening"] = True
            event.listen(session, "after_commit", _after_commit)
            event.listen(session, "after_rollback", _after_rollback)
            event.listen(session, "after_soft_rollback", _after_soft_rollback)
            event.listen(session, "after_transaction_end", _after_transaction_end)
    pending["head"] = checkpoint.Head(rec.id, rec.hash)


def _checkpoint_holds(session: Session, path) -> bool:
    """Whether the chain still holds the checkpoint's record (read under the append lock)."""
    try:
        head = checkpoint.read(path)
    except checkpoint.Unreadable as exc:
        if exc.denied:  # this account may not read it (nor write it): say so, once
            checkpoint.cannot_write(path, exc)
        return False
    if head is None:
        return True
    read = session.info.get(_READ)
    if read is not None and read[0] is _innermost(session) and read[1] == head.id:
        found = read[2]  # the checkpoint names the record the lock found last: no query
    else:
        found = session.exec(select(AuditRecord.hash).where(AuditRecord.id == head.id)).first()
    if found != head.hash:
        log.warning("audit checkpoint %s names record %s, which the log no longer holds: "
                    "not moving it (run 'merzim audit verify')", path, head.id)
        return False
    return True


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released (a bulk item): not committed
        return
    pending = session.info.pop(_HEAD, None)
    # only the commit of the transaction that appended the record makes it durable
    if pending and pending["ok"] and "head" in pending \
            and pending["tx"] is session.get_transaction():
        checkpoint.advance(pending["path"], pending["head"])


def _after_rollback(session: Session) -> None:
    session.info.pop(_HEAD, None)


def _after_transaction_end(session: Session, transaction) -> None:
    """The transaction that noted a head ended without its commit moving the checkpoint (rolled
    back, or closed after its connection was lost, when no rollback reaches the database and
    `after_rollback` is not told): its head is forgotten."""
    pending = session.info.get(_HEAD)
    if pending is not None and pending["tx"] is transaction:
        session.info.pop(_HEAD, None)


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    """A savepoint rolled back may have held the noted head: do not move the checkpoint."""
    pending = session.info.get(_HEAD)
    if pending is not None and previous_transaction.nested:
        pending["ok"] = False


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str | None = None
    checkpoint: str | None = None  # the file compared against, when there was one


def verify(session: Session) -> Verification:
    """Recompute the chain; name the first record whose hash or link does not hold, then check
    that the chain still reaches the head recorded in the checkpoint file (when there is one)."""
    prev = GENESIS
    count = 0
    path = checkpoint.path_for(session.get_bind().engine)
    try:
        head = checkpoint.read(path) if path is not None else None
    except checkpoint.Unreadable:
        return Verification(False, 0, None, f"the checkpoint file {path} cannot be read",
                            checkpoint=str(path))
    reached = False
    for rec in session.exec(select(AuditRecord).order_by(col(AuditRecord.id))):
        count += 1
        if rec.prev_hash != prev:
            return Verification(False, count, rec.id, "link to the previous record is broken")
        expected = record_hash(rec.prev_hash, rec.at, rec.actor, rec.action, rec.entity,
                               rec.entity_id, rec.payload)
        if rec.hash != expected:
            return Verification(False, count, rec.id, "content does not match its hash")
        if head is not None and rec.id == head.id:
            if rec.hash != head.hash:
                return Verification(False, count, rec.id, "the record differs from the one the "
                                    "checkpoint file recorded: the end of the log was replaced",
                                    checkpoint=str(path))
            reached = True
        prev = rec.hash
    if head is not None and not reached:
        return Verification(False, count, head.id, f"the log ends before record {head.id}, "
                            "which the checkpoint file recorded: records were removed from the end",
                            checkpoint=str(path))
    return Verification(True, count, checkpoint=str(path) if head is not None else None)
