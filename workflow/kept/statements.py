"""The statements the kept figures send at every write (the counts counted again, the
versions moved, the cases' organisations read), compiled once per database dialect and number
of values to the driver's own SQL, then sent as it (`Connection.exec_driver_sql`: the
connection's events hear it as any statement).

Why: a write's own statements are few and small, and SQLAlchemy's handling of a statement it
has compiled already (its cache key, the expansion of a list of ids, the parameters' processing)
cost more CPU than the database takes to run these (SQLite, measured: about 60 µs a statement,
where running the recount's two takes 70 µs; PostgreSQL alike, on the client). A statement
is built by its module, from one bound parameter per value of each list (`LIST_0`, `LIST_1`,
...): the same module, the same SQL, whatever sends it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from cachetools import LRUCache
from sqlalchemy import Connection, CursorResult, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import BindParameter, ClauseElement

SHAPES_KEPT = 256  # (dialect, lengths of the lists) a statement keeps compiled


class Statement:
    """A statement over lists of values: `build(**lists)` makes it of one bound parameter per
    value (each list's `BindParameter`s, of `types`' type for its name), compiled for a
    dialect and the lists' lengths once, then sent with the values as the driver takes them
    (positional or by name, processed as the compiled form says)."""

    def __init__(self, build: Callable[..., ClauseElement], types: dict[str, Any] | None = None
                 ) -> None:
        self._build = build
        self._types = types or {}
        self._compiled: LRUCache[tuple, tuple[str, tuple[str, ...] | None, dict[str, Any],
                                              dict[str, Any]]] = LRUCache(SHAPES_KEPT)
        self._lock = threading.Lock()

    def __call__(self, conn: Connection, **lists: Sequence[Any]
                 ) -> CursorResult[*tuple[Any, ...]]:
        dialect = conn.dialect
        shape = (type(dialect), dialect.paramstyle, dialect.server_version_info,
                 *((name, len(values)) for name, values in lists.items()))
        with self._lock:
            found = self._compiled.get(shape)
        if found is None:
            found = self._compile(dialect, {name: len(values) for name, values in lists.items()})
            with self._lock:
                self._compiled[shape] = found
        sql, order, fixed, processors = found
        params = dict(fixed)
        for name, values in lists.items():
            for i, value in enumerate(values):
                params[f"{name}_{i}"] = value
        for name, process in processors.items():
            params[name] = process(params[name])
        return conn.exec_driver_sql(
            sql, tuple(params[n] for n in order) if order is not None else params)

    def _compile(self, dialect: Dialect, lengths: dict[str, int]
                 ) -> tuple[str, tuple[str, ...] | None, dict[str, Any], dict[str, Any]]:
        """(the driver's SQL, the parameters' order when positional, the values of the
        statement's own parameters, the processors of those that have one)."""
        binds: dict[str, list[BindParameter[Any]]] = {
            name: [bindparam(f"{name}_{i}", None, type_=self._types.get(name))
                   for i in range(n)] for name, n in lengths.items()}
        ours = {b.key for bs in binds.values() for b in bs}
        compiled = self._build(**binds).compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler):
            raise TypeError(f"not a statement: {compiled!r}")
        state = compiled.construct_expanded_state({k: None for k in ours})
        fixed = {k: v for k, v in state.parameters.items() if k not in ours}
        processors = {k: p for k, p in (state.processors or {}).items() if p is not None}
        for name, process in processors.items():  # the statement's own values, once
            if name in fixed:
                fixed[name] = process(fixed[name])
        processors = {k: p for k, p in processors.items() if k in ours}
        order = tuple(state.positiontup) if state.positiontup is not None else None
        return state.statement, order, fixed, processors
