"""The facts of project No. 1's evaluation, read from what was recorded, for one subject or for
every subject of a subtree (a ministry with its committees and departments, a region with its
departments and districts), and their scorecards (workflow/scorecard/rules.py).

Which stages and states count comes from the definition's [scorecard] table; the tree, the
year's analyses, their stages, risks and external analyses are read in a few queries for the
whole subtree, whatever its size.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from cachetools import TTLCache
from sqlalchemy import ARRAY, Integer, Select, and_, any_, bindparam, null, or_
from sqlalchemy import case as sa_case
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from workflow.core.links import links_of
from workflow.core.signers import justification_signed, justification_table
from workflow.registers.entries import DONE, MISSING, WHY_NOT_DONE, Entry
from workflow.registers.reader import Decoded, as_text, read_entries
from workflow.registers.scope import members
from workflow.scorecard import evaluation as ev
from workflow.scorecard import rules as sc
from workflow.scorecard.catalogue import catalogue
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
from workflow.storage.queries import in_subtree, live_case

CHUNK = 500  # ids per IN (...) list
DONE_STATUSES = (DONE_ON_TIME, DONE_LATE)


def select_columns(*columns: Any) -> Select:
    """A SELECT of some columns, read as rows (attribute access by column name), not as ORM
    objects: a country's evaluation reads hundreds of thousands of them."""
    return sa_select(*columns)


def _rows(s: Session) -> Any:
    """Rows of a `select_columns` query, in the session's transaction (its earlier ORM query
    has flushed what is pending)."""
    conn = s.connection()
    return lambda query: conn.execute(query).all()


def _in(s: Session, column: Any, ids: list[int]) -> Any:
    """`column IN (ids)`; on PostgreSQL `column = ANY(:ids)`, one array parameter: psycopg
    otherwise splits a statement of 500 placeholders, a few ms each of a country's ~400."""
    if s.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _table(definition) -> tuple[dict[str, str], dict[str, Any]]:
    """Project No. 1's steps (role -> stage) and states of a definition's [scorecard]."""
    spec = definition.scorecard
    if spec is None:
        return {}, {}
    return dict(spec.stages), {"excluded": spec.excluded,
                               "monitoring_closed": spec.monitoring_closed}


def _sections(s: Session, definition, ids: list[int]
              ) -> dict[int, list[tuple[str, str | None]]] | None:
    """The cartogram sections each analysis's standing update records name (I-7), with the
    part of the section each names ([scorecard.fields] part, version 5: positions or the list
    of risks; None: a record naming no part, version 4's), when the definition records the
    updates as events ([scorecard.events] cartogram_updated)."""
    if not _sections_recorded(definition):
        return None
    spec = definition.scorecard
    event = spec.events.get("cartogram_updated")
    part_key = spec.fields.get("part") if spec is not None else None
    out: dict[int, list[tuple[str, str | None]]] = {}
    for chunk in _chunks(ids):
        for rec in s.exec(select(EventRecord).where(
                _in(s, EventRecord.case_id, chunk), EventRecord.kind == EVENT,
                EventRecord.event == event, col(EventRecord.voided_by_id).is_(None))
                .order_by(col(EventRecord.id))):
            evidence = rec.evidence or {}
            section = evidence.get("section")
            if section:
                part = evidence.get(part_key) if part_key else None
                out.setdefault(rec.case_id, []).append((section, part or None))
    return out


def _sections_recorded(definition) -> bool:
    """Whether the definition records the cartogram's updates as events ([scorecard.events]
    cartogram_updated)."""
    spec = definition.scorecard
    event = spec.events.get("cartogram_updated") if spec is not None else None
    return event in definition.events


def _parts(definition) -> tuple[str, ...]:
    """The parts of a cartogram section the definition records (the choices of its
    [scorecard.fields] part): each scored on its own in 1.5.1; none: one per section."""
    key = definition.scorecard.fields.get("part") if definition.scorecard else None
    spec = definition.evidence.get(key) if key else None
    return tuple(spec.choices) if spec is not None else ()


_ITS_OWN: Any = object()  # `_step`'s evidence: the stage row's own column


def _step(stage: Any, definition=None, evidence: Any = _ITS_OWN) -> sc.Step:
    """A stage (a row of its case_id, key, status, due_date and, with the definition, evidence
    columns) as a step; with the definition, whether it was done without a link (the
    evidence of its completing record (`evidence`: the stage's, decoded; else its row's): a
    link of any channel, or a plain one, I-15)."""
    if stage is None:
        return sc.Step()
    done = stage.status in (DONE_ON_TIME, DONE_LATE)
    if evidence is _ITS_OWN:
        evidence = stage.evidence if definition is not None else None
    if (done and definition is not None and not links_of(definition, evidence)
            and justification_signed(justification_table(definition.raw),
                                     evidence) is False):
        # a justification note alone, not signed by the head of apparatus nor confirmed as
        # signed by an acting head (a version-4 record): not a publication (I-16)
        done = False
    return sc.Step(done=done, open=stage.status == OPEN, due=stage.due_date,
                   unlinked=done and definition is not None
                   and not links_of(definition, evidence))


def _channels(definition) -> tuple[str, ...]:
    """The channels an announcement is published on, each needing its link (000:L265-269;
    001:L55-59): the choices of the definition's field of type "links" (none: no such field,
    nothing required)."""
    return next((tuple(spec.choices) for spec in definition.evidence.values()
                 if spec.type == "links" and spec.choices), ())


def _missing(definition, evidence: Any, channels: tuple[str, ...]) -> tuple[str, ...]:
    """The channels a done announcement has no link on (a plain link names none)."""
    have = {link.channel for link in links_of(definition, evidence)}
    return tuple(c for c in channels if c not in have)


@dataclass(frozen=True)
class OrgPart:
    """What an evaluation reads of one organisation's own records in a year, whichever
    subject's evaluation takes it in: the year's analyses it ran or that are of it (with
    their steps, by id), the risks and the cartogram updates of those analyses (by analysis),
    and its register entries counting in the year (in the order read). A subject's evaluation
    reads its subtree's parts put together, so a part can be kept for the version of its
    organisation's path (scorecard/kept.py: a write about its records moves it) and read
    again only after such a write."""

    analyses: tuple[sc.AnalysisFacts, ...] = ()
    risks: Mapping[int, tuple[sc.RiskFacts, ...]] = field(default_factory=dict)
    sections: Mapping[int, tuple[tuple[str, str | None], ...]] = field(default_factory=dict)
    entries: tuple[Entry, ...] = ()


# reads the parts of some organisations (by id) of a root's subtree: `read_parts` or a reader
# keeping them (scorecard/kept.py)
PartsReader = Callable[[Session, Context, int, Sequence[Organisation], Organisation],
                       dict[int, OrgPart]]


def _definition(ctx: Context) -> Any:
    """Project No. 1's definition: the one whose [scorecard] table maps the score's roles to
    stages."""
    return next((d for d in ctx.registry.all() if _table(d)[0]), ctx.registry.all()[0])


