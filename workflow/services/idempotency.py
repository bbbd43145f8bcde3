"""Idempotency keys: a write sent again with the key of one that landed gets the first answer and
stores nothing.

A client (the API's `Idempotency-Key` header; a web form's hidden key, one per rendered form)
names its write with a key of its own. The web's kit (`web/kit/once.py`) asks here:

* `found(s, asked)`: the key's row, when the same user used it within `KEEP_SECONDS`;
* `take(s, asked)`: the key taken in the request's own session, first of its transaction
  (SQLite: under the write lock; PostgreSQL: a second request with the key waits on the row
  until the first ends, then finds its answer, `KeyTaken`); the session is then **deferred**
  (`transactions.DEFERRED`): the write's transactions are savepoints;
* `keep(s, asked, answer)`: the answer, built before the commit, written into the key's row,
  and the one commit of the write and its key: the row exists exactly when the write landed;
* `release(s, asked)`: a refused request frees its key (nothing of it was stored);
* `under_way(s)`: a write that commits as it goes (a people import, a batch a transaction)
  commits its key first, unanswered: a resend meanwhile hears it is in progress;
* the keys older than a day (`KEEP_SECONDS`) are deleted by the worker, with its heartbeat
  (`storage/queries/idempotency.forget_keys`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from workflow.services import transactions as tx
from workflow.storage import db
from workflow.storage.models import IdempotencyKey
from workflow.storage.queries import idempotency as queries

KEY_CHARS = 200  # the longest key (the column's length)
ANSWER_BYTES = 256 * 1024  # the longest answer kept; a longer one: "done, answer not kept"
KEEP_SECONDS = queries.KEEP_SECONDS  # how long a key answers (a day)


class KeyTaken(Exception):  # noqa: N818 - a state, not a failure
    """Another request with the same key landed first: its answer is kept."""


@dataclass(frozen=True, slots=True)
class Asked:
    """A write with a key: whose, which key, what was asked."""

    user_id: int
    key: str
    method: str
    path: str


@dataclass(frozen=True, slots=True)
class Answer:
    """What a write answered: status, content type, redirect, body (None: not kept)."""

    status: int
    content_type: str | None = None
    location: str | None = None
    body: str | None = None


@dataclass(frozen=True, slots=True)
class Kept:
    """A key's row: what was asked (method, path, the body's SHA-256), when, and the answer
    (None: taken, not answered yet)."""

    method: str
    path: str
    body_sha256: str | None
    at: float
    answer: Answer | None

    def same_request(self, asked: Asked, body_sha256: str) -> bool:
        return (self.method, self.path, self.body_sha256) == (asked.method, asked.path,
                                                              body_sha256)


def usable(key: str) -> bool:
    """A key the table holds: 1-200 printable ASCII characters (a UUID, a hash, a counter)."""
    return 0 < len(key) <= KEY_CHARS and key.isascii() and key.isprintable()


def found(s: Session, asked: Asked, now: float | None = None) -> Kept | None:
    """The key's row, if the user used it within `KEEP_SECONDS` (an older one is no more)."""
    row = queries.key_of(s, asked.user_id, asked.key)
    if row is None or row.created_at < (now or time.time()) - KEEP_SECONDS:
        return None
    answer = None if row.status is None else Answer(row.status, row.content_type, row.location,
                                                    row.answer)
    return Kept(row.method, row.path, row.body_sha256, row.created_at, answer)


def take(s: Session, asked: Asked, now: float | None = None) -> None:
    """Take the key in `s`, before anything else of its transaction, and defer the session's
    commits to `keep`; `KeyTaken` when another request's write with it landed meanwhile."""
    now = now or time.time()
    db.begin_write(s)  # SQLite: the write lock first (a second request waits here)
    queries.forget_key(s, asked.user_id, asked.key, now - KEEP_SECONDS)
    s.add(_row(asked, now))
    try:
        s.flush()  # PostgreSQL: a second request waits here, on the row, until the first ends
    except IntegrityError:
        s.rollback()
        raise KeyTaken() from None
    s.info[tx.DEFERRED] = True


def keep(s: Session, asked: Asked, body_sha256: str, answer: Answer,
         now: float | None = None) -> None:
    """Write the answer into the key's row (again, if a refusal rolled it back) and commit the
    write with it; `KeyTaken` when another request's write with the key landed first (this
    one is rolled back)."""
    row = queries.key_of(s, asked.user_id, asked.key)
    if row is None:
        row = _row(asked, now or time.time())
        s.add(row)
    body = answer.body
    if body is not None and len(body.encode()) > ANSWER_BYTES:
        body = None
    row.body_sha256, row.status, row.answer = body_sha256, answer.status, body
    row.content_type = (answer.content_type or "")[:200] or None
    row.location = (answer.location or "")[:2000] or None
    try:
        tx.commit(s)
    except IntegrityError:
        s.rollback()
        raise KeyTaken() from None
    finally:
        s.info.pop(tx.DEFERRED, None)


def under_way(s: Session) -> None:
    """A write that commits as it goes (an import written a batch a transaction), sent with a
    key: the key committed now, unanswered — the same request again meanwhile is told it is
    in progress (409 `idempotency.in_progress`) — so that the key's transaction holds no lock
    while the write works (SQLite's `take` holds the database's); the answer is kept at its
    end as any write's (`keep`), a refusal frees the key (`release`). Without a key: nothing."""
    if s.info.get(tx.DEFERRED):
        tx.commit(s, write=False)


def release(s: Session, asked: Asked) -> None:
    """A request answered with a refusal frees its key (its refusal rolled the key back as a
    rule; an audit of a read may have committed it unanswered); whatever else it holds is
    committed, as it would have been without a key."""
    s.info.pop(tx.DEFERRED, None)
    row = queries.key_of(s, asked.user_id, asked.key)
    if row is not None and row.status is None:
        s.delete(row)
    tx.commit(s, write=False)


def _row(asked: Asked, now: float) -> IdempotencyKey:
    return IdempotencyKey(user_id=asked.user_id, key=asked.key, method=asked.method[:8],
                          path=asked.path[:2000], created_at=now)
