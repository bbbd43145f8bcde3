"""A person's notification centre and reminder preferences.

The items are derived, never written: her cases' open stages due soon and overdue (the stage
rows), records and withdrawals by others on her cases (event records, the case's withdrawal
columns) and the cases handed to her (the audit log's `analysis.assign`), the last three for
RECENT_DAYS days; for a manager, besides, the overdue stages of his subtree that his digest
escalates (notifications.policy.escalated_to). "Her cases" are those the reminders go to: the
cases she is responsible for, and for an officer those of her organisation that nobody is
responsible for. What is stored is only what she chose: read marks, preferences, mutes and
snoozes. The centre is read in one SELECT (the bell on every page's menu costs one statement),
each of its parts bounded (MAX_ITEMS items in all)."""

from __future__ import annotations

import bisect
import json
import operator
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    delete,
    func,
    literal,
    literal_column,
    null,
    union_all,
)
from sqlalchemy import case as sa_case
from sqlmodel import Session, col, select

from calendars.errors import CalendarRangeError
from notifications.policy import StageItem, escalated_to, escalation_days
from notifications.settings import ReminderSettings
from workflow.core.errors import NotFound
from workflow.core.joining import among_confirming
from workflow.core.names import name_in
from workflow.kept import figures, reading, versions
from workflow.notices import rules
from workflow.notices.rules import Item
from workflow.services import joining, visibility
from workflow.services.context import Context
from workflow.services.lookup import get_case
from workflow.services.unanswered import UNANSWERED
from workflow.storage import audit
from workflow.storage.models import (
    HANDOVER,
    OPEN,
    AuditRecord,
    Case,
    CaseComment,
    CommentMention,
    EventRecord,
    NoticeRead,
    Organisation,
    ReminderHold,
    ReminderPreference,
    Stage,
    User,
)
from workflow.storage.queries import live_case, select_columns, standing, subtree_range
from workflow.storage.queries import read as read_rows

UNANSWERED_JSON = f'"{UNANSWERED}":true'  # (as storage/audit.py `canonical` writes it)


def own(actor: str, login: str) -> bool:
    """Whether an audit actor ("web:anna", "telegram:anna") is the person herself."""
    return actor.split(":", 1)[-1] == login


def mine(user: User) -> Any:
    """The cases a person answers for (those her reminders are about: services/visibility.py
    `mine_condition`)."""
    return visibility.mine_condition(col(Case.responsible_id), col(Case.subject_id), user.id,
                                     visibility.unassigned_of(user))


def preference(s: Session, user: User) -> ReminderPreference:
    return s.get(ReminderPreference, user.id) or ReminderPreference(user_id=user.id)


def holds(s: Session, user: User) -> list[ReminderHold]:
    return list(s.exec(select(ReminderHold).where(ReminderHold.user_id == user.id)
                       .order_by(col(ReminderHold.id)).limit(rules.MAX_ITEMS)))


# -- a person's centre, read in one statement -------------------------------------------------
#
# The bell is on every page's menu, so what it counts is read in one SELECT: a UNION ALL of
# parts, each the bounded query it would be alone (its WHERE, ORDER BY and LIMIT, in a
# subquery) and each giving the same columns -- which part, a case's id, a row's own id, a
# key, a time, who, a day, a text -- those it has not as a typed NULL (PostgreSQL unites
# typed columns only). Her preference, mutes, snoozes and read marks come in the same
# statement: the stages' part cannot wait for her "days before", so it reads up to the
# widest a person may choose and her own are applied here, to the same rows (ordered by due
# date, the nearer ones are a prefix of the wider). The statement is built once per shape
# (officer, manager or other; a horizon or none) with its values as bound parameters:
# building it costs several times running it.

_PREFERENCE, _HOLD, _READ, _STAGE, _ESCALATED, _RECORD, _WITHDRAWN, _ASSIGNED = (
    "preference", "hold", "read", "stage", "escalated", "record", "withdrawn", "assigned")
_MENTIONED = "mentioned"
_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("case_id", Integer()), ("row_id", Integer()), ("key", String()), ("at", String()),
    ("actor", String()), ("day", Date()), ("text", Text()))
_STATEMENTS: dict[tuple[str, bool], Any] = {}


def _part(name: str, **given: Any) -> Any:
    """SELECT of one part of the statement: the columns `given` by name, the others NULL."""
    unknown = set(given) - {c for c, _t in _COLUMNS}
    if unknown:
        raise ValueError(f"no column {sorted(unknown)} in the centre's statement")
    return select_columns(literal_column(f"'{name}'", String).label("part"),
                          *((given[c] if c in given else cast(null(), t)).label(c)
                            for c, t in _COLUMNS))


def _depth(path: Any) -> Any:
    """How many "/" an organisation path holds (its depth in the tree, plus one)."""
    return func.length(path) - func.length(func.replace(path, "/", ""))


