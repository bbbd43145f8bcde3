"""case_link: a link undone, with who, when and why (P-25)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-25 18:00:00

A link between a procedure's case and a register entry can be undone with a reason. The row
stays (a link is never deleted): `unlinked_at`, `unlinked_by` and `unlink_reason` say it no
longer joins the two cases; linking the same pair again clears them.
"""
from workflow.storage.migrations.ops import columns_added, string

revision = '0020'
down_revision = '0019'


upgrade, downgrade = columns_added('case_link', lambda: [
    string('unlinked_at', 40, null=True), string('unlinked_by', 100, null=True),
    string('unlink_reason', 500, null=True)])
