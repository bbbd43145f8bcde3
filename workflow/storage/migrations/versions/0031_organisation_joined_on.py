"""organisation_joined_on: the day an organisation joined merzim mid-year (B-25)

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-26 12:00:00

`organisation.joined_on` is the day its year so far was opened (`obligations sync --from`, the
organisation page's "open the year so far"): its back-filled stages that fell due before that
day and are still open are "before joining -- to confirm" for a while, counted apart from
overdue (workflow/core/joining.py). Existing organisations have none and behave as before.
"""
from workflow.storage.migrations.ops import columns_added, date

revision = '0031'
down_revision = '0030'


upgrade, downgrade = columns_added('organisation', lambda: [
    date('joined_on', null=True)])
