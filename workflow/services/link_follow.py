"""A linked entry follows its procedure (B-24): when the outcome that opened a register entry
is voided and another outcome of the procedure recorded (a gift first recorded as not handed
over, then as handed over), the entry takes what the new outcome's `[[link]]` gives — its
carried dates and fields (`detected`: the day the gift was received) and its act (the entry's
`gift_handed_over` with the hand-over act) — and an act of the voided outcome's link that the
new one does not record is voided on the entry. So the score, appendix 2, the national input
and the register list read the same fact.

One handler of what the generic record path announces (services/hooks.py: `recorded`, for the
definitions with `[[link]]` tables; `editing`, for every correction: a linked case's kind and
person are not corrected, `links.guard_linked_edit`); it carries values the way the confirmation does
(services/links.py: `_carried`, `open_linked`). Both trails say it (`case.follow`, with the
values it changed, shown in each history: services/case_trail.py). An entry linked after the
fact (entered by hand) stands on its own and is not changed; nor is a withdrawn or cancelled
one, nor an entry while another outcome of its links still stands on the case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from workflow.core.case_links import LinkSpec
from workflow.core.definition import Definition
from workflow.core.errors import RuleViolation
from workflow.services.case_opening import cancelled_states
from workflow.services.case_plan import records_of, sync
from workflow.services.context import Context
from workflow.services.hooks import Moved, StageRow
from workflow.services.links import (
    _carried,
    _fits,
    _specs_to,
    fact_day_of,
    guard_linked_edit,
    links_for,
)
from workflow.services.processes import definition_of
from workflow.storage import audit
from workflow.storage.models import EVENT, Case, CaseLink, EventRecord
from workflow.storage.queries import links as link_queries

FOLLOW = "case.follow"  # both trails: the entry took the values of the procedure's new outcome


def follow(s: Session, ctx: Context, case: Case, record: EventRecord) -> list[Case]:
    """The entries the case opened that follow `record` (just recorded): those whose opening
    outcome no longer stands and that `record`'s event links to the same register and kind.
    Returns them, changed and audited."""
    if record.kind != EVENT:
        return []
    specs = [sp for sp in links_for(s, ctx, case) if sp.on == record.event]
    if not specs:
        return []
    out: list[Case] = []
    for lk in link_queries.links_of(s, case.id):
        if lk.from_case_id != case.id or lk.event is None:  # (linked after the fact: its own)
            continue
        entry = s.get(Case, lk.to_case_id)
        if entry is None or entry.withdrawn_at is not None:
            continue
        target = definition_of(s, ctx, entry)
        if entry.state in cancelled_states(target):
            continue
        spec = next((sp for sp in specs if sp.opens == entry.process and _fits(sp, entry)), None)
        if spec is None:
            continue
        events = {sp.on for sp in _specs_to(s, ctx, case, entry.process)}
        if any(r.kind == EVENT and r.event in events and r.voided_by_id is None
               and r.id != record.id for r in records_of(s, case)):
            continue  # an outcome still backs it: the entry is that one's
        _take(s, ctx, case, entry, target, spec, record, lk)
        out.append(entry)
    return out


def _take(s: Session, ctx: Context, case: Case, entry: Case, target: Definition,
          spec: LinkSpec, record: EventRecord, lk: CaseLink) -> None:
    """The entry takes the new outcome's carried values and act; both trails say so."""
    from workflow.services.recording import record_event, replanned, stage_dues, void_record

    defn = definition_of(s, ctx, case)
    fields, dates = _carried(defn, target, case, spec, record, fact_day_of(ctx, defn))
    old: dict[str, dict[str, Any]] = {"fields": {}, "dates": {}}
    new: dict[str, dict[str, Any]] = {"fields": {}, "dates": {}}
    mine = dict(entry.fields or {})
    for key, value in fields.items():
        if key in spec.carry and mine.get(key) != value:
            old["fields"][key], new["fields"][key] = mine.get(key), value
            mine[key] = value
    given = dict(entry.dates or {})
    for key, day in dates.items():
        if given.get(key) != day.isoformat():
            old["dates"][key], new["dates"][key] = given.get(key), day.isoformat()
    before = stage_dues(s, entry)
    if new["dates"] or new["fields"]:
        entry.fields = mine or None
        _redated(s, ctx, entry, target, {**given, **new["dates"]})
    lk.event = spec.on  # the outcome that backs it now (voiding it names the entry)
    s.add(lk)
    s.flush()
    voided = _void_other_acts(s, ctx, case, entry, spec, record, void_record)
    act = None
    if spec.record is not None and spec.record in target.events \
            and entry.state not in target.final_states \
            and not any(r.kind == EVENT and r.event == spec.record and r.voided_by_id is None
                        for r in records_of(s, entry)):
        evidence = {k: (record.evidence or {}).get(theirs)
                    for k, theirs in spec.record_evidence.items()}
        act = record_event(s, ctx, entry.id or 0, spec.record, record.on,
                           {k: str(v) for k, v in evidence.items() if v not in (None, "")},
                           audit_extra={"from": {"case": case.id, "record": record.id}}).id
    moved = replanned(before, s, entry)
    common = {"event": spec.on, "record": record.id, "on": record.on, "old": old, "new": new}
    audit.append(s, ctx.actor, FOLLOW, "case", entry.id,
                 {"other": case.id, "process": case.process, "role": "made_by", **common,
                  "entry_record": act,
                  "voided": voided, **moved})
    audit.append(s, ctx.actor, FOLLOW, "case", case.id,
                 {"other": entry.id, "process": entry.process, "role": "made", **common})


