"""What is still missing in a register of a person's documents: the open stages of a process's
cases in an organisation's subtree, each with its case's person, due by the end of a year (the
enterprise policy's yearly list of employees who have not yet signed the consent or the
confirmation form, 003:L263-272, L347-348; `merzim case missing`). Read for the operator's
command line, which sees every person; the stages and the process are the definition's, named
by the caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from workflow.core.errors import RuleViolation
from workflow.services.cases import due_basis
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import org_name
from workflow.storage.models import OPEN, Case, Organisation, Stage
from workflow.storage.queries import in_subtree, live_case


@dataclass(frozen=True)
class Missing:
    """One open stage of a case about a person."""

    case: int
    subject: str
    subject_name: str
    person: str | None
    position: str | None
    stage: str
    stage_name: str
    due: date | None
    due_basis: str


def missing(s: Session, ctx: Context, process: str, org_code: str, year: int,
            stage: str | None = None) -> list[Missing]:
    """The open stages of `process` (of one `stage` key when given) in the subtree of
    `org_code`, due by 31 December of `year` (or with no due date), of cases neither withdrawn
    nor closed; by person, then stage."""
    defn = ctx.registry.get(process)  # an unknown process is refused, not an empty list
    if stage is not None and defn.stage_spec(stage) is None:
        raise RuleViolation(f"no stage {stage!r}", key="rule.unknown_stage", stage=stage,
                            known=", ".join(defn.stages))
    scope = get_org(s, org_code)
    query = (select(Stage, Case, Organisation)
             .join(Case, col(Case.id) == Stage.case_id)
             .join(Organisation, col(Organisation.id) == Case.subject_id)
             .where(Case.process == process, Stage.status == OPEN,
                    live_case(), in_subtree(Stage.subject_path, scope),
                    col(Stage.due_date).is_(None) | (col(Stage.due_date) <= date(year, 12, 31))))
    if stage is not None:
        query = query.where(Stage.key == stage)
    out = []
    for st, case, org in s.exec(query):
        out.append(Missing(case.id or 0, org.code, org_name(org, ctx.language),
                           case.person_name, case.person_position, st.key,
                           defn.stage_name(st.key, ctx.language),
                           st.due_date, due_basis(ctx, process, st.key, case.period,
                                                  st.due_date)))
    return sorted(out, key=lambda m: ((m.person or "").casefold(), m.case, m.stage))
