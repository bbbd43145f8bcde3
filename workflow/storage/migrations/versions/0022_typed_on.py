"""typed_on: the day a case or a record was typed in, by merzim's today

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-25 18:30:00

process_case and event_record gain `typed_on`, the day merzim's today was when the row was
made (the services' today: `MERZIM_TODAY` on a demo or a rehearsal, else the calendar's
day). The registers read it for "entered late" (B-17); rows made before the column have
none, and their wall-clock stamp's day stands in.
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_case') as batch_op:
        batch_op.add_column(sa.Column('typed_on', sa.Date(), nullable=True))
    with op.batch_alter_table('event_record') as batch_op:
        batch_op.add_column(sa.Column('typed_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('event_record') as batch_op:
        batch_op.drop_column('typed_on')
    with op.batch_alter_table('process_case') as batch_op:
        batch_op.drop_column('typed_on')
