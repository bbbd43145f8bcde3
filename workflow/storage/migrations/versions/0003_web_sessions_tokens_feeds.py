"""web sessions tokens feeds

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:31:20.788997

API tokens, calendar feeds and web sessions (each kept as the SHA-256 of its token), and a
user's password, failed sign-ins and lock.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (add_columns, create_table, drop_columns,
                                             drop_tables, floating, foreign_key, index, integer,
                                             string)

revision = '0003'
down_revision = '0002'


def upgrade() -> None:
    create_table('api_token',
                 integer('id'), string('token_hash', 64), integer('user_id'),
                 string('name', 100), floating('created_at'), floating('revoked_at', null=True),
                 foreign_key('user_id', 'app_user.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=[index('token_hash', unique=True), 'user_id'])
    create_table('calendar_feed',
                 integer('id'), string('token_hash', 64), integer('owner_id'),
                 string('scope', 16), integer('organisation_id', null=True),
                 floating('created_at'), floating('revoked_at', null=True),
                 foreign_key('organisation_id', 'organisation.id'),
                 foreign_key('owner_id', 'app_user.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=['owner_id', index('token_hash', unique=True)])
    create_table('web_session',
                 integer('id'), string('token_hash', 64), integer('user_id'), string('csrf', 64),
                 floating('created_at'), floating('expires_at'),
                 foreign_key('user_id', 'app_user.id'), sa.PrimaryKeyConstraint('id'),
                 indexes=[index('token_hash', unique=True), 'user_id'])
    add_columns('app_user',
                string('password_hash', 200, null=True),
                integer('failed_logins', server_default='0'),
                floating('locked_until', null=True))


def downgrade() -> None:
    drop_columns('app_user', 'locked_until', 'failed_logins', 'password_hash')
    drop_tables('web_session', 'calendar_feed', 'api_token')
