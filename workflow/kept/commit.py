"""What a write's commit does for the kept figures, in one listener of every session's
commits (`before_commit`, installed once on the Session class): the transaction's last flush,
then the guard's check of the stages and cases it wrote (kept/guard.py `check`: refused before
anything is counted), the counts of the organisations its records touched counted again
(kept/counts.py) and the versions of the scopes they touched moved (kept/versions.py), in the
transaction, under the appends' lock (two writers never do this at once: no update is lost,
no two wait for each other's rows).

PostgreSQL: the counts and the versions in one statement (`_BOTH`: kept/counts.py `refreshed`
with kept/versions.py `moved` in its WITH), one round trip where three were (the client's CPU
of a statement is most of what a kept figure costs a write there); SQLite, which has no
data-modifying WITH, sends them one by one.

One listener installed once rather than one per session and figure: a session that writes
registers nothing, and a transaction that neither appended nor wrote a stage or a case (a
page's read) costs its flush (nothing when it is clean) and a look at its session's `info`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from workflow.kept import counts, guard, versions
from workflow.kept.statements import Statement

# what a transaction's writes noted for its commit (the guard's rows, the counts', the
# versions'): a session whose `info` holds none of them has nothing to do at its commit
_NOTED = (guard.WRITTEN, counts.PENDING, versions.PENDING)


def _both(orgs: Any, cases: Any, scopes: Any, version: Any) -> Any:
    return counts.refreshed(orgs, cases).add_cte(versions.moved(scopes, version).cte("moved"))


_BOTH = Statement(_both, {**counts.IDS, "scopes": String(), "version": Integer()})


def _before_commit(s: Session) -> None:
    if s.in_nested_transaction():  # a savepoint released (a bulk item): not the commit
        return
    s.flush()  # (before_commit runs before the commit's own flush; nothing sent if clean)
    info = s.info
    if not any(key in info for key in _NOTED):
        return
    guard.check(s)
    noted, ids = counts.taken(s)
    moved = versions.taken(s)
    if noted and ids is not None and moved is not None \
            and max(len(ids[0]), len(ids[1])) <= counts.CHUNK \
            and s.get_bind().dialect.name == "postgresql":
        _BOTH(s.connection(), orgs=sorted(ids[0]), cases=sorted(ids[1]), scopes=moved[0],
              version=[moved[1]])
        return
    if noted and ids is None:
        counts.recount(s, None)
    elif noted and ids is not None:
        counts.recount(s, *ids)
    if moved is not None:
        versions.write(s, *moved)


def install() -> None:
    """Listen to every session's commits (once)."""
    if not event.contains(OrmSession, "before_commit", _before_commit):
        event.listen(OrmSession, "before_commit", _before_commit)


install()
