"""The evaluation of projects No. 2, 3 and 4 (seed 001 L252-818; shared/domain/projects-2-4.md),
as a pure function of the registers' entries, and the whole evaluation of projects No. 1-4.

An entry of a register is read once, by the registers' read side (workflow/registers/): its
organisation, the years it counts in by its register's one rule (B-17), whether its counted stage
is done, pending or missing, its values by role (`category`, `independent`, `kind`, `numerator`,
`denominator`, `count`, `views`, `online`, `unit`, `document`) and the standing records of the
register's `records` event. A central body's and an akimat's facts of projects No. 2 and 4 take
in those of the organisations under it (B-18, workflow/registers/scope.py); each indicator says
where its facts came from (`from`) and how many were entered after their year (`entered_late`).
Nothing here names a stage, event, state or date of
a definition. As in project No. 1, what is not yet due is neither awarded nor deducted: the
indicator carries `pending_until` and the evaluation is provisional until then. Every
interpretation the methodology leaves open is a setting (docs/scorecard.md).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from workflow.core.errors import ConfigError
from workflow.core.kinds import NON_STATE_KINDS
from workflow.core.periods import parse as parse_period
from workflow.registers.entries import Entry
from workflow.registers.scope import APPARATUS_KINDS, members
from workflow.scorecard.rules import (
    DONE,
    MISSING,
    OFFENCE_CATEGORIES,
    PENDING,
    Indicator,
    Org,
    ScoreSettings,
    percent,
    r2,
)

YES = "yes"
QSE = ("quasi_state",)
DISTRICTS = ("district_akimat",)
KINDS = ("by_category", "band", "facts", "report_penalty", "quarterly_share", "document_share",
         "published_share", "certificates", "commission", "territories", "ratio", "monthly",
         "outreach")
PROJECT_3_KINDS = ("quarterly_share", "document_share", "published_share", "certificates")
SHARE_KINDS = (*PROJECT_3_KINDS[:3], "territories")  # scored as a share in 10 % steps


# -- the catalogue of indicators ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """One indicator of the catalogue (indicators.toml): its key, the kind of rule that scores
    it, its source lines and the figures of its rule (`params`)."""

    key: str
    kind: str
    source: str
    params: Mapping[str, Any] = field(default_factory=dict)
    state_body: bool = False

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The indicators of projects No. 2-4 in the scorecard's order, and what a register's
    entry feeds: a breach of a restriction by its `kind`, a yearly report by its register's
    indicator."""

    indicators: tuple[IndicatorSpec, ...]
    # what an entry feeds: (its register's indicator's first three characters, the restriction)
    # -> the indicator; a report-penalty's register indicator -> the penalty
    restrictions: Mapping[tuple[str, str], str] = field(default_factory=dict)
    penalties: Mapping[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(i.key for i in self.indicators)

    def feeds(self, c: Entry) -> str:
        """The indicator an entry counts for: a breach of a restriction (an entry with a
        `kind` role) the indicator of that restriction; a yearly report (an entry of a
        register a `report_penalty` names, with no `kind`) the penalty; else its register's."""
        kind = c.values.get("kind")
        if kind:
            return self.restrictions.get((c.indicator[:3], kind), c.indicator)
        return self.penalties.get(c.indicator, c.indicator)




def parse_catalogue(doc: Mapping[str, Any], source: str) -> Catalogue:
    """indicators.toml as data, checked: each indicator once, of a known kind, with its
    source; a kind's figures are numbers."""
    out: list[IndicatorSpec] = []
    seen: set[str] = set()
    for n, raw in enumerate(doc.get("indicator") or []):
        where = f"{source}: indicator[{n}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: must be a table")
        key, kind, src = raw.get("key"), raw.get("kind"), raw.get("source")
        if not isinstance(key, str) or not key or key in seen:
            raise ConfigError(f"{where}: needs a key of its own")
        if kind not in KINDS:
            raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}")
        if not isinstance(src, str) or not src:
            raise ConfigError(f"{where}: needs its source lines")
        params = {k: v for k, v in raw.items() if k not in ("key", "kind", "source",
                                                             "state_body")}
        for name in ("per_fact", "per_step", "maximum", "per_unit", "base", "step_percent",
                     "per", "cap", "report_points", "online_points", "views_points",
                     "views_at", "points"):
            value = params.get(name)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, int | float | dict)):
                raise ConfigError(f"{where}.{name}: must be a number")
        seen.add(key)
        out.append(IndicatorSpec(key, kind, src, params, raw.get("state_body") is True))
    if not out:
        raise ConfigError(f"{source}: no indicator")
    return Catalogue(tuple(out),
                     {(i.key[:3], i.get("restriction")): i.key for i in out
                      if i.get("restriction")},
                     {i.get("of"): i.key for i in out if i.kind == "report_penalty"})


