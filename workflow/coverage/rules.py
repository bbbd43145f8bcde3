"""Coverage as a pure function of the scorecard's facts: every subdivision of the subject
(001:L176-185, the scorecard's `subdivisions`), whether an analysis of it has its note signed
(1.3.3's step), and the points of 1.3.3 that covering one more, or all of them, would add — read
from the scorecard's own `score`, so the two never disagree. The reminders' period (B-14)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from workflow.core.errors import ConfigError
from workflow.scorecard import rules as sc

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

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None) -> CoverageSettings:
        raw = dict(raw or {})
        known = {f.name for f in fields(cls)}
        for key, value in raw.items():
            if key not in known:
                raise ConfigError(f"coverage.{key}: unknown setting (known: "
                                  f"{', '.join(sorted(known))})")
            if not isinstance(value, str):
                raise ConfigError(f"coverage.{key}: {value!r} is not a valid str")
        s = cls(**raw)
        s.first_day(2024)  # a leap year: 02-29 is a day
        if s.remind_every not in EVERY:
            raise ConfigError("coverage.remind_every: must be " +
                              " or ".join(f"'{e}'" for e in EVERY))
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
