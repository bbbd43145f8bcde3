"""Queries of one case and its rows (`services/cases.py`): its records and stages, the cases a
new one would repeat or an event opens, the subject's default officer, a list of cases."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Integer, Text, bindparam, cast, exists, false, func, or_, text, true
from sqlalchemy import case as when
from sqlmodel import Session, col, select

from workflow.storage.models import (
    OFFICER,
    AuditRecord,
    Case,
    EventRecord,
    Organisation,
    Stage,
    User,
)
from workflow.storage.queries import in_subtree, live_case, select_columns, standing
from workflow.storage.queries import without_jit as without_jit  # (the lists ask it here)


def records(s: Session, case_id: int | None) -> list[EventRecord]:
    """The case's records in the order they were made (voided ones and voids included)."""
    return list(s.exec(select(EventRecord).where(EventRecord.case_id == case_id)
                       .order_by(col(EventRecord.id))))


def with_parties(s: Session, case_id: int) -> tuple[Case, Organisation | None, User | None] | None:
    """The case, its subject and its responsible officer, in one query (None: no such case,
    or an unfinished import's, as `standing_case`)."""
    found = s.exec(select(Case, Organisation, User)
                   .join(Organisation, col(Case.subject_id) == Organisation.id, isouter=True)
                   .join(User, col(Case.responsible_id) == User.id, isouter=True)
                   .where(Case.id == case_id, standing(Case.id))).first()
    if found is None:  # none, or an unfinished import's (`standing_case`)
        return None
    s.info.setdefault(STANDING, set()).add(case_id)
    return found[0], found[1], found[2]


def stages(s: Session, case_id: int | None) -> list[Stage]:
    """The case's stage rows (in no order)."""
    return list(s.exec(select(Stage).where(Stage.case_id == case_id)))


def responsible_versions(s: Session, user_id: int | None) -> list[tuple[str, int]]:
    """The (process, version) pairs of the cases the user is responsible for, each once (any
    state: withdrawn, closed and an unfinished import's cases included)."""
    return [(p, v) for p, v in s.exec(
        select(Case.process, Case.process_version).where(Case.responsible_id == user_id)
        .distinct())]


def first_officer(s: Session, organisation_id: int | None) -> User | None:
    """The organisation's first active officer (by id)."""
    return s.exec(select(User).where(User.organisation_id == organisation_id,
                                     User.role == OFFICER, col(User.active))
                  .order_by(col(User.id))).first()


def active_officers(s: Session, organisation_id: int | None, most: int) -> list[User]:
    """The organisation's active officers (by id), at most `most` of them."""
    return list(s.exec(select(User).where(User.organisation_id == organisation_id,
                                          User.role == OFFICER, col(User.active))
                       .order_by(col(User.id)).limit(most)))


def same_parties(s: Session, process: str, subject_id: int | None,
                 object_id: int | None) -> list[Case]:
    """The cases of a process with this subject and object (none: without one) that are not
    withdrawn, oldest first: those a new case could repeat."""
    query = select(Case).where(Case.process == process, Case.subject_id == subject_id,
                               live_case()).order_by(col(Case.id))
    query = query.where(col(Case.object_id).is_(None) if object_id is None
                        else Case.object_id == object_id)
    return list(s.exec(query))


def newest_marks(s: Session) -> tuple[int, int]:
    """The newest case's id and the audit chain's newest record's id (0 when none): two
    primary-key reads. A writer that notes them can later ask only for what came after
    (`touched_subjects`)."""
    case = s.execute(select(func.max(col(Case.id)))).scalar()
    record = s.execute(select(func.max(col(AuditRecord.id)))).scalar()
    return int(case or 0), int(record or 0)


def touched_subjects(s: Session, process: str, case_mark: int, audit_mark: int,
                     ends: Sequence[str] = (), chunk: int = 500) -> set[int] | None:
    """The subjects of the cases of `process` opened or changed after the marks of
    `newest_marks`: the cases of larger id, and those the audit records of larger id name
    (every write of a case appends one). None (every subject) when a record of larger id has
    an action of `ends` (an import that ended: its cases appear all at once, no record names
    each). Reads only what was written since: two primary-key range reads, nothing more when
    no one wrote."""
    found = {int(i) for i in s.execute(select(col(Case.subject_id)).where(
        col(Case.id) > case_mark, col(Case.process) == process)).scalars() if i is not None}
    named: set[int] = set()
    for entity, action, entity_id in s.execute(
            select(col(AuditRecord.entity), col(AuditRecord.action),
                   col(AuditRecord.entity_id)).where(col(AuditRecord.id) > audit_mark)):
        if action in ends:
            return None
        if entity == "case" and str(entity_id).isdigit():
            named.add(int(entity_id))
    ids = sorted(named)
    for at in range(0, len(ids), chunk):
        found |= {int(i) for i in s.execute(select(col(Case.subject_id)).where(
            col(Case.id).in_(ids[at:at + chunk]), col(Case.process) == process)).scalars()
            if i is not None}
    return found


