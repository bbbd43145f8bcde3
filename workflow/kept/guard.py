"""Nothing changes a stage behind the audit's back: a transaction that writes a `Stage` or a
`Case` row commits only if it appended to the audit chain a record naming that case, its
organisation, or what cannot be narrowed (a sync, an import: every organisation), by an action
that may change stages (kept/touch.py `changes_stages`: a comment names no stage; a hand-over,
which changes only who answers for the case, is named by any record of the case).

The kept figures hold by this (kept/counts.py, kept/versions.py): the counts of open stages
and the lists' versions are moved by the records a write appends, at its commit. A stage
flushed without its record would leave `open_stage_count` wrong until `merzim audit recount`
and the lists stale; so the session remembers, at each flush, the stages and cases it
writes (`after_flush`), the appends say what they touch (`cover`, from `versions.move`), and
the commit refuses (`Unaudited`, a programming error: the transaction is rolled back) a
written row no record covers. A programme's stage (of no case) needs an append of the
transaction, whatever it names. What a savepoint wrote and rolled back is forgotten with it.

Writes that bypass the ORM (SQL statements: migrations, the tests' direct writes) are not
seen here: the database's own constraints and `merzim audit verify`/`recount` answer for those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.base import NO_VALUE
from sqlmodel import Session, col, select

from workflow.kept.touch import Touch
from workflow.storage.audit import descends
from workflow.storage.models import Case, Organisation, Stage

WRITTEN = "merzim.audited_written"  # [(transaction, kind, case id, subject id, what)]
COVER = "merzim.audited_cover"  # [root transaction, Cover]
# a case's columns whose change no kept count reads (who answers for it: a hand-over's record,
# which changes no stage, names it)
WHO = frozenset(("responsible_id",))
_WATCHED = (Stage, Case)  # the rows whose writes need a record


class Unaudited(RuntimeError):
    """A transaction wrote a stage or a case no audit record of it names."""


@dataclass
class Cover:
    """What the appends of one transaction name: cases whose stages the records may change
    (`cases`; `named`: any record of the case, a comment or a hand-over too), organisations
    (by id or code), or `everything` (a record that cannot be narrowed); `appended`: any
    record at all."""

    cases: set[int] = field(default_factory=set)
    named: set[int] = field(default_factory=set)
    orgs: set[int] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    everything: bool = False
    appended: bool = False


def cover(s: Session, touch: Touch) -> None:
    """Note what a write's appends touch (kept/touch.py), for the commit's check
    (kept/versions.py `move`)."""
    root = s.get_transaction()
    kept = s.info.get(COVER)
    if kept is None or kept[0] is not root:
        kept = s.info[COVER] = [root, Cover()]
    found: Cover = kept[1]
    found.appended = True
    found.named.update(touch.cases)
    found.cases.update(touch.staged)
    found.orgs.update(touch.orgs)
    found.codes.update(touch.codes)
    found.everything = found.everything or touch.stages_anywhere


def _innermost(s: OrmSession) -> Any:
    return s.get_nested_transaction() or s.get_transaction()


def _after_flush(s: OrmSession, _context: Any) -> None:
    """The stages and cases this flush wrote (the session's lists still as before the flush,
    the rows' ids given)."""
    rows: list[tuple[str, Any, set[str] | None]] = []
    for obj in s.new:
        if isinstance(obj, _WATCHED):
            rows.append(("new", obj, None))
    for obj in s.deleted:
        if isinstance(obj, _WATCHED):
            rows.append(("deleted", obj, None))
    for obj in s.dirty:
        if isinstance(obj, _WATCHED):
            columns = _changed(obj)
            if columns:  # (a row set to the values it had is not written)
                rows.append(("changed", obj, columns))
    if not rows:
        return
    tx = _innermost(s)
    written = s.info.setdefault(WRITTEN, [])
    for how, obj, changed in rows:  # (what each is told only if it is refused: `_what`)
        if isinstance(obj, Stage):
            written.append((tx, "stage", obj.case_id, obj.subject_id, (obj.key, how)))
        else:
            written.append((tx, "who" if changed is not None and changed <= WHO else "case",
                            obj.id, obj.subject_id, (None, how)))


def _what(kind: str, case_id: int | None, row: tuple[str | None, str]) -> str:
    """What a written row is, as `Unaudited` tells it."""
    key, how = row
    return (f"stage {key!r} of case {case_id} ({how})" if kind == "stage"
            else f"case {case_id} ({how})")


def _changed(obj: Any) -> set[str]:
    """The columns of a row this flush changes: of those it holds an earlier value of, the
    value now not equal to it (as a scalar attribute's history tells a change, without
    building the history; the models of `_WATCHED` have no relationship or collection)."""
    state = instance_state(obj)
    if not state.modified:
        return set()
    attributes, values = state.manager, state.dict
    return {key for key, before in state.committed_state.items()
            if attributes[key].impl.is_equal(values.get(key, NO_VALUE), before) is not True}


def _after_soft_rollback(s: OrmSession, previous: Any) -> None:
    """A transaction or savepoint rolled back: what it wrote is not written."""
    written = s.info.get(WRITTEN)
    if written:
        s.info[WRITTEN] = [w for w in written if not descends(w[0], previous)]


def _after_transaction_end(s: OrmSession, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost: committed or rolled back, it is over
        s.info.pop(WRITTEN, None)
        kept = s.info.get(COVER)
        if kept is not None and kept[0] is transaction:
            s.info.pop(COVER, None)


def check(s: OrmSession) -> None:
    """Refuse the commit (`Unaudited`) of a transaction that wrote a stage or a case no
    record of it names (kept/commit.py calls it when the transaction commits, its last flush
    done)."""
    written = s.info.get(WRITTEN)
    if not written:
        return
    root = s.get_transaction()
    written = [w for w in written if descends(w[0], root)]
    if not written:
        return
    kept = s.info.get(COVER)
    found: Cover = kept[1] if kept is not None and kept[0] is root else Cover()
    missing = uncovered(s, found, written)
    if missing:
        s.info.pop(WRITTEN, None)
        raise Unaudited(f"{len(missing)} row(s) written without an audit record naming them: "
                        + "; ".join(missing[:5]))


def uncovered(s: OrmSession, found: Cover, written: Iterable[tuple]) -> list[str]:
    """The written rows (what each is) that the appends' cover does not name."""
    if found.everything:
        return []
    orgs = set(found.orgs)
    if found.codes:
        orgs.update(i for i in s.execute(select(Organisation.id).where(
            col(Organisation.code).in_(found.codes))).scalars() if i is not None)
    out = []
    for _tx, kind, case_id, subject_id, row in written:
        if kind == "stage" and case_id is None:  # a programme's: any record of the write
            if not found.appended:
                out.append(_what(kind, case_id, row))
        elif kind == "who" and case_id in found.named:  # who answers: any record of it
            continue
        elif case_id not in found.cases and subject_id not in orgs:
            out.append(_what(kind, case_id, row))
    return out


def install() -> None:
    """Listen to every session's flushes and transactions (once); the commit's check is
    called by kept/commit.py."""
    if not event.contains(OrmSession, "after_flush", _after_flush):
        event.listen(OrmSession, "after_flush", _after_flush)
        event.listen(OrmSession, "after_soft_rollback", _after_soft_rollback)
        event.listen(OrmSession, "after_transaction_end", _after_transaction_end)


install()
