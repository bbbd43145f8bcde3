"""Outbox delivery: claim rows, send them through their channel, mark sent or retry with backoff.

A row is claimed (status 'sending', a claim token, a lease) in its own short transaction
(one statement, committed before the row is sent; `Claims`), sent, then marked 'sent'. A
worker killed after sending and before marking leaves the row 'sending'; when the lease runs
out another pass sends it again: a crash can repeat at most the message whose send was
interrupted, and never loses one. PostgreSQL workers claim with
FOR UPDATE SKIP LOCKED, so several can run at once without taking the same row.

The marks go over one connection per run, each committed on its own without waiting for the
disk (`Marks`: a database crash, not a worker's, may repeat its last fraction of a second of
messages). Reusing an SMTP connection does not change this either: each row is still marked
'sent' right after its own send, before the next row goes out on the same connection. (The email
channel may also repeat the one message in flight when its SMTP session drops; see
notifications/email.py.)
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy import bindparam, text
from sqlalchemy import select as select_columns
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from notifications.channels import ChatBlocked, DeliveryError, Outgoing, RetryAfter, TemporaryFailure
from notifications.render import snooze_buttons
from workflow.settings import OutboxSettings
from workflow.storage import audit
from workflow.storage.models import Declarant, OutboxMessage, User

log = logging.getLogger("merzim.outbox")

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def message_id(row: Claimed, sender: str = "merzim@localhost") -> str:
    """Stable per row, so a repeated send is recognisable as the same message."""
    domain = sender.rsplit("@", 1)[-1] or "localhost"
    return f"<merzim.{row.id}.{row.local_day:%Y%m%d}.{row.channel}@{domain}>"


ANALYZE_AFTER = 1_000  # rows a plan writes at once before the outbox's statistics are refreshed


def refresh_statistics(engine: Engine, written: int) -> bool:
    """After a plan wrote `written` rows at once: on PostgreSQL, `ANALYZE outbox` when that is
    at least ANALYZE_AFTER rows. Until autovacuum analyses a table that grew by thousands of
    rows (up to a minute or more), the planner still believes the outbox nearly empty and
    answers each claim with a bitmap scan and a sort of every pending row (48 ms a claim at
    50,000 pending digests, 2,500 claims of 20) instead of walking the primary key to its first
    20 due rows (0.17 ms). ANALYZE reads a sample (at most 30,000 rows), takes no lock that
    blocks reads or writes, and is what autovacuum would run a little later. SQLite: nothing
    (its claims use the index either way). Returns whether it ran."""
    if written < ANALYZE_AFTER or engine.dialect.name != "postgresql":
        return False
    with engine.connect() as conn:
        conn.execute(text("ANALYZE outbox"))
        conn.commit()
    return True


class Claimed(Protocol):
    """What a dispatch run reads of a claimed row (a `claim` result row, or an OutboxMessage)."""

    @property
    def id(self) -> int | None: ...
    @property
    def recipient_id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def local_day(self) -> date: ...
    @property
    def address(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def body_text(self) -> str: ...
    @property
    def body_html(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def stages(self) -> str | None: ...


_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
# the columns a send needs, typed (SQLite's dates come back as dates)
_CLAIMED = tuple(_OUTBOX.c[name] for name in ("id", "recipient_id", "channel", "local_day",
                                               "address", "subject", "body_text", "body_html",
                                               "attempts", "stages"))


class _RunConnection:
    """One connection a dispatch run keeps from its first use to its end, each statement
    committed on its own (autocommit). A connection found broken is replaced once (the
    statements run on it are safe to repeat)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.conn: Any = None
        self._restore: str | None = None

    def _settings(self, conn: Any) -> None:
        """Set up a new connection (and say in `_restore` how to undo it)."""

    def _open(self) -> Any:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            self._settings(conn)
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        return conn

    def _run(self, execute: Callable[[Any], Any]) -> Any:
        if self.conn is None:
            self.conn = self._open()
        try:
            return execute(self.conn)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        self.close()  # the connection died under us: once more on a new one
        self.conn = self._open()
        return execute(self.conn)

    def close(self) -> None:
        conn, self.conn = self.conn, None
        restore, self._restore = self._restore, None
        if conn is None:
            return
        try:
            if restore and not conn.invalidated:
                conn.exec_driver_sql(restore)
        except Exception:  # never back to the pool with the setting: dropped instead
            conn.invalidate()
        finally:
            conn.close()


