"""Planning many analyses at once (a schedule import): check and plan every row first, then
write them all in one short transaction.

Phase 1 (`check_analyses`) reads what the rows depend on in a few queries (organisations,
officers, programmes, external analyses) and runs, row by row and in file order, the checks
and the deadline planner that `plan_analysis` runs: the first refused row raises
`RowRefused` naming it, and nothing has been written. Phase 2 (`write_analyses`) takes the
lock every writer takes (SQLite's write lock, PostgreSQL's audit lock), reads the same facts
again and, if another writer changed them meanwhile, plans again from what is there now; then
it inserts the programmes, cases, stages and audit records in bulk. So the write lock is held
for the inserts only, not for the checks.

Audit: one `case.open` record per case, with the payload `plan_analysis` writes, appended in
row order as one piece of the hash chain (`audit.append_many`).

Duplicates: a row is checked against the stored analyses of its subject and object and against
the earlier rows of the file, in file order, as planning the rows one by one would check it.
A row that duplicates an earlier row is refused naming that row (the analysis has no id yet);
confirmed with a reason, the ids it duplicates are filled in once phase 2 has taken them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from calendars.errors import CalendarError
from workflow.core.dates import parse_day
from workflow.core.deadlines import Facts, StagePlan, without_dues
from workflow.core.definition import Definition
from workflow.core.errors import MerzimError, NotFound
from workflow.imports.cells import label_in
from workflow.imports.columns import day, fold
from workflow.imports.headers import Header, keyed
from workflow.imports.registers import DONE as IMPORT_DONE
from workflow.planning.service import (
    DUPLICATE_CONFIRMED,
    Planned,
    Span,
    _planning,
    analyses_of,
    check_duplicate,
    check_plan,
    date_keys,
    duplicate_warning,
    period_of,
    plan_audit,
    planned_definition,
    programme_stages,
)
from workflow.services import visibility
from workflow.services.bulk import (
    CASE_COLUMNS,
    STAGE_COLUMNS,
    RowRefused,
    chunks,
    first_plan,
    new_ids,
    stage_tuples,
    write_cases,
)
from workflow.services.cases import (
    Opening,
    case_row,
    check_opening,
    opened_payload,
    responsible_among,
    switched_off,
)
from workflow.services.context import Context
from workflow.services.processes import keep_version
from workflow.storage import audit
from workflow.storage.bulkinsert import insert_rows
from workflow.storage.models import (
    Case,
    ExternalAnalysis,
    Organisation,
    Programme,
    Stage,
    User,
    table_of,
)
from workflow.storage.queries import cases as case_queries

__all__ = ["AnalysisRow", "RowRefused", "check_analyses", "plan_analyses", "read_schedule",
           "write_analyses"]

SCHEDULE = ("subject", "object", "start", "end")  # a schedule's columns, then the optional
SCHEDULE_OPTIONAL = ("override_reason", "responsible", "duplicate_reason")
# the headings an office's schedule writes for its columns, beside the definition's labels
SCHEDULE_ALSO = {
    "subject": ("Субъект", "Субъект анализа", "Талдау субъектісі"),
    "object": ("Объект анализа", "Объект внутреннего анализа", "Талдау объектісі"),
    "start": ("Дата начала", "Начало", "Срок начала", "Басталу күні", "Басталуы"),
    "end": ("Дата окончания", "Окончание", "Срок окончания", "Аяқталу күні", "Аяқталуы"),
    "responsible": ("Ответственный", "Жауапты"),
}


@dataclass(frozen=True)
class AnalysisRow:
    """One analysis to plan, as read from a row of a schedule file."""

    row: int
    subject: str
    object: str
    start: date
    end: date | None = None
    override_reason: str | None = None
    responsible: str | None = None
    duplicate_reason: str | None = None  # confirms a duplicate (ignored when there is none)


def read_schedule(ctx: Context, rows: list[dict[str, Any]], language: str
                  ) -> tuple[list[AnalysisRow], RowRefused | None, Header]:
    """A schedule's file as every import reads one (`imports.headers.keyed`): its headers by
    the planned definition's labels in any of the three languages, the headings offices
    write, or the keys, any case, spacing and punctuation; "№ п/п" and phone columns left out
    (the header says which); dates as dd.mm.yyyy or yyyy-mm-dd (`imports.columns.day`). The
    rows read, in file order, up to the first that cannot be read (its refusal)."""
    defn = planned_definition(ctx)
    keys = (*SCHEDULE, *SCHEDULE_OPTIONAL)
    known: dict[str, str] = {}
    for key in keys:
        for lang in ("kk", "ru", "en"):
            known.setdefault(fold(label_in(defn, key, lang)), key)
        for other in SCHEDULE_ALSO.get(key, ()):
            known.setdefault(fold(other), key)
        known[fold(key)] = key
    keyed_rows, header = keyed(rows, known, SCHEDULE, "analysis.import_header", "",
                               language, lambda key, lang: label_in(defn, key, lang))
    parsed: list[AnalysisRow] = []
    for i, row in enumerate(keyed_rows, start=2):
        n = int(row.get("_row") or i)
        try:
            start = parse_day(day(row.get("start", "")) or row.get("start", ""), "start")
            end = (parse_day(day(row["end"]) or row["end"], "end") if row.get("end")
                   else None)
        except MerzimError as exc:
            return parsed, RowRefused(n, exc), header
        parsed.append(AnalysisRow(n, row.get("subject", ""), row.get("object", ""), start, end,
                                  row.get("override_reason") or None,
                                  row.get("responsible") or None,
                                  row.get("duplicate_reason") or None))
    return parsed, None, header


@dataclass(frozen=True)
class Known:
    """What the rows depend on in the database, as plain rows (compared in phase 2)."""

    orgs: dict[str, Any]  # code -> (id, code, path)
    users: dict[str, Any]  # login -> (id, login, organisation_id)
    officers: dict[int, Any]  # subject id -> its first active officer
    externals: dict[int, date]  # subject id -> its latest external analysis
    programmes: dict[tuple[int, int], int]  # (subject id, year) -> programme id
    analyses: dict[tuple[int, int], tuple[Span, ...]]  # (subject, object) -> analyses counting


@dataclass
class _Ready:
    """One row checked and planned, not yet written."""

    row: AnalysisRow
    subject: Any
    case: dict[str, Any]  # the case row's columns
    stages: dict[str, StagePlan]
    payload: str  # the audit record's, as canonical JSON ("" while `opened` is pending)
    warnings: list[dict[str, Any]]
    duplicates: tuple[Span, ...] = ()  # what a confirmed duplicate duplicates
    opened: dict[str, Any] | None = None  # the audit payload naming rows of the file (ids: phase 2)


@dataclass
class Checked:
    """Every row of an import checked and planned (phase 1), ready to write."""

    rows: list[AnalysisRow]
    facts: Known
    ready: list[_Ready]


def _read_facts(s: Session, ctx: Context, rows: list[AnalysisRow], analyses: bool = True
                ) -> Known:
    """The organisations, officers, programmes, external and (`analyses`) other analyses the
    rows name: a few queries, whatever the number of rows."""
    codes = {r.subject for r in rows} | {r.object for r in rows}
    orgs = {}
    for part in chunks(sorted(codes)):
        for org in s.exec(select(Organisation.id, Organisation.code, Organisation.path,
                                 Organisation.kind)
                          .where(col(Organisation.code).in_(part))):
            orgs[org.code] = org
    subject_ids = sorted({orgs[r.subject].id for r in rows if r.subject in orgs})
    users = {}
    for part in chunks(sorted({r.responsible for r in rows if r.responsible})):
        for user in s.exec(select(User.id, User.login, User.organisation_id)
                           .where(col(User.login).in_(part))):
            users[user.login] = user
    officers: dict[int, Any] = {}
    externals: dict[int, date] = {}
    programmes: dict[tuple[int, int], int] = {}
    pairs = {(orgs[r.subject].id, orgs[r.object].id) for r in rows
             if r.subject in orgs and r.object in orgs}
    found: dict[tuple[int, int], tuple[Span, ...]] = {}
    check_external = bool(_planning(ctx).get("external_gap"))
    for part in chunks(subject_ids):
        for user in s.exec(select(User.id, User.login, User.organisation_id)
                           .where(col(User.organisation_id).in_(part),
                                  visibility.answerer_condition(col(User.role)),
                                  User.active).order_by(col(User.id))):
            officers.setdefault(user.organisation_id, user)
        if check_external:
            externals.update(s.exec(
                select(ExternalAnalysis.subject_id, func.max(ExternalAnalysis.completed_on))
                .where(col(ExternalAnalysis.subject_id).in_(part))
                .group_by(col(ExternalAnalysis.subject_id))).all())
        for prog in s.exec(select(Programme.id, Programme.subject_id, Programme.year)
                           .where(col(Programme.subject_id).in_(part))):
            programmes[(prog.subject_id, prog.year)] = prog.id
        if analyses:
            found.update((pair, spans) for pair, spans in analyses_of(s, ctx, part).items()
                         if pair in pairs)
    return Known(orgs, users, officers, externals, programmes, found)


def _org(facts: Known, code: str):
    org = facts.orgs.get(code)
    if org is None:
        raise NotFound(f"no organisation {code!r}", key="notfound.org", code=code)
    return org


def _plan_rows(ctx: Context, rows: list[AnalysisRow], facts: Known,
               refused: list[RowRefused] | None = None) -> list[_Ready]:
    """Phase 1 without the database: each row through the checks of `plan_analysis` and
    `open_case`, in the same order, and its stages through the same planner as `sync`. The
    first refused row raises `RowRefused`; with `refused`, every refused row is added to it
    instead (and is no earlier row for the duplicate rule)."""
    defn = planned_definition(ctx)
    plans: dict[tuple, tuple[dict[str, StagePlan], str]] = {}  # the planner is pure: by dates
    earlier: dict[tuple[int, int], list[Span]] = {}  # the rows planned so far, by pair
    ready: list[_Ready] = []
    for r in rows:
        try:
            subject, obj = _org(facts, r.subject), _org(facts, r.object)
            dates, warnings = check_plan(ctx, subject, r.start, r.end, r.override_reason,
                                         facts.externals.get(subject.id))
            pair = (subject.id, obj.id)
            same = check_duplicate(ctx, subject, obj, dates, r.duplicate_reason,
                                   [*facts.analyses.get(pair, ()), *earlier.get(pair, ())])
            warnings += duplicate_warning(same, r.duplicate_reason)
            opening: Opening = check_opening(ctx, defn, obj, dates=dates)
            owner = responsible_among(facts.users, facts.officers, r.responsible, subject)
            key = tuple(sorted(opening.dates.items()))
            if key not in plans:
                plans[key] = first_plan(ctx, defn, Facts(dict(opening.dates)))
        except (MerzimError, CalendarError, ValueError) as exc:
            if refused is None and isinstance(exc, ValueError) \
                    and not isinstance(exc, CalendarError):
                raise
            if refused is None:
                raise RowRefused(r.row, exc) from None
            refused.append(RowRefused(r.row, exc))
            continue
        stages, state = plans[key]
        stages = without_dues(stages, switched_off(ctx, defn, subject.code))  # I-17
        case = case_row(ctx, defn, opening, subject, obj, owner,
                        override_reason=r.override_reason, case_date=r.start)
        case["state"] = state
        opened = opened_payload(defn, opening, subject, obj, None, plan_audit(
            ctx, dates, r.override_reason, warnings, same, r.duplicate_reason))
        pending = any(o.id is None for o in same)
        ready.append(_Ready(r, subject, case, stages, "" if pending else audit.canonical(opened),
                            warnings, tuple(same), opened if pending else None))
        period = period_of(ctx, dates)
        if period is not None:
            earlier.setdefault(pair, []).append(Span(None, *period, row=r.row,
                                                     index=len(ready) - 1))
    return ready


def _named(item: _Ready, case_ids: list[int]) -> tuple[str, list[dict[str, Any]]]:
    """The audit payload and warnings of a row, with the ids of the earlier rows of the file it
    duplicates filled in (taken in phase 2)."""
    if item.opened is None:
        return item.payload, item.warnings
    ids = [o.id if o.id is not None else case_ids[o.index] for o in item.duplicates]
    warnings = [dict(w, duplicate_of=ids) if w["code"] == DUPLICATE_CONFIRMED else w
                for w in item.warnings]
    return audit.canonical({**item.opened, "duplicate_of": ids, "warnings": warnings}), warnings


def check_analyses(s: Session, ctx: Context, rows: list[AnalysisRow]) -> Checked:
    """Phase 1: read, check and plan every row; the first refused row raises `RowRefused`.
    Reads only."""
    facts = _read_facts(s, ctx, rows)
    return Checked(rows, facts, _plan_rows(ctx, rows, facts))


def _new_programmes(facts: Any, items: list[Any]) -> dict[tuple[int, int], Any]:
    """The programmes (subject id, year) the items need that are not stored, with their
    subject, in the items' order."""
    new: dict[tuple[int, int], Any] = {}
    for item in items:
        key = (item.subject.id, item.row.start.year)
        if key not in facts.programmes and key not in new:
            new[key] = item.subject
    return new


