"""case_link: a link undone, with who, when and why (P-25)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-25 18:00:00

A link between a procedure's case and a register entry can be undone with a reason. The row
stays (a link is never deleted): `unlinked_at`, `unlinked_by` and `unlink_reason` say it no
longer joins the two cases; linking the same pair again clears them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_link') as batch:
        batch.add_column(sa.Column('unlinked_at', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('unlinked_by', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('unlink_reason', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_link') as batch:
        batch.drop_column('unlink_reason')
        batch.drop_column('unlinked_by')
        batch.drop_column('unlinked_at')
