"""The monitoring's answers to what the generic record path announces (services.hooks): a
signed note opens the reporting periods, a report's receipt opens its review, a void undoes
that (or is refused), and a re-plan moves the open per-period stages with the calendar and
closes the stage of each plan measure whose recommendation is fulfilled."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from workflow.core.definition import Definition
from workflow.monitoring import service
from workflow.services.context import Context
from workflow.services.hooks import Moved, StageRow
from workflow.storage.models import (
    OPEN,
    Case,
    EventRecord,
    MonitoringReport,
    PlanItem,
    Recommendation,
)


@dataclass
class Kept:
    """What the monitoring keeps of one analysis for its re-plan: each period's report
    (period → the day it was received, None: not yet) and each plan measure whose
    recommendation is fulfilled (measure id → the day of the verdict and its evidence)."""

    reports: dict[str, date | None] = field(default_factory=dict)
    fulfilled: dict[int, tuple[date, dict[str, Any]]] = field(default_factory=dict)


class MonitoringListener:
    """The `[monitoring]` table's listener."""

    def recorded(self, s: Session, ctx: Context, case: Case, definition: Definition,
                 record: EventRecord) -> None:
        service.after_event(s, ctx, case, record.event, record.on, record.evidence or {})

    def voiding(self, s: Session, ctx: Context, case: Case, definition: Definition,
                record: EventRecord) -> None:
        service.before_void(s, ctx, case, record)

    def facts(self, s: Session, case_ids: Iterable[int]) -> Mapping[int, Kept]:
        """Each case's reports and its plan measures whose recommendation is fulfilled."""
        kept: dict[int, Kept] = defaultdict(Kept)
        ids = list(case_ids)
        if not ids:
            return kept
        rows = s.exec(select(col(MonitoringReport.analysis_id), MonitoringReport.period,
                             col(MonitoringReport.received_on))
                      .where(col(MonitoringReport.analysis_id).in_(ids))
                      .order_by(col(MonitoringReport.id)))
        for case_id, period, received in rows:
            kept[case_id].reports.setdefault(period, received)
        measures = s.exec(select(PlanItem, Recommendation)
                          .join(Recommendation,
                                col(Recommendation.id) == col(PlanItem.recommendation_id))
                          .where(col(PlanItem.analysis_id).in_(ids),
                                 col(Recommendation.status) == service.FULFILLED)
                          .order_by(col(PlanItem.id)))
        for item, rec in measures:
            if item.analysis_id is not None and rec.status_on is not None:
                kept[item.analysis_id].fulfilled[item.id] = (
                    rec.status_on, {**(rec.evidence or {}), "recommendation": rec.id})
        return kept

    def replan(self, ctx: Context, definition: Definition, stages: Mapping[str, StageRow],
               planned: Mapping[str, StageRow], facts: Any) -> list[Moved]:
        """The open per-period stages with the current calendar: a report's due date from its
        period (counted from the note's date as just planned), a review's from its report's
        receipt; a plan measure's stage closed by its recommendation's fulfilment
        (`service.fulfil_measure`); the rows of `stages` changed in place."""
        k = service.keys(definition)
        spec = definition.events.get(k.get("opened_by", ""))
        signed = (planned.get(spec.completes) or stages.get(spec.completes)) \
            if spec is not None and spec.completes else None
        kept: Kept = facts or Kept()
        reports = kept.reports
        moved: list[Moved] = []
        for key, stage in stages.items():
            kind, _, period = key.partition(":")
            if period and kind == k.get("plan_item_stage"):
                service.fulfil_measure(stage, kept.fulfilled.get(int(period))
                                       if period.isdigit() else None)
                continue
            if not period or stage.status != OPEN:
                continue
            due = None
            if kind == k.get("report_stage"):
                due = service.dynamic_due(ctx, definition, key,
                                          note=signed.done_on if signed else None)
            elif kind == k.get("review_stage") and reports.get(period):
                due = service.dynamic_due(ctx, definition, key, received_on=reports[period])
            if due is not None and stage.due_date != due:
                if stage.due_date is not None:
                    moved.append((key, stage.due_date, due))
                stage.due_date, stage.projected = due, False
        return moved


LISTENER = MonitoringListener()
