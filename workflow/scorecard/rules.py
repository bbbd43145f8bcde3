"""The official evaluation of project No. 1 (seed 001), as a pure function of recorded facts.

Most indicators are shares of the subject's subdivisions, which the organisation tree gives
(001:L176-185), not the analyses that happen to be planned: a subdivision with no analysis, or
whose analysis was cancelled, counts as not done. A stage not yet due is neither awarded nor
deducted: the indicator, and the score, are provisional until it is due. Every ambiguity the
methodology leaves open is a documented setting (docs/scorecard.md, config.toml [scorecard]).
The result holds keys, numbers and dates only; workflow/scorecard/words.py puts it in words.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from workflow.core.errors import ConfigError
from workflow.core.kinds import COUNTS_AS, NON_STATE_KINDS, ORG_KINDS, widened

# The steps of one analysis the indicators count; the definition's [scorecard.stages] names the
# stage that completes each (the key words here are the methodology's, not a procedure's).
STEP_ROLES = ("ordered", "start_announced", "discussion_announced", "discussed", "note_signed",
              "plan_approved", "published", "positions_approved", "cartogram_updated")
POSITIONS_ROLE, CARTOGRAM_ROLE = STEP_ROLES[7:9]  # 1.4.1's and 1.5.1's steps
SCHEDULE_ROLE = "schedule_approved"
# 1.3.2 scores publication on an internet resource (001:L148-150): the step whose done record
# must carry a link; one done by a justification note alone leaves the share (B-15)
PUBLISHED_ROLE = "published"
# 1.1.3 and 1.2.1 count an announcement as published on the internet resource, in the media and
# on social networks only when each has its link (000:L265-269; 001:L55-59): the steps whose
# done record must carry a link of every channel its definition names
CHANNEL_ROLES = ("start_announced", "discussion_announced")
DONE, PENDING, MISSING = "done", "pending", "missing"

_APPARATUS = ("apparatus_department", "independent_directorate", "akim_apparatus")
# The categories of a corruption offence in the registers of project No. 2 (the methodology's
# words, 001:L264-318): notices are administrative or criminal, the reconciliation act lists
# offences discrediting the civil service too.
OFFENCE_CATEGORIES = ("administrative", "criminal", "discrediting")


# The settings that are lists of organisation kinds.
KIND_LISTS = ("positions_kinds", "positions_bodies", "cartogram_kinds", "cartogram_sections",
              "subject_kinds", "commission_kinds", "social_order_kinds", "social_order_units",
              "consolidating_kinds")


@dataclass(frozen=True)
class ScoreSettings:
    steps: str = "floor"                  # I-9: a partial 10 % step counts nothing ("linear": pro rata)
    discussion_min_percent: float = 40    # 1.2.2: below this share public discussion gives 0
    missing_document: str = "any"         # -10/-5 when ANY analysis lacks it ("all": when none has it)
    risk_points_cumulative: bool = True   # 1.3.3: a risk eliminated to completion earns 1 + 2 + 5
    positions_kinds: tuple[str, ...] = ("akimat", "central_body")  # 1.4.1 evaluates only these subjects
    positions_penalty: str = "none"       # 1.4.1: -5 when no body has its list ("below_100": unless all)
    # 1.4.1: the subordinate state bodies and supervised QSEs, anywhere below the subject
    positions_bodies: tuple[str, ...] = ("committee", "territorial_department", "department",
                                         "district_akimat", "quasi_state")
    cartogram_points: float = 2           # 1.5.1 per updated department/district section
    cartogram_kinds: tuple[str, ...] = ("akimat",)  # 1.5.1 evaluates only these subjects
    cartogram_sections: tuple[str, ...] = ("department", "district_akimat")  # direct subordinates
    external_years_back: int = 1          # l.7-13: external analysis in the programme year or 1 before
    external_points_per_percent: float = 0.3  # no scale in the source: the monitoring scale is used
    # 001:L176-185: a subject kind -> the kinds below it that are its subdivisions (walked down
    # through those kinds only); the subject itself when the tree holds none of them
    subdivisions: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("central_body", ("apparatus_department", "independent_directorate", "committee",
                          "territorial_department")),
        ("akimat", ("akim_apparatus", "department")),
    )
    other_subdivisions: str = "children"  # other kinds: their direct subordinate state bodies
    #                                       ("self": the subject alone); itself when it has none
    # who is a subject of its own scorecard in `--subtree` (parts of an apparatus are not)
    subject_kinds: tuple[str, ...] = tuple(k for k in ORG_KINDS if k not in _APPARATUS)
    # projects No. 2-4 (workflow/scorecard/evaluation.py; shared/domain/projects-2-4.md B-n)
    reconciliation_counted: tuple[str, ...] = ("administrative", "criminal")  # B-2: 2.2.1's facts
    law_report_late: str = "penalty"      # B-4: 2.5.4's -5 also when submitted late ("accepted")
    qse_scope: str = "below"              # B-5: project 3's QSEs anywhere below ("children": direct)
    qse_min_percent: float = 0            # B-8: S2 below this share gives 0 (0: linear to 0 %)
    published_documents: int = 8          # B-7: 3.2.9 needs this many of the 8 documents published
    commission_kinds: tuple[str, ...] = ("akimat",)    # 4.1.1 evaluates only these subjects
    social_order_kinds: tuple[str, ...] = ("akimat",)  # 4.1.2 evaluates only these subjects
    # B-16: 4.1.2's territories are the region itself and the city and district akimats of
    # these kinds under it (anywhere below: "below"; directly: "children")
    social_order_units: tuple[str, ...] = ("district_akimat",)
    social_order_scope: str = "below"
    # B-18: these subjects' projects No. 2 and 4 take in the facts of the organisations under
    # them (quasi-state entities excepted: they are project No. 3's); others: their own alone
    consolidating_kinds: tuple[str, ...] = ("central_body", "akimat")
    # the web server works out each root's figures (its score page's and overview's) in the
    # background when it starts, so the first reader after a restart finds them kept
    warm_at_start: bool = True
    outreach_cumulative: bool = True      # B-12: 4.3.1's +5 and +10 add up (False: the higher)

    def __post_init__(self) -> None:
        """Every list of kinds read with the kinds that count as one of them
        (`core.kinds.widened`: a city of republican significance's akimat is evaluated as a
        regional akimat, a district department as a department), as the definitions' are."""
        for key in KIND_LISTS:
            object.__setattr__(self, key, widened(getattr(self, key)))
        pairs = dict((kind, widened(below)) for kind, below in self.subdivisions)
        for kind, like in COUNTS_AS.items():
            if like in pairs and kind not in pairs:
                pairs[kind] = pairs[like]
        object.__setattr__(self, "subdivisions", tuple(pairs.items()))

    def __hash__(self) -> int:
        """By value, worked out once (the kept figures' and the evaluation's memos are keyed by
        the settings: a root's page looks up 10,000 keys)."""
        known = self.__dict__.get("_hash")
        if known is None:
            known = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", known)
        return known

    def __getstate__(self) -> dict[str, Any]:
        """Its fields (a copy in another process works its hash out again: strings hash
        differently there)."""
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None, folder: object = None) -> ScoreSettings:
        """config.toml's table read and checked (`folder`, the config file's: no path here)."""
        raw = dict(raw or {})
        known = {f.name for f in fields(cls)}
        for key in raw:
            if key not in known:
                raise ConfigError(f"scorecard.{key}: unknown setting (known: {', '.join(sorted(known))})")
            value, kind = raw[key], str(next(f.type for f in fields(cls) if f.name == key))
            number = isinstance(value, int | float) and not isinstance(value, bool)
            ok = {"bool": isinstance(value, bool), "str": isinstance(value, str),
                  "int": number and isinstance(value, int), "float": number}.get(
                kind, isinstance(value, list | tuple) and all(isinstance(v, str) for v in value))
            if key == "subdivisions":
                ok = isinstance(value, dict) and all(
                    isinstance(v, list | tuple) and all(isinstance(x, str) for x in v)
                    for v in value.values())
            if not ok:
                raise ConfigError(f"scorecard.{key}: {value!r} is not a valid {kind}")
        values: dict[str, Any] = dict(raw)
        for key in (*KIND_LISTS, "reconciliation_counted"):
            if key in values:
                values[key] = tuple(values[key])
        if "subdivisions" in values:
            values["subdivisions"] = tuple((k, tuple(v)) for k, v in values["subdivisions"].items())
        s = cls(**values)
        for key, allowed in (("steps", ("floor", "linear")), ("missing_document", ("any", "all")),
                             ("positions_penalty", ("none", "below_100")),
                             ("other_subdivisions", ("children", "self")),
                             ("law_report_late", ("penalty", "accepted")),
                             ("qse_scope", ("below", "children")),
                             ("social_order_scope", ("children", "below"))):
            if getattr(s, key) not in allowed:
                raise ConfigError(f"scorecard.{key}: must be " + " or ".join(f"'{a}'" for a in allowed))
        _check_projects_2_4(s)
        named = [*s.positions_kinds, *s.positions_bodies, *s.cartogram_kinds,
                 *s.cartogram_sections, *s.subject_kinds, *s.commission_kinds,
                 *s.social_order_kinds, *s.social_order_units, *s.consolidating_kinds,
                 *(k for kind, kinds in s.subdivisions for k in (kind, *kinds))]
        unknown = sorted({k for k in named if k not in ORG_KINDS})
        if unknown:
            raise ConfigError(f"scorecard: unknown organisation kind {', '.join(unknown)} "
                              f"(known: {', '.join(ORG_KINDS)})")
        return s


