"""One fact once (B-23, P-22), kept by the services and enforced by the database.

* `identity`: the fact an entry would record, its organisation aside (core/facts.py's rule
  of the entry's register; None: the register has no fact identity). **The one definition
  of a repeat**: the opening duplicate rule (`case_opening.repeat_key`), the confirmation of
  a linked entry (`links.same_entries`) and the register import's fingerprint compare it.
* `probable`: a probable repeat (B-26: the name differs by initials, word order, a missing
  patronymic or Kazakh letters), asked by the same paths beside `identity`: shown beside the
  standing entry, linked or kept with a reason, never merged.
* `keep`: the entry's stored identity (`fact_key`) from its current columns and state: none in
  a cancelling state (entered by mistake), a second's distinguishing part kept.
* `lock_sources`: the row lock every write that can make an entry stand or fall takes on the
  procedure's cases involved (open-linked, void, link, unlink, restore, withdraw, a
  correction): `SELECT … FOR NO KEY UPDATE` on PostgreSQL in id order, then the writers' lock
  (SQLite's single writer: `BEGIN IMMEDIATE`) — the row before the writers' lock, as a record
  takes them (its case's row written, then the audit chain appended) — then everything the
  session holds is read again, so a record voided or an entry opened on the other node a
  moment before is seen.
* `check_restore`: a second restored is refused while another second of its fact stands.
* `verify`: `audit verify`'s check of every standing entry's key against the one computed
  again, naming the keys left empty, altered or stale and the facts two entries hold.
* `standing_flush`: a flush that makes an entry stand, whose refusal by the partial unique
  indexes (migration 0028) is turned into `rule.fact_standing`, naming the standing entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workflow.core.definition import Definition
from workflow.core.errors import RuleViolation
from workflow.core.facts import SECOND, FactRule, fact_key, fact_of_key
from workflow.storage import audit
from workflow.storage.models import Case, CaseLink

FACT_INDEX, SOURCE_INDEX = "fact_key", "fact_source"  # what a refusal names (both backends)


def rule_of(defn: Definition) -> FactRule | None:
    """The register's fact rule (None: no fact identity)."""
    return FactRule.of(defn)


def identity(defn: Definition, person: str | None, fields: dict[str, Any] | None,
             dates: dict[str, Any] | None) -> str | None:
    """The fact an entry of `defn` with these values records, its organisation aside: what a
    repeat is (B-23). None: the register has no fact identity, or the values no person or
    year."""
    rule = rule_of(defn)
    return rule.fact(person, fields, dates) if rule is not None else None


def probable(defn: Definition, person: str | None, fields: dict[str, Any] | None,
             dates: dict[str, Any] | None, other: Case) -> bool:
    """Whether `other` is a probable repeat of an entry of `defn` with these values (B-26:
    the same kind and year, the person's name probably the same; core/facts.py)."""
    rule = rule_of(defn)
    return rule is not None and rule.probable(person, fields, dates, other.person_name,
                                              other.fields, other.dates)


def cancelling(defn: Definition) -> set[str]:
    """The states a terminal event leads to: an entry there records no fact."""
    return {e.dest for e in defn.events.values() if e.terminal and e.dest}


def key_for(defn: Definition, case: Case, reason: str | None = None) -> str | None:
    """The identity `case` holds now: none in a cancelling state; a second keeps its part
    (or takes `reason`'s)."""
    if case.state in cancelling(defn):
        return None
    fact = identity(defn, case.person_name, case.fields, case.dates)
    key = fact_key(case.subject_id, fact, reason)
    if key is None or reason:
        return key
    held = case.fact_key or ""
    part = held[len(fact_of_key(held) or ""):] if SECOND in held else ""
    return key + part


def keep(defn: Definition, case: Case, reason: str | None = None) -> None:
    """Set the case's stored identity from what it holds now (the caller flushes)."""
    case.fact_key = key_for(defn, case, reason)


def reason_of(s: Session, case: Case) -> str | None:
    """The reason a case was opened with as a second of a fact (its `case.open` record)."""
    import json

    from workflow.storage.queries.audit import trail_of

    for record in trail_of(s, "case", str(case.id), ("case.open",)):
        try:
            reason = json.loads(record.payload).get("duplicate_reason")
        except (ValueError, AttributeError):
            reason = None
        if reason:
            return str(reason)
    return None


