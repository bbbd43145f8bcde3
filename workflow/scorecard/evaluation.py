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
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from workflow.core.kinds import NON_STATE_KINDS
from workflow.core.periods import parse as parse_period
from workflow.registers.entries import Entry
from workflow.registers.scope import members
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

# 2.5.1-2.5.5 in that order: the `kind` of a breach of a restriction (001:L376-451)
RESTRICTIONS = ("incompatible_activity", "conflict_of_interest", "insider_information",
                "reward_or_gift", "foreign_account")
# the documents of 3.2.1-3.2.8 (the `document` of a publication record, 3.2.9)
DOCUMENTS = ("compliance_regulation", "anticorruption_policy", "anticorruption_manual",
             "coi_policy", "anticorruption_standard", "internal_action_plan",
             "reporting_procedure", "ethics_code")
YES = "yes"
LAW_REPORT = "2.5.4-penalty"  # the yearly appendix-2 report (B-4); its register says "2.5.4"
NOTICE_POINTS = {"administrative": 3, "criminal": 5}  # 001:L267-273
BANDS = ((0, "0", 18), (5, "1–5", 15), (20, "6–20", 12), (40, "21–40", 9))  # 001:L293-318
TOP_BAND = ("41+", 6)  # "41-ден жоғары": 41 included
PER_FACT = 3          # 001:L332-451
S2_PER_STEP, S2_MAX = 0.2, 2  # 001:L475-626
CERTIFICATE_POINTS = 10  # 001:L636-638
QSE = ("quasi_state",)
DISTRICTS = ("district_akimat",)
OUTREACH_VIEWS = 1000  # 001:L816-818
FACT_KEYS = ("2.3.1", "2.3.2", "2.4.1", "2.5.1", "2.5.2", "2.5.3", "2.5.4", "2.5.5")
SHARE_KEYS = ("3.1.1", "3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.2.5", "3.2.6", "3.2.7", "3.2.8",
              "3.2.9")
KEYS = ("2.1.1", "2.2.1", *FACT_KEYS[:7], LAW_REPORT, FACT_KEYS[7], *SHARE_KEYS, "3.3.1",
        "4.1.1", "4.1.2", "4.2.1", "4.2.2", "4.2.3", "4.2.4", "4.3.1")
SOURCES = {
    "2.1.1": "001:L264-273", "2.2.1": "001:L287-318", "2.3.1": "001:L328-338",
    "2.3.2": "001:L342-354", "2.4.1": "001:L359-369", "2.5.1": "001:L376-384",
    "2.5.2": "001:L388-395", "2.5.3": "001:L398-412", "2.5.4": "001:L416-430",
    LAW_REPORT: "001:L432-434", "2.5.5": "001:L438-451", "3.1.1": "001:L465-477",
    "3.2.1": "001:L482-502", "3.2.2": "001:L506-516", "3.2.3": "001:L520-532",
    "3.2.4": "001:L533-543", "3.2.5": "001:L547-557", "3.2.6": "001:L561-573",
    "3.2.7": "001:L577-595", "3.2.8": "001:L599-611", "3.2.9": "001:L615-626",
    "3.3.1": "001:L632-638", "4.1.1": "001:L654-672", "4.1.2": "001:L676-694",
    "4.2.1": "001:L704-749", "4.2.2": "001:L753-763", "4.2.3": "001:L767-777",
    "4.2.4": "001:L781-795", "4.3.1": "001:L800-818",
}


# -- the entries ------------------------------------------------------------------------------------
# An entry of a register is read by workflow/registers/ (entries.Entry): its organisation, the
# years it counts in by its register's rule (B-17), its counted status, values by role, records.


def feeds(c: Entry) -> str:
    """The indicator a case counts for: a breach of a restriction by its `kind` (2.5.1-2.5.5);
    the yearly report of 2.5.4 (a case of "2.5.4" with no kind, or "2.5.4-penalty") for the
    penalty; else its register's indicator."""
    kind = c.values.get("kind")
    if c.indicator.startswith("2.5.") and kind in RESTRICTIONS:
        return f"2.5.{RESTRICTIONS.index(kind) + 1}"
    if c.indicator == "2.5.4" and not kind:
        return LAW_REPORT
    return c.indicator


