"""Demo data (`demo.toml`): a realistic organisation tree, users and a programme dated
relative to today, loaded through the service layer so the demo obeys the same rules as an
officer. The recurring obligations of the demo's organisations are opened too."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from workflow import services as svc
from workflow.services import obligations
from workflow.storage.models import Organisation

DEMO = tomllib.loads((Path(__file__).parent / "demo.toml").read_text(encoding="utf-8"))
# code, kind, parent, en, ru, kk (the tests read the tree)
ORGS = [(o["code"], o["kind"], o.get("parent"), *o["names"]) for o in DEMO["org"]]
USERS = [(u["login"], u["name"], u["role"], u["org"], u["language"]) for u in DEMO["user"]]


def _day(ctx: svc.Context, stages: dict, spec: dict[str, Any]) -> date:
    """{ wd = N }: N working days from today; { due = STAGE[, wd = N] }: after a due date."""
    base = stages[spec["due"]].due_date if "due" in spec else ctx.today
    return ctx.calendar.add_working_days(base, int(spec.get("wd", 0)))


def _monitor_until_today(s: Session, ctx: svc.Context, aid: int) -> None:
    """Record every quarterly report already due, on time, and its review two days later."""
    keys = ctx.definition.raw["monitoring"]
    prefix = keys["report_stage"] + ":"
    for key, stage in sorted(svc.stages_of(s, svc.get_case(s, aid)).items()):
        if not key.startswith(prefix) or stage.due_date >= ctx.today:
            continue
        period = key.split(":", 1)[1]
        svc.record_event(s, ctx, aid, keys["report_event"], stage.due_date, {"period": period})
        review = ctx.calendar.add_working_days(stage.due_date, 2)
        if review <= ctx.today:
            svc.record_event(s, ctx, aid, keys["review_event"], review, {"period": period})


def load_demo(s: Session, ctx: svc.Context) -> dict[str, Any]:
    """Load the demo once (a second call changes nothing)."""
    if s.exec(select(Organisation).where(Organisation.code == ORGS[0][0])).first():
        return {"already": True}
    for code, kind, parent, en, ru, kk in ORGS:
        svc.add_org(s, ctx, code, en, kind, parent, name_kk=kk, name_ru=ru)
    for login, name, role, org, lang in USERS:
        svc.add_user(s, ctx, login, name, role, org, f"{login}@example.kz", lang)
    ids = []
    for item in DEMO["analysis"]:
        start = _day(ctx, {}, item["start"])
        case = svc.plan_analysis(s, ctx, item["subject"], item["object"], start, None, None,
                                 item["responsible"]).analysis
        for rec in item["records"]:
            stages = svc.stages_of(s, case)
            evidence = dict(DEMO[rec["evidence"]]) if rec.get("evidence") else {}
            evidence.update({k: v for k, v in rec.items()
                             if k not in ("event", "on", "evidence")})
            svc.record_event(s, ctx, case.id, rec["event"], _day(ctx, stages, rec["on"]),
                             evidence)
        if item.get("monitor"):
            _monitor_until_today(s, ctx, case.id)
        ids.append(case.id)
    sched = DEMO["programme_stage"]
    svc.record_schedule(s, ctx, sched["subject"], _day(ctx, {}, sched["year_of"]).year,
                        _day(ctx, {}, sched["on"]), dict(DEMO["doc"]))
    opened = obligations.sync(s, ctx)
    return {"organisations": len(ORGS), "users": [u[0] for u in USERS], "analyses": ids,
            "obligations": len(opened)}
