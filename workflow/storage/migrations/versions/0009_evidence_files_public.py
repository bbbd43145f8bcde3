"""evidence_files_public: files confirming a record, and an organisation's public page switch

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 09:10:00

A confirming document is a file (the signed order, the protocol, the approved plan):

* evidence_file: one row per file attached to a case's record (or to the case, before its
  record is written). The content lives in the file store, addressed by its SHA-256 (`sha256`);
  the row keeps the name the officer gave it, its type as read from the content, its size, who
  attached it and when, whether it may be shown on the public page, and -- a file is never
  deleted -- when and by whom it was voided and why.
* organisation.public_page: an admin's switch for the organisation's public page and feed
  (NULL: as `[public] organisations` in config.toml says; true/false: the admin's choice).
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (add_columns, big_integer, boolean, create_table,
                                             drop_columns, drop_tables, integer, string, text)

revision = '0009'
down_revision = '0008'


def upgrade() -> None:
    create_table('evidence_file',
                 integer('id', primary_key=True),
                 integer('case_id', sa.ForeignKey('process_case.id')),
                 integer('record_id', sa.ForeignKey('event_record.id'), null=True),
                 string('sha256', 64), string('name', 255), string('media_type', 100),
                 big_integer('size'), boolean('public', server_default=sa.false()),
                 string('uploaded_by', 100), string('uploaded_at', 40),
                 string('voided_at', 40, null=True), string('voided_by', 100, null=True),
                 text('void_reason', null=True),
                 indexes=['case_id', 'record_id', 'sha256'])
    add_columns('organisation', boolean('public_page', null=True))


def downgrade() -> None:
    drop_columns('organisation', 'public_page')
    drop_tables('evidence_file')