def of_subject(s: Session, process: str, subject_id: int | None) -> list[Case]:
    """The cases of a process of one subject that are not withdrawn."""
    return list(s.exec(select(Case).where(Case.process == process,
                                          Case.subject_id == subject_id,
                                          live_case())))


def org_below(s: Session, code: str, scope: Organisation) -> Organisation | None:
    """The organisation with this code in the scope's subtree (the scope included), or None."""
    return s.exec(select(Organisation).where(Organisation.code == code,
                                             in_subtree(Organisation.path, scope))).first()


def listed(s: Session, process: str | None, scope: Organisation | None,
           limit: int) -> list[tuple[Case, Organisation]]:
    """Cases (not withdrawn: a withdrawn case is in no list) with their subject, of a process
    and in a subtree when given, newest first, at most `limit`."""
    query = (select(Case, Organisation).join(Organisation, col(Organisation.id) == Case.subject_id)
             .where(live_case()))
    if process:
        query = query.where(Case.process == process)
    if scope is not None:
        query = query.where(in_subtree(Organisation.path, scope))
    return list(s.exec(query.order_by(col(Case.id).desc()).limit(limit)).all())


# `page_condition`'s conditions, by what they are of: an expression is built once and read by
# every request asking the same (the construct is immutable; building it costs as much CPU as
# a small query's round trip)
_CONDITIONS: dict[tuple[str | None, int | None, str | None, int | None, bool], Any] = {}


def page_condition(*, scope: Organisation | None = None, only_org_id: int | None = None,
                   process: str | None = None, year: int | None = None) -> Any:
    """The SQL condition of a list of cases (`page_listing`, `count_where`): not withdrawn, of
    the subtree of `scope` (or exactly the organisation `only_org_id`), of the process and
    with a case date in the year, each when given. The subtree of a root holds every case
    when no other root exists: the cases' subjects are then not looked up."""
    key = (scope.path if scope is not None else None, only_org_id, process, year,
           scope is not None and scope.parent_id is None)
    kept = _CONDITIONS.get(key)
    if kept is None:
        if len(_CONDITIONS) >= 256:
            _CONDITIONS.clear()
        kept = _CONDITIONS[key] = _page_condition(scope, only_org_id, process, year)
    return kept


def _page_condition(scope: Organisation | None, only_org_id: int | None, process: str | None,
                    year: int | None) -> Any:
    condition: Any = live_case()
    if only_org_id is not None:
        condition = condition & (col(Case.subject_id) == only_org_id)
    if scope is not None:
        inside: Any = col(Case.subject_id).in_(
            select(Organisation.id).where(in_subtree(Organisation.path, scope)))
        if scope.parent_id is None:
            # a root: when no organisation lies outside its subtree (evaluated once per
            # statement), no case's subject is looked up -- a page far into the country's
            # list walked 50,000 of them (~12 ms of PostgreSQL against ~3 ms)
            inside = ~select(Organisation.id).where(
                ~in_subtree(Organisation.path, scope)).exists() | inside
        condition = condition & inside
    if process:
        condition = condition & (col(Case.process) == process)
    if year is not None and not date.min.year <= year < date.max.year:
        condition = condition & false()  # (no case has a date in that year)
    elif year is not None:
        condition = condition & (col(Case.case_date) >= date(year, 1, 1)) \
            & (col(Case.case_date) < date(year + 1, 1, 1))
    return condition


# `stored_state_where`'s and `in_state_or_one_of`'s conditions, by the objects they are built
# of (kept as `page_condition` keeps its own: a page's statement is then built once)
_STATE_CONDITIONS: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}


def _state_condition(parts: tuple[Any, ...], build: Any) -> Any:
    return _kept(parts, build, _STATE_CONDITIONS)


def stored_state_where(condition: Any, moving: Any, state: str) -> Any:
    """The SQL condition "the case meets `condition`, no timer may have moved it (`moving`,
    `may_have_moved`) and its stored state is `state`": a case in `state` today for sure."""
    return _state_condition(("stored", condition, moving, state),
                            lambda: condition & (col(Case.state) == state) & ~moving)


