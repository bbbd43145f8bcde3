"""Lists across cases, read in SQL: overdue and due stages of an organisation's subtree (paged,
counted), every open deadline (for calendar feeds), with the process as a filter; one
person's own work (the stages of the cases she answers for) and its overdue count."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import String, func, literal_column
from sqlalchemy.orm import aliased
from sqlalchemy.sql import visitors
from sqlmodel import Session, col, select

from workflow.core.errors import UsageError
from workflow.kept import counts as kept
from workflow.kept import figures, versions
from workflow.kept.reading import scoped_versions as scoped_versions
from workflow.kept.reading import versions_read
from workflow.services import joining
from workflow.services.cases import due_basis, working_days_left
from workflow.services.context import Context
from workflow.services.lookup import org_path
from workflow.services.organisations import local_name
from workflow.services.views import DoneRow, MyWork, OverdueRow, StageRow
from workflow.services.visibility import mine_condition, only_condition
from workflow.storage import audit
from workflow.storage.models import (
    DONE_LATE,
    DONE_ON_TIME,
    OPEN,
    Case,
    OpenStageCount,
    Organisation,
    Stage,
    User,
    table_of,
)
from workflow.storage.queries import built, in_subtree_at, live_case, standing


def list_versions(s: Session, path: str, user: int | None = None) -> tuple[int, ...] | None:
    """What changes whenever a list of the subtree at `path` (and, with `user`, of that
    person's own) may change, for caches of lists kept across requests (web/kit/views.py): the
    versions of the subtree's root path, of the person and of every list (kept/figures.py
    `lists`), each moved by a write that may change what it holds, in the write's own
    transaction (`scoped_versions`)."""
    return figures.versions_of(s, "lists", path=path, user=user)


def _list_scopes(path: str) -> tuple[str, ...]:
    """The scopes of the `lists` figure of the subtree at `path`, or of the `own_rows` of
    an organisation (`path` its `own_scope`), worked out once per declaration and path
    (`figures.path_scopes`)."""
    if path.startswith(versions.OWN):
        return figures.path_scopes("own_rows", path[len(versions.OWN):])
    return figures.path_scopes("lists", path)


@lru_cache(maxsize=256)
def _paths_scopes(lists: figures.Figure, own: figures.Figure, paths: tuple[str, ...]
                  ) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """Every scope `_list_scopes` gives for `paths`, in their order, and where each path's
    lie among them: worked out once per declarations and paths (a region's page asks for its
    hundred parts' after every write in it). The declarations are part of the key: one
    replaced is asked afresh."""
    flat: list[str] = []
    cuts = []
    for p in paths:
        each = _list_scopes(p)
        cuts.append((len(flat), len(flat) + len(each)))
        flat += each
    return tuple(flat), tuple(cuts)


def _scopes_of(paths: Sequence[str]) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """`_paths_scopes` of `paths` by today's declarations."""
    return _paths_scopes(figures.FIGURES["lists"], figures.FIGURES["own_rows"], tuple(paths))


def lists_versions(s: Session, paths: Sequence[str]) -> list[tuple[int, ...] | None]:
    """`list_versions` of each subtree at `paths` (no person's), the same tuples, their
    scopes read at once (a page composed of parts keyed by each: one memo look-up, not one a
    part)."""
    if audit.wrote(s):
        return [None] * len(paths)
    flat, cuts = _scopes_of(paths)
    known = versions_read(s, flat)
    read = tuple(map(known.__getitem__, flat))
    return [read[start:end] for start, end in cuts]


def own_scope(path: str) -> str:
    """What `list_versions` is asked for the lists of the organisation at `path` alone (its
    own rows, not its subtree's): moved by every write about it, not by its subordinates'."""
    return versions.own_scope(path)


def read_list_versions(s: Session, paths: Sequence[str], user: int | None = None) -> None:
    """Read at once the versions `list_versions` will be asked for the subtrees at `paths`
    (scopes such as `versions.own_scope(path)` too) and, with `user`, that person's: one
    statement on the primary key for a page that keeps its parts by several subtrees (kept
    for the transaction, as `list_versions` keeps them). Nothing in a transaction that has
    written and not committed."""
    if audit.wrote(s):
        return
    versions_read(s, [*_scopes_of(paths)[0],
                      *(() if user is None else figures.scopes("lists", path=paths[0], user=user)
                        if paths else ())])


def figure_versions(s: Session, name: str, **reader: Any) -> tuple[int, ...] | None:
    """The versions the kept figure `name` of `reader` is kept by (kept/figures.py; None in a
    transaction that has written: it reads for itself)."""
    return figures.versions_of(s, name, **reader)


def mine_scopes(user_id: int, unassigned: int | None) -> tuple[str, ...]:
    """What the menu's "mine" reads (kept/figures.py `mine`)."""
    return figures.scopes("mine", user=user_id, unassigned=unassigned)


def bell_scopes(user_id: int, role: str, unassigned: int | None, org_path: str,
                levels: int = versions.NEAR) -> tuple[str, ...]:
    """What a person's bell reads (kept/figures.py `bell`)."""
    return figures.scopes("bell", user=user_id, role=role, unassigned=unassigned,
                          path=org_path, levels=levels)


def views_scopes(user_id: int) -> tuple[str, ...]:
    """What the menu's list of a person's saved views reads (kept/figures.py `views`)."""
    return figures.scopes("views", user=user_id)


def _process(ctx: Context, process: str | None) -> list:
    if not process:
        return []
    ctx.registry.get(process)  # an unknown process is refused, not an empty list
    return [Case.process == process]


def _path(s: Session, by_due: bool) -> Any:
    """The stage's organisation path for a subtree condition. `by_due`: the list bounds the
    due dates (overdue, due soon), so few open stages match nationwide and the (status, due
    date, path, case) index finds them and their paths without reading the table; SQLite's
    planner, which has no histograms, would walk the path index over a whole national
    subtree instead (a million entries at the root), so there the path is written `+path`,
    SQLite's documented way to keep a term off an index. PostgreSQL plans from its
    statistics and gets the column."""
    if by_due and s.get_bind().dialect.name == "sqlite":
        return literal_column(f"+{Stage.__tablename__}.subject_path", String)
    return Stage.subject_path


def _stage_query(s: Session, org_code: str | None, conditions: list, only_path: str | None,
                 columns: tuple, statuses: tuple[str, ...] = (OPEN,), by_due: bool = False) -> Any:
    """SELECT `columns` of the stages (open unless `statuses` says otherwise) matching
    `conditions` in the subtree of `org_code` (or of exactly the organisation at `only_path`:
    an officer's view); `by_due`: see `_path`."""
    status = (col(Stage.status).in_(statuses) if len(statuses) > 1
              else Stage.status == statuses[0])
    # FROM stage named: a COUNT(*) names no column (counting rows, not ids, lets PostgreSQL
    # answer from the (status, due date, path, case) index alone, as SQLite does)
    query = select(*columns).select_from(Stage).where(status, standing(Stage.case_id),
                                                      *conditions)
    if org_code:
        query = query.where(in_subtree_at(_path(s, by_due), org_path(s, org_code)))
    if only_path is not None:  # an officer's (services/visibility.py, the one rule)
        query = query.where(only_condition(Stage.subject_path, only_path))
    return query


def _on_cases(query: Any, conditions: list) -> Any:
    """The stages of cases only (not of programmes): joined with the case table when a
    condition reads it (process, year, who answers), else its key alone (no join: a count or
    a summary reads the stage table's index only)."""
    if any(getattr(e, "table", None) is table_of(Case)
           for c in conditions for e in visitors.iterate(c)):
        return query.join(Case, Stage.case_id == Case.id)
    return query.where(col(Stage.case_id).is_not(None))


def _count_rows(s: Session, org_code: str | None, conditions: list,
                only_path: str | None = None) -> int:
    """COUNT of the stages of a list whose due dates are bounded (overdue, due soon)."""
    query = _on_cases(_stage_query(s, org_code, conditions, only_path, (func.count(),),
                                   by_due=True), conditions)
    return s.exec(query).one()


def _count_by_path(s: Session, org_code: str | None, conditions: list,
                   only_path: str | None = None) -> dict[str, int]:
    """How many stages match, by organisation path: one SELECT … GROUP BY (a few thousand
    rows at most, one per organisation, whatever the number of stages)."""
    path = _path(s, by_due=True)  # (grouped by `+path` too: sorted after the index scan)
    query = _on_cases(_stage_query(s, org_code, conditions, only_path,
                                   (path, func.count()), by_due=True), conditions)
    return dict(s.exec(query.group_by(path)).all())


SORTS = ("due", "days", "organisation", "stage")


def _order_by(s: Session, ctx: Context, subject: Any, sort: str | None, desc: bool) -> list:
    """ORDER BY of a list: the tree's order (organisation path, due date, case, stage: a total
    order, so that pages neither repeat nor skip rows), after the keys of `sort` when one is
    given, in their direction (`desc`) -- as a stable sort by those keys of the list in the
    tree's order would put them:
    * due: the due date, then the organisation's code;
    * days: the working days overdue (or left), which the due date orders alone (a later due
      date is never more working days overdue), most overdue (least left) first;
    * organisation: the organisation's name in the reader's language, then the due date;
    * stage: the stage key, then the due date.
    Texts compare by code point (as Python does): COLLATE "C" on PostgreSQL for names and
    codes; paths are compared as the database does (in_subtree relies on a byte order)."""
    base = [Stage.subject_path, Stage.due_date, Stage.case_id, Stage.id]  # (case_id: Case.id)
    if sort is None:
        return base
    if sort not in SORTS:
        raise ValueError(f"unknown order {sort!r}")  # the pages and the API offer SORTS only

    def text_key(column: Any) -> Any:
        return column.collate("C") if s.get_bind().dialect.name == "postgresql" else column

    name = subject.name
    localised = {"kk": subject.name_kk, "ru": subject.name_ru}.get(ctx.language)
    if localised is not None:  # local_name: the reader's language when stored, else the name
        name = func.coalesce(func.nullif(localised, ""), subject.name)
    keys = {"due": [Stage.due_date, text_key(subject.code)],
            "days": [Stage.due_date],
            "organisation": [text_key(name), Stage.due_date],
            "stage": [text_key(Stage.key), Stage.due_date]}[sort]
    return [k.desc() if desc else k.asc() for k in keys] + base


# the subject's and the object's organisation in a list's SELECT (made once: an alias's
# columns are worked out on first use)
_SUBJECT, _OBJECT = aliased(Organisation, name="subject"), aliased(Organisation, name="object")


def _stage_statement(s: Session, ctx: Context, org_code: str | None, where: list,
                     only_path: str | None, limit: int | None, offset: int,
                     statuses: tuple[str, ...], sort: str | None, desc: bool,
                     by_due: bool) -> Any:
    """The SELECT of `_stage_rows`."""
    subject, obj = _SUBJECT, _OBJECT
    order = _order_by(s, ctx, subject, sort, desc)
    query = (_stage_query(s, org_code, where, only_path, (
                Stage.id, Stage.key, Stage.due_date, Stage.projected, subject.code,
                subject.name, subject.name_kk, subject.name_ru, subject.path, Case.id,
                Case.case_date, Case.process, obj.code, User.login, User.full_name,
                Stage.status, Stage.done_on, Case.period), statuses, by_due)
             .join(Case, Stage.case_id == Case.id)
             .join(subject, subject.id == Stage.subject_id)
             .outerjoin(obj, obj.id == Case.object_id)
             .outerjoin(User, User.id == Case.responsible_id))
    query = query.order_by(*order)
    if limit is not None and sort in (None, "days", "stage"):
        ids = _on_cases(_stage_query(s, org_code, where, only_path, (Stage.id,), statuses,
                                     by_due), where).order_by(*order)
        return query.where(col(Stage.id).in_(ids.offset(offset or None).limit(limit)))
    return query.offset(offset or None).limit(limit)


def _stage_rows(s: Session, ctx: Context, org_code: str | None, *conditions,
                only_path: str | None = None, limit: int | None = None,
                offset: int = 0, statuses: tuple[str, ...] = (OPEN,),
                sort: str | None = None, desc: bool = False, by_due: bool = False,
                row_type: type[StageRow] = StageRow, made_of: Hashable = None) -> list[Any]:
    """Stages (open unless `statuses` says otherwise) matching `conditions` in the subtree,
    one SELECT with the subject, the object and the responsible officer joined in SQL and only
    the columns shown, in the order organisation path, due date, analysis, stage (a total
    order, so that pages taken with `limit`/`offset` neither repeat nor skip rows), or by
    `sort` first (`_order_by`). One page (`limit`) in an order of the stage's own columns
    (the tree's, days, stage): the page's stage ids are chosen first, from the stage table's
    index alone, and only those rows are joined. `by_due`: see `_path`. The rows are
    `row_type`s (`OverdueRow`: an overdue list's), `DoneRow`s when `statuses` are not open.
    `made_of`: what `conditions` are made of (the values they compare with), when the caller
    can name it: the statement is then built once for it and the rest of what it is made of
    (`queries.built`), as a list read again after a write asks for the same one."""
    def build() -> Any:
        return _stage_statement(s, ctx, org_code, list(conditions), only_path, limit, offset,
                                statuses, sort, desc, by_due)

    query = build() if made_of is None else built((
        "stage_rows", made_of, s.get_bind().dialect.name,
        org_path(s, org_code) if org_code else None, only_path, limit, offset, statuses,
        sort, desc, by_due, ctx.language if sort == "organisation" else None), build)
    names: dict[tuple[str, str], str] = {}
    bases: dict[tuple[str, str, str | None, date | None], str] = {}
    rows = []
    for (stage_id, key, due, projected, code, name, name_kk, name_ru, path,
         analysis_id, case_date, process, object_code, login, full_name, status,
         done_on, period) in s.exec(query):
        if (process, key) not in names:
            defn = ctx.registry.loaded.get(process)
            names[(process, key)] = (defn.definition.stage_name(key, ctx.language) if defn
                                     else key)
        if (process, key, period, due) not in bases:  # (the case page's mark: B-21, I-17)
            bases[(process, key, period, due)] = due_basis(ctx, process, key, period, due)
        common = (stage_id, code, local_name(name, name_kk, name_ru, ctx.language), path,
                  case_date.year, analysis_id, analysis_id, process, object_code, key,
                  names[(process, key)], due, projected, bases[(process, key, period, due)],
                  working_days_left(ctx.calendar, due, ctx.today), login, full_name)
        # (the open lists' rows, and the API's, carry no status)
        rows.append(row_type(*common) if statuses == (OPEN,)
                    else DoneRow(*common, status, done_on))
    return rows


def _joining_made_of(s: Session, ctx: Context) -> tuple[Any, ...]:
    """What `_past_due`'s and `_before_joining`'s conditions are made of besides the process:
    the day and the organisations confirming their year so far, with the day each joined."""
    return ctx.today, tuple(sorted(joining.confirming_orgs(s, ctx).items()))


def _past_due(s: Session, ctx: Context, process: str | None = None) -> list:
    """The WHERE of every overdue stage (of one process's cases when `process` is given): past
    its due date, and not before its organisation joined (B-25: counted apart)."""
    return [col(Stage.due_date) < ctx.today, joining.ordinary(s, ctx), *_process(ctx, process)]


def _before_joining(s: Session, ctx: Context, process: str | None = None) -> list:
    """The WHERE of every stage "before joining -- to confirm" (B-25): past its due date,
    which fell before its organisation joined, while it confirms its year so far."""
    return [col(Stage.due_date) < ctx.today, joining.before_joining(s, ctx),
            *_process(ctx, process)]


def _overdue_conditions(s: Session, ctx: Context, stage: str | None, year: int | None,
                        process: str | None = None) -> list | None:
    """The WHERE of an overdue list; None when no row can match (a year no date has)."""
    conditions = _past_due(s, ctx, process)
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
            offset: int = 0, process: str | None = None, sort: str | None = None,
            desc: bool = False) -> list[OverdueRow]:
    """Open stages past their due date in the organisation's subtree, by organisation or in
    the order `sort` names (`_order_by`), optionally of one stage key, of analyses planned to
    start in one year; one page (`limit`, `offset`) or all."""
    conditions = _overdue_conditions(s, ctx, stage, year, process)
    if conditions is None:
        return []
    return _stage_rows(s, ctx, org_code, *conditions, only_path=only_path, limit=limit,
                       offset=offset, sort=sort, desc=desc, by_due=True, row_type=OverdueRow,
                       made_of=("overdue", _joining_made_of(s, ctx), stage, year, process))


