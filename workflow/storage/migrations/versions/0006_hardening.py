"""hardening: a fork of the audit chain can never be stored

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 11:40:00

Two records with the same predecessor are a fork. The unique index on prev_hash refuses one.
A log forked before this migration (appends raced on SQLite) keeps its old records: the
index then covers only the records after the last fork, and `audit verify` keeps reporting
the old fork, which is the truth about that log.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'

INDEX = 'ux_audit_log_prev_hash'


def upgrade() -> None:
    conn = op.get_bind()
    last_fork = conn.execute(sa.text(
        "SELECT MAX(id) FROM audit_log WHERE prev_hash IN "
        "(SELECT prev_hash FROM audit_log GROUP BY prev_hash HAVING COUNT(*) > 1)")).scalar()
    if last_fork is None:
        op.create_index(INDEX, 'audit_log', ['prev_hash'], unique=True)
    else:
        where = sa.text(f"id > {int(last_fork)}")
        op.create_index(INDEX, 'audit_log', ['prev_hash'], unique=True, sqlite_where=where,
                        postgresql_where=where)


def downgrade() -> None:
    op.drop_index(INDEX, table_name='audit_log')