def in_state_or_one_of(condition: Any, moving: Any, state: str, dialect: str,
                       with_ids: bool) -> Any:
    """`stored_state_where`, or, `with_ids`, the case is one of the numbers `page_listing`
    is given (`ids`: those replayed into `state`), as one parameter: an array on PostgreSQL,
    a JSON list on SQLite (the statement's text the same whatever their count)."""
    def build() -> Any:
        certain = stored_state_where(condition, moving, state)
        if not with_ids:
            return certain
        given = ("process_case.id = ANY(CAST(:given_ids AS INTEGER[]))" if dialect == "postgresql"
                 else "process_case.id IN (SELECT value FROM json_each(:given_ids))")
        return certain | text(given)
    return _state_condition(("in state", condition, moving, state, dialect, with_ids), build)


# The statements of `count_where` and `page_listing`, by what they are built of (the condition
# and timer objects themselves, kept by `page_condition` and the callers): a statement object
# kept is not built again, and SQLAlchemy keeps its cache key on it — the key of a list's
# statement, with the timers' condition, costs about as much CPU as building it. The page's
# limit and offset are parameters of the statement, not part of it.
_STATEMENTS: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}


def _kept(parts: tuple[Any, ...], build: Any,
          store: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] | None = None) -> Any:
    store = _STATEMENTS if store is None else store
    key = tuple(p if isinstance(p, int | str) else id(p) for p in parts)
    kept = store.get(key)
    if kept is not None and all(a is b or (isinstance(a, int | str) and a == b)
                                for a, b in zip(kept[0], parts, strict=True)):
        return kept[1]
    if len(store) >= 256:
        store.clear()
    statement = build()
    store[key] = (parts, statement)
    return statement


def _counted(condition: Any) -> Any:
    return select(func.count()).select_from(Case).where(condition)


def count_where(s: Session, condition: Any) -> int:
    """How many cases meet `condition` (one COUNT)."""
    return int(s.exec(_kept(("count", condition), lambda: _counted(condition))).one())


def marks_where(s: Session, condition: Any, step: int) -> tuple[int, tuple[int, ...]]:
    """How many cases meet `condition`, and the numbers of those at positions `step`,
    2·`step`, … by number (one SELECT, a window over the cases' index): a page from offset N
    starts after the (N // step)-th of them, N % step further (`page_listing`'s `after`),
    instead of stepping over N cases."""
    ranked = select(col(Case.id).label("id"),
                    func.row_number().over(order_by=col(Case.id)).label("n"),
                    func.count().over().label("total")).where(condition).subquery()
    query = _kept(("marks", condition), lambda: (
        select_columns(ranked.c.id, ranked.c.n, ranked.c.total)
        .where((ranked.c.n % bindparam("mark_step", type_=Integer) == 0) | (ranked.c.n == 1))
        .order_by(ranked.c.n)))
    rows = s.connection().execute(query, {"mark_step": step}).all()
    return (int(rows[0][2]) if rows else 0,
            tuple(int(ident) for ident, n, _ in rows if n % step == 0))


# What replaying a case's state needs of one of its records, in the order they were made:
# (kind, event, date, the evidence's period, voided)
ReplayRow = tuple[str, str, Any, Any, bool]


class ListedCase(NamedTuple):
    """A case of a page of `page_listing` (`dates`: only where `moving`, else None)."""

    id: int
    process: str
    process_version: int
    period: str | None
    case_date: date
    state: str
    dates: dict[str, Any] | None
    code: str
    name: str
    name_kk: str | None
    name_ru: str | None
    moving: bool


class Listing(NamedTuple):
    """A page of `page_listing`: its cases; the records of those of them `moving` holds for,
    by case (`ReplayRow`s, when asked); and how many cases meet the condition in all (when
    asked; None when the page is empty past its first row: `count_where` tells)."""

    rows: list[ListedCase]
    records: dict[int, list[ReplayRow]]
    total: int | None


_CASE_COLUMNS = len(ListedCase._fields)