def _kept_where(s: Session, ctx: Context, org_code: str | None, only_path: str | None,
                process: str | None) -> tuple[Hashable, Callable[[], list]] | None:
    """The conditions on the counts kept by the writes (kept/counts.py) of a subtree's
    stages (of the organisation at `only_path` alone, of one process): (what they are made of,
    a function making them); None when the kept counts cannot answer: in a transaction that
    has written and not committed (its counts are recounted at its commit: it counts its own
    stages afresh)."""
    if audit.wrote(s):
        return None
    if process:
        _process(ctx, process)  # an unknown process is refused
    path = org_path(s, org_code) if org_code else None

    def where() -> list:
        found: list = []
        if process:
            found.append(OpenStageCount.process == process)
        if path is not None:
            found.append(in_subtree_at(OpenStageCount.subject_path, path))
        if only_path is not None:  # an officer's (services/visibility.py, the one rule)
            found.append(only_condition(OpenStageCount.subject_path, only_path))
        return found
    return (path, only_path, process), where


def _kept_overdue(s: Session, ctx: Context, org_code: str | None, only_path: str | None,
                  process: str | None, by_path: bool) -> Any:
    """The overdue stages (by organisation path when `by_path`, else their number) from the
    counts kept by the writes: the kept rows of the organisations not confirming their year so
    far, and, counted from their stages, those of the few confirming (whose stages before
    joining are counted apart); None when the kept counts cannot answer (`_kept_where`)."""
    kept_where = _kept_where(s, ctx, org_code, only_path, process)
    if kept_where is None:
        return None
    made_of, where = kept_where
    confirming = sorted(joining.confirming_orgs(s, ctx))

    def not_confirming() -> list:
        return [*where(), col(OpenStageCount.subject_id).not_in(confirming)] if confirming \
            else where()
    made_of = ("overdue", made_of, tuple(confirming))
    if not by_path:
        found = kept.total(s, None, ctx.today, not_confirming, made_of)
        if confirming:
            found += _count_rows(s, org_code, [*_past_due(s, ctx, process),
                                               col(Stage.subject_id).in_(confirming)], only_path)
        return found
    by = kept.by_path(s, ctx.today, not_confirming, made_of)
    if confirming:
        for path, n in _count_by_path(s, org_code, [*_past_due(s, ctx, process),
                                                    col(Stage.subject_id).in_(confirming)],
                                      only_path).items():
            by[path] = by.get(path, 0) + n
    return by


