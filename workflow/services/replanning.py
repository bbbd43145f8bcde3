"""Re-planning every open case at once, after a calendar or interpretation change: the
national register (20,000 open analyses among 1,000,000 stage rows) in seconds.

Which cases: every case with an open stage, as re-planning always did. A decree moving a day
can move any date counted across it, and a date moves every date counted from it, so telling
in advance which open cases a change cannot touch would need the chain of every date of every
case — a second copy of the planner. Re-planning them all costs a few SELECTs and the pure
planner in memory, which is cheap; what was slow was one case at a time through the ORM (about
ten statements a case).

How: the open cases, their records and stages are read in four SELECTs, and what each feature
the definitions switch on keeps of them in one more each (services.hooks: the monitoring's
reports); each case is re-planned in memory with the same pure `Planner`, the same state
replay (`derive_state`), the same features' re-planning (`Listener.replan`) and the same row
rules as `cases.sync` — one re-plan, core/decide.py's `replan`; only the rows that changed are
written, with executemany, in the caller's transaction, and one audit record names every
deadline that moved. The caller commits (all or nothing). tests/services/test_replan_bulk.py proves on
random cases, history included, that the rows and states are exactly those `cases.replan`
gives one case at a time.
"""

from __future__ import annotations

import functools
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session

from workflow.core.deadlines import Facts, Record
from workflow.core.decide import done_evidence, replan
from workflow.reminders import heartbeat
from workflow.services import final_report, hooks
from workflow.services.cases import fresh_dates, switched_off
from workflow.services.context import Context
from workflow.services.processes import definition_of
from workflow.storage import audit
from workflow.storage.models import (
    EVENT,
    NOT_DONE_RECORD,
    OPEN,
    Case,
    Stage,
    table_of,
)
from workflow.storage.queries import organisations as org_queries
from workflow.storage.queries import replanning as queries

STAGE_FIELDS = ("due_date", "projected", "status", "done_on", "evidence")


class _Row:
    """One stage row in memory: its columns as read (evidence as its stored JSON text, decoded
    only when it must be compared), then as re-planned."""

    __slots__ = ("id", "key", *STAGE_FIELDS, "was", "was_evidence")

    def __init__(self, id: int | None, key: str, due_date: date | None = None,
                 projected: bool = False, status: str = OPEN, done_on: date | None = None,
                 evidence: Any = None):
        self.id, self.key = id, key
        self.due_date, self.projected, self.status = due_date, bool(projected), status
        self.done_on = done_on
        self.evidence = evidence  # replaced by the planned value before it is compared
        self.was = (due_date, self.projected, status, done_on) if id is not None else None
        self.was_evidence = evidence

    def values(self) -> tuple:
        evidence = self.evidence
        if evidence is self.was_evidence:  # as read: still its stored text
            evidence = _json(evidence)
        elif isinstance(evidence, _Done):
            evidence = evidence.value()
        return (self.due_date, self.projected, self.status, self.done_on, evidence)

    def changed(self) -> bool:
        if (self.due_date, bool(self.projected), self.status, self.done_on) != self.was:
            return True
        new, old = self.evidence, self.was_evidence
        if new is old:
            return False
        if isinstance(new, _Done):
            if new.same_text(old):
                return False
            new = new.value()
        if new is None or old is None:
            return (new is None) != (old is None or _json(old) is None)
        return new != _json(old)


