"""listed_case_index: the case list read from an index of the cases it can list

Revision ID: 0034
Revises: 0033
Create Date: 2026-11-27 01:00:00

Every list of cases (`storage/queries/cases.py::page_listing`) leaves the withdrawn cases out
and pages by number. With the primary key alone a page far into the list (`?offset=50000` of
the API) read every case before it from the table to learn whether it was withdrawn. This
partial index holds the cases not withdrawn, by number, with what the list filters on (the
subject, the process, the case date): a page is then read from the index (PostgreSQL's
index-only scan) until its own rows. Then the planner's statistics of the table are gathered
again (ANALYZE), as 0010 did.
"""
import sqlalchemy as sa
from alembic import op

revision = '0034'
down_revision = '0033'

NOT_WITHDRAWN = 'withdrawn_at IS NULL'


def upgrade() -> None:
    op.create_index('ix_process_case_listed', 'process_case',
                    ['id', 'subject_id', 'process', 'case_date'], unique=False,
                    sqlite_where=sa.text(NOT_WITHDRAWN), postgresql_where=sa.text(NOT_WITHDRAWN))
    op.execute('ANALYZE process_case')


def downgrade() -> None:
    op.drop_index('ix_process_case_listed', table_name='process_case')
    op.execute('ANALYZE process_case')
