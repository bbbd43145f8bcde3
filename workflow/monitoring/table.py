"""The `[monitoring]` table of a definition (its model, pure): the keys of the quarterly
monitoring after the analytic note (docs/monitoring.md), read when the file loads."""

from __future__ import annotations

from workflow.core.tables import Key, Table


class MonitoringTable(Table):
    """`[monitoring]`: the quarterly monitoring after the analytic note (docs/monitoring.md)."""

    opened_by: Key
    """The event whose date starts the reporting periods."""
    report_event: Key
    """The event recording a period's report."""
    review_event: Key
    """The event recording a report's review."""
    close_event: Key
    """The event closing the monitoring."""
    report_stage: Key
    """The dynamic stage of a period's report ("KEY:2026Q1")."""
    review_stage: Key
    """The dynamic stage of a report's review."""
    plan_item_stage: Key
    """The dynamic stage of an action-plan measure ("KEY:7")."""
    justified_by: Key | None = None
    """The event that may carry a justification note (I-16)."""
    justification_signer: str | None = None
    """The approver role that signs it."""
    acting_reason: Key | None = None
    """The evidence whose reason confirms another signer."""
    plan_approved_by: Key | None = None
    """The event approving the action plan: refused while a risk has no measure in the plan
    (D-6), unless its record gives `unmeasured_reason`."""
    unmeasured_reason: Key | None = None
    """The evidence whose reason lets the plan be approved with risks without a measure."""
