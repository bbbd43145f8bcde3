"""shared_state: what several nodes on one PostgreSQL share

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 17:15:00

Several `merzim serve` nodes and workers behind one load balancer share the
database, and now every piece of state they must agree on lives there too:

* file_blob, file_chunk: evidence files' content in the database (the PostgreSQL default:
  workflow/storage/filestore.py), by SHA-256, in chunks of at most 1 MiB, a blob and all its
  chunks written in one transaction; `merzim files move-to-database` copies a directory's.
* lease: a job one process runs at a time (the Telegram poller), with its holder and expiry.
* public_hit, public_cache: the public pages' rate limit (one row per request let through in
  the last minute) and their cache of built answers, the same for every node.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (big_integer, binary, create_table, drop_tables,
                                             floating, integer, string)

revision = '0012'
down_revision = '0011'


def upgrade() -> None:
    create_table('file_blob',
                 string('sha256', 64, primary_key=True), big_integer('size'),
                 integer('chunks'), string('stored_at', 40))
    create_table('file_chunk',
                 string('sha256', 64, sa.ForeignKey('file_blob.sha256'), primary_key=True),
                 integer('seq', primary_key=True), binary('data'))
    create_table('lease',
                 string('name', 64, primary_key=True), string('holder', 200),
                 floating('expires_at'))
    create_table('public_hit',
                 integer('id', primary_key=True), string('client', 100), floating('at'),
                 indexes=['client', 'at'])
    create_table('public_cache',
                 string('key', 64, primary_key=True), string('code', 100), string('media', 100),
                 binary('body'), floating('built_at'),
                 indexes=['code', 'built_at'])


def downgrade() -> None:
    drop_tables('public_cache', 'public_hit', 'lease', 'file_chunk', 'file_blob')
