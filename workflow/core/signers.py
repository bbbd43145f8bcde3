"""Who signed a justification note (pure): I-16, 000:L473-481.

The publication of the note and the plan may be completed by a justification note (I-13),
signed by the head of apparatus; another signer (an acting head) is accepted when the record
gives the reason. The definition names the rule in its `[monitoring]` table (`justified_by`,
`justification_signer`, `acting_reason`); the monitoring refuses such a record when it is
made, and the scorecard does not count an older one (version 4) as published.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ROLE_FIELD = "approver_role"  # the built-in evidence naming the signer's role
SIGNER_KEY = "justification_signer"


def justification_table(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """The table of a parsed definition document that names the justification note's signer
    (the internal analysis's `[monitoring]`), read by whoever checks it without naming the
    feature; empty when none does (version 4 and other processes)."""
    return next((table for table in raw.values()
                 if isinstance(table, Mapping) and table.get(SIGNER_KEY)), {})


def justification_signed(table: Mapping[str, Any], evidence: Mapping[str, Any] | None
                         ) -> bool | None:
    """Whether a record carrying a justification note (a number and a signer) has the signer
    `table["justification_signer"]`, or another one confirmed by a reason in the evidence
    field `table["acting_reason"]`. None: nothing to check (the table names no signer, or the
    record carries no such note)."""
    signer = table.get(SIGNER_KEY)
    evidence = evidence or {}
    if not signer or not (evidence.get("number") and evidence.get("signed_by")):
        return None
    if str(evidence.get(ROLE_FIELD) or "").strip() == signer:
        return True
    return bool(str(evidence.get(str(table.get("acting_reason") or "")) or "").strip())