def _build(kind: str, bounded: bool) -> Any:
    """The statement for a person of `kind`: "unassigned" (one who answers too for her
    organisation's cases nobody answers for: services/visibility.py `unassigned_of`),
    "escalations" (a manager's), "escalations:parts" or "own" (any other); `bounded`: the
    stages' part stops at a horizon (the values of its parameters: `_statement`).
    "escalations:only": those of "escalations:parts" alone (his other parts kept);
    "escalations:one": those of one organisation alone (the path `stale_path`);
    "escalations:parts": a manager whose escalations reach his organisation and
    its direct subordinates at most, read of the organisations at the paths `stale` alone
    (those whose kept escalations a write moved: `_near_rows`), the first MAX_ITEMS of each
    (his centre lists the first MAX_ITEMS of them all: none past an organisation's first
    MAX_ITEMS)."""
    if kind == "escalations:only":  # (his own parts kept: `_read`)
        return _escalated_by_organisation(
            col(Stage.subject_path).in_(bindparam("stale", expanding=True)), rules.MAX_ITEMS)
    if kind == "escalations:one":  # (of one organisation: its first MAX_ITEMS, no window)
        return _escalated_part(col(Stage.subject_path) == bindparam("stale_path"),
                               rules.MAX_ITEMS)
    user_id: Any = bindparam("user_id")
    answers = visibility.mine_condition(  # as `mine`
        col(Case.responsible_id), col(Case.subject_id), user_id,
        bindparam("org_id") if kind == "unassigned" else None)
    since: Any = bindparam("since")
    stages = (_part(_STAGE, case_id=col(Stage.case_id), key=col(Stage.key),
                    day=col(Stage.due_date), row_id=col(Stage.subject_id),
                    at=cast(col(Case.typed_on), String))  # (the day opened: B-25)
              .select_from(Stage).join(Case, col(Stage.case_id) == Case.id)
              .where(answers, live_case(), Stage.status == OPEN,
                     col(Stage.due_date).is_not(None))
              .order_by(col(Stage.due_date), col(Stage.case_id), col(Stage.key))
              .limit(rules.MAX_ITEMS))
    if bounded:
        stages = stages.where(col(Stage.due_date) <= bindparam("horizon", type_=Date()))
    parts = [
        _part(_PREFERENCE, key=col(ReminderPreference.before))
        .where(ReminderPreference.user_id == user_id),
        _part(_HOLD, case_id=col(ReminderHold.case_id), row_id=col(ReminderHold.id),
              key=col(ReminderHold.stage_key), day=col(ReminderHold.until))
        .where(ReminderHold.user_id == user_id).order_by(col(ReminderHold.id))
        .limit(rules.MAX_ITEMS),
        _part(_READ, key=col(NoticeRead.item)).where(NoticeRead.user_id == user_id),
        stages,
        _part(_RECORD, case_id=col(EventRecord.case_id), row_id=col(EventRecord.id),
              key=col(EventRecord.event), at=col(EventRecord.recorded_at),
              actor=col(EventRecord.actor), day=col(EventRecord.on))
        .select_from(EventRecord).join(Case, col(EventRecord.case_id) == Case.id)
        .where(answers, col(EventRecord.recorded_at) >= since, standing(Case.id))
        .order_by(col(EventRecord.id).desc()).limit(rules.MAX_ITEMS),
        _part(_WITHDRAWN, case_id=col(Case.id), at=col(Case.withdrawn_at),
              actor=col(Case.withdrawn_by))
        .where(answers, col(Case.withdrawn_at) >= since)
        .order_by(col(Case.id).desc()).limit(rules.MAX_ITEMS),
        _part(_ASSIGNED, row_id=col(AuditRecord.id), key=col(AuditRecord.entity_id),
              at=col(AuditRecord.at), actor=col(AuditRecord.actor),
              text=col(AuditRecord.payload))
        .where(
            # the action as a literal: the hand-overs' partial index (migration 0017) is
            # used only for a condition that names its own
            AuditRecord.action == literal(HANDOVER, literal_execute=True),
            col(AuditRecord.at) >= since,
            col(AuditRecord.payload).contains(bindparam("login_json")),
            # nobody's cases handed to her on arrival: told once, in one message
            # (services/unanswered.py), not here one by one
            ~col(AuditRecord.payload).contains(UNANSWERED_JSON))
        .order_by(col(AuditRecord.id).desc()).limit(rules.MAX_ITEMS),
        # the comments that mention her (each mention found by its user's index)
        _part(_MENTIONED, case_id=col(CaseComment.case_id), row_id=col(CaseComment.id),
              at=col(CommentMention.created_at), actor=col(CaseComment.actor))
        .select_from(CommentMention)
        .join(CaseComment, col(CaseComment.id) == CommentMention.comment_id)
        .where(CommentMention.user_id == user_id, col(CommentMention.created_at) >= since)
        .order_by(col(CommentMention.id).desc()).limit(rules.MAX_ITEMS)]
    if kind == "escalations:parts":
        # his escalations of the organisations named (his own and his direct subordinates':
        # each found by the (path, status, due date) index)
        parts.append(_escalated_by_organisation(
            col(Stage.subject_path).in_(bindparam("stale", expanding=True)), rules.MAX_ITEMS))
    if kind == "escalations":
        # his escalations, as his digest has them (`_read` asks escalated_to of each): the
        # overdue stages of the organisations of his subtree at most `levels` below him (a
        # few: each found by the (path, status, due date) index)
        near = (select(col(Organisation.path))
                .where(col(Organisation.path) >= bindparam("lo"),
                       col(Organisation.path) < bindparam("hi"),
                       _depth(col(Organisation.path)) <= bindparam("depth")))
        parts.append(_escalated_part(col(Stage.subject_path).in_(near), rules.MAX_ITEMS))
    subqueries = [p.subquery() for p in parts]
    return union_all(*(select_columns(*q.c) for q in subqueries))


def _escalated_columns() -> dict[str, Any]:
    """The columns of the part of a manager's escalations, by the statement's names."""
    return {"case_id": col(Stage.case_id), "key": col(Stage.key), "day": col(Stage.due_date),
            "text": col(Stage.subject_path), "row_id": col(Stage.subject_id),
            # a recurring obligation's case: the day it was opened (its escalation counts
            # from it when after the due date: `escalation_days`)
            "at": sa_case((col(Case.period).is_not(None), cast(col(Case.typed_on), String)),
                          else_=null())}


def _escalated_rows(query: Any, where: Any) -> Any:
    """`query` of the overdue open stages of live cases of the organisations `where` names."""
    return (query.select_from(Stage).join(Case, col(Stage.case_id) == Case.id)
            .where(where, Stage.status == OPEN,
                   col(Stage.due_date) < bindparam("today", type_=Date()), live_case()))