def count_overdue(s: Session, ctx: Context, org_code: str | None = None,
                  stage: str | None = None, year: int | None = None,
                  only_path: str | None = None, process: str | None = None) -> int:
    """How many stages the overdue list holds: summed from the counts kept by the writes
    (kept/counts.py); of one stage or year, counted from the stages."""
    if not stage and not year:
        found = _kept_overdue(s, ctx, org_code, only_path, process, by_path=False)
        if found is not None:
            return found
    conditions = _overdue_conditions(s, ctx, stage, year, process)
    return 0 if conditions is None else _count_rows(s, org_code, conditions, only_path)


def count_overdue_by_path(s: Session, ctx: Context, org_code: str | None = None,
                          stage: str | None = None, year: int | None = None,
                          only_path: str | None = None,
                          process: str | None = None) -> dict[str, int]:
    """The overdue list's stages counted by organisation path: the summary by subordinate
    organisation and, summed, the list's length. Read from the counts kept by the writes
    (kept/counts.py: one indexed sum over a row per organisation and due day, whatever the
    number of stages); of one stage or year, one SELECT … GROUP BY over the stages."""
    if not stage and not year:
        found = _kept_overdue(s, ctx, org_code, only_path, process, by_path=True)
        if found is not None:
            return found
    conditions = _overdue_conditions(s, ctx, stage, year, process)
    return {} if conditions is None else _count_by_path(s, org_code, conditions, only_path)


