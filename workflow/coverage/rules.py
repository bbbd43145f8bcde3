"""Coverage as a pure function of the scorecard's facts: every subdivision of the subject
(001:L176-185, the scorecard's `subdivisions`), whether an analysis of it has its note signed
(1.3.3's step), and the points of 1.3.3 that covering one more, or all of them, would add — read
from the scorecard's own `score`, so the two never disagree. The reminders' period (B-14).

And B-18 (000:L92-98): the final reporting form each subdivision presents to the subject (its
yearly final-report register's entry), as submitted on time or late, not yet, missing or with no
case at all, with the subject's own deadline; and the week of the reminder before it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from workflow.core.errors import ConfigError
from workflow.scorecard import rules as sc

if TYPE_CHECKING:  # the settings read this module at start: the entries' dates come later
    from workflow.registers.entries import Entry

INDICATOR = "1.3.3"  # the indicator coverage is about (001:L160-185)
ROLE = "note_signed"  # the step that covers a subdivision
EVERY = ("month", "year")
# a subdivision's state: covered; not yet (an analysis whose note may still be signed, or no
# analysis while the year lasts); not covered (cancelled, closed as not done, overdue, or no
# analysis in a year that is over)
COVERED, UNDER_WAY, NONE, LATE = "covered", "under_way", "none", "late"


@dataclass(frozen=True)
class CoverageSettings:
    """config.toml [coverage]: when the reminders to the subjects' officers start (B-14: 1
    September) and how often they are sent until every subdivision is covered or the year ends."""

    remind_from: str = "09-01"  # MM-DD of the programme year
    remind_every: str = "month"  # "month": once in each month from then; "year": once
    # B-18: the reminder of the subdivisions' final reports starts this many working days
    # before the subject's own deadline (0: no such reminder)
    submissions_remind_days: int = 10

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None, folder: object = None) -> CoverageSettings:
        """config.toml's table read and checked (`folder`, the config file's: no path here)."""
        raw = dict(raw or {})
        known = {f.name: f.type for f in fields(cls)}
        for key, value in raw.items():
            if key not in known:
                raise ConfigError(f"coverage.{key}: unknown setting (known: "
                                  f"{', '.join(sorted(known))})")
            wanted = int if known[key] in (int, "int") else str
            if not isinstance(value, wanted) or isinstance(value, bool):
                raise ConfigError(f"coverage.{key}: {value!r} is not a valid "
                                  f"{wanted.__name__}")
        s = cls(**raw)
        s.first_day(2024)  # a leap year: 02-29 is a day
        if s.remind_every not in EVERY:
            raise ConfigError("coverage.remind_every: must be " +
                              " or ".join(f"'{e}'" for e in EVERY))
        if not 0 <= s.submissions_remind_days <= 60:
            raise ConfigError("coverage.submissions_remind_days: a number of working days "
                              "from 0 (no reminder) to 60")
        return s

    def first_day(self, year: int) -> date:
        """The day of `year` the reminders start (29 February: the 28th in another year)."""
        try:
            month, day = (int(p) for p in self.remind_from.split("-"))
            if len(self.remind_from) != 5:
                raise ValueError
            return date(year, month, min(day, 28) if (month, day) == (2, 29)
                        and year % 4 else day)
        except ValueError:
            raise ConfigError(f"coverage.remind_from: {self.remind_from!r} is not a day "
                              "of the year as MM-DD") from None


def period(today: date, st: CoverageSettings) -> str | None:
    """The reminder period `today` is in (one reminder per recipient and period), or None
    before the first day of the year's reminders."""
    first = st.first_day(today.year)
    if today < first:
        return None
    return f"{today.year}" if st.remind_every == "year" else f"{today:%Y-%m}"


def _indicator(result: dict[str, Any]) -> dict[str, Any] | None:
    return next((i for i in result["indicators"] if i["key"] == INDICATOR), None)


