"""Counts kept by the writes: how many open stages of cases each organisation has falling due
on each day, per process (`OpenStageCount`), so that the overdue and due counts of a subtree
are one indexed sum over these rows instead of a count of its stages.

Every write goes through the audit chain (storage/audit.py), whose appends hand their records
to the kept figures (kept/versions.py `move`); what a write touches is told once (kept/touch.py)
and the organisations whose stages it may change are collected here (`note`). When the
transaction commits, the rows of those organisations are counted again from the stage table,
in the same transaction, under the appends' lock (PostgreSQL's advisory lock, SQLite's write
lock): two writers never recount at once, and the second sees the first's committed stages, so
the rows stay equal to a recount whatever the order. A write whose stages cannot be narrowed
to organisations (a sync, a re-planning, an import's start and end, more than `touch.MANY`
cases) counts the whole table again, in one statement.

`merzim audit recount` (services/transactions.py `recount_kept`) appends a record of no
organisation, so its commit counts the whole table again; `differences` compares the rows with a
recount (what it reports, and what the tests compare)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date
from itertools import zip_longest
from typing import Any

from sqlalchemy import Integer, String, delete, exists, func, insert, or_, union_all
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from workflow.kept.statements import Statement
from workflow.kept.touch import Touch
from workflow.storage import models
from workflow.storage.models import OPEN, Case, Organisation, Stage, table_of
from workflow.storage.queries import built, read, select_columns, standing

PENDING = "merzim.kept_pending"  # [transaction, (organisation ids, case ids) or None: every one]
CHUNK = 500  # organisations (and cases) recounted per statement
_COLUMNS = ("subject_id", "process", "due_date", "subject_path", "n")


# the organisations named by code (a write's records may name them so)
_CODES = Statement(lambda codes: select(Organisation.id).where(col(Organisation.code).in_(codes)),
                   {"codes": String()})


def _subject_in_map(s: Session, case_id: int) -> int | None:
    """The organisation of the case `case_id` when the session holds its row (no statement)."""
    row = s.identity_map.get(identity_key(Case, case_id))
    return None if row is None else row.__dict__.get("subject_id")


def touched(s: Session, touch: Touch) -> tuple[set[int], set[int]] | None:
    """The organisations whose open stages a write that touches `touch` (kept/touch.py) may
    change, as (organisation ids, ids of cases whose organisations they are: the cases the
    session does not hold, read by the recount's own statements, so that a write sends no
    read after its first write); None: any."""
    if touch.stages_anywhere:
        return None
    cases: set[int] = set()
    orgs: set[int] = set(touch.orgs)
    for case_id in touch.staged:
        subject = _subject_in_map(s, case_id)
        (cases.add(case_id) if subject is None else orgs.add(subject))
    if touch.codes:
        found = _CODES(s.connection(), codes=sorted(touch.codes)).scalars().all()
        if len(found) != len(touch.codes):
            return None
        orgs.update(i for i in found if i is not None)
    return orgs, cases


def note(s: Session, touch: Touch) -> None:
    """Have the rows of the organisations a write that touches `touch` may change counted
    again when the session's transaction commits (nothing if it is rolled back)."""
    if not touch.stages_changed:
        return
    found = touched(s, touch)
    if found is not None and not found[0] and not found[1]:
        return
    root = s.get_transaction()
    pending = s.info.get(PENDING)
    if pending is None or pending[0] is not root:
        pending = s.info[PENDING] = [root, (set(), set())]
    if found is None or pending[1] is None:
        pending[1] = None
    else:
        pending[1][0].update(found[0])
        pending[1][1].update(found[1])


def taken(s: Session) -> tuple[bool, tuple[set[int], set[int]] | None]:
    """(whether the transaction's writes noted rows to count again, and which: the
    organisations and the cases whose organisations they are, None: every one), forgotten
    here (kept/commit.py counts them when the transaction commits, its last flush done)."""
    pending = s.info.pop(PENDING, None)
    if pending is None or pending[0] is not s.get_transaction():
        return False, None
    return True, pending[1]


