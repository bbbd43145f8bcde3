"""What merzim's migrations are written with: a table created with its indexes, columns added to a
table and dropped from it, and short column constructors.

Each helper issues the same Alembic operations a migration would write by hand (`op.create_table`,
`op.create_index`, `op.batch_alter_table` with `add_column` / `drop_column`), so a revision
written with them produces the same schema on SQLite and PostgreSQL. Columns and foreign keys
come out in the order they are given (SQLite keeps that order in the table's SQL).

    create_table('invitation',
                 integer('id'), string('token_hash', 64), integer('user_id'),
                 floating('created_at'), floating('expires_at'), floating('used_at', null=True),
                 foreign_key('user_id', 'app_user.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=[index('token_hash', unique=True), 'user_id'])
    add_columns('process_case', string('withdrawn_at', 40, null=True))
    drop_columns('process_case', 'withdrawn_at')
    upgrade, downgrade = columns_added('organisation', lambda: [integer('headcount', null=True)])
    drop_tables('invitation')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic import op

# -- columns: NOT NULL unless `null=True`; other keywords (primary_key, server_default) and
#    positional arguments (sa.ForeignKey) go to sa.Column as they are ----------------------------


def column(name: str, type_: Any, *args: Any, null: bool = False, **kw: Any) -> sa.Column:
    return sa.Column(name, type_, *args, nullable=null, **kw)


def string(name: str, length: int, *args: Any, **kw: Any) -> sa.Column:
    return column(name, sa.String(length=length), *args, **kw)


def identifier(name: str, length: int, *args: Any, **kw: Any) -> sa.Column:
    """A string compared byte by byte on both backends: COLLATE "C" on PostgreSQL (SQLite's
    BINARY already compares so)."""
    type_ = sa.String(length=length).with_variant(sa.String(length=length, collation='C'),
                                                  'postgresql')
    return column(name, type_, *args, **kw)


def _of(type_: Callable[[], Any]) -> Callable[..., sa.Column]:
    """The constructor of a column of `type_`: its name, then sa.Column's other arguments."""
    def make(name: str, *args: Any, **kw: Any) -> sa.Column:
        return column(name, type_(), *args, **kw)
    return make


text = _of(sa.Text)
integer = _of(sa.Integer)
big_integer = _of(sa.BigInteger)
floating = _of(sa.Float)
boolean = _of(sa.Boolean)
date = _of(sa.Date)
json_ = _of(sa.JSON)  # (not `json`: a migration may need the standard module of that name)
binary = _of(sa.LargeBinary)


def foreign_key(name: str, target: str) -> sa.ForeignKeyConstraint:
    """Column `name` references `target` ("table.column"), as a table constraint."""
    return sa.ForeignKeyConstraint([name], [target])


# -- tables and their indexes -----------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    columns: tuple[str, ...]
    unique: bool = False
    name: str | None = None

    def create(self, table: str) -> None:
        name = self.name or f'ix_{table}_{self.columns[0]}'
        op.create_index(name, table, list(self.columns), unique=self.unique)


def index(*columns: str, unique: bool = False, name: str | None = None) -> Index:
    """An index of a new table: named `ix_<table>_<first column>` unless `name` is given."""
    return Index(columns, unique, name)


def create_table(name: str, *elements: Any, indexes: Iterable[str | Index] = ()) -> None:
    """Table `name` with its columns and constraints, then its indexes, in the order given: a
    column's name stands for the plain index `ix_<table>_<column>` on it."""
    op.create_table(name, *elements)
    for spec in indexes:
        (index(spec) if isinstance(spec, str) else spec).create(name)


def drop_tables(*names: str) -> None:
    """Drop the tables in the order given; their indexes go with them."""
    for name in names:
        op.drop_table(name)


# -- columns of an existing table ---------------------------------------------------------------


def add_columns(table: str, *columns: sa.Column) -> None:
    """Add the columns to `table`. SQLite adds a plain column in place and copies the table for
    one with an expression as its default (`sa.true()`); PostgreSQL alters it in place."""
    with op.batch_alter_table(table) as batch:
        for col in columns:
            batch.add_column(col)


def drop_columns(table: str, *names: str) -> None:
    """Drop the columns of `table` (on SQLite, in one copy of the table)."""
    with op.batch_alter_table(table) as batch:
        for name in names:
            batch.drop_column(name)


def columns_added(table: str, make: Callable[[], Iterable[sa.Column]]
                  ) -> tuple[Callable[[], None], Callable[[], None]]:
    """The upgrade and the downgrade of a revision that only adds the columns `make()` builds to
    `table`: the downgrade drops those same columns (their names read from `make`), the last
    added first, so the two cannot disagree. `make` builds the columns afresh at each call: a
    column once added belongs to the table Alembic built for it, and a database taken down and
    up again in one process adds it anew."""
    def upgrade() -> None:
        add_columns(table, *make())

    def downgrade() -> None:
        drop_columns(table, *reversed([c.name for c in make()]))

    return upgrade, downgrade
