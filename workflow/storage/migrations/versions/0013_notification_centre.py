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

from workflow.storage.migrations.ops import create_table, date, drop_tables, integer, string

revision = '0013'
down_revision = '0012'


def upgrade() -> None:
    create_table('reminder_preference',
                 integer('user_id', sa.ForeignKey('app_user.id'), primary_key=True),
                 string('channels', 64, null=True), string('before', 64, null=True),
                 integer('digest_hour', null=True))
    create_table('reminder_hold',
                 integer('id', primary_key=True),
                 integer('user_id', sa.ForeignKey('app_user.id')),
                 integer('case_id', sa.ForeignKey('process_case.id')),
                 string('stage_key', 64, null=True), date('until', null=True),
                 string('created_at', 40),
                 indexes=['user_id'])
    create_table('notice_read',
                 integer('user_id', sa.ForeignKey('app_user.id'), primary_key=True),
                 string('item', 120, primary_key=True), string('read_at', 40))


def downgrade() -> None:
    drop_tables('notice_read', 'reminder_hold', 'reminder_preference')
