"""The previous head's re-planning (f0d45c2, `workflow/services/cases.py`), verbatim: every case
with an open stage re-planned one at a time through `sync`, for the ratio in bench/replan."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from workflow.services.cases import sync
from workflow.services.context import Context
from workflow.storage import audit
from workflow.storage.models import OPEN, Case, Stage


def replan_all(s: Session, ctx: Context) -> list[dict[str, Any]]:
    """Re-plan every case with an open stage; report each deadline that moved."""
    moved = []
    open_ids = select(Stage.case_id).where(Stage.status == OPEN)
    for case in s.exec(select(Case).where(Case.id.in_(open_ids)).order_by(Case.id)):
        for key, old, new in sync(s, ctx, case):
            moved.append({"analysis": case.id, "case": case.id, "stage": key, "old": old,
                          "new": new, "responsible_id": case.responsible_id})
    if moved:
        audit.append(s, ctx.actor, "calendar.replan", "case", "*", {"moved": moved})
    return moved