def subtree_orgs(s: Session, root: Organisation) -> list[Any]:
    """The organisations of the root's subtree (it included), in path order, as rows of the
    columns the evaluation reads (id, code, kind, parent, headcount, path, names): not ORM
    objects (a country has 5,001)."""
    rows = _rows(s)(select_columns(
        Organisation.id, Organisation.code, Organisation.kind, Organisation.parent_id,
        Organisation.headcount, Organisation.path, Organisation.name, Organisation.name_kk,
        Organisation.name_ru).where(in_subtree(Organisation.path, root)))
    return sorted(rows, key=lambda o: o.path)  # in Python: a database collation may ignore '/'


def _read_steps(s: Session, definition, stage_of: dict[str, str], ids: list[int]
                ) -> tuple[dict[int, dict[str, sc.Step]], dict[int, sc.Step]]:
    """The steps of the analyses `ids` (`read_parts`'): by analysis, each stage's step by its
    key, and the published stage's step with its links read."""
    published = stage_of.get(sc.PUBLISHED_ROLE)
    read = _rows(s)
    keys = {v for k, v in stage_of.items() if k in sc.STEP_ROLES} | ({published} - {None})
    # the announcements counted on every channel (001:L55-59): their evidence is read too
    announced = {stage_of[r] for r in sc.CHANNEL_ROLES if stage_of.get(r)}
    channels = _channels(definition)
    with_evidence = ({published} - {None}) | (announced if channels else set())
    # each stage as a step when read: a step whose links do not count depends on the stage's
    # status and due date alone, one (frozen) Step per pair, not one per stage (180,000 of a
    # country); the published stage's also on its evidence (I-15, I-16)
    plain: dict[tuple[str, date | None, tuple[str, ...]], sc.Step] = {}
    steps_of: dict[int, dict[str, sc.Step]] = {}  # analysis -> stage key -> step
    published_step: dict[int, sc.Step] = {}  # analysis -> its published stage's step
    decoded = Decoded()
    unread: dict[tuple[str, date | None], sc.Step] = {}  # published steps without evidence
    for chunk in _chunks(ids):
        # the columns a step reads, as rows (not ORM objects); the evidence (JSON) of the
        # published stage and the announcements only, the ones whose links count, and only
        # when done (an open stage's links are never read), as text decoded once per text
        for st in read(select_columns(Stage.case_id, Stage.key, Stage.status, Stage.due_date,
                                      sa_case((and_(col(Stage.key).in_(with_evidence),
                                                    col(Stage.status).in_(DONE_STATUSES)),
                                               as_text(Stage.evidence)))
                                      .label("evidence") if with_evidence else
                                      null().label("evidence"))
                       .where(_in(s, col(Stage.case_id), chunk), col(Stage.key).in_(keys))):
            case_id, key, status, due, text = st
            evidence = None if text is None else decoded(text)
            missing = (_missing(definition, evidence, channels)
                       if text is not None and key in announced and status in DONE_STATUSES
                       else ())
            step = plain.get((status, due, missing))
            if step is None:
                step = plain[(status, due, missing)] = replace(_step(st), missing=missing)
            mine = steps_of.get(case_id)
            if mine is None:
                mine = steps_of[case_id] = {}
            mine[key] = step
            if key == published:
                if text is None:  # no evidence read: the step of its status and due date
                    found = unread.get((status, due))
                    if found is None:
                        found = unread[(status, due)] = _step(st, definition, None)
                    published_step[case_id] = found
                else:
                    published_step[case_id] = _step(st, definition, evidence)
    return steps_of, published_step


def read_parts(s: Session, ctx: Context, year: int, orgs: Sequence[Organisation],
               root: Organisation, entries: bool = True) -> dict[int, OrgPart]:
    """The part of each organisation of `orgs` (of the root's subtree), by its id, read
    afresh: a few statements for the whole subtree when `orgs` are many of it, else a few
    for those organisations alone; without `entries`, no register entry (project No. 1's
    facts alone)."""
    wanted = {o.id: o.code for o in orgs if o.id is not None}
    if not wanted:
        return {}
    definition = _definition(ctx)
    stage_of, states = _table(definition)
    excluded = tuple(states.get("excluded") or ())
    subj, obj = aliased(Organisation), aliased(Organisation)
    read = _rows(s)
    # the columns read, as rows: not ORM objects, whose JSON fields and dates nothing here reads
    query = (select_columns(Case.id, Case.state, Case.case_date, Case.subject_id,
                            Case.object_id, col(subj.code).label("subject_code"),
                            col(obj.code).label("object_code"))
             .join(Programme, col(Programme.id) == Case.programme_id)
             .join(subj, col(subj.id) == Case.subject_id)
             .outerjoin(obj, col(obj.id) == Case.object_id)
             .where(col(Programme.year) == year, Case.process == definition.key,
                    live_case()))  # withdrawn: never scored
    if len(wanted) > CHUNK:  # the year's analyses run by, or of, an organisation of the subtree
        rows = read(query.where(or_(in_subtree(subj.path, root), in_subtree(obj.path, root)))
                    .order_by(col(Case.id)))
    else:  # those run by, or of, one of the organisations
        ids_ = list(wanted)
        rows = read(query.where(or_(_in(s, col(Case.subject_id), ids_),
                                    _in(s, col(Case.object_id), ids_)))
                    .order_by(col(Case.id)))
    rows = [r for r in rows if r.subject_id in wanted or r.object_id in wanted]
    cases = [(c, c.subject_code, c.object_code or c.subject_code) for c in rows]
    ids = [c.id for c, _, _ in cases if c.state not in excluded]
    steps_of, published_step = _read_steps(s, definition, stage_of, ids)
    closed_state = states.get("monitoring_closed")
    role_keys = [(role, stage_of.get(role)) for role in sc.STEP_ROLES]

    def steps(analysis: int) -> dict[str, sc.Step]:
        mine = steps_of.get(analysis, {})
        return {role: published_step.get(analysis, sc.NO_STEP) if role == sc.PUBLISHED_ROLE
                else mine.get(key, sc.NO_STEP) for role, key in role_keys}

    analyses = [sc.AnalysisFacts(
        id=c.id, subject=subject_code, object=object_code, start=c.case_date,
        steps=steps(c.id), monitoring_closed=c.state == closed_state,
        cancelled=c.state in excluded)
        for c, subject_code, object_code in cases]
    closed = {a.id for a in analyses if a.monitoring_closed}
    risks: dict[int, list[sc.RiskFacts]] = {}
    for chunk in _chunks(ids):  # a cancelled analysis's risks do not count
        found = list(s.exec(select(Risk).where(_in(s, Risk.analysis_id, chunk))
                            .order_by(col(Risk.id))))
        recs = _recommendations(s, [r.id for r in found])
        for risk in found:
            mine = recs.get(risk.id, [])
            eliminated = bool(mine) and all(r.status == "fulfilled" for r in mine)
            risks.setdefault(risk.analysis_id, []).append(
                sc.RiskFacts(risk.id, eliminated, eliminated and risk.analysis_id in closed,
                             risk.analysis_id))
    sections = _sections(s, definition, ids) or {}
    of_org: dict[str, list[Entry]] = {}
    for e in read_entries(s, ctx.registry.all(), wanted, year) if entries else ():
        of_org.setdefault(e.org, []).append(e)
    by_org: dict[int, list[sc.AnalysisFacts]] = {}
    for (c, _, _), a in zip(cases, analyses, strict=True):
        for org_id in {c.subject_id, c.object_id}:
            if org_id in wanted:
                by_org.setdefault(org_id, []).append(a)
    out = {}
    for org_id, code in wanted.items():
        mine_ = by_org.get(org_id, [])
        out[org_id] = OrgPart(
            analyses=tuple(mine_),
            risks={a.id: tuple(risks[a.id]) for a in mine_ if a.id in risks},
            sections={a.id: tuple(sections[a.id]) for a in mine_ if a.id in sections},
            entries=tuple(of_org.get(code, ())))
    return out


