"""Many rows of one table inserted at the driver's speed (the bulk planning).

SQLAlchemy Core builds a parameter dictionary per row and runs every value through its type
processors one call at a time; for 200,000 stage rows that costs more than SQLite's own work.
Here the values are converted by the same type processors (a date as SQLite stores it, a JSON
column as SQLAlchemy serialises it: `None` as JSON null, as the ORM writes it) and sent as
plain tuples: one `executemany` of one prepared statement on SQLite, one `COPY ... FROM
STDIN` on PostgreSQL (multi-row INSERTs cost psycopg more client CPU than the server's work,
and `executemany` ten times COPY's). For COPY the rows are encoded here, column by column, in
COPY's text format (psycopg's `write_row` and a `json.dumps` per JSON value were
half the client's CPU of a country's `obligations sync`); a column of a type not handled here
falls back to psycopg's `write_row`. Both run in the caller's
transaction, so a failure rolls them back with the rest. The ids are the caller's (taken in
bulk beforehand), so no statement has to return any.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql import sqltypes
from sqlmodel import Session
from sqlmodel.sql.sqltypes import AutoString

from workflow.storage.db import driver_connection


def insert_rows(conn: Connection, table: Table, columns: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> int:
    """Insert `rows` (tuples in the order of `columns`) into `table`; returns their number."""
    dialect = conn.dialect
    if dialect.name == "postgresql":
        blocks = _copy_blocks(table, columns, rows)
        if blocks is not None:
            return _copy(conn, _copy_statement(dialect, table, columns), blocks)
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
    if dialect.name == "postgresql":
        return _copy(conn, _copy_statement(dialect, table, columns), values)
    quote = dialect.identifier_preparer
    target = (f"{quote.format_table(table)} "
              f"({', '.join(quote.quote(name) for name in columns)})")
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


def _copy_statement(dialect, table: Table, columns: Sequence[str]) -> str:
    quote = dialect.identifier_preparer
    return (f"COPY {quote.format_table(table)} "
            f"({', '.join(quote.quote(name) for name in columns)}) FROM STDIN")


def _copy(conn: Connection, statement: str, values: list[tuple] | _Blocks) -> int:
    """PostgreSQL: the rows through COPY ... FROM STDIN on the session's own connection (in its
    transaction), announced to the engine's statement listeners as any statement is: as COPY's
    text format made here (`_copy_blocks`), a block at a time, else row by row by psycopg."""
    if isinstance(values, _Blocks):
        first = values.first()
        if first is None:
            return 0
    cursor = driver_connection(conn).cursor()
    try:
        conn.dispatch.before_cursor_execute(conn, cursor, statement, (), None, True)
        with cursor.copy(statement) as copy:
            if isinstance(values, _Blocks):
                # each block is encoded (and its rows made, when they come from a generator)
                # while the server is still inserting the block before it
                copy.write(first)
                for block in values:
                    copy.write(block)
            else:
                for row in values:
                    copy.write_row(row)
        conn.dispatch.after_cursor_execute(conn, cursor, statement, (), None, True)
    finally:
        cursor.close()
    return values.rows if isinstance(values, _Blocks) else len(values)


COPY_BLOCK = 2_000  # rows per block written to COPY (a few hundred KiB)


class _Blocks:
    """Rows in COPY's text format, a block of `COPY_BLOCK` lines at a time, encoded column by
    column as they are asked for; `rows` counts the rows encoded so far."""

    def __init__(self, encoders: list[Callable[[list], list[str]]],
                 rows: Iterable[Sequence[Any]]):
        self.encoders, self.rows = encoders, 0
        self._rows = iter(rows)
        self._first: str | None = None

    def first(self) -> str | None:
        """The first block (None when there are no rows), kept for the iteration."""
        if self._first is None:
            self._first = next(self._blocks(), None)
        return self._first

    def __iter__(self):
        return self._blocks()

    def _blocks(self):
        while True:
            rows = list(itertools.islice(self._rows, COPY_BLOCK))
            if not rows:
                return
            self.rows += len(rows)
            columns = [encode([row[i] for row in rows])
                       for i, encode in enumerate(self.encoders)]
            yield "".join([line + "\n" for line in map("\t".join, zip(*columns, strict=True))])


NULL = "\\N"


def _escaped(value: str) -> str:
    """A text value as COPY's text format writes it: a backslash, tab, newline and carriage
    return escaped."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r"))
    return value


