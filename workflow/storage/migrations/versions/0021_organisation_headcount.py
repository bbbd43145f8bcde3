"""organisation_headcount: an organisation's staff, for the consolidated shares (B-20)

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-25 18:00:00

* organisation.headcount: the number of staff of the organisation (a nullable integer; NULL:
  not known). A consolidated share (4.2.1, 4.2.2) of a region or a central body counts a unit
  that recorded no figures as none trained of this headcount; a unit with neither is named
  "not reported" and the share is incomplete.
"""
from workflow.storage.migrations.ops import columns_added, integer

revision = '0021'
down_revision = '0020'


upgrade, downgrade = columns_added('organisation', lambda: [
    integer('headcount', null=True)])