def subject_facts(s: Session, ctx: Context, root: Organisation, year: int,
                  settings: sc.ScoreSettings, subtree: bool = False,
                  orgs: list[Organisation] | None = None,
                  parts: dict[int, OrgPart] | None = None
                  ) -> list[tuple[Organisation, sc.SubjectFacts]]:
    """The facts of the root's scorecard, or (subtree) of every subject under it (the kinds of
    the setting subject_kinds), in tree order: each subject's from the parts of the
    organisations of its subtree (`parts`, by id: read afresh when not given; `orgs`: the
    root's subtree in path order, `subtree_orgs`)."""
    definition = _definition(ctx)
    stage_of, _states = _table(definition)
    orgs = subtree_orgs(s, root) if orgs is None else orgs
    parts = read_parts(s, ctx, year, orgs, root, entries=False) if parts is None else parts
    by_id = {o.id: o for o in orgs}
    tree = [sc.Org(o.code, o.kind, by_id[o.parent_id].code if o.parent_id in by_id else None,
                   o.headcount) for o in orgs]
    subjects = [root] if not subtree else [o for o in orgs if o.kind in settings.subject_kinds]
    schedules = _schedules(s, [o.id for o in subjects], year, stage_of.get(sc.SCHEDULE_ROLE))
    externals = _externals(s, [o.id for o in subjects if o.kind not in sc.NON_STATE_KINDS],
                           year, settings)
    recorded = _sections_recorded(definition)
    cartogram = recorded or stage_of.get("cartogram_updated") in definition.stages
    position = {o.id: i for i, o in enumerate(orgs)}
    out = []
    for org in subjects:
        start = end = position[org.id]  # orgs are in path order: a subtree is one run of them
        while end < len(orgs) and orgs[end].path.startswith(org.path):
            end += 1
        own_tree = tuple(tree[start:end])
        mine: dict[int, sc.AnalysisFacts] = {}
        risks: dict[int, tuple[sc.RiskFacts, ...]] = {}
        sections: dict[int, tuple[tuple[str, str | None], ...]] = {}
        for o in orgs[start:end]:
            part = parts[o.id]
            for a in part.analyses:
                mine[a.id] = a
            risks.update(part.risks)
            sections.update(part.sections)
        ids_mine = sorted(mine)
        out.append((org, sc.SubjectFacts(
            subject=org.code, subject_kind=org.kind, year=year, today=ctx.today, tree=own_tree,
            analyses=tuple(mine[i] for i in ids_mine),
            risks=tuple(r for i in ids_mine for r in risks.get(i, ())),
            schedule_approved=org.id in schedules, external=externals.get(org.id),
            cartogram_recorded=cartogram, cartogram_parts=_parts(definition),
            cartogram_updates=None if not recorded else tuple(
                update for i in ids_mine for update in sections.get(i, ())))))
    return out


def _recommendations(s: Session, risk_ids: list[int]) -> dict[int, list[Recommendation]]:
    out: dict[int, list[Recommendation]] = {}
    for chunk in _chunks(risk_ids):
        for rec in s.exec(select(Recommendation).where(_in(s, Recommendation.risk_id, chunk))):
            out.setdefault(rec.risk_id, []).append(rec)
    return out


def _schedules(s: Session, subject_ids: list[int], year: int, key: str | None) -> set[int]:
    """The subjects whose programme of the year has its schedule approved."""
    done: set[int] = set()
    if not key:
        return done
    read = _rows(s)
    for chunk in _chunks(subject_ids):  # the two columns read, as rows (not ORM objects)
        for subject_id, status in read(select_columns(Programme.subject_id, Stage.status)
                                       .join(Stage, col(Stage.programme_id) == Programme.id)
                                       .where(_in(s, Programme.subject_id, chunk),
                                              col(Programme.year) == year,
                                              col(Stage.key) == key)):
            if status in (DONE_ON_TIME, DONE_LATE):
                done.add(subject_id)
    return done


def _externals(s: Session, subject_ids: list[int], year: int, settings: sc.ScoreSettings
               ) -> dict[int, sc.ExternalFacts]:
    """Each state body's latest external analysis completed in the year or the setting's years
    before it (001:L7-13), with its plan's measures and how many are fulfilled."""
    window = (date(year - settings.external_years_back, 1, 1), date(year, 12, 31))
    latest: dict[int, ExternalAnalysis] = {}
    for chunk in _chunks(subject_ids):
        for ext in s.exec(select(ExternalAnalysis).where(
                _in(s, ExternalAnalysis.subject_id, chunk), ExternalAnalysis.completed_on >= window[0],
                ExternalAnalysis.completed_on <= window[1])
                .order_by(col(ExternalAnalysis.completed_on), col(ExternalAnalysis.id))):
            latest[ext.subject_id] = ext
    # the plans' measures and their recommendations' statuses, a query per 500 of each (not
    # two queries per state body)
    items: dict[int, list[PlanItem]] = {}
    for chunk in _chunks(sorted(ext.id for ext in latest.values() if ext.id is not None)):
        for item in s.exec(select(PlanItem).where(_in(s, col(PlanItem.external_id), chunk))
                           .order_by(col(PlanItem.id))):
            items.setdefault(item.external_id, []).append(item)
    rec_ids = sorted({i.recommendation_id for found in items.values() for i in found
                      if i.recommendation_id})
    fulfilled_recs: set[int | None] = set()
    for chunk in _chunks(rec_ids):
        fulfilled_recs |= {r.id for r in s.exec(select(Recommendation).where(
            _in(s, col(Recommendation.id), chunk))) if r.status == "fulfilled"}
    out = {}
    for subject_id, ext in latest.items():
        mine = items.get(ext.id or 0, [])
        out[subject_id] = sc.ExternalFacts(
            ext.completed_on, len(mine),
            sum(1 for i in mine if i.recommendation_id in fulfilled_recs))
    return out


def scorecards(s: Session, ctx: Context, org_code: str, year: int, settings: sc.ScoreSettings,
               subtree: bool = False, whole: bool = True, leads: bool = False,
               parts: PartsReader | None = None) -> list[dict[str, Any]]:
    """`each_scorecard`'s evaluations as one list."""
    return list(each_scorecard(s, ctx, org_code, year, settings, subtree, whole, leads, parts))