def _redated(s: Session, ctx: Context, entry: Case, target: Definition,
             given: dict[str, Any]) -> list[Moved]:
    """The entry's given dates set to `given` (the day it was dated by, its counting year
    B-17, moved with them when it was theirs), re-planned and its fact identity kept
    (`sync`): what moved."""
    def counted(dates: Mapping[str, Any]) -> list[date]:
        return [date.fromisoformat(v) for k, v in dates.items()
                if k in target.dates and target.dates[k].given != "none"]

    days = counted(entry.dates or {})
    derived = bool(days) and entry.case_date == min(days)
    entry.dates = given
    if derived:
        entry.case_date = min(counted(given))
    s.add(entry)
    s.flush()
    return sync(s, ctx, entry, target)


def _void_other_acts(s: Session, ctx: Context, case: Case, entry: Case, spec: LinkSpec,
                     record: EventRecord, void_record: Any) -> list[int]:
    """Void on the entry the standing acts the case's other links record and the new
    outcome's does not (a hand-over act, the gift now recorded as not handed over); returns
    the voided records' numbers."""
    others = {sp.record for sp in _specs_to(s, ctx, case, entry.process)
              if sp.record is not None and sp.record != spec.record}
    out: list[int] = []
    for r in records_of(s, entry):
        if r.kind == EVENT and r.event in others and r.voided_by_id is None:
            void_record(s, ctx, entry.id or 0, str(r.id), f"#{case.id} → #{record.id}")
            out.append(r.id or 0)
    return out


@dataclass(frozen=True)
class FactDays:
    """What `carry_fact_days` did: the entries that now count on their procedure's fact day,
    and those left as they were because another standing entry holds that fact already
    (entry, its procedure's case, the entry holding the fact)."""

    moved: tuple[int, ...] = ()
    held: tuple[tuple[int, int, int], ...] = ()