# -- the entries ------------------------------------------------------------------------------------
# An entry of a register is read by workflow/registers/ (entries.Entry): its organisation, the
# years it counts in by its register's rule (B-17), its counted status, values by role, records.


# -- arithmetic ---------------------------------------------------------------------------------------


def steps_of(pct: float, size: float, how: str) -> float:
    """Whole steps of `size` % (the setting `steps`: "floor") or the exact fraction."""
    return math.floor(pct / size + 1e-9) if how == "floor" else pct / size


def band(spec: IndicatorSpec, facts: int) -> tuple[str, float]:
    """A band of the facts and its points (2.2.1: 001:L293-318)."""
    for upto, label, points in spec.get("bands", ()):
        if facts <= upto:
            return label, points
    label, points = spec.get("top", ("", 0))
    return label, points


def number(text: str | None) -> float | None:
    try:
        return float(str(text).replace(",", ".").replace(" ", ""))
    except ValueError:
        return None


def below(subject: str, tree: Sequence[Org], kinds: Sequence[str], scope: str) -> tuple[str, ...]:
    """The organisations of `kinds` directly under the subject ("children") or anywhere below
    it ("below", walking through every kind), in tree order."""
    kids: dict[str | None, list[Org]] = {}
    for o in tree:
        kids.setdefault(o.parent, []).append(o)
    found: list[str] = []
    stack = list(reversed(kids.get(subject, [])))
    while stack:
        o = stack.pop()
        if o.kind in kinds:
            found.append(o.code)
        if scope != "children":
            stack.extend(reversed(kids.get(o.code, [])))
    return tuple(found)


def duties(definitions: Iterable[Any]) -> dict[str, tuple[str, ...]]:
    """Which kinds of organisation have the duty an indicator counts: the kinds its recurring
    register applies to (`[recurrence] applies_to`), by the indicator the register's
    `[scorecard]` names (B-20: a consolidated share's denominator is the staff of every unit
    with the duty)."""
    out: dict[str, tuple[str, ...]] = {}
    for d in definitions:
        spec, recurrence = getattr(d, "scorecard", None), getattr(d, "recurrence", None)
        if spec is not None and spec.indicator and recurrence is not None:
            out[spec.indicator] = (*out.get(spec.indicator, ()), *recurrence.applies_to)
    return out


def _later(a: date | None, b: date | None) -> date | None:
    return max((d for d in (a, b) if d is not None), default=None)


# -- the evaluation -----------------------------------------------------------------------------------


class _Shape:
    """What an evaluation reads of its subject's tree alone (whom it takes in, its entities,
    each one's place among them): the same for every evaluation of the subject over the same
    tree, worked out once (the points still to win evaluate a root of thousands twice per
    open register entry)."""

    def __init__(self, subject: str, subject_kind: str, tree: tuple[Org, ...],
                 st: ScoreSettings):
        self.tree, self.st = tree, st
        self.members = members(subject, subject_kind, tree, st.consolidating_kinds)
        self.position = {org: i for i, org in enumerate(self.members)}
        self.entities = below(subject, tree, QSE, st.qse_scope)
        self.kind_of = {o.code: o.kind for o in tree}
        self.staff = {o.code: o.headcount for o in tree}


_SHAPES: list[tuple[str, str, _Shape]] = []  # the last few, by subject and tree (identity)
_SHAPES_KEPT = 8
_SHAPES_LOCK = threading.Lock()


def _shape(subject: str, subject_kind: str, tree: tuple[Org, ...], st: ScoreSettings
           ) -> _Shape:
    with _SHAPES_LOCK:
        for s, k, shape in _SHAPES:
            if s == subject and k == subject_kind and shape.tree is tree and shape.st is st:
                return shape
    shape = _Shape(subject, subject_kind, tree, st)
    with _SHAPES_LOCK:
        _SHAPES.insert(0, (subject, subject_kind, shape))
        del _SHAPES[_SHAPES_KEPT:]
    return shape