def page_listing(s: Session, condition: Any, moving: Any, limit: int, offset: int, *,
                 counted: bool = False, with_records: bool = False, after: int = 0,
                 ids: Sequence[int] = ()) -> Listing:
    """The cases meeting `condition`, by number, `limit` of them from `offset` among those of
    a number above `after` (a keyset cursor: the last number of the page before; 0: from the
    first), as light rows
    (`ListedCase`, no ORM objects): id, process, process_version, period, case_date, state,
    dates (the named dates given at opening, read only where `moving` holds: a replay needs
    them), the subject's code, name, name_kk, name_ru, and `moving`: whether the SQL condition
    `moving` (`may_have_moved`) holds for the case. In the same SELECT, `counted`: how many
    cases meet `condition` (a COUNT in a scalar subquery, evaluated once); `with_records`: the
    records of the page's cases `moving` holds for (`replay_rows`' columns, joined to their
    case's row: a case's row comes once per record, its dates as text, read once). The total
    counts every case meeting `condition`, whatever `after` says. `ids`: the numbers of a
    condition of `in_state_or_one_of`."""
    query = _kept(("page", condition, moving, counted, with_records),
                  lambda: _listing(condition, moving, counted, with_records))
    rows: list[ListedCase] = []
    records: dict[int, list[ReplayRow]] = {}
    total = None
    last = None
    at = _CASE_COLUMNS + (1 if counted else 0)  # (where a record's columns begin)
    s.flush()  # (what the session holds unwritten, as an ORM query would write it first)
    # (a Core SELECT on the session's connection, its rows read by position)
    params: dict[str, Any] = {"page_limit": limit, "page_offset": offset, "page_after": after}
    if ids:
        params["given_ids"] = (list(ids) if s.get_bind().dialect.name == "postgresql"
                               else json.dumps(list(ids)))
    for row in s.connection().execute(query, params).all():
        ident = int(row[0])
        if ident != last:
            given = row[6]
            rows.append(ListedCase(ident, row[1], row[2], row[3], row[4], row[5],
                                   json.loads(given) if isinstance(given, str) else given,
                                   row[7], row[8], row[9], row[10], bool(row[11])))
            last = ident
            if counted:
                total = int(row[_CASE_COLUMNS])
        if with_records and row[at] is not None:
            records.setdefault(ident, []).append(
                (row[at + 1], row[at + 2], row[at + 3], row[at + 4], row[at + 5] is not None))
    return Listing(rows, records,
                   total if rows or offset or after else (0 if counted else None))


def _listing(condition: Any, moving: Any, counted: bool, with_records: bool) -> Any:
    """`page_listing`'s statement: `ListedCase`'s columns in its order, then the total when
    `counted`, then a record's id, kind, event, date, period and voiding record when
    `with_records`."""
    # (the cursor a condition of the page only: the COUNT below is of `condition` alone)
    page = (select(Case.id).where(condition, col(Case.id) > bindparam("page_after",
                                                                       type_=Integer))
            .order_by(col(Case.id))
            .offset(bindparam("page_offset", type_=Integer))
            .limit(bindparam("page_limit", type_=Integer))
            .subquery())  # (paged first: `moving` evaluated for its rows only)
    rows = (select_columns(Case.id, Case.process, Case.process_version, Case.period,
                           Case.case_date, Case.state, Case.dates, Organisation.code,
                           Organisation.name, Organisation.name_kk, Organisation.name_ru,
                           when((moving, true()), else_=false()).label("moving"))
            .join(page, page.c.id == Case.id)
            .join(Organisation, col(Organisation.id) == Case.subject_id)
            .subquery("listed"))
    columns: list[Any] = [c for c in rows.c if c.name != "dates"]
    # (as text: a case's row comes once per record, its dates are decoded once)
    columns.insert(6, when((rows.c.moving, cast(rows.c.dates, Text)), else_=None)
                   .label("dates"))
    if counted:  # (not correlated: the count of every case meeting the condition, once)
        columns.append(_counted(condition).correlate(None).scalar_subquery().label("total"))
    if not with_records:
        return select_columns(*columns).select_from(rows).order_by(rows.c.id)
    rec = EventRecord.__table__.alias("rec")  # type: ignore[attr-defined]
    return (select_columns(*columns, rec.c.id.label("record_id"),
                           rec.c.kind.label("record_kind"), rec.c.event.label("record_event"),
                           rec.c.on.label("record_on"),
                           rec.c.evidence["period"].as_string().label("record_period"),
                           rec.c.voided_by_id.label("record_voided_by"))
            .select_from(rows.outerjoin(rec, (rec.c.case_id == rows.c.id) & rows.c.moving))
            .order_by(rows.c.id, rec.c.id))


# `replay_candidates`' fingerprint of a case's records: how many it has and the newest's number
# (every record, a void included, is a new row: a case's records changed, these change)
_RECORDS_COUNT = (select(func.count()).select_from(EventRecord)
                  .where(EventRecord.case_id == Case.id).correlate(Case).scalar_subquery())
_RECORDS_LAST = (select(func.max(col(EventRecord.id)))
                 .where(EventRecord.case_id == Case.id).correlate(Case).scalar_subquery())


