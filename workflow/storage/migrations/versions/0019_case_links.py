"""case_link: a procedure's case and the register entry its outcome is, one fact (P-22)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28 10:00:00

A procedure of 002 whose outcome is a breach (a gift not handed over, a conflict of interest
not settled, a foreign account not closed) opens the register entry of project 2 it is, or is
linked to one after the fact. One row per pair: the procedure's case, the entry, the outcome
event that opened it (none when linked after the fact), who and when.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import create_table, drop_tables, integer, string

revision = '0019'
down_revision = '0018'


def upgrade() -> None:
    create_table('case_link',
                 integer('id', primary_key=True),
                 integer('from_case_id', sa.ForeignKey('process_case.id')),
                 integer('to_case_id', sa.ForeignKey('process_case.id')),
                 string('event', 64, null=True), string('created_by', 100),
                 string('created_at', 40),
                 sa.UniqueConstraint('from_case_id', 'to_case_id', name='uq_case_link'),
                 indexes=['to_case_id'])


def downgrade() -> None:
    drop_tables('case_link')
