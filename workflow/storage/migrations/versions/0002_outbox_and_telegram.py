"""outbox and telegram

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:26:22.152522

The workers' state, the outbox of reminders (one row per recipient, channel, day and digest) and
the codes that link a Telegram chat to a user, who gains `telegram_active`.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (add_columns, boolean, create_table, date,
                                             drop_columns, drop_tables, floating, foreign_key,
                                             index, integer, string, text)

revision = '0002'
down_revision = '0001'


def upgrade() -> None:
    create_table('worker_state',
                 string('key', 64), string('value', 200),
                 sa.PrimaryKeyConstraint('key'))
    create_table('outbox',
                 integer('id'), integer('recipient_id'), string('channel', 16),
                 date('local_day'), string('digest', 64), string('address', 254),
                 string('subject', 500), text('body_text'), text('body_html'),
                 string('status', 16), integer('attempts'), floating('next_attempt_at'),
                 string('claim_token', 40, null=True), floating('claimed_at', null=True),
                 floating('sent_at', null=True), text('last_error', null=True),
                 floating('created_at'),
                 foreign_key('recipient_id', 'app_user.id'), sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('recipient_id', 'channel', 'local_day', 'digest'),
                 indexes=['recipient_id',
                          index('status', 'next_attempt_at', name='ix_outbox_status_next')])
    create_table('telegram_link',
                 integer('id'), string('code', 32), integer('user_id'), floating('expires_at'),
                 floating('used_at', null=True),
                 foreign_key('user_id', 'app_user.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=[index('code', unique=True)])
    add_columns('app_user', boolean('telegram_active', server_default=sa.true()))


def downgrade() -> None:
    drop_columns('app_user', 'telegram_active')
    drop_tables('telegram_link', 'outbox', 'worker_state')
