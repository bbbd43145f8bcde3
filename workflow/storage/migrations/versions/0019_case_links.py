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
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_link',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('from_case_id', sa.Integer(), sa.ForeignKey('process_case.id'),
                  nullable=False),
        sa.Column('to_case_id', sa.Integer(), sa.ForeignKey('process_case.id'), nullable=False),
        sa.Column('event', sa.String(length=64), nullable=True),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.String(length=40), nullable=False),
        sa.UniqueConstraint('from_case_id', 'to_case_id', name='uq_case_link'),
    )
    op.create_index('ix_case_link_to_case_id', 'case_link', ['to_case_id'])


def downgrade() -> None:
    op.drop_index('ix_case_link_to_case_id', table_name='case_link')
    op.drop_table('case_link')