def _counted_stages(select_: Any, where: Sequence[Any] = ()) -> Any:
    """`select_` of the stages a row of `OpenStageCount` counts (those `where` keeps): open,
    falling due on a day, of a case not in an unfinished import."""
    return (select_.select_from(Stage).join(Case, col(Case.id) == Stage.case_id)
            .where(Stage.status == OPEN, col(Stage.due_date).is_not(None),
                   standing(Stage.case_id), *where))


def _counted(where: Sequence[Any] = ()) -> Any:
    """SELECT the rows of `OpenStageCount` from the stage table (of the organisations
    `where` keeps)."""
    return (_counted_stages(select_columns(Stage.subject_id, Case.process, Stage.due_date,
                                           func.max(Stage.subject_path), func.count()), where)
            .group_by(col(Stage.subject_id), col(Case.process), col(Stage.due_date)))


def _subjects(orgs: Sequence[Any], cases: Sequence[Any]) -> Any:
    """The organisations `orgs` and those of the cases `cases` (bound parameters; the
    statement is built for the lists' lengths, so a write of no case the session did not
    hold, the most common, asks no subquery)."""
    if not cases:
        return orgs
    return union_all(select(Organisation.id).where(col(Organisation.id).in_(orgs)),
                     select(Case.subject_id).where(col(Case.id).in_(cases))).scalar_subquery()


def _paths(orgs: Sequence[Any], cases: Sequence[Any]) -> Any:
    """The paths of the organisations `orgs` and of those of the cases `cases`."""
    return select(Organisation.path).where(
        col(Organisation.id).in_(_subjects(orgs, cases))).scalar_subquery()


def _upserted(insert_into: Callable[[Any], Any], counted: Any) -> Any:
    """The rows `counted` (a SELECT of `_COLUMNS`) inserted, or updated where they differ
    (`insert_into`: the dialect's INSERT, which says ON CONFLICT)."""
    table = table_of(models.OpenStageCount)
    upsert = insert_into(table).from_select(_COLUMNS, counted)
    given = upsert.excluded
    return upsert.on_conflict_do_update(
        index_elements=[table.c.subject_id, table.c.process, table.c.due_date],
        set_={"n": given.n, "subject_path": given.subject_path},
        where=or_(table.c.n != given.n, table.c.subject_path != given.subject_path))


def refreshed(orgs: Sequence[Any], cases: Sequence[Any]) -> Any:
    """PostgreSQL: the rows of the organisations `orgs` and of those of the cases `cases` made
    equal to a recount in one statement (kept/commit.py sends it with the versions moved): the
    rows counted inserted, or updated where they differ, those no longer counted deleted (a
    data-modifying WITH; the two touch different rows, so their order does not matter)."""
    from sqlalchemy.dialects import postgresql  # built on PostgreSQL alone

    table = table_of(models.OpenStageCount)
    counted = _counted([col(Stage.subject_path).in_(_paths(orgs, cases))]).cte("counted")
    stale = delete(table).where(
        table.c.subject_id.in_(_subjects(orgs, cases)),
        ~exists().where(counted.c.subject_id == table.c.subject_id,
                        counted.c.process == table.c.process,
                        counted.c.due_date == table.c.due_date))
    return _upserted(postgresql.insert, select_columns(*counted.c)).add_cte(stale.cte("stale"))


def _stale(orgs: Sequence[Any], cases: Sequence[Any]) -> Any:
    """SQLite: the rows of those organisations a recount no longer gives, deleted (each row
    asks whether an open stage of its case's process still falls due on its day: the stages'
    (path, status, due day) index finds them)."""
    table = table_of(models.OpenStageCount)
    still = _counted_stages(select_columns(Stage.id), [
        col(Stage.subject_path) == table.c.subject_path,
        col(Stage.subject_id) == table.c.subject_id, col(Case.process) == table.c.process,
        col(Stage.due_date) == table.c.due_date])
    return delete(table).where(table.c.subject_id.in_(_subjects(orgs, cases)), ~exists(still))


def _count(orgs: Sequence[Any], cases: Sequence[Any]) -> Any:
    """SQLite: the rows of those organisations counted, inserted or updated where they differ
    (a row as it was is not written again)."""
    from sqlalchemy.dialects import sqlite  # built on SQLite alone

    return _upserted(sqlite.insert, _counted([col(Stage.subject_path).in_(_paths(orgs, cases))]))