def carry_fact_days(s: Session, ctx: Context) -> FactDays:
    """The entries a procedure's outcome opened before its definition declared the day of its
    fact (B-27): their counting date carried the outcome's day (the day it was recorded), so
    a December gift recorded in January counts in January's year. Each such entry -- its
    counting date still the outcome's day, and not the fact's -- takes the procedure case's
    stored fact day (`fact_day_of`: its version's, else the current definition's), its fact
    identity with it, audited on both trails as a link followed (`FOLLOW`). An entry whose
    date was set otherwise (corrected by hand) is left alone, so the step changes nothing the
    second time. An entry whose fact another standing entry already holds (HR's typed
    December entry) is left as it was and named (`held`): which stands is the officer's
    choice (link them, or withdraw one). One transaction; the writers' lock taken first."""
    from workflow.services import facts

    days: dict[str, str] = {}
    for procedure in ctx.registry.all():
        named = fact_day_of(ctx, procedure)
        if named is not None and procedure.links:
            days[procedure.key] = named
    found = link_queries.made_by_outcomes(s, days)
    if not found:
        return FactDays()
    audit.serialise(s)
    moved: list[int] = []
    held: list[tuple[int, int, int]] = []
    for lk, case, entry in found:
        defn = definition_of(s, ctx, case)
        target = definition_of(s, ctx, entry)
        rule = facts.rule_of(target)
        day = case.given().get(fact_day_of(ctx, defn) or "")
        record = _outcome_record(s, case, lk.event)
        if rule is None or day is None or record is None \
                or entry.state in cancelled_states(target):
            continue
        counted = (entry.dates or {}).get(rule.year_of)
        if counted == day.isoformat() or counted != record.on.isoformat():
            continue  # (on its fact day already, or dated otherwise: left alone)
        point = s.begin_nested()
        try:
            _carry_day(s, ctx, case, entry, target, rule.year_of, day, record)
        except RuleViolation as exc:
            if exc.key not in ("rule.fact_standing", "rule.fact_pending_import"):
                raise
            point.rollback()
            s.expire_all()
            held.append((entry.id or 0, case.id or 0, int(exc.params.get("entry") or 0)))
            continue
        point.commit()
        moved.append(entry.id or 0)
    return FactDays(tuple(moved), tuple(held))


def _outcome_record(s: Session, case: Case, event: str | None) -> EventRecord | None:
    """The standing record of the outcome `event` on the case (the last), or None."""
    rows = [r for r in records_of(s, case)
            if r.kind == EVENT and r.event == event and r.voided_by_id is None]
    return rows[-1] if rows else None


def _carry_day(s: Session, ctx: Context, case: Case, entry: Case, target: Definition,
               key: str, day: date, record: EventRecord) -> None:
    """The entry's counting date `key` set to the procedure's fact day (the case's date it
    was dated by with it), re-planned and its fact identity kept (`sync`); both trails say
    so, as a link followed."""
    given = dict(entry.dates or {})
    old = given.get(key)
    moved = _redated(s, ctx, entry, target, {**given, key: day.isoformat()})
    common = {"event": record.event, "record": record.id, "on": record.on,
              "old": {"fields": {}, "dates": {key: old}},
              "new": {"fields": {}, "dates": {key: day.isoformat()}}, "fact_day": True}
    audit.append(s, ctx.actor, FOLLOW, "case", entry.id,
                 {"other": case.id, "process": case.process, "role": "made_by", **common,
                  "entry_record": None, "voided": [],
                  **({"moved": [list(m) for m in moved]} if moved else {})})
    audit.append(s, ctx.actor, FOLLOW, "case", case.id,
                 {"other": entry.id, "process": entry.process, "role": "made", **common})


class _Follows:
    """The engine's `hooks.Listener` of the links: `recorded` (of a definition with `[[link]]`
    tables) moves the entries it opened; `editing` (of any case) refuses a correction of a
    linked case's kind or person."""

    def editing(self, s: Session, ctx: Context, case: Case, definition: Definition,
                person: str | None, fields: Mapping[str, Any]) -> None:
        guard_linked_edit(s, ctx, case, person, dict(fields))

    def recorded(self, s: Session, ctx: Context, case: Case, definition: Definition,
                 record: EventRecord) -> None:
        follow(s, ctx, case, record)

    def voiding(self, s: Session, ctx: Context, case: Case, definition: Definition,
                record: EventRecord) -> None:
        return None  # (the entry keeps its values until another outcome is recorded)

    def facts(self, s: Session, case_ids: Iterable[int]) -> Mapping[int, Any]:
        return {}

    def replan(self, ctx: Context, definition: Definition, stages: Mapping[str, StageRow],
               planned: Mapping[str, StageRow], facts: Any) -> list[Moved]:
        return []


LISTENER = _Follows()