def refresh(s: Session, defn: Definition, case: Case, name: str) -> None:
    """Keep a standing case's identity after its values or state changed (`cases.sync`): an
    entry cancelled holds none; one that stands again (its cancellation voided) takes it back,
    refused (`rule.fact_standing`) while another entry of the fact stands."""
    if case.withdrawn_at is not None or rule_of(defn) is None:
        return
    new = key_for(defn, case)
    if new == case.fact_key:
        return
    if case.fact_key is None and new is not None:
        with s.no_autoflush:
            if _holder(s, case.process, new, None, case.id) is not None:
                reason = reason_of(s, case)
                new = key_for(defn, case, reason) if reason else new
    case.fact_key = new
    s.add(case)
    standing_flush(s, [case], name)


def lock_sources(s: Session, ids: Iterable[int | str | None]) -> None:
    """Take the writers' lock, then lock the cases `ids` and the procedures' cases their
    standing links come from (PostgreSQL, in id order), then forget what the session read: the
    next read sees what the other writers committed. The writers' lock comes first, as in
    every other writer (bulk actions, imports, obligations): a case row locked before it could
    wait on a writer that holds it and waits on the row (a deadlock)."""
    audit.serialise(s)
    wanted = {int(i) for i in ids if i is not None and str(i).strip().isdigit()}
    if wanted:
        sources = s.exec(select(CaseLink.from_case_id).where(
            col(CaseLink.to_case_id).in_(sorted(wanted)),
            col(CaseLink.unlinked_at).is_(None))).all()
        wanted |= {int(x) for x in sources}
        if s.get_bind().dialect.name == "postgresql":
            # FOR NO KEY UPDATE: it queues every other locker and writer of these rows, and
            # leaves the inserts whose foreign key names them (a record, a stage, a link)
            # alone (storage/queries/accounts.py `user_for_update` says why)
            s.execute(text("SELECT id FROM process_case WHERE id = ANY(:ids) ORDER BY id "
                           "FOR NO KEY UPDATE"), {"ids": sorted(wanted)})
    s.flush()
    s.expire_all()


def _holder(s: Session, process: str, key: str | None, source: int | None,
            other_than: int | None) -> Case | None:
    """The standing entry holding an identity or a source."""
    if key is not None:
        where = col(Case.fact_key) == key
    elif source is not None:
        where = col(Case.fact_source) == source
    else:
        return None
    found = s.exec(select(Case).where(Case.process == process, where,
                                      col(Case.withdrawn_at).is_(None),
                                      col(Case.id) != (other_than or 0))
                   .order_by(col(Case.id))).first()
    return found


def refusal(case_id: int | None, holder: Case | int | None, name: str,
            pending: tuple[str, str] | None = None) -> RuleViolation:
    """`rule.fact_standing`: the entry would be a second standing entry of one fact; or
    (`pending`: the unfinished import that wrote the holder, hidden from every list) the
    refusal naming that import and how to finish or roll it back."""
    entry = holder.id if isinstance(holder, Case) else holder
    if pending is not None:
        return RuleViolation(f"case {case_id or '—'}: entry {entry} of unfinished import "
                             f"{pending[0]} stands for this fact already",
                             key="rule.fact_pending_import", id=case_id or "—",
                             entry=entry or "—", name=name, process=pending[1],
                             **{"import": pending[0]})
    return RuleViolation(f"case {case_id or '—'}: entry {entry} stands for this fact already",
                         key="rule.fact_standing", id=case_id or "—", entry=entry or "—",
                         name=name)


def check_free(s: Session, case: Case, name: str) -> None:
    """Refuse, before writing, an entry whose identity or source a standing entry holds (the
    index refuses it all the same: `standing_flush`)."""
    holder = _holder(s, case.process, case.fact_key, None, case.id) or \
        _holder(s, case.process, None, case.fact_source, case.id)
    if holder is not None:
        from workflow.storage.queries.imports import pending_of  # (a refusal's: not status's)

        raise refusal(case.id, holder, name, pending_of(s, int(holder.id or 0)))