# -- arithmetic ---------------------------------------------------------------------------------------


def steps_of(pct: float, size: float, how: str) -> float:
    """Whole steps of `size` % (the setting `steps`: "floor") or the exact fraction."""
    return math.floor(pct / size + 1e-9) if how == "floor" else pct / size


def band(facts: int) -> tuple[str, int]:
    """2.2.1's band of the corruption facts and its points (001:L293-318)."""
    for upto, label, points in BANDS:
        if facts <= upto:
            return label, points
    return TOP_BAND


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


def _later(a: date | None, b: date | None) -> date | None:
    return max((d for d in (a, b) if d is not None), default=None)


def _info(key: str, note: str, inputs: dict[str, Any] | None = None) -> Indicator:
    """An indicator that does not apply to the subject ("—", 001 §5.2)."""
    return Indicator(key, SOURCES[key], inputs or {}, 0, None, "info", note)


# -- the evaluation -----------------------------------------------------------------------------------


class _Evaluation:
    def __init__(self, subject: str, subject_kind: str, tree: Sequence[Org], year: int,
                 today: date, cases: Iterable[Entry], st: ScoreSettings):
        self.subject, self.kind, self.tree, self.year = subject, subject_kind, tuple(tree), year
        self.today, self.st = today, st
        self.first, self.last = date(year, 1, 1), date(year, 12, 31)
        self.by: dict[tuple[str, str], list[Entry]] = {}
        for c in cases:
            self.by.setdefault((feeds(c), c.org), []).append(c)
        self.out: list[Indicator] = []
        self.members = members(subject, subject_kind, self.tree,
                               st.consolidating_kinds)

    # which entries count

    def of(self, key: str, org: str | None = None) -> list[Entry]:
        return self.by.get((key, org or self.subject), [])

    def of_year(self, key: str, org: str | None = None) -> list[Entry]:
        """The entries of an organisation (the subject) counted in the year by their
        register's year rule (B-17)."""
        return [c for c in self.of(key, org) if c.counts_in(self.year)]

    def taken_in(self, key: str) -> list[Entry]:
        """The year's entries of the subject and of every organisation its evaluation takes in
        (B-18: a central body's or an akimat's subdivisions; else the subject's own)."""
        return [c for org in self.members for c in self.of_year(key, org)]

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

    def add(self, key: str, inputs: dict[str, Any], points: float, maximum: float | None,
            kind: str = "award", until: date | None = None) -> None:
        self.out.append(Indicator(key, SOURCES[key], inputs, r2(points), maximum, kind,
                                  pending_until=until))

    def share(self, key: str, statuses: Sequence[tuple[str, date | None]], unit: str,
              per_step: float, maximum: float, threshold: float = 0,
              extra: dict[str, Any] | None = None) -> None:
        """A share of units in whole 10 % steps, as project No. 1's shares."""
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
        self.add(key, inputs, points, maximum, until=until)

    # project No. 2

    def notices(self) -> None:
        """2.1.1: +3 per administrative, +5 per criminal notice counted in the year."""
        counts = dict.fromkeys(NOTICE_POINTS, 0)
        pending, until = 0, None
        counted = []
        for c in self.taken_in("2.1.1"):
            status, when = self.status(c)
            category = c.values.get("category", "")
            if status == DONE and category in counts:
                counts[category] += 1
                counted.append(c)
            elif status == PENDING:
                pending, until = pending + 1, _later(until, when)
        points = sum(NOTICE_POINTS[k] * n for k, n in counts.items())
        self.add("2.1.1", self.origin(counted, {**counts, PENDING: pending}), points, None,
                 until=until)

    def reconciliation(self) -> None:
        """2.2.1: the band of the facts of the year's approved reconciliation act (B-1, B-2)."""
        if self.kind in NON_STATE_KINDS:
            self.out.append(_info("2.2.1", "state_body_only",
                                  {"counted": list(self.st.reconciliation_counted)}))
            return
        acts = self.of_year("2.2.1")
        status, until = self.best(acts)
        rows = dict.fromkeys(OFFENCE_CATEGORIES, 0)
        counted = []
        for org in self.members:  # the approved act of the subject and of each it takes in
            mine = self.of_year("2.2.1", org)
            act = next((c for c in mine if self.status(c)[0] == DONE), None)
            if act is None and org == self.subject:
                act = mine[0] if mine else None
            if act is not None:
                counted.append(act)
            for r in act.records if act else ():
                if r.values.get("category") in rows:
                    rows[r.values.get("category", "")] += 1
        facts = sum(rows[c] for c in self.st.reconciliation_counted)
        label, points = band(facts)
        self.add("2.2.1", self.origin(counted, {
            **rows, "facts": facts, "band": label, "filed": status,
            "counted": list(self.st.reconciliation_counted)}),
                 points if status == DONE else 0, 18, until=until)

    def facts(self, key: str) -> None:
        """2.3.1-2.5.5: +3 per entry of the year detected independently."""
        done = pending = independent = 0
        until = None
        counted = []
        for c in self.taken_in(key):
            status, when = self.status(c)
            if status == DONE:
                done += 1
                if c.values.get("independent") == YES:
                    independent += 1
                    counted.append(c)
            elif status == PENDING:
                pending, until = pending + 1, _later(until, when)
        self.add(key, self.origin(counted, {"facts": done, "independent": independent,
                                            "per_fact": PER_FACT, PENDING: pending}),
                 PER_FACT * independent, None, until=until)

    def law_report(self) -> None:
        """2.5.4: -5 when the yearly information (appendix 2) is not submitted by its due date,
        31 January of the next year (B-4); pending before."""
        reports = self.of_year(LAW_REPORT)
        due = max((c.due for c in reports if c.due), default=date(self.year + 1, 1, 31))
        status, until = self.best(reports, due)
        late = status == DONE and all(c.late for c in reports if c.counted == DONE)
        penalised = status == MISSING or (late and self.st.law_report_late == "penalty")
        self.add(LAW_REPORT, {"filed": status, "due": due, "late": late},
                 -5 if penalised else 0, None, "penalty", until)

    # project No. 3

    def project_3(self) -> None:
        """Over the supervised quasi-state entities (B-5): S2 shares and certificates."""
        entities = below(self.subject, self.tree, QSE, self.st.qse_scope)
        if not entities:
            for key in (*SHARE_KEYS, "3.3.1"):
                self.out.append(_info(key, "no_entities",
                                      {"required": self.st.published_documents}))
            return
        threshold = self.st.qse_min_percent

        def s2(key: str, statuses: list[tuple[str, date | None]],
               extra: dict[str, Any] | None = None) -> None:
            self.share(key, statuses, "entity", S2_PER_STEP, S2_MAX, threshold, extra)

        s2("3.1.1", [self.quarterly(e, "3.1.1")[:2] for e in entities])
        for key in SHARE_KEYS[1:-1]:
            s2(key, [self.best(self.of_year(key, e)) for e in entities])
        s2("3.2.9", [self.published(e) for e in entities],
           {"required": self.st.published_documents})
        held = [e for e in entities if any(self.valid(c) for c in self.of("3.3.1", e))]
        self.add("3.3.1", {"unit": "entity", "units": len(entities), DONE: len(held), PENDING: 0,
                           "per_unit": CERTIFICATE_POINTS}, CERTIFICATE_POINTS * len(held), None)

    def published(self, entity: str) -> tuple[str, date | None]:
        """3.2.9: the entity published at least `published_documents` of the eight (B-7) by
        the year's end."""
        found = {r.values.get("document") for c in self.of_year("3.2.9", entity)
                 for r in c.records if r.day <= self.last}
        if len(found & set(DOCUMENTS)) >= self.st.published_documents:
            return DONE, None
        return (PENDING, self.last) if self.today <= self.last else (MISSING, None)

    def valid(self, c: Entry) -> bool:
        """3.3.1: a certificate valid on some day of the year."""
        return (c.counted == DONE and c.valid_from is not None and c.valid_from <= self.last
                and (c.valid_until is None or c.valid_until >= self.first))

    # project No. 4

    def commission(self) -> None:
        """4.1.1: 3 for the subject's four quarterly meetings, less 0.3 per full 10 % of its
        district akimats that missed a quarter (B-9), never below 0."""
        if self.kind not in self.st.commission_kinds:
            self.out.append(_info("4.1.1", "commission_kind"))
            return
        own, until, held = self.quarterly(self.subject, "4.1.1")
        districts = [self.quarterly(d, "4.1.1")
                     for d in below(self.subject, self.tree, DISTRICTS, "below")]
        missed = sum(1 for s, _, _ in districts if s == MISSING)
        pending = sum(1 for s, _, _ in districts if s == PENDING)
        for s, when, _ in districts:
            until = _later(until, when if s == PENDING else None)
        pct = percent(missed, len(districts))
        steps = steps_of(pct, 10, self.st.steps)
        base = 3 if own == DONE else 0
        reduction = 0.3 * steps
        self.add("4.1.1", {"held": held, "base": base, "units": len(districts), "missed": missed,
                           PENDING: pending + (own == PENDING), "percent": r2(pct),
                           "steps": r2(steps),
                           "per_step": 0.3, "reduction": r2(reduction)},
                 max(0.0, base - reduction), 3, until=until)

    def social_order(self) -> None:
        """4.1.2: 0.5 per full 10 % of the units covered by the year's social order, max 5."""
        if self.kind not in self.st.social_order_kinds:
            self.out.append(_info("4.1.2", "social_order_kind"))
            return
        # B-16: the territories are the region itself and each city or district akimat under
        # it; an order placed for a unit covers the territory the unit belongs to
        units = (self.subject, *below(self.subject, self.tree, self.st.social_order_units,
                                      self.st.social_order_scope))
        parent = {o.code: o.parent for o in self.tree}
        territories = set(units)

        def territory(code: str | None) -> str | None:
            while code is not None and code not in territories:
                code = parent.get(code)
            return code

        covered = {territory(r.values.get("unit")) for c in self.of_year("4.1.2")
                   for r in c.records}
        open_ = (PENDING, self.last) if self.today <= self.last else (MISSING, None)
        self.share("4.1.2", [(DONE, None) if u in covered else open_ for u in units],
                   "territory", 0.5, 5)

    def ratio(self, key: str, per_step: float, size: float, maximum: float) -> None:
        """4.2.1 (0.3 per 0.5 %, cap 3, B-10) and 4.2.2 (1 per 10 %, max 10): the share of
        numerator in denominator of the year's done entry (the last one given)."""
        cases = self.of_year(key)
        status, until = self.best(cases)
        figures: dict[str, tuple[float, float]] = {}  # the last done figures of each org
        counted = []
        for c in self.taken_in(key):
            n, d = number(c.values.get("numerator")), number(c.values.get("denominator"))
            if self.status(c)[0] == DONE and n is not None and d is not None:
                figures[c.org] = (n, d)
                counted.append(c)
        if not figures:
            self.add(key, {"filed": MISSING if status == DONE else status, "step_percent": size,
                           "per_step": per_step}, 0, maximum, until=until)
            return
        n, d = (sum(f[0] for f in figures.values()), sum(f[1] for f in figures.values()))
        pct = 100.0 * n / d if d else 0.0
        steps = steps_of(pct, size, self.st.steps)
        self.add(key, self.origin(counted, {
            "filed": DONE, "numerator": n, "denominator": d, "percent": r2(pct),
            "step_percent": size, "steps": r2(steps), "per_step": per_step}),
                 min(maximum, per_step * steps), maximum)

    def monthly(self, key: str, per: float, role: str | None) -> None:
        """4.2.3 (2 per event) and 4.2.4 (1 per servant, the records' `count`): at most 10 a
        month, the months of the year summed (B-11). A record counts in its day's month."""
        months: dict[int, float] = {}
        counted = []
        for c in self.taken_in(key):
            period = parse_period(c.period) if c.period else None
            for r in c.records:
                # a record counts in its case's month (B-17: a recurring register's period),
                # else in its own day's, within the year
                month = (period.start.month if period is not None and period.kind == "month"
                         else r.day.month if r.day.year == self.year else None)
                if month is None:
                    continue
                amount = 1.0 if role is None else (number(r.values.get(role)) or 0.0)
                months[month] = months.get(month, 0.0) + amount
            if c.records:
                counted.append(c)
        rows = [[m, r2(x), r2(min(10, per * x))] for m, x in sorted(months.items())]
        until = self.last if self.today <= self.last else None
        self.add(key, self.origin(counted, {"months": rows, "per": per, "cap": 10}),
                 sum(p for _, _, p in rows), 120, until=until)

    def outreach(self) -> None:
        """4.3.1: 10 for the year's report (appendix 6), +5 when an event was published online,
        +10 when an event reached 1,000 views; once a year, cumulative (B-12)."""
        cases = self.of_year("4.3.1")
        status, until = self.best(cases)
        taken = self.taken_in("4.3.1")
        records = [r for c in taken for r in c.records]
        online = sum(1 for r in records if r.values.get("online") == YES)
        views = max((int(number(r.values.get("views")) or 0) for r in records), default=0)
        parts = [10 if status == DONE else 0, 5 if online else 0,
                 10 if views >= OUTREACH_VIEWS else 0]
        reach = parts[1] + parts[2] if self.st.outreach_cumulative else max(parts[1:])
        self.add("4.3.1", self.origin([c for c in taken if c.records], {
            "filed": status, "events": len(records), "online": online, "views": views,
            "parts": parts, "cumulative": self.st.outreach_cumulative}),
                 parts[0] + reach, 25, until=until)

    def project_4(self) -> None:
        self.commission()
        self.social_order()
        if self.kind in NON_STATE_KINDS:  # 4.2.x and 4.3.1: state bodies (001 §5.2)
            for key in ("4.2.1", "4.2.2", "4.2.3", "4.2.4", "4.3.1"):
                self.out.append(_info(key, "state_body_only",
                                      {"cumulative": self.st.outreach_cumulative}))
            return
        self.ratio("4.2.1", 0.3, 0.5, 3)
        self.ratio("4.2.2", 1, 10, 10)
        self.monthly("4.2.3", 2, None)
        self.monthly("4.2.4", 1, "count")
        self.outreach()

    def run(self) -> list[Indicator]:
        self.notices()
        self.reconciliation()
        for key in FACT_KEYS:
            self.facts(key)
        self.law_report()
        self.project_3()
        self.project_4()
        order = {k: i for i, k in enumerate(KEYS)}
        return sorted(self.out, key=lambda i: order[i.key])


