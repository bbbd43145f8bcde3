"""position_risk: a position on the list names the risk of the note it is exposed to

Revision ID: 0036
Revises: 0035
Create Date: 2026-11-27 14:00:00

`position.risk_id` is the analysis's risk a position is exposed to, so the list of positions
(appendix 4 of order No. 488) refers to it by its number in the analytic note. A position
recorded before names its risk in words only (`position.risk`): the list prints those words
and leaves the number blank.
"""
import sqlalchemy as sa

from workflow.storage.migrations.ops import columns_added, integer

revision = '0036'
down_revision = '0035'


upgrade, downgrade = columns_added('position', lambda: [
    integer('risk_id', sa.ForeignKey('risk.id', name='fk_position_risk_id'), null=True)])
