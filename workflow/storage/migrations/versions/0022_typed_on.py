"""typed_on: the day a case or a record was typed in, by merzim's today

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-25 18:30:00

process_case and event_record gain `typed_on`, the day merzim's today was when the row was
made (the services' today: `MERZIM_TODAY` on a demo or a rehearsal, else the calendar's
day). The registers read it for "entered late" (B-17); rows made before the column have
none, and their wall-clock stamp's day stands in.
"""
from workflow.storage.migrations.ops import add_columns, date, drop_columns

revision = '0022'
down_revision = '0021'


def upgrade() -> None:
    for table in ('process_case', 'event_record'):
        add_columns(table, date('typed_on', null=True))


def downgrade() -> None:
    for table in ('event_record', 'process_case'):
        drop_columns(table, 'typed_on')