_ESCALATED_ORDER = (col(Stage.due_date), col(Stage.case_id), col(Stage.key))


def _escalated_part(where: Any, limit: int) -> Any:
    """The part of a manager's escalations: the overdue open stages of live cases of the
    organisations `where` names, the first `limit` by due date, case and stage."""
    return (_escalated_rows(_part(_ESCALATED, **_escalated_columns()), where)
            .order_by(*_ESCALATED_ORDER).limit(limit))


def _escalated_by_organisation(where: Any, limit: int) -> Any:
    """`_escalated_part`'s rows, the first `limit` of each organisation (by due date, case and
    stage: a window numbers each organisation's rows)."""
    columns = _escalated_columns()
    numbered = _escalated_rows(select_columns(
        *(c.label(name) for name, c in columns.items()),
        func.row_number().over(partition_by=col(Stage.subject_path),
                               order_by=_ESCALATED_ORDER).label("n")), where).subquery()
    return _part(_ESCALATED, **{name: numbered.c[name] for name in columns}) \
        .where(numbered.c.n <= limit)


def _horizon(ctx: Context, before: tuple[int, ...]) -> date | None:
    """The last day a stage's "due soon" item may be about: the widest days before a person
    may choose (or the organisation's, if wider); None past the calendar's last year."""
    widest = max((rules.MAX_OFFSET, *before))
    try:
        return ctx.calendar.add_working_days(ctx.today, widest + 1) - timedelta(days=1)
    except CalendarRangeError:
        return None


def _statement(ctx: Context, user: User, before: tuple[int, ...],
               policy: ReminderSettings, org: Organisation | None,
               stale: list[str] | None = None, only: bool = False) -> tuple[Any, dict[str, Any]]:
    """The statement for `user` and its parameters (each part bounded by rules.MAX_ITEMS but
    her read marks, which "mark all read" prunes to the items listed); `stale`: a manager's
    escalations read of the organisations at these paths alone (`_near_rows`); `only`: those
    alone, none of his other parts."""
    if only and org is not None and stale is not None:
        key = ("escalations:one" if len(stale) == 1 else "escalations:only", False)
        stmt = _STATEMENTS.get(key)
        if stmt is None:
            stmt = _STATEMENTS[key] = _build(*key)
        return stmt, ({"stale_path": stale[0]} if len(stale) == 1 else {"stale": stale}) | {
            "today": ctx.today}
    horizon = _horizon(ctx, before)
    unassigned = visibility.unassigned_of(user)
    kind = ("escalations" if stale is None else "escalations:parts") if org is not None \
        else "unassigned" if unassigned is not None else "own"
    key = (kind, horizon is not None)
    stmt = _STATEMENTS.get(key)
    if stmt is None:  # (two threads at worst build the same statement twice)
        stmt = _STATEMENTS[key] = _build(*key)
    params: dict[str, Any] = {
        "user_id": user.id, "login_json": json.dumps(user.login),
        "since": (ctx.today - timedelta(days=rules.RECENT_DAYS)).isoformat()}
    if kind == "unassigned":
        params["org_id"] = unassigned
    if horizon is not None:
        params["horizon"] = horizon
    if org is not None and stale is not None:
        params["stale"], params["today"] = stale, ctx.today
    elif org is not None:
        params["lo"], params["hi"] = subtree_range(org)
        params["today"] = ctx.today
        params["depth"] = org.path.count("/") + max(policy.escalate_levels, 0)  # (`_depth`)
    return stmt, params


@dataclass
class _Read:
    """What the statement read: her own days before a due date (None: the organisation's),
    her mutes and snoozes (case, stage, until), her read marks and the items found."""

    before: tuple[int, ...] | None
    holds: list[tuple[int, str | None, date | None]]
    read: set[str]
    found: list[Item]


# Each part's rows in its own query's order (a UNION ALL promises none): items that sort
# equal in the centre (`rules.ordered`) keep it.
_ORDER: dict[str, Any] = {
    _HOLD: lambda r: r.row_id, _STAGE: lambda r: (r.day, r.case_id, r.key),
    _ESCALATED: lambda r: (r.day, r.case_id, r.key), _RECORD: lambda r: -r.row_id,
    _WITHDRAWN: lambda r: -r.case_id, _ASSIGNED: lambda r: -r.row_id,
    _MENTIONED: lambda r: -r.row_id}


def _day(at: str | None) -> date | None:
    """The day of a part's `at` (an ISO date or moment), if any."""
    return date.fromisoformat(at[:10]) if at else None