def replay_candidates(s: Session, condition: Any, stored_in: Sequence[str]
                      ) -> list[tuple[int, str, int, str, str | None, int, int | None]]:
    """(id, process, process_version, stored state, the named dates given as JSON text, how
    many records the case has, the newest record's number) of every case meeting `condition`
    and stored in one of the states `stored_in`, by number (one SELECT): what replaying its
    state reads, and what says whether that changed since an earlier replay."""
    query = select_columns(Case.id, Case.process, Case.process_version, Case.state,
                           cast(Case.dates, Text), _RECORDS_COUNT, _RECORDS_LAST).where(
        condition & _one_of(col(Case.state), stored_in)).order_by(col(Case.id))
    return [tuple(row) for row in s.exec(query).all()]


# `replay_rows`' statement, built once (the cases' numbers are its parameter)
_REPLAY_ROWS = (select_columns(EventRecord.case_id, EventRecord.kind, EventRecord.event,
                               EventRecord.on, col(EventRecord.evidence)["period"].as_string(),
                               EventRecord.voided_by_id)
                .where(col(EventRecord.case_id).in_(bindparam("replayed_ids", expanding=True,
                                                              literal_execute=True)))
                .order_by(col(EventRecord.case_id), col(EventRecord.id)))


def replay_rows(s: Session, ids: Iterable[int]) -> dict[int, list[ReplayRow]]:
    """What replaying the state needs of the records of the cases of these numbers: by
    case, in the order they were made, (kind, event, date, the evidence's period, voided)
    (one SELECT of those columns, the numbers written into it: any count of them)."""
    out: dict[int, list[ReplayRow]] = {}
    numbers = sorted(set(ids))
    if not numbers:
        return out
    for case_id, kind, event, on, period, voided in s.exec(
            _REPLAY_ROWS, params={"replayed_ids": numbers}).all():
        out.setdefault(int(case_id), []).append((kind, event, on, period, voided is not None))
    return out


def may_have_moved(timers: Iterable[tuple[str, Sequence[str], Any]], today: date) -> Any:
    """The SQL condition "a time-driven transition of the case's process may have moved its
    stored state since it was stored": each timer as (process, the states it leaves, how its
    date may lie on or before a day: `services.case_reading._earliest`'s alternatives, None
    when nothing bounds it), and the case in one of those states with that date possibly on
    or before `today`."""
    condition: Any = false()
    for process, sources, earliest in timers:
        if not sources:
            continue
        fired: Any = true() if earliest is None else false()
        for kind, what, shift in earliest or ():
            day = today - timedelta(days=shift)
            if kind == "given":
                fired = fired | func.coalesce(col(Case.dates)[what].as_string() <= day.isoformat(),
                                              false())  # (none given: not this way)
            else:
                fired = fired | exists(select(EventRecord.id).where(
                    EventRecord.case_id == Case.id, _one_of(col(EventRecord.event), what),
                    EventRecord.on <= day))
        condition = condition | ((col(Case.process) == process)
                                 & _one_of(col(Case.state), sources) & fired)
    return condition


def _one_of(column: Any, values: Iterable[str]) -> Any:
    """The SQL condition "`column` is one of `values`" (a few names of a definition) as
    comparisons: plain parameters of a statement built once, where `IN` would be rewritten,
    and the statement's text written anew, at every execution (an expanding parameter)."""
    return or_(*(column == value for value in dict.fromkeys(values)))


STANDING = "merzim.standing_cases"  # session.info: the ids of cases found of no unfinished import


def standing_case(s: Session, case_id: int) -> Case | None:
    """The case of this number, None when there is none or it is one an unfinished register
    import has written (`ImportPending`: found by no one until the import ends, as it is in no
    list). One SELECT the first time in a session, as `Session.get`'s; then the session's own
    copy (a case once found so stays so: an import's ranges name only the cases it writes)."""
    known: set[int] = s.info.setdefault(STANDING, set())
    if case_id in known:
        return s.get(Case, case_id)
    case = s.exec(select(Case).where(Case.id == case_id, standing(Case.id))).first()
    if case is not None:
        known.add(case_id)
    return case


def unanswered(s: Session, organisation_id: int) -> list[int]:
    """The ids of the organisation's live cases nobody answers for (no responsible officer)
    and about no person, by id."""
    return list(s.exec(select(Case.id).where(
        Case.subject_id == organisation_id, col(Case.responsible_id).is_(None),
        col(Case.person_name).is_(None), live_case()).order_by(col(Case.id))))


def subject_codes(s: Session, case_ids: Sequence[int]) -> set[str]:
    """The codes of the organisations the cases `case_ids` are of."""
    if not case_ids:
        return set()
    return set(s.exec(select(Organisation.code).join(
        Case, col(Case.subject_id) == col(Organisation.id)).where(col(Case.id).in_(case_ids))))
