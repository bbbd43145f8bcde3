"""Reading one case as the command line, the API and the pages show it (`case_view`): its
dates, stages with their due dates and where they come from, records in words, what may be
recorded next; every view of a case about a person audited; a process's cases listed."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from datetime import date
from types import SimpleNamespace
from typing import Any, NamedTuple, TypeVar

from sqlmodel import Session

from workflow.core import deadlines, periods
from workflow.core.dates import moved_reason
from workflow.core.deadlines import Facts, Planner, Record
from workflow.core.decide import (  # the rules of recording and the one re-plan
    next_events,
)
from workflow.core.decide import too_early as _too_early
from workflow.core.definition import PERIOD_DATES, Definition
from workflow.core.errors import UsageError
from workflow.core.joining import BEFORE_JOINING
from workflow.core.machine import derive_state, reachable_by_timers
from workflow.core.names import name_in
from workflow.services import joining
from workflow.services.case_plan import (
    current_state,
    due_basis,
    facts_of,
    planned_rows,
    records_of,
    stages_of,
)
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.services.organisations import org_name
from workflow.services.processes import definition_of
from workflow.services.recorded import evidence_values, field_values
from workflow.services.views import (
    CaseDate,
    CaseRecord,
    CaseRow,
    CaseSetting,
    CaseStage,
    CaseView,
    Person,
    Withdrawn,
)
from workflow.storage import audit
from workflow.storage.models import (
    EVENT,
    NOT_DONE_RECORD,
    OPEN,
    OVERDUE,
    Case,
    Organisation,
    Stage,
    User,
)
from workflow.storage.queries import cases as case_queries

T = TypeVar("T")


# -- reading one case ---------------------------------------------------------------------------


def shown_status(stage: Stage, today: date, before_joining: bool = False) -> str:
    """A stage's status as shown today: "overdue" for an open stage past its due date, but
    "before_joining" for one its organisation confirms after joining mid-year (B-25: the
    caller asks services/joining.py `stage_before_joining`)."""
    if before_joining:
        return BEFORE_JOINING
    if stage.status == OPEN and stage.due_date is not None and stage.due_date < today:
        return OVERDUE
    return stage.status


def working_days_left(cal, due: date | None, today: date) -> int | None:
    """Working days until `due`; negative when overdue: by the working days since, at least 1
    (a stage due on Friday is already a working day late on Saturday)."""
    if due is None:
        return None
    n = cal.get_working_days_delta(today, due)
    return n if due >= today else -max(1, n)


def _moved_from(ctx: Context, defn: Definition, case: Case, planner: Planner,
                key: str) -> date | None:
    """The date a stage's rule gave before its due date moved off a non-working day (I-1: to
    the next working day; P-3: back to the last one), or None when it did not move: its own
    calendar-date rule, or (a recurring obligation's stage due on its period's due date) the
    period's rule."""
    spec = defn.stages.get(key)
    if spec is None or spec.due is None:
        return None
    moved = planner.unrolled(key)
    if moved is not None or defn.recurrence is None or not case.period:
        return moved
    rule = spec.due
    if rule.anchors != (PERIOD_DATES[2],) or rule.offset != 0 or defn.recurrence.due.roll == "none":
        return None
    try:
        period = periods.parse(case.period)
    except UsageError:
        return None
    nominal = periods.due_date(ctx.calendar, period,
                               dataclasses.replace(defn.recurrence.due, roll="none"))
    due = planner.due(key)
    if due is not None and due.date != periods.due_date(ctx.calendar, period,
                                                         defn.recurrence.due):
        return None  # not the rule's day rolled: a subdivision's final report (B-21)
    return nominal if due is not None and nominal != due.date else None


def long_date(t: Callable[..., str], day: date, year: bool = True) -> str:
    """A date in words in the reader's language ("15 April 2028", "15 апреля 2028 г.")."""
    return t("deadline.date" if year else "deadline.day_month", day=day.day, year=day.year,
             month=t(f"deadline.month.{day.month}"))