def _read(s: Session, ctx: Context, user: User, before: tuple[int, ...],
          policy: ReminderSettings, kept: bool = True) -> _Read:
    """One SELECT of her centre's parts, made into items (not yet ordered or held back);
    `kept` False: a manager's escalations read whole, none of their kept parts used or kept
    (the recount of what is kept)."""
    # a manager's organisation (read with his session or token: no SELECT of its own)
    org = s.get(Organisation, user.organisation_id) if user.role == "manager" else None
    near = _near_plan(s, ctx, org, policy) if org is not None and kept else None
    theirs = _own_plan(s, ctx, user, before) if near is not None else None
    rows: dict[str, list[Any]] = {}
    if theirs is not None and theirs.rows is not None:  # his own parts kept: his escalations
        rows = {part: list(rs) for part, rs in theirs.rows.items()}
        if near is not None and near.stale:
            stmt, params = _statement(ctx, user, before, policy, org, near.stale, only=True)
            rows[_ESCALATED] = sorted(read_rows(s, stmt, params), key=_ORDER[_ESCALATED])
    else:
        stmt, params = _statement(ctx, user, before, policy, org,
                                  near.stale if near is not None else None)
        for row in read_rows(s, stmt, params):
            rows.setdefault(row.part, []).append(row)
        for part, key in _ORDER.items():
            rows.get(part, []).sort(key=key)
        if theirs is not None:
            theirs.keep({part: tuple(rs) for part, rs in rows.items() if part != _ESCALATED})
    if near is not None:
        _near_rows(near, rows.get(_ESCALATED, []))
    prefs = rows.get(_PREFERENCE)
    mine_before = rules.before_days(prefs[0].key) if prefs else None
    most = max(mine_before if mine_before is not None else before, default=0)
    found = []
    # a stage before its organisation joined mid-year (B-25) is to confirm: no overdue notice
    confirming = joining.confirming_orgs(s, ctx)
    for r in rows.get(_STAGE, ()):
        if r.day < ctx.today and among_confirming(confirming, r.row_id, r.day, _day(r.at)):
            continue
        if r.day < ctx.today:
            late = ctx.calendar.get_working_days_delta(r.day, ctx.today)
            found.append(Item(rules.OVERDUE, r.case_id, r.day.isoformat(), r.key, r.day, late))
        else:
            left = ctx.calendar.get_working_days_delta(ctx.today, r.day)
            if left <= most:
                found.append(Item(rules.DUE_SOON, r.case_id, r.day.isoformat(), r.key, r.day,
                                  left))
    if near is not None:
        found += _near_items(ctx, policy, org.path if org is not None else "", confirming,
                             near)
    elif org is not None:
        found += _escalation_items(ctx, policy, org.path, confirming,
                                   rows.get(_ESCALATED, ()))
    found += [Item(rules.RECORDED, r.case_id, r.at, r.key, r.day, actor=r.actor,
                   record=r.row_id)
              for r in rows.get(_RECORD, ()) if not own(r.actor, user.login)]
    found += [Item(rules.WITHDRAWN, r.case_id, r.at, actor=r.actor or "")
              for r in rows.get(_WITHDRAWN, ()) if not own(r.actor or "", user.login)]
    for r in rows.get(_ASSIGNED, ()):
        if json.loads(r.text).get("to") == user.login and not own(r.actor, user.login) \
                and r.key.isdigit():
            found.append(Item(rules.ASSIGNED, int(r.key), r.at, actor=r.actor))
    found += [Item(rules.MENTIONED, r.case_id, r.at, actor=r.actor, record=r.row_id)
              for r in rows.get(_MENTIONED, ())]
    return _Read(mine_before, [(r.case_id, r.key, r.day) for r in rows.get(_HOLD, ())],
                 {r.key for r in rows.get(_READ, ())}, found)


# A manager's own parts of his centre (all but his escalations: his cases' stages, records,
# withdrawals and hand-overs, the comments naming him, his read marks, mutes, snoozes and
# preference) kept as read, by the versions of what "mine" reads (kept/figures.py
# `mine_scopes`: his own scope moves with each of them, `*` and the organisations' with the
# rest) and what the statement's values are made of (the day, his horizon): a write elsewhere
# in his subtree moves his escalations alone, and his bell reads them alone (`_read`). Per
# database (engine), at most OWN_KEPT people.
OWN_KEPT = 4096
_OWN: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], tuple[tuple[int, ...], Any]]] = \
    weakref.WeakKeyDictionary()


@dataclass
class _OwnPlan:
    """A manager's own parts kept (`rows`, None: to be read) and where to keep them."""

    kept: dict[tuple[Any, ...], tuple[tuple[int, ...], Any]]
    key: tuple[Any, ...]
    versions: tuple[int, ...]
    rows: dict[str, tuple[Any, ...]] | None

    def keep(self, rows: dict[str, tuple[Any, ...]]) -> None:
        if len(self.kept) >= OWN_KEPT and self.key not in self.kept:
            self.kept.clear()
        self.kept[self.key] = (self.versions, rows)  # (a dict's item set is atomic)


def _own_plan(s: Session, ctx: Context, user: User, before: tuple[int, ...]) -> _OwnPlan | None:
    """A manager's own parts as kept (`_OWN`); None when none can be (the transaction has
    written: what it reads is its own)."""
    unassigned = visibility.unassigned_of(user)
    read = figures.versions_of(s, "mine", user=user.id, unassigned=unassigned)
    if read is None:
        return None
    bind = s.get_bind()
    with _NEAR_LOCK:
        kept = _OWN.get(bind)
        if kept is None:
            kept = _OWN[bind] = {}
    key = (user.id, user.login, user.role, unassigned, ctx.today, _horizon(ctx, before))
    found = kept.get(key)
    return _OwnPlan(kept, key, read, found[1] if found is not None and found[0] == read
                    else None)


# A manager's escalations (the `_ESCALATED` part's rows) kept per organisation they are of --
# his own and each direct subordinate's, when his escalations reach no further (`NEAR`) --
# by the version of what a write in it moves: his organisation's own scope (`own:PATH`) and
# each subordinate's subtree path; all of them by every list's version (`*`), the
# organisations' (who is under him) and the day. Of each organisation the first MAX_ITEMS
# rows are kept (his centre lists the first MAX_ITEMS of them all, so none past an
# organisation's first MAX_ITEMS), in their order. A write in one subordinate's subtree reads
# again that subordinate's rows alone; the others' are those of the last read, and the first
# MAX_ITEMS of them all are found by merging the organisations' ordered rows (no sort of
# every row, no item of every row): the same rows as a read of them all. Per database
# (engine), at most NEAR_KEPT managers' organisations and NEAR_HELD rows in all.
NEAR_KEPT = 256
NEAR_HELD = 200_000
_NEAR: weakref.WeakKeyDictionary[Any, dict[tuple[str, int], _NearKept]] = \
    weakref.WeakKeyDictionary()
_NEAR_LOCK = threading.Lock()

