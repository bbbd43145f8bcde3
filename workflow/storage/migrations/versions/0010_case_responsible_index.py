"""case_responsible_index: the cases a person answers for, found by an index

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 06:30:00

Every page's menu counts the overdue stages of the cases the viewer answers for.
Without an index on process_case.responsible_id that count walked every overdue
stage of the viewer's subtree and looked its case up (at the root of the million-row bench/web
dataset: 5,697 stages, ~7 ms a page); with it the planner starts from the viewer's own cases
(a manager has few or none). Then the planner's statistics of the table are gathered again
(ANALYZE), as 0008 did for the stage indexes.
"""
from alembic import op

revision = '0010'
down_revision = '0009'


def upgrade() -> None:
    op.create_index('ix_process_case_responsible_id', 'process_case', ['responsible_id'],
                    unique=False)
    op.execute('ANALYZE process_case')


def downgrade() -> None:
    op.drop_index('ix_process_case_responsible_id', table_name='process_case')
    op.execute('ANALYZE process_case')
