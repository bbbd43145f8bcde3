"""Counts kept by the writes: how many open stages of cases each organisation has falling due
on each day, per process (`OpenStageCount`), so that the overdue and due counts of a subtree
are one indexed sum over these rows instead of a count of its stages.

Every write goes through the audit chain (storage/audit.py), whose appends hand their records
to `versions.move`; that is where a write's organisations are collected (`note`), as the
versions of the lists it may change are. When the transaction commits, the rows of those
organisations are counted again from the stage table, in the same transaction, under the
appends' lock (PostgreSQL's advisory lock, SQLite's write lock): two writers never recount at
once, and the second sees the first's committed stages, so the rows stay equal to a recount
whatever the order. A write narrowed to no organisation (a sync, a re-planning, an import's
start and end, more than `MANY` cases) counts the whole table again, in one statement.

What each record names:
* a case (or a monitoring analysis, which is a case): the organisation it is of;
* an organisation: itself (by id or code);
* a person, a programme (its stages are of no case), a saved view, an outbox message, a risk,
  a recommendation or an external analysis: no case's stage, nothing to count;
* a case's comment, file, view or hand-over (`NO_STAGE`): none of its stages changes;
* anything else: every organisation.

`merzim audit recount` (services/transactions.py `recount_kept`) appends a record of no
organisation, so its commit counts the whole table again; `differences` compares the rows with a
recount (what it reports, and what the tests compare)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, event, func, insert
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from workflow.storage import models
from workflow.storage.models import COMMENTS, HANDOVER, OPEN, Case, Organisation, Stage, table_of
from workflow.storage.queries import built, select_columns, standing

PENDING = "merzim.kept_pending"  # [transaction, organisation ids or None: every one]
# the entities whose writes change no case's stage
QUIET = frozenset(("user", "programme", "view", "outbox", "risk", "recommendation",
                   "external_analysis"))
BY_CASE = frozenset(("case", "analysis"))  # entities whose id is a case's
# the actions about a case that change neither its stages nor what is counted of the case
# (its state, dates, withdrawal): a comment, a file, a view of a person's case, a hand-over
# (who answers for a case is not counted here: storage/versions.py moves the people's scopes)
NO_STAGE = COMMENTS | frozenset(("file.attach", "file.void", "file.public", "file.private",
                                 "file.download", "view.person_case", HANDOVER,
                                 "person.disclosed"))
MANY = 2000  # more cases than this in one write: the whole table is counted again
_CHUNK = 500  # organisations recounted per statement
_COLUMNS = ("subject_id", "process", "due_date", "subject_path", "n")


def _subject_in_map(s: Session, case_id: int) -> int | None:
    """The organisation of the case `case_id` when the session holds its row (no statement)."""
    row = s.identity_map.get(identity_key(Case, case_id))
    return None if row is None else row.__dict__.get("subject_id")


def touched(s: Session, records: Iterable[tuple[str, str, Any, Any]]
            ) -> tuple[set[int], set[int]] | None:
    """The organisations whose open stages the writes logged by `records` (action, entity,
    entity id, payload) may change, as (organisation ids, ids of cases whose organisations
    they are: the cases the session does not hold, read by the recount's own statements, so
    that a write sends no read after its first write); None: any."""
    cases: set[int] = set()
    orgs: set[int] = set()
    codes: set[str] = set()
    for action, entity, entity_id, _payload in records:
        if not changes_stages(action, entity):
            continue
        key = str(entity_id)
        if entity in BY_CASE and key.isdigit():
            subject = _subject_in_map(s, int(key))
            (cases.add(int(key)) if subject is None else orgs.add(subject))
        elif entity == "organisation":
            (orgs.add(int(key)) if key.isdigit() else codes.add(key))
        else:
            return None
        if len(cases) > MANY:
            return None
    if codes:
        found = s.exec(select(Organisation.id).where(col(Organisation.code).in_(codes))).all()
        if len(found) != len(codes):
            return None
        orgs.update(i for i in found if i is not None)
    return orgs, cases


def changes_stages(action: str, entity: str) -> bool:
    """Whether a write logged as `action` about `entity` may change a case's stages or the
    case itself (what the counts kept here, a manager's escalations and the stages' items of
    the notification centres read: storage/versions.py moves their versions by it)."""
    return entity not in QUIET and not (entity in BY_CASE and action in NO_STAGE)


def note(s: Session, records: Sequence[tuple[str, str, Any, Any]]) -> None:
    """Have the rows of the organisations `records` touched counted again when the session's
    transaction commits (nothing if it is rolled back)."""
    found = touched(s, records)
    if found is not None and not found[0] and not found[1]:
        return
    root = s.get_transaction()
    pending = s.info.get(PENDING)
    if pending is None or pending[0] is not root:
        pending = s.info[PENDING] = [root, (set(), set())]
        if not s.info.get(PENDING + ".listening"):
            s.info[PENDING + ".listening"] = True
            event.listen(s, "before_commit", _before_commit)
    if found is None or pending[1] is None:
        pending[1] = None
    else:
        pending[1][0].update(found[0])
        pending[1][1].update(found[1])


def _before_commit(s: Session) -> None:
    if s.in_nested_transaction():  # a savepoint released (a bulk item): not the commit
        return
    pending = s.info.pop(PENDING, None)
    if pending is None or pending[0] is not s.get_transaction():
        return
    s.flush()  # (before_commit runs before the commit's own flush)
    if pending[1] is None:
        recount(s, None)
    else:
        recount(s, *pending[1])


def _counted(where: Sequence[Any] = ()) -> Any:
    """SELECT the rows of `OpenStageCount` from the stage table (of the organisations
    `where` keeps)."""
    return (select_columns(Stage.subject_id, Case.process, Stage.due_date,
                           func.max(Stage.subject_path), func.count())
            .select_from(Stage).join(Case, col(Case.id) == Stage.case_id)
            .where(Stage.status == OPEN, col(Stage.due_date).is_not(None),
                   standing(Stage.case_id), *where)
            .group_by(col(Stage.subject_id), col(Case.process), col(Stage.due_date)))


def recount(s: Session, orgs: set[int] | None, cases: Iterable[int] = ()) -> None:
    """Count the rows of the organisations `orgs` and of those of the cases `cases` (`orgs`
    None: of every one) again from the stage table, in the session's transaction: the stages
    found by their organisations' paths, which the stages' (path, status, due date, case)
    index finds (an organisation's path never changes); two statements per 500."""
    table = table_of(models.OpenStageCount)
    conn = s.connection()
    if orgs is None:
        conn.execute(delete(table))
        conn.execute(insert(table).from_select(_COLUMNS, _counted()))
        return
    parts = [select(Organisation.id).where(col(Organisation.id).in_(part))
             for part in _chunks(orgs)]
    parts += [select(Case.subject_id).where(col(Case.id).in_(part)) for part in _chunks(cases)]
    for ids in parts:
        subjects = ids.scalar_subquery()
        paths = select(Organisation.path).where(col(Organisation.id).in_(subjects))
        conn.execute(delete(table).where(table.c.subject_id.in_(subjects)))
        conn.execute(insert(table).from_select(
            _COLUMNS, _counted([col(Stage.subject_path).in_(paths.scalar_subquery())])))


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    ordered = sorted(ids)
    return [ordered[i:i + _CHUNK] for i in range(0, len(ordered), _CHUNK)]


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
    return {path: int(n) for path, n in s.exec(query).all() if n}


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
    return int(s.exec(query).one())