def moved_note(ctx: Context, nominal: date, due: date) -> str:
    """Why a due date is not the date its rule gave, naming the rule that moved it: "15 April
    2028 is a Saturday: due Monday 17 April — moved forward to the next working day (I-1)";
    a 31 December: moved back to the year's last working day (P-24); P-3 and merzim's own
    dates: the last working day before it."""
    t = _translator(ctx.language)
    off = ctx.calendar.year_days(nominal.year).off.get(nominal)
    if off is not None:
        why = t("deadline.off_holiday", name=off.name(ctx.language))
    elif nominal.weekday() >= 5:
        why = t(f"deadline.off_weekend.{nominal.weekday()}")
    else:
        why = t("deadline.off_holiday", name=ctx.calendar.reason(nominal))
    key = f"deadline.moved_{moved_reason(nominal, due)}"  # the date rule's reason (P-24)
    return t(key, day=long_date(t, nominal), why=why, weekday=t(f"deadline.weekday.{due.weekday()}"),
             due=long_date(t, due, year=due.year != nominal.year))


def case_view(s: Session, ctx: Context, case: Case, show_person: bool = True) -> CaseView:
    """One case as the CLI, the API and the page show it. `show_person` False: a case about a
    person seen by someone procedures.md does not name — its person, evidence and notes are
    left out (stages, due dates and statuses stay)."""
    defn = definition_of(s, ctx, case)
    kept = planned_rows(s, case)  # what a record just re-planned, else read
    subject = _stored(kept[0] if kept else s.get(Organisation, case.subject_id))
    obj = s.get(Organisation, case.object_id) if case.object_id else None
    stages = kept[2] if kept else stages_of(s, case)
    owner = s.get(User, case.responsible_id) if case.responsible_id else None
    rows_ = kept[1] if kept else records_of(s, case)
    facts = facts_of(s, case, rows_)
    planner = Planner(defn, ctx.calendar, facts)
    state = derive_state(defn, facts.records, planner.dates(), ctx.today)
    dynamic = sorted((k for k in stages if k not in defn.stages),
                     key=lambda k: (stages[k].due_date or date.max, k))
    rows = [_case_stage(ctx, defn, case, planner, key, stages[key], show_person, subject)
            for key in [*defn.stages, *dynamic] if key in stages]
    dates = {}
    for name, spec in defn.dates.items():
        value, planned = planner.date(name), planner.date(name, planned=True)
        if value is None:
            continue
        dates[name] = CaseDate(value.date, value.projected, planned.date if planned else None,
                               name_in(spec.names, ctx.language, name))
    recorded = facts.recorded()
    closed = frozenset(k for k, st in stages.items()
                       if st.status in (deadlines.NOT_DONE, deadlines.NOT_APPLICABLE,
                                        *deadlines.DONE))
    span = defn.span
    extra: dict[str, Any] = {}
    if span:  # the internal analysis's own fields, as its commands and pages show them
        start, end = span.start, span.end
        extra["planned_start"] = dates[start].planned if start in dates else None
        extra["planned_end"] = dates[end].planned if end in dates else None
        if facts.records:
            extra["actual_start"] = next((r.on for r in reversed(facts.records)
                                          if start in defn.events[r.event].sets), None)
            extra["actual_end"] = next((r.on for r in reversed(facts.records)
                                        if end in defn.events[r.event].sets), None)
    return CaseView(
        id=_stored(case.id),
        process=defn.key,
        process_version=defn.version,
        process_name=defn.name(ctx.language),
        state=state,
        state_name=name_in(defn.states[state], ctx.language, state),
        subject=subject.code,
        subject_name=org_name(subject, ctx.language),
        object=obj.code if obj else None,
        object_name=org_name(obj, ctx.language) if obj else None,
        period=case.period,
        # a field that may name a person is hidden with the person (procedures.md)
        fields={k: v for k, v in (case.fields or {}).items()
                if show_person or not (k in defn.fields and defn.fields[k].personal)},
        dates=dates,
        responsible=owner.login if owner else None,
        next_events=[e for e in next_events(defn, state, recorded, closed,
                                            ctx.kind_for(defn.key, subject))
                     if not _too_early(defn, planner, e, ctx.today)],
        settings=[CaseSetting(k, name_in(names, ctx.language, k),
                              (str(defn.interpretations.get(k, "")).strip()
                               or _translator(ctx.language)("case.setting_unset")))
                  for k, names in defn.shown.items()],
        warnings=([] if state in defn.final_states
                  else length_warnings(defn, ctx.calendar, planner)),
        stages=rows,
        withdrawn=(Withdrawn(case.withdrawn_at, case.withdrawn_by,
                             case.withdrawn_reason if show_person else None)
                   if case.withdrawn_at is not None else None),
        records=[CaseRecord(_stored(r.id), r.kind, r.event, r.on, r.note if show_person else None,
                            r.voided_by_id is not None,
                            (r.evidence or None) if show_person else None, r.voids_id, r.actor,
                            evidence_values(defn, r.evidence, ctx.language)
                            if show_person else ())
                 for r in rows_],
        person=(Person(case.person_name, case.person_position)
                if show_person and defn.parties.person != "none" else None),
        has_person=defn.parties.person != "none",
        has_planning=span is not None,
        field_values=field_values(defn, {k: v for k, v in (case.fields or {}).items()
                                         if show_person or not (k in defn.fields
                                                                and defn.fields[k].personal)},
                                  ctx.language),
        **extra,
    )


