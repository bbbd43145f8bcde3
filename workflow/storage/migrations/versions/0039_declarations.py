"""declarations: who is obliged to declare, and each one's notice of submission for a year

Revision ID: 0039
Revises: 0038
Create Date: 2026-11-28 01:00:00

The personnel service's list (002:L174-181, workflow/declarations): `app_user.declares`, the
flag an import or the page sets on a person obliged to declare her income and property (false
for everyone before); `declaration_notice`, one per person and year, with the day she
submitted and the scan filed to her record (its content in the file store, by SHA-256).
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import (
    add_columns,
    big_integer,
    boolean,
    create_table,
    date,
    drop_columns,
    drop_tables,
    foreign_key,
    index,
    integer,
    string,
)

revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_columns('app_user', boolean('declares', server_default=sa.false()))
    create_table('declaration_notice',
                 integer('id'), integer('user_id'), integer('year'), date('submitted_on'),
                 string('sha256', 64), string('file_name', 255), string('media_type', 100),
                 big_integer('size'), string('recorded_by', 100), string('recorded_at', 40),
                 foreign_key('user_id', 'app_user.id'), sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('user_id', 'year', name='uq_declaration_notice_year'),
                 indexes=['user_id'])


def downgrade() -> None:
    drop_tables('declaration_notice')
    drop_columns('app_user', 'declares')
