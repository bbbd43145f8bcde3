"""identifiers compared byte by byte on PostgreSQL (COLLATE "C")

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24 04:30:00

The organisation tree's codes and paths, a case's process and period, a stage's key, status
and subject path, and the audit chain's hashes are compared as bytes, as SQLite compares
them (its BINARY collation), whatever the database's own collation (`models.identifier`).

* Correctness: a subtree is the range of paths `>= '/1/5/'` and `< '/1/50'`. Under a real
  locale's collation (a cluster initialised with ru_RU.UTF-8, en_US.UTF-8 or kk_KZ.UTF-8:
  punctuation ignored at the first level) "/1/5/12/" falls outside the range of "/1/5/" and
  "/15/" inside it: a manager would miss her descendants' cases and see another tree's.
* Order: a list sorted by path or code is in the same order on both backends.

SQLite: nothing to do. PostgreSQL: each column's collation is changed in place (the same
type, so no table is rewritten; the indexes over the column are rebuilt).
"""
from alembic import op

revision = '0016'
down_revision = '0015'

COLUMNS = {  # table: (column, length)
    "organisation": (("code", 64), ("path", 400)),
    "process_case": (("process", 64), ("period", 16)),
    "stage": (("key", 64), ("status", 16), ("subject_path", 400)),
    "audit_log": (("prev_hash", 64), ("hash", 64)),
}


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(f'ALTER COLUMN "{name}" TYPE VARCHAR({length}) COLLATE {collation}'
                            for name, length in columns)
        op.execute(f'ALTER TABLE "{table}" {changes}')


def upgrade() -> None:
    _collate('"C"')


def downgrade() -> None:
    _collate('"default"')
