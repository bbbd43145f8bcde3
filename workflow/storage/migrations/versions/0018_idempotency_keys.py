"""idempotency_key: a write's key and the answer it got, for a repeat to get the same answer

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 10:00:00

A client that lost the answer to a write (a connection cut, a node killed,
a 502 from the proxy) sends it again with the same `Idempotency-Key` (the API's header; a web
form carries a key of its own, rendered with it). The key's row is written in the same
transaction as the write, with the answer built before the commit: a row exists exactly when
the write landed, and a repeat gets the first answer. One row per (user, key), kept a day.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (create_table, drop_tables, floating, identifier,
                                             integer, string, text)

revision = '0018'
down_revision = '0017'


def upgrade() -> None:
    create_table('idempotency_key',
                 integer('user_id', sa.ForeignKey('app_user.id'), primary_key=True),
                 identifier('key', 200, primary_key=True),
                 string('method', 8), string('path', 2000), string('body_sha256', 64, null=True),
                 integer('status', null=True), string('content_type', 200, null=True),
                 string('location', 2000, null=True), text('answer', null=True),
                 floating('created_at'),
                 indexes=['created_at'])


def downgrade() -> None:
    drop_tables('idempotency_key')