def _with_covered(f: sc.SubjectFacts, codes: list[str]) -> sc.SubjectFacts:
    """The facts as if an analysis of each subdivision in `codes` had its note signed."""
    extra = tuple(sc.AnalysisFacts(id=-1 - i, subject=f.subject, object=code,
                                   start=date(f.year, 1, 1), steps={ROLE: sc.Step(done=True)})
                  for i, code in enumerate(codes))
    return replace(f, analyses=f.analyses + extra)


def coverage(f: sc.SubjectFacts, st: sc.ScoreSettings) -> dict[str, Any]:
    """Every subdivision with its state, the covered count, 1.3.3's points now, the points one
    more covered subdivision would add (`points_each`: the same for each, the share being a
    count) and all of them (`points_all`); None when 1.3.3 does not score the subject (an
    external analysis replaces its scorecard, 001:L7-13)."""
    year_end = date(f.year, 12, 31)
    units = sc.subdivisions(f.subject, f.tree, st)
    by_unit: dict[str, list[sc.AnalysisFacts]] = {}
    for a in f.analyses:
        by_unit.setdefault(a.object, []).append(a)
    rows: list[dict[str, Any]] = []
    for code in units:
        mine = by_unit.get(code, [])
        status, until = sc.step_status((a.step(ROLE) for a in mine), f.today, year_end)
        live = [a.id for a in mine if not a.cancelled]
        if status == sc.DONE:
            state = COVERED
        elif status == sc.PENDING:
            state = UNDER_WAY if live else NONE
        else:
            state = LATE if live else NONE
        rows.append({"code": code, "state": state, "until": until if state == UNDER_WAY else None,
                     "analyses": live})
    uncovered: list[str] = [r["code"] for r in rows if r["state"] != COVERED]
    now = _indicator(sc.score(f, st))
    each = every = None
    if now is not None and uncovered:
        one = _indicator(sc.score(_with_covered(f, uncovered[:1]), st))
        full = _indicator(sc.score(_with_covered(f, uncovered), st))
        each = sc.r2(one["points"] - now["points"]) if one else None
        every = sc.r2(full["points"] - now["points"]) if full else None
    elif now is not None:
        each = every = 0.0
    for r in rows:
        r["points"] = each if r["state"] != COVERED else None
    covered = len(rows) - len(uncovered)
    return {
        "subject": f.subject, "subject_kind": f.subject_kind, "year": f.year, "as_of": f.today,
        "evaluated": now is not None, "subdivisions": len(rows), "covered": covered,
        "percent": sc.r2(sc.percent(covered, len(rows))),
        "points": now["points"] if now else None, "maximum": now["maximum"] if now else None,
        "points_each": each, "points_all": every,
        "rows": rows,
    }


# -- B-18: each subdivision's final reporting form to the subject ---------------------------------

# a unit's final report of the year: submitted (on time, late), not yet (its due date to come),
# missing (overdue, or closed as not done), or no case at all (its obligation not opened)
SUB_ON_TIME, SUB_LATE = "submitted_on_time", "submitted_late"
SUB_NOT_YET, SUB_MISSING, SUB_NO_CASE = "not_yet", "missing", "no_case"
SUBMITTED = (SUB_ON_TIME, SUB_LATE)


@dataclass(frozen=True, slots=True)
class UnitSubmission:
    """A unit presenting its final reporting form to the subject: its code, name (in the
    reader's language) and kind, its status, its own due date (None: no case, or its deadlines
    are off), the day its report was recorded as submitted, and the case (None: no case)."""

    code: str
    name: str
    kind: str
    status: str
    due: date | None = None
    submitted_on: date | None = None
    case: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class SubmissionsHeading:
    """Whose final reports, for which year, as of which day (`Submissions` and the API's page
    of it): the subject, the register, and the subject's own deadline (its own final-report
    case's due date, else the register's rule for the year: `deadline_from_case` says which)."""

    subject: str
    subject_name: str
    subject_kind: str
    year: int
    as_of: date
    register: str
    deadline: date
    deadline_from_case: bool