class _Evaluation:
    def __init__(self, subject: str, subject_kind: str, tree: Sequence[Org], year: int,
                 today: date, cases: Iterable[Entry], st: ScoreSettings, catalogue: Catalogue,
                 duties: Mapping[str, Sequence[str]] | None = None,
                 kept: dict[tuple[str, str], Any] | None = None,
                 apart: Collection[str] = ()):
        self.subject, self.kind, self.tree, self.year = subject, subject_kind, tuple(tree), year
        self.duties = duties
        self.kept, self.apart = kept, apart  # `evaluate`'s: an organisation's share kept
        self._members_with: dict[str, list[str]] = {}
        self.today, self.st, self.catalogue = today, st, catalogue
        self.first, self.last = date(year, 1, 1), date(year, 12, 31)
        self.by: dict[tuple[str, str], list[Entry]] = {}
        self._of_year: dict[tuple[str, str], list[Entry]] = {}
        self.orgs_of: dict[str, set[str]] = {}  # the organisations with entries, by indicator
        for c in cases:
            key = catalogue.feeds(c)
            self.by.setdefault((key, c.org), []).append(c)
            self.orgs_of.setdefault(key, set()).add(c.org)
        self.out: list[Indicator] = []
        shape = _shape(subject, subject_kind, self.tree, st)
        self.members, self.entities, self._position = (shape.members, shape.entities,
                                                       shape.position)
        self.kind_of, self.staff = shape.kind_of, shape.staff

    # which entries count

    def of(self, key: str, org: str | None = None) -> list[Entry]:
        return self.by.get((key, org or self.subject), [])

    def of_year(self, key: str, org: str | None = None) -> list[Entry]:
        """The entries of an organisation (the subject) counted in the year by their
        register's year rule (B-17): worked out once per indicator and organisation (a
        consolidated share reads each organisation's twice); not to be changed."""
        at = (key, org or self.subject)
        found = self._of_year.get(at)
        if found is None:
            found = self._of_year[at] = [c for c in self.of(key, org)
                                         if c.counts_in(self.year)]
        return found

    def taken_in(self, key: str) -> list[Entry]:
        """The year's entries of the subject and of every organisation its evaluation takes in
        (B-18: a central body's or an akimat's subdivisions; else the subject's own)."""
        return [c for org in self.members_with(key) for c in self.of_year(key, org)]

    def members_with(self, key: str) -> list[str]:
        """The organisations taken in that have entries of the indicator, in the members'
        order (the others add nothing: a root takes in thousands, a few have entries). Once
        per indicator, and kept in `evaluate`'s `kept` (the organisations with entries are the
        same in each evaluation that passes it)."""
        at = ("members with", key)
        found = self._members_with.get(key)
        if found is None and self.kept is not None:
            found = self.kept.get(at)
        if found is None:
            place = self._position
            found = sorted((org for org in self.orgs_of.get(key, ()) if org in place),
                           key=place.__getitem__)
            if self.kept is not None:
                self.kept[at] = found
        self._members_with[key] = found
        return found

    def origin(self, entries: Sequence[Entry], inputs: dict[str, Any]) -> dict[str, Any]:
        """The inputs, with the organisations the counted entries came from (a consolidated
        evaluation) and how many were entered after their year's end."""
        if len(self.members) > 1:
            by: dict[str, int] = {}
            for c in entries:
                by[c.org] = by.get(c.org, 0) + 1
            inputs["from"] = [[org, n] for org, n in by.items()]
        late = sum(1 for c in entries if c.entered_late(self.year))
        if late:
            inputs["entered_late"] = late
        return inputs

    def status(self, c: Entry, fallback: date | None = None) -> tuple[str, date | None]:
        """Done; pending until its due date (no deadline: the fallback, the year's end) while
        that is not past; else missing."""
        if c.counted == DONE:
            return DONE, None
        until = c.due or fallback or self.last
        if c.counted == PENDING and until >= self.today:
            return PENDING, until
        return MISSING, None

    def best(self, cases: Sequence[Entry], fallback: date | None = None
             ) -> tuple[str, date | None]:
        """The status of a unit over its entries: done when any is; pending (the latest date)
        when one may still be; with no entry, pending until the fallback (the year's end) while
        it is not past; else missing."""
        fallback = fallback or self.last
        if not cases:
            return (PENDING, fallback) if self.today <= fallback else (MISSING, None)
        statuses = [self.status(c, fallback) for c in cases]
        if any(s == DONE for s, _ in statuses):
            return DONE, None
        until = max((d for s, d in statuses if s == PENDING and d is not None), default=None)
        return (PENDING, until) if until else (MISSING, None)

    def quarterly(self, org: str, key: str) -> tuple[str, date | None, int]:
        """Every quarter of the year done (B-6, B-9): done, pending (until) or missing, and the
        number of quarters done. A quarter with no case is pending until its end."""
        held, missing, until = 0, False, None
        for q in range(1, 5):
            period = parse_period(f"{self.year}Q{q}")
            mine = [c for c in self.of(key, org)
                    if c.period and parse_period(c.period).kind == period.kind
                    and parse_period(c.period).start == period.start]
            status, when = self.best(mine, period.end)
            held += status == DONE
            missing = missing or status == MISSING
            until = _later(until, when if status == PENDING else None)
        if held == 4:
            return DONE, None, held
        return (MISSING, None, held) if missing else (PENDING, until, held)

    def add(self, spec: IndicatorSpec, inputs: dict[str, Any], points: float,
            maximum: float | None, kind: str = "award", until: date | None = None) -> None:
        self.out.append(Indicator(spec.key, spec.source, inputs, r2(points), maximum, kind,
                                  pending_until=until, scored_by=spec.kind))

    def info(self, spec: IndicatorSpec, note: str, inputs: dict[str, Any] | None = None
             ) -> None:
        """An indicator that does not apply to the subject ("—", 001 §5.2)."""
        self.out.append(Indicator(spec.key, spec.source, inputs or {}, 0, None, "info", note,
                                  scored_by=spec.kind))

    def share(self, spec: IndicatorSpec, statuses: Sequence[tuple[str, date | None]],
              unit: str, threshold: float = 0, extra: dict[str, Any] | None = None) -> None:
        """A share of units in whole 10 % steps, as project No. 1's shares."""
        per_step, maximum = spec.get("per_step"), spec.get("maximum")
        done = sum(1 for s, _ in statuses if s == DONE)
        pending = sum(1 for s, _ in statuses if s == PENDING)
        until = max((d for s, d in statuses if s == PENDING and d), default=None)
        pct = percent(done, len(statuses))
        steps = steps_of(pct, 10, self.st.steps)
        points = min(maximum, per_step * steps)
        inputs: dict[str, Any] = {"unit": unit, "units": len(statuses), DONE: done,
                                  PENDING: pending, "percent": r2(pct), "step_percent": 10,
                                  "steps": r2(steps), "per_step": per_step, **(extra or {})}
        if threshold:
            inputs["threshold"] = threshold
            if pct < threshold:
                points = 0
        self.add(spec, inputs, points, maximum, until=until)

    # project No. 2

    def by_category(self, spec: IndicatorSpec) -> None:
        """2.1.1: the points of each counted entry's `category` (+3 administrative, +5
        criminal), taken in from the subdivisions."""
        table: Mapping[str, float] = spec.get("points", {})
        counts = dict.fromkeys(table, 0)
        pending, until = 0, None
        counted = []
        for c in self.taken_in(spec.key):
            status, when = self.status(c)
            category = c.values.get("category", "")
            if status == DONE and category in counts:
                counts[category] += 1
                counted.append(c)
            elif status == PENDING:
                pending, until = pending + 1, _later(until, when)
        points = sum(table[k] * n for k, n in counts.items())
        self.add(spec, self.origin(counted, {**counts, PENDING: pending}), points, None,
                 until=until)

    def band(self, spec: IndicatorSpec) -> None:
        """2.2.1: the band of the facts of the year's approved reconciliation acts (B-1, B-2):
        the subject's own act filed, the rows of every act it takes in."""
        acts = self.of_year(spec.key)
        status, until = self.best(acts)
        rows = dict.fromkeys(OFFENCE_CATEGORIES, 0)
        counted = []
        for org in self.members_with(spec.key):  # the approved act of the subject and of
            # each it takes in (one with no entry has none)
            mine = self.of_year(spec.key, org)
            act = next((c for c in mine if self.status(c)[0] == DONE), None)
            if act is None and org == self.subject:
                act = mine[0] if mine else None
            if act is not None:
                counted.append(act)
            for r in act.records if act else ():
                if r.values.get("category") in rows:
                    rows[r.values.get("category", "")] += 1
        facts = sum(rows[c] for c in self.st.reconciliation_counted)
        label, points = band(spec, facts)
        self.add(spec, self.origin(counted, {
            **rows, "facts": facts, "band": label, "filed": status,
            "counted": list(self.st.reconciliation_counted)}),
                 points if status == DONE else 0, spec.get("maximum"), until=until)

    def facts(self, spec: IndicatorSpec) -> None:
        """2.3.1-2.5.5: `per_fact` per counted entry of the year detected independently."""
        per = spec.get("per_fact")
        done = pending = independent = 0
        until = None
        counted = []
        for c in self.taken_in(spec.key):
            status, when = self.status(c)
            if status == DONE:
                done += 1
                if c.values.get("independent") == YES:
                    independent += 1
                    counted.append(c)
            elif status == PENDING:
                pending, until = pending + 1, _later(until, when)
        self.add(spec, self.origin(counted, {"facts": done, "independent": independent,
                                             "per_fact": per, PENDING: pending}),
                 per * independent, None, until=until)

    def report_penalty(self, spec: IndicatorSpec) -> None:
        """2.5.4: -5 when the yearly information (appendix 2) is not submitted by its due date,
        31 January of the next year (B-4); pending before."""
        reports = self.of_year(spec.key)
        due = max((c.due for c in reports if c.due), default=date(self.year + 1, 1, 31))
        status, until = self.best(reports, due)
        late = status == DONE and all(c.late for c in reports if c.counted == DONE)
        penalised = status == MISSING or (late and self.st.law_report_late == "penalty")
        self.add(spec, {"filed": status, "due": due, "late": late},
                 spec.get("points") if penalised else 0, None, "penalty", until)

    # project No. 3: over the supervised quasi-state entities (B-5)

    def _s2(self, spec: IndicatorSpec, statuses: list[tuple[str, date | None]],
            extra: dict[str, Any] | None = None) -> None:
        self.share(spec, statuses, "entity", self.st.qse_min_percent, extra)

    def quarterly_share(self, spec: IndicatorSpec) -> None:
        """3.1.1: the entities that did it in every quarter of the year (B-6)."""
        self._s2(spec, [self.quarterly(e, spec.key)[:2] for e in self.entities])

    def document_share(self, spec: IndicatorSpec) -> None:
        """3.2.1-3.2.8: the entities whose document counts in the year (in force, B-17); how
        many of those were entered after the year's end."""
        counted = [c for e in self.entities for c in self.of_year(spec.key, e)
                   if self.status(c)[0] == DONE]
        late = sum(1 for c in counted if c.entered_late(self.year))
        self._s2(spec, [self.best(self.of_year(spec.key, e)) for e in self.entities],
                 {"entered_late": late} if late else None)

    def published_share(self, spec: IndicatorSpec) -> None:
        """3.2.9: the entities that published `published_documents` of the documents (B-7) by
        the year's end."""
        documents = set(spec.get("documents", ()))

        def published(entity: str) -> tuple[str, date | None]:
            found = {r.values.get("document") for c in self.of_year(spec.key, entity)
                     for r in c.records if r.day <= self.last}
            if len(found & documents) >= self.st.published_documents:
                return DONE, None
            return (PENDING, self.last) if self.today <= self.last else (MISSING, None)

        self._s2(spec, [published(e) for e in self.entities],
                 {"required": self.st.published_documents})

    def certificates(self, spec: IndicatorSpec) -> None:
        """3.3.1: `per_unit` per entity holding a certificate valid on a day of the year."""
        per = spec.get("per_unit")
        held = [e for e in self.entities if any(self.valid(c) for c in self.of(spec.key, e))]
        self.add(spec, {"unit": "entity", "units": len(self.entities), DONE: len(held),
                        PENDING: 0, "per_unit": per}, per * len(held), None)

    def valid(self, c: Entry) -> bool:
        """3.3.1: a certificate valid on some day of the year."""
        return (c.counted == DONE and c.valid_from is not None and c.valid_from <= self.last
                and (c.valid_until is None or c.valid_until >= self.first))

    # project No. 4

    def commission(self, spec: IndicatorSpec) -> None:
        """4.1.1: `base` for the subject's four quarterly meetings, less `per_step` per full
        10 % of its district akimats that missed a quarter (B-9), never below 0."""
        if self.kind not in self.st.commission_kinds:
            self.info(spec, "commission_kind")
            return
        own, until, held = self.quarterly(self.subject, spec.key)
        districts = [self.quarterly(d, spec.key)
                     for d in below(self.subject, self.tree, DISTRICTS, "below")]
        missed = sum(1 for s, _, _ in districts if s == MISSING)
        pending = sum(1 for s, _, _ in districts if s == PENDING)
        for s, when, _ in districts:
            until = _later(until, when if s == PENDING else None)
        pct = percent(missed, len(districts))
        steps = steps_of(pct, 10, self.st.steps)
        base = spec.get("base") if own == DONE else 0
        per = spec.get("per_step")
        reduction = per * steps
        self.add(spec, {"held": held, "base": base, "units": len(districts), "missed": missed,
                        PENDING: pending + (own == PENDING), "percent": r2(pct),
                        "steps": r2(steps), "per_step": per, "reduction": r2(reduction)},
                 max(0.0, base - reduction), spec.get("maximum"), until=until)

    def territories(self, spec: IndicatorSpec) -> None:
        """4.1.2: `per_step` per full 10 % of the territories covered by the year's social
        order (B-16: the region itself and each city or district akimat under it; an order
        placed for a unit covers the territory the unit belongs to)."""
        if self.kind not in self.st.social_order_kinds:
            self.info(spec, "social_order_kind")
            return
        units = (self.subject, *below(self.subject, self.tree, self.st.social_order_units,
                                      self.st.social_order_scope))
        parent = {o.code: o.parent for o in self.tree}
        territories = set(units)

        def territory(code: str | None) -> str | None:
            while code is not None and code not in territories:
                code = parent.get(code)
            return code

        covered = {territory(r.values.get("unit")) for c in self.of_year(spec.key)
                   for r in c.records}
        open_ = (PENDING, self.last) if self.today <= self.last else (MISSING, None)
        self.share(spec, [(DONE, None) if u in covered else open_ for u in units], "territory")

    def with_duty(self, key: str) -> tuple[str, ...]:
        """The organisations taken in that have the duty the indicator counts (the kinds its
        register applies to; not known: every one but the parts of an apparatus)."""
        kinds = self.duties.get(key) if self.duties is not None else None
        kind_of = self.kind_of
        return tuple(org for org in self.members
                     if (kind_of.get(org) in kinds if kinds is not None
                         else kind_of.get(org) not in APPARATUS_KINDS))

    def ratio(self, spec: IndicatorSpec) -> None:
        """4.2.1 (0.3 per 0.5 %, cap 3, B-10) and 4.2.2 (1 per 10 %, max 10): the share of
        numerator in denominator, each organisation taken in by its last done entry. A
        consolidated share (B-20) divides by the staff of every unit taken in that has the
        duty: a unit with no figures counts as none trained of its headcount; a unit with
        neither is named "not reported", and the share is incomplete: not awarded (a body
        never reaches a share's maximum from a part of itself)."""
        per_step, size, maximum = (spec.get("per_step"), spec.get("step_percent"),
                                   spec.get("maximum"))
        status, until = self.best(self.of_year(spec.key))
        figures: dict[str, tuple[float, float]] = {}  # the last done figures of each org
        counted = []
        best: dict[str, tuple[str, date | None]] = {}  # of the organisations with no figures
        for org in self.members_with(spec.key):  # the entries taken in, org by org
            figure, done, best_ = self._share_of(spec.key, org)
            if figure is not None:
                figures[org] = figure
            else:
                best[org] = best_
            counted.extend(done)
        from_headcount: list[list[Any]] = []
        not_reported: list[str] = []
        if len(self.members) > 1:
            staff = self.staff
            none = self.best([])  # an organisation with no entry of the indicator
            for org in self.with_duty(spec.key):
                if org in figures:
                    continue
                own, when = best.get(org, none)
                until = _later(until, when if own == PENDING else None)
                if staff.get(org) is not None:
                    figures[org] = (0.0, float(staff[org] or 0))
                    from_headcount.append([org, staff[org]])
                else:
                    not_reported.append(org)
        if not figures and not not_reported:
            self.add(spec, {"filed": MISSING if status == DONE else status,
                            "step_percent": size, "per_step": per_step}, 0, maximum,
                     until=until)
            return
        n, d = (sum(f[0] for f in figures.values()), sum(f[1] for f in figures.values()))
        pct = 100.0 * n / d if d else 0.0
        steps = steps_of(pct, size, self.st.steps)
        inputs = {"filed": DONE, "numerator": n, "denominator": d, "percent": r2(pct),
                  "step_percent": size, "steps": r2(steps), "per_step": per_step}
        if from_headcount:
            inputs["from_headcount"] = from_headcount
        if not_reported:
            inputs["not_reported"] = not_reported
        self.add(spec, self.origin(counted, inputs),
                 0 if not_reported else min(maximum, per_step * steps), maximum, until=until)

    def _share_of(self, key: str, org: str
                  ) -> tuple[tuple[float, float] | None, list[Entry], tuple[str, date | None]]:
        """An organisation's part of a share (`ratio`) from its year's entries of the
        indicator: its last done figures (numerator, denominator; none without), its done
        entries with figures, and, without figures, its status over its entries (`best`).
        Kept in `evaluate`'s `kept` for the organisations not `apart` (their entries are the
        same objects in each evaluation that passes the same `kept`)."""
        at = (key, org)
        kept = self.kept if self.kept is not None and org not in self.apart else None
        if kept is not None and at in kept:
            return kept[at]
        figure: tuple[float, float] | None = None
        done: list[Entry] = []
        entries = self.of_year(key, org)
        for c in entries:
            n, d = number(c.values.get("numerator")), number(c.values.get("denominator"))
            if self.status(c)[0] == DONE and n is not None and d is not None:
                figure = (n, d)
                done.append(c)
        found = (figure, done, self.best(entries) if figure is None else (DONE, None))
        if kept is not None:
            kept[at] = found
        return found

    def months_of(self, c: Entry) -> list[tuple[Any, int]]:
        """A case's records that count in a month of the year, with that month: its case's
        month (B-17: a recurring register's period), else its own day's, within the year."""
        period = parse_period(c.period) if c.period else None
        if period is not None and period.kind == "month":
            return [(r, period.start.month) for r in c.records]
        return [(r, r.day.month) for r in c.records if r.day.year == self.year]

    def monthly(self, spec: IndicatorSpec) -> None:
        """4.2.3 (2 per event) and 4.2.4 (1 per servant, the records' `count`): at most `cap`
        a month, the months of the year summed (B-11)."""
        per, cap, role = spec.get("per"), spec.get("cap"), spec.get("role")
        months: dict[int, float] = {}
        counted = []
        for c in self.taken_in(spec.key):
            of_months = self.months_of(c)
            for r, month in of_months:
                # a record without the count is one (a record per servant, named)
                given = None if role is None else r.values.get(role)
                amount = 1.0 if given in (None, "") else (number(given) or 0.0)
                months[month] = months.get(month, 0.0) + amount
            if of_months:
                counted.append(c)
        rows = [[m, r2(x), r2(min(cap, per * x))] for m, x in sorted(months.items())]
        until = self.last if self.today <= self.last else None
        self.add(spec, self.origin(counted, {"months": rows, "per": per, "cap": cap,
                                             "unit": spec.get("unit", "event")}),
                 sum(p for _, _, p in rows), spec.get("maximum"), until=until)

    def outreach(self, spec: IndicatorSpec) -> None:
        """4.3.1: `report_points` for the year's report (appendix 6), `online_points` when an
        event was published online, `views_points` when an event reached `views_at` views;
        once a year, cumulative (B-12)."""
        status, until = self.best(self.of_year(spec.key))
        taken = self.taken_in(spec.key)
        records = [r for c in taken for r in c.records]
        online = sum(1 for r in records if r.values.get("online") == YES)
        views = max((int(number(r.values.get("views")) or 0) for r in records), default=0)
        parts = [spec.get("report_points") if status == DONE else 0,
                 spec.get("online_points") if online else 0,
                 spec.get("views_points") if views >= spec.get("views_at") else 0]
        reach = parts[1] + parts[2] if self.st.outreach_cumulative else max(parts[1:])
        self.add(spec, self.origin([c for c in taken if c.records], {
            "filed": status, "events": len(records), "online": online, "views": views,
            "parts": parts, "cumulative": self.st.outreach_cumulative}),
                 parts[0] + reach, spec.get("maximum"), until=until)

    def run(self) -> list[Indicator]:
        for spec in self.catalogue.indicators:
            if spec.state_body and self.kind in NON_STATE_KINDS:  # 001 §5.2
                self.info(spec, "state_body_only",
                          {"counted": list(self.st.reconciliation_counted)}
                          if spec.kind == "band" else
                          {"cumulative": self.st.outreach_cumulative})
            elif spec.kind in PROJECT_3_KINDS and not self.entities:
                self.info(spec, "no_entities", {"required": self.st.published_documents})
            else:
                getattr(self, spec.kind)(spec)
        return self.out