# one organisation's part of a manager's escalations: the version its rows were read at, its
# first MAX_ITEMS rows in their order, a slot for its items worked out of them (`_near_items`:
# the items and their order) and each row's order (due date, case, stage)
_Part = tuple[tuple[int, ...], tuple[Any, ...], list[Any], tuple[tuple[Any, ...], ...]]


@dataclass(frozen=True)
class _NearKept:
    """A manager's escalations kept: `base` (the versions of `*` and `organisations`, the
    day), his organisation's direct subordinates' paths, and by organisation path (his own's
    and each subordinate's) its part (`_Part`); `merged`: every part's rows' orders, in
    order (a write's part taken out and put in again: no sort of them all); `scopes` and
    `flat`: every part's scopes and their versions as read (a read that finds them as they
    were has nothing stale; one that does not finds the parts whose scopes moved by them)."""

    base: tuple[tuple[int, ...], date]
    children: tuple[str, ...]
    parts: dict[str, _Part]
    merged: list[tuple[Any, ...]]
    scopes: tuple[str, ...] = ()
    flat: tuple[int, ...] = ()
    # a slot for the items of every part's rows by their order, worked out of the parts' items
    # (`_near_items`: with what they were worked out by)
    items: list[Any] = field(default_factory=lambda: [None])


@dataclass
class _NearPlan:
    """What a manager's bell reads of his escalations (`_near_plan`): the organisations' paths
    whose rows are read again (`stale`), the versions to keep them by, the parts kept."""

    kept: dict[tuple[str, int], _NearKept]
    key: tuple[str, int]
    base: tuple[tuple[int, ...], date]
    children: tuple[str, ...]
    scopes: tuple[str, ...]  # every part's scopes, in the parts' order (`_near_scopes`)
    flat: tuple[int, ...]  # their versions as read
    versions: dict[str, tuple[int, ...]]  # the stale parts' versions
    stale: list[str]
    previous: _NearKept | None  # what was kept (its stale parts are taken out of `merged`)
    entry: _NearKept | None = None  # after the read: what `_near_rows` kept

    @property
    def same_parts(self) -> bool:
        """Whether what was kept is of the same parts, read by the same scopes (then the parts
        not stale are kept as they are, and `merged` changes by the stale parts alone)."""
        return self.previous is not None and self.previous.scopes == self.scopes


def _child_paths(s: Session, org: Organisation) -> tuple[str, ...]:
    """The paths of the organisations directly under `org` (one statement)."""
    return tuple(s.exec(select(col(Organisation.path))
                        .where(col(Organisation.parent_id) == org.id)
                        .order_by(col(Organisation.path))).all())


def _near_plan(s: Session, ctx: Context, org: Organisation,
               policy: ReminderSettings) -> _NearPlan | None:
    """Which of a manager's organisations' escalations are to be read again (`_NEAR`): None
    when they are read whole (his escalations reach further than `NEAR`, or the transaction
    has written: what it reads is its own)."""
    levels = max(policy.escalate_levels, 0)
    if levels > versions.NEAR:
        return None
    base_versions = figures.versions_of(s, "escalations")
    if base_versions is None:
        return None
    base = (base_versions, ctx.today)
    bind = s.get_bind()
    with _NEAR_LOCK:
        kept = _NEAR.get(bind)
        if kept is None:
            kept = _NEAR[bind] = {}
    key = (org.path, levels)
    found = kept.get(key)
    if found is not None and found.base != base:
        found = None
    children = (found.children if found is not None else _child_paths(s, org)) \
        if levels else ()
    paths, flat, cuts, owner = _near_scopes(figures.FIGURES["own_rows"],
                                            figures.FIGURES["lists"], org.path, children)
    read = reading.scoped_versions(s, flat)
    if read is None:
        return None
    moved: Iterable[int]
    if found is None or found.scopes != flat:
        moved = range(len(paths))  # (nothing kept of these parts, or by other scopes)
    elif read == found.flat:
        moved = ()
    else:  # the parts of the scopes whose versions moved (a write's: one or a few)
        moved = sorted({owner[i] for i, (now, was) in enumerate(zip(read, found.flat, strict=True))
                        if now != was})
    at = {paths[i]: read[cuts[i][0]:cuts[i][1]] for i in moved}
    return _NearPlan(kept, key, base, children, flat, read, at, list(at), found)


@lru_cache(maxsize=1024)
def _near_scopes(own: figures.Figure, lists: figures.Figure, org_path: str,
                 children: tuple[str, ...]) -> tuple[
        tuple[str, ...], tuple[str, ...], tuple[tuple[int, int], ...], tuple[int, ...]]:
    """The scopes each of a manager's organisations' escalations are kept by (his own's rows,
    `own`, each subordinate's subtree, `lists`: kept/figures.py's declarations): (their paths,
    his own first; every scope in that order; where each path's lie among them; of each scope,
    the index of the path it is of), worked out once per declarations and paths (his bell asks
    after each write in his subtree)."""
    scoped = [(org_path, own.scopes(path=org_path)),
              *((c, lists.scopes(path=c)) for c in children)]
    cuts, start = [], 0
    for _p, each in scoped:
        cuts.append((start, start + len(each)))
        start += len(each)
    return (tuple(p for p, _ in scoped), tuple(sc for _, each in scoped for sc in each),
            tuple(cuts), tuple(i for i, (_p, each) in enumerate(scoped) for _sc in each))