def _check_projects_2_4(s: ScoreSettings) -> None:
    """The settings of projects No. 2-4 whose values have bounds."""
    wrong = [c for c in s.reconciliation_counted if c not in OFFENCE_CATEGORIES]
    if wrong:
        raise ConfigError(f"scorecard.reconciliation_counted: unknown category {', '.join(wrong)} "
                          f"(known: {', '.join(OFFENCE_CATEGORIES)})")
    if not 1 <= s.published_documents <= 8:
        raise ConfigError("scorecard.published_documents: must be 1 to 8")
    if not 0 <= s.qse_min_percent <= 100:
        raise ConfigError("scorecard.qse_min_percent: must be 0 to 100")


# -- the facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Org:
    """One organisation of the tree, as the scorecard needs it."""

    code: str
    kind: str
    parent: str | None = None
    headcount: int | None = None  # its staff, when known (B-20: a consolidated share's)


@dataclass(frozen=True)
class Step:
    """One stage of one analysis: done (on time or late), or still open (it may yet be done)
    with its due date (None: no deadline); neither: closed as not done or not applicable."""

    done: bool = False
    open: bool = False
    due: date | None = None
    # done without a link on an internet resource (the publication by a justification note
    # alone, I-13): it leaves 1.3.2's share, neither awarded nor deducted (B-15)
    unlinked: bool = False
    # an announcement (CHANNEL_ROLES) done without a link of these channels: not published on
    # every channel, so not counted (001:L55-59)
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalysisFacts:
    """One analysis of the year: who ran it, of what, from when, and its steps. A cancelled
    analysis did nothing (its steps count as not done) but still says its object was due one."""

    id: int
    subject: str
    object: str
    start: date
    steps: Mapping[str, Step] = field(default_factory=dict)  # role (STEP_ROLES) -> Step
    monitoring_closed: bool = False
    cancelled: bool = False

    def step(self, role: str) -> Step:
        return NO_STEP if self.cancelled else self.steps.get(role, NO_STEP)


