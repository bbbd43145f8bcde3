"""risk_assessment: a risk's likelihood and consequence

Revision ID: 0037
Revises: 0036
Create Date: 2026-11-27 14:30:00

`risk.likelihood` and `risk.consequence` are the grades a risk was assessed with (the scales
of workflow/monitoring/risk_levels.toml); its level is read from them and that file whenever
it is shown, never stored. The risks recorded before have neither: they are "not assessed",
shown so, never guessed.
"""
from workflow.storage.migrations.ops import columns_added, integer

revision = '0037'
down_revision = '0036'


upgrade, downgrade = columns_added('risk', lambda: [
    integer('likelihood', null=True), integer('consequence', null=True)])