def standing_flush(s: Session, cases: Iterable[Case], name: str) -> None:
    """Flush cases that stand, first refusing one whose identity or source a standing entry
    holds (`check_free`, naming it); when the database refuses all the same (a writer that
    did not take the lock, another node), refuse naming the standing entry as committed (read
    on a connection of its own: the session's transaction is lost with the refusal)."""
    cases = list(cases)
    held = [(c.id, c.process, c.fact_key, c.fact_source) for c in cases]
    with s.no_autoflush:
        for case in cases:
            check_free(s, case, name)
    try:
        s.flush()
    except IntegrityError as exc:
        said = str(exc.orig)
        if FACT_INDEX not in said and SOURCE_INDEX not in said and "uq_case_fact" not in said:
            raise
        raise _refused(s, held, name) from None


def _refused(s: Session, held: list[tuple], name: str) -> RuleViolation:
    from workflow.storage.queries.imports import pending_of

    engine: Engine = s.get_bind().engine
    with engine.connect() as conn:
        for case_id, process, key, source in held:
            for column, value in ((Case.fact_key, key), (Case.fact_source, source)):
                if value is None:
                    continue
                found = conn.execute(select(Case.id).where(
                    Case.process == process, col(column) == value,
                    col(Case.withdrawn_at).is_(None),
                    col(Case.id) != (case_id or 0))).first()
                if found is not None:
                    return refusal(case_id, found[0], name, pending_of(conn, int(found[0])))
    return refusal(held[0][0] if held else None, None, name)


def check_restore(s: Session, case: Case, name: str) -> None:
    """A second entry of a fact (a `#` part) restored is refused while another second of
    that fact stands, whatever its reason's words: restored beside a second typed again with
    a reason worded otherwise, one fact would count three times (`rule.fact_standing`)."""
    key = case.fact_key or ""
    if SECOND not in key:
        return
    fact = (fact_of_key(key) or "") + SECOND
    for other in s.exec(select(Case).where(
            Case.process == case.process, col(Case.fact_key).like(f"{fact}%"),
            col(Case.withdrawn_at).is_(None), col(Case.id) != (case.id or 0))
            .order_by(col(Case.id))):
        if (other.fact_key or "").startswith(fact):
            raise refusal(case.id, other, name)


@dataclass(frozen=True)
class FactProblem:
    """A register entry whose stored fact identity is not what its values make it (its key
    left empty, altered, or its person renamed past the services: `held` against `expected`),
    or a fact two standing entries hold (`cases`)."""

    process: str
    cases: tuple[int, ...]
    expected: str | None
    held: str | None = None


def verify(s: Session, ctx: Any) -> list[FactProblem]:
    """`audit verify`: every standing entry of a register with a fact identity, its key
    computed again by the one normaliser (core/facts.py, in Python: the database cannot
    normalise Unicode) and compared with the stored one; then the facts held by more than one
    standing entry (a second's part kept as stored). Reads in pages of 1,000."""
    from workflow.services.processes import definition_of

    keys = [d.key for d in ctx.registry.all() if rule_of(d) is not None]
    out: list[FactProblem] = []
    held: dict[tuple[str, str], list[int]] = {}
    last = 0
    while keys:
        page = s.exec(select(Case).where(col(Case.process).in_(keys),
                                         col(Case.withdrawn_at).is_(None),
                                         col(Case.id) > last)
                      .order_by(col(Case.id)).limit(1000)).all()
        if not page:
            break
        for case in page:
            last = int(case.id or 0)
            try:
                defn = definition_of(s, ctx, case)
            except Exception:  # noqa: BLE001 - a version not stored: its key is not checked
                continue
            expected = key_for(defn, case)  # (a second keeps its stored part)
            if expected != case.fact_key:
                out.append(FactProblem(case.process, (last,), expected, case.fact_key))
            if expected is not None:
                held.setdefault((case.process, expected), []).append(last)
        s.expunge_all()
    out += [FactProblem(process, tuple(ids), key)
            for (process, key), ids in sorted(held.items()) if len(ids) > 1]
    return out
