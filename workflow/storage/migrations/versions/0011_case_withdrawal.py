"""case_withdrawal: a case opened by mistake is withdrawn, not deleted

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 17:10:00

process_case gains when a case was withdrawn (`withdrawn_at`, an ISO
timestamp; NULL: the case stands), by whom (`withdrawn_by`) and why (`withdrawn_reason`). A
withdrawn case leaves every list, reminder, feed, export and score; its rows stay, and the
audit log keeps the withdrawal.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_case') as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('process_case') as batch_op:
        batch_op.drop_column('withdrawn_reason')
        batch_op.drop_column('withdrawn_by')
        batch_op.drop_column('withdrawn_at')