def _json(value: Any) -> Any:
    """A JSON column read as stored: text on SQLite (decoded here), already decoded by the
    driver on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


@functools.lru_cache(maxsize=1 << 16)
def _day(text: str) -> date:
    return date.fromisoformat(text)  # (a million dates read, a few thousand different ones)


def _date(value: Any) -> date | None:
    """A DATE column read without SQLAlchemy's per-row processing: ISO text on SQLite, a
    date from the driver on PostgreSQL."""
    return _day(value) if isinstance(value, str) else value


class _Record:
    """One event record as the planner's facts need it. Its evidence is decoded when it is
    needed (a done stage's evidence that changed, a monitoring period): most never are."""

    __slots__ = ("id", "kind", "event", "on", "raw", "_evidence", "note", "voided_by_id")

    def __init__(self, row):
        self.id, self.kind, self.event = row[1], row[2], row[3]
        self.on, self.raw, self._evidence = _date(row[4]), row[5], _UNREAD
        self.note, self.voided_by_id = row[6], row[7]

    @property
    def evidence(self) -> dict[str, Any] | None:
        if self._evidence is _UNREAD:
            self._evidence = _json(self.raw)
        return self._evidence

    @property
    def period(self) -> str | None:
        """`evidence["period"]`: stored JSON that names no period (no "period" in its text,
        no escape that could spell one) is not decoded."""
        raw = self.raw
        if raw is None or (isinstance(raw, str) and '"period"' not in raw and "\\" not in raw):
            return None
        return (self.evidence or {}).get("period")


class _Done:
    """A done stage's evidence: the completing record's date and evidence (its `value()` is
    decide.done_evidence), compared with the stored text before anything is decoded."""

    __slots__ = ("record",)

    def __init__(self, record: _Record):
        self.record = record

    def value(self) -> dict[str, Any]:
        return done_evidence(self.record)

    def same_text(self, stored: Any) -> bool:
        """Whether `stored` is, as text, what json.dumps writes for `value()` (a False here
        only means: decode and compare)."""
        rec = self.record
        if not isinstance(stored, str) or not (rec.raw is None or isinstance(rec.raw, str)):
            return False
        head = '{"date": "' + rec.on.isoformat() + '"'
        raw = rec.raw
        if raw is None or raw in ("null", "{}"):
            return stored == head + "}"
        return raw[:1] == "{" and stored == head + ", " + raw[1:]


_UNREAD = object()


@dataclass
class _Dates:
    """What `facts_of` needs of a case: its named dates given at opening."""

    dates: dict[str, Any] | None
    given = Case.given


def _new_row(key: str) -> _Row:
    """A row for a planned stage the case has none for yet (inserted after re-planning)."""
    return _Row(None, key)


def _replan_case(ctx: Context, defn, dates: dict[str, Any], records: list,
                 existing: dict[str, _Row], features: list[tuple[hooks.Listener, Any]],
                 off: frozenset[str] = frozenset(),
                 ) -> tuple[str, list[_Row], list[tuple[str, date | None, date]]]:
    """One case re-planned in memory by the re-plan `cases.sync` uses (core/decide.py's
    `replan`), its facts read as `cases.facts_of` reads them: the new state, the
    stage rows to insert, and (stage, old due, new due) of each open deadline that moved. The
    rows of `existing` are changed in place; `features` are the listeners of the features the
    definition switches on, each with its facts of this case (services.hooks); `off`: the
    stages with no due date, their organisation having switched off merzim's own (I-17)."""
    # as cases.facts_of, reading a record's period without decoding what names none
    standing = [r for r in records if r.voided_by_id is None]
    facts = Facts(_Dates(dates).given(),
                  tuple(Record(r.event, r.on, r.period) for r in standing if r.kind == EVENT),
                  {r.event: r.on for r in standing if r.kind == NOT_DONE_RECORD})

    def replan_features(new: dict[str, _Row]) -> list[tuple[str, date | None, date]]:
        moved: list[tuple[str, date | None, date]] = []
        for listener, feature_facts in features:  # the features' own stages, as cases.sync
            moved += listener.replan(ctx, defn, existing, new, feature_facts)
        return moved

    planned = replan(defn, ctx.calendar, facts, ctx.today, records, existing, _new_row, _Done,
                     off, replan_features)
    return planned.state, list(planned.new.values()), planned.moved


def replan_all(s: Session, ctx: Context) -> list[dict[str, Any]]:  # noqa: C901
    """Re-plan every case with an open stage (the calendar or an interpretation changed);
    report each deadline that moved, in case order, as re-planning one case at a time
    (`cases.replan`) does. Writes only what changed; the caller commits."""
    s.flush()
    conn = s.connection()
    st, cs = table_of(Stage), table_of(Case)
    cases = queries.open_cases(conn)
    if not cases:
        heartbeat.count_replan(conn, 0, time.time())  # /metrics: re-plan runs
        return []
    # the records and stages as the driver gives them: text, numbers, and dates, evidence
    # and flags that `_date`, `_json` and `_Row` take as either driver gives them
    records: dict[int, list] = defaultdict(list)
    for r in queries.open_cases_records(conn):
        records[r[0]].append(_Record(r))
    stages: dict[int, dict[str, _Row]] = defaultdict(dict)
    for case_id, id_, key, due, projected, status, done_on, evidence in \
            queries.open_cases_stages(conn):
        stages[case_id][key] = _Row(id_, key, _date(due), projected, status, _date(done_on),
                                    evidence)
    definitions: dict[tuple[str, int], Any] = {}
    for c in cases:
        version = (c.process, c.process_version)
        if version not in definitions:
            definitions[version] = definition_of(s, ctx, c)
    # what each feature keeps of the cases of the definitions that switch it on, read at once
    listening: dict[int, list[hooks.Listener]] = {
        c.id: hooks.listeners(definitions[(c.process, c.process_version)]) for c in cases}
    feature_facts: dict[int, Any] = {}
    for listener in {id(x): x for xs in listening.values() for x in xs}.values():
        feature_facts[id(listener)] = listener.facts(
            s, [case_id for case_id, xs in listening.items() if listener in xs])
    codes: dict[int, str] = {}  # the subjects' codes, when an organisation switched off (I-17)
    if ctx.own_off:
        codes = org_queries.codes_by_id(conn, {c.subject_id for c in cases})
    levels: dict[int, int] = {}  # a final report's subject: the bodies above it (B-21)
    if any(final_report.is_final_report(d) for d in definitions.values()):
        tree = org_queries.kind_rows(s)  # one query of every organisation's path and kind
        kind_of = {o.id: o.kind for o in tree}
        levels = {o.id: final_report.levels(o.path, kind_of, ctx.consolidating_kinds)
                  for o in tree}
    moved: list[dict[str, Any]] = []
    stage_updates: list[dict[str, Any]] = []
    case_updates: list[dict[str, Any]] = []
    inserts: list[tuple[int, int, _Row]] = []
    for c in cases:
        defn = definitions[(c.process, c.process_version)]
        given = c.dates or {}
        dates = fresh_dates(ctx, defn, c.period, given, levels.get(c.subject_id, 0)
                            if final_report.is_final_report(defn) else 0)
        existing = stages[c.id]
        features = [(x, feature_facts[id(x)].get(c.id)) for x in listening[c.id]]
        off = switched_off(ctx, defn, codes.get(c.subject_id))
        state, new, case_moved = _replan_case(ctx, defn, dates, records[c.id], existing, features,
                                              off)
        for key, old, new_due in case_moved:
            moved.append({"analysis": c.id, "case": c.id, "stage": key, "old": old,
                          "new": new_due, "responsible_id": c.responsible_id})
        for row in existing.values():
            if row.changed():
                stage_updates.append({"b_id": row.id,
                                      **dict(zip(STAGE_FIELDS, row.values(), strict=True))})
        inserts.extend((c.id, c.subject_id, row) for row in new)
        if state != c.state or dates is not given:
            case_updates.append({"b_id": c.id, "state": state,
                                 "dates": c.dates if dates is given else dates})

    if stage_updates:
        conn.execute(update(st).where(st.c.id == bindparam("b_id"))
                     .values({f: bindparam(f) for f in STAGE_FIELDS}), stage_updates)
    if case_updates:
        conn.execute(update(cs).where(cs.c.id == bindparam("b_id"))
                     .values(state=bindparam("state"), dates=bindparam("dates")), case_updates)
    if inserts:
        paths = org_queries.paths_by_id(conn, {subject for _c, subject, _r in inserts})
        conn.execute(insert(st), [
            {"case_id": case_id, "programme_id": None, "key": row.key, "subject_id": subject,
             "subject_path": paths[subject], **dict(zip(STAGE_FIELDS, row.values(), strict=True))}
            for case_id, subject, row in inserts])
    s.expire_all()  # rows the session holds were written around it
    if moved or inserts:  # (stages added by the re-plan change the lists too)
        audit.append(s, ctx.actor, "calendar.replan", "case", "*",
                     {"moved": moved, **({"added": len(inserts)} if inserts else {})})
    heartbeat.count_replan(conn, len(moved), time.time())  # /metrics: re-plan runs
    return moved