def before_joining(s: Session, ctx: Context, org_code: str | None = None,
                   only_path: str | None = None, limit: int | None = None, offset: int = 0,
                   process: str | None = None) -> list[OverdueRow]:
    """The stages "before joining -- to confirm" in the subtree (B-25): the overdue list's
    rows that it counts apart, in the tree's order; one page (`limit`, `offset`) or all."""
    return _stage_rows(s, ctx, org_code, *_before_joining(s, ctx, process),
                       only_path=only_path, limit=limit, offset=offset, by_due=True,
                       row_type=OverdueRow,
                       made_of=("before_joining", _joining_made_of(s, ctx), process))


def count_before_joining(s: Session, ctx: Context, org_code: str | None = None,
                         only_path: str | None = None, process: str | None = None) -> int:
    """How many stages of the subtree are "before joining -- to confirm" (B-25): none while
    no organisation confirms (nothing to count)."""
    if not joining.confirming_orgs(s, ctx):
        return 0
    return _count_rows(s, org_code, _before_joining(s, ctx, process), only_path)


def count_before_joining_by_path(s: Session, ctx: Context, org_code: str | None = None,
                                 only_path: str | None = None) -> dict[str, int]:
    """The stages "before joining -- to confirm" (B-25) counted by organisation path, as
    `count_overdue_by_path` counts the overdue ones (none while no organisation confirms)."""
    if not joining.confirming_orgs(s, ctx):
        return {}
    return _count_by_path(s, org_code, _before_joining(s, ctx), only_path)


