"""monitoring_period: the table of reporting periods is named for what it holds

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 15:40:00

The table holding one row per analysis (or external analysis) and reporting period, with the
dates its report was received and reviewed, was called `monitoring_report`, which is also the
key of an event of the internal analysis's definition. It becomes `monitoring_period`, with its
indexes renamed to match. Rows are kept as they are (a rename, no copy).
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'

# (old name, new name, columns, unique, partial condition)
INDEXES = [
    ('ix_{}_analysis_id', ['analysis_id'], False, None),
    ('ix_{}_external_id', ['external_id'], False, None),
    ('uq_{}_case', ['analysis_id', 'period'], True, 'analysis_id IS NOT NULL'),
    ('uq_{}_external', ['external_id', 'period'], True, 'external_id IS NOT NULL'),
]


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)
    for pattern, columns, unique, where in INDEXES:
        op.drop_index(pattern.format(old), table_name=new)
        extra = {}
        if where:
            extra = {'sqlite_where': sa.text(where), 'postgresql_where': sa.text(where)}
        op.create_index(pattern.format(new), new, columns, unique=unique, **extra)


def upgrade() -> None:
    _rename('monitoring_report', 'monitoring_period')


def downgrade() -> None:
    _rename('monitoring_period', 'monitoring_report')