class Claims(_RunConnection):
    """The connection a dispatch run claims its rows on: one statement a claim,
    `UPDATE … RETURNING` the columns a send needs (where the database cannot return rows
    from an UPDATE, SQLite before 3.35: the UPDATE, then a SELECT of the rows holding the
    claim's token). Each claim is committed, waiting for the disk as usual, before its first
    row is sent.

    Before, a claim checked a connection out of the pool (a ping), began, updated,
    committed, read the rows back as ORM objects and rolled back: six round trips and the
    ORM's work for every 20 messages."""

    def __init__(self, engine: Engine):
        super().__init__(engine)
        self._statements: dict[tuple[int, bool], Any] = {}

    def _statement(self, channels: int, after: bool) -> Any:
        key = (channels, after)
        statement = self._statements.get(key)
        if statement is None:
            dialect = self.engine.dialect
            chan_filter = " AND id > :after" if after else ""
            if channels:
                chan_filter += f" AND channel IN ({', '.join(f':c{i}' for i in range(channels))})"
            lock = " FOR UPDATE SKIP LOCKED" if dialect.name == "postgresql" else ""
            inner = (f"SELECT id FROM outbox WHERE ((status = 'pending' AND next_attempt_at <= :now) "
                     f"OR (status = 'sending' AND claimed_at < :stale)){chan_filter} "
                     f"ORDER BY id LIMIT :n{lock}")
            update = (f"UPDATE outbox SET status = 'sending', claim_token = :tok, "
                      f"claimed_at = :now WHERE id IN ({inner})")
            if getattr(dialect, "update_returning", False):
                names = ", ".join(c.name for c in _CLAIMED)
                statement = text(f"{update} RETURNING {names}").columns(*_CLAIMED)
            else:
                statement = (text(update), select_columns(*_CLAIMED).where(
                    _OUTBOX.c.claim_token == bindparam("tok"), _OUTBOX.c.status == SENDING))
            self._statements[key] = statement
        return statement

    def claim(self, settings: OutboxSettings, now: float, token: str,
              channels: tuple[str, ...] | None = None, after: int = 0) -> list[Claimed]:
        """Take up to `batch` due rows (pending and due, or 'sending' with an expired lease),
        the oldest first; `after`: only rows after that id (a run going on from its last
        claim)."""
        params: dict[str, Any] = {"now": now, "stale": now - settings.lease_seconds,
                                  "n": settings.batch, "tok": token, "after": after}
        params.update({f"c{i}": c for i, c in enumerate(channels or ())})
        statement = self._statement(len(channels or ()), bool(after))

        def execute(conn: Any) -> list[Any]:
            if isinstance(statement, tuple):
                conn.execute(statement[0], params)
                return list(conn.execute(statement[1], {"tok": token}))
            return list(conn.execute(statement, params))

        rows: list[Claimed] = self._run(execute)
        rows.sort(key=lambda r: r.id or 0)  # RETURNING says nothing of the order
        return rows


