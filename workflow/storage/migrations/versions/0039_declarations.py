"""declarations: the staff obliged to declare, each one's notice of submission for a year

Revision ID: 0039
Revises: 0038
Create Date: 2026-11-28 01:00:00

The personnel service's list (002:L174-181, workflow/declarations): `declarant`, the
organisation's employees obliged to declare their income and property (name, position, e-mail,
language, whether still employed), kept apart from the accounts (a declarant never signs in);
`declaration_notice`, one per declarant and year, with the day she submitted and the scan filed
to her record (its content in the file store, by SHA-256); `outbox.declarant_id`, a reminder
written to a declarant (its `recipient_id`, an account, is then empty).
"""
import sqlalchemy as sa
from alembic import op

from workflow.storage.migrations.ops import (
    big_integer,
    boolean,
    create_table,
    date,
    drop_tables,
    foreign_key,
    integer,
    string,
)

revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('declarant',
                 integer('id'), integer('organisation_id'), string('name', 200),
                 string('position', 300, null=True), string('email', 254, null=True),
                 string('language', 2, null=True), boolean('active'),
                 string('created_at', 40), string('updated_at', 40),
                 foreign_key('organisation_id', 'organisation.id'),
                 sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('organisation_id', 'name', name='uq_declarant_name'),
                 indexes=['organisation_id'])
    create_table('declaration_notice',
                 integer('id'), integer('declarant_id'), integer('year'), date('submitted_on'),
                 string('sha256', 64), string('file_name', 255), string('media_type', 100),
                 big_integer('size'), string('recorded_by', 100), string('recorded_at', 40),
                 foreign_key('declarant_id', 'declarant.id'), sa.PrimaryKeyConstraint('id'),
                 sa.UniqueConstraint('declarant_id', 'year', name='uq_declaration_notice_year'),
                 indexes=['declarant_id'])
    with op.batch_alter_table('outbox') as batch:
        batch.alter_column('recipient_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('declarant_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_outbox_declarant_id', 'declarant', ['declarant_id'], ['id'])
        batch.create_unique_constraint('uq_outbox_declarant',
                                       ['declarant_id', 'channel', 'local_day', 'digest'])
        batch.create_index('ix_outbox_declarant_id', ['declarant_id'])


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE declarant_id IS NOT NULL")
    with op.batch_alter_table('outbox') as batch:
        batch.drop_index('ix_outbox_declarant_id')
        batch.drop_constraint('uq_outbox_declarant', type_='unique')
        batch.drop_constraint('fk_outbox_declarant_id', type_='foreignkey')
        batch.drop_column('declarant_id')
        batch.alter_column('recipient_id', existing_type=sa.Integer(), nullable=False)
    drop_tables('declaration_notice', 'declarant')
