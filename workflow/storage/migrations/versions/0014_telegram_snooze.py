"""outbox.stages: a Telegram reminder's snooze buttons

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 18:30:00

A Telegram reminder carries buttons that snooze the stages it lists until
tomorrow or next week: the digest's outbox row keeps those stages (JSON [[case id, stage key],
…]); a snooze is a row of reminder_hold (0013), which the reminder planner honours.
"""
from workflow.storage.migrations.ops import columns_added, text

revision = '0014'
down_revision = '0013'


upgrade, downgrade = columns_added('outbox', lambda: [
    text('stages', null=True)])