class Marks(_RunConnection):
    """The connection a dispatch run marks its rows on (sent, retried, failed): one for the
    run, each mark a statement committed on its own (autocommit), right after its send.

    Before, each mark checked a connection out of the pool (a ping), began, updated and
    committed: four round trips and a flush of the log to disk between two messages. Now one
    round trip, and the commit does not wait for that flush: PostgreSQL's
    `synchronous_commit = off`, SQLite's `synchronous = NORMAL` (in WAL mode), on this
    connection only, restored before it goes back to the pool. What that changes: nothing
    when the worker dies (the database has the mark); if the database server itself crashes
    (or the machine loses power) the marks of its last fraction of a second can be lost,
    and those messages are sent once more when their lease runs out — a repeat with the same
    Message-ID, never a lost message. Claims stay fully synchronous.

    Each kind of mark (the columns it sets) is one statement written once for the run in the
    driver's own parameter style and sent as it is (`exec_driver_sql`; PostgreSQL prepares it
    after its first few uses): SQLAlchemy does not parse and look up a new `text()` for every
    message.

    A connection found broken is replaced once (the mark is idempotent: it applies only while
    our claim token holds the row)."""

    def __init__(self, engine: Engine):
        super().__init__(engine)
        style = engine.dialect.paramstyle
        self._param = "%({})s" if style == "pyformat" else ":{}"  # psycopg; sqlite3 (dicts)
        self._statements: dict[tuple[str, ...], str] = {}

    def _settings(self, conn: Any) -> None:
        if self.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET synchronous_commit = off")
            self._restore = "RESET synchronous_commit"
        elif self.engine.dialect.name == "sqlite":
            was = conn.exec_driver_sql("PRAGMA synchronous").scalar()
            if conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal":
                conn.exec_driver_sql("PRAGMA synchronous = NORMAL")
                self._restore = f"PRAGMA synchronous = {int(was or 2)}"  # 2: FULL

    def mark(self, row_id: int | None, token: str, values: dict[str, Any]) -> bool:
        """Set `values` on the row if our claim still holds it; whether it did."""
        keys = tuple(values)
        statement = self._statements.get(keys)
        if statement is None:
            p = self._param.format
            sets = ", ".join(f"{k} = {p(k)}" for k in keys)
            statement = self._statements[keys] = (
                f"UPDATE outbox SET {sets} WHERE id = {p('id')} AND claim_token = {p('tok')}")
        params = {**values, "id": row_id, "tok": token}
        return int(self._run(lambda conn: conn.exec_driver_sql(statement, params).rowcount)) == 1


def _finish(marks: Marks, row: Claimed, token: str, **values: Any) -> bool:
    """Update the row only if our claim still holds it."""
    return marks.mark(row.id, token, values)


def backoff(settings: OutboxSettings, attempts: int) -> float:
    """Exponential: base, 2×base, 4×base … capped."""
    return min(settings.backoff_seconds * (2 ** max(attempts - 1, 0)), settings.max_backoff_seconds)


def dispatch(engine: Engine, settings: OutboxSettings, channels: dict[str, Any],
             sender: str = "merzim@localhost", clock: Callable[[], float] = time.time,
             on_blocked: Callable[[int], None] | None = None, max_rounds: int = 1000,
             stop: Callable[[], bool] | None = None) -> DispatchStats:
    """Send everything that is due now (until `stop()` says so); return what happened.

    A channel may keep a connection open across the run's messages (email reuses one SMTP
    session); its `close()`, if it has one, is called when the run ends, however it ends.
    """
    marks, claims = Marks(engine), Claims(engine)
    try:
        return _dispatch(engine, claims, marks, settings, channels, sender, clock, on_blocked,
                         max_rounds, stop)
    finally:
        claims.close()
        marks.close()
        for channel in channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as exc:  # closing must not hide the run's own outcome
                    log.warning("closing the %s channel failed: %s", getattr(
                        channel, "name", "?"), exc)