def _due_conditions(ctx: Context, within: int, process: str | None = None) -> list:
    if within < 0:
        raise UsageError("--within must be 0 or more", key="error.bad_within")
    horizon = ctx.calendar.add_working_days(ctx.today, within)
    return [col(Stage.due_date) >= ctx.today, col(Stage.due_date) <= horizon,
            *_process(ctx, process)]


def due_within(s: Session, ctx: Context, org_code: str | None = None, within: int = 5,
               only_path: str | None = None, limit: int | None = None,
               offset: int = 0, process: str | None = None) -> list[StageRow]:
    """Open stages due from today up to `within` working days ahead."""
    conditions = _due_conditions(ctx, within, process)
    return _stage_rows(s, ctx, org_code, *conditions, only_path=only_path, limit=limit,
                       offset=offset, by_due=True, made_of=(
                           "due", ctx.today, ctx.calendar.add_working_days(ctx.today, within),
                           process))


def count_due(s: Session, ctx: Context, org_code: str | None = None, within: int = 5,
              only_path: str | None = None, process: str | None = None) -> int:
    """How many open stages fall due from today up to `within` working days ahead: summed
    from the counts kept by the writes (kept/counts.py)."""
    conditions = _due_conditions(ctx, within, process)
    kept_where = _kept_where(s, ctx, org_code, only_path, process)
    if kept_where is None:
        return _count_rows(s, org_code, conditions, only_path)
    horizon = ctx.calendar.add_working_days(ctx.today, within)
    return kept.total(s, ctx.today, horizon + timedelta(days=1), kept_where[1],
                      ("due", kept_where[0]))