def each_scorecard(s: Session, ctx: Context, org_code: str, year: int,
                   settings: sc.ScoreSettings, subtree: bool = False, whole: bool = True,
                   leads: bool = False, parts: PartsReader | None = None,
                   read_only: bool = False) -> Iterator[dict[str, Any]]:
    """The evaluation of one subject, or of every subject under it, each with the subject's
    name in the context's language: projects No. 1-4 with a subtotal each and the total
    (`whole`), or project No. 1 alone. The registers of the whole subtree are read once.
    Each carries its depth under the root (`depth`, 0: the root) and, with `leads`, the cases
    behind each indicator and the points still at risk (`at_risk`, see `_leads`). What each
    organisation of the subtree adds is read by `parts` (`read_parts`: afresh; or kept).
    One subject's evaluation at a time, in tree order: the command line writes each as it
    comes, never holding a national subtree's (the registers and facts are read first).
    `read_only` (the command line's: the evaluations are read, never changed): subjects with
    nothing under them whose entries are alike but for their cases (`_alone_alike`: most of
    a subtree's departments) share one evaluation of projects No. 2-4, its indicators the
    same objects."""
    root = get_org(s, org_code)
    root_depth = root.path.strip("/").count("/")
    orgs = subtree_orgs(s, root)
    found = (parts or read_parts)(s, ctx, year, orgs, root)
    # the subtree's register entries, in tree order, each organisation's in the order read
    cases = [e for o in orgs for e in found[o.id].entries] if whole else []
    at: dict[str, list[int]] = {}  # each organisation's register cases, by their place
    for i, c in enumerate(cases):
        at.setdefault(c.org, []).append(i)
    by_code = {o.code: o for o in orgs}
    names: dict[str, str] = {}
    duties = ev.duties(ctx.registry.all())

    def name_of(code: str) -> str:  # each organisation's name once, whatever the subjects
        if code not in names:
            names[code] = org_name(by_code[code], ctx.language) if code in by_code else code
        return names[code]

    alone = _alone_memo(read_only, leads)

    for org, facts in subject_facts(s, ctx, root, year, settings, subtree, orgs, found):
        analysed: dict[str, Any] = {}  # with leads: project No. 1's cases and points to win
        if leads and not subtree:  # one subject: kept for the same analyses' objects
            def project_1(facts: sc.SubjectFacts = facts) -> dict[str, Any]:
                return {"score": sc.score(facts, settings),
                        **_analysed(facts, settings, ctx.registry.all())}

            analysed = _same_analyses(ctx, settings, facts, project_1)
            result = {**analysed["score"],
                      "indicators": [dict(i) for i in analysed["score"]["indicators"]]}
        else:
            result = sc.score(facts, settings)
        here: list[Entry] = []
        registers: dict[str, Any] = {}  # projects No. 2-4's figures (and, with leads, more)
        if whole:
            # the cases of the subject's tree, in the order read (not a pass over every case
            # of the root's tree per subject: 5,000 subjects made that quadratic)
            here = [cases[i] for i in sorted(i for o in facts.tree for i in at.get(o.code, ()))]

            def evaluate(entries_: list[Entry], facts: sc.SubjectFacts = facts,
                         only: Any = None, kept: Any = None, apart: Any = ()) -> Any:
                return ev.evaluate(facts.subject, facts.subject_kind, facts.tree, year,
                                   ctx.today, entries_, settings, catalogue(), duties, only,
                                   kept, apart)

            def figures(facts: sc.SubjectFacts = facts, here: list[Entry] = here,
                        evaluate: Any = evaluate) -> dict[str, Any]:
                def behind(only: Any = None) -> Any:
                    return ev.behind(facts.subject, facts.subject_kind, facts.tree, year,
                                     ctx.today, here, settings, catalogue(), duties, only)

                if not leads or subtree:
                    out_ = {"indicators": _evaluated(alone, facts, here, evaluate)}
                    if leads:
                        out_["behind"] = behind()
                        out_["risks"] = _register_risks(facts, out_["behind"], settings,
                                                        ctx.registry.all(), evaluate, here)
                    return out_
                # one subject with its leads (a root's score page): each indicator's figure
                # and entries behind it kept for the same entries feeding it
                memo = _worth_memo(ctx, settings, facts)
                fed = _fed(here)
                found = _by_indicator(memo, "indicators", fed, lambda keys: _grouped(
                    evaluate(here, only=keys)))
                behind_ = {k: v for k, v in _by_indicator(memo, "behind", fed, behind).items()
                           if v is not None}
                return {"indicators": [i for key in found for i in found[key] or ()],
                        "behind": behind_,
                        "risks": _register_risks(facts, behind_, settings, ctx.registry.all(),
                                                 evaluate, here, memo)}

            registers = (_same_entries(ctx, settings, facts, here, figures) if leads
                         else figures())
            result = ev.whole(result, registers["indicators"])
        result["subject_name"] = org_name(org, ctx.language)
        result["depth"] = org.path.strip("/").count("/") - root_depth
        if leads:
            _leads(result, facts, registers.get("behind", {}), settings, ctx.registry.all(),
                   registers.get("risks"), analysed or None)
        if whole:  # the organisations its projects No. 2 and 4 take in (B-18), and those a
            # consolidated indicator's facts came from
            kinds = settings.consolidating_kinds
            result["taken_in"] = list(members(org.code, org.kind, facts.tree, kinds))
            taken = {code for i in result["indicators"]
                     for code, _ in (i.get("inputs") or {}).get("from") or ()}
            result["organisations"] = {code: name_of(code)
                                       for code in (*result["taken_in"], *sorted(taken))}
        yield result


_SUBJECT = object()  # `_alone_alike`'s stand-in for the subject's own code


def _alone_memo(read_only: bool, leads: bool) -> dict[tuple[Any, ...], Any] | None:
    """Where `_evaluated` keeps the evaluations shared by subjects alike (`_alone_alike`):
    the results read only, without leads (whose lists are added to each indicator)."""
    return {} if read_only and not leads else None


def _evaluated(alone: dict[tuple[Any, ...], Any] | None, facts: sc.SubjectFacts,
               here: list[Entry], evaluate: Callable[[list[Entry]], Any]) -> Any:
    """`evaluate(here)`: projects No. 2-4 of the subject; with `alone` (`_alone_memo`), the
    one evaluation of subjects alike (`_alone_alike`), its indicators (dicts) shared."""
    alike = _alone_alike(facts, here) if alone is not None else None
    if alone is None or alike is None:
        return evaluate(here)
    found = alone.get(alike)
    if found is None:
        found = alone[alike] = [dict(i.__dict__) for i in evaluate(here)]
    return found