def evaluate(subject: str, subject_kind: str, tree: Sequence[Org], year: int, today: date,
             cases: Sequence[Entry], st: ScoreSettings, catalogue: Catalogue,
             duties: Mapping[str, Sequence[str]] | None = None,
             only: Collection[str] | None = None,
             kept: dict[tuple[str, str], Any] | None = None,
             apart: Collection[str] = ()) -> list[Indicator]:
    """Every indicator of the catalogue (projects No. 2-4) for one subject and year, in its
    order, from the registers' entries of the subject and of the organisations below it
    (`tree`: the subject and everything below it, with their headcounts); `duties`: the kinds
    of organisation that have each indicator's duty (`duties(definitions)`). With `only`,
    those indicators alone: each indicator reads the entries that feed it (`feeds`) and no
    other, so they are evaluated from those entries alone, as in the whole evaluation. With
    `kept` (a dict the caller keeps for one subject, year and day), each organisation's part of
    a share is kept there for the next evaluation, but for the organisations `apart`: the
    caller passes the same entry objects of every other organisation each time."""
    if only is not None:
        catalogue = replace(catalogue, indicators=tuple(
            i for i in catalogue.indicators if i.key in only))
        cases = [c for c in cases if catalogue.feeds(c) in only]
    return _Evaluation(subject, subject_kind, tree, year, today, cases, st, catalogue,
                       duties, kept, apart).run()


