"""list_indexes: the stage indexes of the overdue and due lists hold what a count reads

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 02:30:00

The overdue and due lists of a national subtree count their stages, count them by
organisation (the summary by subordinate) and choose one page of them, at a million stage
rows. The two indexes those queries use gain the columns they read, so that
each is answered from the index without reading the table:

* ix_stage_status_due: (status, due_date) becomes (status, due_date, subject_path, case_id) --
  the open stages past (or near) their due date, with their organisation path (the subtree and
  the summary) and their case (a case's stage, not a programme's);
* ix_stage_path_status_due: (subject_path, status, due_date) becomes (subject_path, status,
  due_date, case_id) -- the same for one organisation or a small subtree.

Each keeps its name; it is dropped and created again (no rows change). Then the planner's
statistics are gathered again (ANALYZE): SQLite drops an index's statistics with it, and its
planner, without them, guesses how many rows a condition matches and may walk the wrong index
(measured on the million-row bench/web dataset: the root's overdue page 5× slower).
"""
from alembic import op

revision = '0008'
down_revision = '0007'

# name, columns before, columns after
INDEXES = [
    ('ix_stage_status_due', ['status', 'due_date'],
     ['status', 'due_date', 'subject_path', 'case_id']),
    ('ix_stage_path_status_due', ['subject_path', 'status', 'due_date'],
     ['subject_path', 'status', 'due_date', 'case_id']),
]


def _replace(which: int) -> None:
    for name, *columns in INDEXES:
        op.drop_index(name, table_name='stage')
        op.create_index(name, 'stage', columns[which], unique=False)


def _analyze() -> None:
    op.execute('ANALYZE' if op.get_bind().dialect.name == 'sqlite' else 'ANALYZE stage')


def upgrade() -> None:
    _replace(1)
    _analyze()


def downgrade() -> None:
    _replace(0)
    _analyze()