def due_on(s: Session, ctx: Context, org_code: str | None, day: date,
           only_path: str | None = None) -> list[StageRow]:
    """The open stages due on one day in the subtree (the overview calendar's day)."""
    return _stage_rows(s, ctx, org_code, Stage.due_date == day, only_path=only_path,
                       by_due=True)


def count_stages(s: Session) -> int:
    return s.exec(select(func.count()).select_from(Stage)).one()


def open_stages(s: Session, ctx: Context, org_code: str | None = None) -> list[StageRow]:
    """Every open stage with a due date in the subtree (for calendar feeds)."""
    return _stage_rows(s, ctx, org_code, col(Stage.due_date).is_not(None))


# -- one person's own work -------------------------------------------------------------------


def _answered_by(user_id: int, unassigned_of: int | None) -> Any:
    """The cases a person answers for: those she is responsible for, and (`unassigned_of`: an
    officer's organisation) the cases of her organisation nobody is responsible for
    (services/visibility.py `mine_condition`)."""
    return mine_condition(col(Case.responsible_id), col(Case.subject_id), user_id, unassigned_of)


def my_work(s: Session, ctx: Context, user_id: int, unassigned_of: int | None = None,
            within: int = 10, done_days: int = 30) -> MyWork:
    """The stages of the cases a person answers for, across every process: overdue (most
    overdue first), due within `within` working days (soonest first), done in the last
    `done_days` days (latest first) and, apart, those before joining (B-25, to confirm)."""
    mine = _answered_by(user_id, unassigned_of)
    overdue_rows: list[OverdueRow] = _stage_rows(s, ctx, None, *_past_due(s, ctx), mine,
                                                 row_type=OverdueRow)
    due_rows: list[StageRow] = _stage_rows(s, ctx, None, *_due_conditions(ctx, within), mine)
    done_rows: list[DoneRow] = _stage_rows(s, ctx, None,
                            col(Stage.done_on) >= ctx.today - timedelta(days=done_days),
                            col(Stage.done_on) <= ctx.today, mine,
                            live_case(),  #
                            statuses=(DONE_ON_TIME, DONE_LATE))
    joining_rows: list[OverdueRow] = (
        _stage_rows(s, ctx, None, *_before_joining(s, ctx), mine, row_type=OverdueRow)
        if joining.confirming_orgs(s, ctx) else [])
    overdue_rows.sort(key=lambda r: (r.due, r.case, r.stage_id))
    joining_rows.sort(key=lambda r: (r.due, r.case, r.stage_id))
    due_rows.sort(key=lambda r: (r.due, r.case, r.stage_id))
    done_rows.sort(key=lambda r: (r.done_on or date.min, r.case, r.stage_id), reverse=True)
    return MyWork(overdue_rows, due_rows, done_rows, joining_rows)