NO_STEP = Step()  # not done, not open (frozen: one for every analysis without the step)


@dataclass(frozen=True)
class RiskFacts:
    id: int
    eliminated: bool  # every recommendation against it fulfilled
    completed: bool   # eliminated and its analysis's monitoring closed by the result note
    analysis: int = 0  # the analysis that identified it


@dataclass(frozen=True)
class ExternalFacts:
    completed_on: date
    items: int
    items_fulfilled: int


@dataclass(frozen=True)
class SubjectFacts:
    """What one subject's scorecard of one year is computed from (services/scoring.py reads it)."""

    subject: str
    subject_kind: str
    year: int
    today: date
    tree: tuple[Org, ...]                 # the subject and everything below it
    analyses: tuple[AnalysisFacts, ...]   # the year's analyses run by or of the tree
    schedule_approved: bool = False
    risks: tuple[RiskFacts, ...] = ()     # identified by those analyses
    external: ExternalFacts | None = None
    cartogram_recorded: bool = False      # the definition records cartogram updates (I-7)
    # the sections (organisation codes) whose cartogram update was recorded with the year's
    # analyses, each with the part it names (None: no part, version 4's record: both), when
    # the definition records updates as events ([scorecard.events]); None: the analyses'
    # `cartogram_updated` step counts instead (a definition mapping it to a stage)
    cartogram_updates: tuple[tuple[str, str | None], ...] | None = None
    # the parts of each section scored on their own (positions, the list of risks:
    # 000:L1807-1809, 001:L232-248); empty: one per section
    cartogram_parts: tuple[str, ...] = ()


# -- the organisation tree ----------------------------------------------------------------------------


