"""case_withdrawal: a case opened by mistake is withdrawn, not deleted

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 17:10:00

process_case gains when a case was withdrawn (`withdrawn_at`, an ISO
timestamp; NULL: the case stands), by whom (`withdrawn_by`) and why (`withdrawn_reason`). A
withdrawn case leaves every list, reminder, feed, export and score; its rows stay, and the
audit log keeps the withdrawal.
"""
from workflow.storage.migrations.ops import columns_added, string, text

revision = '0011'
down_revision = '0010'


upgrade, downgrade = columns_added('process_case', lambda: [
    string('withdrawn_at', 40, null=True), string('withdrawn_by', 100, null=True),
    text('withdrawn_reason', null=True)])