def write_analyses(s: Session, ctx: Context, checked: Checked) -> list[Planned]:
    """Phase 2: under the writers' lock, write every checked row with bulk inserts (planned
    again first if another writer changed what the rows depend on since phase 1)."""
    if not checked.rows:
        return []
    audit.serialise(s)
    facts = _read_facts(s, ctx, checked.rows)
    ready = checked.ready if facts == checked.facts else _plan_rows(ctx, checked.rows, facts)
    conn = s.connection()
    new = _new_programmes(facts, ready)
    programmes = dict(facts.programmes)
    programme_ids = new_ids(s, Programme, len(new))
    case_ids = new_ids(s, Case, len(ready))
    keep_version(s, ctx, planned_definition(ctx))  # refused before anything is written
    stage_rows = []
    for (key, subject), prog_id in zip(new.items(), programme_ids, strict=True):
        programmes[key] = prog_id
        stage_rows += [tuple(row[k] for k in STAGE_COLUMNS)
                       for row in programme_stages(ctx, prog_id, subject)]
    if new:
        insert_rows(conn, Programme.__table__, ("id", "subject_id", "year"),
                    [(prog_id, sid, year) for (sid, year), prog_id
                     in zip(new, programme_ids, strict=True)])
    for item, case_id in zip(ready, case_ids, strict=True):
        item.case.update(id=case_id,
                         programme_id=programmes[(item.subject.id, item.row.start.year)])
        stage_rows += stage_tuples(case_id, item.subject, item.stages.values())
    write_cases(conn, [item.case for item in ready], stage_rows)
    named = [_named(item, case_ids) for item in ready]
    audit.append_many(s, ctx.actor, [("case.open", "case", item.case["id"], payload)
                                     for item, (payload, _) in zip(ready, named, strict=True)])
    # the cases as they were stored, their columns as attributes: not ORM objects (read them
    # with the session to change them)
    return [Planned(SimpleNamespace(**item.case), warnings, item.row.row)
            for item, (_, warnings) in zip(ready, named, strict=True)]


