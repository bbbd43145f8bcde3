"""Lists across cases, read in SQL: overdue and due stages of an organisation's subtree (paged,
counted), every open deadline (for calendar feeds), with the process as a filter; one
person's own work (the stages of the cases she answers for) and its overdue count."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from workflow.core.errors import UsageError
from workflow.services.cases import working_days_left
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import local_name
from workflow.storage.models import (
    DONE_LATE,
    DONE_ON_TIME,
    OPEN,
    Case,
    Organisation,
    Stage,
    User,
)
from workflow.storage.queries import in_subtree


def _process(ctx: Context, process: str | None) -> list:
    if not process:
        return []
    ctx.registry.get(process)  # an unknown process is refused, not an empty list
    return [Case.process == process]


def _stage_query(s: Session, org_code: str | None, conditions: list, only_path: str | None,
                 columns: tuple, statuses: tuple[str, ...] = (OPEN,)) -> Any:
    """SELECT `columns` of the stages (open unless `statuses` says otherwise) matching
    `conditions` in the subtree of `org_code` (or of exactly the organisation at `only_path`:
    an officer's view)."""
    query = select(*columns).where(Stage.status.in_(statuses) if len(statuses) > 1
                                   else Stage.status == statuses[0], *conditions)
    if org_code:
        query = query.where(in_subtree(Stage.subject_path, get_org(s, org_code)))
    if only_path is not None:
        query = query.where(Stage.subject_path == only_path)
    return query


def _count_rows(s: Session, org_code: str | None, conditions: list,
                only_path: str | None = None) -> int:
    query = (_stage_query(s, org_code, conditions, only_path, (func.count(Stage.id),))
             .join(Case, Stage.case_id == Case.id))
    return s.exec(query).one()


def _stage_rows(s: Session, ctx: Context, org_code: str | None, *conditions,
                only_path: str | None = None, limit: int | None = None,
                offset: int = 0, statuses: tuple[str, ...] = (OPEN,)) -> list[dict]:
    """Stages (open unless `statuses` says otherwise) matching `conditions` in the subtree,
    one SELECT with the subject, the object and the responsible officer joined in SQL and only
    the columns shown, in the order organisation path, due date, analysis, stage (a total
    order, so that pages taken with `limit`/`offset` neither repeat nor skip rows)."""
    subject, obj = aliased(Organisation), aliased(Organisation)
    query = (_stage_query(s, org_code, list(conditions), only_path, (
                Stage.id, Stage.key, Stage.due_date, Stage.projected, subject.code,
                subject.name, subject.name_kk, subject.name_ru, subject.path, Case.id,
                Case.case_date, Case.process, obj.code, User.login, User.full_name,
                Stage.status, Stage.done_on), statuses)
             .join(Case, Stage.case_id == Case.id)
             .join(subject, subject.id == Stage.subject_id)
             .outerjoin(obj, obj.id == Case.object_id)
             .outerjoin(User, User.id == Case.responsible_id))
    query = query.order_by(Stage.subject_path, Stage.due_date, Case.id, Stage.id)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    names: dict[str, str] = {}
    rows = []
    for (stage_id, key, due, projected, code, name, name_kk, name_ru, path,
         analysis_id, case_date, process, object_code, login, full_name, status,
         done_on) in s.exec(query):
        if (process, key) not in names:
            defn = ctx.registry.loaded.get(process)
            names[(process, key)] = (defn.definition.stage_name(key, ctx.language) if defn
                                     else key)
        rows.append({
            "stage_id": stage_id,
            "organisation": code,
            "organisation_name": local_name(name, name_kk, name_ru, ctx.language),
            "subject_path": path,
            "year": case_date.year,
            "analysis": analysis_id,
            "case": analysis_id,
            "process": process,
            "object": object_code,
            "stage": key,
            "stage_name": names[(process, key)],
            "due": due,
            "projected": projected,
            "working_days_left": working_days_left(ctx.calendar, due, ctx.today),
            "responsible": login,
            "responsible_name": full_name,
        })
        if statuses != (OPEN,):  # (the open lists' rows, and the API's, stay as they were)
            rows[-1] |= {"status": status, "done_on": done_on}
    return rows


def _overdue_conditions(ctx: Context, stage: str | None, year: int | None,
                        process: str | None = None) -> list | None:
    """The WHERE of an overdue list; None when no row can match (a year no date has)."""
    conditions: list = [Stage.due_date < ctx.today, *_process(ctx, process)]
    if year is not None and not 1 <= year <= 9999:
        return None
    if stage:
        conditions.append(Stage.key == stage)
    if year:
        conditions += [Case.case_date >= date(year, 1, 1),
                       Case.case_date <= date(year, 12, 31)]
    return conditions


def overdue(s: Session, ctx: Context, org_code: str | None = None, stage: str | None = None,
            year: int | None = None, only_path: str | None = None, limit: int | None = None,
            offset: int = 0, process: str | None = None) -> list[dict[str, Any]]:
    """Open stages past their due date in the organisation's subtree, by organisation
    (optionally of one stage key, of analyses planned to start in one year; one page)."""
    conditions = _overdue_conditions(ctx, stage, year, process)
    if conditions is None:
        return []
    rows = _stage_rows(s, ctx, org_code, *conditions, only_path=only_path, limit=limit,
                       offset=offset)
    for row in rows:
        row["working_days_overdue"] = -row.pop("working_days_left")
    return rows


def count_overdue(s: Session, ctx: Context, org_code: str | None = None,
                  stage: str | None = None, year: int | None = None,
                  only_path: str | None = None, process: str | None = None) -> int:
    conditions = _overdue_conditions(ctx, stage, year, process)
    return 0 if conditions is None else _count_rows(s, org_code, conditions, only_path)


def _due_conditions(ctx: Context, within: int, process: str | None = None) -> list:
    if within < 0:
        raise UsageError("--within must be 0 or more", key="error.bad_within")
    horizon = ctx.calendar.add_working_days(ctx.today, within)
    return [Stage.due_date >= ctx.today, Stage.due_date <= horizon, *_process(ctx, process)]


def due_within(s: Session, ctx: Context, org_code: str | None = None, within: int = 5,
               only_path: str | None = None, limit: int | None = None,
               offset: int = 0, process: str | None = None) -> list[dict[str, Any]]:
    """Open stages due from today up to `within` working days ahead."""
    return _stage_rows(s, ctx, org_code, *_due_conditions(ctx, within, process),
                       only_path=only_path,
                       limit=limit, offset=offset)


def count_due(s: Session, ctx: Context, org_code: str | None = None, within: int = 5,
              only_path: str | None = None, process: str | None = None) -> int:
    return _count_rows(s, org_code, _due_conditions(ctx, within, process), only_path)


def due_on(s: Session, ctx: Context, org_code: str | None, day: date,
           only_path: str | None = None) -> list[dict[str, Any]]:
    """The open stages due on one day in the subtree (the overview calendar's day)."""
    return _stage_rows(s, ctx, org_code, Stage.due_date == day, only_path=only_path)


def count_stages(s: Session) -> int:
    return s.exec(select(func.count()).select_from(Stage)).one()


def open_stages(s: Session, ctx: Context, org_code: str | None = None) -> list[dict[str, Any]]:
    """Every open stage with a due date in the subtree (for calendar feeds)."""
    return _stage_rows(s, ctx, org_code, Stage.due_date.is_not(None))


# -- one person's own work -------------------------------------------------------------------


def _answered_by(user_id: int, unassigned_of: int | None) -> Any:
    """The cases a person answers for: those she is responsible for, and (`unassigned_of`: an
    officer's organisation) the cases of her organisation nobody is responsible for."""
    mine = Case.responsible_id == user_id
    if unassigned_of is not None:
        mine = mine | (Case.responsible_id.is_(None) & (Case.subject_id == unassigned_of))
    return mine


def my_work(s: Session, ctx: Context, user_id: int, unassigned_of: int | None = None,
            within: int = 10, done_days: int = 30) -> dict[str, list[dict[str, Any]]]:
    """The stages of the cases a person answers for, across every process: overdue (most
    overdue first), due within `within` working days (soonest first) and done in the last
    `done_days` days (latest first)."""
    mine = _answered_by(user_id, unassigned_of)
    overdue_rows = _stage_rows(s, ctx, None, *_overdue_conditions(ctx, None, None), mine)
    for row in overdue_rows:
        row["working_days_overdue"] = -row.pop("working_days_left")
    due_rows = _stage_rows(s, ctx, None, *_due_conditions(ctx, within), mine)
    done_rows = _stage_rows(s, ctx, None, Stage.done_on >= ctx.today - timedelta(days=done_days),
                            Stage.done_on <= ctx.today, mine,
                            statuses=(DONE_ON_TIME, DONE_LATE))
    overdue_rows.sort(key=lambda r: (r["due"], r["case"], r["stage_id"]))
    due_rows.sort(key=lambda r: (r["due"], r["case"], r["stage_id"]))
    done_rows.sort(key=lambda r: (r["done_on"], r["case"], r["stage_id"]), reverse=True)
    return {"overdue": overdue_rows, "due": due_rows, "done": done_rows}


def count_my_overdue(s: Session, ctx: Context, user_id: int, unassigned_of: int | None = None,
                     org_code: str | None = None, only_path: str | None = None) -> int:
    """How many stages of the cases a person answers for are overdue, in the subtree of
    `org_code` (or exactly the organisation at `only_path`): one COUNT."""
    return _count_rows(s, org_code, [*_overdue_conditions(ctx, None, None),
                                     _answered_by(user_id, unassigned_of)], only_path)
