"""The planning's part of the demo (`merzim init --demo`, services/demo.py): the internal
analyses of the demo's file (`[[analysis]]`), planned as an officer plans them and recorded up
to today (a `monitor`ed one reported on up to today too, when a feature of its definition
reports), and the programme whose schedule was approved (`programme_stage`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from workflow import services as svc
from workflow.planning import service
from workflow.services.demo import day, monitor_until_today
from workflow.storage.models import Case


def load(s: Session, ctx: svc.Context, demo: Mapping[str, Any]) -> dict[str, Any]:
    """Plan the demo's analyses and record what happened on them; approve the programme's
    schedule. Returns the analyses' ids, in the file's order (`analyses`)."""
    ids = []
    for item in demo["analysis"]:
        start = day(ctx, {}, item["start"])
        planned = service.plan_analysis(s, ctx, item["subject"], item["object"], start, None,
                                        None, item["responsible"]).analysis
        case = planned if isinstance(planned, Case) else svc.get_case(s, planned.id)
        for rec in item["records"]:
            stages = svc.stages_of(s, case)
            evidence = dict(demo[rec["evidence"]]) if rec.get("evidence") else {}
            evidence.update({k: v for k, v in rec.items()
                             if k not in ("event", "on", "evidence")})
            svc.record_event(s, ctx, case.id, rec["event"], day(ctx, stages, rec["on"]),
                             evidence)
        if item.get("monitor"):
            monitor_until_today(s, ctx, case.id)
        ids.append(case.id)
    sched = demo["programme_stage"]
    service.record_schedule(s, ctx, sched["subject"], day(ctx, {}, sched["year_of"]).year,
                            day(ctx, {}, sched["on"]), dict(demo["doc"]))
    return {"analyses": ids}