def behind(subject: str, subject_kind: str, tree: Sequence[Org], year: int, today: date,
           cases: Sequence[Entry], st: ScoreSettings, catalogue: Catalogue,
           duties: Mapping[str, Sequence[str]] | None = None,
           only: Collection[str] | None = None
           ) -> dict[str, list[tuple[Entry, str, date | None]]]:
    """The entries behind each indicator of projects No. 2-4 (those its rule reads for the
    subject: the organisations it takes in, its supervised entities, its district akimats),
    each with its status (done, pending until its due date, missing): what the score page
    links to, and what is still due. With `only`, those indicators alone (from the entries
    that feed them, as `evaluate`)."""
    if only is not None:
        catalogue = replace(catalogue, indicators=tuple(
            i for i in catalogue.indicators if i.key in only))
        cases = [c for c in cases if catalogue.feeds(c) in only]
    e = _Evaluation(subject, subject_kind, tree, year, today, cases, st, catalogue, duties)
    out: dict[str, list[tuple[Entry, str, date | None]]] = {}
    for spec in catalogue.indicators:
        orgs: Sequence[str]
        if spec.kind in PROJECT_3_KINDS:
            orgs = e.entities
        elif spec.kind == "commission":
            orgs = (subject, *below(subject, e.tree, DISTRICTS, "below"))
        elif spec.kind in ("report_penalty", "territories"):
            orgs = (subject,)
        else:  # those taken in that have entries of the indicator (the others add none)
            orgs = e.members_with(spec.key)
        found = [c for org in orgs for c in (e.of(spec.key, org) if spec.kind == "certificates"
                                             else e.of_year(spec.key, org))]
        if spec.kind == "monthly":  # counted by its records of the year's months alone
            out[spec.key] = [(c, DONE, None) if e.months_of(c) else
                             (c, *e.status(replace(c, counted=PENDING, due=None)))
                             for c in found]
        else:
            out[spec.key] = [(c, *e.status(c)) for c in found]
    return out


