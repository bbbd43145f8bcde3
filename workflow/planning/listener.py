"""The planning's answer to the generic forms (services.hooks.opener): a case of the planned
definition opened with its object and start is planned as `merzim analysis plan` plans it.
It does not listen to the record path (no `LISTENER`)."""

from __future__ import annotations

from typing import Any

from workflow.planning.service import plan_opened


class _Opener:
    """`plan_opened`, and how a register file of the planned definition is imported in
    batches (`bulk`: services.hooks.bulk_opener)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return plan_opened(*args, **kwargs)

    @property
    def bulk(self) -> Any:
        from workflow.planning.bulk import REGISTER

        return REGISTER


LISTENER = None  # nothing to do when a case is recorded, voided or re-planned
OPENER = _Opener()