def count_my_overdue(s: Session, ctx: Context, user_id: int, unassigned_of: int | None = None,
                     org_code: str | None = None, only_path: str | None = None) -> int:
    """How many stages of the cases a person answers for are overdue, in the subtree of
    `org_code` (or exactly the organisation at `only_path`): one COUNT."""
    return _count_rows(s, org_code, [*_past_due(s, ctx),
                                     _answered_by(user_id, unassigned_of)], only_path)


# -- a reader's short lists ----------------------------------------------------------------------


def readers_overdue(s: Session, ctx: Context, reader: Any, own_code: str,
                    within: int = 10) -> list[OverdueRow]:
    """The overdue stages a reader's short list names (the Telegram bot's), most overdue
    first: an officer's, of the cases she answers for (`my_work`: "mine"); a manager's or an
    administrator's, of the subtree of her organisation (`own_code`). `reader`: her account,
    which services/visibility.py asks which (`own_only`, `unassigned_of`)."""
    from workflow.services import visibility

    if visibility.own_only(reader):
        return my_work(s, ctx, reader.id, visibility.unassigned_of(reader), within, 0).overdue
    return sorted(overdue(s, ctx, own_code), key=lambda r: (r.due, r.case, r.stage_id))


def readers_due(s: Session, ctx: Context, reader: Any, own_code: str,
                within: int = 10) -> list[StageRow]:
    """The stages due within `within` working days a reader's short list names (the Telegram
    bot's), soonest first, of what `readers_overdue` reads."""
    from workflow.services import visibility

    if visibility.own_only(reader):
        return my_work(s, ctx, reader.id, visibility.unassigned_of(reader), within, 0).due
    return sorted(due_within(s, ctx, own_code, within), key=lambda r: (r.due, r.case, r.stage_id))