def _children(tree: Sequence[Org]) -> dict[str | None, list[Org]]:
    out: dict[str | None, list[Org]] = {}
    for o in tree:
        out.setdefault(o.parent, []).append(o)
    return out


def subdivisions(subject: str, tree: Sequence[Org], st: ScoreSettings) -> tuple[str, ...]:
    """The subject's subdivisions (001:L176-185): for a kind the setting names, the organisations
    below it of the kinds it lists (walking down through those kinds only); for another kind its
    direct subordinate state bodies ("children"); the subject itself when there are none."""
    kids = _children(tree)
    kind = next(o.kind for o in tree if o.code == subject)
    rule = dict(st.subdivisions).get(kind)
    found: list[str] = []
    if rule is not None:
        stack = list(reversed(kids.get(subject, [])))
        while stack:
            o = stack.pop()
            if o.kind in rule:
                found.append(o.code)
                stack.extend(reversed(kids.get(o.code, [])))
    elif st.other_subdivisions == "children":
        found = [o.code for o in kids.get(subject, []) if o.kind not in NON_STATE_KINDS]
    return tuple(found) or (subject,)


def subordinate_bodies(subject: str, tree: Sequence[Org], st: ScoreSettings) -> tuple[str, ...]:
    """1.4.1 (001:L212-216): the subordinate state bodies and supervised QSEs below the subject."""
    kids = _children(tree)
    found: list[str] = []
    stack = list(reversed(kids.get(subject, [])))
    while stack:
        o = stack.pop()
        if o.kind in st.positions_bodies:
            found.append(o.code)
        stack.extend(reversed(kids.get(o.code, [])))
    return tuple(found)


def cartogram_sections(subject: str, tree: Sequence[Org], st: ScoreSettings) -> tuple[str, ...]:
    """1.5.1 (001:L232-242): the cartogram's sections, one per department and district."""
    return tuple(o.code for o in _children(tree).get(subject, []) if o.kind in st.cartogram_sections)


def subject_analyses(f: SubjectFacts, st: ScoreSettings) -> list[AnalysisFacts]:
    """The analyses the subject answers for: those it ran and those of its subdivisions."""
    units = set(subdivisions(f.subject, f.tree, st))
    return [a for a in f.analyses if a.object in units or a.subject == f.subject]


# -- arithmetic ------------------------------------------------------------------------------------


def percent(n: int, d: int) -> float:
    return 100.0 * n / d if d else 0.0


def tens(pct: float, how: str) -> float:
    """Whole 10 % steps (I-9 floor) or the exact fraction ('linear')."""
    return math.floor(pct / 10 + 1e-9) if how == "floor" else pct / 10


def ones(pct: float, how: str) -> float:
    return math.floor(pct + 1e-9) if how == "floor" else pct


def r2(x: float) -> float:
    return round(x + 0.0, 2)


def step_status(steps: Iterable[Step], today: date, year_end: date) -> tuple[str, date | None]:
    """One unit's status for one step over its analyses: done when any did it; pending (until
    when) when one may still do it before its due date (no deadline: the year's end), or when
    it has no analysis yet and the year is not over; else missing (cancelled, closed as not
    done, overdue, or no analysis in a year that is over)."""
    steps = list(steps)
    if not steps:
        return (PENDING, year_end) if today <= year_end else (MISSING, None)
    if any(s.done for s in steps):
        return DONE, None
    until = [s.due or year_end for s in steps if s.open and (s.due or year_end) >= today]
    return (PENDING, max(until)) if until else (MISSING, None)


@dataclass
class Indicator:
    key: str
    source: str
    inputs: dict[str, Any]
    points: float
    maximum: float | None
    kind: str  # award | penalty | info
    note: str = ""  # why an indicator is information only (an i18n key under score.note)
    pending_until: date | None = None  # provisional: a stage it counts is not yet due
    scored_by: str = ""  # projects No. 2-4: the kind of rule that scores it (indicators.toml)


class _Tally:
    """Done, pending and missing units for one step (`left`: the units set aside, done only
    without a link; `lacking`: the units whose announcement lacks a channel, by unit)."""

    def __init__(self, n: int, done: int, pending: int, until: date | None,
                 left: int = 0, lacking: Mapping[str, tuple[str, ...]] | None = None):
        self.n, self.done, self.pending, self.until, self.left = n, done, pending, until, left
        self.missing = n - done - pending
        self.lacking = dict(lacking or {})