def _near_rows(plan: _NearPlan, fresh: list[Any]) -> None:
    """A manager's escalations' parts: those read again of `plan.stale` (`fresh`, in the
    part's order: each organisation's first MAX_ITEMS) with those kept of his other
    organisations, kept for the next read (`plan.entry`): every part's orders kept in order
    (`_NearKept.merged`), the orders a stale part no longer has taken out and those it has
    anew put in by bisection."""
    before = plan.previous if plan.same_parts else None
    parts = dict(before.parts) if before is not None else {}
    by_path: dict[str, list[Any]] = {p: [] for p in plan.stale}
    for r in fresh:
        by_path.setdefault(r.text, []).append(r)
    order = _ORDER[_ESCALATED]
    parts.update({p: (plan.versions[p], tuple(rs), [None], tuple(order(r) for r in rs))
                  for p, rs in by_path.items()})
    if before is None:
        merged = sorted(o for _v, _rows, _slot, orders in parts.values() for o in orders)
    else:
        merged = list(before.merged)  # (a copy: another request may read the kept one)
        for p in plan.stale:  # (those it held and holds still stay where they are)
            was, now = set(before.parts[p][3]), set(parts[p][3])
            for o in was.difference(now):
                del merged[bisect.bisect_left(merged, o)]
            for o in now.difference(was):
                bisect.insort(merged, o)
    kept = _NearKept(plan.base, plan.children, parts, merged, plan.scopes, plan.flat)
    plan.entry = kept
    if plan.key not in plan.kept and (
            len(plan.kept) >= NEAR_KEPT
            or sum(len(k.merged) for k in list(plan.kept.values())) + len(merged) > NEAR_HELD):
        plan.kept.clear()
    plan.kept[plan.key] = kept  # (a dict's item set is atomic; the entry is replaced)


def _escalation_items(ctx: Context, policy: ReminderSettings, org_path: str,
                      confirming: dict[int, date], rows: Iterable[Any]) -> list[Item]:
    """The items of a manager's escalations' `rows` (`_ESCALATED`): those that reach him
    (`_escalated`), none of a stage before its organisation joined mid-year (B-25)."""
    found = []
    for r in rows:
        if among_confirming(confirming, r.row_id, r.day, _day(r.at)):
            continue
        escalated = _escalated(ctx, policy, org_path, r.case_id, r.key, r.day, r.text, r.at)
        if escalated is not None:
            found.append(escalated)
    return found


def _near_items(ctx: Context, policy: ReminderSettings, org_path: str,
                confirming: dict[int, date], plan: _NearPlan) -> list[Item]:
    """A manager's escalations' items when each of his organisations' rows are kept
    (`plan.entry`): those of the first MAX_ITEMS rows of them all (of `plan.entry.merged`),
    found by their order (due date, case, stage) among the items of every row
    (`_NearKept.items`). Each organisation's items are worked out once per version of its
    rows, calendar, policy and days to confirm (who confirms is the same for the same
    versions of `*` and `organisations` and day: the kept rows' `base`); the items by order
    are those of the last read with its stale organisations' taken out and put in again, no
    organisation's looked at again."""
    entry = plan.entry
    if entry is None:
        return []
    memo = (ctx.calendar, ctx.joining_confirm_days, policy.escalate_levels,
            policy.escalate_after)

    def same(done: Any) -> bool:
        return done is not None and done[0][0] is memo[0] and done[0][1:] == memo[1:]

    def of_part(path: str) -> Iterable[tuple[tuple[Any, ...], Item]]:
        _version, rows, slot, _orders = entry.parts[path]
        done = slot[0]
        if not same(done):
            listed = tuple(_escalation_items(ctx, policy, org_path, confirming, rows))
            done = slot[0] = (memo, listed, tuple((i.due, i.case, i.stage) for i in listed))
        return zip(done[2], done[1], strict=True)

    done = entry.items[0]
    if not same(done):
        before = plan.previous
        known = before.items[0] if before is not None else None
        if before is not None and known is not None and same(known) and plan.same_parts:
            by_order = known[1].copy()  # (another request may read the kept one; copy(): no
            # entry inserted again, as dict() would once one was taken out)
            for p in plan.stale:
                for o in before.parts[p][3]:
                    by_order.pop(o, None)
                by_order.update(of_part(p))
        else:
            by_order = {o: i for p in entry.parts for o, i in of_part(p)}
        done = entry.items[0] = (memo, by_order)  # (a list's item set is atomic)
    found = done[1].get
    return [item for item in map(found, entry.merged[:rules.MAX_ITEMS]) if item is not None]

# `_escalated`'s answers, by what they are worked out of (a manager's bell read again after a
# write in his organisation reads his escalations again, most of them the same rows): at most
# ESCALATIONS kept, with the calendar each was counted on
ESCALATIONS = 20_000
_ESCALATIONS: dict[tuple[Any, ...], tuple[Any, Item | None]] = {}


def _escalated(ctx: Context, policy: ReminderSettings, org_path: str, case_id: int, key: str,
               due: date, subject_path: str, at: str | None) -> Item | None:
    """The escalation item of an overdue stage (`key` of case `case_id`, due `due`, of the
    organisation at `subject_path`; `at` the day its recurring case was opened, if any) for
    the manager of the organisation at `org_path`, None when it does not reach him (yet): as
    his digest has it (notifications/policy.py `escalation_days`, `escalated_to`). Worked
    out once per stage, day, calendar and policy (a frozen item, shared)."""
    memo = (id(ctx.calendar), ctx.today, policy.escalate_levels, policy.escalate_after,
            org_path, case_id, key, due, subject_path, at)
    found = _ESCALATIONS.get(memo)
    if found is not None and found[0] is ctx.calendar:
        return found[1]
    late = ctx.calendar.get_working_days_delta(due, ctx.today)
    item = StageItem(analysis_id=case_id, stage_key=key, stage_names={}, due=due,
                     subject_code="", subject_name="", object_code="",
                     subject_path=subject_path, responsible_id=None,
                     opened_late=date.fromisoformat(at[:10]) if at else None)
    counted = escalation_days(item, ctx.today, ctx.calendar)
    answer = (Item(rules.ESCALATED, case_id, due.isoformat(), key, due, late)
              if org_path in escalated_to(item, counted, policy) else None)
    if len(_ESCALATIONS) >= ESCALATIONS:
        _ESCALATIONS.clear()
    _ESCALATIONS[memo] = (ctx.calendar, answer)  # (a dict's item set is atomic)
    return answer


