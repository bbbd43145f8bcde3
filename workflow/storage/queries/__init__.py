"""Shared queries of the storage layer: the organisation subtree filter (written once),
SELECTs of many columns, and a transaction's statements kept from JIT compilation."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import LRUCache
from sqlalchemy import func, literal_column, or_, true
from sqlalchemy import select as rows_of
from sqlmodel import Session, col
from sqlmodel.sql.expression import Select

from workflow.storage.models import Case, ImportPending, Organisation

T = TypeVar("T")
PATH_END = "0"  # the character after "/": a subtree is path >= "/1/5/" and < "/1/5" + "0"


def subtree_range(org: Organisation) -> tuple[str, str]:
    return path_range(org.path)


def path_range(path: str) -> tuple[str, str]:
    """The paths of the subtree of the organisation at `path`: >= the first, < the second."""
    return path, path[:-1] + PATH_END


def in_subtree(path_column, org: Organisation):
    """The SQL condition "this path lies in the organisation's subtree" (the one copy)."""
    return in_subtree_at(path_column, org.path)


def in_subtree_at(path_column, path: str):
    """`in_subtree` of the organisation at `path`."""
    lo, hi = path_range(path)
    return (path_column >= lo) & (path_column < hi)


# Statements built once per what they are made of (`built`): building a SELECT of many
# columns with aliases and subqueries costs more CPU than PostgreSQL takes to run it on a page
# of rows (a list's page of 50 rows: ~1.3 ms of 2.3), and a list read again after a write asks
# for the very statement it asked before. Bounded; a statement is immutable once built, so
# threads share it (SQLAlchemy compiles it once more only when its compiled form was dropped).
STATEMENTS_KEPT = 1024
_BUILT: LRUCache[Hashable, Any] = LRUCache(STATEMENTS_KEPT)
_BUILT_LOCK = threading.Lock()


def built(key: Hashable, build: Callable[[], T]) -> T:
    """The statement `build()` makes, built once for `key`, which names everything the
    statement is made of (the values it compares with, the dialect's spelling, the order, the
    page): the same key must build the same statement."""
    with _BUILT_LOCK:
        found = _BUILT.get(key)
    if found is None:
        found = build()
        with _BUILT_LOCK:
            _BUILT[key] = found
    return found


def read(s: Session, statement: Any, params: dict[str, Any] | None = None) -> Any:
    """The rows of a SELECT of columns (no ORM entity), sent on the session's connection: what
    `Session.execute` reads, without the ORM's handling of a statement (its options, its
    compile state, its events: 45-65 µs a statement, measured, where SQLite takes 50-80 µs to
    run a page's kept reads). The session's pending changes are flushed first, as the ORM's
    autoflush would."""
    if s.new or s.dirty or s.deleted:
        s.flush()
    return s.connection().execute(statement, params)


def select_columns(*columns: Any) -> Select[*tuple[Any, ...]]:
    """SELECT of more columns than sqlmodel's typed `select` takes (four): what `select` builds
    for two columns or more, its rows typed as tuples of Any."""
    return Select(*columns)


def standing(case_id: Any) -> Any:
    """The SQL condition "the case `case_id` (a column: a case's id, a stage's case) is no
    unfinished import's" (`ImportPending`): every reader of cases or stages applies it, as it
    leaves out a withdrawn case. Written so that it costs next to nothing: the smallest id of
    the ranges is an uncorrelated subquery, evaluated once per statement, and a case below it
    (every case while no import is unfinished: NULL, taken as below) is not looked up in the
    ranges; the case id is in the stage lists' indexes, so their counts still read the
    indexes only. A stage of no case (a programme's) is of none."""
    first = rows_of(func.min(col(ImportPending.low))).scalar_subquery()
    ranges: Any = rows_of(literal_column("1")).select_from(ImportPending)
    return or_(func.coalesce(case_id < first, true()),
               ~ranges.where(col(ImportPending.low) <= case_id,
                             col(ImportPending.high) >= case_id).exists())


def live_case() -> Any:
    """The SQL condition "the case is not withdrawn and no unfinished import's": a case of
    every list, count, search, reminder, score and duplicate check."""
    return col(Case.withdrawn_at).is_(None) & standing(Case.id)


# PostgreSQL's JIT compilation of a transaction's statements: off for the lists. Their
# conditions (a timer's dates in JSON, records that set them) make the planner's cost estimate
# cross `jit_above_cost` on a large table, and compiling them costs more than they take to run
# (~600 ms against ~150 ms on 20,000 cases, measured: bench/api/README.md).
JIT_OFF = "merzim.jit_off"  # session.info: the transaction whose statements are not compiled


def jit_off_column() -> Any:
    """A column that, read in a transaction's statement on PostgreSQL, turns JIT compilation
    off for the rest of the transaction (`set_config(..., true)`: a statement already sent
    carries it, no round trip of its own); `jit_turned_off` notes it once it was read."""
    return func.set_config("jit", "off", True).label("jit_off")


def jit_turned_off(s: Session) -> None:
    """Note that a statement of this transaction read `jit_off_column` (a savepoint's may be
    rolled back: not noted)."""
    if not s.in_nested_transaction():
        s.info[JIT_OFF] = s.get_transaction()


def without_jit(s: Session) -> None:
    """PostgreSQL: no JIT compilation of this transaction's further statements (nothing sent
    when a statement of it already turned it off: `jit_off_column`)."""
    if s.get_bind().dialect.name == "postgresql" and (
            s.info.get(JIT_OFF) is None or s.info[JIT_OFF] is not s.get_transaction()):
        s.connection().exec_driver_sql("SET LOCAL jit = off")  # (no statement to compile)
        jit_turned_off(s)