def _unit(analyses: Sequence[AnalysisFacts], role: str, today: date, year_end: date
          ) -> tuple[str, date | None, bool, tuple[str, ...]]:
    """What the score reads of one unit for one step over its analyses: its status and until
    when pending (`step_status`), whether it was done only without a link (B-15), and the
    channels its announcement lacks (001:L55-59: () when some analysis announced on every
    channel, or none announced; else those its best announcement, the fewest missing and the
    first of equals, has no link on)."""
    steps = [a.step(role) for a in analyses]
    status, until = step_status(steps, today, year_end)
    done = [st for st in steps if st.done]
    unlinked = bool(done) and all(st.unlinked for st in done)
    missing = (() if not done or any(not st.missing for st in done)
               else min((st.missing for st in done), key=len))
    return status, until, unlinked, missing


class _Units:
    """One step's values of some units (`_unit`) and their sums: computed once for a subject's
    facts, then the sums of the same units with a few of them valued anew (`patched`: the
    facts with one analysis's step changed) without a pass over the others."""

    def __init__(self, values: dict[str, tuple[str, date | None, bool, tuple[str, ...]]]):
        self.values = values
        self.count: dict[tuple[str, bool], int] = {}
        self.untils: dict[bool, dict[date, int]] = {False: {}, True: {}}
        self.lacking: dict[str, tuple[bool, tuple[str, ...]]] = {}
        for u, v in values.items():
            self._add(u, v, 1)

    def _add(self, u: str, v: tuple[str, date | None, bool, tuple[str, ...]], sign: int) -> None:
        status, until, unlinked, missing = v
        self.count[(status, unlinked)] = self.count.get((status, unlinked), 0) + sign
        if status == PENDING and until is not None:
            dates = self.untils[unlinked]
            dates[until] = dates.get(until, 0) + sign
            if not dates[until]:
                del dates[until]
        if missing:
            if sign > 0:
                self.lacking[u] = (unlinked, missing)
            else:
                self.lacking.pop(u, None)

    def patched(self, values: Mapping[str, tuple[str, date | None, bool, tuple[str, ...]]]
                ) -> _Units:
        """These sums with the units of `values` valued so instead."""
        out = _Units.__new__(_Units)
        out.values = self.values
        out.count = dict(self.count)
        out.untils = {k: dict(v) for k, v in self.untils.items()}
        out.lacking = dict(self.lacking)
        for u, v in values.items():
            if u in self.values:
                out._add(u, self.values[u], -1)
                out._add(u, v, 1)
        return out

    def tally(self, linked: bool = False, channels: bool = False) -> _Tally:
        """The tally of the units; `linked`: those done only without a link set aside;
        `channels`: an announcement lacking a channel not done (001:L55-59)."""
        kept = (False,) if linked else (False, True)
        n = sum(c for (_, unlinked), c in self.count.items() if unlinked in kept)
        done = sum(self.count.get((DONE, k), 0) for k in kept)
        pending = sum(self.count.get((PENDING, k), 0) for k in kept)
        until = max((d for k in kept for d in self.untils[k]), default=None)
        lacking = {u: m for u, (unlinked, m) in self.lacking.items()
                   if unlinked in kept} if channels else {}
        left = len(self.values) - n
        return _Tally(n, done - len(lacking), pending, until, left, lacking)


