"""The versions of what the figures kept across requests read (kept/versions.py: the scopes,
which writes move which; kept/figures.py: which figure reads which), read once per
transaction: the one place every kept figure asks."""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any, TypeVar

from sqlmodel import Session

from workflow.kept import versions
from workflow.storage import audit

C = TypeVar("C")


def scoped_versions(s: Session, scopes: Sequence[str]) -> tuple[int, ...] | None:
    """The versions of `scopes` (kept/versions.py says which writes move which; kept/figures.py
    what each figure reads). Appends to the audit chain are
    serialised until commit, so versions become visible in the order they were written: a
    request that reads version N of a scope sees every write up to N in it. Read once per
    transaction (an append in it drops the memo: storage/audit.py), the scopes not read yet in
    one statement on the primary key. None in a transaction that has written and not
    committed: what it reads is its own (and may be rolled back), no version anyone shares."""
    if audit.wrote(s):
        return None
    known = versions_read(s, scopes)
    return tuple(map(known.__getitem__, scopes))


def versions_read(s: Session, scopes: Sequence[str]) -> dict[str, int]:
    """The transaction's memo of versions, with `scopes` read (those not read yet, in one
    statement)."""
    tx, memo = s.get_transaction(), s.info.get(audit.VERSION)
    if memo is None or tx is None or memo[0] is not tx:
        memo = s.info[audit.VERSION] = (s.get_transaction(), {})
    known: dict[str, int] = memo[1]
    missing = [sc for sc in dict.fromkeys(scopes) if sc not in known]
    if missing:
        known.update(versions.read(s, missing))
    return known


def known_versions(s: Session, found: dict[str, int]) -> None:
    """Versions a statement of this transaction read with another answer (a page's session's:
    storage/queries/accounts.py `session_with_user`), kept in the transaction's memo as
    `versions_read` keeps its own: the later asks of the same scopes send no statement."""
    if audit.wrote(s):
        return
    tx, memo = s.get_transaction(), s.info.get(audit.VERSION)
    if memo is None or tx is None or memo[0] is not tx:
        memo = s.info[audit.VERSION] = (tx, {})
    known: dict[str, int] = memo[1]
    known.update(found)


def of_database(s: Session, caches: MutableMapping[Any, C], lock: threading.Lock,
                make: Callable[[], C]) -> C:
    """The cache in `caches` of the session's database (its engine), made by `make()` on first
    use; under `lock`, which guards `caches`."""
    bind = s.get_bind()
    with lock:
        cache = caches.get(bind)
        if cache is None:
            cache = caches[bind] = make()
        return cache
