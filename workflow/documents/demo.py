"""The documents' part of the demo (`merzim init --demo`, services/demo.py): the risks, their
recommendations, the positions exposed to them, the action plan's measures and the last
review's verdicts of the demo's first analysis (demo.toml beside this file), recorded through
the monitoring's service as an officer records them, so that each of its documents carries
something of each."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from workflow import services as svc
from workflow.monitoring import service as monitoring
from workflow.storage.models import Case

DATA = Path(__file__).parent / "demo.toml"


def load(s: Session, ctx: svc.Context, demo: Mapping[str, Any]) -> dict[str, Any]:
    """Record the demo's findings on its first analysis of the subject; returns its id
    (`documents_analysis`), none when the demo has no such analysis."""
    data = tomllib.loads(DATA.read_text(encoding="utf-8"))
    org = svc.get_org(s, data["subject"])
    case = s.exec(select(Case).where(Case.subject_id == org.id,
                                     Case.process == data["process"])
                  .order_by(col(Case.id))).first()
    if case is None:
        return {}
    for name in data["subdivisions"]:
        monitoring.add_subdivision(s, ctx, org.code, name)
    recs = []
    for risk in data["risk"]:
        row = monitoring.add_risk(s, ctx, risk["description"], risk["process"],
                                  risk["subdivision"], analysis_id=case.id,
                                  causes=risk.get("causes"),
                                  likelihood=risk.get("likelihood"),
                                  consequence=risk.get("consequence"))
        recs += [monitoring.add_recommendation(s, ctx, row.id, text).id
                 for text in risk["recommendations"]]
    for p in data.get("position", []):
        monitoring.add_position(s, ctx, case.id, p["position"], p["subdivision"], str(p["risk"]))
    monitoring.import_plan(s, ctx, [
        {"recommendation": str(recs[m["recommendation"] - 1]), "measure": m["measure"],
         "completion_form": m["completion_form"],
         "deadline": ctx.calendar.add_working_days(ctx.today, m["deadline"]["wd"]).isoformat(),
         "responsible": m["responsible"], "person": m.get("person", "")}
        for m in data["measure"]], analysis_id=case.id)
    for st in data["status"]:
        monitoring.set_status(s, ctx, recs[st["recommendation"] - 1], st["status"], ctx.today,
                              dict(st.get("evidence", {})))
    return {"documents_analysis": case.id}
