"""shared_state: what several nodes on one PostgreSQL share

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 17:15:00

Several `merzim serve` nodes and workers behind one load balancer share the
database, and now every piece of state they must agree on lives there too:

* file_blob, file_chunk: evidence files' content in the database (the PostgreSQL default:
  workflow/storage/filestore.py), by SHA-256, in chunks of at most 1 MiB, a blob and all its
  chunks written in one transaction; `merzim files move-to-database` copies a directory's.
* lease: a job one process runs at a time (the Telegram poller), with its holder and expiry.
* public_hit, public_cache: the public pages' rate limit (one row per request let through in
  the last minute) and their cache of built answers, the same for every node.
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'file_blob',
        sa.Column('sha256', sa.String(length=64), primary_key=True),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('chunks', sa.Integer(), nullable=False),
        sa.Column('stored_at', sa.String(length=40), nullable=False),
    )
    op.create_table(
        'file_chunk',
        sa.Column('sha256', sa.String(length=64), sa.ForeignKey('file_blob.sha256'),
                  primary_key=True),
        sa.Column('seq', sa.Integer(), primary_key=True),
        sa.Column('data', sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        'lease',
        sa.Column('name', sa.String(length=64), primary_key=True),
        sa.Column('holder', sa.String(length=200), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
    )
    op.create_table(
        'public_hit',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('client', sa.String(length=100), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
    )
    op.create_index('ix_public_hit_client', 'public_hit', ['client'])
    op.create_index('ix_public_hit_at', 'public_hit', ['at'])
    op.create_table(
        'public_cache',
        sa.Column('key', sa.String(length=64), primary_key=True),
        sa.Column('code', sa.String(length=100), nullable=False),
        sa.Column('media', sa.String(length=100), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('built_at', sa.Float(), nullable=False),
    )
    op.create_index('ix_public_cache_code', 'public_cache', ['code'])
    op.create_index('ix_public_cache_built_at', 'public_cache', ['built_at'])


def downgrade() -> None:
    op.drop_index('ix_public_cache_built_at', table_name='public_cache')
    op.drop_index('ix_public_cache_code', table_name='public_cache')
    op.drop_table('public_cache')
    op.drop_index('ix_public_hit_at', table_name='public_hit')
    op.drop_index('ix_public_hit_client', table_name='public_hit')
    op.drop_table('public_hit')
    op.drop_table('lease')
    op.drop_table('file_chunk')
    op.drop_table('file_blob')