def _stored(value: T | None) -> T:
    """A row's id, or a row a stored one names (never None once stored)."""
    if value is None:
        raise LookupError("a stored row has no id, or names a row that is missing")
    return value


def _case_stage(ctx: Context, defn: Definition, case: Case, planner: Planner, key: str,
                st: Stage, show_person: bool, subject: Organisation) -> CaseStage:
    """One stage row of the case view."""
    is_open = st.status == OPEN
    nominal = (_moved_from(ctx, defn, case, planner, key)
               if st.due_date and is_open else None)
    sspec = defn.stage_spec(key)
    return CaseStage(
        key=key,
        name=defn.stage_name(key, ctx.language),
        due=st.due_date,
        projected=st.projected,
        status=shown_status(st, ctx.today, joining.stage_before_joining(ctx, st, case, subject)),
        done_on=st.done_on,
        working_days_left=(working_days_left(ctx.calendar, st.due_date, ctx.today)
                           if is_open else None),
        evidence=st.evidence if show_person else None,
        due_basis=due_basis(ctx, defn.key, key, case.period, st.due_date) if st.due_date else "",
        source=sspec.source if sspec is not None else "",
        moved_from=nominal,
        moved_note=(moved_note(ctx, nominal, st.due_date)
                    if nominal is not None and st.due_date is not None else None),
        values=evidence_values(defn, st.evidence, ctx.language) if show_person else (),
    )


def _translator(language: str):
    from workflow.i18n import Translator

    return Translator(language)


def audit_person_view(s: Session, ctx: Context, view: CaseView) -> None:
    """Every view of a case about a person is audited (procedures.md, last section)."""
    if view.has_person:
        audit_person_seen(s, ctx, view.id, view.person is not None)


def audit_person_seen(s: Session, ctx: Context, case_id: int, shown: bool) -> None:
    """A case about a person seen, with its person shown or hidden (procedures.md)."""
    audit.append(s, ctx.actor, "view.person_case", "case", case_id, {"person_shown": shown},
                 changes=False)


def too_long(defn: Definition, cal, start: date, end: date) -> list[dict[str, Any]]:
    """The recommended length (I-4) of an analysis from `start` to `end`: a warning, never a
    refusal (the one copy: planning and the case view share it)."""
    limit_key = defn.span.length_limit if defn.span else None
    if not limit_key:
        return []
    limit = int(defn.interpretations.get(limit_key, 30))
    length = deadlines.case_length(cal, start, end)
    return ([{"code": "too_long", "working_days": length, "limit": limit}]
            if length > limit else [])


def length_warnings(defn: Definition, cal, planner: Planner) -> list[dict[str, Any]]:
    """The recommended length checked on the dates as they stand, actual ones included (I-12)."""
    start, end = (defn.span.start, defn.span.end) if defn.span else (None, None)
    first = planner.date(start) if start else None
    last = planner.date(end) if end else None
    if first is None or last is None:
        return []
    return too_long(defn, cal, first.date, last.date)


def analysis_view(s: Session, ctx: Context, case: Case) -> CaseView:
    """The timeline of one analysis (a case view)."""
    return case_view(s, ctx, case)


def list_cases(s: Session, ctx: Context, process: str | None = None, org_code: str | None = None,
               state: str | None = None, limit: int = 1000) -> list[CaseRow]:
    """Cases of a process, in an organisation's subtree, in a state (today's), newest first."""
    if process:
        ctx.registry.get(process)  # an unknown process is refused, not an empty list
    scope = get_org(s, org_code) if org_code else None
    out = []
    for case, org in case_queries.listed(s, process, scope, limit):
        defn = definition_of(s, ctx, case)
        now = current_state(s, ctx, case, defn)
        if state and now != state:
            continue
        out.append(CaseRow(_stored(case.id), case.process, org.code, org_name(org, ctx.language),
                           case.period, case.case_date, now,
                           name_in(defn.states[now], ctx.language, now)))
    return out