def _dispatch(engine: Engine, claims: Claims, marks: Marks, settings: OutboxSettings,
              channels: dict[str, Any], sender: str, clock: Callable[[], float],
              on_blocked: Callable[[int], None] | None, max_rounds: int,
              stop: Callable[[], bool] | None) -> DispatchStats:
    stats = DispatchStats()
    names = tuple(channels)
    # Each claim goes on after the run's last claimed id: the database reads the next rows of
    # the primary key instead of sorting every due row again (50,000 pending digests: each
    # claim of 20 sorted them all, ~30 ms under load). When nothing is left after it, one
    # claim from the start takes what an earlier id still holds (a lease run out, a retry
    # now due).
    after = 0
    for _ in range(max_rounds):
        if stop is not None and stop():  # stopping: finish the batch claimed, claim no more
            break
        token = uuid.uuid4().hex
        rows = claims.claim(settings, clock(), token, names, after)
        if not rows:
            if not after:
                break
            after = 0
            continue
        after = max(r.id for r in rows if r.id is not None)
        for row in rows:
            channel = channels[row.channel]
            out = Outgoing(message_id(row, sender), row.address, row.subject, row.body_text,
                           row.body_html, _buttons(engine, row))
            try:
                try:
                    channel.send(out)
                except DeliveryError:
                    raise
                except Exception as exc:  # an unexpected channel error is retried, never stuck
                    raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
            except RetryAfter as exc:
                _finish(marks, row, token, status=PENDING, claim_token=None,
                        next_attempt_at=clock() + exc.seconds, last_error=str(exc))
                stats.retried += 1
                continue
            except DeliveryError as exc:
                attempts = row.attempts + 1
                if not exc.temporary or attempts >= settings.max_attempts:
                    _finish(marks, row, token, status=FAILED, attempts=attempts,
                            claim_token=None, last_error=str(exc))
                    stats.failed += 1
                    log.warning("outbox %s failed: %s", row.id, exc)
                    if isinstance(exc, ChatBlocked) and on_blocked is not None:
                        on_blocked(row.recipient_id)
                else:
                    _finish(marks, row, token, status=PENDING, attempts=attempts,
                            claim_token=None, next_attempt_at=clock() + backoff(settings, attempts),
                            last_error=str(exc))
                    stats.retried += 1
                stats.errors.append(f"{row.id}: {exc}")
                continue
            _finish(marks, row, token, status=SENT, attempts=row.attempts + 1, sent_at=clock(),
                    claim_token=None, last_error=None)
            stats.sent += 1
        # rows waiting for a retry are not due yet; the next pass will see only new work
    return stats


def _buttons(engine: Engine, row: Claimed) -> tuple[tuple[str, str], ...]:
    """A Telegram digest's snooze buttons, in its recipient's language."""
    if row.channel != "telegram" or not row.stages or row.stages == "[]" or row.id is None:
        return ()
    with Session(engine) as s:
        user = s.get(User, row.recipient_id)
    return snooze_buttons(user.language if user is not None else "kk", row.id)


def list_rows(s: Session, statuses: tuple[str, ...] = (PENDING, SENDING, FAILED),
              day: date | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(col(OutboxMessage.status).in_(statuses))
    if day is not None:
        query = query.where(OutboxMessage.local_day == day)
    return list(s.exec(query.order_by(col(OutboxMessage.id))))


def recipient_org(s: Session, row: OutboxMessage) -> int | None:
    """The organisation of a message's recipient: an account's, or a declarant's (a reminder
    of the declarations list, to an employee who has no account); None: neither is known."""
    if row.recipient_id is not None:
        user = s.get(User, row.recipient_id)
        return user.organisation_id if user is not None else None
    person = s.get(Declarant, row.declarant_id) if row.declarant_id is not None else None
    return person.organisation_id if person is not None else None


def retry(s: Session, ids: list[int] | None, actor: str) -> int:
    """Put failed rows (all, or those given) back in the queue for an immediate send; audited.

    Each goes to the recipient's address as it is now (an operator usually fixes a wrong email
    or re-links Telegram before retrying; a declarant's reminder, her e-mail on the declarations
    list); a row whose recipient is inactive or has no address for the channel any more stays
    failed."""
    query = select(OutboxMessage).where(OutboxMessage.status == FAILED)
    if ids:
        query = query.where(col(OutboxMessage.id).in_(ids))
    n = 0
    for row in s.exec(query):
        user = s.get(User, row.recipient_id) if row.recipient_id is not None else None
        current = None
        if row.declarant_id is not None:  # a declarant's reminder: her e-mail as it is now
            person = s.get(Declarant, row.declarant_id)
            current = person.email if person is not None and person.active else None
        elif user is not None and user.active:
            current = user.email if row.channel == "email" else (
                user.telegram_chat_id if user.telegram_active else None)
        if not current:
            continue
        row.address = current
        row.status, row.attempts, row.next_attempt_at, row.claim_token = PENDING, 0, 0.0, None
        s.add(row)
        n += 1
    s.flush()
    audit.append(s, actor, "outbox.retry", "outbox", str(ids[0]) if ids and len(ids) == 1 else "*",
                 {"ids": list(ids or []), "n": n})
    return n


def mark_chat_blocked(s: Session, user_id: int) -> User | None:
    user = s.get(User, user_id)
    if user is not None and user.telegram_active:
        user.telegram_active = False
        s.add(user)
        s.flush()
    return user
