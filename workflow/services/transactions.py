"""Transactions belong to the services: an adapter opens a unit of work (or wraps its use case in
`transaction`) and never commits, rolls back or writes the audit log itself.

* `unit_of_work(engine)`: a session on a database of this merzim's schema, committed when the
  block succeeds and rolled back otherwise (the CLI: one per command).
* `transaction(s)`: the same on a session the adapter already holds (the web: one per request,
  opened by its dependency).
* `trial(s)`: run a use case and roll it back whatever happens (a confirmation step).
* `audited(s, ...)`: an audit record of something read (an export, a view of a person's case),
  committed at once.
* `refused(s, ...)`: roll back what a refused use case did and keep the refusal in the audit log.
* `prepare(engine)`: create or upgrade the schema (init, serve, worker); a newer schema is
  refused.

A write sent with an idempotency key (`services/idempotency.py`) is **deferred**: its session
says so (`DEFERRED` in `s.info`), each `transaction` on it is a savepoint, and the one commit
comes when its answer is built and kept with the key. `s.info` also says whether the session
has committed (`COMMITTED`) or was committing when it failed (`COMMITTING`: the outcome is
unknown): what the web answers when the database connection is lost.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session

from workflow.core.errors import ConfigError, RuleViolation, UsageError
from workflow.kept import counts as kept
from workflow.storage import audit, db

DEFERRED = "merzim.deferred"  # s.info: transactions are savepoints, committed by the key's keep
COMMITTED = "merzim.committed"  # s.info: this session has committed something
COMMITTING = "merzim.committing"  # s.info: a commit was under way when it failed (outcome unknown)
busy = db.busy  # whether a database error is a lock not taken within [database] busy_seconds


def check_revision(current: str | None) -> None:
    """Refuse a database whose schema is not this merzim's: older (run init) or newer."""
    if current is None or current == db.HEAD_REVISION:
        return
    if db.is_newer(current):
        raise UsageError("database schema is newer than this merzim", key="error.newer_schema",
                         current=current, head=db.HEAD_REVISION)
    raise UsageError("database needs an upgrade", key="error.needs_upgrade",
                     current=current, head=db.HEAD_REVISION)


def prepare(engine: Engine) -> None:
    """Create the schema or upgrade it to this merzim's; a schema a newer merzim wrote is
    refused untouched."""
    try:
        current = db.revision(engine)
        if current is not None and db.is_newer(current):
            check_revision(current)
        db.upgrade(engine)
    except OperationalError as exc:
        raise ConfigError(f"cannot open the database: {exc.orig}") from None


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed when the block succeeds and rolled back otherwise."""
    try:
        current = db.revision(engine)
    except OperationalError as exc:
        raise ConfigError(f"cannot open the database: {exc.orig}") from None
    if current is None:
        raise UsageError("database not initialised", key="error.not_initialised")
    check_revision(current)
    s = db.session(engine)
    try:
        with transaction(s):
            yield s
    finally:
        s.close()


@contextmanager
def transaction(s: Session) -> Iterator[Session]:
    """Commit what the block did on `s`, or roll it all back when it raises. On a deferred
    session (a write with an idempotency key): a savepoint, released or rolled back, the
    commit left to `commit` when the answer is kept."""
    if s.info.get(DEFERRED):
        point = s.begin_nested()
        try:
            yield s
            point.commit()
        except BaseException:
            if point.is_active:
                point.rollback()
            raise
        return
    try:
        yield s
        commit(s)
    except BaseException:
        s.rollback()
        raise


def commit(s: Session, write: bool = True) -> None:
    """Flush, then commit `s`, saying in `s.info` whether it committed a write (`COMMITTED`)
    or failed while committing one (`COMMITTING` left: whether it landed is unknown);
    `write=False`: an audit record alone (a read, a refusal), which says neither."""
    s.flush()
    if write:
        s.info[COMMITTING] = True
    s.commit()
    if write:
        s.info.pop(COMMITTING, None)
        s.info[COMMITTED] = True


def abandon(s: Session) -> None:
    """Roll back `s` after its connection was lost: the transaction is gone with it, and what
    it noted (an audit head, an idempotency key) must not reach a later commit on `s`; a
    second failure of the dead connection is not news."""
    with contextlib.suppress(SQLAlchemyError):
        s.rollback()


@contextmanager
def trial(s: Session) -> Iterator[Session]:
    """Run a use case on `s` to see whether the rules accept it, then undo all it did (a
    confirmation step asks "are you sure?" only about what saving would accept). A refusal
    raised inside comes out as it is; nothing is stored either way."""
    try:
        yield s
    finally:
        s.rollback()


def audited(s: Session, actor: str, action: str, entity: str, entity_id: Any,
            payload: Any) -> None:
    """Append an audit record and commit it (with whatever else the session holds; on a
    deferred session too: a refusal's record must outlast the request's rollback)."""
    try:
        audit.append(s, actor, action, entity, entity_id, payload, changes=False)
        # on a deferred session this commits what it holds: the write's savepoints and key
        commit(s, write=bool(s.info.get(DEFERRED)))
    except BaseException:
        s.rollback()
        raise


def refused(s: Session, actor: str, action: str, entity: str, entity_id: Any,
            payload: Any) -> None:
    """Undo what a refused use case did and keep the refusal: nothing else is stored."""
    s.rollback()
    try:
        audit.append(s, actor, action, entity, entity_id, payload, changes=False)
        commit(s, write=False)
    except BaseException:
        s.rollback()
        raise


def verify_audit(s: Session) -> audit.Verification:
    """`audit verify`: the database file's integrity first (SQLite), then the hash chain and
    its checkpoint."""
    problem = db.damage(s)
    if problem:
        raise RuleViolation("database file damaged", key="audit.corrupt", detail=problem)
    return audit.verify(s)


def recount_kept(s: Session, actor: str) -> int:
    """`audit recount`: the counts kept by the writes (kept/counts.py) counted again from the
    stages, for a database restored from a backup of an older merzim or changed outside merzim;
    how many kept rows differed from the recount. The record moves every list's version (a
    write of no organisation), so the pages read the new counts; the commit counts them."""
    differed = len(kept.differences(s))
    audit.append(s, actor, "counts.recount", "counts", "*", {"differed": differed})
    return differed