def _listed(got: _Read, today: date) -> list[Item]:
    """The items in the centre's order, without those of a muted case or a snoozed stage."""
    return rules.ordered(_shown(got, today))


def _shown(got: _Read, today: date) -> list[Item]:
    """The items found, without those of a muted case or a snoozed stage (in no order)."""
    if not got.holds:
        return got.found
    muted = {case for case, stage, _until in got.holds if stage is None}
    snoozed = {(case, stage) for case, stage, until in got.holds
               if stage is not None and until is not None and until > today}
    return [i for i in got.found if i.case not in muted and (i.case, i.stage) not in snoozed]


def items(s: Session, ctx: Context, user: User, before: tuple[int, ...],
          policy: ReminderSettings | None = None) -> list[Item]:
    """A person's items, in the centre's order, without those of a muted case or a snoozed
    stage. `before`: the organisation's working days before a due date (hers win); `policy`:
    the organisation's reminder settings, whose escalations a manager's centre lists."""
    got = _read(s, ctx, user, before, policy or ReminderSettings(before=before))
    return _listed(got, ctx.today)


@dataclass
class Centre:
    items: list[Item]
    unread: set[str]

    @property
    def unread_count(self) -> int:
        return len(self.unread)


def centre(s: Session, ctx: Context, user: User, before: tuple[int, ...],
           policy: ReminderSettings | None = None, kept: bool = True) -> Centre:
    """Her items and which of them are unread: one SELECT (`_read`). `kept` False: counted
    afresh, a manager's escalations read whole (the recount of the kept bell, `unread_count`)."""
    got = _read(s, ctx, user, before, policy or ReminderSettings(before=before), kept)
    listed = _listed(got, ctx.today)
    return Centre(listed, {i.key for i in listed if i.key not in got.read})


_KEY = operator.attrgetter("key")  # (an item's key: `unread_count` takes each item's once)


def unread_count(s: Session, ctx: Context, user: User, before: tuple[int, ...],
                 policy: ReminderSettings | None = None, kept: bool = True) -> int:
    """The bell's figure: the items her centre lists that she has not read (`centre`'s
    `unread_count`; `kept` False: read whole). Put in the centre's order only when there are
    more than it lists (which of them it lists is then the order's to say): a count needs no
    order."""
    got = _read(s, ctx, user, before, policy or ReminderSettings(before=before), kept)
    shown = _shown(got, ctx.today)
    if len(shown) > rules.MAX_ITEMS:
        shown = rules.ordered(shown)
    return len(set(map(_KEY, shown)).difference(got.read))


def mark_read(s: Session, ctx: Context, user: User, before: tuple[int, ...],
              keys: list[str] | None, policy: ReminderSettings | None = None) -> int:
    """Mark items read (None: every item listed); an item not in her centre is refused,
    nothing stored. Marking all also forgets the marks of items no longer listed."""
    current = centre(s, ctx, user, before, policy)
    listed = {i.key for i in current.items}
    if keys is None:
        s.exec(delete(NoticeRead).where(col(NoticeRead.user_id) == user.id,
                                        col(NoticeRead.item).not_in(listed)))
        wanted = set(current.unread)
    else:
        for k in keys:
            if k not in listed:
                raise NotFound(f"no item {k!r}", key="notices.error_item", value=k[:120])
        wanted = {k for k in keys if k in current.unread}
    now = audit.now_iso()
    for k in sorted(wanted):
        s.add(NoticeRead(user_id=user.id, item=k, read_at=now))
    s.flush()
    _noted(s, ctx.actor, user, "notices.read", {"items": len(wanted), "all": keys is None})
    return len(wanted)


def _noted(s: Session, actor: str | None, user: User, action: str, payload: dict) -> None:
    """Her change to her own centre, in the audit chain like every write (the chain's head is
    the data version the pages' caches are keyed by: web/kit/views.py `kept`)."""
    audit.append(s, actor or user.login, action, "user", user.id, payload)


def save_preferences(s: Session, user: User, channels: list[str] | None, before: str,
                     hour: str, actor: str | None = None) -> ReminderPreference:
    """Store her preferences (checked first: a bad value stores nothing). `channels` None:
    every channel the organisation sends by (the default)."""
    chosen = rules.parse_channels(channels) if channels is not None else None
    days = rules.parse_before(before)
    digest_hour = rules.parse_hour(hour)
    pref = preference(s, user)
    pref.channels, pref.before, pref.digest_hour = chosen, days, digest_hour
    s.add(pref)
    s.flush()
    _noted(s, actor, user, "reminder.preferences",
           {"channels": chosen, "before": days, "hour": digest_hour})
    return pref


def _own_case(s: Session, user: User, case_id: int | str) -> Case:
    """One of her cases, else the 404 of an unknown case (nothing said of others' cases)."""
    case = get_case(s, case_id)
    if s.exec(select(Case.id).where(Case.id == case.id, mine(user))).first() is None:
        raise NotFound(f"case {case_id} not found", key="notfound.analysis", id=case_id)
    return case


def mute(s: Session, user: User, case_id: int | str, actor: str | None = None) -> ReminderHold:
    """No reminder and no item of this case for her (until she unmutes it)."""
    case = _own_case(s, user, case_id)
    found = s.exec(select(ReminderHold).where(
        ReminderHold.user_id == user.id, ReminderHold.case_id == case.id,
        col(ReminderHold.stage_key).is_(None))).first()
    if found is not None:
        return found
    hold = ReminderHold(user_id=user.id, case_id=case.id,
                        created_at=audit.now_iso())
    s.add(hold)
    s.flush()
    _noted(s, actor, user, "reminder.mute", {"case": hold.case_id})
    return hold


