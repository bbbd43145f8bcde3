"""invitation: one-time sign-in links sent by e-mail

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-25 18:50:00

A new user (added in bulk, or whose password an administrator resets) gets an e-mail with a
one-time link that sets her password; `invitation` keeps the SHA-256 of each link's token, when
it expires and when it was used.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (create_table, drop_tables, floating, foreign_key,
                                             index, integer, string)

revision = '0023'
down_revision = '0022'


def upgrade() -> None:
    create_table('invitation',
                 integer('id'), string('token_hash', 64), integer('user_id'),
                 floating('created_at'), floating('expires_at'), floating('used_at', null=True),
                 foreign_key('user_id', 'app_user.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=[index('token_hash', unique=True), 'user_id'])


def downgrade() -> None:
    drop_tables('invitation')