def _timer_sources(defn: Definition) -> frozenset[str]:
    """The states a time-driven transition may leave (a stored state there may be stale)."""
    return frozenset(src for t in defn.timers for src in t.source)


# How far back a rolled due date may land before its nominal day (a day off before it, the
# year's end): a default date's lower bound keeps this margin.
_ROLL_MARGIN = 15


def _earliest(defn: Definition, key: str, shift: int = 0, depth: int = 0
              ) -> list[tuple[str, Any, int]] | None:
    """How the named date `key` can lie on or before a day D, as alternatives any of which
    must hold: ("given", key, n) its value given at opening is on or before D - n days;
    ("set", events, n) one of these events, which set it, was recorded on or before D - n.
    None: the definition does not bound it (a date before its anchor, a calendar date).
    From the definition only: a recorded value, the given one, or a default at least its
    anchor's plus the offset's days (less a roll's margin)."""
    spec = defn.dates.get(key.removesuffix(".planned"))
    if spec is None or depth > len(defn.dates) or spec.month_day:
        return None
    out: list[tuple[str, Any, int]] = []
    setters = tuple(e.key for e in defn.events.values() if spec.key in e.sets)
    if setters:
        out.append(("set", setters, shift))
    if spec.given != "none":
        out.append(("given", spec.key, shift))
    rule = spec.default
    if rule is not None:
        if rule.direction != "after" or rule.offset < 0:
            return None
        days = max(0, rule.offset - 1 - _ROLL_MARGIN) \
            if rule.unit in ("working_days", "calendar_days") else 0
        anchors = rule.anchors if rule.combine == "earliest" else rule.anchors[:1]
        for anchor in anchors:
            more = _earliest(defn, anchor, shift + days, depth + 1)
            if more is None:
                return None
            out += more
    return out


def _may_move(ctx: Context, process: str | None) -> list[tuple[str, tuple[str, ...], Any]]:
    """Each timer of each process (of `process` only, when given) as (process, the states it
    leaves, `_earliest` of the date it fires on): a case in one of those states whose date
    may lie on or before today may have been moved by it since its state was stored."""
    return [(d.key, t.source, _earliest(d, t.on)) for d in ctx.registry.all()
            if not (process and d.key != process) for t in d.timers]


def _replayed(ctx: Context, defn: Definition, given: dict[str, Any] | None,
              rows: list[tuple[str, str, Any, Any, bool]]) -> str:
    """The state as of today from what the case was opened with and its records as
    `case_queries.replay_rows` gives them: as `current_state` finds it (the records that
    stand, in order, each timer taken on its date), the planner asked only for the dates the
    timers fire on (the only ones `derive_state` reads)."""
    standing = [r for r in rows if not r[4]]
    facts = Facts({k: v if isinstance(v, date) else date.fromisoformat(v)
                   for k, v in (given or {}).items() if v},
                  tuple(Record(event, _day(on), period)
                        for kind, event, on, period, _ in standing if kind == EVENT),
                  {event: _day(on) for kind, event, on, _, _ in standing
                   if kind == NOT_DONE_RECORD})
    planner = Planner(defn, ctx.calendar, facts)
    dates = {t.on: due for t in defn.timers if (due := planner.date(t.on)) is not None}
    return derive_state(defn, facts.records, dates, ctx.today)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class StateMatch(NamedTuple):
    """The cases of a list in a state today (`match_state`): those a time-driven transition
    may have moved since their state was stored that are in it now (replayed: their numbers,
    ascending) and how many cases are in it in all (with those whose stored state is today's)."""

    matched: tuple[int, ...]
    total: int