def snooze(s: Session, ctx: Context, user: User, case_id: int | str, stage_key: str,
           until: date, actor: str | None = None) -> ReminderHold:
    """No reminder and no item of one open stage of her case until `until` (after today)."""
    rules.check_snooze(until, ctx.today)
    case = _own_case(s, user, case_id)
    stage = s.exec(select(Stage).where(Stage.case_id == case.id, Stage.key == stage_key,
                                       Stage.status == OPEN)).first()
    if stage is None:
        raise NotFound(f"no open stage {stage_key!r}", key="notices.error_stage",
                       value=stage_key[:64])
    found = s.exec(select(ReminderHold).where(
        ReminderHold.user_id == user.id, ReminderHold.case_id == case.id,
        ReminderHold.stage_key == stage_key)).first()
    hold = found or ReminderHold(user_id=user.id, case_id=case.id,
                                 stage_key=stage_key, created_at=audit.now_iso())
    hold.until = until
    s.add(hold)
    s.flush()
    _noted(s, actor, user, "reminder.snooze", {"until": until.isoformat(),
                                               "stages": [[hold.case_id, stage_key]]})
    return hold


def release(s: Session, user: User, hold_id: int, actor: str | None = None) -> None:
    """Unmute a case or end a snooze (only her own)."""
    hold = s.get(ReminderHold, hold_id)
    if hold is None or hold.user_id != user.id:
        raise NotFound(f"no hold {hold_id}", key="notfound.generic")
    s.delete(hold)
    s.flush()
    _noted(s, actor, user, "reminder.release", {"case": hold.case_id, "stage": hold.stage_key})


# -- in words ------------------------------------------------------------------------------------


def described(s: Session, ctx: Context, listed: list[Item], unread: set[str],
              lang: str) -> list[dict[str, Any]]:
    """The items as the page and the API show them: the case's process and subject, the
    stage's or event's name in `lang`; never the name of a person a case is about."""
    ids = sorted({i.case for i in listed})
    cases = {c.id: (c, o) for c, o in s.exec(
        select(Case, Organisation).join(Organisation, col(Organisation.id) == Case.subject_id)
        .where(col(Case.id).in_(ids)))} if ids else {}
    out = []
    for i in listed:
        case, subject = cases[i.case]
        loaded = ctx.registry.loaded.get(case.process)
        defn = loaded.definition if loaded else None
        names = defn.key_names(i.stage) if defn is not None and i.stage else None
        out.append({
            "key": i.key, "kind": i.kind, "case": i.case, "unread": i.key in unread,
            "at": i.at, "stage": i.stage or None,
            "stage_name": (name_in(names, lang, i.stage) if isinstance(names, dict)
                           else i.stage) or None,
            "due": i.due.isoformat() if i.due else None, "days": i.days,
            "actor": i.actor or None,
            "process": case.process,
            "process_name": defn.name(lang) if defn is not None else case.process,
            "subject": subject.code,
            "subject_name": {"kk": subject.name_kk, "ru": subject.name_ru}.get(lang)
            or subject.name,
            "period": case.period})
    return out


@dataclass
class Choice:
    """A stage or a hold on the preference page, in words: the case, the stage by its name."""

    case: int
    stage: str | None
    stage_name: str | None
    due: date | None = None
    until: date | None = None
    hold: int | None = None


def _stage_name(ctx: Context, process: str, key: str | None, lang: str) -> str | None:
    loaded = ctx.registry.loaded.get(process)
    if key is None:
        return None
    return loaded.definition.stage_name(key, lang) if loaded else key


def _process_name(ctx: Context, process: str, lang: str) -> str:
    loaded = ctx.registry.loaded.get(process)
    return loaded.definition.name(lang) if loaded else process


def _grouped(ctx: Context, found: list[tuple[str, Choice]],
             lang: str) -> list[tuple[str, list[Choice]]]:
    groups: dict[str, list[Choice]] = {}
    for process, choice in found:
        groups.setdefault(process, []).append(choice)
    return sorted(((_process_name(ctx, p, lang), items) for p, items in groups.items()),
                  key=lambda g: g[0].casefold())


def snoozable(s: Session, ctx: Context, user: User,
              lang: str) -> list[tuple[str, list[Choice]]]:
    """The open stages of her cases (those a reminder may be about), by their names in `lang`,
    grouped by procedure (the groups by name, each stage by its due date)."""
    rows = s.exec(select(col(Case.process), col(Stage.case_id), col(Stage.key),
                         col(Stage.due_date)).join(Case, col(Stage.case_id) == Case.id).where(
        mine(user), live_case(), Stage.status == OPEN,
        col(Stage.due_date).is_not(None))
        .order_by(col(Stage.due_date), col(Stage.case_id), col(Stage.key))
        .limit(rules.MAX_ITEMS))
    return _grouped(ctx, [(process, Choice(case_id, key, _stage_name(ctx, process, key, lang),
                                           due=due))
                          for process, case_id, key, due in rows if case_id is not None], lang)


def described_holds(s: Session, ctx: Context, hs: list[ReminderHold],
                    lang: str) -> list[tuple[str, list[Choice]]]:
    """Her mutes and snoozes in words, grouped by the procedure of their case."""
    ids = sorted({h.case_id for h in hs})
    process: dict[int | None, str] = {
        case_id: key for case_id, key in s.exec(
            select(col(Case.id), col(Case.process)).where(col(Case.id).in_(ids))).all()
    } if ids else {}
    return _grouped(ctx, [(process.get(h.case_id, ""),
                           Choice(h.case_id, h.stage_key,
                                  _stage_name(ctx, process.get(h.case_id, ""), h.stage_key,
                                              lang), until=h.until, hold=h.id))
                          for h in hs], lang)
