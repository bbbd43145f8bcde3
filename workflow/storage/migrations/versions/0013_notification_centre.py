"""notification_centre: reminder preferences, holds (mute, snooze) and read marks

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 18:20:00

The notification centre's items are derived from what is stored (stages,
event records, the withdrawal columns, the audit log): only what a person chose is new.

* reminder_preference: per person, the channels, the working days before a due date and the
  digest hour (None: the organisation's setting).
* reminder_hold: a case muted, or a stage of a case snoozed until a day, for one person.
* notice_read: one item of her centre marked read.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reminder_preference',
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('app_user.id'), primary_key=True),
        sa.Column('channels', sa.String(length=64), nullable=True),
        sa.Column('before', sa.String(length=64), nullable=True),
        sa.Column('digest_hour', sa.Integer(), nullable=True),
    )
    op.create_table(
        'reminder_hold',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('app_user.id'), nullable=False),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('process_case.id'), nullable=False),
        sa.Column('stage_key', sa.String(length=64), nullable=True),
        sa.Column('until', sa.Date(), nullable=True),
        sa.Column('created_at', sa.String(length=40), nullable=False),
    )
    op.create_index('ix_reminder_hold_user_id', 'reminder_hold', ['user_id'])
    op.create_table(
        'notice_read',
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('app_user.id'), primary_key=True),
        sa.Column('item', sa.String(length=120), primary_key=True),
        sa.Column('read_at', sa.String(length=40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('notice_read')
    op.drop_index('ix_reminder_hold_user_id', table_name='reminder_hold')
    op.drop_table('reminder_hold')
    op.drop_table('reminder_preference')
