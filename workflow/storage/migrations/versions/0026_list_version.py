"""list version: what the lists kept across requests are keyed by, per scope

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-25 21:00:00

`list_version` holds, per scope (an organisation's path, `user:ID`, or `*`), the audit record
of the last committed write that may change the lists of that scope: a write in one subtree
leaves the lists of another kept. No rows at first: a scope never written reads as 0.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import big_integer, create_table, drop_tables, identifier

revision = '0026'
down_revision = '0025'


def upgrade() -> None:
    create_table('list_version',
                 identifier('scope', 400), big_integer('version'),
                 sa.PrimaryKeyConstraint('scope'))


def downgrade() -> None:
    drop_tables('list_version')
