"""The official evaluation of project No. 1 (seed 001), as a pure function of recorded facts.

Every ambiguity the methodology leaves open is a documented setting (docs/scorecard.md);
the defaults are in ScoreSettings and can be changed in config.toml [scorecard].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from workflow.core.errors import ConfigError


@dataclass(frozen=True)
class ScoreSettings:
    steps: str = "floor"                  # I-9: a partial 10 % step counts nothing ("linear": pro rata)
    discussion_min_percent: float = 40    # 1.2.2: below this share public discussion gives 0
    missing_document: str = "any"         # -10/-5 when ANY analysis lacks it ("all": when none has it)
    risk_points_cumulative: bool = True   # 1.3.3: a risk eliminated to completion earns 1 + 2 + 5
    positions_kinds: tuple[str, ...] = ("akimat", "central_body")  # 1.4.1 evaluates only these subjects
    positions_penalty: str = "none"       # 1.4.1: -5 when no analysis has its list ("below_100": unless all)
    cartogram_points: float = 2           # 1.5.1 per updated department/district section
    external_years_back: int = 1          # l.7-13: external analysis in the programme year or 1 before
    external_points_per_percent: float = 0.3  # no scale in the source: the monitoring scale is used

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None) -> ScoreSettings:
        raw = raw or {}
        known = {f.name for f in fields(cls)}
        for key in raw:
            if key not in known:
                raise ConfigError(f"scorecard.{key}: unknown setting (known: {', '.join(sorted(known))})")
            value, kind = raw[key], next(f.type for f in fields(cls) if f.name == key)
            number = isinstance(value, int | float) and not isinstance(value, bool)
            ok = {"bool": isinstance(value, bool), "str": isinstance(value, str),
                  "int": number and isinstance(value, int), "float": number}.get(
                kind, isinstance(value, list | tuple) and all(isinstance(v, str) for v in value))
            if not ok:
                raise ConfigError(f"scorecard.{key}: {value!r} is not a valid {kind}")
        values = dict(raw)
        if "positions_kinds" in values:
            values["positions_kinds"] = tuple(values["positions_kinds"])
        s = cls(**values)
        if s.steps not in ("floor", "linear"):
            raise ConfigError("scorecard.steps: must be 'floor' or 'linear'")
        if s.missing_document not in ("any", "all"):
            raise ConfigError("scorecard.missing_document: must be 'any' or 'all'")
        if s.positions_penalty not in ("none", "below_100"):
            raise ConfigError("scorecard.positions_penalty: must be 'none' or 'below_100'")
        return s


@dataclass(frozen=True)
class AnalysisFacts:
    """What was recorded for one object (one 'subdivision' of the methodology)."""

    id: int
    object: str
    ordered: bool = False
    start_announced: bool = False
    discussion_announced: bool = False
    discussed: bool = False
    note_signed: bool = False
    plan_approved: bool = False
    published: bool = False
    positions_approved: bool = False
    monitoring_closed: bool = False


# The steps of one analysis the indicators count; the definition's [scorecard.stages] names the
# stage that completes each (the key words here are the methodology's, not a procedure's).
STEP_ROLES = ("ordered", "start_announced", "discussion_announced", "discussed", "note_signed",
              "plan_approved", "published", "positions_approved")


@dataclass(frozen=True)
class RiskFacts:
    id: int
    eliminated: bool  # every recommendation against it fulfilled
    completed: bool   # eliminated and its analysis's monitoring closed by the result note


@dataclass(frozen=True)
class ExternalFacts:
    completed_on: date
    items: int
    items_fulfilled: int


@dataclass(frozen=True)
class ProgrammeFacts:
    subject: str
    subject_kind: str
    year: int
    schedule_approved: bool
    analyses: list[AnalysisFacts]
    risks: list[RiskFacts] = field(default_factory=list)
    external: ExternalFacts | None = None
    cartogram_sections: int | None = None  # None: not recorded (I-7)


@dataclass
class Indicator:
    key: str
    title: str
    source: str
    inputs: dict[str, Any]
    points: float
    maximum: float | None
    kind: str  # award | penalty | info
    note: str = ""


def percent(n: int, d: int) -> float:
    return 100.0 * n / d if d else 0.0


def tens(pct: float, how: str) -> float:
    """Whole 10 % steps (I-9 floor) or the exact fraction ('linear')."""
    return math.floor(pct / 10 + 1e-9) if how == "floor" else pct / 10


def ones(pct: float, how: str) -> float:
    return math.floor(pct + 1e-9) if how == "floor" else pct


def r2(x: float) -> float:
    return round(x + 0.0, 2)


def score(f: ProgrammeFacts, st: ScoreSettings) -> dict[str, Any]:
    """Every indicator with its inputs and points, the deductions and the total."""
    if f.external is not None:
        return _external(f, st)
    n = len(f.analyses)
    out: list[Indicator] = []

    def share(attr: str) -> tuple[int, float]:
        k = sum(1 for a in f.analyses if getattr(a, attr))
        return k, percent(k, n)

    def missing(attr: str) -> bool:
        k = sum(1 for a in f.analyses if getattr(a, attr))
        return (k < n) if st.missing_document == "any" else (k == 0)

    out.append(Indicator("1.1.1", "schedule approved", "001:L27-33",
                         {"approved": f.schedule_approved},
                         0 if f.schedule_approved else -10, None, "penalty"))
    out.append(Indicator("1.1.2", "order approved", "001:L37-45",
                         {"analyses": n, "with_order": share("ordered")[0],
                          "rule": st.missing_document},
                         -10 if n == 0 or missing("ordered") else 0, None, "penalty"))
    for key, attr, title, src in (("1.1.3", "start_announced", "start announced", "001:L49-67"),
                                  ("1.2.1", "discussion_announced", "discussion announced",
                                   "001:L75-91")):
        k, pct = share(attr)
        out.append(Indicator(key, title, src, {"subdivisions": n, "done": k, "percent": r2(pct)},
                             r2(min(3.0, 0.3 * tens(pct, st.steps))), 3, "award"))
    k, pct = share("discussed")
    pts = 0.0 if pct < st.discussion_min_percent else min(5.0, 0.5 * tens(pct, st.steps))
    out.append(Indicator("1.2.2", "results discussed in public", "001:L92-106",
                         {"subdivisions": n, "done": k, "percent": r2(pct),
                          "threshold": st.discussion_min_percent}, r2(pts), 5, "award"))
    out.append(Indicator("1.2.3", "analytic note signed", "001:L110-118",
                         {"analyses": n, "signed": share("note_signed")[0]},
                         -5 if n == 0 or missing("note_signed") else 0, None, "penalty"))
    out.append(Indicator("1.3.1", "action plan approved", "001:L124-138",
                         {"analyses": n, "approved": share("plan_approved")[0]},
                         -5 if n == 0 or missing("plan_approved") else 0, None, "penalty"))
    k, pct = share("published")
    out.append(Indicator("1.3.2", "note and plan published", "001:L142-156",
                         {"subdivisions": n, "done": k, "percent": r2(pct)},
                         r2(min(3.0, 0.3 * tens(pct, st.steps))), 3, "award"))
    k, pct = share("note_signed")
    out.append(Indicator("1.3.3", "subdivisions covered by the analysis", "001:L160-185",
                         {"subdivisions": n, "covered": k, "percent": r2(pct)},
                         r2(min(30.0, 0.3 * ones(pct, st.steps))), 30, "award"))
    identified = len(f.risks)
    eliminated = sum(1 for r in f.risks if r.eliminated)
    completed = sum(1 for r in f.risks if r.completed)
    if st.risk_points_cumulative:
        risk_pts = identified + 2 * eliminated + 5 * completed
    else:  # only the highest applies to a risk
        risk_pts = sum(5 if r.completed else 2 if r.eliminated else 1 for r in f.risks)
    out.append(Indicator("1.3.3-risks", "risks identified, eliminated, completed", "001:L189-197",
                         {"identified": identified, "eliminated": eliminated, "completed": completed,
                          "cumulative": st.risk_points_cumulative}, risk_pts, None, "award"))
    if f.subject_kind in st.positions_kinds:
        k, pct = share("positions_approved")
        pts = min(5.0, 0.5 * tens(pct, st.steps))
        penalty = (k == 0) if st.positions_penalty == "none" else (k < n)
        out.append(Indicator("1.4.1", "positions lists drawn up", "001:L204-222",
                             {"subdivisions": n, "done": k, "percent": r2(pct),
                              "penalty_rule": st.positions_penalty}, r2(pts), 5, "award"))
        out.append(Indicator("1.4.1-penalty", "positions lists not ensured", "001:L220-222",
                             {"done": k}, -5 if penalty else 0, None, "penalty"))
    else:
        out.append(Indicator("1.4.1", "positions lists drawn up", "001:L210-212",
                             {"subject_kind": f.subject_kind}, 0, None, "info",
                             "evaluated only for an oblast akim's apparatus or a central body"))
    if f.subject_kind == "akimat" and f.cartogram_sections is not None:
        out.append(Indicator("1.5.1", "cartogram sections updated", "001:L228-248",
                             {"sections": f.cartogram_sections},
                             r2(st.cartogram_points * f.cartogram_sections), None, "award"))
    else:
        out.append(Indicator("1.5.1", "cartogram sections updated", "001:L232", {}, 0, None, "info",
                             "not evaluated: only oblast akimats, and I-7 keeps cartogram updates "
                             "unrecorded unless enabled"))
    return _result(f, out, external=False)


def _external(f: ProgrammeFacts, st: ScoreSettings) -> dict[str, Any]:
    e = f.external
    pct = percent(e.items_fulfilled, e.items)
    out = [Indicator("external", "execution of the external analysis's action plan", "001:L7-13",
                     {"completed_on": e.completed_on.isoformat(), "items": e.items,
                      "fulfilled": e.items_fulfilled, "percent": r2(pct)},
                     r2(st.external_points_per_percent * ones(pct, st.steps)),
                     r2(st.external_points_per_percent * 100), "award",
                     "an external analysis was completed within a year: the internal analysis and "
                     "its indicators are not evaluated; the source gives no scale, merzim uses "
                     "the monitoring scale (setting external_points_per_percent)")]
    return _result(f, out, external=True)


def _result(f: ProgrammeFacts, out: list[Indicator], external: bool) -> dict[str, Any]:
    awards = r2(sum(i.points for i in out if i.kind == "award"))
    deductions = r2(sum(i.points for i in out if i.kind == "penalty"))
    return {
        "subject": f.subject, "year": f.year, "external_case": external,
        "indicators": [i.__dict__ for i in out],
        "awards": awards, "deductions": deductions, "total": r2(awards + deductions),
    }