# -- the whole evaluation -----------------------------------------------------------------------------


def project_of(key: str) -> int:
    """The project an indicator belongs to ("external" is project No. 1's)."""
    found = _PROJECTS.get(key)
    if found is None:
        found = _PROJECTS[key] = int(key[0]) if key[:1].isdigit() else 1
    return found


# each indicator's project by its key, once (a subtree's cards ask it of 200,000 indicators)
_PROJECTS: dict[str, int] = {}


def _sums(indicators: Sequence[Mapping[str, Any]]) -> tuple[float, float]:
    awards = r2(sum(i["points"] for i in indicators if i["kind"] == "award"))
    deductions = r2(sum(i["points"] for i in indicators if i["kind"] == "penalty"))
    return awards, deductions


def whole(project_1: Mapping[str, Any], others: Sequence[Indicator | Mapping[str, Any]]
          ) -> dict[str, Any]:
    """Project No. 1's result (rules.score) and the indicators of projects No. 2-4 as one
    evaluation, in the same shape: `indicators` (all of them), `awards`, `deductions` (as a
    negative number) and `total` = awards + deductions (Σ awards − Σ penalties, B-13: no cap,
    may be negative), `provisional_until` the latest pending date of any indicator; besides,
    `projects`: per project its number, indicators, awards, deductions and subtotal."""
    # (an indicator given as a dict already, `Indicator`'s fields: as it is, shared)
    rest = [i if isinstance(i, dict) else dict(i.__dict__) for i in others]
    indicators = [*project_1["indicators"], *rest]
    projects = []
    by_project: dict[int, list[dict[str, Any]]] = {1: [], 2: [], 3: [], 4: []}
    for i in indicators:  # one pass (a country's evaluation has ~150,000 indicators)
        by_project.setdefault(project_of(i["key"]), []).append(i)
    for n in (1, 2, 3, 4):
        mine = by_project[n]
        awards, deductions = _sums(mine)
        projects.append({"project": n, "indicators": mine, "awards": awards,
                         "deductions": deductions, "subtotal": r2(awards + deductions)})
    awards, deductions = _sums(indicators)
    until = max((d for d in (project_1.get("provisional_until"),
                             *(i["pending_until"] for i in rest)) if d), default=None)
    return {**project_1, "indicators": indicators, "projects": projects, "awards": awards,
            "deductions": deductions, "total": r2(awards + deductions),
            "provisional_until": until}