@dataclass(frozen=True, slots=True)
class Submissions(SubmissionsHeading):
    """A subject's units and their final reports for a year, as of a day (its heading), the
    units in tree order and the counts by status."""

    units: tuple[UnitSubmission, ...]
    total: int
    submitted: int
    late: int
    not_yet: int
    missing: int
    no_case: int
    # the quasi-state entities the subject supervises: they report to it too (000:L104-106),
    # on their own due date, for project No. 3; not its subdivisions (B-18)
    entities: tuple[UnitSubmission, ...] = ()

    @property
    def waiting(self) -> tuple[UnitSubmission, ...]:
        """The units whose report is not (yet) recorded as submitted."""
        return tuple(u for u in self.units if u.status not in SUBMITTED)

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["units"] = [u.as_dict() for u in self.units]
        out["entities"] = [u.as_dict() for u in self.entities]
        return out


def submitted_on(entry: Entry, completing: str | None) -> date | None:
    """The day the report was submitted: the last standing record of the event completing the
    counted stage, else the stage's own completion day."""
    case = entry.case
    if case is None:
        return None
    found = [r.on for r in case.records if completing and r.event == completing]
    return found[-1] if found else case.stage_done_on


def unit_status(entry: Entry | None, completing: str | None, today: date
                ) -> tuple[str, date | None, date | None]:
    """A unit's status, its due date and the day it submitted, from its entry of the year
    (None: no case). A report still open after its due date is missing (overdue)."""
    from workflow.registers.entries import DONE, PENDING

    if entry is None:
        return SUB_NO_CASE, None, None
    due = entry.case.stage_due if entry.case is not None else entry.due
    if entry.counted == DONE:
        return (SUB_LATE if entry.late else SUB_ON_TIME), due, submitted_on(entry, completing)
    if entry.counted == PENDING and (due is None or today <= due):
        return SUB_NOT_YET, due, None
    return SUB_MISSING, due, None


def submissions(subject: tuple[str, str, str], units: list[tuple[str, str, str]],
                entries: list[Entry], completing: str | None, year: int, today: date,
                register: str, rule_deadline: date,
                entities: Sequence[tuple[str, str, str]] = ()) -> Submissions:
    """The subject (code, name, kind) and its units (code, name, kind, in tree order) with
    their final reports of `year` from the register's entries (of the subject and the units);
    its supervised quasi-state entities (`entities`, the same way) listed apart."""
    by_org = {e.org: e for e in entries}

    def rows_of(orgs: Sequence[tuple[str, str, str]]) -> list[UnitSubmission]:
        out = []
        for code, name, kind in orgs:
            entry = by_org.get(code)
            status, due, day = unit_status(entry, completing, today)
            out.append(UnitSubmission(code, name, kind, status, due, day, entry.case.id
                                      if entry is not None and entry.case else None))
        return out

    rows = rows_of(units)
    own = by_org.get(subject[0])
    own_due = own.case.stage_due if own is not None and own.case is not None else None
    count = {s: sum(1 for r in rows if r.status == s)
             for s in (SUB_ON_TIME, SUB_LATE, SUB_NOT_YET, SUB_MISSING, SUB_NO_CASE)}
    return Submissions(
        subject=subject[0], subject_name=subject[1], subject_kind=subject[2], year=year,
        as_of=today, register=register, deadline=own_due or rule_deadline,
        deadline_from_case=own_due is not None, units=tuple(rows), total=len(rows),
        submitted=count[SUB_ON_TIME] + count[SUB_LATE], late=count[SUB_LATE],
        not_yet=count[SUB_NOT_YET], missing=count[SUB_MISSING], no_case=count[SUB_NO_CASE],
        entities=tuple(rows_of(entities)))


def submissions_week(today: date, first: date, deadline: date) -> int | None:
    """The week of the final reports' reminder `today` is in, counted from its first day
    (`first`: N working days before the subject's deadline) to the deadline itself; None
    outside. One message per officer, channel and week: at most once a week."""
    if not first <= today <= deadline:
        return None
    return (today - first).days // 7
