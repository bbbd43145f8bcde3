"""import pending: the cases of an unfinished register import, by ranges of case ids

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-26 00:40:00

`import_pending` holds a row per batch of an unfinished register import: the range of case ids
the batch wrote. Readers leave those cases and their stages out; the import's end deletes its
rows, so the cases and stages are never written a second time. An import left unfinished by
an earlier version (its cases marked withdrawn with the reason naming it, its stages' status
held with `~`) keeps that mark until it is resumed or rolled back, which lift it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_pending',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('import_id', sa.String(length=32), nullable=False),
                    sa.Column('low', sa.BigInteger(), nullable=False),
                    sa.Column('high', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_import_pending_import_id', 'import_pending', ['import_id'])


def downgrade() -> None:
    op.drop_index('ix_import_pending_import_id', table_name='import_pending')
    op.drop_table('import_pending')
