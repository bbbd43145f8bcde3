"""What the bulk paths share (the schedule import of the planning feature, the obligations'
sync, the registers' import): a row's refusal naming it, a new case's first plan, ids taken
before the inserts and the inserts themselves (a few statements whatever the number of rows).
The planning of analyses in bulk is the planning feature's (`workflow/planning/bulk.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import Any

from workflow.core.deadlines import Facts, Planner, StagePlan
from workflow.core.definition import Definition
from workflow.core.errors import MerzimError, UsageError
from workflow.core.machine import derive_state
from workflow.services.cases import closed_status
from workflow.services.context import Context
from workflow.storage.bulkinsert import insert_rows, new_ids  # noqa: F401 - the bulk paths' ids
from workflow.storage.models import OPEN, Case, Stage

CHUNK = 500  # values per IN (...) list of a lookup query


class RowRefused(MerzimError):
    """A row of an import refused: "Row N: <why>"; nothing is stored. Its exit code is the
    refusal's (2 usage, 3 rules, 4 not found)."""

    def __init__(self, row: int, error: Exception):
        detail = (error.message or error.key) if isinstance(error, MerzimError) else str(error)
        super().__init__(f"row {row}: {detail}", key="error.row", row=row, detail=detail)
        self.row, self.error = row, error
        self.exit_code = (error.exit_code if isinstance(error, MerzimError)
                          else UsageError.exit_code)  # a date outside the calendar's years

    def render(self, translate) -> str:
        error = self.error
        detail = error.render(translate) if isinstance(error, MerzimError) else str(error)
        return MerzimError(key="error.row", row=self.row, detail=detail).render(translate)


def chunks(values: Iterable, size: int = CHUNK) -> Iterator[list]:
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


def first_plan(ctx: Context, defn: Definition, facts: Facts
               ) -> tuple[dict[str, StagePlan], str]:
    """A new case's stages and state, as `cases.sync` plans them when `open_case` opens it
    (nothing recorded yet): the same planner, state machine and closing rule. Pure: the bulk
    paths share it between cases with the same named dates."""
    planner = Planner(defn, ctx.calendar, facts)
    stages = planner.stages()
    state = derive_state(defn, facts.records, planner.dates(), ctx.today)
    closing = closed_status(defn, facts.records, state)
    if closing is not None:
        stages = {k: (StagePlan(sp.key, sp.due, sp.projected, closing, sp.done_on)
                      if sp.status == OPEN else sp) for k, sp in stages.items()}
    return stages, state


CASE_COLUMNS = ("id", "process", "process_version", "programme_id", "subject_id", "object_id",
                "person_name", "person_position", "fields", "dates", "period", "case_date",
                "state", "responsible_id", "override_reason", "cancel_reason", "created_at",
                "typed_on", "fact_key", "fact_source")
STAGE_COLUMNS = ("case_id", "programme_id", "key", "subject_id", "subject_path", "due_date",
                 "projected", "status", "done_on", "evidence")


def stage_tuples(case_id: int, subject, plans: Iterable[StagePlan]) -> list[tuple]:
    """The stage rows of a new case (in `STAGE_COLUMNS` order) from its planned stages: no
    evidence yet (JSON null, as the ORM stores None)."""
    return [(case_id, None, sp.key, subject.id, subject.path, sp.due, sp.projected, sp.status,
             sp.done_on, None) for sp in plans]


def write_cases(conn, cases: Iterable[dict[str, Any]], stages: list[tuple]) -> None:
    """Insert new case rows (dicts of `case_row`'s columns and their id, taken by `new_ids`)
    and stage rows (tuples in `STAGE_COLUMNS` order): a few statements whatever their
    number. `cases` may be a generator that fills `stages` as it goes (the cases are all
    inserted before the stages)."""
    insert_rows(conn, Case.__table__, CASE_COLUMNS, map(itemgetter(*CASE_COLUMNS), cases))
    insert_rows(conn, Stage.__table__, STAGE_COLUMNS, stages)


