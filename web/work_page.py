""""My work": the stages of the cases the viewer answers for, across every process — overdue,
due soon, done lately — each with the way to record it. An officer's first page; managers and
admins see the cases they themselves are responsible for (their home is their subtree's list)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from web.kit import views
from web.kit.deps import PageContext
from web.kit.page import int_param, page, render
from workflow import services as svc
from workflow.core.errors import UsageError
from workflow.services.bulk_actions import MAX_ITEMS
from workflow.services.views import StageRow

router = APIRouter(include_in_schema=False)
DUE_WITHIN = 10  # working days ahead, as the "due soon" list
DONE_DAYS = 30  # calendar days back


@dataclass(frozen=True, slots=True)
class WorkItem:
    """A row of My work: the list's row (its fields read through: `item.case`, `item.due`),
    its process's name and the link that records it."""

    row: StageRow
    process_name: str
    record: str

    def __getattr__(self, name: str) -> Any:
        if name == "row":  # (not set yet: no recursion)
            raise AttributeError(name)
        return getattr(self.row, name)


def _decorated(pc: PageContext, rows: Sequence[StageRow]) -> list[WorkItem]:
    """Rows the viewer may see, with their process's name and the event that records them."""
    lang = pc.t.language
    out = []
    for r in rows:
        if not pc.viewer.sees_path(r.subject_path):
            continue  # a case she answered for in an organisation she has left
        loaded = pc.ctx.registry.loaded.get(r.process)
        defn = loaded.definition if loaded else None
        event = defn.event_for_stage(r.stage.split(":", 1)[0]) if defn else None
        out.append(WorkItem(r, defn.name(lang) if defn else r.process,
                            f"/cases/{r.case}" + (f"?event={event.key}" if event else "")
                            + "#record"))
    return out


@router.get("/work", response_class=HTMLResponse)
def work_page(request: Request, pc: PageContext = Depends(page)):
    within = int_param(request.query_params.get("within"), "within", DUE_WITHIN)
    if within < 0 or within > 250:
        raise UsageError(key="error.bad_within")
    work = svc.my_work(pc.s, pc.ctx, pc.viewer.user.id, views.unassigned_of(pc.viewer),
                       within, DONE_DAYS)
    sections = [("overdue", _decorated(pc, work.overdue)), ("due", _decorated(pc, work.due)),
                ("done", _decorated(pc, work.done))]
    if work.before_joining:  # B-25: counted apart, after the overdue ones
        sections.insert(1, ("before_joining", _decorated(pc, work.before_joining)))
    parts: dict[str, Any] = {}  # what features add to it (the points at risk of her body)
    for part in request.app.state.parts.overview:
        if hasattr(part, "work"):
            parts.update(part.work(request, pc))
    return render(request, pc, "work.html", **parts, sections=sections, within=within,
                  done_days=DONE_DAYS, can_record=pc.viewer.records,
                  bulk_limit=MAX_ITEMS)