class ScoreBase:
    """What `score` reads of a subject's facts beside the analyses' steps (its units, bodies
    and sections, its own analyses, the analyses by unit) and each unit's values per step:
    worked out once for the facts, and read by the scores of the same facts with one analysis
    changed (`score(…, base=…, change=…)`: what recording a stage is worth, over a root's
    thousands of units and analyses, from the units' values kept here)."""

    def __init__(self, f: SubjectFacts, st: ScoreSettings):
        self.f, self.st = f, st
        self.units = subdivisions(f.subject, f.tree, st)
        self.own = subject_analyses(f, st)
        self.own_ids = {a.id for a in self.own}
        self.doc_units = tuple(dict.fromkeys(a.object for a in self.own))
        self._by: dict[str, dict[str, list[AnalysisFacts]]] = {}
        self._over: dict[str, tuple[str, ...]] = {"units": self.units, "docs": self.doc_units}
        self._sums: dict[tuple[str, str, str], _Units] = {}

    def by(self, name: str) -> dict[str, list[AnalysisFacts]]:
        """The analyses by unit: by object ("object"), the subject's own by object ("own"),
        by object and by subject ("body", 1.5.1)."""
        if name not in self._by:
            self._by[name] = (_by(self.own, "object") if name == "own" else
                              _by(self.f.analyses, name))
        return self._by[name]

    def over(self, name: str) -> tuple[str, ...]:
        """The units an indicator is scored over: "units" (the subdivisions), "docs" (the
        objects of the subject's own analyses), "bodies" (1.4.1), "sections" (1.5.1)."""
        if name not in self._over:
            f, st = self.f, self.st
            self._over[name] = (subordinate_bodies(f.subject, f.tree, st) if name == "bodies"
                                else cartogram_sections(f.subject, f.tree, st))
        return self._over[name]

    def sums(self, role: str, over: str, by: str,
             change: AnalysisFacts | None = None) -> _Units:
        """The step's values of the units `over` from the analyses `by`, and their sums; with
        `change`, the sums with that analysis (the same id, subject and object) changed."""
        key = (role, over, by)
        base = self._sums.get(key)
        f = self.f
        today, year_end = f.today, date(f.year, 12, 31)
        if base is None:
            grouped = self.by(by)
            base = self._sums[key] = _Units({u: _unit(grouped.get(u, []), role, today, year_end)
                                             for u in self.over(over)})
        if change is None:
            return base
        if by == "own" and change.id not in self.own_ids:
            return base
        grouped = self.by(by)
        touched = {change.object, change.subject} if by == "body" else {change.object}
        return base.patched({u: _unit([change if a.id == change.id else a
                                       for a in grouped.get(u, [])], role, today, year_end)
                             for u in touched})


def _by(analyses: Iterable[AnalysisFacts], who: str) -> dict[str, list[AnalysisFacts]]:
    """Analyses by object ('object'), or by object and by subject ('body': a district's
    cartogram section is updated from an analysis of it or one it ran)."""
    out: dict[str, list[AnalysisFacts]] = {}
    for a in analyses:
        out.setdefault(a.object, []).append(a)
        if who == "body" and a.subject != a.object:
            out.setdefault(a.subject, []).append(a)
    return out


# -- the score -------------------------------------------------------------------------------------


def score(f: SubjectFacts, st: ScoreSettings, roles: Collection[str] | None = None,
          base: ScoreBase | None = None, change: AnalysisFacts | None = None
          ) -> dict[str, Any]:
    """Every indicator with its inputs and points, the deductions, the total, and the date
    until which the score is provisional (None: every stage it counts is due). With `roles`,
    only the indicators that read an analysis's step of one of those roles (what a stage of
    that role is worth changes no other indicator: the points still to win of a root's
    thousands of analyses). `base`: `ScoreBase(f, st)`, worked out once for several scores of
    the facts; `change`: the facts with this analysis (the same id, subject and object, its
    steps changed) in place of theirs, scored from the base's units with the changed ones
    valued anew."""
    if f.external is not None and f.subject_kind not in NON_STATE_KINDS:
        return _external(f, f.external, st)
    today, year_end = f.today, date(f.year, 12, 31)
    base = ScoreBase(f, st) if base is None else base
    own = base.own
    out: list[Indicator] = []

    def tally(role: str, over: str = "units", by: str = "object", linked: bool = False
              ) -> _Tally:
        return base.sums(role, over, by, change).tally(linked, role in CHANNEL_ROLES)

    def share(key: str, role: str, source: str, per_step: float, maximum: float,
              size: int = 10, threshold: float | None = None, over: str = "units",
              by: str = "object", unit: str = "subdivision", linked: bool = False) -> None:
        if not _reads(roles, role):
            return
        # the units done only without a link set aside (`linked`); an announcement without a
        # link on every channel is not published (001:L55-59)
        t = tally(role, over, by, linked)
        lacking = t.lacking
        pct = percent(t.done, t.n)
        steps = tens(pct, st.steps) if size == 10 else ones(pct, st.steps)
        pts = min(maximum, per_step * steps)
        inputs = {"unit": unit, "units": t.n, "done": t.done, "pending": t.pending,
                  "percent": r2(pct), "step_percent": size, "steps": r2(steps),
                  "per_step": per_step}
        if linked:
            inputs["unlinked"] = t.left
        if lacking:  # the units not counted, and how many lack each channel
            inputs["incomplete"] = len(lacking)
            order = dict.fromkeys(c for m in sorted(lacking.values(), key=len, reverse=True)
                                  for c in m)  # the definition's order of its channels
            inputs["missing_channels"] = {c: sum(1 for m in lacking.values() if c in m)
                                          for c in order}
        if threshold is not None:
            inputs["threshold"] = threshold
            if pct < threshold:
                pts = 0.0
        out.append(Indicator(key, source, inputs, r2(pts), maximum, "award",
                             pending_until=t.until))

    def document(key: str, role: str, source: str, penalty: float) -> None:
        """-N when the analyses lack a document (setting missing_document), counted per object
        analysed: a cancelled analysis lacks it, unless another analysis of its object has it."""
        if not _reads(roles, role):
            return
        t = tally(role, "docs", "own")
        if t.n == 0:  # no analysis in the year: missing once the year is over
            missing, until = today > year_end, (year_end if today <= year_end else None)
        elif st.missing_document == "any":
            missing = t.missing > 0
            until = None if missing else t.until
        else:
            missing = t.done == 0 and t.pending == 0
            until = t.until if t.done == 0 else None
        out.append(Indicator(key, source, {"analyses": t.n, "done": t.done, "pending": t.pending,
                                           "missing": t.missing, "rule": st.missing_document},
                             -penalty if missing else 0, None, "penalty", pending_until=until))

    out.extend(_schedule(f, year_end, roles))
    document("1.1.2", "ordered", "001:L37-45", 10)
    share("1.1.3", "start_announced", "001:L49-67", 0.3, 3)
    share("1.2.1", "discussion_announced", "001:L75-91", 0.3, 3)
    share("1.2.2", "discussed", "001:L92-106", 0.5, 5, threshold=st.discussion_min_percent)
    document("1.2.3", "note_signed", "001:L110-118", 5)
    document("1.3.1", "plan_approved", "001:L124-138", 5)
    share("1.3.2", PUBLISHED_ROLE, "001:L142-156", 0.3, 3, linked=True)
    share("1.3.3", "note_signed", "001:L160-185", 0.3, 30, size=1)
    out.extend(_risks(f, st, own, roles))
    if _reads(roles, POSITIONS_ROLE):
        _positions(f, st, out, share, tally, base)
    if _reads(roles, CARTOGRAM_ROLE):
        _cartogram(f, st, out, tally, base)
    return _result(f, out, external=False)



