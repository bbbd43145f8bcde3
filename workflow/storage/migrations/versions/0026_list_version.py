"""list version: what the lists kept across requests are keyed by, per scope

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-25 21:00:00

`list_version` holds, per scope (an organisation's path, `user:ID`, or `*`), the audit record
of the last committed write that may change the lists of that scope: a write in one subtree
leaves the lists of another kept. No rows at first: a scope never written reads as 0.
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('list_version',
                    sa.Column('scope', sa.String(length=400).with_variant(
                        sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
                    sa.Column('version', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('scope'))


def downgrade() -> None:
    op.drop_table('list_version')