# the rows of some organisations and of those of some cases made equal to a recount
# (PostgreSQL: one statement; SQLite: the stale deleted, then the counted inserted or updated):
# sent as the driver's SQL (kept/statements.py), each a write commits
IDS = {"orgs": Integer(), "cases": Integer()}
_REFRESHED = Statement(refreshed, IDS)
_STALE = Statement(_stale, IDS)
_COUNT = Statement(_count, IDS)


def recount(s: Session, orgs: set[int] | None, cases: Iterable[int] = ()) -> None:
    """Count the rows of the organisations `orgs` and of those of the cases `cases` (`orgs`
    None: of every one) again from the stage table, in the session's transaction: the stages
    found by their organisations' paths, which the stages' (path, status, due date, case)
    index finds (an organisation's path never changes). Per `CHUNK` organisations and `CHUNK`
    cases one statement on PostgreSQL, two on SQLite, which write only the rows that differ:
    a write changes one or two rows of an organisation, and a row written again is written in
    its table and its three indexes (on SQLite, an organisation's rows deleted and inserted
    anew cost about 110 µs a write, these two about 70 µs)."""
    table = table_of(models.OpenStageCount)
    conn = s.connection()
    if orgs is None:
        conn.execute(delete(table))
        conn.execute(insert(table).from_select(_COLUMNS, _counted()))
        return
    no_ids: list[int] = []
    postgresql = conn.dialect.name == "postgresql"
    for org_ids, case_ids in zip_longest(_chunks(orgs), _chunks(cases), fillvalue=no_ids):
        if postgresql:
            _REFRESHED(conn, orgs=org_ids, cases=case_ids)
            continue
        _STALE(conn, orgs=org_ids, cases=case_ids)
        _COUNT(conn, orgs=org_ids, cases=case_ids)


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    ordered = sorted(ids)
    return [ordered[i:i + CHUNK] for i in range(0, len(ordered), CHUNK)]


def differences(s: Session) -> list[tuple]:
    """The rows kept that a recount gives otherwise: ((organisation id, process, due day),
    (path, n) kept, (path, n) counted), None on the side that has no such row."""
    k = models.OpenStageCount
    kept = {(r[0], r[1], r[2]): (r[3], r[4]) for r in s.execute(select_columns(
        k.subject_id, k.process, k.due_date, k.subject_path, k.n)).all()}
    counted = {(r[0], r[1], r[2]): (r[3], r[4]) for r in s.execute(_counted()).all()}
    return [(key, kept.get(key), counted.get(key))
            for key in sorted(kept.keys() | counted.keys()) if kept.get(key) != counted.get(key)]


def by_path(s: Session, before: date, conditions: Callable[[], Sequence[Any]] = tuple,
            made_of: Hashable = None) -> dict[str, int]:
    """How many open stages fell due before `before`, by organisation path, of the rows
    `conditions()` (on `OpenStageCount`'s columns) keep: one statement over the kept rows,
    built once for what the conditions are made of when `made_of` names it (`queries.built`:
    a page's parts counted again after a write ask for the same statements)."""
    k = models.OpenStageCount

    def build() -> Any:
        return select(k.subject_path, func.sum(k.n)).where(
            col(k.due_date) < before, *conditions()).group_by(k.subject_path)

    query = build() if made_of is None else built(("kept.by_path", before, made_of), build)
    return {path: int(n) for path, n in read(s, query).all() if n}


def total(s: Session, first: date | None, last_before: date,
          conditions: Callable[[], Sequence[Any]] = tuple, made_of: Hashable = None) -> int:
    """How many open stages fall due in [`first`, `last_before`) (`first` None: any day
    before), of the rows `conditions()` keep (the statement built once for `made_of`, as
    `by_path` builds it)."""
    k = models.OpenStageCount

    def build() -> Any:
        where = [col(k.due_date) < last_before, *conditions()]
        if first is not None:
            where.append(col(k.due_date) >= first)
        return select(func.coalesce(func.sum(k.n), 0)).where(*where)

    query = build() if made_of is None else built(("kept.total", first, last_before, made_of),
                                                   build)
    return int(read(s, query).scalar_one())
