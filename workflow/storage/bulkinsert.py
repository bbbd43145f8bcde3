"""Many rows of one table inserted at the driver's speed (the bulk planning of issue 15.1).

SQLAlchemy Core builds a parameter dictionary per row and runs every value through its type
processors one call at a time; for 200,000 stage rows that costs more than SQLite's own work.
Here the values are converted by the same type processors (a date as SQLite stores it, a JSON
column as SQLAlchemy serialises it: `None` as JSON null, as the ORM writes it) and sent as
plain tuples: one `executemany` of one prepared statement on SQLite, one `COPY ... FROM
STDIN` on PostgreSQL (psycopg streams the rows; multi-row INSERTs cost psycopg more client
CPU than the server's work, and `executemany` ten times COPY's). Both run in the caller's
transaction, so a failure rolls them back with the rest. The ids are the caller's (taken in
bulk beforehand), so no statement has to return any.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from workflow.storage.db import driver_connection


def insert_rows(conn: Connection, table: Table, columns: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> int:
    """Insert `rows` (tuples in the order of `columns`) into `table`; returns their number."""
    dialect = conn.dialect
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
    if any(processors):
        convert = [(i, _memoised(p)) for i, p in enumerate(processors) if p is not None]
        values = []
        for row in rows:
            row = list(row)
            for i, p in convert:
                row[i] = p(row[i])
            values.append(tuple(row))
    else:
        values = [tuple(row) for row in rows]
    if not values:
        return 0
    quote = dialect.identifier_preparer
    target = (f"{quote.format_table(table)} "
              f"({', '.join(quote.quote(name) for name in columns)})")
    if dialect.name == "postgresql":
        return _copy(conn, f"COPY {target} FROM STDIN", values)
    marks = ", ".join(["?" if dialect.paramstyle == "qmark" else "%s"] * len(columns))
    with _page_cache(conn, len(values)):
        conn.exec_driver_sql(f"INSERT INTO {target} VALUES ({marks})", values)  # executemany
    return len(values)


BIG = 10_000  # rows from which SQLite gets a larger page cache for the insert
CACHE_KIB = 65_536


@contextlib.contextmanager
def _page_cache(conn: Connection, rows: int):
    """SQLite: a 64 MiB page cache (default 2 MiB) while many rows go into a table's
    B-trees (the stage table's list indexes take rows all over the index: with the small
    cache each insert reads pages back; a quarter less CPU for 200,000 stage rows); the
    connection's setting is restored after."""
    if conn.dialect.name != "sqlite" or rows < BIG:
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    if before is None or (before < 0 and -before >= CACHE_KIB):
        yield
        return
    conn.exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def _copy(conn: Connection, statement: str, values: list[tuple]) -> int:
    """PostgreSQL: the rows through COPY ... FROM STDIN on the session's own connection (in its
    transaction), announced to the engine's statement listeners as any statement is."""
    cursor = driver_connection(conn).cursor()
    try:
        conn.dispatch.before_cursor_execute(conn, cursor, statement, (), None, True)
        with cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
        conn.dispatch.after_cursor_execute(conn, cursor, statement, (), None, True)
    finally:
        cursor.close()
    return len(values)


def _memoised(processor):
    """A column's type processor that converts each distinct value once (dates, None, flags,
    strings and the named dates of a JSON column repeat across thousands of rows); a value
    that is not plain (a list, a dict holding one) is converted every time."""
    seen: dict[Any, Any] = {}

    def convert(value):
        if isinstance(value, dict):
            try:
                # in insertion order (part of the JSON), with each value's type (1 is not true)
                key = (dict, tuple((k, v.__class__, v) for k, v in value.items()))
                hash(key)
            except TypeError:
                return processor(value)
        elif isinstance(value, list):
            return processor(value)
        else:
            key = (value.__class__, value)
        try:
            return seen[key]
        except KeyError:
            out = seen[key] = processor(value)
            return out

    return convert
