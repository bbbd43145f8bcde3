"""idempotency_key: a write's key and the answer it got, for a repeat to get the same answer

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 10:00:00

A client that lost the answer to a write (a connection cut, a node killed,
a 502 from the proxy) sends it again with the same `Idempotency-Key` (the API's header; a web
form carries a key of its own, rendered with it). The key's row is written in the same
transaction as the write, with the answer built before the commit: a row exists exactly when
the write landed, and a repeat gets the first answer. One row per (user, key), kept a day.
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'idempotency_key',
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('app_user.id'), primary_key=True),
        sa.Column('key', sa.String(length=200).with_variant(
            sa.String(length=200, collation='C'), 'postgresql'), primary_key=True),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('path', sa.String(length=2000), nullable=False),
        sa.Column('body_sha256', sa.String(length=64), nullable=True),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('content_type', sa.String(length=200), nullable=True),
        sa.Column('location', sa.String(length=2000), nullable=True),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('created_at', sa.Float(), nullable=False),
    )
    op.create_index('ix_idempotency_key_created_at', 'idempotency_key', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_idempotency_key_created_at', table_name='idempotency_key')
    op.drop_table('idempotency_key')
