"""A programme (a subject's year of analyses, with its own stage: the schedule's approval) as
the pages, the API and the features read it. The planning feature writes programmes
(`workflow/planning/service.py`); these reads are the engine's, so that the programme page
kit (`web/kit/programme.py`) and the features that add to it read them without it."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from workflow.core.definition import Definition
from workflow.core.errors import NotFound
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.storage.models import Case, Organisation, Programme, Stage
from workflow.storage.queries import in_subtree, live_case


def programmes_under(s: Session, org: Organisation, year: int | None = None
                     ) -> list[tuple[Programme, Organisation, int]]:
    """The programmes of an organisation's subtree (newest year first) with their case counts."""
    query = (select(Programme, Organisation)
             .join(Organisation, col(Organisation.id) == Programme.subject_id)
             .where(in_subtree(Organisation.path, org)))
    if year:
        query = query.where(Programme.year == year)
    out = []
    for prog, subject in s.exec(query.order_by(col(Programme.year).desc(), col(Organisation.path))):
        n = s.exec(select(func.count(col(Case.id))).where(Case.programme_id == prog.id)).one()
        out.append((prog, subject, n))
    return out


def programme_cases(s: Session, prog: Programme) -> list[Case]:
    """A programme's analyses, by start."""
    return list(s.exec(select(Case).where(Case.programme_id == prog.id,
                                          live_case())  #
                       .order_by(col(Case.case_date), col(Case.id))))


def programme_stage(s: Session, ctx: Context | None, prog: Programme) -> Stage | None:
    """The programme's own stage (the schedule's approval): a stage of the programme, not of a
    case (`ctx` is not needed; kept for the callers)."""
    return s.exec(select(Stage).where(Stage.programme_id == prog.id,
                                      col(Stage.case_id).is_(None))
                  .order_by(col(Stage.id))).first()


def programme_definition(s: Session, ctx: Context, prog: Programme) -> Definition:
    """The definition a programme plans: the one whose programme stages hold the programme's
    own stage (the schedule's), else the definition of its first analysis (read from the data,
    not from which process is the analysis)."""
    keys = set(s.exec(select(Stage.key).where(Stage.programme_id == prog.id,
                                              col(Stage.case_id).is_(None))))
    for definition in ctx.registry.all():
        if keys & set(definition.programme_stages):
            return definition
    first = s.exec(select(Case.process).where(Case.programme_id == prog.id)
                   .order_by(col(Case.id)).limit(1)).first()
    return ctx.registry.get(first) if first else ctx.registry.all()[0]


def programme_of(s: Session, subject_code: str, year: int) -> tuple[Programme, Organisation]:
    """The subject's programme of the year, or a refusal naming what is missing."""
    subject = get_org(s, subject_code)
    prog = s.exec(select(Programme).where(Programme.subject_id == subject.id,
                                          Programme.year == year)).first()
    if prog is None:
        raise NotFound(f"{subject_code} has no programme for {year}",
                       key="notfound.programme_year", subject=subject_code, year=year)
    return prog, subject
