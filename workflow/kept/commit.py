"""What a write's commit does for the kept figures, in one listener of every session's
commits (`before_commit`, installed once on the Session class): the transaction's last flush,
then the guard's check of the stages and cases it wrote (kept/guard.py `check`: refused before
anything is counted), the counts of the organisations its records touched counted again
(kept/counts.py `at_commit`) and the versions of the scopes they touched moved
(kept/versions.py `at_commit`), in the transaction, under the appends' lock.

One listener installed once rather than one per session and figure: a session that writes
registers nothing, and a transaction that neither appended nor wrote a stage or a case (a
page's read) costs its flush (nothing when it is clean) and a look at its session's `info`."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from workflow.kept import counts, guard, versions

# what a transaction's writes noted for its commit (the guard's rows, the counts', the
# versions'): a session whose `info` holds none of them has nothing to do at its commit
_NOTED = (guard.WRITTEN, counts.PENDING, versions.PENDING)


def _before_commit(s: Session) -> None:
    if s.in_nested_transaction():  # a savepoint released (a bulk item): not the commit
        return
    s.flush()  # (before_commit runs before the commit's own flush; nothing sent if clean)
    info = s.info
    if not any(key in info for key in _NOTED):
        return
    guard.check(s)
    counts.at_commit(s)
    versions.at_commit(s)


def install() -> None:
    """Listen to every session's commits (once)."""
    if not event.contains(OrmSession, "before_commit", _before_commit):
        event.listen(OrmSession, "before_commit", _before_commit)


install()