def _reads(roles: Collection[str] | None, role: str) -> bool:
    """Whether a score limited to `roles` (None: every indicator) computes those of `role`."""
    return roles is None or role in roles


def _schedule(f: SubjectFacts, year_end: date, roles: Collection[str] | None
              ) -> list[Indicator]:
    """1.1.1 the schedule: due when the subject's first analysis of the year starts (the
    schedule fixes the analyses' periods, 000:L219-221; a cancelled one too), at the latest at
    the year's end. It reads no analysis's step: none in a score limited to some roles."""
    if roles is not None:
        return []
    starts = [a.start for a in f.analyses if a.subject == f.subject]
    schedule_due = min([*starts, year_end])
    schedule_pending = not f.schedule_approved and f.today <= schedule_due
    return [Indicator("1.1.1", "001:L27-33",
                      {"approved": f.schedule_approved, "due": schedule_due},
                      0 if f.schedule_approved or schedule_pending else -10, None, "penalty",
                      pending_until=schedule_due if schedule_pending else None)]


def _risks(f: SubjectFacts, st: ScoreSettings, own: Sequence[AnalysisFacts],
           roles: Collection[str] | None) -> list[Indicator]:
    """1.3.3's risks: identified, eliminated and completed in the counted analyses (no step
    read: none in a score limited to some roles)."""
    if roles is not None:
        return []
    counted = {a.id for a in own if not a.cancelled}
    risks = [r for r in f.risks if r.analysis in counted]
    identified = len(risks)
    eliminated = sum(1 for r in risks if r.eliminated)
    completed = sum(1 for r in risks if r.completed)
    if st.risk_points_cumulative:
        risk_pts = identified + 2 * eliminated + 5 * completed
    else:  # only the highest applies to a risk
        risk_pts = sum(5 if r.completed else 2 if r.eliminated else 1 for r in risks)
    return [Indicator("1.3.3-risks", "001:L189-197",
                      {"identified": identified, "eliminated": eliminated,
                       "completed": completed, "cumulative": st.risk_points_cumulative},
                      risk_pts, None, "award")]