def match_state(s: Session, ctx: Context, *, scope: Organisation | None = None,
                only_org_id: int | None = None, process: str | None = None,
                year: int | None = None, state: str) -> StateMatch:
    """Which cases of a list (`page_cases`' filters) are in `state` today, to be paged by
    `page_cases(..., matches=)`: a case no timer may have moved is in its stored state (the
    SQL condition, counted by the database); of those a timer may have moved, only the ones
    whose stored state is `state` or leads to it by timers (`reachable_by_timers`) are replayed from their
    records (a case's state since its last write moves only by its timers): one SELECT of
    their rows, one of their records, one COUNT. What it answers holds until a case of the
    list is written or the day changes (the caller may keep it: `web.kit.views.case_page`)."""
    base = case_queries.page_condition(scope=scope, only_org_id=only_org_id, process=process,
                                       year=year or None)
    moving = _moving(ctx, process)
    defns = _Definitions(s, ctx)
    case_queries.without_jit(s)
    # (the stored states a timer of the processes may leave towards `state`: none, nothing
    # to replay)
    towards = sorted({src for d in ctx.registry.all() if not (process and d.key != process)
                      for t in d.timers for src in t.source
                      if state in reachable_by_timers(d, src)})
    unsure = [row for row in (case_queries.replay_candidates(s, base & moving, towards)
                              if towards else ())
              if row[3] in _timer_sources(defn := defns(row[1], row[2]))
              and state in reachable_by_timers(defn, row[3])]
    memo = _replays(s, ctx)
    todo = [row for row in unsure if (row[0], row[2], *row[4:]) not in memo]
    records = case_queries.replay_rows(s, (row[0] for row in todo)) if todo else {}
    for ident, key, version, _, given, *fingerprint in todo:
        memo[ident, version, given, *fingerprint] = _replayed(
            ctx, defns(key, version), json.loads(given) if given else None,
            records.get(ident, []))
    matched = tuple(row[0] for row in unsure if memo[row[0], row[2], *row[4:]] == state)
    certain = case_queries.stored_state_where(base, moving, state)
    return StateMatch(matched, case_queries.count_where(s, certain) + len(matched))


MARK_STEP = 1000  # a page from offset N walks at most this many cases before its own


class Marks(NamedTuple):
    """How many cases a list holds and the numbers at its every `step`-th position
    (`case_marks`)."""

    total: int
    step: int
    ids: tuple[int, ...]


def case_marks(s: Session, ctx: Context, *, scope: Organisation | None = None,
               only_org_id: int | None = None, process: str | None = None,
               year: int | None = None, step: int = MARK_STEP) -> Marks:
    """How many cases a list (`page_cases`' filters, without a state) holds and the numbers
    at its every `step`-th position, for `page_cases(..., marks=)` (one SELECT; what it
    answers holds until a case of the list is written: the caller may keep it)."""
    if process:
        ctx.registry.get(process)
    base = case_queries.page_condition(scope=scope, only_org_id=only_org_id, process=process,
                                       year=year or None)
    case_queries.without_jit(s)
    total, ids = case_queries.marks_where(s, base, step)
    return Marks(total, step, ids)


class _Definitions:
    """The definitions of the cases of a list, each (process, version) looked up once."""

    def __init__(self, s: Session, ctx: Context) -> None:
        self.s, self.ctx = s, ctx
        self.found: dict[tuple[str, int], Definition] = {}

    def __call__(self, process: str, version: int) -> Definition:
        defn = self.found.get((process, version))
        if defn is None:
            defn = self.found[process, version] = definition_of(
                self.s, self.ctx, SimpleNamespace(process=process, process_version=version))
        return defn