def _alone_alike(facts: sc.SubjectFacts, entries: Sequence[Entry]) -> tuple[Any, ...] | None:
    """What projects No. 2-4's evaluation reads of a subject with nothing under it (a tree of
    one organisation: it takes in no other, supervises no entity, has no district) and of its
    entries, but for their cases: equal for two such subjects, their evaluations are equal
    (`ev.evaluate` reads an entry's register, counted status, dates, period, values and
    records' days and values, never its case; names the subject's code nowhere but in
    comparing a value with it: a value naming the subject stands in as such). None: not
    such a subject."""
    if len(facts.tree) != 1:
        return None
    subject = facts.subject
    org = facts.tree[0]

    def values(v: Mapping[str, str]) -> tuple[Any, ...]:
        return tuple((k, _SUBJECT if x == subject else x) for k, x in v.items())

    out: list[Any] = [facts.subject_kind, org.kind, org.headcount, org.parent is None]
    for e in entries:
        if e.org != subject:
            return None
        out.append((e.register, e.indicator, e.first_year, e.last_year, e.period, e.counted,
                    e.why, e.due, e.late, e.valid_from, e.valid_until, e.entered, e.dated,
                    values(e.values), tuple((r.day, values(r.values)) for r in e.records)))
    return tuple(out)


# -- what leads to the fix -----------------------------------------------------------------------

# the step of an analysis each indicator of project No. 1 counts (rules.score's roles, named
# once, in rules.STEP_ROLES: ordered, start and discussion announced, discussed, note signed,
# plan approved, published, positions approved)
_ORDERED, _START, _DISCUSSION, _DISCUSSED, _NOTE, _PLAN, _PUBLISHED, _POSITIONS = \
    sc.STEP_ROLES[:8]
ROLE_OF = {"1.1.2": _ORDERED, "1.1.3": _START, "1.2.1": _DISCUSSION, "1.2.2": _DISCUSSED,
           "1.2.3": _NOTE, "1.3.1": _PLAN, "1.3.2": _PUBLISHED, "1.3.3": _NOTE,
           "1.4.1": _POSITIONS}
# the indicators of project No. 1 scored over the subdivisions (the coverage page's rows)
OVER_SUBDIVISIONS = ("1.1.3", "1.2.1", "1.2.2", "1.3.2", "1.3.3")
DOCUMENTS = ("1.1.2", "1.2.3", "1.3.1")


def _status(step: sc.Step, today: date) -> tuple[str, date | None]:
    if step.done and not step.missing:  # an announcement lacking a channel's link is not
        return sc.DONE, None              # published (001:L55-59): missing
    if step.open and (step.due is None or step.due >= today):
        return sc.PENDING, step.due
    return sc.MISSING, None


def _gains(ind: dict[str, Any]) -> bool:
    """Whether what is still due may change the indicator: a deduction avoided, or an award
    not yet at its maximum."""
    if ind["kind"] == "info":
        return False
    if ind["kind"] == "penalty" or ind["maximum"] is None:
        return True
    return ind["points"] < ind["maximum"]


def _open(step: sc.Step) -> bool:
    """Whether a stage may still be recorded: open, whether due or overdue."""
    return step.open and not step.done


def _with_step(facts: sc.SubjectFacts, analysis: int, role: str, step: sc.Step
               ) -> sc.SubjectFacts:
    """The facts with one analysis's step replaced."""
    return replace(facts, analyses=tuple(
        replace(a, steps={**a.steps, role: step}) if a.id == analysis else a
        for a in facts.analyses))


