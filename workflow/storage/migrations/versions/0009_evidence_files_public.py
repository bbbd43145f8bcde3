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
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'evidence_file',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('process_case.id'), nullable=False),
        sa.Column('record_id', sa.Integer(), sa.ForeignKey('event_record.id'), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('uploaded_by', sa.String(length=100), nullable=False),
        sa.Column('uploaded_at', sa.String(length=40), nullable=False),
        sa.Column('voided_at', sa.String(length=40), nullable=True),
        sa.Column('voided_by', sa.String(length=100), nullable=True),
        sa.Column('void_reason', sa.Text(), nullable=True),
    )
    op.create_index('ix_evidence_file_case_id', 'evidence_file', ['case_id'])
    op.create_index('ix_evidence_file_record_id', 'evidence_file', ['record_id'])
    op.create_index('ix_evidence_file_sha256', 'evidence_file', ['sha256'])
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.add_column(sa.Column('public_page', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.drop_column('public_page')
    op.drop_index('ix_evidence_file_sha256', table_name='evidence_file')
    op.drop_index('ix_evidence_file_record_id', table_name='evidence_file')
    op.drop_index('ix_evidence_file_case_id', table_name='evidence_file')
    op.drop_table('evidence_file')