def _each_once(encode: Callable[[Any], str]) -> Callable[[list], list[str]]:
    """A column encoder that encodes each distinct value once (a column of thousands of rows
    repeats a few hundred dates, keys, statuses and paths), for the whole insert: None as
    NULL."""
    return _remembering(encode, lambda v: True)


def _strings() -> Callable[[list], list[str]]:
    """A text column's encoder: each distinct string once (a value of another type, which
    might equal one of another type, every time)."""
    return _remembering(lambda v: _escaped(str(v)), lambda v: v.__class__ is str)


def _remembering(encode: Callable[[Any], str],
                 kept: Callable[[Any], bool]) -> Callable[[list], list[str]]:
    """A column encoder that remembers the text of each value `kept` says it may, for the
    whole insert: None as NULL."""
    seen: dict[Any, str] = {None: NULL}

    def column(values: list) -> list[str]:
        out = []
        get = seen.get
        for v in values:
            text = get(v)
            if text is None:
                text = encode(v)
                if kept(v):
                    seen[v] = text
            out.append(text)
        return out

    return column


def _integer(v) -> str:
    return str(int(v))


def _boolean(v) -> str:
    return "t" if v else "f"


def _text_encoder(column) -> Callable[[list], list[str]] | None:
    """How a column's values are written in COPY's text format (the text PostgreSQL stores
    for each, as psycopg would send it): None for a type not handled here. Each call makes a
    new encoder (with its own memory of the values it has encoded)."""
    kind = column.type
    if isinstance(kind, AutoString):  # SQLModel's str: a VARCHAR, the value sent as it is
        kind = sqltypes.String()
    if isinstance(kind, sqltypes.JSON):
        return _json_column()
    if isinstance(kind, sqltypes.Boolean):
        return _each_once(_boolean)
    if isinstance(kind, sqltypes.Integer):
        return _each_once(_integer)
    if isinstance(kind, sqltypes.Date) and not isinstance(kind, sqltypes.DateTime):
        return _each_once(lambda v: v.isoformat())
    if isinstance(kind, sqltypes.String):  # Text too
        return _strings()
    return None


def _json_column() -> Callable[[list], list[str]]:
    # as SQLAlchemy and psycopg serialise a JSON value (json.dumps; None as JSON null, as the
    # ORM writes it), each distinct value once
    encode = _memoised(lambda v: _escaped(json.dumps(v)))
    return lambda values: [encode(v) for v in values]


def _copy_blocks(table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
                 ) -> _Blocks | None:
    """The rows in COPY's text format, a block at a time, or None when a column's type is not
    one `_text_encoder` knows."""
    encoders = [_text_encoder(table.c[name]) for name in columns]
    if any(e is None for e in encoders):
        return None
    return _Blocks(encoders, rows)  # type: ignore[arg-type]


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


def new_ids(s: Session, model: Any, n: int) -> list[int]:
    """`n` new ids of a table, taken before the inserts so that each is one statement (a
    multi-row INSERT cannot return its ids in order on SQLite): the next ones after the
    largest on SQLite, which holds the write lock; the table's sequence on PostgreSQL."""
    if n == 0:
        return []
    table = model.__tablename__
    conn = s.connection()
    if conn.dialect.name == "postgresql":
        # the sequence named once (not looked up per row), the ids as one array, not n rows
        # (each a Row of SQLAlchemy's): at 180,000 ids half a second less
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                                {"t": table}).scalar_one()
        return list(conn.execute(text(
            "SELECT array_agg(nextval(CAST(:s AS regclass)) ORDER BY i) "
            "FROM generate_series(1, :n) AS i"), {"s": sequence, "n": n}).scalar_one())
    last = conn.execute(select(func.max(model.id))).scalar() or 0
    return list(range(last + 1, last + n + 1))
