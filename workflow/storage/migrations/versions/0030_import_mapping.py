"""an organisation's own column names remembered for a register's import

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-26 12:00:00

`import_mapping` keeps, per organisation and register, each header of her files (folded as
the import compares headers) and the column it names (empty: ignored), so that her next file
with the same headers imports with no question.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (
    create_table,
    drop_tables,
    foreign_key,
    integer,
    string,
)

revision = '0030'
down_revision = '0029'


def upgrade() -> None:
    create_table('import_mapping',
                 integer('id'), integer('organisation_id'), string('target', 100),
                 string('header_folded', 200), string('field', 100), string('updated_by', 100),
                 string('updated_at', 40),
                 foreign_key('organisation_id', 'organisation.id'), sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('organisation_id', 'target', 'header_folded',
                                     name='uq_import_mapping_header'),
                 indexes=['organisation_id'])


def downgrade() -> None:
    drop_tables('import_mapping')