def page_cases(s: Session, ctx: Context, *, scope_code: str | None = None,
               scope: Organisation | None = None, only_org_id: int | None = None,
               process: str | None = None, state: str | None = None, year: int | None = None,
               limit: int = 50, offset: int = 0, total: int | None = None, after: int = 0,
               matches: StateMatch | None = None, marks: Marks | None = None
               ) -> tuple[list[CaseRow], int]:
    """One page of the cases (not withdrawn) of the subtree of `scope` (or of `scope_code`,
    or exactly the organisation `only_org_id`), of a process, in a state (today's), with a
    case date in a year, by number: `limit` of them from `offset` among those numbered above
    `after` (a keyset cursor: the last number of the page before); and how many there are in
    all, whatever `after` says. Filtered, counted and paged in SQL: a case's stored state is
    today's unless a time-driven transition of its process may have moved it since; only
    those cases are replayed, from their records. Without a state, one SELECT: the page's
    light rows, each saying whether it may have moved, the records of those that may have,
    and the count of them all (a second, the COUNT alone, only for a page past the last
    case); `total`, without a state: the count already known for this version of the list
    (kept by the caller: `web.kit.views.case_page`), not counted again. With a state, the
    cases in it (`match_state`, or `matches` when the caller kept them) and one SELECT of the
    page. `marks` (without a state or a cursor): the numbers at every `step`-th position of
    the list (`case_marks`, kept by the caller): a page far into it starts after the nearest
    one before its offset instead of stepping over every case before it."""
    if process:
        ctx.registry.get(process)  # an unknown process is refused, not an empty list
    if scope is None and scope_code:
        scope = get_org(s, scope_code)
    base = case_queries.page_condition(scope=scope, only_org_id=only_org_id, process=process,
                                       year=year or None)  # (0: every year, as `?year=`)
    moving = _moving(ctx, process)
    defn_of = _Definitions(s, ctx)
    replayed: dict[int, str] = {}
    if state is None:
        case_queries.without_jit(s)
        if marks is not None and marks.ids and not after and offset >= marks.step:
            at = min(offset // marks.step, len(marks.ids))  # (from the nearest mark before)
            after, offset = marks.ids[at - 1], offset - at * marks.step
        listing = case_queries.page_listing(s, base, moving, limit, offset,
                                            counted=total is None, with_records=True,
                                            after=after)
        if total is None:
            total = listing.total if listing.total is not None \
                else case_queries.count_where(s, base)
        replayed = {row.id: _replayed(ctx, defn_of(row.process, row.process_version),
                                      row.dates, listing.records.get(row.id, []))
                    for row in listing.rows if row.moving and row.state in
                    _timer_sources(defn_of(row.process, row.process_version))}
    else:
        if matches is None:
            matches = match_state(s, ctx, scope=scope, only_org_id=only_org_id,
                                  process=process, year=year, state=state)
        case_queries.without_jit(s)
        total = matches.total
        listing = case_queries.page_listing(
            s, case_queries.in_state_or_one_of(base, moving, state, s.get_bind().dialect.name,
                                               bool(matches.matched)),
            moving, limit, offset, after=after, ids=matches.matched)
        replayed = dict.fromkeys(matches.matched, state)
    out = []
    # (a page names few organisations and states: each name looked up once)
    org_names: dict[str, str] = {}
    state_names: dict[tuple[str, int, str], str] = {}
    for row in listing.rows:
        ident, key, version, code = int(row.id), row.process, row.process_version, row.code
        now = replayed.get(ident, row.state)
        subject = org_names.get(code)
        if subject is None:
            subject = org_names[code] = org_name(row, ctx.language)
        state_name = state_names.get((key, version, now))
        if state_name is None:
            state_name = state_names[key, version, now] = name_in(
                defn_of(key, version).states[now], ctx.language, now)
        out.append(CaseRow(ident, key, code, subject, row.period, row.case_date, now,
                           state_name))
    return out, total


# Today's state of the cases a state filter replayed, per database, by what the replay read
# (the case, its definition version, the dates given as stored, how many records it has and
# the newest's number): a write elsewhere in the list does not make every case replayed again.
# One generation per database: the registry, the calendar and the day it was replayed for.
_REPLAYS: dict[Any, tuple[Any, Any, date, dict[tuple[Any, ...], str]]] = {}
_REPLAYS_LOCK = threading.Lock()
REPLAYS_KEPT = 200_000  # states kept per database at most (a national list replays ~7,000)


def _replays(s: Session, ctx: Context) -> dict[tuple[Any, ...], str]:
    """The replayed states kept for this database, of this registry, calendar and day."""
    bind = s.get_bind()
    with _REPLAYS_LOCK:
        kept = _REPLAYS.get(bind)
        if kept is None or kept[0] is not ctx.registry or kept[1] is not ctx.calendar \
                or kept[2] != ctx.today or len(kept[3]) > REPLAYS_KEPT:
            if len(_REPLAYS) >= 16:
                _REPLAYS.clear()
            kept = _REPLAYS[bind] = (ctx.registry, ctx.calendar, ctx.today, {})
        return kept[3]


# The SQL condition of the cases a timer may have moved, built once per registry, process
# and day (the registry is the application's, loaded once; a day's condition is the same for
# every request of that day).
_MOVING: dict[tuple[int, str | None, date], tuple[Any, Any]] = {}


def _moving(ctx: Context, process: str | None) -> Any:
    key = (id(ctx.registry), process, ctx.today)
    kept = _MOVING.get(key)
    if kept is not None and kept[0] is ctx.registry:
        return kept[1]
    condition = case_queries.may_have_moved(_may_move(ctx, process), ctx.today)
    if len(_MOVING) >= 64:
        _MOVING.clear()
    _MOVING[key] = (ctx.registry, condition)
    return condition

