"""The facts of project No. 1's evaluation, read from what was recorded, for one subject or for
every subject of a subtree (a ministry with its committees and departments, a region with its
departments and districts), and their scorecards (workflow/scorecard/rules.py).

Which stages and states count comes from the definition's [scorecard] table; the tree, the
year's analyses, their stages, risks and external analyses are read in a few queries for the
whole subtree, whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from workflow.scorecard import rules as sc
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import org_name
from workflow.storage.models import (
    DONE_LATE,
    DONE_ON_TIME,
    EVENT,
    OPEN,
    Case,
    EventRecord,
    ExternalAnalysis,
    Organisation,
    PlanItem,
    Programme,
    Recommendation,
    Risk,
    Stage,
)
from workflow.storage.queries import in_subtree

CHUNK = 500  # ids per IN (...) list


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _table(definition) -> tuple[dict[str, str], dict[str, Any]]:
    table = definition.raw.get("scorecard") or {}
    return table.get("stages") or {}, table.get("states") or {}


def _sections(s: Session, definition, ids: list[int]) -> dict[int, list[str]] | None:
    """The cartogram sections each analysis's standing update records name (I-7), when the
    definition records the updates as events ([scorecard.events] cartogram_updated)."""
    event = ((definition.raw.get("scorecard") or {}).get("events") or {}).get("cartogram_updated")
    if event not in definition.events:
        return None
    out: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        for rec in s.exec(select(EventRecord).where(
                EventRecord.case_id.in_(chunk), EventRecord.kind == EVENT,
                EventRecord.event == event, EventRecord.voided_by_id.is_(None))):
            section = (rec.evidence or {}).get("section")
            if section:
                out.setdefault(rec.case_id, []).append(section)
    return out


def _step(stage: Stage | None) -> sc.Step:
    if stage is None:
        return sc.Step()
    return sc.Step(done=stage.status in (DONE_ON_TIME, DONE_LATE), open=stage.status == OPEN,
                   due=stage.due_date)


def subject_facts(s: Session, ctx: Context, root: Organisation, year: int,
                  settings: sc.ScoreSettings, subtree: bool = False
                  ) -> list[tuple[Organisation, sc.SubjectFacts]]:
    """The facts of the root's scorecard, or (subtree) of every subject under it (the kinds of
    the setting subject_kinds), in tree order."""
    definition = ctx.definition
    stage_of, states = _table(definition)
    excluded = tuple(states.get("excluded") or ())
    orgs = sorted(s.exec(select(Organisation).where(in_subtree(Organisation.path, root))),
                  key=lambda o: o.path)  # in Python: a database collation may ignore '/'
    by_id = {o.id: o for o in orgs}
    tree = [sc.Org(o.code, o.kind, by_id[o.parent_id].code if o.parent_id in by_id else None)
            for o in orgs]

    # the year's analyses run by, or of, an organisation of the subtree
    subj, obj = aliased(Organisation), aliased(Organisation)
    rows = s.exec(select(Case, subj.code, obj.code)
                  .join(Programme, Programme.id == Case.programme_id)
                  .join(subj, subj.id == Case.subject_id)
                  .outerjoin(obj, obj.id == Case.object_id)
                  .where(Programme.year == year, Case.process == definition.key,
                         or_(in_subtree(subj.path, root), in_subtree(obj.path, root)))
                  .order_by(Case.id)).all()
    cases = [(c, subject_code, object_code or subject_code) for c, subject_code, object_code in rows]
    ids = [c.id for c, _, _ in cases if c.state not in excluded]
    wanted = {v for k, v in stage_of.items() if k in sc.STEP_ROLES}
    stages: dict[int, dict[str, Stage]] = {}
    for chunk in _chunks(ids):
        for st in s.exec(select(Stage).where(Stage.case_id.in_(chunk), Stage.key.in_(wanted))):
            stages.setdefault(st.case_id, {})[st.key] = st
    closed_state = states.get("monitoring_closed")
    analyses = [sc.AnalysisFacts(
        id=c.id, subject=subject_code, object=object_code, start=c.case_date,
        steps={role: _step(stages.get(c.id, {}).get(stage_of.get(role))) for role in sc.STEP_ROLES},
        monitoring_closed=c.state == closed_state, cancelled=c.state in excluded)
        for c, subject_code, object_code in cases]
    closed = {a.id for a in analyses if a.monitoring_closed}
    risks: dict[int, list[sc.RiskFacts]] = {}
    for chunk in _chunks(ids):  # a cancelled analysis's risks do not count
        found = list(s.exec(select(Risk).where(Risk.analysis_id.in_(chunk)).order_by(Risk.id)))
        recs = _recommendations(s, [r.id for r in found])
        for risk in found:
            mine = recs.get(risk.id, [])
            eliminated = bool(mine) and all(r.status == "fulfilled" for r in mine)
            risks.setdefault(risk.analysis_id, []).append(
                sc.RiskFacts(risk.id, eliminated, eliminated and risk.analysis_id in closed,
                             risk.analysis_id))

    subjects = [root] if not subtree else [o for o in orgs if o.kind in settings.subject_kinds]
    schedules = _schedules(s, [o.id for o in subjects], year, stage_of.get(sc.SCHEDULE_ROLE))
    externals = _externals(s, [o.id for o in subjects if o.kind not in sc.NON_STATE_KINDS],
                           year, settings)
    by_code: dict[str, list[sc.AnalysisFacts]] = {}
    for a in analyses:
        by_code.setdefault(a.subject, []).append(a)
        if a.object != a.subject:
            by_code.setdefault(a.object, []).append(a)
    sections = _sections(s, definition, ids)
    cartogram = sections is not None or stage_of.get("cartogram_updated") in definition.stages
    position = {o.id: i for i, o in enumerate(orgs)}
    out = []
    for org in subjects:
        start = end = position[org.id]  # orgs are in path order: a subtree is one run of them
        while end < len(orgs) and orgs[end].path.startswith(org.path):
            end += 1
        below, own_tree = orgs[start:end], tuple(tree[start:end])
        mine = {a.id: a for o in below for a in by_code.get(o.code, [])}
        ids_mine = sorted(mine)
        out.append((org, sc.SubjectFacts(
            subject=org.code, subject_kind=org.kind, year=year, today=ctx.today, tree=own_tree,
            analyses=tuple(mine[i] for i in ids_mine),
            risks=tuple(r for i in ids_mine for r in risks.get(i, [])),
            schedule_approved=org.id in schedules, external=externals.get(org.id),
            cartogram_recorded=cartogram,
            cartogram_updates=None if sections is None else tuple(
                code for i in ids_mine for code in sections.get(i, ())))))
    return out


def _recommendations(s: Session, risk_ids: list[int]) -> dict[int, list[Recommendation]]:
    out: dict[int, list[Recommendation]] = {}
    for chunk in _chunks(risk_ids):
        for rec in s.exec(select(Recommendation).where(Recommendation.risk_id.in_(chunk))):
            out.setdefault(rec.risk_id, []).append(rec)
    return out


def _schedules(s: Session, subject_ids: list[int], year: int, key: str | None) -> set[int]:
    """The subjects whose programme of the year has its schedule approved."""
    done: set[int] = set()
    if not key:
        return done
    for chunk in _chunks(subject_ids):
        for prog, st in s.exec(select(Programme, Stage)
                               .join(Stage, Stage.programme_id == Programme.id)
                               .where(Programme.subject_id.in_(chunk), Programme.year == year,
                                      Stage.key == key)):
            if st.status in (DONE_ON_TIME, DONE_LATE):
                done.add(prog.subject_id)
    return done


def _externals(s: Session, subject_ids: list[int], year: int, settings: sc.ScoreSettings
               ) -> dict[int, sc.ExternalFacts]:
    """Each state body's latest external analysis completed in the year or the setting's years
    before it (001:L7-13), with its plan's measures and how many are fulfilled."""
    window = (date(year - settings.external_years_back, 1, 1), date(year, 12, 31))
    latest: dict[int, ExternalAnalysis] = {}
    for chunk in _chunks(subject_ids):
        for ext in s.exec(select(ExternalAnalysis).where(
                ExternalAnalysis.subject_id.in_(chunk), ExternalAnalysis.completed_on >= window[0],
                ExternalAnalysis.completed_on <= window[1])
                .order_by(ExternalAnalysis.completed_on, ExternalAnalysis.id)):
            latest[ext.subject_id] = ext
    out = {}
    for subject_id, ext in latest.items():
        items = list(s.exec(select(PlanItem).where(PlanItem.external_id == ext.id)))
        rec_ids = [i.recommendation_id for i in items if i.recommendation_id]
        fulfilled_recs = {r.id for r in s.exec(select(Recommendation).where(
            Recommendation.id.in_(rec_ids or [-1]))) if r.status == "fulfilled"}
        out[subject_id] = sc.ExternalFacts(
            ext.completed_on, len(items),
            sum(1 for i in items if i.recommendation_id in fulfilled_recs))
    return out


def scorecards(s: Session, ctx: Context, org_code: str, year: int, settings: sc.ScoreSettings,
               subtree: bool = False) -> list[dict[str, Any]]:
    """The scorecard of one subject, or of every subject under it, each with the subject's
    name in the context's language."""
    root = get_org(s, org_code)
    out = []
    for org, facts in subject_facts(s, ctx, root, year, settings, subtree):
        result = sc.score(facts, settings)
        result["subject_name"] = org_name(org, ctx.language)
        out.append(result)
    return out