def plan_analyses(s: Session, ctx: Context, rows: list[AnalysisRow]) -> list[Planned]:
    """Plan every row, all or nothing: checked and planned first, then written at once."""
    return write_analyses(s, ctx, check_analyses(s, ctx, rows))


# -- a register file of the planned definition, written in batches -------------------------------


@dataclass
class RegisterChecked:
    """A register file's rows checked and planned as analyses (`register_import`'s phase 1 of
    the planned definition): `ready[i]` is `rows[i]`'s. `analyses`: the analyses of the
    file's pairs as the last batch saw them; `case_mark`, `audit_mark`: the newest case and
    audit record when they were read (a batch reads again only the analyses of the subjects
    another writer touched after them, `RegisterPlanner._catch_up`)."""

    checked: Checked
    analyses: dict[tuple[int, int], tuple[Span, ...]] = field(default_factory=dict)
    case_mark: int = 0
    audit_mark: int = 0

    @property
    def ready(self) -> list[_Ready]:
        return self.checked.ready


class RegisterPlanner:
    """How `imports.registers` imports a register file of the planned definition in
    batches (services.hooks.bulk_opener): every row is planned as `plan_opened` plans it
    (`open_checked` hands such a row to it), checked whole without writing, then written a
    slice at a time, each slice a short transaction of its own."""

    def covers(self, ctx: Context, defn: Definition) -> bool:
        """Whether every row that can be opened is planned (an object and a start required),
        so that no row opens as another case would."""
        start_key, _end = date_keys(defn)
        start = defn.dates.get(start_key) if start_key else None
        return (defn.key == planned_definition(ctx).key
                and defn.parties.object == "required"
                and start is not None and start.given == "required")

    def check(self, s: Session, ctx: Context, defn: Definition, cells: list[Any],
              refused: list[RowRefused]) -> RegisterChecked:
        """Every row (`registers.Cells`) checked as `plan_opened` checks it and planned; the
        refused rows added to `refused`. Reads only."""
        start, end = date_keys(defn)
        rows = [AnalysisRow(c.row, c.subject, c.object or "", c.dates.get(start or ""),
                            c.dates.get(end) if end else None, responsible=c.responsible)
                for c in cells]
        marks = case_queries.newest_marks(s)  # first: what commits after is read again
        facts = _read_facts(s, ctx, rows)
        good: list[AnalysisRow] = []
        for c, r in zip(cells, rows, strict=True):
            try:  # `open_checked` → `plan_opened`: the subject, the object, the opening
                _org(facts, c.subject)
                obj = _org(facts, c.object) if c.object else None
                check_opening(ctx, defn, obj, c.person, c.position, c.fields, c.dates)
            except (MerzimError, ValueError) as exc:
                refused.append(RowRefused(c.row, exc))
                continue
            good.append(r)
        return RegisterChecked(Checked(good, facts, _plan_rows(ctx, good, facts, refused)),
                               dict(facts.analyses), *marks)

    def _catch_up(self, s: Session, ctx: Context, planned: RegisterChecked) -> None:
        """Before a batch, under the writers' lock: the analyses of the subjects another
        writer touched since the last read (`case_queries.touched_subjects`: nothing when no
        one wrote) read again into `planned.analyses`, for the file's pairs."""
        facts = planned.checked.facts
        subjects = {o.id for o in facts.orgs.values()}
        since = case_queries.touched_subjects(s, planned_definition(ctx).key,
                                              planned.case_mark, planned.audit_mark,
                                              (IMPORT_DONE,))
        touched = sorted(subjects if since is None else subjects & since)
        if not touched:
            return
        pairs = {(sub.id, obj.id) for r in planned.checked.rows
                 if (sub := facts.orgs.get(r.subject)) is not None
                 and (obj := facts.orgs.get(r.object)) is not None and sub.id in touched}
        again = analyses_of(s, ctx, touched)
        for pair in pairs:
            if pair in again:
                planned.analyses[pair] = again[pair]
            else:
                planned.analyses.pop(pair, None)

    def write(self, s: Session, ctx: Context, planned: RegisterChecked, start: int, stop: int,
              written: list[int], head: list[tuple], tail: list[tuple],
              held: Callable[[list[tuple]], list[tuple]] | None = None,
              events: set[int] | frozenset[int] = frozenset(),
              marks: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows [start, stop) written in the session's transaction, under the writers' lock
        (taken by the caller): their programmes, cases, stages and `case.open` records between
        `head` and `tail` (one piece of the chain). `written`: the ids of the rows before
        `start`, written by earlier batches (a row repeating one of them names its id). What
        the rows depend on is read again; when another writer changed it, every row of the
        file is planned again with it (refused rows raise `RowRefused`, first one). `held`:
        the stage rows of the programmes made and of the rows (by row number) not in `events`
        inserted as it gives them (an unfinished import's); `marks`: columns the cases of
        those rows are inserted with (the unfinished import's mark, never updated on). The
        cases written (columns)."""
        checked = planned.checked
        rows = checked.rows
        self._catch_up(s, ctx, planned)  # the analyses another writer changed: nothing else
        # what these rows depend on, only (their pairs' analyses as caught up)
        facts = replace(_read_facts(s, ctx, rows[start:stop], analyses=False),
                        analyses=planned.analyses)
        ready = checked.ready
        if not _same_for(checked.facts, facts, rows[start:stop]):
            facts = _read_facts(s, ctx, rows)  # changed: every row planned again with it
            ready = _plan_rows(ctx, rows, facts)
        part = ready[start:stop]
        conn = s.connection()
        new = _new_programmes(facts, part)
        programmes = dict(facts.programmes)
        programme_ids = new_ids(s, Programme, len(new))
        case_ids = new_ids(s, Case, len(part))
        stage_rows = []
        keep = held or (lambda made: made)
        for (key, subject), prog_id in zip(new.items(), programme_ids, strict=True):
            programmes[key] = prog_id
            stage_rows += keep([tuple(row[k] for k in STAGE_COLUMNS)
                                for row in programme_stages(ctx, prog_id, subject)])
        if new:
            insert_rows(conn, table_of(Programme), ("id", "subject_id", "year"),
                        [(prog_id, sid, year) for (sid, year), prog_id
                         in zip(new, programme_ids, strict=True)])
        cases = []
        marked = tuple(marks or ())
        for item, case_id in zip(part, case_ids, strict=True):
            case = dict(item.case, id=case_id,
                        programme_id=programmes[(item.subject.id, item.row.start.year)])
            case.update(dict.fromkeys(marked))
            if item.row.row not in events and marks:
                case.update(marks)
            cases.append(case)
            made = stage_tuples(case_id, item.subject, item.stages.values())
            stage_rows += made if item.row.row in events else keep(made)
        if marked:
            insert_rows(conn, table_of(Case), (*CASE_COLUMNS, *marked),
                        [tuple(case[c] for c in (*CASE_COLUMNS, *marked)) for case in cases])
            insert_rows(conn, table_of(Stage), STAGE_COLUMNS, stage_rows)
        else:
            write_cases(conn, cases, stage_rows)
        ids = [*written[:start], *case_ids]
        audit.append_many(s, ctx.actor, [*head, *(
            ("case.open", "case", case["id"], _named(item, ids)[0])
            for item, case in zip(part, cases, strict=True)), *tail])
        # what this batch wrote is no other writer's: the next batch reads only what follows
        planned.case_mark, planned.audit_mark = case_queries.newest_marks(s)
        return cases


def _same_for(old: Known, new: Known, rows: list[AnalysisRow]) -> bool:
    """Whether what `rows` depend on is the same in `old` (read for the whole file) and `new`
    (read again for these rows): their organisations, officers, users, external analyses and
    the analyses of their pairs (a programme is only named when a row is written)."""
    codes = {r.subject for r in rows} | {r.object for r in rows}
    ids = {o.id for r in rows if (o := old.orgs.get(r.subject)) is not None}  # subjects
    pairs = {(s.id, o.id) for r in rows if (s := old.orgs.get(r.subject)) is not None
             and (o := old.orgs.get(r.object)) is not None}
    return (all(old.orgs.get(c) == new.orgs.get(c) for c in codes)
            and all(old.users.get(r.responsible) == new.users.get(r.responsible)
                    for r in rows if r.responsible)
            and all(old.officers.get(i) == new.officers.get(i)
                    and old.externals.get(i) == new.externals.get(i) for i in ids)
            and all(old.analyses.get(p, ()) == new.analyses.get(p, ()) for p in pairs))


REGISTER = RegisterPlanner()