def _points_by_key(indicators: Iterable[Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for i in indicators:
        kind, key, points = ((i["kind"], i["key"], i["points"]) if isinstance(i, dict)
                             else (i.kind, i.key, i.points))
        if kind in ("award", "penalty"):
            out[key] = points
    return out


def _difference(done: dict[str, float], missed: dict[str, float]) -> tuple[float, list[str]]:
    """The points one record is worth (the score with it done less the score without it) and
    the indicators it changes."""
    keys = [k for k in done if sc.r2(done[k] - missed.get(k, 0)) != 0]
    return sc.r2(sum(done.values()) - sum(missed.values())), keys


def _stage_worth(facts: sc.SubjectFacts, settings: sc.ScoreSettings, analysis: int,
                 role: str, step: sc.Step, base: sc.ScoreBase | None = None,
                 of: sc.AnalysisFacts | None = None) -> tuple[float, list[str]]:
    """What recording an analysis's open stage is worth: project No. 1 evaluated with the
    stage done and with it never done, the indicators that read the stage's role alone (the
    others are the same either way), from the units' values of `base` (`sc.ScoreBase` of the
    facts, worked out once for every stage) with the analysis's units valued anew; `of`: the
    analysis itself."""
    base = sc.ScoreBase(facts, settings) if base is None else base
    a = of if of is not None else next(x for x in facts.analyses if x.id == analysis)
    done = sc.score(facts, settings, {role}, base, replace(
        a, steps={**a.steps, role: sc.Step(done=True, due=step.due)}))["indicators"]
    missed = sc.score(facts, settings, {role}, base, replace(
        a, steps={**a.steps, role: sc.NO_STEP}))["indicators"]
    return _difference(_points_by_key(done), _points_by_key(missed))


def _fed(cases: Iterable[Entry]) -> dict[str, list[Entry]]:
    """The entries by the indicator each feeds, in the order read."""
    known = catalogue()
    out: dict[str, list[Entry]] = {}
    for e in cases:
        out.setdefault(known.feeds(e), []).append(e)
    return out


def _entry_worth(evaluate: Any, cases: list[Entry], case_id: int, late: bool,
                 fed: dict[str, list[Entry]] | None = None, mine: list[Entry] | None = None,
                 kept: dict[tuple[str, str], Any] | None = None) -> tuple[float, list[str]]:
    """What recording a register case's counted stage is worth: projects No. 2-4 evaluated
    with it counted and with it never done; the indicators its entries feed alone (an
    indicator reads only the entries that feed it: the others are the same either way), from
    the entries that feed them (a root's thousands of organisations, hundreds of entries;
    `fed`: the cases by indicator, `_fed(cases)`, and `mine`: the case's entries, worked out
    once; `kept`: each other organisation's part of a share, kept across the cases of the
    same `cases` by `ev.evaluate`)."""
    known = catalogue()
    if mine is None:
        mine = [e for e in cases if e.case is not None and e.case.id == case_id]
    only = {known.feeds(e) for e in mine}
    fed = _fed(cases) if fed is None else fed
    read = [e for key in only for e in fed.get(key, ())]
    done = [replace(e, counted=DONE, why=None, due=None, late=late)
            if e.case is not None and e.case.id == case_id else e for e in read]
    missed = [replace(e, counted=MISSING, why=WHY_NOT_DONE, due=None)
              if e.case is not None and e.case.id == case_id else e for e in read]
    if kept is None:
        return _difference(_points_by_key(evaluate(done, only=only)),
                           _points_by_key(evaluate(missed, only=only)))
    apart = {e.org for e in mine}  # the organisations whose entries differ from `cases`'
    return _difference(_points_by_key(evaluate(done, only=only, kept=kept, apart=apart)),
                       _points_by_key(evaluate(missed, only=only, kept=kept, apart=apart)))


def _unit_state(steps: list[sc.Step], today: date, year_end: date) -> tuple[Any, ...]:
    """What the score reads of a unit's other analyses for one step (their `steps`): its
    status, whether it was done only without a link, and whether only announcements lacking a
    channel did it."""
    done = [st for st in steps if st.done]
    return (sc.step_status(steps, today, year_end)[0] if steps else None,
            bool(done) and all(st.unlinked for st in done),
            bool(done) and all(st.missing for st in done))


# each unit's analyses' open stages with the unit's state for each (`_open_stages`), kept
# across requests for the same analyses' objects (a kept part's: a write in one district
# leaves the other units' as they were) and the same of them the subject's own
_OPEN_STAGES: TTLCache = TTLCache(50_000, 24 * 3600)
_OPEN_LOCK = threading.Lock()


def _open_stages(group: list[sc.AnalysisFacts], own: set[int] | frozenset[int],
                 roles: tuple[str, ...], today: date, year_end: date
                 ) -> dict[int, list[tuple[Any, ...]]]:
    """The open stages (due or overdue) of the analyses of one unit (`group`: all of the
    unit's), by analysis: each stage's role, step, whether it is overdue, and the unit's state
    for the step among its other analyses and among the subject's own others (`own`). Kept
    for the same analysis objects (kept parts are shared, never changed: the same objects are
    the same facts) and the same of them own."""
    key = (today, year_end, roles, *(id(b) for b in group), *(b.id in own for b in group))
    with _OPEN_LOCK:
        hit = _OPEN_STAGES.get(key)
    if hit is not None and len(hit[0]) == len(group) \
            and all(x is y for x, y in zip(hit[0], group, strict=True)):
        return hit[1]
    found: dict[int, list[tuple[Any, ...]]] = {}
    for a in group:
        others = [b for b in group if b.id != a.id]
        own_others = [b for b in others if b.id in own]
        for role in roles:
            step = a.step(role)
            if not _open(step):
                continue
            found.setdefault(a.id, []).append((
                role, step, step.due is not None and step.due < today,
                _unit_state([b.step(role) for b in others], today, year_end),
                _unit_state([b.step(role) for b in own_others], today, year_end)))
    with _OPEN_LOCK:  # the analyses held with it: their ids are not another's while kept
        _OPEN_STAGES[key] = (tuple(group), found)
    return found


def _analysis_risks(facts: sc.SubjectFacts, settings: sc.ScoreSettings, process: str,
                    stage_of: dict[str, str]) -> list[dict[str, Any]]:
    """Each open stage (due or overdue) of the year's analyses that an indicator counts, with
    the points recording it is worth. The score reads a step through the status of its
    analysis's object (among all the analyses, and among the subject's own) and the units the
    object is one of; stages alike in all of that are worth the same, evaluated once."""
    today, year_end = facts.today, date(facts.year, 12, 31)
    base = sc.ScoreBase(facts, settings)  # the units' values, once for every stage's worth
    own = base.own_ids
    units = set(base.units)
    bodies = set(base.over("bodies"))
    by_object = base.by("object")
    worth: dict[tuple[Any, ...], tuple[float, list[str]]] = {}
    roles = tuple(dict.fromkeys(ROLE_OF.values()))
    groups: dict[str, dict[int, list[tuple[Any, ...]]]] = {}  # by object, once a call
    out = []
    for a in facts.analyses:
        if a.object not in groups:
            groups[a.object] = _open_stages(by_object[a.object], own, roles, today, year_end)
        for role, step, overdue, of_all, of_own in groups[a.object].get(a.id, ()):
            alike = (role, overdue, a.id in own, a.object in units, a.object in bodies,
                     of_all, of_own)
            if alike not in worth:
                worth[alike] = _stage_worth(facts, settings, a.id, role, step, base, a)
            points, keys = worth[alike]
            if not keys:
                continue
            out.append({"key": keys[0], "keys": keys, "case": a.id, "process": process,
                        "org": a.subject,
                        "stage": stage_of.get(role), "points": points, "overdue": overdue,
                        "deadline": step.due or year_end})
    return out


# the kinds of rule that read an organisation taken in only through its entries, its kind and
# its headcount (the subject's own entries aside): any two of them of a kind and a headcount
# with entries alike are worth the same
_ORG_BLIND = ("by_category", "band", "facts", "ratio")
# the kinds of rule that never read whether an entry's counted stage is done (a month's
# records count, whatever the stage): recording the stage is worth nothing to them
_STATUS_BLIND = ("monthly",)
# the kinds of rule that read the counted stage of the subject's own entries alone (another's
# records, at most): another organisation's case is worth nothing recorded to them
_OWN_STATUS = ("report_penalty", "territories", "outreach")


def _plain(e: Entry, due: bool = False) -> str:
    """An entry as the score reads it, but for its case, its organisation and (unless `due`)
    its due date: what makes entries alike."""
    return repr(replace(e, case=None, org="", due=e.due if due else None,
                        records=tuple(replace(r, row=None) for r in e.records)))


class _Plains:
    """`_plain` of each entry once per object: those of the last call (`last`, by the entry's
    id and whether its due date is read) read again for the same objects; `now`: this call's."""

    def __init__(self, last: dict[tuple[int, bool], tuple[Entry, str]]):
        self.last = last
        self.now: dict[tuple[int, bool], tuple[Entry, str]] = {}

    def __call__(self, e: Entry, due: bool = False) -> str:
        at = (id(e), due)
        hit = self.now.get(at) or self.last.get(at)
        if hit is None or hit[0] is not e:
            hit = (e, _plain(e, due))
        self.now[at] = hit
        return hit[1]

    def of(self, e: Entry, case_id: int) -> tuple[bool, str]:
        """An entry of an organisation as `_plain` has it, marked when it is the case's own
        (its due date left out: the case is counted or missed)."""
        own = e.case is not None and e.case.id == case_id
        return own, self(e, due=not own)


def _entry_risks(entries: dict[str, list[tuple[Entry, str, date | None]]], evaluate: Any,
                 cases: list[Entry], counted: dict[str, str | None], today: date,
                 year_end: date, subject: str = "",
                 members: Mapping[str, tuple[Any, ...]] | None = None,
                 memo: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each register case whose counted stage is still open (due or overdue), once, with the
    points recording it is worth. Cases alike are evaluated once: alike but for their case
    and due date in one organisation, or, for the indicators that read each organisation
    taken in (`members`: its kind and headcount by its code; the subject aside) through its
    entries, kind and headcount alone, alike in two of them of a kind and a headcount whose
    entries of those indicators are alike in the same order (a root takes in thousands).
    `memo` (kept by the caller for one subject, tree, day and definitions): the entries by
    indicator and the cases' worth of the last call, each worth kept when the entries of
    every indicator it reads are the same objects (a register entry written in one
    organisation changes the indicators its entries feed alone)."""
    members = members or {}
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    of_case: dict[int, list[Entry]] = {}
    for e in cases:
        if e.case is not None:
            of_case.setdefault(e.case.id, []).append(e)
    known = catalogue()
    blind = {i.key for i in known.indicators if i.kind in _ORG_BLIND}
    no_worth = {i.key for i in known.indicators if i.kind in _STATUS_BLIND}
    own_only = {i.key for i in known.indicators if i.kind in _OWN_STATUS}
    fed = _fed(cases)
    of_org: dict[tuple[str, str], list[Entry]] = {}
    for key, listed_ in fed.items():
        for e in listed_:
            of_org.setdefault((key, e.org), []).append(e)
    last_fed, last_worth = (memo or {}).get("last", ({}, {}))
    plain = _Plains((memo or {}).get("plain", {}))

    same = {key for key, listed_ in fed.items() if len(last_fed.get(key, ())) == len(listed_)
            and all(x is y for x, y in zip(last_fed[key], listed_, strict=True))}
    # entries alike but for their case (and due date) are worth the same: evaluated once
    worth: dict[tuple[Any, ...], tuple[float, list[str]]] = {}
    kept: dict[tuple[str, str], Any] = {}  # each organisation's part of a share, once
    for listed in entries.values():
        for entry, status, due in listed:
            case = entry.case
            if case is None or case.id in seen or status == sc.DONE:
                continue
            overdue = status == MISSING and case.stage_status == OPEN
            if status != sc.PENDING and not overdue:
                continue
            seen.add(case.id)
            mine = of_case.get(case.id, [])
            only = {known.feeds(e) for e in mine}
            if only <= no_worth | (own_only if case.org != subject else set()):
                continue
            alike: tuple[Any, ...]
            if only <= blind and case.org != subject and case.org in members \
                    and all(e.org == case.org for e in mine):
                alike = ("taken in", members[case.org], status, overdue,
                         *((key, *(plain.of(e, case.id) for e in of_org.get((key, case.org), ())))
                           for key in sorted(only)))
            else:
                alike = (case.org, status, overdue, *(plain(e) for e in mine))
            if alike not in worth:
                worth[alike] = (last_worth[alike] if alike in last_worth and only <= same
                                else _entry_worth(evaluate, cases, case.id, overdue, fed,
                                                  mine, kept))
            points, keys = worth[alike]
            if keys:
                out.append({"key": keys[0], "keys": keys, "case": case.id,
                            "process": case.process, "org": case.org,
                            "stage": counted.get(case.process),
                            "points": points, "overdue": overdue,
                            "deadline": (case.stage_due if overdue else due) or year_end})
    if memo is not None:
        memo["last"] = (fed, worth)  # one assignment: another request reads both or neither
        memo["plain"] = plain.now
    return out


def _taken_in(facts: sc.SubjectFacts, settings: sc.ScoreSettings
              ) -> dict[str, tuple[Any, ...]]:
    """The organisations the subject's projects No. 2 and 4 take in, each with its kind and
    headcount."""
    taken = set(members(facts.subject, facts.subject_kind, facts.tree,
                        settings.consolidating_kinds))
    return {o.code: (o.kind, o.headcount) for o in facts.tree if o.code in taken}


def _register_risks(facts: sc.SubjectFacts,
                    entries: dict[str, list[tuple[Entry, str, date | None]]],
                    settings: sc.ScoreSettings, definitions: Iterable[Any], evaluate: Any,
                    cases: list[Entry], memo: dict[str, Any] | None = None
                    ) -> list[dict[str, Any]]:
    """The register cases still open with the points recording each is worth
    (`_entry_risks`), for the subject's facts and its entries (`evaluate`: projects No. 2-4
    evaluated from some of them; `memo`: `_worth_memo`'s)."""
    counted = {d.key: d.scorecard.counted for d in definitions if d.scorecard is not None}
    return _entry_risks(entries, evaluate, cases, counted, facts.today,
                        date(facts.year, 12, 31), facts.subject, _taken_in(facts, settings),
                        memo)


def _grouped(indicators: Iterable[Any]) -> dict[str, list[Any]]:
    """The indicators evaluated, by key, in their order."""
    out: dict[str, list[Any]] = {}
    for i in indicators:
        out.setdefault(i.key, []).append(i)
    return out


def _by_indicator(memo: dict[str, Any], name: str, fed: Mapping[str, list[Entry]],
                  compute: Callable[[set[str]], Mapping[str, Any]]) -> dict[str, Any]:
    """What `compute(keys)` gives for each indicator of the catalogue (by key, in its order:
    none when it gives nothing), kept in `memo` (`_worth_memo`'s) with the entries feeding
    it (`fed`): the indicators whose entries are the same objects as at the last call are
    read from it, the others computed together (an indicator reads the entries that feed it
    and no other, evaluation.evaluate)."""
    keys = [i.key for i in catalogue().indicators]
    last: dict[str, tuple[tuple[Entry, ...], Any]] = memo.get(name, {})
    out: dict[str, Any] = {}
    todo: set[str] = set()
    for key in keys:
        entries, hit = fed.get(key, ()), last.get(key)
        if hit is not None and len(hit[0]) == len(entries) \
                and all(x is y for x, y in zip(hit[0], entries, strict=True)):
            out[key] = hit[1]
        else:
            todo.add(key)
    fresh = compute(todo) if todo else {}
    for key in todo:
        out[key] = fresh.get(key)
    memo[name] = {key: (tuple(fed.get(key, ())), out[key]) for key in keys}
    return {key: out[key] for key in keys}


# the register cases' worth of a subject's last evaluation with its points still to win, by
# subject, tree, day and definitions (`_entry_risks`' memo): a few subjects, the last ones
_WORTHS: TTLCache = TTLCache(64, 24 * 3600)


def _worth_memo(ctx: Context, settings: sc.ScoreSettings, facts: sc.SubjectFacts
                ) -> dict[str, Any]:
    """The memo `_entry_risks` keeps the register cases' worth of the subject's last
    evaluation in, for the same subject, tree (each organisation's code, kind, parent and
    headcount), day, settings and definitions."""
    tree = tuple((o.code, o.kind, o.parent, o.headcount) for o in facts.tree)
    key = (facts.subject, facts.subject_kind, facts.year, facts.today, settings,
           ctx.registry.digest(), tree)
    with _OPEN_LOCK:
        memo = _WORTHS.get(key)
        if memo is None:
            memo = _WORTHS[key] = {}
    return memo


# projects No. 2-4's figures of a subject with the cases behind them and their points still
# to win, kept for the same entries (the kept parts' objects) and the same tree
_SAME: TTLCache = TTLCache(32, 24 * 3600)


def _same_entries(ctx: Context, settings: sc.ScoreSettings, facts: sc.SubjectFacts,
                  here: list[Entry], compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`compute()`, the subject's figures of projects No. 2-4 read from its entries `here`,
    kept for the same entry objects (a kept part's entries are shared and never changed: a
    part read again after a write keeps its entries' objects when they are equal,
    scorecard/kept.py) and the same subject, tree (each organisation's code, kind, parent
    and headcount), day and definitions: a write about an analysis alone reads none of it
    again. The entries are held with the figure, so their ids are no other's while kept."""
    tree = tuple((o.code, o.kind, o.parent, o.headcount) for o in facts.tree)
    # the entries by a digest of their ids (a root's 180,000: not kept in the key), checked
    # one by one on a hit
    key = (facts.subject, facts.subject_kind, facts.year, facts.today, ctx.language,
           settings, ctx.registry.digest(), tree, len(here),
           hash(tuple(map(id, here))))
    with _OPEN_LOCK:
        hit = _SAME.get(key)
    if hit is not None and all(x is y for x, y in zip(hit[0], here, strict=True)):
        return hit[1]
    found = compute()
    with _OPEN_LOCK:
        _SAME[key] = (tuple(here), found)
    return found


# project No. 1's figures of one subject with the analyses behind each indicator and their
# points still to win (`_analysed`), kept for the same analyses' objects (a kept part's: a part
# read again after a write keeps its analyses' objects when they are equal, scorecard/kept.py)
# and the same subject, tree, day and settings: a register entry written below a root reads
# none of it again. A few subjects (a root's score page and those it names), the last ones.
_SAME_ANALYSES: TTLCache = TTLCache(64, 24 * 3600)


def _same_analyses(ctx: Context, settings: sc.ScoreSettings, facts: sc.SubjectFacts,
                   compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`compute()`, the subject's project No. 1 figures read from `facts`, kept for the same
    analysis and risk objects and otherwise equal facts (its tree, schedule, external
    analysis, cartogram updates), the same day, settings and definitions. The facts are held
    with the figure, so their objects' ids are no other's while kept."""
    key = (facts.subject, facts.subject_kind, facts.year, facts.today, settings,
           ctx.registry.digest(), facts.schedule_approved, facts.external,
           facts.cartogram_recorded, facts.cartogram_parts, len(facts.analyses),
           hash(tuple(map(id, facts.analyses))), len(facts.risks),
           hash(tuple(map(id, facts.risks))))
    with _OPEN_LOCK:
        hit = _SAME_ANALYSES.get(key)
    if hit is not None and hit[0].tree == facts.tree \
            and hit[0].cartogram_updates == facts.cartogram_updates \
            and all(x is y for x, y in zip(hit[0].analyses, facts.analyses, strict=True)) \
            and all(x is y for x, y in zip(hit[0].risks, facts.risks, strict=True)):
        return hit[1]
    found = compute()
    with _OPEN_LOCK:
        _SAME_ANALYSES[key] = (facts, found)
    return found


def _analysed(facts: sc.SubjectFacts, settings: sc.ScoreSettings, definitions: Iterable[Any]
              ) -> dict[str, Any]:
    """What the subject's points still to win read of its analyses alone: the analyses behind
    each indicator of project No. 1 that counts a step (`cases`, by indicator, as `_leads`
    lists them) and the open stages with the points recording each is worth (`risks`,
    `_analysis_risks`)."""
    today = facts.today
    analysis = next((d for d in definitions if _table(d)[0]), None)
    stage_of = _table(analysis)[0] if analysis is not None else {}
    process = analysis.key if analysis else ""
    own = sc.subject_analyses(facts, settings)
    cases: dict[str, list[dict[str, Any]]] = {}
    for key, role in ROLE_OF.items():
        listed = cases[key] = []
        for a in own if key in DOCUMENTS else facts.analyses:
            status, due = _status(a.step(role), today)
            listed.append({"id": a.id, "process": process, "org": a.subject,
                           "stage": stage_of.get(role), "status": status, "due": due,
                           # the channels its announcement has no link on (1.1.3, 1.2.1)
                           **({"missing_channels": list(a.step(role).missing)}
                              if a.step(role).missing else {})})
    return {"cases": cases, "risks": _analysis_risks(facts, settings, process, stage_of)}


def _leads(result: dict[str, Any], facts: sc.SubjectFacts,
           entries: dict[str, list[tuple[Entry, str, date | None]]],
           settings: sc.ScoreSettings, definitions: Iterable[Any],
           register_risks: list[dict[str, Any]] | None = None,
           analysed: dict[str, Any] | None = None) -> None:
    """Each indicator's `cases` (the analyses or the register cases behind it: id, process,
    the case's organisation (`org`: whose officers open it), status, due date, the stage it
    counts; never a person) and `coverage` (scored over the subdivisions: the
    coverage page's rows lead to it), and the scorecard's `at_risk`: every stage still open
    that may win or lose points, overdue ones included, each with the points recording it is
    worth (`points`: the score with it done less the score without it, over every indicator
    it counts in), the subdivisions not yet analysed and an indicator pending with nothing
    recorded yet; ranked by points, then by deadline. `analysed`: `_analysed(facts, …)`
    (worked out here when not given): the lists are shared, never changed."""
    today, year_end = facts.today, date(facts.year, 12, 31)
    # the stage each case counts: project No. 1's by the indicator's step ([scorecard.stages]),
    # a register's its [scorecard] counted stage
    definitions = list(definitions)
    counted = {d.key: d.scorecard.counted for d in definitions if d.scorecard is not None}
    if analysed is None:
        analysed = _analysed(facts, settings, definitions)
    units = sc.subdivisions(facts.subject, facts.tree, settings)
    objects = {a.object for a in facts.analyses if not a.cancelled}
    # `_register_risks`: the register cases still open (a new list: the kept ones shared)
    risk = [*analysed["risks"], *(register_risks or [])]
    coverage: list[str] = []  # the indicators the subdivisions not yet analysed may raise
    for ind in result["indicators"]:
        key = ind["key"]
        listed: list[dict[str, Any]] = []
        if key in ROLE_OF:
            listed = analysed["cases"][key]
        elif key in entries:
            for entry, status, due in entries[key]:
                if entry.case is not None:
                    listed.append({"id": entry.case.id, "process": entry.case.process,
                                   "org": entry.case.org,
                                   "stage": counted.get(entry.case.process),
                                   "status": status, "due": due})
        ind["cases"] = listed if ind["kind"] != "info" else []
        ind["coverage"] = key in OVER_SUBDIVISIONS and ind["kind"] != "info"
        if not _gains(ind):
            continue
        if ind["coverage"]:
            coverage.append(key)
        elif ind.get("pending_until") and not any(key in r["keys"] for r in risk
                                                  if r["case"] is not None):
            # nothing recorded yet, or more may still be recorded beside what was counted
            risk.append({"key": key, "case": None, "points": None,
                         "recorded": bool(ind["cases"]), "deadline": ind["pending_until"]})
    missing = [u for u in units if u not in objects]
    if coverage and missing and today <= year_end:  # one line for the indicators it touches
        risk.append({"key": coverage[0], "keys": coverage, "case": None, "points": None,
                     "units": len(missing), "deadline": year_end})
    result["at_risk"] = sorted(risk, key=lambda r: (
        r["points"] is None, -(r["points"] or 0), r["deadline"], r["key"], r["case"] or 0))
    result["at_risk_points"] = sc.r2(sum(r["points"] or 0 for r in risk))


# -- the registers of projects No. 2-4 --------------------------------------------------------------


def register_entries(s: Session, ctx: Context, orgs: list[Organisation], year: int
                     ) -> list[Entry]:
    """Every entry of a register of the organisations `orgs` that counts in `year` (read by
    the registers' read side, workflow/registers/: the year by each register's rule, B-17)."""
    return read_entries(s, ctx.registry.all(), {o.id: o.code for o in orgs if o.id is not None},
                        year)