def evaluate(subject: str, subject_kind: str, tree: Sequence[Org], year: int, today: date,
             cases: Sequence[Entry], st: ScoreSettings) -> list[Indicator]:
    """Every indicator of projects No. 2-4 for one subject and year (KEYS, in that order), from
    the registers' entries of the subject and of the organisations below it (`tree`: the
    subject and everything below it)."""
    return _Evaluation(subject, subject_kind, tree, year, today, cases, st).run()


# -- the whole evaluation -----------------------------------------------------------------------------


def project_of(key: str) -> int:
    """The project an indicator belongs to ("external" is project No. 1's)."""
    return int(key[0]) if key[:1].isdigit() else 1


def _sums(indicators: Sequence[Mapping[str, Any]]) -> tuple[float, float]:
    awards = r2(sum(i["points"] for i in indicators if i["kind"] == "award"))
    deductions = r2(sum(i["points"] for i in indicators if i["kind"] == "penalty"))
    return awards, deductions


def whole(project_1: Mapping[str, Any], others: Sequence[Indicator]) -> dict[str, Any]:
    """Project No. 1's result (rules.score) and the indicators of projects No. 2-4 as one
    evaluation, in the same shape: `indicators` (all of them), `awards`, `deductions` (as a
    negative number) and `total` = awards + deductions (Σ awards − Σ penalties, B-13: no cap,
    may be negative), `provisional_until` the latest pending date of any indicator; besides,
    `projects`: per project its number, indicators, awards, deductions and subtotal."""
    indicators = [*project_1["indicators"], *(dict(i.__dict__) for i in others)]
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
                             *(i.pending_until for i in others)) if d), default=None)
    return {**project_1, "indicators": indicators, "projects": projects, "awards": awards,
            "deductions": deductions, "total": r2(awards + deductions),
            "provisional_until": until}
