"""The planning's answer to the generic forms (services.hooks.opener): a case of the planned
definition opened with its object and start is planned as `merzim analysis plan` plans it.
It does not listen to the record path (no `LISTENER`)."""

from __future__ import annotations

from workflow.planning.service import plan_opened

LISTENER = None  # nothing to do when a case is recorded, voided or re-planned
OPENER = plan_opened