def _positions(f: SubjectFacts, st: ScoreSettings, out: list[Indicator], share, tally,
               base: ScoreBase) -> None:
    """1.4.1 over the subordinate bodies and supervised QSEs (001:L204-222)."""
    if f.subject_kind not in st.positions_kinds:
        for key in ("1.4.1", "1.4.1-penalty"):  # every scorecard has every indicator
            out.append(Indicator(key, "001:L210-212", {"subject_kind": f.subject_kind,
                                                       "rule": st.positions_penalty}, 0, None,
                                 "info", "positions_kind"))
        return
    bodies = base.over("bodies")
    if not bodies:
        for key in ("1.4.1", "1.4.1-penalty"):
            out.append(Indicator(key, "001:L210-216", {"subject_kind": f.subject_kind,
                                                       "rule": st.positions_penalty}, 0, None,
                                 "info", "no_bodies"))
        return
    # a body's list: drawn up by an analysis of it
    share("1.4.1", "positions_approved", "001:L204-222", 0.5, 5, over="bodies", unit="body")
    t = tally("positions_approved", "bodies")
    if st.positions_penalty == "none":
        penalty, pending = t.done == 0 and t.pending == 0, t.done == 0 and t.pending > 0
    else:
        penalty, pending = t.missing > 0, t.missing == 0 and t.pending > 0
    out.append(Indicator("1.4.1-penalty", "001:L220-222",
                         {"units": t.n, "done": t.done, "pending": t.pending,
                          "rule": st.positions_penalty},
                         -5 if penalty else 0, None, "penalty",
                         pending_until=t.until if pending else None))


def _cartogram(f: SubjectFacts, st: ScoreSettings, out: list[Indicator], tally,
               base: ScoreBase) -> None:
    """1.5.1: points per department/district section updated (001:L228-248, I-7)."""
    if f.subject_kind not in st.cartogram_kinds:
        out.append(Indicator("1.5.1", "001:L232", {"per_unit": st.cartogram_points}, 0, None,
                             "info", "cartogram_kind"))
        return
    if not f.cartogram_recorded:
        out.append(Indicator("1.5.1", "001:L232", {"per_unit": st.cartogram_points}, 0, None,
                             "info", "cartogram_unrecorded"))
        return
    sections = base.over("sections")
    if f.cartogram_updates is not None:  # updates recorded per section, no deadline (I-7)
        # each part of a section (positions; the list of risks) scores on its own; an update
        # naming no part (version 4) updated the section's both parts
        parts: tuple[str | None, ...] = f.cartogram_parts or (None,)
        updated = set(f.cartogram_updates)
        done = sum(1 for code in sections for part in parts
                   if (code, part) in updated or (code, None) in updated)
        inputs: dict[str, Any] = {"unit": "section", "units": len(sections) * len(parts),
                                  "done": done, "pending": 0, "per_unit": st.cartogram_points}
        if f.cartogram_parts:
            inputs["sections"], inputs["parts"] = len(sections), len(parts)
        out.append(Indicator("1.5.1", "001:L228-248", inputs,
                             r2(st.cartogram_points * done), None, "award"))
        return
    t = tally("cartogram_updated", "sections", "body")
    out.append(Indicator("1.5.1", "001:L228-248",
                         {"unit": "section", "units": t.n, "done": t.done, "pending": t.pending,
                          "per_unit": st.cartogram_points},
                         r2(st.cartogram_points * t.done), None, "award", pending_until=t.until))


def _external(f: SubjectFacts, e: ExternalFacts, st: ScoreSettings) -> dict[str, Any]:
    pct = percent(e.items_fulfilled, e.items)
    steps = ones(pct, st.steps)
    out = [Indicator("external", "001:L7-13",
                     {"completed_on": e.completed_on, "items": e.items,
                      "fulfilled": e.items_fulfilled, "percent": r2(pct), "steps": r2(steps),
                      "per_step": st.external_points_per_percent},
                     r2(st.external_points_per_percent * steps),
                     r2(st.external_points_per_percent * 100), "award", "external")]
    return _result(f, out, external=True)


def _result(f: SubjectFacts, out: list[Indicator], external: bool) -> dict[str, Any]:
    awards = r2(sum(i.points for i in out if i.kind == "award"))
    deductions = r2(sum(i.points for i in out if i.kind == "penalty"))
    until = max((i.pending_until for i in out if i.pending_until), default=None)
    return {
        "subject": f.subject, "subject_kind": f.subject_kind, "year": f.year, "as_of": f.today,
        "external_case": external, "provisional_until": until,
        "indicators": [dict(i.__dict__) for i in out],
        "awards": awards, "deductions": deductions, "total": r2(awards + deductions),
    }
