"""open_stage_count: the open stages of cases per organisation, process and due day

Revision ID: 0033
Revises: 0032
Create Date: 2026-11-26 19:00:00

`open_stage_count` holds how many open stages of cases an organisation has falling due on each
day, per process: the overdue and due counts of a subtree are sums of its rows. Every write
recounts the rows of the organisations it touched in its own transaction
(workflow/storage/kept.py); `merzim audit recount` rebuilds the table. Filled here from the stage
table (the stages of an unfinished import left out, as every list leaves them).
"""
import sqlalchemy as sa
from alembic import op

from workflow.storage.migrations.ops import create_table, date, identifier, index, integer

revision = '0033'
down_revision = '0032'

FILL = """
INSERT INTO open_stage_count (subject_id, process, due_date, subject_path, n)
SELECT stage.subject_id, process_case.process, stage.due_date, MAX(stage.subject_path),
       COUNT(*)
FROM stage JOIN process_case ON process_case.id = stage.case_id
WHERE stage.status = 'open' AND stage.due_date IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM import_pending
                  WHERE import_pending.low <= stage.case_id
                    AND import_pending.high >= stage.case_id)
GROUP BY stage.subject_id, process_case.process, stage.due_date
"""


def upgrade() -> None:
    create_table('open_stage_count',
                 integer('subject_id'), identifier('process', 64), date('due_date'),
                 identifier('subject_path', 400), integer('n'),
                 sa.ForeignKeyConstraint(['subject_id'], ['organisation.id']),
                 sa.PrimaryKeyConstraint('subject_id', 'process', 'due_date'),
                 indexes=[index('due_date', 'subject_path', name='ix_open_stage_count_due'),
                          index('subject_path', 'due_date', name='ix_open_stage_count_path')])
    op.execute(FILL)


def downgrade() -> None:
    op.drop_table('open_stage_count')
